"""Synonyms and broader words of English words, from Princeton WordNet 3.0: how a noun no
gloss names reaches the entry that shows its meaning ("sedan" → car → 🚗, "twister" →
tornado → 🌪️), and, through the bilingual dictionary, how a Russian one does («костёр» →
campfire → fire). Russian nouns also have their own (``RussianThesaurus``: «ливень» → дождь,
«метель» → вьюга, снегопад), which no translation loses on the way.

The data is WordNet's own database files as Debian ships them (``apt install wordnet-base``:
``/usr/share/wordnet``), never the network; ``HYPERLEXICON_THESAURUS`` names another
directory holding the same files, or ``off``. Nothing is prepared: WordNet's index files are
sorted, so a word is found by binary search, and a synset's offset is its byte position in
the data file — a lookup is a few reads of memory-mapped files, and opening costs nothing.

A word's related words, for each of its first ``SENSES`` senses (WordNet orders them by how
often they are used; the first weighs most): the other words of the sense (synonyms), its
hypernyms (broader words: a noun's and a verb's, and a noun's hypernyms' hypernyms, weighing
less), an adjective's similar adjectives, an adverb's adjectives (``happily`` → happy); and
the nouns of a noun's definition (``defined_by``: "mattress" → pad, spring, bed).
"""

from __future__ import annotations

import logging
import mmap
import os
import re
import sqlite3
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .errors import ConfigError

log = logging.getLogger(__name__)

Ranked = list[tuple[str, float]]
SYSTEM_WORDNETS = (Path("/usr/share/wordnet"),)
SENSES = 3  # senses of a word read, most used first
TOP = 12  # related words kept per word and part of speech
POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
# the weight of a related word against a synonym of the same sense
HYPERNYM, HYPERNYM2, SIMILAR, PERTAINYM = 0.6, 0.3, 0.6, 0.8
# a word of kinship (``Thesaurus.person_of``): how far up its broader senses a relative is
# looked for, and the words that tell its sex and its youth
KIN_DEPTH = 7
FEMALE = frozenset(
    "female woman kinswoman girl mother daughter sister wife aunt niece granddaughter".split()
)
MALE = frozenset("male man kinsman boy father son brother husband uncle nephew grandson".split())
YOUNG = frozenset(
    {"child", "offspring", "juvenile", "baby", "grandchild", "female child", "male child"}
)
# a time of day or year (``Thesaurus.is_time``): the broader senses that say so, how far up
TIMES = frozenset({"time period", "clock time"})
TIME_DEPTH = 3
# a word a noun is defined by (``Thesaurus.defined_by``): how far below WordNet's top it must
# be, along its first broader senses, to be specific enough to picture
DEFINING_DEPTH = 5
# a compound noun and its head word (``Thesaurus.kind_of``): the head's senses read, and how
# far up the compound's broader senses the head's are looked for
HEAD_SENSES = 2
KIND_DEPTH = 3
# a word of feeling (``Thesaurus.feelings``): WordNet's lexicographer file of feelings
# (noun.feeling), and how many of an adjective's senses are read (they are finely cut:
# "furious" is first fierce, then angry)
FEELING = "12"
ADJECTIVE_SENSES = 2
# an act of the body (``Thesaurus.body_acts``): WordNet's lexicographer file of them
# (verb.body), and how far up its broader acts are read
BODY = "29"
BODY_DEPTH = 2
# a verb of weather (``Thesaurus.weather_of``): WordNet's files of such verbs (verb.weather)
# and of the weather they make (noun.phenomenon: snowfall, rain, drizzle)
WEATHER, PHENOMENON = "43", "19"
# a person (``Thesaurus.is_person``): WordNet's files of people and of groups of them
PERSON, GROUP = "18", "14"


