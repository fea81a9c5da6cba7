"""Word translations between Russian and English, for reaching a lexicon glossed in the other
language than the query's.

The multilingual embedder places a Russian query near English glosses of the same meaning,
but not near enough: on a lexicon glossed in English only, a Russian query finds its entry
among the first five about 70% of the time. A word-for-word translation of the query, added
to it, lifts that (``bench/encode_quality.py`` measures by how much). The translations come
from a real bilingual dictionary installed on the machine, never from the network: by default
V. K. Mueller's English-Russian dictionary (7th edition) in dictd format, which Debian ships as
``mueller7-dict`` (``apt install mueller7-dict``); any dictd English→Russian dictionary in the
same layout, or a tab-separated file of ``english<TAB>russian`` pairs, can be named instead
(``HYPERLEXICON_BILINGUAL``). Without one, nothing is translated and search is as before.

A dictionary is compiled once (a few seconds for Mueller's 46,000 articles) into a SQLite file
in the cache directory, keyed by the source file's size and modification time; later processes
open it in a millisecond and read only the words their queries hold.
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .morphology import FUNCTION_WORDS, english_forms, lemma, nominatives, readings
from .text import script_language, words
from .thesaurus import real_path, word_counts
from .thesaurus import source_for as wordnet_source

log = logging.getLogger(__name__)

# where Debian's packages put their dictd dictionaries, in the order "auto" tries them
SYSTEM_DICTIONARIES = (Path("/usr/share/dictd/mueller7.index"),)
FORMAT = 11  # of the compiled file: a change to the parser, the scoring or the tables raises it
TOP = 3  # translations kept per word and direction
# and, for a Russian word, up to this many more: the headwords further down whose first
# translation it is (самолёт → aircraft, plane, ship, and then airplane, aeroplane)
OWN_SENSES = 2
# an English word's translations in one part of speech are also kept under these prefixes
VERB, NOUN = "v:", "n:"
SENSES = 8  # translations read per part of speech of an article (the first senses)
# a second translation scored within this factor of the first is said beside it (``translate``)
NEAR_SENSE = 1.5

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_HEADWORD = re.compile(r"[a-z][a-z' -]*")
_LATIN = re.compile(r"[A-Za-z]")
# an article that is only a reference to another headword ("grandma [...] = grandmamma",
# "aging = ageing"): a spelling or a short form, which means what the other word means
_REFERENCE = re.compile(r"(?:\[[^\]]*\])?\s*(?:_[^\s.]+\.\s*)*=\s*([a-z][a-z' -]*?)\s*[.;]?")
_RUSSIAN = re.compile(r"[А-Яа-яЁё][А-Яа-яЁё -]*")
# Mueller's part-of-speech labels (_n. noun, _v. verb, _a. adjective …)
_POS = re.compile(r"_(n|v|a|adv|prep|pron|int|cj|num|pl|attr)\.")
# sense numbers "1.", "2)", "а)" start a new sense
_SENSE = re.compile(r"(?:^|\s)(?:\d+\.|\d+\)|[а-я]\))\s")
# homograph numbers "_I", "_II" start a new word of the same spelling (mamma: _I мама,
# _II молочная железа), whose senses are counted from its own first
_HOMOGRAPH = re.compile(r"(?:^|\s)_[IVX]+\s")
_LABEL = re.compile(r"_[^\s.]+\.?")  # usage labels: _перен. _разг. _мор.
_PAREN = re.compile(r"\([^()]*\)")
_TRANSCRIPTION = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class Translations:
    """Each word's best translations into the other language, by the dictionary's order.

    ``ru`` maps a Russian lemma to English words, ``en`` an English lemma to Russian ones;
    each list holds up to ``TOP`` ``(translation, score)`` pairs, best first."""

    source: str
    ru: Mapping[str, list[tuple[str, float]]]
    en: Mapping[str, list[tuple[str, float]]]

    def of(self, word: str, lang: str | None = None) -> list[tuple[str, float]]:
        """Translations of one word (any inflection) from its language into the other."""
        lang = lang if lang in ("ru", "en") else script_language(word)
        table = self.ru if lang == "ru" else self.en if lang == "en" else {}
        return table.get(lemma(word, lang), [])

    def verb(self, word: str) -> list[tuple[str, float]]:
        """An English verb's Russian translations («sleeps» → спать): an article gives its
        nouns first (sleep: сон, спячка), and ``of`` keeps only its first few."""
        return self.en.get(VERB + lemma(word, "en"), [])

    def noun(self, word: str) -> list[tuple[str, float]]:
        """An English noun's Russian translations, or ``of``'s where the dictionary gives
        none as a noun: an article may give its verbs first (train: воспитывать, учить
        before поезд)."""
        return self.en.get(NOUN + lemma(word, "en"), []) or self.of(word, "en")

    def said(self, word: str, lang: str, *, verb: bool = False) -> frozenset[str]:
        """How the other language's glosses may show ``word``'s translations (empty: the
        dictionary does not know it): Russian ones as the lemmas of their content words,
        English ones (headwords, base forms) as those words and their regular inflections,
        which spares a Russian encode the English lemmatizer (``agrees``). ``verb``: an
        English word used as a verb, whose article may give its nouns first ("cook": повар
        before жарить), is said by its verbs too."""
        lang = lang if lang in ("ru", "en") else script_language(word) or ""
        found = self.of(word, lang)
        if verb and lang == "en":
            found = [*found, *self.verb(word)]
        out: set[str] = set()
        for t, _ in found:
            for w in words(t):
                if lang == "ru":  # English headwords: base forms
                    if w.casefold() not in FUNCTION_WORDS:
                        out |= english_forms(w)
                elif lemma(w, "ru") not in FUNCTION_WORDS:
                    out.add(lemma(w, "ru"))
        return frozenset(out)

    def begins_phrase(self, word: str, lang: str) -> bool:
        """Whether some headword of two or more words in ``lang`` may begin with ``word`` (as
        it stands, or for Russian in any of its readings: an adjective agrees with the noun
        after it, «падающую звезду» is the headword падающая звезда). Many words begin none
        (a third of the Russian words of the labelled set, two thirds of the English), and
        asking the dictionary for every run of two to four words they begin was a tenth of a
        warm Russian encode under cProfile; a word that may begin one says nothing of the
        rest."""
        table = self.ru if lang == "ru" else self.en
        keys = phrase_starts(word, lang)
        if isinstance(table, _Table):
            return any(table.begins(k) for k in keys)
        starts = self._starts.get(lang, frozenset())
        return any(k in starts for k in keys)

    def continues_phrase(self, first: str, second: str, second_lemma: str, lang: str) -> bool:
        """Whether some headword of two or more words in ``lang`` may begin with these two
        words (each as ``begins_phrase`` reads a first word; the second also as its lemma,
        which a headword of two words ends in: "shooting stars"). Nearly every pair of a
        text's words begins none, even where its first word begins some: asking the
        dictionary for each run a first word begins, in every spelling a headword may take
        (``headword``), was a tenth of a warm encode."""
        table = self.ru if lang == "ru" else self.en
        firsts = phrase_starts(first, lang)
        seconds = tuple(dict.fromkeys((*phrase_starts(second, lang), second_lemma)))
        if isinstance(table, _Table):
            return table.continues(firsts, seconds)
        pairs = self._pairs.get(lang, frozenset())
        return any((a, b) in pairs for a in firsts for b in seconds)

    @cached_property
    def _pairs(self) -> dict[str, frozenset[tuple[str, str]]]:
        """``phrase_pairs`` of every headword, for tables held in memory."""
        return {
            lang: frozenset(pair for w in table for pair in phrase_pairs(w, lang))
            for lang, table in (("ru", self.ru), ("en", self.en))
        }

    @cached_property
    def _starts(self) -> dict[str, frozenset[str]]:
        """``phrase_starts`` of every headword's first word, for tables held in memory (a
        compiled table keeps them in its file)."""
        return {
            lang: frozenset(k for w in table if " " in w for k in phrase_starts(w.split()[0], lang))
            for lang, table in (("ru", self.ru), ("en", self.en))
        }

    def translate(self, text: str) -> str:
        """The text's content words, each as its best translation (and a second nearly as
        good), in order: what a reader of the other language would search for. Function
        words and words the dictionary does not know are left out; an empty string when
        nothing translates."""
        out: list[str] = []
        written = words(text)
        skip = 0
        for i, word in enumerate(written):
            if i < skip:
                continue
            lang = script_language(word)
            if lang is None or lemma(word, lang) in FUNCTION_WORDS:
                continue
            phrase = self._phrase(written, i, lang)
            if phrase is not None:  # «летучие мыши»: bat, not volatile mouse
                found, skip = phrase
            else:
                found = self.of(word, lang)
            if not found and "-" in word.strip("-"):
                # a compound the dictionary has no article for, said part by part: «мужчина-
                # вампир» is a man and a vampire
                out += [t for t in self.translate(word.replace("-", " ")).split() if t not in out]
            else:
                # the best translation, and for a Russian word the second where it scores
                # nearly as high: two senses a reader may mean (лама: lama and llama; блузка:
                # slip-on, blouse), of which the first alone is often the wrong one. (An
                # English word's are ranked by its article's order alone, which says nothing
                # of how near the second comes.)
                best = found[0][1] if found else 0.0
                said = found[:2] if lang == "ru" else found[:1]
                out += [t for t, sc in said if sc * NEAR_SENSE >= best and t not in out]
        return " ".join(out)

    def _phrase(
        self, written: list[str], i: int, lang: str
    ) -> tuple[list[tuple[str, float]], int] | None:
        """The translations of the longest headword of two or three words that begins at
        ``written[i]``, and the index after it; None where none does."""
        if not self.begins_phrase(written[i], lang):
            return None
        for n in (3, 2):
            run = written[i : i + n]
            if len(run) < n or any(script_language(w) != lang for w in run):
                continue
            found = self.headword(run, lemma(run[-1].casefold().replace("ё", "е"), lang), lang)
            if found:
                return found, i + n
        return None

    def headword(self, run: Sequence[str], last_lemma: str, lang: str) -> list[tuple[str, float]]:
        """The translations of the headword a phrase of a text stands for, empty where the
        dictionary has none. A dictionary writes a phrase in lower case with е for ё, as its
        words stand, with the last in its lemma, or a Russian one of up to three words in
        the nominative («летучие мыши» is the headword летучая мышь; a few hundred
        microseconds a phrase)."""
        words_ = [w.casefold().replace("ё", "е") for w in run]
        spelled = [" ".join(words_), " ".join([*words_[:-1], last_lemma])]
        if lang == "ru" and len(words_) <= 3:
            spelled += nominatives(tuple(words_))
        table = self.ru if lang == "ru" else self.en
        return list(next((f for f in map(table.get, spelled) if f), []))

    def expand(self, text: str) -> str | None:
        """The text followed by its translation (what the index embeds beside the text
        itself), or None when nothing in it translates."""
        translated = self.translate(text)
        return f"{text} {translated}" if translated else None


def phrase_starts(word: str, lang: str) -> tuple[str, ...]:
    """The keys a phrase's first word is filed and asked under (``begins_phrase``): the word
    as the dictionary writes it (lower case, е for ё) and, for Russian, its readings' lemmas.
    The same on both sides, so a phrase's inflection finds its headword's."""
    key = word.casefold().replace("ё", "е")
    return (key, *readings(key)) if lang == "ru" else (key,)


def phrase_pairs(headword: str, lang: str) -> list[tuple[str, str]]:
    """The keys a headword of two or more words is filed under for ``continues_phrase``:
    each ``phrase_starts`` key of its first word with each of its second."""
    words_ = headword.split()
    if len(words_) < 2:
        return []
    return [(a, b) for a in phrase_starts(words_[0], lang) for b in phrase_starts(words_[1], lang)]


def agrees(said: frozenset[str], glosses: tuple[str, ...], lang: str) -> bool | None:
    """Whether a word's translations (``Translations.said``) are among the words of one
    entry's glosses in their language ``lang``: the lexicon's two languages agree that the
    word names the entry. None when either side is empty (the dictionary does not know the
    word, or the entry has no glosses in that language), which says nothing either way."""
    if not said or not glosses:
        return None
    return not said.isdisjoint(gloss_words(glosses, lang))


@lru_cache(maxsize=16_384)
def gloss_words(glosses: tuple[str, ...], lang: str) -> frozenset[str]:
    """The words of one entry's glosses in one language as ``Translations.said`` compares
    them: Russian ones as lemmas, English ones as written (lower case; ``said`` brings the
    inflections). Asked for the same candidates encode after encode, so kept."""
    if lang == "en":
        return frozenset(w.casefold() for g in glosses for w in words(g))
    return frozenset(lemma(w, lang) for g in glosses for w in words(g))


# --- reading dictionaries ---------------------------------------------------------------


def _number(s: str) -> int:
    n = 0
    for ch in s:
        n = n * 64 + _B64.index(ch)
    return n


def read_dictd(index: Path) -> Iterator[tuple[str, list[tuple[str, str | None, int]]]]:
    """An English→Russian dictd dictionary (its ``.index`` beside ``.dict.dz`` or ``.dict``)
    as ``(headword, [(russian, part of speech, sense order), …])``, the translations of
    each part of speech in the article's order. Examples and idioms (the segments after an
    English phrase) and usage notes are left out: what remains is what a word means. An
    article that only refers to another headword ("grandma = grandmamma") has that word's
    translations; a reference to a reference, or to a word with none, has none."""
    data_file = index.with_suffix(".dict.dz")
    if not data_file.is_file():
        data_file = index.with_suffix(".dict")
    if not data_file.is_file():
        raise ConfigError(f"bilingual dictionary {index}: no {index.stem}.dict.dz beside it")
    opener = gzip.open if data_file.suffix == ".dz" else open
    with opener(data_file, "rb") as stream:
        data = stream.read()
    articles: dict[str, list[tuple[str, str | None, int]]] = {}
    references: dict[str, str] = {}
    with index.open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or not _HEADWORD.fullmatch(parts[0]):
                continue  # dictd's own 00-database-* records, phrases with digits
            head, offset, length = parts
            start = _number(offset)
            body = data[start : start + _number(length)].decode("utf-8", "replace")
            text = body.split("\n", 1)[1] if "\n" in body else ""
            found = _translations(text)
            if found:
                articles.setdefault(head, found)
                yield head, found
            elif reference := _REFERENCE.fullmatch(" ".join(text.split())):
                references.setdefault(head, reference.group(1))
    for head, other in references.items():
        if head not in articles and articles.get(other):
            yield head, articles[other]


def _translations(body: str) -> list[tuple[str, str | None, int]]:
    body = " ".join(_TRANSCRIPTION.sub("", body).split())
    out: list[tuple[str, str | None, int]] = []
    for homograph in _HOMOGRAPH.split(body):
        pos: str | None = None
        order: Counter[str | None] = Counter()
        for chunk in _SENSE.split(homograph):
            label = _POS.search(chunk)
            if label:
                pos = label.group(1)
            text = _LABEL.sub(" ", _PAREN.sub("", _PAREN.sub("", chunk)))
            for segment in text.split(";"):
                if _LATIN.search(segment) or "=" in segment:
                    break  # an English example or a cross-reference: the rest is usage
                for item in segment.split(","):
                    item = " ".join(item.split()).strip(" .:!?-")
                    if item and _RUSSIAN.fullmatch(item) and len(item.split()) <= 3:
                        out.append((item, pos, order[pos]))
                        order[pos] += 1
    return out


def read_pairs(path: Path) -> Iterator[tuple[str, list[tuple[str, str | None, int]]]]:
    """A tab-separated file of ``english<TAB>russian`` lines (``#`` comments allowed), the
    better translation of a word first."""
    by_word: dict[str, list[tuple[str, str | None, int]]] = {}
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
                raise ConfigError(f"{path} line {n}: expected english<TAB>russian")
            en, ru = parts[0].strip().casefold(), parts[1].strip()
            found = by_word.setdefault(en, [])
            found.append((ru, None, len(found)))
    yield from by_word.items()


def compile_translations(
    source: str,
    articles: Iterable[tuple[str, list[tuple[str, str | None, int]]]],
    counts: Mapping[str, Mapping[str, int]] | None = None,
) -> Translations:
    """Both directions from English articles. An English word's own translations rank by the
    dictionary's order (the first sense first); a Russian word's English translations rank
    by how early it comes in each English article, divided by its length in words, with the
    article's length as a tie-breaker for common words (a common word has a long article:
    «огонь» is first in both *fire* and *ingle*, and *fire* is the one a reader means).

    With ``counts`` (``thesaurus.word_counts``: how often each English word is used, per part
    of speech), that rank is also weighed by how common the English word is in the part of
    speech of the article's sense: a reversed dictionary lists the rare synonyms whose first
    sense a Russian word is (wench, demoiselle, lass for «девушка»; *even* for «вечер») ahead
    of the common word whose second sense it is (girl, evening).

    Such a headword is still the word's own sense, and the one an entry may be named by where
    the common ones name none («самолёт»: aircraft, plane, ship; ✈️ is "airplane"), so up to
    ``OWN_SENSES`` of them are kept after the first ``TOP``."""
    ru: dict[str, dict[str, float]] = {}
    en: dict[str, list[tuple[str, float]]] = {}
    firsts: dict[str, set[str]] = {}  # a Russian word → the headwords it is the first sense of
    for head, found in articles:
        head_key = " ".join(head.casefold().split())
        commonness = math.log(2 + len(found))
        used = counts.get(head_key, {}) if counts else {}
        seen: set[str] = set()
        for text, pos, order in found:
            if order >= SENSES:
                continue
            key = text.casefold().replace("ё", "е")  # articles give dictionary forms
            if not key or key in seen:
                continue
            seen.add(key)
            score = commonness / (1.0 + 0.5 * order) / len(text.split())
            if used:
                n = used.get(pos, 0) if pos in ("n", "v", "a", "adv") else sum(used.values())
                score *= 1.0 + math.log1p(n)
            score = round(score, 4)
            if score > ru.setdefault(key, {}).get(head_key, 0.0):
                ru[key][head_key] = score
            if order == 0:
                firsts.setdefault(key, set()).add(head_key)
            mine = en.setdefault(head_key, [])
            if len(mine) < TOP:
                mine.append((key, round(1.0 / (1.0 + 0.5 * order), 4)))
            # a part of speech's own, which others may come before (a noun's plural senses
            # and an article without a label are a noun's too)
            if pos in ("v", "n", "pl", None):
                own = en.setdefault((VERB if pos == "v" else NOUN) + head_key, [])
                if len(own) < TOP:
                    own.append((key, round(1.0 / (1.0 + 0.5 * order), 4)))
    # an older dictionary hyphenates compounds a reader writes solid or open (window-sill,
    # alarm-clock): the headword is found as either, where no article of its own has it
    for head in [h for h in en if "-" in h]:
        for alias in (head.replace("-", ""), head.replace("-", " ")):
            en.setdefault(alias, en[head])
    ru_top = {}
    for key, heads in ru.items():
        ranked = sorted(heads.items(), key=lambda kv: (-kv[1], kv[0]))
        own = [kv for kv in ranked[TOP:] if kv[0] in firsts.get(key, ())][:OWN_SENSES]
        ru_top[key] = [*ranked[:TOP], *own]
    return Translations(source, ru_top, en)


# --- the dictionary a setting names ---------------------------------------------------------


def source_for(setting: str) -> Path | None:
    """The file ``HYPERLEXICON_BILINGUAL`` names (``Settings.load`` has checked a path):
    ``auto`` is the first system dictionary installed, or none; ``off`` is none."""
    setting = setting.strip()
    if setting in ("off", ""):
        return None
    if setting == "auto":
        return next((p for p in SYSTEM_DICTIONARIES if p.is_file()), None)
    path = Path(setting).expanduser()
    if not path.is_file():  # settings made in code, or the file gone since they loaded
        raise ConfigError(f"HYPERLEXICON_BILINGUAL: no dictionary at {path}")
    return path


def translations_for(setting: str, wordnet: str = "auto") -> Translations | None:
    """The translations the setting names, compiled once per source file and cached. The
    WordNet ``wordnet`` names (``HYPERLEXICON_THESAURUS``), when there is one, tells which
    English words are common (``compile_translations``)."""
    path = source_for(setting)
    if path is None:
        return None
    st = path.stat()
    root = wordnet_source(wordnet)
    counted = root / "cntlist.rev" if root is not None else None
    cst = counted.stat() if counted is not None and counted.is_file() else None
    with _LOADING:  # two threads asking first must not compile the dictionary twice
        return _load(
            real_path(path, st),
            st.st_size,
            st.st_mtime_ns,
            real_path(counted, cst) if counted is not None and cst is not None else "",
            (cst.st_size, cst.st_mtime_ns) if cst is not None else (0, 0),
        )


_LOADING = threading.Lock()


@lru_cache(maxsize=4)
def _load(
    path: str, size: int, mtime_ns: int, counted: str, counted_at: tuple[int, int]
) -> Translations:
    from .config import cache_dir

    source = Path(path)
    usage = f"-w{counted_at[0]}-{counted_at[1]}" if counted else ""
    name = f"{source.stem}-{size}-{mtime_ns}{usage}-f{FORMAT}.sqlite3"
    compiled = cache_dir() / "bilingual" / name
    try:
        return _open_compiled(path, compiled)
    except (OSError, sqlite3.Error):
        pass  # not compiled yet, or damaged: compile it again
    articles = read_pairs(source) if source.suffix == ".tsv" else read_dictd(source)
    counts = word_counts(Path(counted).parent) if counted else None
    translations = compile_translations(path, articles, counts)
    try:
        _write_compiled(translations, compiled)
        return _open_compiled(path, compiled)
    except (OSError, sqlite3.Error) as exc:
        log.warning("bilingual dictionary not cached at %s (%s)", compiled, exc)
    return translations


class _Table(Mapping[str, list[tuple[str, float]]]):
    """One direction of a compiled dictionary, read word by word from its SQLite file: opening
    it costs a millisecond where loading 100,000 words into dicts costs half a second, and a
    query needs only its own few words."""

    # words whose answers (translations or none) are kept: a warm Russian encode asked the
    # file about 60 times, mostly the same common words as the encode before
    KEPT = 16_384

    def __init__(self, con: sqlite3.Connection, lock: threading.Lock, lang: str) -> None:
        self._con, self._lock, self._lang = con, lock, lang
        self._kept: dict[str, tuple[tuple[str, float], ...]] = {}
        self._begins: dict[str, bool] = {}
        self._continues: dict[tuple[tuple[str, ...], tuple[str, ...]], bool] = {}

    def _read(self, word: str) -> tuple[tuple[str, float], ...]:
        found = self._kept.get(word)
        if found is None:
            with self._lock:
                rows = self._con.execute(
                    "SELECT translation, score FROM tr WHERE lang = ? AND word = ? ORDER BY rank",
                    (self._lang, word),
                ).fetchall()
                if len(self._kept) >= self.KEPT:
                    self._kept.clear()
                found = self._kept[word] = tuple((t, float(sc)) for t, sc in rows)
        return found

    def __getitem__(self, word: str) -> list[tuple[str, float]]:
        found = self._read(word)
        if not found:
            raise KeyError(word)
        return list(found)

    def get(self, word: str, default: Any = None) -> Any:
        """As ``Mapping.get``, without raising and catching ``KeyError`` for a word the
        dictionary lacks: most words and phrases an encode asks are such (about 180 asks an
        encode; 0.34 against 1.34 microseconds an ask, paired over the labelled set's
        words and phrases)."""
        found = self._read(word)
        return list(found) if found else default

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and bool(self._read(word))

    def begins(self, key: str) -> bool:
        """Whether a headword of two or more words begins with a word filed under ``key``
        (``phrase_starts``)."""
        found = self._begins.get(key)
        if found is None:
            with self._lock:
                row = self._con.execute(
                    "SELECT 1 FROM starts WHERE lang = ? AND word = ?", (self._lang, key)
                ).fetchone()
                if len(self._begins) >= self.KEPT:
                    self._begins.clear()
                found = self._begins[key] = row is not None
        return found

    def continues(self, firsts: tuple[str, ...], seconds: tuple[str, ...]) -> bool:
        """Whether a headword of two or more words begins with a word filed under one of
        ``firsts`` and a word filed under one of ``seconds`` (``phrase_pairs``)."""
        key = (firsts, seconds)
        found = self._continues.get(key)
        if found is None:
            marks_a = ", ".join("?" * len(firsts))
            marks_b = ", ".join("?" * len(seconds))
            with self._lock:
                row = self._con.execute(
                    f"SELECT 1 FROM pairs WHERE lang = ? AND a IN ({marks_a})"
                    f" AND b IN ({marks_b}) LIMIT 1",
                    (self._lang, *firsts, *seconds),
                ).fetchone()
                if len(self._continues) >= self.KEPT:
                    self._continues.clear()
                found = self._continues[key] = row is not None
        return found

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            words = self._con.execute(
                "SELECT DISTINCT word FROM tr WHERE lang = ? ORDER BY word", (self._lang,)
            ).fetchall()
        return iter([w for (w,) in words])

    def __len__(self) -> int:
        with self._lock:
            (n,) = self._con.execute(
                "SELECT count(DISTINCT word) FROM tr WHERE lang = ?", (self._lang,)
            ).fetchone()
        return int(n)


def _open_compiled(source: str, compiled: Path) -> Translations:
    if not compiled.is_file():
        raise FileNotFoundError(compiled)
    con = sqlite3.connect(f"{compiled.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    # a damaged file (or one of an older format) fails here, not later
    con.execute("SELECT 1 FROM tr LIMIT 1").fetchall()
    con.execute("SELECT 1 FROM starts LIMIT 1").fetchall()
    con.execute("SELECT 1 FROM pairs LIMIT 1").fetchall()
    lock = threading.Lock()
    return Translations(source, _Table(con, lock, "ru"), _Table(con, lock, "en"))


def _write_compiled(translations: Translations, compiled: Path) -> None:
    compiled.parent.mkdir(parents=True, exist_ok=True)
    tmp = compiled.with_name(f"{compiled.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.execute(
            "CREATE TABLE tr (lang TEXT, word TEXT, rank INTEGER, translation TEXT, score REAL,"
            " PRIMARY KEY (lang, word, rank)) WITHOUT ROWID"
        )
        con.executemany(
            "INSERT INTO tr VALUES (?, ?, ?, ?, ?)",
            (
                (lang, word, rank, text, score)
                for lang, table in (("ru", translations.ru), ("en", translations.en))
                for word, found in table.items()
                for rank, (text, score) in enumerate(found)
            ),
        )
        con.execute(
            "CREATE TABLE starts (lang TEXT, word TEXT, PRIMARY KEY (lang, word)) WITHOUT ROWID"
        )
        con.executemany(
            "INSERT OR IGNORE INTO starts VALUES (?, ?)",
            (
                (lang, key)
                for lang, table in (("ru", translations.ru), ("en", translations.en))
                for word in table
                if " " in word
                for key in phrase_starts(word.split()[0], lang)
            ),
        )
        con.execute(
            "CREATE TABLE pairs (lang TEXT, a TEXT, b TEXT, PRIMARY KEY (lang, a, b)) WITHOUT ROWID"
        )
        con.executemany(
            "INSERT OR IGNORE INTO pairs VALUES (?, ?, ?)",
            (
                (lang, a, b)
                for lang, table in (("ru", translations.ru), ("en", translations.en))
                for word in table
                if " " in word
                for a, b in phrase_pairs(word, lang)
            ),
        )
        con.commit()
    finally:
        con.close()
    tmp.replace(compiled)
