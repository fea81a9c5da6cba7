"""Write src/hyperlexicon/data/en_mass_nouns.txt: common English nouns used without an article.

Decoding writes a gloss's head noun with "a"/"an" unless it is a mass noun ("After it, grass
trails", not "a grass"). ``grammar.EN_MASS`` lists the seed's own; any other lexicon's English
glosses (milk, honey, steam, rice...) need more than a hand list can hold, so this one is
derived from data, never typed:

* the noun: a word of wordfreq's ``TOP`` commonest English words that WordNet 3.0 has as a
  noun and SemCor (WordNet's ``cntlist.rev``) uses as one;
* not a thing counted one by one (``COUNTABLE``: an animal, a person, a place...);
* used without a plural: its regular plural is under ``RATIO`` times as frequent as the word
  itself in wordfreq's lists (milk 0.008, rice 0.002, honey 0.012; tree 0.69, star 0.47).

``grammar.EN_COUNT`` and ``EN_UNIQUE`` win over the list. Needs wordfreq (the test extra) and
Debian's wordnet-base; the default install carries only the text file.

    python scripts/mass_nouns.py            # write the file
    python scripts/mass_nouns.py --check    # exit 1 if the file differs from a rebuild
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from derived import word_list, write_or_check

OUT = Path(__file__).resolve().parent.parent / "src" / "hyperlexicon" / "data" / "en_mass_nouns.txt"
WORDNET = Path("/usr/share/wordnet")
TOP = 30_000  # of wordfreq's ranked English list
RATIO = 0.05  # the most a mass noun's plural may be used, against the word itself
MIN_FREQUENCY = 1e-6  # rarer words say too little by their plural's frequency
# WordNet's lexicographer files of things counted one by one: a noun whose commonest sense is
# an animal, a body part, a person, a place, a natural object, a plant or a quantity is
# counted, however seldom its plural is written (goose, hometown, peninsula, handful)
COUNTABLE = frozenset({"05", "08", "15", "17", "18", "20", "23"})


def wordnet_nouns(root: Path) -> dict[str, str]:
    """Each WordNet noun and the lexicographer file of its commonest sense (``17``:
    noun.object)."""
    data = (root / "data.noun").read_bytes()
    nouns = {}
    with (root / "index.noun").open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line.startswith(" "):
                continue
            fields = line.split()
            offset = int(fields[4 + int(fields[3]) + 2])
            nouns[fields[0]] = data[offset : offset + 20].split()[1].decode()
    return nouns


def plurals(word: str, regular: Callable[[str], str]) -> set[str]:
    """The word's regular plural and the irregular ones its ending may take (fisherman →
    fishermen, millennium → millennia, criterion → criteria, buffalo → buffaloes)."""
    out = {regular(word)}
    if word.endswith("man"):
        out.add(word[:-3] + "men")
    if word.endswith(("um", "on")):
        out.add(word[:-2] + "a")
    if word.endswith("o"):
        out.add(word + "es")
    return out - {word}


def build(root: Path = WORDNET) -> str:
    import simplemma
    import wordfreq

    from hyperlexicon.grammar import EN_COUNT, EN_UNIQUE, en_plural
    from hyperlexicon.thesaurus import word_counts

    nouns = wordnet_nouns(root)
    counts = word_counts(root)
    found = []
    for word in wordfreq.top_n_list("en", TOP):
        if not (word.isascii() and word.isalpha() and len(word) > 2 and word in nouns):
            continue
        if nouns[word] in COUNTABLE:
            continue
        if word in EN_COUNT or word in EN_UNIQUE or word.endswith("s"):
            continue
        if not counts.get(word, {}).get("n"):
            continue
        if simplemma.lemmatize(word, lang="en") != word:  # a plural itself ("men")
            continue
        frequency = wordfreq.word_frequency(word, "en")
        if frequency < MIN_FREQUENCY:
            continue
        plural = max(wordfreq.word_frequency(p, "en") for p in plurals(word, en_plural))
        if plural < RATIO * frequency:
            found.append(word)
    says = (
        f"English nouns used without a plural: of {{wordfreq}}'s {TOP} commonest words,"
        f" WordNet's nouns whose plural is under {RATIO} times as frequent"
    )
    return word_list(found, says, "mass_nouns.py")


def main(argv: list[str]) -> int:
    return write_or_check(OUT, build(), argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