class Thesaurus:
    """WordNet's database in one directory, read where a word is asked."""

    def __init__(self, root: Path) -> None:
        self.source = str(root)
        self._root = root
        self._maps: dict[str, mmap.mmap] = {}
        self._lock = threading.Lock()

    def _map(self, name: str) -> mmap.mmap:
        with self._lock:
            if name not in self._maps:
                with (self._root / name).open("rb") as f:
                    self._maps[name] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            return self._maps[name]

    def _index(self, pos: str, lemma: str) -> list[str]:
        """The synset offsets of ``lemma``'s senses in ``index.<pos>``, most used first (none
        where the directory holds no such file: a WordNet of nouns only has no verbs)."""
        line = self._line(pos, lemma)
        if not line:
            return []
        n_senses, n_pointers = int(line[2]), int(line[3])
        return line[4 + n_pointers + 2 :][:n_senses]

    def _tagged(self, pos: str, lemma: str) -> int:
        """How many of ``lemma``'s senses as this part of speech the sense-tagged corpus
        uses (``index.<pos>``'s tagsense_cnt): 0 for "large" as a noun, 3 as an adjective."""
        line = self._line(pos, lemma)
        return int(line[4 + int(line[3]) + 1]) if line else 0

    @lru_cache(maxsize=16_384)  # noqa: B019 - one per source, held for the process
    def _line(self, pos: str, lemma: str) -> list[str]:
        """``lemma``'s line of ``index.<pos>``, split; empty where it has none. Kept: a
        definition's words are asked as four parts of speech each (``defined_by``), and
        the same few hundred words define most nouns."""
        try:
            data = self._map(f"index.{POS[pos]}")
        except FileNotFoundError:
            return []
        key = lemma.replace(" ", "_").encode()
        lo, hi = 0, len(data)
        while lo < hi:  # the first line whose word is >= key (the licence's lines sort first)
            mid = (lo + hi) // 2
            start = data.rfind(b"\n", 0, mid) + 1
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            word = b"" if data[start : start + 2] == b"  " else data[start:end].split(b" ", 1)[0]
            if word < key:
                lo = end + 1
            else:
                hi = start
        end = data.find(b"\n", lo)
        line = data[lo : len(data) if end < 0 else end].decode("utf-8", "replace").split()
        if not line or line[0] != key.decode():
            return []
        return line

    @lru_cache(maxsize=16_384)  # noqa: B019 - one per source, held for the process
    def is_adverb_only(self, words: str) -> bool:
        """Whether WordNet has these words as one adverb and not as a noun ("next door", "at
        all", "by heart", "on time"): an idiom, whose words do not say their own things."""
        key = "_".join(words.casefold().split())
        return bool(self._index("r", key)) and not self._index("n", key)

    @lru_cache(maxsize=16_384)  # noqa: B019 - one per source, held for the process
    def is_adjective_only(self, word: str) -> bool:
        """Whether WordNet has the word as an adjective and as nothing else ("furious", not
        "cold" or "knitting"): whatever it says of a thing, it says as a quality."""
        key = "_".join(word.casefold().split())
        return (
            bool(self._index("a", key)) and not self._index("n", key) and not self._index("v", key)
        )

    def is_noun(self, words: str) -> bool:
        """Whether WordNet has these words as one noun ("running shoe", "flying saucer")."""
        return bool(self._index("n", " ".join(words.casefold().split())))

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def kind_of(self, compound: str, head: str) -> bool | None:
        """Whether a compound noun is a kind of what its head word commonly means: one of the
        head's first ``HEAD_SENSES`` senses is the compound's commonest sense or among its
        broader senses, up to ``KIND_DEPTH`` ("spider web" is a web, an entanglement; "polar
        bear" a bear; not "hot spring", a fountain, for spring the season; not "teddy bear", a
        toy). None where WordNet has no such compound."""
        senses = self._index("n", "_".join(compound.casefold().split()))
        if not senses:
            return None
        own = {("n", o) for o in self._index("n", head.casefold())[:HEAD_SENSES]}
        frontier, seen = [("n", senses[0])], set()
        for _ in range(KIND_DEPTH + 1):
            if own & set(frontier):
                return True
            seen.update(frontier)
            frontier = [
                (p, o)
                for pos, off in frontier
                for p, o in self._pointed(pos, off, ("@", "@i"))
                if (p, o) not in seen
            ]
        return False

    @lru_cache(maxsize=16_384)  # noqa: B019 - one per source, held for the process
    def _synset(
        self, pos: str, offset: str
    ) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]:
        """A synset's words (lower case, spaces, no adjective marker) and pointers
        ``(symbol, pos, offset)``; an adjective satellite's pos is ``a``. Kept: the broader
        words of many nouns are the same few synsets, parsed again for each (4,673 parses
        for 120 sentences)."""
        data = self._map(f"data.{POS['a' if pos == 's' else pos]}")
        at = int(offset)
        end = data.find(b"\n", at)
        fields = data[at:end].decode("utf-8", "replace").split(" | ", 1)[0].split()
        n_words = int(fields[3], 16)
        words = tuple(
            fields[4 + 2 * k].split("(", 1)[0].replace("_", " ").casefold() for k in range(n_words)
        )
        at = 4 + 2 * n_words
        pointers = tuple(
            (
                fields[at + 1 + 4 * k],
                "a" if fields[at + 3 + 4 * k] == "s" else fields[at + 3 + 4 * k],
                fields[at + 2 + 4 * k],
            )
            for k in range(int(fields[at]))
        )
        return words, pointers

    def _pointed(self, pos: str, offset: str, symbols: Iterable[str]) -> list[tuple[str, str]]:
        return [(p, o) for sym, p, o in self._synset(pos, offset)[1] if sym in symbols]

    def related(self, lemma: str, pos: Iterable[str] = ("n", "v", "a", "r")) -> Ranked:
        """The lemma's related words for these parts of speech with their weights (1 for a
        synonym of its commonest sense, less for a broader word or a rarer sense), best
        first, each once: lower case, words joined by spaces ("mobile phone")."""
        return list(self._related(" ".join(lemma.casefold().split()), tuple(pos)))

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def person_of(self, noun: str) -> str | None:
        """For a word of kinship (its commonest sense a kind of relative: "sister", "uncle",
        "daughter", "mom") or of a young person ("kid", "toddler", "schoolgirl", "orphan"), the
        plain word for a person of its sex and age, as a picture shows one: girl, boy, child,
        woman or man; None for any other word (a friend, a teacher, a queen bee, a puppy). The
        sex is the first one the sense or its broader senses say, by their words or their
        definition ("uncle" is a kinsman, "mom" is informally a mother); the age is young
        where a broader sense is a child or an offspring. An adult of neither sex said (a
        cousin, a spouse, a grandparent) is None: "person" says less than what a lexicon may
        have for the word itself (👵 for a grandmother)."""
        key = "_".join(noun.casefold().split())
        senses = self._index("n", key)
        if not senses:
            return None
        chain: list[tuple[str, str]] = []  # the first sense and its broader ones, nearest first
        frontier, seen = [("n", senses[0])], set()
        for _ in range(KIN_DEPTH):
            chain += [node for node in frontier if node not in seen]
            seen.update(frontier)
            frontier = [
                (p, o) for pos, off in frontier for p, o in self._pointed(pos, off, ("@", "@i"))
            ]
        words = [self._synset(pos, off)[0] for pos, off in chain]
        young = any(not YOUNG.isdisjoint(w) for w in words[1:])
        kin = any("relative" in w for w in words[1:])
        if not kin and not (young and any("person" in w for w in words[1:])):
            return None  # (a puppy is a young mammal, no person)
        sex = None
        for (pos, off), names in zip(chain, words, strict=True):
            said = set(names) | set(re.findall(r"[a-z]+", self._gloss(pos, off).split(";")[0]))
            female, male = not FEMALE.isdisjoint(said), not MALE.isdisjoint(said)
            if female != male:
                sex = "female" if female else "male"
                break
        if young:
            return {"female": "girl", "male": "boy"}.get(sex or "", "child")
        return {"female": "woman", "male": "man"}.get(sex or "")

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def is_person(self, noun: str) -> bool | None:
        """Whether a noun's commonest sense is a person or a group of people (WordNet's
        noun.person and noun.group: "girl", "kid", "team"; not "flame", whose rarer sense is
        a lover, nor "duck"); None where WordNet lacks the noun."""
        senses = self._index("n", "_".join(noun.casefold().split()))
        if not senses:
            return None
        # (a person as such is one of WordNet's top nouns, not of noun.person)
        return self._lexfile("n", senses[0]) in (PERSON, GROUP) or (
            "person" in self._synset("n", senses[0])[0]
        )

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def defined_by(self, noun: str, n: int = 3) -> tuple[str, ...]:
        """The first ``n`` nouns a noun's commonest sense is defined by, in the order its
        definition says them: what a word the lexicon lacks is a kind of, is used as or is
        made of, where its broader words are too abstract to be pictured ("mattress", a pad:
        … used as a bed; "cocoa", a beverage; "surfboard", a board for riding surf). A word
        of the definition counts where it is mostly a noun (the sense-tagged corpus uses as
        many of its senses as one as anything else, and more than as an adjective: not
        "large", "go", "two") and a specific one, at least ``DEFINING_DEPTH`` below
        WordNet's top ("bed", not "part", "object" or "group"). Nothing for a noun that is
        used as a verb too (in the sense-tagged corpus: "flood", "storm", "box"; not
        "surfboard", a verb WordNet has and the corpus never uses): "a storm floods in" is no
        body of water, and a tagger does not always tell the verb from the noun."""
        key = "_".join(noun.casefold().split())
        senses = self._index("n", key)
        if not senses or self._tagged("v", key):
            return ()
        definition = self._gloss("n", senses[0]).split(";", 1)[0]
        found: list[str] = []
        for word in re.findall(r"[a-z]{3,}", definition.casefold()):
            if len(found) == n:
                break
            base = next((b for b in _noun_bases(word) if self._index("n", b)), None)
            if base is None or base == noun or base in found:
                continue
            if self._a_noun(base) and self._depth(self._index("n", base)[0]) >= DEFINING_DEPTH:
                found.append(base)
        return tuple(found)

    def _a_noun(self, word: str) -> bool:
        """Whether the sense-tagged corpus uses as many of a word's senses as a noun as as
        a verb or an adverb, and more than as an adjective (each asked only if needed)."""
        tagged = self._tagged("n", word)
        return (
            tagged > 0
            and self._tagged("a", word) < tagged
            and self._tagged("v", word) <= tagged
            and self._tagged("r", word) <= tagged
        )

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def _depth(self, offset: str) -> int:
        """How far a noun synset is below WordNet's top, along its first broader senses."""
        depth, node = 0, ("n", offset)
        while depth < DEFINING_DEPTH and (up := self._pointed(*node, ("@", "@i"))):
            depth, node = depth + 1, up[0]
        return depth

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def is_time(self, noun: str) -> bool:
        """Whether the commonest sense of a noun is a time of day or of the year: a period
        ("morning", "evening", "summer") or an hour ("noon", "dusk"), not a unit of time
        ("day", "hour"), close above it."""
        senses = self._index("n", "_".join(noun.casefold().split()))
        if not senses:
            return False
        frontier = [("n", senses[0])]
        for _ in range(TIME_DEPTH):
            frontier = [(p, o) for pos, off in frontier for p, o in self._pointed(pos, off, ("@",))]
            if any(not TIMES.isdisjoint(self._synset(p, o)[0]) for p, o in frontier):
                return True
        return False

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def members_of(self, noun: str) -> tuple[str, ...]:
        """What a collection is made of, where WordNet says so of its commonest sense (its
        member meronyms: a forest's underbrush and trees, a herd's cattle and sheep): one
        word each, the first of each member's words; empty for any other word."""
        senses = self._index("n", "_".join(noun.casefold().split()))
        if not senses:
            return ()
        members = [self._synset(p, o)[0][0] for p, o in self._pointed("n", senses[0], ("%m",))]
        return tuple(dict.fromkeys(m for m in members if " " not in m))

    def feelings(
        self, word: str, pos: tuple[str, ...] = ("n", "a", "r"), senses: int = ADJECTIVE_SENSES
    ) -> tuple[str, ...]:
        """The nouns of the feelings a word says, empty for a word that says none: the words
        of its commonest sense as a noun where that is a feeling ("delight", "fear"), and of
        the feelings one of its first senses as an adjective is the quality of (through the
        head adjective it is like: "terrified" is like afraid: fear; "angry": anger) or, as
        an adverb, pertains to such an adjective ("happily": gleeful: joy, exultation). Not
        a state of the body ("tired", "cold"): WordNet files those apart. Not a verb: "love"
        and "like" say what one prefers as often as what one feels ("she loves to bake").
        ``pos`` names the parts of speech asked ("a" alone for a participle: "terrified")."""
        return self._feelings("_".join(word.casefold().split()), pos, senses)

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def _feelings(self, key: str, pos: tuple[str, ...], senses: int) -> tuple[str, ...]:
        found: list[tuple[str, str]] = []
        noun = self._index("n", key)[:1] if "n" in pos else []
        if noun and self._lexfile("n", noun[0]) == FEELING:
            found.append(("n", noun[0]))
        adjectives = self._index("a", key)[:senses] if "a" in pos else []
        for adverb in self._index("r", key)[:1] if "r" in pos else []:
            adjectives += [o for _, o in self._pointed("r", adverb, ("\\",))]
        for offset in adjectives:
            heads = [("a", offset)]
            if self._satellite(offset):
                heads += self._pointed("a", offset, ("&",))
            found += [(p, o) for hp, ho in heads for p, o in self._pointed(hp, ho, ("+", "="))]
        return tuple(
            dict.fromkeys(
                w
                for p, o in found
                if p == "n" and self._lexfile(p, o) == FEELING
                for w in self._synset(p, o)[0]
            )
        )

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def body_acts(self, verb: str) -> tuple[str, ...]:
        """For a verb whose commonest sense is an act of the body (WordNet's verb.body: "sob",
        "doze", "giggle", "weep"), the one-word verbs of that act and of the broader acts of
        the body it is a kind of, nearest first: "sob" → cry, weep; "doze" → snooze, drowse,
        nap, catnap, sleep; "giggle" → titter, laugh. Empty for any other verb ("rise",
        "bring"): a face shows an act of the body, and only that is asked of it."""
        senses = self._index("v", "_".join(verb.casefold().split()))[:1]
        if not senses or self._lexfile("v", senses[0]) != BODY:
            return ()
        found: list[str] = []
        frontier = [("v", senses[0])]
        for depth in range(BODY_DEPTH + 1):
            found += [w for p, o in frontier for w in self._synset(p, o)[0] if " " not in w]
            if depth < BODY_DEPTH:
                frontier = [
                    (p, o)
                    for pos, off in frontier
                    for p, o in self._pointed(pos, off, ("@",))
                    if self._lexfile(p, o) == BODY
                ]
        key = verb.casefold()
        return tuple(w for w in dict.fromkeys(found) if w != key)

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def weather_of(self, verb: str) -> tuple[str, ...]:
        """For a verb whose commonest sense makes weather (WordNet's verb.weather: "snow",
        "rain", "drizzle", "sleet"), the one-word nouns of the weather it makes, and then of
        the weather its broader verb makes: "drizzle" → drizzle, mizzle, rain, rainfall;
        "snow" → snow, snowfall. Empty for any other verb ("pour", "shine" a light)."""
        senses = self._index("v", "_".join(verb.casefold().split()))[:1]
        if not senses or self._lexfile("v", senses[0]) != WEATHER:
            return ()
        verbs = [("v", senses[0])]
        verbs += [(p, o) for p, o in self._pointed("v", senses[0], ("@",)) if p == "v"]
        return tuple(
            dict.fromkeys(
                w
                for vp, vo in verbs
                if self._lexfile(vp, vo) == WEATHER
                for p, o in self._pointed(vp, vo, ("+",))
                if p == "n" and self._lexfile(p, o) == PHENOMENON
                for w in self._synset(p, o)[0]
                if " " not in w
            )
        )

    def _lexfile(self, pos: str, offset: str) -> str:
        """A synset's lexicographer file number (WordNet's second field: 12 noun.feeling)."""
        data = self._map(f"data.{POS['a' if pos == 's' else pos]}")
        at = int(offset) + len(offset) + 1
        return data[at : at + 2].decode()

    def _satellite(self, offset: str) -> bool:
        """Whether an adjective synset is a satellite (its ``&`` points to its head, not to
        the satellites of a head)."""
        data = self._map("data.adj")
        at = int(offset) + len(offset) + 4
        return data[at : at + 1] == b"s"

    def _gloss(self, pos: str, offset: str) -> str:
        """A synset's definition and examples, as WordNet writes them after its pointers."""
        data = self._map(f"data.{POS['a' if pos == 's' else pos]}")
        at = int(offset)
        line = data[at : data.find(b"\n", at)].decode("utf-8", "replace")
        return line.split(" | ", 1)[1] if " | " in line else ""

    @lru_cache(maxsize=4096)  # noqa: B019 - one per source, held for the process
    def _related(self, key: str, pos: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
        found: dict[str, float] = {}

        def add(words: Iterable[str], score: float) -> None:
            for w in words:
                if w != key and score > found.get(w, 0.0):
                    found[w] = score

        for p in pos:
            for k, offset in enumerate(self._index(p, key)[:SENSES]):
                weight = 1.0 / (1 + k)
                add(self._synset(p, offset)[0], weight)
                if p in ("n", "v"):
                    for hp, hyper in self._pointed(p, offset, ("@", "@i")):
                        add(self._synset(hp, hyper)[0], weight * HYPERNYM)
                        if p == "n":
                            for hp2, hyper2 in self._pointed(hp, hyper, ("@", "@i")):
                                add(self._synset(hp2, hyper2)[0], weight * HYPERNYM2)
                elif p == "a":
                    for sp, similar in self._pointed(p, offset, ("&",)):
                        add(self._synset(sp, similar)[0], weight * SIMILAR)
                else:
                    for ap, adjective in self._pointed(p, offset, ("\\",)):
                        add(self._synset(ap, adjective)[0], weight * PERTAINYM)
        best = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
        return tuple((w, round(sc, 4)) for w, sc in best)


def _noun_bases(word: str) -> tuple[str, ...]:
    """The singulars an English word of a definition may be (WordNet's own rules of
    detachment for nouns), itself first."""
    bases = [word]
    for suffix, ending in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            bases.append(word[: -len(suffix)] + ending)
    if word.endswith("men"):
        bases.append(word[:-3] + "man")
    return tuple(bases)


# a sense key's lexical category (``lemma%1:…``) as a dictionary's part-of-speech label
CATEGORIES = {"1": "n", "2": "v", "3": "a", "4": "adv", "5": "a"}


def word_counts(root: Path) -> dict[str, dict[str, int]]:
    """How often each English word was used, per part of speech, in WordNet's sense-tagged
    corpus (``cntlist.rev``, SemCor's counts; lower case, words joined by spaces): how common
    a word is, which no dictionary's order tells. Empty when the file is absent."""
    counts: dict[str, dict[str, int]] = {}
    path = root / "cntlist.rev"
    if not path.is_file():
        return counts
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) != 3 or "%" not in parts[0] or not parts[2].isdigit():
                continue
            lemma, _, sense = parts[0].partition("%")
            pos = CATEGORIES.get(sense[:1])
            if pos is None:
                continue
            mine = counts.setdefault(lemma.replace("_", " "), {})
            mine[pos] = mine.get(pos, 0) + int(parts[2])
    return counts


