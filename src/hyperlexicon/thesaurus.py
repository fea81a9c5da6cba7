"""Synonyms and broader words of English words, from Princeton WordNet 3.0: how a noun no
gloss names reaches the entry that shows its meaning ("sedan" → car → 🚗, "twister" →
tornado → 🌪️), and, through the bilingual dictionary, how a Russian one does («костёр» →
campfire → fire).

The data is WordNet's own database files as Debian ships them (``apt install wordnet-base``:
``/usr/share/wordnet``), never the network; ``HYPERLEXICON_THESAURUS`` names another
directory holding the same files, or ``off``. Nothing is prepared: WordNet's index files are
sorted, so a word is found by binary search, and a synset's offset is its byte position in
the data file — a lookup is a few reads of memory-mapped files, and opening costs nothing.

A word's related words, for each of its first ``SENSES`` senses (WordNet orders them by how
often they are used; the first weighs most): the other words of the sense (synonyms), its
hypernyms (broader words: a noun's and a verb's, and a noun's hypernyms' hypernyms, weighing
less), an adjective's similar adjectives, an adverb's adjectives (``happily`` → happy).
"""

from __future__ import annotations

import mmap
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .errors import ConfigError

Ranked = list[tuple[str, float]]
SYSTEM_WORDNETS = (Path("/usr/share/wordnet"),)
SENSES = 3  # senses of a word read, most used first
TOP = 12  # related words kept per word and part of speech
POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
# the weight of a related word against a synonym of the same sense
HYPERNYM, HYPERNYM2, SIMILAR, PERTAINYM = 0.6, 0.3, 0.6, 0.8


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
        """The synset offsets of ``lemma``'s senses in ``index.<pos>``, most used first."""
        data = self._map(f"index.{POS[pos]}")
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
        n_senses, n_pointers = int(line[2]), int(line[3])
        return line[4 + n_pointers + 2 :][:n_senses]

    def _synset(self, pos: str, offset: str) -> tuple[list[str], list[tuple[str, str, str]]]:
        """A synset's words (lower case, spaces, no adjective marker) and pointers
        ``(symbol, pos, offset)``; an adjective satellite's pos is ``a``."""
        data = self._map(f"data.{POS['a' if pos == 's' else pos]}")
        at = int(offset)
        end = data.find(b"\n", at)
        fields = data[at:end].decode("utf-8", "replace").split(" | ", 1)[0].split()
        n_words = int(fields[3], 16)
        words = [
            fields[4 + 2 * k].split("(", 1)[0].replace("_", " ").casefold() for k in range(n_words)
        ]
        at = 4 + 2 * n_words
        pointers = [
            (
                fields[at + 1 + 4 * k],
                "a" if fields[at + 3 + 4 * k] == "s" else fields[at + 3 + 4 * k],
                fields[at + 2 + 4 * k],
            )
            for k in range(int(fields[at]))
        ]
        return words, pointers

    def _pointed(self, pos: str, offset: str, symbols: Iterable[str]) -> list[tuple[str, str]]:
        return [(p, o) for sym, p, o in self._synset(pos, offset)[1] if sym in symbols]

    def related(self, lemma: str, pos: Iterable[str] = ("n", "v", "a", "r")) -> Ranked:
        """The lemma's related words for these parts of speech with their weights (1 for a
        synonym of its commonest sense, less for a broader word or a rarer sense), best
        first, each once: lower case, words joined by spaces ("mobile phone")."""
        return list(self._related(" ".join(lemma.casefold().split()), tuple(pos)))

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
    return None if root is None else _open(str(root.resolve()))


@lru_cache(maxsize=4)
def _open(root: str) -> Thesaurus:
    return Thesaurus(Path(root))