def source_for(setting: str) -> Path | None:
    """The WordNet directory ``HYPERLEXICON_THESAURUS`` names (``Settings.load`` has checked a
    path): ``auto`` is the system's, when installed; ``off`` is none."""
    setting = setting.strip()
    if setting in ("off", ""):
        return None
    if setting == "auto":
        return next((p for p in SYSTEM_WORDNETS if (p / "data.noun").is_file()), None)
    path = Path(setting).expanduser()
    if not (path / "data.noun").is_file():
        raise ConfigError(f"HYPERLEXICON_THESAURUS: no WordNet database (data.noun) in {path}")
    return path


def thesaurus_for(setting: str) -> Thesaurus | None:
    """The thesaurus the setting names, one per directory and process."""
    root = source_for(setting)
    return None if root is None else _open(real_path(root, root.stat()))


def real_path(path: Path, st: os.stat_result) -> str:
    """``path`` with its links resolved, as ``st`` (its ``stat``) finds it. Resolving walks
    every component of the path (an ``lstat`` each), and an encode asks for its dictionaries
    and thesauri several times: 0.3 ms of a 12 ms warm encode. The answer is kept per file
    (device and inode), so a link pointed elsewhere is resolved again."""
    return _resolved(str(path), st.st_dev, st.st_ino)


@lru_cache(maxsize=64)
def _resolved(path: str, _device: int, _inode: int) -> str:
    return str(Path(path).resolve())


@lru_cache(maxsize=4)
def _open(root: str) -> Thesaurus:
    return Thesaurus(Path(root))


# --- Russian ------------------------------------------------------------------------------

RU_FORMAT = 3  # of the compiled file: a change to what is compiled raises it
RU_SENSES = 3  # senses of a word read, in the thesaurus's order
RU_TOP = 12  # related words kept per word
_MODERN = re.compile(r"[а-яё]+(?:[ -][а-яё]+)*")  # not the pre-reform spellings (снѣгъ)


def ru_key(word: str) -> str:
    """How the compiled thesaurus spells a word it is asked for: lower case, е for ё."""
    return " ".join(word.casefold().replace("ё", "е").split())


class RussianThesaurus:
    """Synonyms and broader words of Russian nouns, from the Russian Wiktionary's thesaurus
    as the ``wiki-ru-wordnet`` package ships it (a SQLite file of synsets, each a sense with
    its words, and of hypernyms between them). The file is 150 MB of definitions with no
    index on words, so a lookup would scan it (70 ms): it is compiled once into a small file
    in the cache directory, a word's related words in one indexed row, keyed by the source
    file's size and modification time (``russian_thesaurus_for``)."""

    KEPT = 16_384  # words whose answers are kept in the process

    def __init__(self, source: str, compiled: Path) -> None:
        self.source = source
        self._con = sqlite3.connect(
            f"{compiled.as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        self._con.execute("SELECT 1 FROM related LIMIT 1").fetchall()  # damaged: fails here
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[tuple[str, float], ...]] = {}

    def related(self, lemma: str, pos: Iterable[str] = ("n",)) -> Ranked:
        """The lemma's synonyms and broader words with their weights, best first (as
        ``Thesaurus.related``: 1 for a synonym in its first sense, ``HYPERNYM`` for a broader
        word, divided by the sense's place). Wiktionary's thesaurus holds nouns: any other
        part of speech finds nothing."""
        if "n" not in pos:
            return []
        key = ru_key(lemma)
        found = self._kept.get(key)
        if found is None:
            with self._lock:
                row = self._con.execute(
                    "SELECT words FROM related WHERE word = ?", (key,)
                ).fetchone()
            found = tuple(
                (w, float(sc))
                for w, sc in (item.split("\t") for item in (row[0].split("\n") if row else ()))
            )
            if len(self._kept) >= self.KEPT:
                self._kept.clear()
            self._kept[key] = found
        return list(found)


# usage labels of a sense that is not what the word plainly means: figurative, dated,
# vulgar, euphemistic, jargon, regional, mocking (Wiktionary's «конец» is a euphemism first)
_ASIDE = frozenset(
    "п. перен. устар. истор. арх. прост. вульг. обсц. бранн. груб. эвф. неодобр. пренебр. "
    "презр. шутл. ирон. обл. рег. диал. неол.".split()
)
_LABELS = re.compile(r"\s*((?:\{\{[^}]*\}\}[\s,;]*)*)")
_LOOSE = 8  # a synset of more words is a loose row of near words (итог, конец, плод, вывод…)
LOOSE = 0.4  # the weight of a loose row's words: under any use (``bridge.RELATED_WEIGHT``)


def _plain(definition: str) -> bool:
    """Whether a sense, by the usage labels its definition starts with, is what the word
    plainly means: no figurative, dated, vulgar or jargon label."""
    body = definition.split("~ru~", 2)[-1]
    match = _LABELS.match(body)
    head = match.group(1) if match else ""
    for label in re.findall(r"\{\{([^|}]+)", head):
        label = label.strip()
        if label in _ASIDE or label.endswith("жарг."):
            return False
    return True


def compile_russian(source: Path) -> dict[str, Ranked]:
    """Each word of the thesaurus file with its related words: the other words of its first
    ``RU_SENSES`` plain senses (``_plain``) and their broader words. A synset's ids do not
    follow a word's senses in its article, so the senses are taken in id order among the
    plain ones; a synset of more than ``_LOOSE`` words is a loose row, whose words and
    broader words weigh ``LOOSE`` as much."""
    con = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        members: dict[int, list[str]] = {}
        senses: dict[str, list[int]] = {}
        rows = con.execute("SELECT synset_id, lemma, definition FROM synsets ORDER BY synset_id")
        for synset, word, definition in rows:
            word = ru_key(word)
            if not _MODERN.fullmatch(word):
                continue
            mine = members.setdefault(synset, [])
            if word not in mine:
                mine.append(word)
            if _plain(definition) and synset not in senses.setdefault(word, []):
                senses[word].append(synset)
        broader: dict[int, list[int]] = {}
        for synset, hyper in con.execute("SELECT sid, hypersid FROM hypernyms ORDER BY rowid"):
            broader.setdefault(synset, []).append(hyper)
    finally:
        con.close()
    out: dict[str, Ranked] = {}
    for word, synsets in senses.items():
        found: dict[str, float] = {}
        for k, synset in enumerate(synsets[:RU_SENSES]):
            row = members.get(synset, [])
            weight = (LOOSE if len(row) > _LOOSE else 1.0) / (1 + k)
            pairs = [(w, weight) for w in row]
            pairs += [
                (w, weight * HYPERNYM)
                for hyper in broader.get(synset, ())
                for w in members.get(hyper, ())
            ]
            for w, score in pairs:
                if w != word and score > found.get(w, 0.0):
                    found[w] = score
        if found:
            best = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:RU_TOP]
            out[word] = [(w, round(sc, 4)) for w, sc in best]
    return out


def russian_source_for(setting: str) -> Path | None:
    """The thesaurus file ``HYPERLEXICON_THESAURUS_RU`` names: ``auto`` is the one the
    ``wiki-ru-wordnet`` package installed (found without importing it: its connector writes
    to the file it opens), ``off`` none."""
    setting = setting.strip()
    if setting in ("off", ""):
        return None
    if setting == "auto":
        return _installed_russian()
    path = Path(setting).expanduser()
    if not path.is_file():
        raise ConfigError(f"HYPERLEXICON_THESAURUS_RU: no thesaurus file at {path}")
    return path


@lru_cache(maxsize=1)
def _installed_russian() -> Path | None:
    """The file the installed package holds, looked for once per process (finding the
    package took 60 µs of every encode that asked)."""
    from importlib.util import find_spec

    spec = find_spec("wiki_ru_wordnet")
    for root in (spec.submodule_search_locations or ()) if spec else ():
        path = Path(root) / "database" / "wikiwordnet.db"
        if path.is_file():
            return path
    return None


def russian_thesaurus_for(setting: str) -> RussianThesaurus | None:
    """The Russian thesaurus the setting names, compiled once per source file and cached."""
    path = russian_source_for(setting)
    if path is None:
        return None
    st = path.stat()
    with _COMPILING:  # two threads asking first must not compile it twice
        return _open_russian(real_path(path, st), st.st_size, st.st_mtime_ns)


_COMPILING = threading.Lock()


@lru_cache(maxsize=4)
def _open_russian(path: str, size: int, mtime_ns: int) -> RussianThesaurus:
    from .config import cache_dir

    source = Path(path)
    compiled = cache_dir() / "thesaurus" / f"{source.stem}-{size}-{mtime_ns}-f{RU_FORMAT}.sqlite3"
    try:
        return RussianThesaurus(path, compiled)
    except (OSError, sqlite3.Error):
        pass  # not compiled yet, or damaged: compile it again
    try:
        related = compile_russian(source)
    except sqlite3.Error as exc:
        raise ConfigError(f"Russian thesaurus {source}: not a thesaurus file ({exc})") from None
    compiled.parent.mkdir(parents=True, exist_ok=True)
    tmp = compiled.with_name(f"{compiled.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute("CREATE TABLE related (word TEXT PRIMARY KEY, words TEXT) WITHOUT ROWID")
        con.executemany(
            "INSERT INTO related VALUES (?, ?)",
            ((word, "\n".join(f"{w}\t{sc}" for w, sc in found)) for word, found in related.items()),
        )
        con.commit()
    finally:
        con.close()
    tmp.replace(compiled)
    return RussianThesaurus(path, compiled)
