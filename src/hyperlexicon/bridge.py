"""HyperBridge: text → scene, scene → text, a chain of scenes → one concept, question → hypercode.

Encoding runs in layers, each claiming the tokens it explains, strongest first (seed 7.6):

1. **exact**: glyph runs are split by longest match over grapheme clusters against the forms;
   words, Δ-codes and multi-word phrases match forms by key;
2. **lemma**: word n-grams (up to four) match glosses and components by lemma (pymorphy3 for
   Russian, simplemma for English), longest first;
3. **compound**: a Russian word that splits into known meanings (``страхтишина`` → страх +
   тишина) matches the compound with those components, or stays unmatched carrying its split;
4. **semantic**: runs of words still unexplained go to the vector index, and are accepted at
   the semantic threshold of the requested register; whole sentences are compared too, which is
   how usage examples act as scene templates (at the sentence threshold);
5. **archetype**: if no lexeme is strong enough to anchor the scene, the nearest Δ-code does.

Scores fold in the entry's learned weight (``score × (0.75 + 0.25 × weight)``), ties break on
entry id, and the index is queried on its current state, so the same text and the same lexicon
version give the same scene.
"""

from __future__ import annotations

import itertools
import json
import unicodedata
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

import regex

from . import stability as checks
from . import styles
from .bilingual import (
    NEAR_SENSE,
    OWN_SENSES,
    Translations,
    agrees,
    gloss_words,
    translations_for,
)
from .entry import EntryData
from .errors import BadInputError
from .grammar import EN_DETERMINERS
from .morphology import (
    EN_PREPOSITIONS,
    FUNCTION_WORDS,
    acts_shown,
    can_be_noun,
    derived_nouns,
    english_forms,
    english_parts,
    english_readings,
    function_word,
    governed,
    imperfectives,
    known,
    lemma,
    lemma_key,
    modifies,
    numeral,
    only_noun,
    other_lemmas,
    phrase_fragment,
    russian_subject,
    russian_verb,
    russian_verb_forms,
    verb_lemmas,
)
from .scene import Diagnostic, Lexeme, Scene, Unmatched
from .stability import Thresholds
from .text import (
    dominant_script,
    form_key,
    graphemes,
    nfc,
    script_language,
    surrogate_problem,
)
from .text import words as text_words
from .thesaurus import Thesaurus, russian_thesaurus_for, thesaurus_for

if TYPE_CHECKING:
    from .index import VectorHit
    from .store import LemmaHit, Store, StoredEntry
    from .workspace import Workspace

_T = TypeVar("_T")

MAX_TEXT = 20_000
MAX_NGRAM = 4
MAX_GLYPH_FORM = 16  # graphemes: the longest glyph form the exact layer looks for
MIN_COMPOUND = 6  # letters: shorter words are not tried as fused compounds
SCATTER = 2  # content words between the words of a multi-word gloss found apart
SENSE_BAND = 0.06  # candidates this close in score are told apart by their meaning in context
SEMANTIC_K = 5  # nearest entries asked of the index per word, run or sentence
STEM = 5  # letters a Russian verb and a noun of its family share (``_of_its_family``)
# entries asked per lemma and field: a common keyword («snow», «море») belongs to a dozen
# emoji, and the context can only choose among those it is shown
LEMMA_CANDIDATES = 24
# what ends a clause (``_clause``)
CLAUSE_MARKS = frozenset(',;:—–-()«»"')
# answers a process keeps of one lexicon revision (``_Reads``) before it starts afresh. An
# entry held costs about 2.6 kB (the bench's synthetic ones, tracemalloc), so this is some
# 50 MB at most; an encode of a 20-word sentence of new words adds a few hundred answers
MEMO_LIMIT = 20_000
EMPTY_ANSWERS = 16  # answers of nothing (a key, an empty list) kept for the memory of one
OTHERS_HELD = 20_000  # entries not active, kept per revision to filter vector searches by
PHRASE_FACTOR = 0.95  # a gloss whose words are found reordered or apart, against side by side
LAYERS = ("exact", "lemma", "compound", "semantic", "archetype")
PIVOTS = 3  # a word's translations looked up in the other language's glosses
RECIPROCAL = 2  # a first translation's own translations back where the word must be
ACTS = 3  # a Russian verb's translations asked for an entry whose English name shows the act
RELATED = 8  # a word's related words (thesaurus) looked up, best first
# a name of several words found by its head word alone (``Bridge._partial``): its score and
# weight against a whole name's, and the most names a head may head and still say one
PARTIAL = 0.9
HEAD_NAMES = 8
HEAD = "gloss_head"  # the store's field of such a hit (``store.LEMMA_FIELDS``)
RELATED_WEIGHT = 0.5  # the least weight of one: synonyms of two senses, the first's hypernyms
FELT_SENSES = 8  # an adjective said of a person: its senses asked for a feeling (``_felt``)
SYNONYM = 1.0  # the weight of a synonym in a word's first sense (thesaurus.related)
FELT = 3  # the nouns of a word's feelings asked (``Bridge._felt``)
TRANSLATED = 0.9  # the weight of a Russian noun's own translation among its related words
# the weight of a noun its definition is made of (``Thesaurus.defined_by``), and how many
DEFINED, DEFINING = 0.5, 3
SENTENCE_KINDS = ("word", "delta", "glyph")  # what a sentence asked by meaning spans
KIND_ORDER = {"glyph": 0, "delta": 1, "compound": 2, "phrase": 3}
BASE_SCORE = {
    "exact": 1.0,
    "compound": 0.95,
    "gloss0": 0.9,
    "gloss": 0.85,
    "component": 0.7,
}
ARROW_RE = regex.compile(r"\s*(?:→|->|⟶|⇒|=>)\s*")
TOKEN_RE = regex.compile(
    r"""
    (?P<arrow>→|->|⟶|⇒|=>)
    |(?P<delta>[Δ∆]-[\p{L}\p{N}][\p{L}\p{N}_-]*)
    |(?P<word>[\p{L}\p{M}][\p{L}\p{M}\p{Nd}'’-]*)
    |(?P<end>[.!?…]+)
    |(?P<glyph>(?:(?=[^\x00-\x7f])(?![\p{L}\p{N}\s\p{P}])\X)+)
    |(?P<other>\X)
    """,
    regex.VERBOSE,
)
PUNCTUATION = frozenset(',;:.!?…()"«»—–')  # what the English tagger reads as its own token
FORMULA_SPLIT = regex.compile(r"\s+\+\s+")
QUALIFIED = regex.compile(r"^(?P<name>.*?)⟨(?P<form>.+)⟩$")


# --- tokens -------------------------------------------------------------------------------


@dataclass
class Token:
    kind: str  # word | delta | glyph | arrow | end | other
    text: str
    start: int
    end: int
    sentence: int
    phase: int
    lemma: str = ""
    verb_form: bool = False  # a verb here, which no noun gloss spelled like it stands for
    spells: str = ""  # for a verb form, the lemma of the noun it is spelled like («пила»)
    noun: bool | None = None  # a noun here, where a tagger judged it in its sentence (English)
    duration: bool = False  # a numeral or час of a length of time («ждал два часа»): no concept
    idiom: bool = False  # a word of an idiom ("next door", "by heart"): no concept of its own
    adjective: bool = False  # an adjective here, as the tagger read it in its sentence (English)

    @property
    def other_lemmas(self) -> tuple[str, ...]:
        return other_lemmas(self.text) if self.kind == "word" else ()

    @property
    def content(self) -> bool:
        if self.kind == "word":
            return (
                self.text.casefold() not in FUNCTION_WORDS and not self.duration and not self.idiom
            )
        return self.kind in ("glyph", "delta")

    @property
    def hedges(self) -> bool:
        """A word that points, counts, links or hedges (``morphology.function_word``, in
        its own script's language): never asked by meaning, and no gap in the scene where
        nothing explains it, though a lexicon may name one (core's ∵ "because")."""
        return self.kind == "word" and function_word(self.text)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    sentence = phase = 0
    for m in TOKEN_RE.finditer(text):
        kind = m.lastgroup or "other"
        if kind == "other" and m.group().isspace():
            continue
        token = Token(kind, m.group(), m.start(), m.end(), sentence, phase)
        if kind == "word":
            token.lemma = lemma(token.text)
        tokens.append(token)
        if kind == "end":
            sentence += 1
        elif kind == "arrow":
            phase += 1
            sentence += 1
    _mark_verbs(tokens)
    _mark_durations(tokens)
    return tokens


def _mark_durations(tokens: list[Token]) -> None:
    """Mark the count and the unit of a length of time (``_duration``: «два часа», "two
    hours", "half an hour"): a number says how long, and no clock face, no hour glyph stands
    for it."""
    for i in range(len(tokens) - 1):
        if tokens[i + 1].kind == "word" and (
            _duration(tokens, i) or _occasion(tokens, i) or _rate(tokens, i)
        ):
            tokens[i].duration = tokens[i + 1].duration = True
            if i > 0 and tokens[i - 1].text.casefold() == "half":  # half an hour
                tokens[i - 1].duration = True


def _mark_verbs(tokens: list[Token]) -> None:
    """Mark the words that are verbs in their sentence though a noun is spelled the same:
    English by the tagger ("rang", "we *watch*"), Russian by pymorphy3's readings in context
    («она *пила* чай»)."""
    by_sentence: dict[tuple[int, str], list[Token]] = {}
    marks: dict[int, list[Token]] = {}  # each sentence's words and punctuation, in order
    for tok in tokens:
        lang = script_language(tok.text) if tok.kind == "word" else None
        if lang in ("en", "ru"):
            by_sentence.setdefault((tok.sentence, lang), []).append(tok)
        if lang is not None or (tok.kind in ("other", "end") and tok.text in PUNCTUATION):
            marks.setdefault(tok.sentence, []).append(tok)
    for (sentence, lang), words in by_sentence.items():
        texts = [t.text for t in words]
        if lang == "en":
            # with its punctuation, as the tagger's corpus has it: "fire, time and candle" is
            # a list of things, where "fire time candle" read the last as a verb
            own = {id(t) for t in words}
            said = [t for t in marks[sentence] if t.kind != "word" or id(t) in own]
            parts = dict(zip(map(id, said), english_parts([t.text for t in said]), strict=True))
            for tok in words:
                verb, noun, tok.adjective = parts[id(tok)]
                tok.noun = noun
                if verb:  # its verb's lemma ("rose" → "rise"), not the noun's it also spells
                    tok.verb_form, tok.spells = True, tok.lemma
                    tok.lemma = dict(english_readings(tok.text)).get("VERB", tok.lemma)
        else:
            for tok, found in zip(words, russian_verb_forms(texts), strict=True):
                if found is not None:
                    tok.verb_form, tok.spells, tok.lemma = True, tok.lemma, found


def dominant_language(text: str) -> str:
    return dominant_script(text) or "ru"


@dataclass
class _Run:
    """One encode's working state: the tokens, which lexeme claims each, what was found."""

    text: str
    tokens: list[Token]
    lang: str
    register: str | None
    claimed: list[Lexeme | None] = field(default_factory=list)
    lexemes: list[Lexeme] = field(default_factory=list)
    unknown_glyphs: list[tuple[int, int, str]] = field(default_factory=list)
    splits: dict[int, list[str]] = field(default_factory=dict)  # fused words left unmatched
    fused: list[dict[str, Any]] = field(default_factory=list)  # fused words told by their parts
    # a fused word's parts nothing names, and how many parts it has
    unsaid: dict[int, tuple[list[str], int]] = field(default_factory=dict)
    near: list[dict[str, Any]] = field(default_factory=list)  # near misses under threshold
    filtered: dict[str, float] = field(default_factory=dict)  # form -> weight under the floor
    feelings: dict[int, tuple[str, ...]] = field(default_factory=dict)  # word -> its feelings
    persons: dict[int, bool] = field(default_factory=dict)  # verb -> a person may do it
    # words the lemma layer had candidates for, whether their context kept one or not
    judged: set[int] = field(default_factory=set)
    # (word, entry) kept by a thesaurus word at ``keyword_related``: its closeness
    gated: dict[tuple[int, int], float] = field(default_factory=dict)
    # (word, entry) kept as a keyword of the entry: its closeness and the threshold it passed
    keyworded: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)


# --- results ------------------------------------------------------------------------------


@dataclass
class Decoded:
    text: str
    scene: Scene
    style: str
    lang: str
    register: str | None
    unknown: list[str] = field(default_factory=list)
    template: str | None = None  # the entry whose own gloss the rendering used
    # metadata stays data: what the text is about, never read aloud in it
    anchors: list[str] = field(default_factory=list)  # the anchors' forms
    written_register: str | None = None  # the register the text is written in
    relations: list[dict[str, Any]] = field(default_factory=list)  # change, union, part, ...
    field: dict[str, Any] = field(default_factory=dict)  # meanings and register shares (last:
    # the name shadows dataclasses.field in the class body)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "style": self.style,
            "lang": self.lang,
            "register": self.register,
            "unknown": self.unknown,
            "template": self.template,
            "anchors": self.anchors,
            "field": self.field,
            "written_register": self.written_register,
            "relations": self.relations,
            "scene": self.scene.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Decoded:
        return cls(
            d["text"],
            Scene.from_dict(d["scene"]),
            d["style"],
            d["lang"],
            d.get("register"),
            list(d.get("unknown") or ()),
            d.get("template"),
            anchors=list(d.get("anchors") or ()),
            written_register=d.get("written_register"),
            relations=list(d.get("relations") or ()),
            field=dict(d.get("field") or {}),
        )


@dataclass
class Answer:
    question: Scene
    answer: Scene
    text: str
    connector: str
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question.to_dict(),
            "answer": self.answer.to_dict(),
            "hypercode": self.answer.hyperstring,
            "text": self.text,
            "connector": self.connector,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Answer:
        return cls(
            Scene.from_dict(d["question"]),
            Scene.from_dict(d["answer"]),
            d.get("text") or "",
            d["connector"],
            d.get("note") or "",
        )


# --- one request's reads -------------------------------------------------------------------


class _Reads:
    """The store as one encode or decode reads it: entries by id and by form key, lemma hits
    per key, first glosses, known meanings and the revision are each read once per request.

    An encode with its stability check encodes twice and decodes in between, and each step
    asked the store again for entries it already had (29 statements for a 20-word sentence,
    most of them repeats). Here a read asks the store only for what this request has not
    read yet, and answers in the order the store's own select gives on SQLite (ids and keys
    ascending; lemma hits in their fixed order). The memo lives as long as the request, so
    it never serves another request's reads; anything else goes to the store unchanged.

    Given ``memo`` (``Store.memo``: the lexicon's dict for the revision the request began
    at), the reads are kept there, and a later request of the same revision finds them: a
    warm process reads the lemma hits and entries of a common word once, not once per
    encode (at 100k entries they were half of a warm encode). Nothing in them can change
    without a new revision, which starts a new memo."""

    def __init__(self, store: Store, memo: dict[str, Any] | None = None) -> None:
        self._store = store
        memo = {} if memo is None else memo
        self._entries: dict[tuple[str, int], StoredEntry | None] = memo.setdefault("entries", {})
        self._keys: dict[tuple[str, str | None, str], StoredEntry | None] = memo.setdefault(
            "keys", {}
        )
        self._lemmas: dict[tuple[str, str | None, int, str], list[LemmaHit]] = memo.setdefault(
            "lemmas", {}
        )
        self._firsts: dict[tuple[str, str, str], list[int]] = memo.setdefault("firsts", {})
        self._known: dict[tuple[str, str], bool] = memo.setdefault("known", {})
        self._others: dict[str, dict[int, str] | None] = memo.setdefault("others", {})
        self._nearest: dict[tuple[str, str], list[VectorHit]] = memo.setdefault("nearest", {})
        # how many of the answers kept say "nothing" (a form key or a lemma key no entry has)
        self._empty: list[int] = memo.setdefault("empty", [0])
        self._revision: dict[str, int] = {}
        # what the settings name, looked up once a request (``Bridge._once``): the bilingual
        # dictionary (finding it stats its files, 0.2 ms) and WordNet, which an encode asks
        # for three or four times (a stat and a resolve each)
        self.found: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def size(self) -> int:
        """How many answers are kept, as memory goes: entries and lemma keys count one each,
        an answer of nothing one ``EMPTY_ANSWERS``-th. Most keys an encode asks are of no
        gloss (a 20-word sentence's words in pairs and threes, in every order: two hundred
        keys), and counted whole they had a warm process at 100k entries drop what it had
        read every fifty encodes, and read the entries of its common words again."""
        held = (self._entries, self._keys, self._lemmas, self._firsts, self._known, self._nearest)
        empty = self._empty[0]
        return sum(map(len, held)) - empty + empty // EMPTY_ANSWERS

    def nearest(
        self,
        lexicon: str,
        texts: Sequence[str],
        search: Callable[[list[str]], list[list[VectorHit]]],
    ) -> list[list[VectorHit]]:
        """Each text's nearest entries (as the semantic layer asks them), kept for the
        revision: the index answers a text the same way until the lexicon changes, and the
        same words come back encode after encode. Only the texts not kept yet are searched,
        in one call. At 100k entries a text asked of Chroma cost about 0.5 ms in the query
        and as much again in reading its candidates' vectors for the centred ranking."""
        missing = [t for t in dict.fromkeys(texts) if (lexicon, t) not in self._nearest]
        if missing:
            found = search(missing)
            pairs = zip(missing, found, strict=True)
            self._nearest.update(((lexicon, t), hits) for t, hits in pairs)
        return [self._nearest[(lexicon, t)] for t in texts]

    def get_many(self, lexicon: str, ids: Sequence[int]) -> dict[int, StoredEntry]:
        wanted = sorted(set(ids))
        missing = [i for i in wanted if (lexicon, i) not in self._entries]
        if missing:
            got = self._store.get_many(lexicon, missing)
            for i in missing:
                self._entries[(lexicon, i)] = got.get(i)
        out = {}
        for i in wanted:
            stored = self._entries[(lexicon, i)]
            if stored is not None:
                out[i] = stored
        return out

    def statuses(self, lexicon: str, ids: Sequence[int]) -> dict[int, str]:
        """A vector search's statuses, from the lexicon's few entries that are not active
        (read once per revision, kept in the memo): any other entry the index holds is
        active (one deleted since the index answered is dropped where the semantic layer
        reads the entries it keeps). Where too many are not active to keep, from the
        entries themselves."""
        if lexicon not in self._others:
            self._others[lexicon] = self._store.other_statuses(lexicon, "active", OTHERS_HELD)
        others = self._others[lexicon]
        if others is None:
            return {i: stored.data.status for i, stored in self.get_many(lexicon, ids).items()}
        return {i: others.get(i, "active") for i in ids}

    def by_keys(
        self, lexicon: str, keys: Iterable[str], *, status: str | None = "active"
    ) -> dict[str, StoredEntry]:
        # unsorted: a long hyperstring asks for up to 48 windows a cluster (960,000 keys for
        # 20,000 characters), and sorting them twice took a second; the store sorts what it
        # reads, and the answer comes in its order (by key), as the store's does
        wanted = set(keys)
        missing = [k for k in wanted if (lexicon, status, k) not in self._keys]
        if missing:
            got = self._store.by_keys(lexicon, missing, status=status)
            for k in missing:
                self._keys[(lexicon, status, k)] = got.get(k)
            self._empty[0] += len(missing) - len(got)
        hits = sorted(k for k in wanted if self._keys[(lexicon, status, k)] is not None)
        return {k: self._keys[(lexicon, status, k)] for k in hits}

    def by_lemmas(
        self,
        lexicon: str,
        lemma_keys: Iterable[str],
        *,
        status: str | None = "active",
        per_key: int = 5,
    ) -> list[LemmaHit]:
        wanted = sorted(set(lemma_keys))
        missing = [k for k in wanted if (lexicon, status, per_key, k) not in self._lemmas]
        if missing:
            # gathered apart and then kept: another request may be reading the memo
            got: dict[str, list[LemmaHit]] = {k: [] for k in missing}
            for hit in self._store.by_lemmas(lexicon, missing, status=status, per_key=per_key):
                got[hit.lemma].append(hit)
            for v in got.values():
                v.sort(key=lambda h: (h.field, h.position, h.entry_id))
            self._lemmas.update(((lexicon, status, per_key, k), v) for k, v in got.items())
            self._empty[0] += sum(1 for v in got.values() if not v)
        # each key's hits were sorted as they were kept, and the keys are asked in order: the
        # answer is in the store's order (lemma, field, position, entry) without sorting the
        # few hundred hits of every encode again (4% of a warm encode under cProfile)
        return [h for k in wanted for h in self._lemmas[(lexicon, status, per_key, k)]]

    def first_glosses_in(
        self, lexicon: str, langs: Sequence[str], norms: Iterable[str]
    ) -> dict[str, dict[str, list[int]]]:
        wanted = sorted(set(norms))
        missing = [n for n in wanted if any((lexicon, lg, n) not in self._firsts for lg in langs)]
        if missing:
            got = self._store.first_glosses_in(lexicon, langs, missing)
            for lg in langs:
                for n in missing:
                    self._firsts[(lexicon, lg, n)] = got[lg].get(n, [])
        return {
            lg: {n: ids for n in wanted if (ids := self._firsts[(lexicon, lg, n)])} for lg in langs
        }

    def known_meanings(self, lexicon: str, norms: Iterable[str]) -> set[str]:
        wanted = set(norms)
        missing = [n for n in wanted if (lexicon, n) not in self._known]
        if missing:
            got = self._store.known_meanings(lexicon, missing)
            for n in missing:
                self._known[(lexicon, n)] = n in got
        return {n for n in wanted if self._known[(lexicon, n)]}

    def seed_revision(self, lexicon: str, revision: int) -> None:
        self._revision[lexicon] = revision

    def last_revision(self, lexicon: str) -> int:
        if lexicon not in self._revision:
            self._revision[lexicon] = self._store.last_revision(lexicon)
        return self._revision[lexicon]


# --- the bridge ---------------------------------------------------------------------------


class Bridge:
    """HyperBridge over one lexicon (its store and its index)."""

    def __init__(
        self,
        workspace: Workspace,
        thresholds: Thresholds | None = None,
        *,
        layers: Sequence[str] = LAYERS,
        revision: int | None = None,
    ) -> None:
        """``layers`` chooses which of ``LAYERS`` encode runs (all by default): fewer layers
        are how a benchmark measures what each one adds. ``revision`` is the lexicon's last
        revision as the caller has just read it: the first request takes it instead of
        reading it again, unless this process has written to the store since."""
        unknown = set(layers) - set(LAYERS)
        if unknown:
            raise BadInputError(f"unknown bridge layer(s): {', '.join(sorted(unknown))}")
        self.ws = workspace
        self.thresholds = thresholds or Thresholds()
        self.layers = tuple(layers)
        self._reads: _Reads | None = None
        store = workspace.store
        self._revision = (revision, store.writes) if revision is not None else None

    @property
    def store(self) -> Store:
        """The store; during one encode or decode, the same store through that request's
        reads (``_Reads``: what the request has read once is not read again)."""
        reads = self._reads
        return reads if reads is not None else self.ws.store  # type: ignore[return-value]

    def _once(self, name: str, find: Callable[[], _T]) -> _T:
        """What ``find`` gives, found once during a request (every time outside one)."""
        reads = self._reads
        if reads is None:
            return find()
        if name not in reads.found:
            reads.found[name] = find()
        return reads.found[name]

    def _translations(self) -> Translations | None:
        """The bilingual dictionary the settings name, ranked by the WordNet they name."""
        settings = self.ws.settings
        return self._once(
            "translations", lambda: translations_for(settings.bilingual, settings.thesaurus)
        )

    def _wordnet(self) -> Thesaurus | None:
        """The WordNet the settings name."""
        return self._once("wordnet", lambda: thesaurus_for(self.ws.settings.thesaurus))

    def _begin_reads(self) -> _Reads | None:
        """Start a request's reads unless one is under way; what ``_end_reads`` is given."""
        if self._reads is not None:
            return None
        store = self.ws.store
        revision = None
        if self._revision is not None:  # once: a bridge held on to must read it afresh
            known, writes = self._revision
            self._revision = None
            if writes == store.writes:
                revision = known
        if revision is None:  # one statement, which the scene's revision takes
            revision = store.last_revision(self.name)
        self._reads = _Reads(store, store.memo(self.name, revision))
        self._reads.seed_revision(self.name, revision)
        return self._reads

    def _end_reads(self, reads: _Reads | None) -> None:
        if reads is not None and self._reads is reads:
            self._reads = None
            if reads.size() > MEMO_LIMIT:
                self.ws.store.forget_memo(self.name)

    @property
    def name(self) -> str:
        return self.ws.lexicon

    # --- encode -----------------------------------------------------------------------

    def encode(
        self,
        text: str,
        *,
        register: str | None = None,
        lang: str | None = None,
        stability: bool = True,
    ) -> Scene:
        """Text → scene. ``stability`` also runs encode → decode → encode (a second encode).

        BLAS is held to one thread for the whole encode, as each of its matrix products asks
        (``one_blas_thread``): taken once here, the nine or so products of an encode find it
        taken instead of setting and restoring the limit each (0.2 ms of a 12 ms encode)."""
        from .embeddings import one_blas_thread

        steps = self.encode_steps(text, register=register, lang=lang, stability=stability)
        with one_blas_thread():
            while True:
                try:
                    next(steps)
                except StopIteration as done:
                    return done.value

    def encode_steps(
        self,
        text: str,
        *,
        register: str | None = None,
        lang: str | None = None,
        stability: bool = True,
    ) -> Generator[Lexeme, None, Scene]:
        """``encode``, yielding each lexeme as its layer matches it (exact, lemma, compound,
        semantic) and returning the scene, so a dialogue shows lexemes before the slower
        parts — the archetype fall-back, the diagnostics, the stability re-encode — are done.
        A later layer may merge what an earlier one yielded (a phrase over its words): the
        returned scene is the truth."""
        reads = self._begin_reads()
        try:
            return (yield from self._encode_steps(text, register, lang, stability))
        finally:
            self._end_reads(reads)

    def _encode_steps(
        self, text: str, register: str | None, lang: str | None, stability: bool
    ) -> Generator[Lexeme, None, Scene]:
        text = _clean_input(text)
        lang = lang or dominant_language(text)
        t = self.thresholds
        scene = self._formula_scene(text, lang)
        if scene is not None:
            return scene
        run = _Run(text, tokenize(text), lang, register)
        run.claimed = [None] * len(run.tokens)
        self._mark_idioms(run.tokens)
        yielded: set[int] = set()
        steps = {
            "exact": self._exact,
            "lemma": self._lemmas,
            "compound": self._compounds,
            "semantic": self._semantic,
        }
        for name in LAYERS:
            if name not in self.layers or name not in steps:
                continue
            steps[name](run)
            fresh = [lx for lx in run.lexemes if id(lx) not in yielded]
            yielded.update(id(lx) for lx in fresh)
            yield from sorted(fresh, key=lambda lx: lx.span[0] if lx.span else -1)
        scene = Scene(
            lexemes=sorted(
                run.lexemes,
                key=lambda lx: (
                    lx.phase,
                    lx.span[0] if lx.span else -1,
                    -(lx.span[1] if lx.span else 0),
                ),
            ),
            text=text,
            lang=lang,
            lexicon=self.name,
            revision=self.store.last_revision(self.name),
            near_misses=run.near,
            fused=run.fused,
        )
        self._coverage(scene, run)
        for lx in scene.lexemes:
            lx.anchor = lx.score >= t.anchor
        anchor_lost = checks.anchor_loss(scene, t)
        if anchor_lost is not None and scene.coverage < t.density and "archetype" in self.layers:
            # no anchor and little explained: the scene falls apart (seed 12); a scene whose
            # words are explained, if weakly, keeps its own lexemes
            self._archetype(scene, run)
        diagnostics = [
            self._filtered_diagnostic(run),
            self._coupling(scene),
            anchor_lost,
            checks.parasitic(scene, t),
            checks.low_density(scene, t),
            self._unstable(scene, register) if stability else None,
        ]
        scene.diagnostics.extend(d for d in diagnostics if d is not None)
        return scene

    def _usable(
        self, ranked: list[tuple[float, int, Any]], run: _Run
    ) -> list[tuple[float, int, Any]]:
        """The adaptive filter (seed 12.8.3): entries whose weight fell under the floor are
        not candidates; the scene says which were left out."""
        floor = self.thresholds.weight_floor
        if floor <= 0:
            return ranked
        kept = []
        for item in ranked:
            if item[2].data.weight >= floor:
                kept.append(item)
            else:
                run.filtered.setdefault(item[2].data.form, item[2].data.weight)
        return kept

    def _filtered_diagnostic(self, run: _Run) -> Diagnostic | None:
        if not run.filtered:
            return None
        floor = self.thresholds.weight_floor
        forms = sorted(run.filtered)
        return Diagnostic(
            "filtered",
            f"{len(forms)} weak candidate(s) left out (weight under {floor:.2f}): "
            + ", ".join(forms),
            None,
            floor,
            forms,
        )

    def _exact(self, run: _Run) -> None:
        text, tokens, claimed = run.text, run.tokens, run.claimed
        candidates: set[str] = set()
        runs: dict[int, list[tuple[int, int, str]]] = {}
        for i, tok in enumerate(tokens):
            if tok.kind == "glyph":
                clusters = _clusters(tok)
                runs[i] = clusters
                for a in range(len(clusters)):
                    for b in range(a + 1, min(len(clusters), a + MAX_GLYPH_FORM) + 1):
                        candidates.add(form_key("".join(c[2] for c in clusters[a:b])))
            elif tok.kind in ("word", "delta"):
                for n in range(1, MAX_NGRAM + 1):
                    last = _ngram(tokens, i, n)
                    if last is not None:
                        candidates.add(form_key(text[tokens[i].start : tokens[last].end]))
        found = {
            key: stored
            for key, stored in self.store.by_keys(self.name, candidates).items()
            if self._usable([(1.0, stored.id, stored)], run)
        }
        # glyph runs: longest match over grapheme clusters
        for i, clusters in runs.items():
            a = 0
            while a < len(clusters):
                match = None
                for b in range(min(len(clusters), a + MAX_GLYPH_FORM), a, -1):
                    key = form_key("".join(c[2] for c in clusters[a:b]))
                    if key in found:
                        match = (b, found[key])
                        break
                if match is None:
                    run.unknown_glyphs.append(clusters[a])
                    a += 1
                    continue
                b, stored = match
                span = (clusters[a][0], clusters[b - 1][1])
                run.lexemes.append(
                    self._lexeme(
                        stored, "exact", BASE_SCORE["exact"], run.lang, span, text, tokens[i].phase
                    )
                )
                a = b
        # words, Δ-codes and phrases: longest n-gram first
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if tok.kind not in ("word", "delta") or claimed[i] is not None:
                i += 1
                continue
            hit = None
            for n in range(MAX_NGRAM, 0, -1):
                last = _ngram(tokens, i, n)
                if last is None:
                    continue
                key = form_key(text[tok.start : tokens[last].end])
                if key in found:
                    hit = (last, found[key])
                    break
            if hit is None:
                i += 1
                continue
            last, stored = hit
            span = (tok.start, tokens[last].end)
            lx = self._lexeme(stored, "exact", BASE_SCORE["exact"], run.lang, span, text, tok.phase)
            run.lexemes.append(lx)
            for j in range(i, last + 1):
                claimed[j] = lx
            i = last + 1

    def _lemmas(self, run: _Run) -> None:
        """Glosses and components by lemma: first contiguous runs of words (longest first),
        then multi-word glosses whose words the sentence holds in another order or with words
        between them («звезда, что падала» for «падающая звезда»), then single words."""
        tokens, claimed = run.tokens, run.claimed
        keys: set[str] = set()
        for i, tok in enumerate(tokens):
            if tok.kind != "word" or claimed[i] is not None:
                continue
            for n in range(1, MAX_NGRAM + 1):
                last = _ngram(tokens, i, n, words_only=True, free=claimed)
                if last is None or (n == 1 and not tok.content):
                    continue
                keys.add(" ".join(t.lemma for t in tokens[i : last + 1]))
            if tok.content and not tok.verb_form:
                keys.update(tok.other_lemmas)
                keys.update(derived_nouns(tok.text))
            if tok.content:
                keys.update(_own_acts(tok))
        pivots = self._pivots(run)
        phrases = self._phrase_pivots(run)
        keys.update(key for found in phrases.values() for key in found)
        acts = self._acts(run)
        keys.update(key for found in acts.values() for key in found)
        wordnet = self._wordnet()
        body = self._verb_words(run, acts, wordnet.body_acts if wordnet else None)
        # (a Russian verb by its own translations only: «залилась смехом» is no rain, though
        # литься, the imperfective it is made from, is said of rain too)
        weather = self._verb_words(run, acts, wordnet.weather_of if wordnet else None, own=True)
        keys.update(key for found in (*body.values(), *weather.values()) for key in found)
        keys.update(key for found in pivots.values() for group in found for key in group)
        related_keys = self._related_keys(run)
        keys.update(key for found in related_keys.values() for key, _ in found)
        pictured = self._pictured(run)
        keys.update(word for words in pictured.values() for word in words)
        felt = self._felt(run)
        keys.update(f for found in felt.values() for f in found)
        scattered = _scattered(tokens, claimed)
        keys.update(key for key, _, _ in scattered)
        hits = self.store.by_lemmas(self.name, keys, per_key=LEMMA_CANDIDATES)
        heads = [h for h in hits if h.field == HEAD]  # read only if a word asks (``_partial``)
        hits = [h for h in hits if h.field != HEAD]
        entries = self.store.get_many(self.name, sorted({h.entry_id for h in hits})) if hits else {}
        by_key: dict[str, list[tuple[float, int, Any]]] = {}
        named: set[tuple[str, int]] = set()  # (key, entry): the key is the entry's first gloss
        # (a few hundred hits an encode: ``_weighted`` spelled out, the scores looked up once)
        component, gloss0, gloss = (BASE_SCORE[k] for k in ("component", "gloss0", "gloss"))
        written = {t.text.casefold().replace("ё", "е") for t in tokens if t.kind == "word"}
        said_lemmas = {t.lemma for t in tokens if t.kind == "word"}
        ru_text = run.lang == "ru"
        translations = self._translations()
        for h in hits:
            stored = entries.get(h.entry_id)
            if stored is None:
                continue
            if h.field == "gloss" and h.position and h.lang == "ru":
                # a keyword that is a piece of a phrase CLDR split (🤐 «замке» of «рот на
                # замке») names the entry only where the text says that very form
                said = stored.data.glosses.get("ru", ())
                piece = said[h.position] if h.position < len(said) else ""
                if phrase_fragment(piece) and piece.casefold().replace("ё", "е") not in written:
                    continue
                # and one that makes a phrase the dictionary has with another of the entry's
                # keywords (🥳 «день», «рождения»: «день рождения») names it only beside it
                # (in a Russian text: an English one says neither)
                partner = _phrase_partners(said, translations).get(piece) if ru_text else None
                if partner is not None and partner not in said_lemmas:
                    continue
            if h.field == "gloss" and h.lang == "en" and run.lang == "en" and wordnet is not None:
                # an English gloss that is a plural with a meaning of its own, a noun WordNet
                # lists as itself (👓 "glasses", 🩳 "shorts", 🛃 "customs"), is no form of its
                # singular: "a glass of milk" shows no spectacles (an -ing name is no such
                # plural: a verb's act is found by it, "cooked" → 🍳 "cooking"; nor is a
                # Russian word's translation, which the text does not spell: «очки» → glasses)
                said = stored.data.glosses.get("en", ())
                own = said[h.position] if h.position < len(said) else ""
                if (
                    own.endswith("s")
                    and " " not in own
                    and own.casefold() not in written
                    and own.casefold() != h.lemma
                    and wordnet.is_noun(own)
                ):
                    continue
            if h.field == "component":
                base = component
            elif h.position == 0:
                base = gloss0
                named.add((h.lemma, h.entry_id))
            else:
                base = gloss
            found = by_key.get(h.lemma)
            if found is None:
                found = by_key[h.lemma] = []
            found.append((base * (0.75 + 0.25 * stored.data.weight), h.entry_id, stored))
        self._parts_for_wholes(by_key, hits, entries)

        def take(picked: Sequence[int], ranked: list[Any], how: str, factor: float) -> None:
            score, _, stored = ranked[0]
            first, last = min(picked), max(picked)
            span = (tokens[first].start, tokens[last].end)
            lx = self._lexeme(
                stored,
                how,
                score * factor,
                run.lang,
                span,
                run.text,
                tokens[first].phase,
                base_applied=True,
            )
            lx.alternatives = [(s.data.form, round(sc * factor, 4)) for sc, _, s in ranked[1:3]]
            run.lexemes.append(lx)
            for j in picked:
                claimed[j] = lx

        def contiguous(min_n: int) -> None:
            i = 0
            while i < len(tokens):
                tok = tokens[i]
                if tok.kind != "word" or claimed[i] is not None:
                    i += 1
                    continue
                best = None
                for n in range(MAX_NGRAM, min_n - 1, -1):
                    last = _ngram(tokens, i, n, words_only=True, free=claimed)
                    if last is None or (n == 1 and (not tok.content or tok.verb_form)):
                        continue
                    key = " ".join(t.lemma for t in tokens[i : last + 1])
                    if key not in by_key and (i, last) not in phrases:
                        continue  # no gloss has these words (most n-grams): nothing to judge
                    if any(t.duration for t in tokens[i : last + 1]):
                        continue
                    if _attributive(tokens, i, last, run.lang):
                        continue
                    ranked = self._usable(_rank(_best_per_entry(by_key.get(key, []))), run)
                    if not ranked and (i, last) in phrases:
                        # a phrase the dictionary knows, by a translation that is an entry's
                        # whole name ("shooting star" → «падающая звезда»: 🌠)
                        pool = [
                            c
                            for k in phrases[(i, last)]
                            for c in by_key.get(k, [])
                            if (k, c[1]) in named and c[2].data.kind != "delta"
                        ]
                        ranked = self._usable(_rank(_best_per_entry(pool)), run)
                    if ranked:
                        best = (last, ranked)
                        break
                if best is None:
                    i += 1
                    continue
                last, ranked = best
                take(range(i, last + 1), ranked, "lemma", 1.0)
                i = last + 1

        contiguous(2)
        # several words of one gloss, in another order or apart: more words first, then the
        # tighter; a little below the same words side by side, and said so ("phrase")
        found = [c for c in scattered if c[0] in by_key]  # most orders name no gloss
        for key, picked, _ in sorted(found, key=lambda c: (-len(c[1]), c[2], c[1])):
            if any(claimed[j] is not None or tokens[j].duration for j in picked):
                continue
            if _two_things(tokens, sorted(picked), run.lang):
                continue
            ranked = self._usable(_rank(_best_per_entry(by_key.get(key, []))), run)
            if ranked:
                take(sorted(picked), ranked, "phrase", PHRASE_FACTOR)
        # single words: where several entries share the word as a gloss («море» is a keyword
        # of the wave, the dolphin and the shell), the one nearest the word in its context
        # a word whose likeliest lemma names nothing is asked by its other readings («утром»:
        # the adverb first, the noun утро after it)
        singles: list[tuple[int, list[Any]]] = []
        names: dict[int, set[int]] = {}  # the entries each word is the name of
        # each word's keyword threshold: a thing's (a noun, an adjective's noun) is the lowest,
        # a translation's in between, any other word's the strictest (``Thresholds``)
        floors: dict[int, float] = {}
        unfound: list[int] = []  # content words no gloss names in any reading
        # a word's first translation, where it is the word's own sense, and the entries its keys
        # reach
        via: dict[int, tuple[str, frozenset[int]]] = {}
        t = self.thresholds

        def compound(words: str) -> bool:
            """WordNet's nouns, asked only for an -ing word of a candidate's English name."""
            return wordnet is not None and wordnet.is_noun(words)

        def stand(i: int, pool: list[Any], named_: set[int] | None, floor: float | None) -> bool:
            """Take a verb's candidates as its single-word match: the entries it names
            (``named_``; None: every one of them) and its keyword threshold (``floor``)."""
            ranked = self._usable(_rank(_best_per_entry(pool)), run)
            if ranked:
                singles.append((i, ranked))
                names[i] = {c[1] for c in ranked} if named_ is None else named_
                if floor is not None:
                    floors[i] = floor
            return bool(ranked)

        def by_act(i: int, verbs: Sequence[str]) -> bool:
            """A verb stands for an entry whose English name shows the act ("walk": 🚶
            "person walking", "cry": 😢 "crying face"), near enough by ``keyword_act``:
            "got" is no "person getting massage". An entry that pictures a person doing it
            needs a subject that can be one: flames dance, ducks swim, but no man does."""
            pool = [
                c
                for verb in verbs
                for c in by_key.get(verb, [])
                if _shows_act(c[2].data, verb, compound)
            ]
            if any(_shows_person(c[2].data) for c in pool) and not self._person_subject(run, i):
                # nor by the rest of its pictures: a horse that ran wears no 🎽 "running shirt"
                pool = []
            return stand(i, pool, set(), t.keyword_act)

        def by_verb(i: int, verbs: Sequence[str]) -> bool:
            """A verb no name shows by its act (``by_act``) stands, as its name would, for a
            face that shows the act of the body it is a kind of (``Thesaurus.body_acts``:
            "sobbed" → cry: 😢 "crying face"; the embedder puts the verb too far from the
            face for any gate), or else for the entries the weather it makes names, held to a
            noun's threshold as the noun would be (``Thesaurus.weather_of``: "it snows" →
            snow: 🌨️, "drizzling" → drizzle, rain: 🌧, «моросило» → drizzle)."""
            if by_act(i, verbs):
                return True
            faces = [
                c
                for verb in body.get(i, ())
                for c in by_key.get(verb, [])
                if _a_face(c[2].data) and _shows_act(c[2].data, verb, compound)
            ]
            if stand(i, faces, None, None):
                return True
            made = weather.get(i, ())
            pool = [c for noun in made for c in by_key.get(noun, [])]
            return stand(i, pool, {e for noun, e in named if noun in made}, t.keyword_noun)

        for i, tok in enumerate(tokens):
            if tok.kind != "word" or claimed[i] is not None or not tok.content:
                continue
            if tok.verb_form:
                # a verb stands for an entry whose name shows the act, never for the thing
                # it spells (🪰 "fly"); a Russian verb by its English translations (``_acts``)
                if not by_verb(i, (*_own_acts(tok), *acts.get(i, ()))):
                    unfound.append(i)
                continue
            # a Russian verb that can be no noun stands first for an entry whose name shows
            # its act («гуляли» → walk: 🚶 "person walking"), at the acts' threshold, before
            # the things its lemma is a keyword of (👙 of «плавать»); «дуло» may be a noun
            own = _own_acts(tok)
            if own and not _can_be_noun(tok, run.lang) and by_act(i, (*own, *acts.get(i, ()))):
                continue
            # then, for an adjective, the nouns it may be made from («яблочный» → яблоко),
            # which name nothing here: the entry must be near the adjective in meaning
            derived = derived_nouns(tok.text)
            pivot = tuple(dict.fromkeys(k for group in pivots.get(i, ()) for k in group))
            # a rarer translation kept for being the word's own sense (``OWN_SENSES``) names
            # what it names, and brings no keyword of its own: «предупреждение» →
            # premonition, a keyword of 🔮, said "without warning"
            rarer = {k for group in pivots.get(i, ())[PIVOTS:] for k in group} - {
                k for group in pivots.get(i, ())[:PIVOTS] for k in group
            }
            for lemmas_ in ((tok.lemma,), tok.other_lemmas, derived, pivot):
                pool = [
                    c
                    for key in lemmas_
                    for c in by_key.get(key, [])
                    if lemmas_ is not pivot or key not in rarer or (key, c[1]) in named
                ]
                if own:  # a verb of flames or of ducks: no person doing it
                    pool = self._for_its_subject(run, i, pool)
                # an archetype is reached by meaning, never by a word's translation
                if lemmas_ is pivot:
                    pool = [c for c in pool if c[2].data.kind != "delta"]
                ranked = self._usable(_rank(_best_per_entry(pool)), run)
                if ranked:
                    singles.append((i, ranked))
                    borrowed = lemmas_ in (derived, pivot)  # the word names none of them
                    names[i] = {e for key, e in named if key in lemmas_ and not borrowed}
                    # a first translation that translates back to the word is its sense, and so
                    # is any other whose own first translation is the word: an entry it names,
                    # the word names too («сова» → owl → сова: 🦉 "owl", which cross-lingual
                    # nearness alone held under the threshold; «радуга» → arc, bow, rainbow →
                    # радуга: 🌈; not «песня» → air, whose own first sense is воздух)
                    first = lemmas_ is pivot and _reciprocal(self._translations(), tok.text)
                    back = _own_senses(self._translations(), tok.text) if lemmas_ is pivot else ()
                    if first or back:
                        senses = {*back, *((0,) if first else ())}
                        names[i] = {e for k in senses for key, e in named if key in pivots[i][k]}
                    if 0 in back:
                        # and a first translation that is the word's own sense judges its
                        # candidates in its own language, where the embedder puts a word
                        # nearer its meaning; a later one is a rarer sense of the word
                        # ("evening" → вечер, вечеринка: a party), which would bring the
                        # things of that sense (🥳; on the Russian-only lexicon 11 spurious
                        # lexemes fewer for one concept)
                        found = _noun_translations(
                            self._translations(), tok.text, script_language(tok.text) or run.lang
                        )
                        reached = {c[1] for key in pivots[i][0] for c in by_key.get(key, [])}
                        via[i] = (found[0][0], frozenset(reached))
                    if (
                        lemmas_ is not pivot
                        and lemmas_ == (tok.lemma,)
                        and not names[i]
                        and pivots.get(i)
                        and _reciprocal(self._translations(), tok.text)
                    ):
                        # a noun that is only a keyword here («девушка» of 👱‍♀️) and whose
                        # first translation names an entry (girl: 👧): that entry is one more
                        # candidate, judged with the others by the word's context (taken as
                        # the word's name it found more, but «лесу» → wood: 🪵 and «раки» →
                        # cancer: ♋, a first translation not being the word's first sense)
                        first = pivots[i][0]
                        named_ = {e for key, e in named if key in first}
                        extra = [
                            c
                            for key in first
                            for c in by_key.get(key, [])
                            if c[1] in named_ and c[2].data.kind != "delta"
                        ]
                        if extra:
                            both = self._usable(_rank(_best_per_entry([*extra, *pool])), run)
                            singles[-1] = (i, both)
                    # a translation is held to a stricter keyword threshold: it brings the
                    # other language's senses too («ключ» → key as well as spring)
                    if lemmas_ is derived or (lemmas_ is not pivot and _can_be_noun(tok, run.lang)):
                        floors[i] = t.keyword_noun
                    elif lemmas_ is pivot:
                        floors[i] = t.keyword_translation
                    break
            else:
                # a Russian verb no gloss names, by the act its translation shows
                # («улыбнулась» → smile → 🙂 "slightly smiling face")
                if not by_verb(i, (*_own_acts(tok)[1:], *acts.get(i, ()))):
                    unfound.append(i)
        # an adjective before the noun it describes says what that thing is like, as in the
        # semantic layer: an entry it only is a keyword of is held to the strictest keyword
        # threshold (❓ "red question mark" for «красными розами», 🍨 for «холодного молока»).
        # Not one made from a noun that is a gloss of the entry, a thing of its own
        # («яблочный пирог»: 🍏 «зелёное яблоко», «апельсиновый сок»: 🍊, «апельсин»)
        for i, ranked in singles:
            if names.get(i) or not _describes_next(tokens, i):
                continue
            made = set(derived_nouns(tokens[i].text))
            lang = script_language(tokens[i].text) or run.lang
            if made and any(
                made & gloss_words(c[2].data.glosses.get(lang, ()), lang) for c in ranked
            ):
                continue
            floors[i] = max(floors.get(i, t.keyword), t.keyword)
        # a word that names nothing itself and is pictured by another (``_pictured``) stands
        # for the entry that word names, as its own name would ("nephew" → man: 👨, «дочка»
        # → girl: 👧, «лес» → forest → tree: 🌳), before the things it is a keyword of (👭 of
        # «сестра», 🪵 of «лес»)
        for i, words in pictured.items():
            if names.get(i):
                continue
            pictures = next(
                (
                    found
                    for word in words
                    if (
                        found := [
                            c
                            for c in by_key.get(word, [])
                            if (word, c[1]) in named and c[2].data.kind != "delta"
                        ]
                    )
                ),
                [],
            )
            ranked = self._usable(_rank(_best_per_entry(pictures)), run)
            if not ranked:
                continue
            at = next((n for n, (j, _) in enumerate(singles) if j == i), None)
            if at is None:
                singles.append((i, ranked))
            else:
                own = {c[1] for c in ranked}
                singles[at] = (i, [*ranked, *(c for c in singles[at][1] if c[1] not in own)])
            names[i] = {c[1] for c in ranked}
            floors[i] = t.keyword_noun
            if i in unfound:
                unfound.remove(i)
        # a noun no gloss names in any reading is asked by its synonyms and broader words,
        # at ``keyword_related`` (asking them for a noun that is only a keyword of its
        # entries too gave 0.743 / 0.53 instead of 0.746 / 0.50; one whose keyword entries
        # all fall short is asked after them, below)
        # (word, entry) found by the thesaurus, with the weight of the related word that led
        # there: a synonym in the word's first sense (1) or a broader word or rarer sense
        related: dict[tuple[int, int], float] = {}

        def by_related(
            words: Sequence[int], heads: Sequence[LemmaHit]
        ) -> list[tuple[int, list[Any]]]:
            """The words' candidates by their related words and by the names they head."""
            found = self._partial(run, words, heads, related_keys)
            partial.update(found)
            out = []
            for i in words:
                weights: dict[int, float] = {}
                pool = []
                for key, weight in related_keys.get(i, ()):
                    for score, entry_id, stored in by_key.get(key, []):
                        if stored.data.kind != "delta":
                            pool.append((score * weight, entry_id, stored))
                            weights[entry_id] = max(weight, weights.get(entry_id, 0.0))
                for c in found.get(i, ()):
                    pool.append(c)
                    weights[c[1]] = max(PARTIAL, weights.get(c[1], 0.0))
                ranked = self._usable(_rank(_best_per_entry(pool)), run)[:LEMMA_CANDIDATES]
                if ranked:
                    out.append((i, ranked))
                    names[i] = set()
                    related.update(((i, c[1]), weights[c[1]]) for c in ranked)
            return out

        partial: dict[int, list[tuple[float, int, Any]]] = {}
        singles += by_related(unfound, heads)
        # a word of feeling stands for a face its feeling is a keyword of, as a synonym's
        # entry would ("angry": anger → 😠; «радостно» → gaily: joy, радость → 😀), where a
        # gloss has not taken it ("alarm" of ⏰ "alarm clock"); main set 0.819 / 0.668 /
        # 0.390 → 0.822 / 0.671 / 0.387 (held-out sets the same)
        for i, found in felt.items():
            faces = [c for f in found for c in by_key.get(f, []) if _a_face(c[2].data)]
            if not faces or claimed[i] is not None:
                continue
            at = next((n for n, (j, _) in enumerate(singles) if j == i), None)
            own = singles[at][1] if at is not None else []
            have = {c[1] for c in own}
            more = [c for c in self._usable(_rank(_best_per_entry(faces)), run) if c[1] not in have]
            if not more:
                continue
            related.update(((i, c[1]), SYNONYM) for c in more)
            names.setdefault(i, set())
            if at is None:
                singles.append((i, more))
            else:
                singles[at] = (i, [*own, *more])
            if i in unfound:
                unfound.remove(i)
        synonyms = {
            i: [key for key, weight in found if weight >= SYNONYM]
            for i, found in related_keys.items()
        }
        judged = self._by_context(run, singles, names, floors, related, synonyms, via)
        # a noun that is only a keyword of entries its context judged none of its sense
        # («ливень» of ☔ "umbrella with rain drops") is asked by its related words after
        # all, as one no gloss names is («ливень» → дождь: 🌧); only a word that can be
        # nothing but a noun ("passing", "wave" brought 🚶 and the like), and not by the
        # names it heads («руку» → 🦾 "mechanical arm", where the semantic layer finds ✋).
        # Main set 0.823 / 0.674 / 0.368 → 0.827 / 0.680 / 0.381; Russian-only lexicon 0.611
        # → 0.616 for no spurious lexeme more (docs/bridge.md, "Stop 56")
        kept = {i for i, _ in judged}
        fallen = [
            i
            for i, _ in singles
            if i not in kept
            and i in related_keys
            and i not in unfound
            and not names.get(i)
            and only_noun(tokens[i].text)
        ]
        if fallen:
            judged += self._by_context(
                run, by_related(fallen, ()), names, floors, related, synonyms, via
            )
        for i, ranked in judged:
            how = "related" if (i, ranked[0][1]) in related else "lemma"
            if any(c[1] == ranked[0][1] for c in partial.get(i, ())):
                how = "partial"  # the word is its name's head, not its whole name
            elif how == "lemma" and (i, ranked[0][1]) in run.keyworded:
                how = "keyword"  # one of the entry's further glosses, near enough
            take([i], ranked, how, 1.0)
            if (i, ranked[0][1]) in run.gated and _weakly(related, i, ranked[0][1]):
                run.lexemes[-1].closeness = round(run.gated[(i, ranked[0][1])], 4)
            if how == "keyword":
                near_, floor = run.keyworded[(i, ranked[0][1])]
                run.lexemes[-1].closeness = round(near_, 4)
                run.lexemes[-1].threshold = round(floor, 4)
        _join_neighbours(run)

    def _partial(
        self,
        run: _Run,
        unfound: Sequence[int],
        heads: Sequence[LemmaHit],
        related_keys: dict[int, list[tuple[str, float]]],
    ) -> dict[int, list[tuple[float, int, Any]]]:
        """Each noun no gloss names: the entries whose name of several words it heads
        (``morphology.name_parts``: «женщина» of 👵 «пожилая женщина», "night" of 🌃 "night
        with stars"), or one of its synonyms or broader words heads («кофе» → beverage: ☕
        "hot beverage"), as candidates scored ``PARTIAL`` below a name (and by the related
        word's weight) and judged by context as a broader word's entry is
        (``keyword_related``, ``related_hub``): the issue's partial match of a gloss by its
        head word. A name that says another thing besides its head ("*moon* cake", «бокал
        *вина*») is a kind of its own and stands for the word only
        where the sentence says that thing too; a head of more than ``HEAD_NAMES`` names
        ("face", "person") says none of them. Names-only main set 0.637 → 0.674 concepts for
        0.362 → 0.378 spurious a sentence (docs/bridge.md, "Stop 55")."""
        tokens = run.tokens
        nouns = {
            i: (
                (tokens[i].lemma, 1.0),
                *((o, 1.0) for o in tokens[i].other_lemmas),
                *related_keys.get(i, ()),
            )
            for i in unfound
            if not tokens[i].verb_form and _can_be_noun(tokens[i], run.lang)
        }
        if not heads or not nouns:
            return {}
        by_head: dict[str, list[LemmaHit]] = {}
        for h in heads:
            by_head.setdefault(h.lemma, []).append(h)
        said: set[str] = set()
        for tok in tokens:
            if tok.kind == "word":
                said.update((tok.lemma, tok.text.casefold(), *tok.other_lemmas))
                said.update(derived_nouns(tok.text))
        out: dict[int, list[tuple[float, int, Any]]] = {}
        asked: list[tuple[int, int, float]] = []
        for i, keys in nouns.items():
            for key, weight in keys:
                found = by_head.get(key, [])
                if len({h.entry_id for h in found}) > HEAD_NAMES:
                    continue
                for h in found:
                    things = json.loads(h.things or "[]")
                    if not any(said.isdisjoint(thing) for thing in things):
                        asked.append((i, h.entry_id, weight))
        # the entries themselves, read only for the heads that stand (most encodes: none)
        if not asked:
            return out
        entries = self.store.get_many(self.name, sorted({e for _, e, _ in asked}))
        for i, entry_id, weight in asked:
            stored = entries.get(entry_id)
            if stored is None or stored.data.kind == "delta":
                continue
            score = _weighted(BASE_SCORE["gloss0"], stored.data) * PARTIAL * weight
            out.setdefault(i, []).append((score, entry_id, stored))
        return out

    def _parts_for_wholes(
        self,
        by_key: dict[str, list[tuple[float, int, Any]]],
        hits: Sequence[LemmaHit],
        entries: dict[int, StoredEntry],
    ) -> None:
        """A key that names no entry but is the meaning of a component linked to an entry of
        its own stands for that entry, not for the whole it is a part of: «рост закон солнце
        единство» is ⟁☰☉⚭, the second half of the scene 🜂⧖🕯 → ⟁☰☉⚭, and the scene would
        add a first half («огонь, время, свеча») the text did not say. A component with no
        link, or one whose link the lexicon lacks, stands for its whole as before."""
        glossed = {h.lemma for h in hits if h.field != "component"}
        links: dict[tuple[str, int], str] = {}
        for h in hits:
            stored = entries.get(h.entry_id)
            if h.field != "component" or h.lemma in glossed or stored is None:
                continue
            parts = stored.data.components
            if 0 <= h.position < len(parts) and parts[h.position].ref:
                links[(h.lemma, h.entry_id)] = form_key(parts[h.position].ref)
        if not links:
            return
        found = self.store.by_keys(self.name, set(links.values()))
        for key, candidates in by_key.items():
            if key in glossed:
                continue
            redone = []
            for score, entry_id, stored in candidates:
                part = found.get(links.get((key, entry_id), ""))
                if part is None:
                    redone.append((score, entry_id, stored))
                else:
                    redone.append((_weighted(BASE_SCORE["component"], part.data), part.id, part))
            by_key[key] = redone

    def _related_keys(self, run: _Run) -> dict[int, list[tuple[str, float]]]:
        """Each noun's synonyms, broader words and defining nouns in the thesaurus, as lemma
        keys with their weights (WordNet: "sedan" → car, "twister" → tornado, "mattress" →
        bed; a Russian noun by its own thesaurus, «ливень» → дождь, and by its translations
        and theirs: «костёр» → campfire → fire), asked in the same statement as the words'
        own keys; only a noun no gloss names in any reading uses them (``_lemmas``). Empty
        without a thesaurus."""
        nouns = _free_nouns(run)
        if not nouns:
            return {}
        settings = self.ws.settings
        thesaurus = self._wordnet()
        russian_nouns = any(script_language(run.tokens[i].text) == "ru" for i in nouns)
        own = russian_thesaurus_for(settings.thesaurus_ru) if russian_nouns else None
        if thesaurus is None and own is None:
            return {}
        translations = self._translations() if thesaurus is not None else None
        out: dict[int, list[tuple[str, float]]] = {}
        for i in nouns:
            tok = run.tokens[i]
            russian = script_language(tok.text) == "ru"
            keys: dict[str, float] = {}
            if russian and own is not None:
                for word, weight in own.related(tok.lemma)[:RELATED]:
                    if weight >= RELATED_WEIGHT:
                        key = lemma_key(word, "ru")
                        keys[key] = max(weight, keys.get(key, 0.0))
            if not russian:
                english = [tok.lemma]
            elif translations is not None:
                english = [w for w, _ in translations.of(tok.text, "ru")[:PIVOTS] if " " not in w]
            else:
                english = []
            for word in english if thesaurus is not None else ():
                if russian:
                    # the translation itself, as a pivot is, but no synonym: it brings its
                    # other senses (0.761 / 0.498 spurious as a synonym, 0.761 / 0.492 not)
                    keys.setdefault(word, TRANSLATED)
                for key, weight in thesaurus.related(word, ("n",))[:RELATED]:
                    if weight >= RELATED_WEIGHT:
                        # a translation's synonym is none of the word's own: the translation
                        # brings its other senses («конец» → close → conclusion)
                        weight = min(weight, TRANSLATED) if russian else weight
                        keys[key] = max(weight, keys.get(key, 0.0))
                # and the first nouns of its definition, where its broader words are too
                # abstract to be pictured ("mattress", a pad "used as a bed": 🛏️), held to
                # ``keyword_related`` as a broader word is (main set 0.817 / 0.661 / 0.387
                # → 0.819 / 0.668 / 0.390; the second held-out set 0.829 → 0.835)
                for key in thesaurus.defined_by(word, DEFINING):
                    keys.setdefault(key, DEFINED)
            if keys:
                out[i] = list(keys.items())
        return out

    def _pictured(self, run: _Run) -> dict[int, tuple[str, ...]]:
        """The free nouns that WordNet says another word pictures, with those words in order
        of preference: a word of kinship the plain word for a person of its sex and age
        (``Thesaurus.person_of``: "sister" → woman, "son" → boy), a collection what it is made
        of (``Thesaurus.members_of``: "forest" → underbrush, tree). A Russian word by the
        first of its first translations that has any and translates back to it («папа»: pop,
        pa → man); a word the dictionary lacks by its synonyms' («дочка»: дочь → daughter).
        The picture is a glyph, never an archetype (Δ-child). Empty without WordNet."""
        nouns = _free_nouns(run)
        wordnet = self._wordnet() if nouns else None
        if wordnet is None:
            return {}
        translations = None
        out: dict[int, tuple[str, ...]] = {}

        def pictures(word: str) -> tuple[str, ...]:
            person = wordnet.person_of(word)
            return (person,) if person is not None else wordnet.members_of(word)

        def back(w: str, said: set[str]) -> bool:
            """Whether a translation is the word's own sense: it translates back to it (not
            brother for «коллега», whose translations hold it as a form of address). A
            translation is a headword, asked as it is (no English lemmatizer loads)."""
            assert translations is not None
            found = translations.en.get(w.casefold(), [])[:RECIPROCAL]
            return any(lemma_key(t, "ru") in said for t, _ in found)

        for i in nouns:
            tok = run.tokens[i]
            said: set[str] | None = None
            if _english(tok):
                words = [tok.lemma]
            else:
                # its translations, and where it has none those of its synonyms («дочка»:
                # дочь → daughter)
                translations = translations or self._translations()
                if translations is None:
                    return out
                sources = [tok.lemma]
                words = [w for w, _ in translations.of(tok.text, "ru")[:PIVOTS]]
                if not words:
                    own = russian_thesaurus_for(self.ws.settings.thesaurus_ru)
                    sources = (
                        [w for w, weight in own.related(tok.lemma) if weight >= SYNONYM][:PIVOTS]
                        if own
                        else []
                    )
                    words = [w for word in sources for w, _ in translations.of(word, "ru")[:1]]
                said = {lemma_key(w, "ru") for w in sources}
            # (pictures first: most words have none, and the way back costs an analysis)
            found = next(
                (p for w in words if (p := pictures(w)) and (said is None or back(w, said))), ()
            )
            if found:
                out[i] = found
        return out

    def _feels(self, run: _Run, i: int) -> tuple[str, ...]:
        """The feelings a word says, as English nouns (``Thesaurus.feelings``: "terrified"
        → fear, terror; "happily" → joy; a Russian word by its first translations:
        «радости» → joy, «весело» → merrily → joy); empty for any other word and without
        WordNet. A glyph shows a feeling on a face (``_a_face``), so such a word stands for a
        face it is a keyword of at a noun's threshold, and for the nearest face near enough
        to it by meaning (``Thresholds.feeling``). Asked only of a word with a face among its
        candidates."""
        if i not in run.feelings:
            wordnet = self._wordnet()
            words, pos = self._feeling_words(run.tokens[i], PIVOTS)
            run.feelings[i] = (
                tuple(dict.fromkeys(f for w in words for f in wordnet.feelings(w, pos)))
                if wordnet is not None
                else ()
            )
        return run.feelings[i]

    def _feeling_words(self, tok: Token, pivots: int) -> tuple[list[str], tuple[str, ...]]:
        """The English words a word's feelings are asked by, and as which parts of speech:
        an English word as written and as its lemma, a participle as an adjective ("we were
        terrified"), a Russian word by its first ``pivots`` translations. None for a Russian
        verb: a verb of feeling says what one prefers as often as what one feels («любит
        печь»), and its translation would be asked as its noun (love)."""
        if not _english(tok) and russian_verb(tok.text):
            return [], ()
        if tok.verb_form:
            return [tok.text.casefold()], ("a",)
        if _english(tok):
            return list(dict.fromkeys((tok.text.casefold(), tok.lemma))), ("n", "a", "r")
        translations = self._translations()
        said = translations.of(tok.text, "ru")[:pivots] if translations else []
        return [w for w, _ in said], ("n", "a", "r")

    def _mark_idioms(self, tokens: list[Token]) -> None:
        """Mark the words of English runs of two or three that WordNet knows as an adverb and
        not as a noun ("next door", "at all", "by heart", "on time", "on earth"): an idiom,
        none of whose words says its own thing (no 🚪 for "the music from next door", no 🫀
        for a poem learned by heart). Nothing without WordNet. Main set 0.822 / 0.671 /
        0.387 → 0.822 / 0.671 / 0.381; the held-out sets the same."""
        wordnet = self._wordnet()
        if wordnet is None:
            return
        for i, tok in enumerate(tokens):
            if tok.kind != "word" or not _english(tok):
                continue
            for last in (i + 1, i + 2):  # words side by side, in one sentence
                if last >= len(tokens) or tokens[last].kind != "word":
                    break
                if tokens[last].sentence != tok.sentence:
                    break
                run = tokens[i : last + 1]
                if wordnet.is_adverb_only(" ".join(t.text for t in run)):
                    for t in run:
                        t.idiom = True

    def _felt(self, run: _Run) -> dict[int, tuple[str, ...]]:
        """The feelings each free word that is no verb says in its first sense, as the lemma
        keys of the first ``FELT`` of their nouns and those nouns' first Russian words:
        "angry" → anger, choler, ire and гнев; «радостно» → gaily → joy, joyousness,
        joyfulness and радость (``Thesaurus.feelings`` of an adjective's first sense only:
        "warm" is first a temperature, and only then affection; a Russian word by its first
        translation). CLDR's «радость» is a keyword of 😀, its "joy" only of faces in tears.
        An English word WordNet has only as an adjective, said of a person ("he was
        furious"), is read in its later senses too where its first says no feeling. Empty
        without WordNet."""
        wordnet = self._wordnet()
        if wordnet is None:
            return {}
        translations = self._translations()
        out: dict[int, tuple[str, ...]] = {}
        for i, tok in enumerate(run.tokens):
            if tok.kind != "word" or run.claimed[i] is not None or not tok.content:
                continue
            if tok.verb_form:  # a verb of feeling says what one prefers (``feelings``)
                continue
            words, pos = self._feeling_words(tok, 1)
            felt = dict.fromkeys(f for w in words for f in wordnet.feelings(w, pos, senses=1))
            if (
                not felt
                and _english(tok)
                and wordnet.is_adjective_only(tok.text)
                and self._person_subject(run, i)
            ):
                # an adjective said of a person says what the person feels in whichever sense
                # is a feeling: WordNet puts "furious" winds first, and the angry man third
                felt = dict.fromkeys(wordnet.feelings(tok.text, ("a",), senses=FELT_SENSES))
            found = tuple(felt)[:FELT]
            if not found:
                continue
            # (WordNet's words are headwords as the dictionary writes them: asked as they
            # stand, not through ``of``, whose English lemmatizer a Russian encode would load)
            russian = (
                tuple(
                    lemma_key(w, "ru")
                    for f in found
                    for w, _ in translations.en.get(f, [])[:1]
                    if " " not in w
                )
                if translations is not None
                else ()
            )
            out[i] = tuple(dict.fromkeys((*found, *russian)))
        return out

    def _for_its_subject(self, run: _Run, i: int, pool: list[Any]) -> list[Any]:
        """A verb's candidates without those that picture a person doing its act, where its
        subject can be no person (``_person_subject``: flames dance, but no 🕺)."""
        if any(_shows_person(c[2].data) for c in pool) and not self._person_subject(run, i):
            return [c for c in pool if not _shows_person(c[2].data)]
        return pool

    def _person_subject(self, run: _Run, i: int) -> bool:
        """Whether the verb at ``i`` may be done by a person: its subject is a person, a
        group of people or a name (WordNet's commonest sense of it; a Russian noun's through
        its first translations), or the sentence names no subject (an imperative, a bare
        verb). Asked of a verb whose act an entry pictures with a person in it, and of an
        English adjective whose feeling only a later sense says (``_felt``: "he was
        furious", where the nouns before it are its subject too). An
        English verb's subject is not looked for: any noun before it in its sentence that is
        no preposition's object may be it ("the boy who lives next door swims"), so only a
        sentence none of whose such nouns can be a person says no ("Flames danced"). Kept
        for the encode: the lemma and semantic layers may both ask."""
        if i not in run.persons:
            run.persons[i] = self._subject_may_be_person(run, i)
        return run.persons[i]

    def _subject_may_be_person(self, run: _Run, i: int) -> bool:
        tokens, tok = run.tokens, run.tokens[i]
        wordnet = self._wordnet()
        if script_language(tok.text) == "ru":
            # the words of its clause: a long sentence's other clauses have subjects of
            # their own, which agree with the verb as well
            words = [j for j in _clause(tokens, i) if tokens[j].kind == "word"]
            found = russian_subject([tokens[j].text for j in words], words.index(i))
            if found is None:
                return True
            noun, person = found
            if person is not None:
                return person
            # a noun, by its translations: a dictionary's first one is not always the word's
            # sense (спортсмен: sport, sportsman), so one scored nearly as high will do as
            # well (not утка: quack)
            translations = self._translations()
            english = translations.of(noun, "ru") if translations else []
            if not english or wordnet is None:
                return True
            best = english[0][1]
            judged = [wordnet.is_person(w) for w, score in english if score * NEAR_SENSE >= best]
            return True in judged or all(j is None for j in judged)
        if i > 0 and tokens[i - 1].text.casefold() == "to":
            return True  # an infinitive: whoever does it ("it is fun to swim")
        return any(_may_be_person(t, tokens, wordnet) for t in _english_subjects(tokens, i))

    def _acts(self, run: _Run) -> dict[int, tuple[str, ...]]:
        """Each verb's translations, as lemma keys: a verb stands for an entry whose name
        shows the act (``_shows_act``: "crying face", «плачет»), in either language. A
        Russian verb's English ones, also through the imperfective a perfective one is made
        from; an English verb's Russian ones, the article's verbs (``Translations.verb``).
        Empty without a bilingual dictionary."""
        verbs = [
            i
            for i, tok in enumerate(run.tokens)
            if tok.kind == "word"
            and tok.content
            and run.claimed[i] is None
            and (
                _a_russian_verb(tok)
                or (tok.verb_form and script_language(tok.text) in ("ru", "en"))
            )
        ]
        translations = self._translations() if verbs else None
        if translations is None:
            return {}
        out: dict[int, tuple[str, ...]] = {}
        for i in verbs:
            lemma_ = run.tokens[i].lemma
            if _english(run.tokens[i]):
                found = [t for t, _ in translations.verb(lemma_)[:ACTS] if " " not in t.strip()]
            else:
                found = [
                    t.casefold()
                    for verb in (lemma_, *imperfectives(lemma_))
                    for t, _ in translations.of(verb, "ru")[:ACTS]
                    if " " not in t.strip()
                ][:ACTS]
            if found:
                out[i] = tuple(dict.fromkeys(found))
        return out

    def _verb_words(
        self,
        run: _Run,
        acts: dict[int, tuple[str, ...]],
        ask: Callable[[str], tuple[str, ...]] | None,
        own: bool = False,
    ) -> dict[int, tuple[str, ...]]:
        """What WordNet's ``ask`` says of each verb, as English lemma keys (its broader acts
        of the body, ``Thesaurus.body_acts``: "sobbed" → cry, «задремал» → doze → nap, sleep;
        the weather it makes, ``Thesaurus.weather_of``: "drizzling" → drizzle, rain): an
        English verb by its lemma, a Russian one by its translations (``acts``; ``own``:
        only the verb's own, not those of the imperfective it is made from). Empty without
        WordNet."""
        if ask is None:
            return {}
        verbs = [
            i
            for i, tok in enumerate(run.tokens)
            if tok.kind == "word"
            and tok.content
            and run.claimed[i] is None
            and ((tok.verb_form and _english(tok)) or (not _english(tok) and i in acts))
        ]
        out: dict[int, tuple[str, ...]] = {}
        for i in verbs:
            tok = run.tokens[i]
            if _english(tok):
                words: Sequence[str] = (tok.lemma,)
            elif own:
                translations = self._translations()
                assert translations is not None  # (a verb has acts only by the dictionary)
                words = [t.casefold() for t, _ in translations.of(tok.lemma, "ru")[:ACTS]]
            else:
                words = acts[i]
            found = tuple(dict.fromkeys(a for w in words for a in ask(w)))
            if found:
                out[i] = found
        return out

    def _phrase_pivots(self, run: _Run) -> dict[tuple[int, int], tuple[str, ...]]:
        """Each run of two to ``MAX_NGRAM`` free words that the dictionary knows as one
        headword ("shooting star", "teddy bear", «падающая звезда»), by its first ``PIVOTS``
        translations' lemma keys, keyed by the run's first and last token. A phrase names
        one thing far more often than a word does, so a translation that is an entry's whole
        name stands for the phrase (``_lemmas``). Empty without a bilingual dictionary."""
        tokens = run.tokens
        translations = self._translations()
        if translations is None:
            return {}
        out: dict[tuple[int, int], tuple[str, ...]] = {}
        for i, tok in enumerate(tokens):
            if tok.kind != "word" or run.claimed[i] is not None or not tok.content:
                continue
            lang = script_language(tok.text) or run.lang
            if not translations.begins_phrase(tok.text, lang):
                continue
            second = _ngram(tokens, i, 2, words_only=True, free=run.claimed)
            if second is None or not translations.continues_phrase(
                tok.text, tokens[second].text, tokens[second].lemma, lang
            ):
                continue
            for n in range(2, MAX_NGRAM + 1):
                last = _ngram(tokens, i, n, words_only=True, free=run.claimed)
                if last is None:
                    break
                lang = script_language(tokens[last].text)
                if lang not in ("ru", "en"):
                    continue
                run_ = [t.text for t in tokens[i : last + 1]]
                found = translations.headword(run_, tokens[last].lemma, lang)
                if found:
                    out[(i, last)] = tuple(
                        dict.fromkeys(
                            key
                            for text, _ in found[:PIVOTS]
                            for key in (
                                _english_keys(text) if lang == "ru" else (lemma_key(text, "ru"),)
                            )
                        )
                    )
        return out

    def _pivots(self, run: _Run) -> dict[int, list[tuple[str, ...]]]:
        """Each noun's translations into the other language, best first, each as its lemma
        keys (``_spellings``): a word no gloss of its own language names may be a keyword in
        the other («врач» for "physician"). Only a word that can be nothing but a noun, or an
        English word the tagger read as a noun in its sentence ("dog", "milk": most English
        nouns are verbs too; Russian has no tagger here, and pymorphy3's readings of a word
        out of context are not enough). The match must be near it in meaning by
        ``keyword_translation`` (``_by_context``): a translation brings its other senses. An
        entry the first translation names is the exception (``_lemmas``). Empty without a
        bilingual dictionary."""
        free = [
            (i, tok)
            for i, tok in enumerate(run.tokens)
            if tok.kind == "word" and tok.content and run.claimed[i] is None
        ]
        words = [i for i, tok in free if only_noun(tok.text, run.lang)]
        # a noun the tagger read, where the lexicon hardly speaks English: on one glossed in
        # English the word's own glosses had their say, and its translations' senses only add
        # candidates to judge (0.767 recall either way on core+emoji, and 2 ms an encode)
        tagged = [i for i, tok in free if i not in words and tok.noun and _english(tok)]
        if tagged and not self.ws.index().speaks(self.name, "en"):
            words = sorted([*words, *tagged])
        translations = self._translations() if words else None
        if translations is None:
            return {}
        out: dict[int, list[tuple[str, ...]]] = {}
        for i in words:
            lang = script_language(run.tokens[i].text)
            found = _translated_keys(translations, run.tokens[i].text, lang)
            if found:
                out[i] = found
        return out

    def _by_context(
        self,
        run: _Run,
        singles: list[tuple[int, list[Any]]],
        names: dict[int, set[int]],
        floors: dict[int, float],
        related: dict[tuple[int, int], float] | None = None,
        synonyms: dict[int, list[str]] | None = None,
        via: dict[int, tuple[str, frozenset[int]]] | None = None,
    ) -> list[tuple[int, list[Any]]]:
        """Judge single-word matches by meaning, with one embedding call for the whole text.

        A word that is an entry's first gloss (its name) stands for it. A word that is only
        one of an entry's further glosses or a component meaning (a keyword: «когда» of 🙄,
        «хвост» of 🦚) often does not mean the entry here, so it is kept only if the entry is
        near the word, alone or in its context (its sentence), by at least the word's
        threshold in ``floors`` (``keyword_noun`` for a noun, which names a thing far more
        often than a verb or an adverb does; ``keyword`` where none is given), and its
        sentence is not far from it (``keyword_sentence``: "day" of 🌞 in a sentence about
        pills); otherwise the word
        stays free for the semantic layer and for growth. Near-tied candidates of an
        ambiguous word are ranked by closeness to its context: word sense from the shared
        embedding space. A word reached through its translations (``via``: its first one,
        where that is its own sense) is near a candidate also where that translation alone
        is, and what its keys reach is held to ``keyword_sense``: the embedder puts a word of
        one language far from the same meaning glossed in the other («бабушка» 0.44 from 👵
        "old woman, grandma, grandmother", where "grandmother" is 0.46)."""
        tokens = run.tokens

        def tied(ranked: list[Any]) -> list[Any]:
            return [c for c in ranked if c[0] >= ranked[0][0] - SENSE_BAND]

        def settled(i: int, ranked: list[Any]) -> list[Any] | None:
            """A word's candidates with the one entry it names first, when it names exactly
            one, scored as high as any other: that entry stands for the word whatever its
            context says, which would only order and sift the runners-up. Not asking such a
            word spares embedding its two texts (most of a Russian encode's sense check)."""
            named = [c for c in ranked if c[1] in names[i]]
            if len(named) != 1 or named[0][0] < ranked[0][0]:
                return None
            return [*named, *(c for c in ranked if c is not named[0])]

        run.judged.update(i for i, _ in singles)
        firsts = [settled(i, ranked) for i, ranked in singles]
        singles = [(i, first or ranked) for (i, ranked), first in zip(singles, firsts, strict=True)]
        asked = [
            (n, i, ranked)
            for n, (i, ranked) in enumerate(singles)
            if firsts[n] is None
            and (len(tied(ranked)) > 1 or any(c[1] not in names[i] for c in ranked))
        ]
        if not asked:
            return singles
        texts: list[str] = []
        candidates: list[list[int]] = []
        for _, i, ranked in asked:
            texts.append(tokens[i].text)
            candidates.append([c[1] for c in ranked])
        # and each sentence as a whole, against every candidate of its words: a word's
        # context (the two words either side of it, as a text of their own, were as good a
        # context and cost the model 40% more: docs/bridge.md, "Stop 56")
        sentence_of: dict[int, int] = {}
        for _, i, ranked in asked:
            at = sentence_of.setdefault(tokens[i].sentence, len(texts))
            if at == len(texts):
                texts.append(_sentence_text(run.text, tokens, tokens[i].sentence))
                candidates.append([])
            candidates[at] = [*candidates[at], *(c[1] for c in ranked)]
        translated: dict[int, int] = {}  # asked word → its translation's text
        for k, (_, i, ranked) in enumerate(asked):
            if via and i in via:
                translated[k] = len(texts)
                texts.append(via[i][0])
                candidates.append([c[1] for c in ranked])
        langs = list(dict.fromkeys((run.lang, "en", "ru")))
        closeness = self.ws.index().closeness(self.name, texts, candidates, langs)
        translations = self._translations()
        out: list[tuple[int, list[Any]] | None] = list(singles)
        t = self.thresholds

        said: dict[int, tuple[frozenset[str], str]] = {}
        # each word's kept candidates, its nearness alone and in context: ranked at the end
        tie: list[tuple[int, int, list[Any], dict[int, float], dict[int, float]]] = []

        def unshared(i: int, c: Any) -> bool:
            """Whether the dictionary knows the word and the entry's glosses in the other
            language hold none of its translations: a keyword only one language gives is
            often a related thing («река» of 😭, "table" of 🏓), one both give is the
            entry's own sense. Such a match is held to ``keyword_unshared`` more."""
            if translations is None:
                return False
            if i not in said:
                word = tokens[i].lemma if tokens[i].verb_form else tokens[i].text
                lang = script_language(word) or run.lang
                found = translations.said(word, lang, verb=tokens[i].verb_form)
                if not tokens[i].verb_form:
                    # and as its other readings («вечером», an adverb the dictionary gives
                    # as "night", is also the noun вечер: evening)
                    for other in tokens[i].other_lemmas:
                        found |= translations.said(other, lang)
                said[i] = (found, "en" if lang == "ru" else "ru")
            words_, other = said[i]
            glosses = c[2].data.glosses
            if not glosses.get(other) and words_:
                # an entry glossed in one language has no second witness: its name is one
                # ("tree" of 🎄 "Christmas tree"; not "home" of 🏚️ "derelict house")
                own = "ru" if other == "en" else "en"
                return not _in_name(tokens[i], glosses.get(own, ()), own)
            return agrees(words_, tuple(glosses.get(other, ())), other) is False

        times: dict[int, bool] = {}
        wordnet = thesaurus_for(self.ws.settings.thesaurus)

        def a_time(i: int) -> bool:
            """Whether the word is a time of day or year («утра», "evening", «летом»): it sets
            a scene's time, which the rest of its sentence is seldom about, so the sentence
            is not asked to be near the entry the word names (asked only when a keyword's
            sentence is far from it)."""
            if i not in times:
                tok = tokens[i]
                if wordnet is None or tok.verb_form:
                    times[i] = False
                elif _english(tok):
                    times[i] = wordnet.is_time(tok.lemma)
                else:
                    english = translations.of(tok.text, "ru")[:1] if translations else []
                    times[i] = bool(english) and wordnet.is_time(english[0][0])
            return times[i]

        def another_thing(i: int, c: Any) -> bool:
            """Whether an English word is, in the entry's English name, part of a compound
            noun (as WordNet knows it) that is no kind of what the word means: the word only
            modifies it ("table" of 🏓 "table tennis", "wind" of 🎐 "wind chime"), or heads a
            compound of another sense ("spring", first a season, of ♨️ "hot springs"; "star" of
            🌠 "shooting star", a meteor). CLDR makes such keywords of a name's words; "web"
            of 🕸️ "spider web" and "bear" of 🐻‍❄️ "polar bear" stay, and so does a compound
            the sentence says itself ("traffic" of 🚦 "traffic light" in "the traffic lights").
            A modifier is the word as it stands ("can" modifies no "canned food")."""
            tok = tokens[i]
            if wordnet is None or not _english(tok) or tok.verb_form:
                return False
            name = (c[2].data.glosses.get("en") or [""])[0].casefold().replace("-", " ").split()
            forms = english_forms(tok.lemma) if len(name) > 1 else frozenset()
            for k in (k for k, w in enumerate(name) if w in forms):
                for a, b in sorted(
                    ((a, b) for a in range(k + 1) for b in range(k + 1, len(name) + 1)),
                    key=lambda ab: ab[1] - ab[0],
                ):
                    if not 2 <= b - a <= 3:
                        continue
                    words = name[a:b]
                    compound = " ".join([*words[:-1], lemma(words[-1], "en")])
                    said = tokens[i - (k - a) : i + (b - k)] if i >= k - a else []
                    if [lemma(t.text, "en") for t in said] == compound.split():
                        return False  # the sentence says the compound
                    if b - 1 != k:  # the word modifies the compound
                        if name[k] in (tok.text.casefold(), tok.lemma) and wordnet.is_noun(
                            compound
                        ):
                            return True
                    elif (kind := wordnet.kind_of(compound, tok.lemma)) is not None:
                        return not kind
            return False

        def floor_for(i: int, c: Any) -> float:
            if related and (i, c[1]) in related:  # by the thesaurus, not a keyword
                # a synonym in the word's own first sense is as good as the word itself
                # («метель»: вьюга of 🌬️); a broader word or a rarer sense is held further
                if related[(i, c[1])] >= SYNONYM:
                    return floors.get(i, t.keyword_noun)
                return t.keyword_related
            floor = floors.get(i, t.keyword)
            if via and i in via and c[1] in via[i][1]:
                floor = min(floor, t.keyword_sense)
            if _a_face(c[2].data) and self._feels(run, i):
                # a feeling shows on a face: a word of feeling is a face's keyword as a noun
                # is a thing's («весело» of 😃, not held to an adverb's threshold)
                floor = min(floor, t.keyword_noun)
            return floor + t.keyword_unshared if unshared(i, c) else floor

        for k, (n, i, ranked) in enumerate(asked):
            alone = closeness[k]
            if k in translated:
                said_ = closeness[translated[k]]
                alone = {c: max(v, said_.get(c, -1.0)) for c, v in alone.items()}
            whole = context = closeness[sentence_of[tokens[i].sentence]]
            kept = []
            short: list[tuple[float, float, Any]] = []  # keywords under their threshold
            for c in ranked:
                if c[1] in names[i]:
                    kept.append(c)
                    continue
                near_ = max(alone.get(c[1], -1.0), context.get(c[1], -1.0))
                floor = floor_for(i, c)
                keyword = not (related and (i, c[1]) in related)
                shift = t.keyword_shift if keyword else 0.0
                sentence = whole.get(c[1], -1.0) >= t.keyword_sentence or a_time(i)
                if near_ >= floor + shift and sentence and not another_thing(i, c):
                    kept.append(c)
                    if keyword:
                        run.keyworded[(i, c[1])] = (near_, floor)
                elif keyword and sentence and near_ < floor + shift:
                    short.append((near_, floor, c))
            short = [s for s in short if not another_thing(i, s[2])] if not kept else []
            if short:
                # the keyword nearest its threshold of a word left unexplained: a verdict
                # that it was right lets calibration bring ``keyword_shift`` down
                near_, floor, c = max(short, key=lambda s: (s[0] - s[1], -s[2][1]))
                span = (tokens[i].start, tokens[i].end)
                run.near.append(
                    {
                        **_near(span, run.text, c[0], c[1], c[2]),
                        "how": "keyword",
                        "closeness": round(near_, 4),
                        "threshold": round(floor, 4),
                    }
                )
            # what a thesaurus word's entry passed ``keyword_related`` with, or (the nearest
            # one that fell short) missed it by: calibration fits the threshold to these
            gated = [c for c in ranked if _weakly(related, i, c[1])]
            for c in gated:
                run.gated[(i, c[1])] = max(alone.get(c[1], -1.0), context.get(c[1], -1.0))
            short = [c for c in gated if c not in kept]
            if short and not any(c in kept for c in gated):
                c = max(short, key=lambda c: run.gated[(i, c[1])])
                span = (tokens[i].start, tokens[i].end)
                near = _near(span, run.text, c[0], c[1], c[2])
                run.near.append(
                    {**near, "how": "related", "closeness": round(run.gated[(i, c[1])], 4)}
                )
            # an entry a broader word or a definition led to, read against its hubness
            # (``related_hub``); asked only of the ones kept so far, each about 1 ms
            weak = [c[1] for c in kept if _weakly(related, i, c[1])]
            if weak:
                hubs = self.ws.index().hubness(self.name, weak, langs)
                kept = [
                    c
                    for c in kept
                    if c[1] not in hubs or alone.get(c[1], -1.0) - hubs[c[1]] >= t.related_hub
                ]
            if not kept:
                out[n] = None
                continue
            tie.append((n, i, kept, alone, context))
        # an entry the word names comes before one it is only a keyword of («собака» is
        # 🐕's name and a keyword of 🦴), then one a synonym of the word names; then
        # nearest first, to the word alone, to each entry's name and in its context
        # together: the context alone pulls towards any compound of the word ("tea" with
        # honey: 🧋 "bubble tea"), the word alone says its plainest sense (🍵; main set
        # 0.812 / 0.427 → 0.816 / 0.424, the first held-out set 0.806 → 0.813, the second the
        # same), and an entry's document lists all its keywords, so a word is as near to 🐄
        # "cow", which has «молоко» among them, as to 🥛 «стакан молока», named for it (its
        # name: docs/bridge.md, "Stop 60"); among equally near ones (an emoji and its
        # skin-tone variants share their words), the plainest form
        said_as = {
            i: self._said_as(tokens[i], run.lang, (synonyms or {}).get(i, ())) for _, i, *_ in tie
        }
        bands = [tied(kept) for _, _, kept, _, _ in tie]
        shared = [(t[1], band) for t, band in zip(tie, bands, strict=True) if len(band) > 1]
        called: dict[tuple[int, int], float] = {}
        if shared:
            near = self.ws.index().name_closeness(
                [tokens[i].text for i, _ in shared],
                [[_name_of(c[2].data, said_as[i][0]) for c in band] for i, band in shared],
            )
            for (i, band), row in zip(shared, near, strict=True):
                called.update(((i, c[1]), v) for c, v in zip(band, row, strict=True))
        for (n, i, kept, alone, context), band in zip(tie, bands, strict=True):
            band.sort(
                key=lambda c: (
                    c[1] not in names[i],
                    not _names_it(c[2].data, said_as[i]),
                    not (_a_face(c[2].data) and self._feels(run, i)),
                    -round(
                        alone.get(c[1], -1.0)
                        + called.get((i, c[1]), 0.0)
                        + context.get(c[1], -1.0),
                        2,
                    ),
                    len(c[2].data.form),
                )
            )
            out[n] = (i, band + [c for c in kept if c not in band])
        return [single for single in out if single is not None]

    @staticmethod
    def _said_as(tok: Token, lang: str, synonyms: Iterable[str]) -> tuple[str, frozenset[str]]:
        """The word's language and the lemma keys that would name an entry for it: its own
        lemma and its first sense's synonyms (``_names_it``)."""
        own = script_language(tok.text) or lang
        return own, frozenset((tok.lemma, *synonyms))

    def _compounds(self, run: _Run) -> None:
        """Fused words: split into known meanings; match the compound made of them."""
        tokens, claimed = run.tokens, run.claimed
        words = [
            i
            for i, tok in enumerate(tokens)
            if tok.kind == "word"
            and claimed[i] is None
            and len(tok.text) >= MIN_COMPOUND
            and script_language(tok.text) == "ru"
            and not known(tok.text, "ru")  # «соседа» is a word, not сос + еда
        ]
        if not words:
            return
        pieces = {
            tokens[i].text.casefold()[a:b]
            for i in words
            for a in range(len(tokens[i].text))
            for b in range(a + 3, len(tokens[i].text) + 1)
        }
        meanings = self.store.known_meanings(self.name, pieces)
        translations = self._translations()
        if translations is not None:
            # a lexicon that glosses no part in Russian (an English one) still splits the word,
            # by the dictionary's nouns, and says each part by its translation (_fused_parts)
            meanings |= {p for p in pieces - meanings if _headword_noun(p, translations)}
        for i in words:
            parts = _segment(tokens[i].text.casefold(), meanings)
            if parts is None or len(parts) < 2:
                continue
            ids = self.store.with_component_norms(self.name, parts)
            entries = self.store.get_many(self.name, ids) if ids else {}
            ranked = self._usable(
                _rank(
                    [(_weighted(BASE_SCORE["compound"], e.data), e.id, e) for e in entries.values()]
                ),
                run,
            )
            if not ranked:
                run.splits[i] = parts
                continue
            score, _, stored = ranked[0]
            tok = tokens[i]
            lx = self._lexeme(
                stored,
                "compound",
                score,
                run.lang,
                (tok.start, tok.end),
                run.text,
                tok.phase,
                base_applied=True,
            )
            lx.alternatives = [(s.data.form, round(sc, 4)) for sc, _, s in ranked[1:3]]
            run.lexemes.append(lx)
            claimed[i] = lx
        self._fused_parts(run)

    def _fused_parts(self, run: _Run) -> None:
        """A fused word with no compound entry of its own (seed 7.2.2) says its parts: each
        part becomes the lexeme whose gloss (or component) it is, over the word's span, and
        the word is kept as fused (``Scene.fused``) so growth can propose the compound. A
        part no gloss of its language names is said through the dictionary (a lexicon glossed
        in English only): the entry its first translation names, else the one of its
        translations' entries nearest the part, if near enough. A part that names no entry is
        unmatched (``_coverage``), so growth proposes it as well as the compound:
        «огоньстрахбегство» says огонь and страх and leaves бегство to growth, where it used to
        leave the whole word unmatched and the scene to an archetype. Only a word none of whose
        parts names an entry stays unmatched, carrying its split."""
        tokens, claimed = run.tokens, run.claimed
        if not run.splits:
            return
        wanted = {lemma_key(part, run.lang) for parts in run.splits.values() for part in parts}
        translations = self._translations()
        said: dict[str, list[tuple[str, ...]]] = {}  # a part's translations, best first
        lent: set[str] = set()
        if translations is not None:
            for part in {p for parts in run.splits.values() for p in parts}:
                said[part] = _translated_keys(translations, part, "ru")
                lent.update(k for group in said[part] for k in group)
        # as many candidates a part as a word of a sentence has: the part's nearest among
        # them is its sense, not whichever five the lexicon lists first; its translations'
        # first few only, each bringing its other senses (24 of them lost 4 concepts on a
        # lexicon glossed in English only)
        hits = self.store.by_lemmas(self.name, wanted, per_key=LEMMA_CANDIDATES)
        if lent - wanted:
            hits += self.store.by_lemmas(self.name, lent - wanted)
        hits = [h for h in hits if h.field != HEAD]  # a part is matched whole
        entries = self.store.get_many(self.name, sorted({h.entry_id for h in hits}))
        by_key: dict[str, list[tuple[float, int, Any]]] = {}
        named: set[tuple[str, int]] = set()
        for h in hits:
            stored = entries.get(h.entry_id)
            if stored is None:
                continue
            if h.field == "component":
                base = BASE_SCORE["component"]
            else:
                base = BASE_SCORE["gloss0"] if h.position == 0 else BASE_SCORE["gloss"]
                if h.position == 0:
                    named.add((h.lemma, h.entry_id))
            factor = BASE_SCORE["compound"] / BASE_SCORE["gloss0"]  # a part, found in a word
            by_key.setdefault(h.lemma, []).append(
                (_weighted(base * factor, stored.data), h.entry_id, stored)
            )

        own = {
            part: self._usable(
                _rank(_best_per_entry(by_key.get(lemma_key(part, run.lang), []))), run
            )
            for parts in run.splits.values()
            for part in parts
        }
        # a part no gloss of its language names, through the dictionary: an entry its first
        # translation names, else the one of its translations' entries nearest the part
        borrowed: dict[str, list[Any]] = {}
        for part, groups in said.items():
            if groups and not own[part]:
                pool = [c for group in groups for k in group for c in by_key.get(k, [])]
                borrowed[part] = self._usable(_rank(_best_per_entry(pool)), run)[:LEMMA_CANDIDATES]
        ask = {p: ranked for p, ranked in borrowed.items() if ranked}
        # and a part that is only a keyword, of one entry or several: which one it means, by
        # nearness too, as a word of a sentence is judged (``_by_context``); they share the
        # keyword's one score, and their order was the lexicon's («песок» of the beach before
        # the desert, «ночь» of a sleepy face before the night with stars)
        for part, ranked in own.items():
            key = lemma_key(part, run.lang)
            if ranked and not any((key, c[1]) in named for c in ranked):
                ask[part] = ranked
        if ask:
            langs = list(dict.fromkeys((run.lang, "en", "ru")))
            near = self.ws.index().closeness(
                self.name, list(ask), [[c[1] for c in ranked] for ranked in ask.values()], langs
            )
            t = self.thresholds
            for (part, ranked), closeness in zip(ask.items(), near, strict=True):
                reciprocal = part in borrowed and _reciprocal(translations, part)
                first = set(said[part][0]) if reciprocal else set()

                def named_first(c: Any, first: set[str] = first) -> bool:
                    return any((k, c[1]) in named for k in first)

                ranked.sort(key=lambda c: (not named_first(c), -closeness.get(c[1], -1.0)))
                # and near enough, as a word of a sentence must be (``_by_context``): a keyword
                # by a noun's threshold raised as an unshared one's is, for a part has no
                # neighbours to say its sense (on the lexicon glossed in Russian only «вода» of
                # 🤽 "water polo", «свет» of 🔦; 3 spurious lexemes fewer there, nothing else
                # changed), a translation's entry by a translation's, unless the part's own
                # first translation names it («покой» is no 🔕 by "quiet")
                floor = (
                    t.keyword_translation
                    if part in borrowed
                    else t.keyword_noun + t.keyword_unshared
                )
                ranked[:] = [
                    c for c in ranked if named_first(c) or closeness.get(c[1], -1.0) >= floor
                ]

        for i, parts in sorted(run.splits.items()):
            best = [borrowed.get(p) or own[p] for p in parts]
            if not any(best):
                continue
            tok = tokens[i]
            seen: set[int] = set()
            for ranked in best:
                if not ranked:
                    continue
                score, entry_id, stored = ranked[0]
                if entry_id in seen:  # two parts of one entry (its components): said once
                    continue
                seen.add(entry_id)
                lx = self._lexeme(
                    stored,
                    "compound",
                    score,
                    run.lang,
                    (tok.start, tok.end),
                    run.text,
                    tok.phase,
                    base_applied=True,
                )
                run.lexemes.append(lx)
                if claimed[i] is None:
                    claimed[i] = lx
            run.fused.append({"text": tok.text, "span": [tok.start, tok.end], "parts": parts})
            unsaid = [p for p, ranked in zip(parts, best, strict=True) if not ranked]
            if unsaid:
                run.unsaid[i] = (unsaid, len(parts))
            del run.splits[i]

    def _semantic(self, run: _Run) -> None:
        """What no form or lemma explains, by meaning: each unexplained content word on its
        own (a synonym, a near meaning: «ливень» for 🌧) and each run of them together (a
        paraphrase). A run's match explains only the words that are themselves near its entry
        (the entry is among the word's own nearest): a word nothing explains stays unmatched
        even inside a matched run, so growth sees it. Whole sentences are compared too: usage
        examples act as scene templates (at the sentence threshold)."""
        text, tokens, claimed = run.text, run.tokens, run.claimed
        runs = _free_runs(tokens, claimed)
        # a word outside the language's dictionary (a coinage, a typo) is as near its nearest
        # entries as a random string is: meaning cannot explain it, growth should see it. Nor
        # is a word that points, counts or hedges (``function_word``: its nearest entries are
        # the vaguest, 😐 for "all", "still" and «почти» alike); an adjective before the noun
        # it describes says what that noun is like ("old mattress" shows no 👵 "old woman"):
        # it is neither asked alone nor explained by a run's match (main set 0.384 → 0.375
        # spurious a sentence, recall the same), though a feeling still shows on a face (and
        # only there: "heavy" of "a heavy downpour" is a feeling, and no ♄ "heaviness")
        said = [
            i
            for a, b in runs
            for i in range(a, b + 1)
            if tokens[i].kind == "word"
            and tokens[i].content
            and claimed[i] is None
            and known(tokens[i].text, run.lang)
        ]
        words = [i for i in said if not tokens[i].hedges]
        describing = {i for i in words if _describes_next(tokens, i)}
        sentences = _sentences(tokens)
        run_texts = [text[tokens[a].start : tokens[b].end] for a, b in runs]
        # a verb form asks as its verb ("to rise" for "rose", «пить» for «пила»), not as the
        # noun it spells
        word_texts = [
            (f"to {tokens[i].lemma}" if run.lang == "en" else tokens[i].lemma)
            if tokens[i].verb_form
            else tokens[i].text
            for i in words
        ]
        queries = run_texts + word_texts
        queries += [text[tokens[a].start : tokens[b].end] for a, b in sentences]
        if not queries:
            return
        # ranked from the common centre: a word's nearest are what it says, not the abstract
        # glosses near every text (docs/index.md); the thresholds still judge plain cosines
        reads = self.store
        assert isinstance(reads, _Reads)  # (an encode reads through its request's reads)
        results = reads.nearest(
            self.name,
            queries,
            lambda texts: self.ws.index().query_many(
                self.name, texts, k=SEMANTIC_K, status="active", reads=reads, centred=True
            ),
        )
        run_results = results[: len(runs)]
        word_results = results[len(runs) : len(runs) + len(words)]
        present = {lx.entry_id for lx in run.lexemes}
        threshold = self.thresholds.semantic_for(run.register)
        hit_ids = sorted({h.entry_id for hits in results for h in hits})
        entries = self.store.get_many(self.name, hit_ids)
        near_word: dict[int, set[int]] = {
            i: {h.entry_id for h in hits} for i, hits in zip(words, word_results, strict=True)
        }
        # candidates: (score, words it explains, span, ranked, how, gate): "translated" where
        # a word's translation found among the entries' glosses is what matched (its score that
        # nearness, judged by the ``translated_*`` thresholds, which calibration fits apart
        # from the semantic one: the two are cosines of different things); the gate, the
        # threshold a "semantic" one passed and which of ``Thresholds`` it was (``_Gate``)
        candidates: list[
            tuple[float, tuple[int, ...], tuple[int, int], list[Any], str, _Gate | None]
        ] = []
        run_gate = _Gate("semantic", threshold)
        for (a, b), hits in zip(runs, run_results, strict=True):
            ranked = self._usable(self._ranked_hits(hits, entries), run)
            if not ranked:
                continue
            span = (tokens[a].start, tokens[b].end)
            score, entry_id, stored = ranked[0]
            inside = [i for i in words if a <= i <= b]
            explained = tuple(i for i in inside if entry_id in near_word.get(i, ()))
            if len(inside) == 1:
                explained = tuple(inside)
            explained = tuple(i for i in explained if i not in describing)
            if score < threshold or not explained:
                run.near.append({**_near(span, text, score, entry_id, stored), **run_gate.logged})
                continue
            if a == b and inside == [a]:
                # a run of one word is that word, asked on its own below by the rules of a
                # word (a verb asked as its verb, held to the stricter margin, a feeling by
                # its face): as a run "landed" stood for 🜃 "earth" and «сели» for Δ-ascent
                continue
            candidates.append((score, explained, span, ranked, "semantic", run_gate))
        # a word alone in its run asks at the register's threshold (it is the run); a word
        # picked out of a longer run says less about itself, and must be nearer
        # (a word that points or hedges still says something beside it: «и всё замирает»)
        alone = {
            i for a, b in runs for i in words if a <= i <= b and sum(a <= j <= b for j in said) == 1
        }
        for i, hits in zip(words, word_results, strict=True):
            ranked = self._usable(self._ranked_hits(hits, entries), run)
            if tokens[i].verb_form:  # not the noun the verb spells ("rang" is no ring)
                spelled = {tokens[i].spells, tokens[i].text.casefold()}
                if run.lang == "en":  # "rang" spells ring, its verb's lemma
                    spelled.add(tokens[i].lemma)
                ranked = [r for r in ranked if not _glossed_as(r[2].data, spelled)]
            if _own_acts(tokens[i]):  # by meaning as by its name: flames dance, no man does
                ranked = self._for_its_subject(run, i, ranked)
            # a verb is asked by meaning only (its spelling names no gloss here), and a verb
            # shows a glyph less often than a noun does: held to the stricter margin alone too
            strict = (
                i not in alone
                or tokens[i].verb_form
                or (_a_russian_verb(tokens[i]) and not _of_its_family(tokens[i], ranked[:1]))
            )
            need = threshold + self.thresholds.word_margin if strict else threshold
            gate = _Gate("word" if strict else "semantic", need)
            word = (tokens[i].start, tokens[i].end)
            # a word of feeling stands for the nearest face near enough to it ("terrified":
            # 😨, "happily": ☺️), before any other entry: a glyph shows a feeling on a face
            faces = [r for r in ranked if r[0] >= self.thresholds.feeling and _a_face(r[2].data)]
            if faces and self._feels(run, i):
                ranked = [faces[0], *(r for r in ranked if r is not faces[0])]
                by_face = _Gate("feeling", self.thresholds.feeling)
                candidates.append((ranked[0][0], (i,), word, ranked, "semantic", by_face))
            elif i in describing:
                continue  # an adjective before its noun: a feeling's face, nothing else
            elif ranked and ranked[0][0] >= need:
                candidates.append((ranked[0][0], (i,), word, ranked, "semantic", gate))
            elif ranked and self._a_free_verb(run, i):
                # a verb no translation showed the act of, by the act a nearest entry's name
                # in the other language shows (``_by_translated_act``)
                ranked = self._by_translated_act(tokens[i], ranked)
                if ranked:
                    candidates.append((ranked[0][0], (i,), word, ranked, "translated", None))
            elif ranked and self._a_free_noun(run, i):
                # a noun no gloss of its language names, by the word it translates to among
                # its nearest entries' glosses in the other language (``_by_translated_gloss``)
                ranked = self._by_translated_gloss(run, i, ranked)
                if ranked:
                    candidates.append((ranked[0][0], (i,), word, ranked, "translated", None))
        for score, explained, span, ranked, how, passed in sorted(
            candidates, key=lambda c: (-round(c[0], 6), -len(c[1]), c[2])
        ):
            if any(claimed[i] is not None for i in explained):
                continue
            _, _, stored = ranked[0]
            first = min(explained)
            lx = self._lexeme(
                stored,
                how,
                score,
                run.lang,
                span,
                text,
                tokens[first].phase,
                base_applied=True,
            )
            lx.alternatives = [(s.data.form, round(sc, 4)) for sc, _, s in ranked[1:3]]
            if passed is not None:
                lx.gate, lx.threshold = passed.name, round(passed.threshold, 4)
            run.lexemes.append(lx)
            present.add(stored.id)
            for i in explained:
                claimed[i] = lx
        results = [*run_results, *word_results, *results[len(runs) + len(words) :]]
        runs_and_words = len(runs) + len(words)
        for (a, b), hits in zip(sentences, results[runs_and_words:], strict=True):
            ranked = self._usable(self._ranked_hits(hits, entries), run)
            if not ranked or ranked[0][0] < self.thresholds.sentence:
                continue
            score, _, stored = ranked[0]
            if stored.id in present:
                continue
            start, end = tokens[a].start, tokens[b].end
            inside = [
                lx for lx in run.lexemes if lx.span and start <= lx.span[0] and lx.span[1] <= end
            ]
            refs = {form_key(c.ref) for c in stored.data.components if c.ref}
            if {form_key(lx.form) for lx in inside} >= refs | {stored.data.key}:
                continue  # the sentence's own lexemes already say all the template says
            doc = next((h.doc for h in hits if h.entry_id == stored.id), "")
            if _says_more(stored.data, doc, run.lang, tokens[a : b + 1]):
                continue
            lx = self._lexeme(
                stored,
                "semantic",
                score,
                run.lang,
                (start, end),
                text,
                tokens[a].phase,
                base_applied=True,
            )
            lx.alternatives = [(s.data.form, round(sc, 4)) for sc, _, s in ranked[1:3]]
            lx.gate, lx.threshold = "sentence", round(self.thresholds.sentence, 4)
            # the template carries its parts: drop the sentence's lexemes that are among them
            # (the tokens stay explained: coverage reads the claims, not the list)
            for part in inside:
                if form_key(part.form) in refs:
                    run.lexemes.remove(part)
            run.lexemes.append(lx)
            present.add(stored.id)

    def _a_free_noun(self, run: _Run, i: int) -> bool:
        """A noun no gloss of any reading or translation gave a candidate, on a lexicon that
        hardly speaks its language: one that does names its words by their spelling (on
        core+emoji nothing changed, and the comparison cost a warm encode 1.17×), and a word
        the lemma layer turned down by its context ("market" of 💹) stays turned down. A
        noun as ``_pivots`` asks one: one that can be nothing else, or an English word the
        tagger read as a noun."""
        tok = run.tokens[i]
        if i in run.judged or tok.verb_form:
            return False
        if self.ws.index().speaks(self.name, script_language(tok.text) or run.lang):
            return False
        return only_noun(tok.text, run.lang) or (tok.noun and _english(tok))

    def _a_free_verb(self, run: _Run, i: int) -> bool:
        """A verb no act its dictionary translations show gave a candidate, on a lexicon that
        hardly speaks its language (``_a_free_noun``)."""
        tok = run.tokens[i]
        if i in run.judged or not _own_acts(tok):
            return False
        return not self.ws.index().speaks(self.name, script_language(tok.text) or run.lang)

    def _by_translated_act(self, tok: Token, ranked: list[Any]) -> list[Any]:
        """A verb's nearest entries (``ranked``) whose name in the other language shows an
        act (``_acts_named``: «плачет», "thinking face") as near the verb, both as their
        verbs alone, as a translation is (``translated_act``), nearest first: Mueller gives
        cry as кричать, вопить, восклицать before плакать, which the embedder puts 0.86 from
        it (dance and танцевать 0.92, думать and think 0.93; get and входить 0.81 too, hence
        a threshold above a noun's)."""
        other = "en" if script_language(tok.text) == "ru" else "ru"
        wordnet = self._wordnet()
        compound = wordnet.is_noun if wordnet is not None else None
        floor = self.thresholds.translated_act
        said = [
            [(act, floor, other) for act in sorted(_acts_named(c[2].data, other, compound))]
            for c in ranked
        ]
        found = self.ws.index().as_near(_own_acts(tok)[0], said, floor)
        order = sorted(found, key=lambda n: (-found[n][0], n))
        return [(found[n][0], ranked[n][1], ranked[n][2]) for n in order]

    def _by_translated_gloss(self, run: _Run, i: int, ranked: list[Any]) -> list[Any]:
        """A word's nearest entries (``ranked``) that have a gloss in the other language as
        near the word as a translation is (``Index.translated``: a name at
        ``translated_name``, a further gloss at ``translated_keyword``), nearest first, scored
        by that nearness: the bilingual dictionary knows no modern word (laptop, pizza,
        smartphone), and the entry's whole document stays under the semantic threshold. The
        word's sentence must not be far from the entry, as a keyword's must not
        (``keyword_sentence``): a translation brings the word's other senses ("company" of
        🏭, a factory, in a sentence about a smartphone)."""
        t = self.thresholds
        index = self.ws.index()
        found = index.translated(
            run.tokens[i].text, [c[2].data for c in ranked], t.translated_name, t.translated_keyword
        )
        if not found:
            return []
        sentence = _sentence_text(run.text, run.tokens, run.tokens[i].sentence)
        langs = list(dict.fromkeys((run.lang, "en", "ru")))
        whole = index.closeness(self.name, [sentence], [[ranked[n][1] for n in found]], langs)[0]
        order = sorted(
            (n for n in found if whole.get(ranked[n][1], -1.0) >= t.keyword_sentence),
            key=lambda n: (-found[n][0], n),
        )
        return [(found[n][0], ranked[n][1], ranked[n][2]) for n in order]

    def _ranked_hits(
        self, hits: Sequence[Any], entries: dict[int, StoredEntry]
    ) -> list[tuple[float, int, Any]]:
        """The hits usable as (weighted score, entry id, entry), in the order of their weighted
        nearness from the common centre where the index ranked them by it, else of their
        weighted score."""
        by_id = {h.entry_id: h for h in hits if h.entry_id in entries}  # one hit an entry
        order = _rank(
            (
                _weighted(h.score if h.nearness is None else h.nearness, entries[i].data),
                i,
                entries[i],
            )
            for i, h in by_id.items()
        )
        return [(_weighted(by_id[i].score, stored.data), i, stored) for _, i, stored in order]

    def _archetype(self, scene: Scene, run: _Run) -> None:
        """The scene falls apart: anchor it on the nearest archetypal node. Not a text with
        no word that can carry a meaning ("a", «и не», "the of"): whatever Δ-code lay nearest
        its letters would be read into it (Δ-ascent for "a", at 0.43)."""
        if not any(tok.content for tok in run.tokens):
            scene.notes.append("no word of the text carries a meaning to anchor the scene on")
            return
        whole = _sentence_text(run.text, run.tokens) or run.text
        [hits] = self.ws.index().query_many(self.name, [whole], k=3, kind="delta", status="active")
        entries = self.store.get_many(self.name, [h.entry_id for h in hits])
        ranked = self._usable(self._ranked_hits(hits, entries), run)
        if not ranked:
            scene.notes.append("no Δ-code in the lexicon to fall back on")
            return
        score, _, stored = ranked[0]
        if score < self.thresholds.archetype:
            scene.notes.append(
                f"no Δ-code is near enough to anchor the scene (the nearest, {stored.form}, "
                f"at {score:.2f}, under {self.thresholds.archetype:.2f})"
            )
            return
        lx = self._lexeme(
            stored, "archetype", score, run.lang, None, run.text, 0, base_applied=True
        )
        lx.anchor = True
        scene.lexemes.insert(0, lx)
        scene.notes.append(
            f"no lexeme could anchor the scene: fell back on the archetype {stored.form}"
        )

    def _coverage(self, scene: Scene, run: _Run) -> None:
        """Coverage counts the content words (and glyphs) a lexeme explains — its claims —
        not the characters its span reaches (a word that points or hedges counts only where a
        lexeme explains it): a word inside a matched span that nothing
        explains is unmatched, so growth sees it. A fused word told by some of its parts
        counts as the share of its parts told, the others unmatched over its span."""
        tokens, claimed, splits = run.tokens, run.claimed, run.splits
        content, covered = 0, 0.0
        unmatched: list[Unmatched] = []
        unknown_at = {(a, b) for a, b, _ in run.unknown_glyphs}
        for i, tok in enumerate(tokens):
            if tok.kind == "glyph":
                for a, b, g in _clusters(tok):
                    content += 1
                    if (a, b) in unknown_at:
                        unmatched.append(Unmatched(g, (a, b)))
                    else:
                        covered += 1
                continue
            if not tok.content:
                continue
            if claimed[i] is None and i not in run.unsaid and tok.hedges:
                # a word that points or hedges ("all", «почти») names nothing a lexicon lacks:
                # no gap in the scene, and nothing for growth to propose (one a lexicon names,
                # as core's ∵ "because", counts where it is matched)
                continue
            content += 1
            if i in run.unsaid:
                unsaid, parts = run.unsaid[i]
                covered += 1 - len(unsaid) / parts
                unmatched += [Unmatched(p, (tok.start, tok.end)) for p in unsaid]
            elif claimed[i] is not None:
                covered += 1
            else:
                unmatched.append(Unmatched(tok.text, (tok.start, tok.end), splits.get(i, [])))
        scene.coverage = covered / content if content else 0.0
        scene.unmatched = unmatched

    def _vectors(self, scene: Scene) -> dict[int, Any]:
        """One vector per lexeme entry: its document in the scene's language, else any."""
        ids = sorted({lx.entry_id for lx in scene.lexemes if lx.entry_id is not None})
        if len(ids) < 2:
            return {}
        index = self.ws.index()
        langs = list(dict.fromkeys((scene.lang, "en", "ru")))
        wanted = [f"{i}:{lang}" for i in ids for lang in langs]
        got = index.vectors(self.name, wanted)
        out: dict[int, Any] = {}
        for i in ids:
            for lang in langs:
                vec = got.get(f"{i}:{lang}")
                if vec is not None:
                    out[i] = vec
                    break
        return out

    def _coupling(self, scene: Scene) -> Diagnostic | None:
        vectors = self._vectors(scene)
        from .embeddings import one_blas_thread

        with one_blas_thread():  # a small product: two threads wait for a busy core
            return checks.coupling(scene, vectors, self.thresholds)

    def _unstable(self, scene: Scene, register: str | None) -> Diagnostic | None:
        """Encode → decode (narrative) → encode, compared on atoms: a lexeme counts as itself
        and the entries its components link to, so a compound that comes back as its parts
        (or parts that come back fused) is the same scene."""
        if not scene.lexemes:
            return None
        decoded = self.decode(scene, style="narrative", lang=scene.lang, register=register)
        if not decoded.text:
            return None
        again = self.encode(decoded.text, register=register, lang=scene.lang, stability=False)
        return checks.unstable(
            scene, again, self.thresholds, self._atoms(scene), self._atoms(again)
        )

    def _atoms(self, scene: Scene) -> set[str]:
        entries = self.store.get_many(
            self.name, [lx.entry_id for lx in scene.lexemes if lx.entry_id]
        )
        atoms: set[str] = set()
        for e in entries.values():
            atoms.add(e.data.key)
            atoms.update(form_key(c.ref) for c in e.data.components if c.ref)
        return atoms

    # --- formula ----------------------------------------------------------------------

    def _formula_scene(self, text: str, lang: str) -> Scene | None:
        """``fire + time + candle → growth + …``: every name resolves to one entry, or this is
        not a formula (and the text is encoded like any other). A text that is exactly one
        entry's name (its first gloss) is the one-lexeme formula of that entry."""
        phases = ARROW_RE.split(text.strip())
        names = [[n.strip() for n in FORMULA_SPLIT.split(p) if n.strip()] for p in phases]
        if any(not p for p in names) or sum(len(p) for p in names) > 200:
            return None
        flat = [n for p in names for n in p]
        resolved = self.resolve_names(flat, lang)
        floor = self.thresholds.weight_floor
        if resolved is None or any(e.data.weight < floor for e in resolved):
            return None  # not a formula of usable entries: encode it as text (which filters)
        scene = Scene(
            text=text, lang=lang, lexicon=self.name, revision=self.store.last_revision(self.name)
        )
        k = 0
        for phase, items in enumerate(names):
            for name in items:
                stored = resolved[k]
                k += 1
                lx = self._lexeme(stored, "exact", 1.0, lang, None, None, phase, base_applied=True)
                lx.source = name
                lx.anchor = True
                scene.lexemes.append(lx)
        scene.coverage = 1.0
        return scene

    def resolve_names(self, names: Sequence[str], lang: str) -> list[StoredEntry] | None:
        """Formula names → entries, one each; None if any name is unknown or ambiguous."""
        qualified = {n: QUALIFIED.match(n) for n in names}
        keys = [form_key(m["form"]) for m in qualified.values() if m]
        by_form = self.store.by_keys(self.name, keys)
        plain = [form_key(n) for n, m in qualified.items() if not m]
        langs = [lang, *(x for x in styles.LANGS if x != lang)]
        owners = self.store.first_glosses_in(self.name, langs, plain)
        ids: list[int | None] = []
        for name in names:
            m = qualified[name]
            if m:
                stored = by_form.get(form_key(m["form"]))
                ids.append(stored.id if stored else None)
                continue
            key = form_key(name)
            found = None
            for lg in langs:
                hits = owners[lg].get(key, [])
                if len(hits) == 1:
                    found = hits[0]
                    break
                if len(hits) > 1:
                    return None
            ids.append(found)
        if any(i is None for i in ids):
            return None
        entries = self.store.get_many(self.name, [i for i in ids if i is not None])
        return [entries[i] for i in ids if i is not None]

    def formula_names(self, entries: Sequence[StoredEntry], lang: str) -> dict[int, str]:
        """Each entry's formula name: its first gloss in ``lang``, qualified with its form
        (``name⟨form⟩``) whenever the bare name would not come back to this one entry."""
        firsts = {e.id: (e.data.gloss(lang) or "") for e in entries}
        owners = self.store.first_glosses(
            self.name, lang, [form_key(v) for v in firsts.values() if v]
        )
        out = {}
        for e in entries:
            name = firsts[e.id]
            unsafe = (
                not name
                or owners.get(form_key(name), []) != [e.id]
                or FORMULA_SPLIT.search(name)
                or ARROW_RE.search(name)
                or "⟨" in name
                or "⟩" in name
                or "+" in name
            )
            out[e.id] = f"{name}⟨{e.data.form}⟩" if unsafe else name
        return out

    # --- decode -----------------------------------------------------------------------

    def parse(
        self, hyperstring: str, lang: str = "ru"
    ) -> tuple[Scene, list[str], StoredEntry | None]:
        """A hyperstring → its lexemes, by longest match over grapheme clusters; unknown
        clusters are reported. Also returns the entry the whole string is, if any."""
        hs = _clean_input(hyperstring)
        phases = ARROW_RE.split(hs)
        chunks: list[tuple[int, list[str]]] = []
        # a window's key is its clusters' keys joined: a form's key folds it character by
        # character and composes only within a cluster (``form_key``), so each distinct
        # cluster is keyed once; keying every window (up to 48 per cluster) took 12 s on
        # 20,000 random characters
        keys: dict[str, str] = {}

        def key_of(clusters: list[str]) -> str:
            out = []
            for g in clusters:
                found = keys.get(g)
                if found is None:
                    found = keys[g] = form_key(g)
                out.append(found)
            return "".join(out)

        reach = MAX_GLYPH_FORM * 3  # clusters: the longest window looked up
        longest = None  # characters: the lexicon's longest form key, asked for a long chunk

        def windows(gkeys: list[str], a: int) -> list[str]:
            """The keys of the windows starting at ``a``, shortest first: none longer than
            ``reach`` clusters, nor than the lexicon's longest key (a window's key is as long
            as the key of any form it could be)."""
            keys_ = itertools.accumulate(gkeys[a : a + reach])
            if longest is None:
                return list(keys_)
            return list(itertools.takewhile(lambda k: len(k) <= longest, keys_))

        candidates = {form_key(hs)}
        for phase, part in enumerate(phases):
            for chunk in regex.split(r"[\s+]+", part):
                if not chunk:
                    continue
                gs = graphemes(chunk)
                chunks.append((phase, gs))
                if longest is None and len(gs) > reach:
                    # only a chunk longer than the reach has many windows to look up (a
                    # scene's few glyphs have few): 20,000 random characters asked for
                    # 230,000 keys of up to 48 clusters, where the longest form is 22
                    longest = self.store.longest_key(self.name)
                gkeys = [key_of([g]) for g in gs]
                for a in range(len(gs)):
                    candidates.update(windows(gkeys, a))
        found = self.store.by_keys(self.name, candidates)
        whole = found.get(form_key(hs))
        scene = Scene(lang=lang, lexicon=self.name, revision=self.store.last_revision(self.name))
        unknown: list[str] = []
        for phase, gs in chunks:
            gkeys = [key_of([g]) for g in gs]
            a = 0
            while a < len(gs):
                keyed = windows(gkeys, a)
                for b in range(a + len(keyed), a, -1):
                    stored = found.get(keyed[b - a - 1])
                    if stored is not None:
                        lx = self._lexeme(
                            stored, "exact", 1.0, lang, None, None, phase, base_applied=True
                        )
                        lx.anchor = True
                        scene.lexemes.append(lx)
                        a = b
                        break
                else:
                    unknown.append(gs[a])
                    scene.unmatched.append(Unmatched(gs[a], (0, 0)))
                    a += 1
        total = len(scene.lexemes) + len(unknown)
        scene.coverage = len(scene.lexemes) / total if total else 0.0
        if unknown:
            scene.notes.append("unknown glyphs: " + " ".join(unknown))
        return scene, unknown, whole

    def decode(
        self,
        source: str | Scene,
        *,
        style: str = "narrative",
        lang: str = "ru",
        register: str | None = None,
    ) -> Decoded:
        """Hyperstring or scene → text (see ``_decode``), as one request's reads."""
        reads = self._begin_reads()
        try:
            return self._decode(source, style=style, lang=lang, register=register)
        finally:
            self._end_reads(reads)

    def _decode(
        self,
        source: str | Scene,
        *,
        style: str = "narrative",
        lang: str = "ru",
        register: str | None = None,
    ) -> Decoded:
        """Hyperstring or scene → text. Formula is the lossless style; the others are
        rendered by ``styles`` from a plain description of the scene (``describe``), in the
        register asked for, else the scene's strongest. Register, field, anchors and
        relations are fields of the result, never words of the text."""
        if style not in styles.STYLES:
            raise BadInputError(f"style {style!r}: one of {', '.join(styles.STYLES)}")
        if lang not in styles.LANGS:
            raise BadInputError(f"language {lang!r}: one of {', '.join(styles.LANGS)}")
        if isinstance(source, Scene):
            scene, unknown = self._relabel(source, lang), []
            entries = self.store.get_many(
                self.name, [lx.entry_id for lx in scene.lexemes if lx.entry_id]
            )
            key = form_key(scene.hyperstring) if scene.lexemes else ""
            # the whole scene's key with what ``describe`` will look up first: one statement
            told = _linked_keys(e.data for e in entries.values())
            found = self.store.by_keys(self.name, [key, *told]) if key else {}
            whole = found.get(key)
        else:
            scene, unknown, whole = self.parse(source, lang)
            entries = self.store.get_many(
                self.name, [lx.entry_id for lx in scene.lexemes if lx.entry_id]
            )
        described = None
        template = None
        if style == "formula":
            text = styles.formula(self._formula_phases(scene, entries, lang))
        else:
            described = self.describe(scene, entries, whole, lang, register)
            rendering = styles.render(described, style)
            text = rendering.text
            if rendering.quoted and described.whole is not None:
                template = described.whole.form
        diag = checks.decompression(scene, register, self.thresholds)
        if diag is not None:
            scene.diagnostics.append(diag)
        return Decoded(
            text,
            scene,
            style,
            lang,
            register,
            unknown,
            template,
            anchors=[lx.form for lx in scene.anchors],
            written_register=described.register if described is not None else None,
            relations=[r.to_dict() for r in described.relations] if described else [],
            field=scene.field,
        )

    def describe(
        self,
        scene: Scene,
        entries: dict[int, StoredEntry],
        whole: StoredEntry | None,
        lang: str,
        register: str | None,
    ) -> styles.Described:
        """The scene as plain data for the renderers: its lexemes' entries, the entries their
        components link to (and those entries' own examples), the entries their examples
        name, and for a scene of one plain lexeme the entries it is a part of. A few
        look-ups by form, whatever the scene's size."""
        own = [entries[lx.entry_id].data for lx in scene.lexemes if lx.entry_id in entries]
        if whole is not None:
            own.append(whole.data)
        found = self.store.by_keys(self.name, _linked_keys(own))
        more = _linked_keys(e.data for e in found.values()) - set(found)
        if more:
            found.update(self.store.by_keys(self.name, more))
        lookup = {k: e.data for k, e in found.items()}
        told = {**{e.data.key: e for e in entries.values()}, **found}
        if whole is not None:
            told[whole.data.key] = whole
        lexemes = [
            (entries[lx.entry_id].data, lx.anchor, lx.phase)
            for lx in scene.lexemes
            if lx.entry_id in entries
        ]
        holders: list[EntryData] = []
        if len(lexemes) == 1 and len(lexemes[0][0].components) < 2:
            # one plain lexeme: what it is a part of is most of what can be said of it
            held = self.store.with_component_refs(self.name, [form_key(lexemes[0][0].form)])
            found = self.store.get_many(self.name, sorted(held)[:8])
            holders = [found[i].data for i in sorted(found)]
            keys = {form_key(c.ref) for d in holders for c in d.components if c.ref}
            missing = keys - set(lookup)
            if missing:
                lookup.update(
                    {k: e.data for k, e in self.store.by_keys(self.name, missing).items()}
                )
        return styles.describe(
            lexemes,
            lookup,
            lang,
            register,
            whole=whole.data if whole is not None else None,
            field_registers=list(scene.field["registers"]),
            holders=holders,
            shared=self._shared_glosses(told.values(), lang),
        )

    def _shared_glosses(self, entries: Iterable[StoredEntry], lang: str) -> dict[str, set[str]]:
        """Per entry (by form key), its other glosses in ``lang`` that another entry has as a
        gloss too: an alias the text must not use, since it names the other entry as well."""
        wanted: dict[str, list[tuple[str, int, str]]] = {}
        for e in entries:
            for text in e.data.glosses.get(lang, ())[1:]:
                wanted.setdefault(lemma_key(text, lang), []).append((e.data.key, e.id, text))
        out: dict[str, set[str]] = {}
        if not wanted:
            return out
        hits = self.store.by_lemmas(self.name, list(wanted), per_key=8)
        owners: dict[str, set[int]] = {}
        for h in hits:
            if h.field == "gloss":
                owners.setdefault(h.lemma, set()).add(h.entry_id)
        for key, holders in wanted.items():
            for form, entry_id, text in holders:
                if owners.get(key, set()) - {entry_id}:
                    out.setdefault(form, set()).add(text)
        return out

    def _formula_phases(
        self, scene: Scene, entries: dict[int, StoredEntry], lang: str
    ) -> list[list[str]]:
        """Formula names, a glyph cluster made of its components' glyphs spelled out."""
        expanded: list[list[StoredEntry]] = []
        parts_needed: set[str] = set()
        for phase in scene.phases:
            row: list[Any] = []
            for lx in phase:
                stored = entries.get(lx.entry_id or -1)
                if stored is None:
                    continue
                refs = [c.ref for c in stored.data.components]
                if (
                    stored.data.kind == "glyph"
                    and len(refs) >= 2
                    and all(refs)
                    and form_key("".join(refs)) == stored.data.key  # type: ignore[arg-type]
                ):
                    parts_needed.update(form_key(r) for r in refs if r)
                    row.append(refs)
                else:
                    row.append(stored)
            expanded.append(row)
        parts = self.store.by_keys(self.name, parts_needed)
        final: list[list[StoredEntry]] = []
        for row in expanded:
            out_row: list[StoredEntry] = []
            for item in row:
                if isinstance(item, list):
                    if all(form_key(r) in parts for r in item):
                        out_row.extend(parts[form_key(r)] for r in item)
                        continue
                    raise BadInputError(
                        "a glyph cluster refers to glyphs that are not active entries"
                    )
                out_row.append(item)
            final.append(out_row)
        flat = [e for row in final for e in row]
        names = self.formula_names(flat, lang)
        return [[names[e.id] for e in row] for row in final]

    def _relabel(self, scene: Scene, lang: str) -> Scene:
        """A scene decoded into another language: meanings in that language."""
        copy = Scene.from_dict(scene.to_dict())
        copy.lang = lang
        entries = self.store.get_many(
            self.name, [lx.entry_id for lx in copy.lexemes if lx.entry_id]
        )
        for lx in copy.lexemes:
            stored = entries.get(lx.entry_id or -1)
            if stored is not None:
                lx.meaning = meaning_of(stored.data, lang)
        copy.diagnostics = []
        return copy

    # --- compress and ask -------------------------------------------------------------

    def compress(
        self, sources: Sequence[str | Scene], *, lang: str = "ru", limit: int | None = None
    ) -> Scene:
        """A chain of scenes → one concept: merge, deduplicate, keep anchors, fuse known
        combinations into the compound that names them, order by weight and frequency."""
        if not sources:
            raise BadInputError("compress: give at least one scene")
        scenes: list[Scene] = []
        for src in sources:
            if isinstance(src, Scene):
                scenes.append(src)
            elif _looks_like_text(src):
                scenes.append(self.encode(src, lang=lang, stability=False))
            else:
                scenes.append(self.parse(src, lang)[0])
        order: dict[int, int] = {}
        counts: dict[int, int] = {}
        best: dict[int, Lexeme] = {}
        anchored: set[int] = set()
        for scene in scenes:
            for lx in scene.lexemes:
                if lx.entry_id is None:
                    continue
                order.setdefault(lx.entry_id, len(order))
                counts[lx.entry_id] = counts.get(lx.entry_id, 0) + 1
                if lx.entry_id not in best or best[lx.entry_id].score < lx.score:
                    best[lx.entry_id] = lx
                if lx.anchor:
                    anchored.add(lx.entry_id)
        entries = self.store.get_many(self.name, list(best))
        present = {entries[i].data.key: i for i in best if i in entries}
        fused = self.store.with_component_refs(self.name, present)
        replaced: set[int] = set()
        fused_forms: list[str] = []
        for entry_id, refs in sorted(fused.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            if len(refs) < 2 or not all(refs) or entry_id in best:
                continue
            members = [present.get(r) for r in refs]
            if any(m is None or m in replaced for m in members):
                continue
            compound = self.store.get_many(self.name, [entry_id])[entry_id]
            member_ids = [m for m in members if m is not None]
            lx = self._lexeme(
                compound,
                "compound",
                min(best[m].score for m in member_ids),
                lang,
                None,
                None,
                0,
                base_applied=True,
            )
            best[entry_id] = lx
            entries[entry_id] = compound
            order[entry_id] = min(order[m] for m in member_ids)
            counts[entry_id] = sum(counts[m] for m in member_ids)
            if anchored & set(member_ids):
                anchored.add(entry_id)
            replaced.update(member_ids)
            fused_forms.append(compound.data.form)
        keep = [i for i in best if i not in replaced]
        keep.sort(key=lambda i: (-(entries[i].data.weight * counts[i]), order[i]))
        if limit is not None:
            anchors = [i for i in keep if i in anchored]
            rest = [i for i in keep if i not in anchored]
            keep = sorted(anchors + rest[: max(0, limit - len(anchors))], key=keep.index)
        out = Scene(lang=lang, lexicon=self.name, revision=self.store.last_revision(self.name))
        for i in keep:
            lx = best[i]
            lx.phase = 0
            lx.anchor = i in anchored
            lx.meaning = meaning_of(entries[i].data, lang)
            out.lexemes.append(lx)
        out.coverage = 1.0
        if fused_forms:
            out.notes.append("fused into known compounds: " + ", ".join(fused_forms))
        return out

    def ask(self, question: str, *, lang: str | None = None) -> Answer:
        """Question → hypercode of the answer, with no connector: the question's nearest
        archetype (a Δ-code) and the meanings it fuses, said plainly to be just that."""
        q = self.encode(question, lang=lang, stability=False)
        lang = q.lang
        [hits] = self.ws.index().query_many(
            self.name, [question], k=3, kind="delta", status="active"
        )
        answer = Scene(lang=lang, lexicon=self.name, revision=q.revision)
        # the index may still hold an entry deleted a moment ago (its outbox not yet drained):
        # the nearest Δ-code the store still has answers
        present = self.store.get_many(self.name, [h.entry_id for h in hits])
        hits = [h for h in hits if h.entry_id in present]
        if hits:
            delta = present[hits[0].entry_id]
            lx = self._lexeme(
                delta, "archetype", hits[0].score, lang, None, None, 0, base_applied=True
            )
            lx.anchor = True
            answer.lexemes.append(lx)
            refs = [c.ref for c in delta.data.components if c.ref]
            parts = self.store.by_keys(self.name, [form_key(r) for r in refs])
            for r in refs:
                stored = parts.get(form_key(r))
                if stored is not None:
                    answer.lexemes.append(
                        self._lexeme(stored, "exact", 1.0, lang, None, None, 1, base_applied=True)
                    )
        note = "no connector was asked for: the answer is the question's nearest archetype"
        answer.notes.append(note)
        text = self.decode(answer, style="narrative", lang=lang).text if answer.lexemes else ""
        return Answer(q, answer, text, "lexicon", note)

    # --- links ------------------------------------------------------------------------

    def links(self, scene: Scene) -> list[tuple[str, str, str]]:
        """How the scene's lexemes hold together in the lexicon: A's component names B
        (``ref``), or A and B share a component meaning. ``(form_a, form_b, label)``."""
        from .morphology import lemma_key

        ids = list(dict.fromkeys(lx.entry_id for lx in scene.lexemes if lx.entry_id))
        stored = self.store.get_many(self.name, ids)
        forms = {form_key(s.data.form): s.data.form for s in stored.values()}
        out: list[tuple[str, str, str]] = []
        seen: set[tuple[str, str]] = set()

        def link(a: str, b: str, label: str) -> None:
            pair = (min(a, b), max(a, b))
            if a != b and pair not in seen:
                seen.add(pair)
                out.append((a, b, label))

        meanings: dict[str, list[str]] = {}
        for s in stored.values():
            for c in s.data.components:
                if c.ref and form_key(c.ref) in forms:
                    link(s.data.form, forms[form_key(c.ref)], c.meaning)
                key = lemma_key(c.meaning, c.lang)
                meanings.setdefault(key, []).append(s.data.form)
        for meaning, holders in sorted(meanings.items()):
            holders = list(dict.fromkeys(holders))
            for i, a in enumerate(holders):
                for b in holders[i + 1 :]:
                    link(a, b, f"share «{meaning}»")
        return out

    # --- helpers ----------------------------------------------------------------------

    def _lexeme(
        self,
        stored: StoredEntry,
        how: str,
        score: float,
        lang: str,
        span: tuple[int, int] | None,
        text: str | None,
        phase: int,
        *,
        base_applied: bool = False,
    ) -> Lexeme:
        d = stored.data
        return Lexeme(
            entry_id=stored.id,
            form=d.form,
            how=how,
            score=round(score if base_applied else _weighted(score, d), 4),
            meaning=meaning_of(d, lang),
            kind=d.kind,
            registers=tuple(d.registers),
            weight=d.weight,
            span=span,
            source=text[span[0] : span[1]] if (text is not None and span) else "",
            phase=phase,
        )


_PARTNERS: dict[tuple[str, tuple[str, ...]], dict[str, str]] = {}


def _phrase_partners(said: tuple[str, ...], translations: Translations | None) -> dict[str, str]:
    """Of an entry's Russian keywords of one word, those that make a phrase the bilingual
    dictionary has with another that is a noun in an oblique case governed by the first
    («день» and «рождения»: день рождения, birthday), each with the lemma of its partner:
    CLDR splits its keywords into words, and either alone means something else. Not an
    adjective and its noun («футбольный мяч»: a ball is still one). Kept per process, per
    set of glosses (an entry's are few)."""
    if translations is None or len(said) < 3:
        return {}
    key = (translations.source, said)
    found = _PARTNERS.get(key)
    if found is None:
        words = [w for w in said[1:] if w and " " not in w]
        found = {}
        for a in words:
            for b in words:
                if (
                    a != b
                    and governed(b)
                    and translations.ru.get(f"{a} {b}".casefold().replace("ё", "е"))
                ):
                    found.setdefault(a, lemma_key(b, "ru"))
                    found.setdefault(b, lemma_key(a, "ru"))
        if len(_PARTNERS) >= 16_384:
            _PARTNERS.clear()
        _PARTNERS[key] = found
    return found


def _weakly(related: dict[tuple[int, int], float] | None, i: int, entry_id: int) -> bool:
    """Whether the thesaurus led word ``i`` to the entry by a broader word, a rarer sense or
    a word of its definition, not by a synonym in its first sense."""
    return bool(related) and related.get((i, entry_id), SYNONYM) < SYNONYM


def _a_russian_verb(tok: Token) -> bool:
    """Whether a Russian word's likeliest reading is a verb, as an English verb form is
    (``Token.verb_form``, which for Russian marks only a verb spelled like a noun)."""
    return script_language(tok.text) == "ru" and russian_verb(tok.text)


def _of_its_family(tok: Token, ranked: Sequence[Any]) -> bool:
    """Whether the nearest entry has a Russian gloss of the verb's own family, one that
    begins with the first ``STEM`` letters of its lemma (чувствовать: 🫀 «чувство»): the
    entry names what the verb does, as a noun, and meaning only confirms it. «выла» and
    🐺 «волк», «бил» and 🎫 «билет» share no such stem."""
    stem = tok.lemma.casefold().replace("ё", "е")[:STEM]
    if len(stem) < STEM or not ranked:
        return False
    glosses = ranked[0][2].data.glosses.get("ru", ())
    return any(w.startswith(stem) for g in glosses for w in g.casefold().replace("ё", "е").split())


def _linked_keys(entries: Iterable[EntryData]) -> set[str]:
    """The form keys these entries name: their components' links and their examples."""
    keys: set[str] = set()
    for d in entries:
        keys.update(form_key(c.ref) for c in d.components if c.ref)
        keys.update(form_key(x) for x in d.examples)
    return keys


def _names_it(d: EntryData, said_as: tuple[str, frozenset[str]]) -> bool:
    """Whether an entry's name (its first gloss in the word's language) is the word or a
    synonym of its first sense ("plane": ✈️ "airplane", not 🧑‍✈️ "pilot"; «машина»: 🚗
    «автомобиль», not 🚖 «такси»). A name that only holds the word among others says less:
    "bubble tea" is a kind of tea and "hot springs" another spring (ranking by that too gave
    0.756 / 0.526 spurious against 0.765 / 0.489)."""
    lang, keys = said_as
    glosses = d.glosses.get(lang, ())
    return bool(glosses) and lemma_key(glosses[0], lang) in keys


def _translated_keys(translations: Translations, word: str, lang: str) -> list[tuple[str, ...]]:
    """A word's first ``PIVOTS`` translations into the other language, best first, each as
    the lemma keys a gloss may have (an English one's: ``_english_keys``), and the rarer ones
    the dictionary keeps after them because their first sense is the word (``OWN_SENSES``).
    """
    return [
        _english_keys(t) if lang == "ru" else (lemma_key(t, "ru"),)
        for t, _ in _noun_translations(translations, word, lang)[: PIVOTS + OWN_SENSES]
    ]


def _noun_translations(translations: Translations, word: str, lang: str) -> list[Any]:
    """A noun's translations: an English one's noun senses (``Translations.noun``: train is
    поезд, though its article gives the verb first); a Russian one's as the dictionary,
    read backwards, ranks them."""
    return translations.noun(word) if lang == "en" else translations.of(word, lang)


def _reciprocal(translations: Translations | None, word: str) -> bool:
    """Whether a word's first translation has the word among its own first ``RECIPROCAL``
    translations back. A dictionary ranks a word's translations by how common each is in
    its own language, not by how often the word means it: «песня» comes first as air (an
    aria), which means воздух first; «сова» → owl → сова is the word's own sense."""
    return 0 in _reciprocals(translations, word, 1, RECIPROCAL)


def _reciprocals(
    translations: Translations | None, word: str, n: int, depth: int
) -> tuple[int, ...]:
    """Which of a word's first ``n`` translations have the word among their own first
    ``depth`` translations back (``_reciprocal``). With ``depth`` 1 each is a sense of the
    word wherever the dictionary ranks it: «вечер» → night, evening; only evening → вечер."""
    lang = script_language(word)
    if translations is None or lang not in ("ru", "en"):
        return ()
    key = lemma_key(word, lang)
    out = []
    for k, (first, _) in enumerate(_noun_translations(translations, word, lang)[:n]):
        # an English translation is a headword as the dictionary keys it: its own article,
        # read without the English lemmatizer, which a Russian encode does not load
        own = translations.en.get(first) if lang == "ru" else None
        back = (own or translations.of(first, "en" if lang == "ru" else "ru"))[:depth]
        if any(lemma_key(t, lang) == key for t, _ in back):
            out.append(k)
    return tuple(out)


def _own_senses(translations: Translations | None, word: str) -> tuple[int, ...]:
    """Which of a word's translations (``_translated_keys``) are its own senses: those that give
    the word back first (``_reciprocals``), or the one translation of an English word whose
    article has only one ("grandma" → бабушка, whose first translation back is grandmother).
    Not of a Russian word: the dictionary is English's, and a Russian word with one
    translation is one that a single article happens to give, in whatever sense."""
    back = _reciprocals(translations, word, PIVOTS + OWN_SENSES, 1)
    if back or translations is None or script_language(word) != "en":
        return back
    return (0,) if len(_noun_translations(translations, word, "en")) == 1 else ()


def _headword_noun(piece: str, translations: Translations) -> bool:
    """Whether a piece of a fused word is a Russian noun as a dictionary writes it (its own
    lemma, which the bilingual dictionary translates): fused words join such nouns
    (страх + тишина + жар + ожидание)."""
    # a headword is its own lemma, so the dictionary holds it as written: asking that first
    # spares parsing the many substrings of a fused word that are no word at all
    return (
        len(piece) >= 3
        and bool(translations.ru.get(piece))
        and lemma(piece, "ru") == piece
        and can_be_noun(piece, "ru")
    )


def _english_keys(text: str) -> tuple[str, ...]:
    """An English translation's keys (``_spellings``); one of several words also as a gloss
    of those words is keyed ("shooting star": shoot star). A single word is a headword, a
    base form already: its own key, asking no lemmatizer, whose dictionary is a third of a
    cold Russian encode."""
    spelled = _spellings(" ".join(w.casefold() for w in text_words(text)))
    if " " not in text.strip():
        return spelled
    return tuple(dict.fromkeys((*spelled, lemma_key(text, "en"))))


def _spellings(key: str) -> tuple[str, ...]:
    """An English translation's key, and for a hyphenated one also as one word and as two:
    an older dictionary hyphenates compounds that glosses write solid or open («арбуз» →
    water-melon, 🍉 "watermelon"; alarm-clock, ⏰ "alarm clock")."""
    if "-" not in key:
        return (key,)
    return tuple(dict.fromkeys((key, key.replace("-", ""), key.replace("-", " "))))


# a preposition before «два часа» that makes it a time of day («в два часа», «к трём часам»,
# «на семь часов»), and a part of the day after it («два часа ночи»)
CLOCK_BEFORE = frozenset("в во к ко на до после с со около".split())
EN_TIME_UNITS = frozenset({"hour", "minute"})  # the units a clock face could be taken for
EN_COUNTS = frozenset(
    "a an one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty sixty hundred few several many couple".split()
)
PARTS_OF_DAY = frozenset("утра дня вечера ночи".split())


def _duration(tokens: list[Token], i: int) -> bool:
    """Whether the words at ``i`` and ``i + 1`` («два часа») are a length of time, not a time
    of day: a Russian numeral and a form of час, with no preposition before them that makes
    them a clock time and no part of the day after them. Without one they are an accusative
    of duration («ждал два часа», «три часа рисовали», «через три часа»), and a clock face
    named «два часа» does not stand for them.

    In English a count and "hour(s)" or "minute(s)" ("two hours", "2 hours", "an hour",
    "several minutes", "for hours"): English says a time of day with "o'clock" or digits, so
    these are always lengths of time ("the hour hand", "rush hour" are not)."""
    unit, before = tokens[i + 1], tokens[i]
    if _english(unit):
        if unit.lemma not in EN_TIME_UNITS:
            return False
        plural = unit.text.casefold() != unit.lemma
        return _counted(before, EN_COUNTS) or (plural and before.text.casefold() == "for")
    if before.kind != "word" or unit.lemma != "час" or not numeral(before.text):
        return False
    return (
        _word_beside(tokens, i, -1) not in CLOCK_BEFORE
        and _word_beside(tokens, i + 1, 1) not in PARTS_OF_DAY
    )


# what makes "time" an occasion, counted or placed in a series ("three times", "for the first
# time", "every time", "next time"), not time passing; "a time" may be an age, and is not
EN_OCCASIONS = (EN_COUNTS - {"a", "an"}) | frozenset(
    "first second third fourth fifth last next every each".split()
)


def _occasion(tokens: list[Token], i: int) -> bool:
    """Whether the words at ``i`` and ``i + 1`` are an English count or ordinal and "time(s)"
    ("scored three times", "for the first time"): an occasion, which neither the hourglass of
    time nor the 🥇 of "first" stands for. Like a length of time, it is no concept."""
    unit, before = tokens[i + 1], tokens[i]
    return _english(unit) and unit.lemma == "time" and _counted(before, EN_OCCASIONS)


# a rate: how often in what length of time ("three times a day", «дважды в неделю»)
RATE_UNITS = frozenset("day week month year hour minute день неделя месяц год час сутки".split())
RATE_BEFORE = frozenset("a an per в".split())
RATE_COUNTS = frozenset("time once twice thrice раз дважды трижды".split())


def _rate(tokens: list[Token], i: int) -> bool:
    """Whether the words at ``i`` and ``i + 1`` are the length of time of a rate, after the
    count of times ("twice a day", "three times per week", «три раза в день»): the day of
    a rate is no day the scene shows (📆 for «раз в день»), as a length of time is none."""
    if i == 0 or tokens[i].text.casefold() not in RATE_BEFORE:
        return False
    unit, count = tokens[i + 1], tokens[i - 1]
    return (
        unit.lemma in RATE_UNITS
        and count.kind == "word"
        and (count.lemma in RATE_COUNTS or count.text.casefold() in RATE_COUNTS)
    )


def _counted(before: Token, words: frozenset[str]) -> bool:
    """Whether the token before an English unit counts it: one of ``words``, or digits."""
    said = before.text.casefold()
    return said in words or (before.kind == "other" and said.isdigit())


def _word_beside(tokens: list[Token], i: int, step: int) -> str:
    """The nearest word before (``step`` -1) or after (1) token ``i`` in its sentence,
    casefolded; empty at the sentence's edge."""
    j = i + step
    while 0 <= j < len(tokens) and tokens[j].sentence == tokens[i].sentence:
        if tokens[j].kind == "word":
            return tokens[j].text.casefold()
        j += step
    return ""


def _english(tok: Token) -> bool:
    """Whether a word is written in English (a mixed text's words each have their own)."""
    return script_language(tok.text) == "en"


def _own_acts(tok: Token) -> tuple[str, ...]:
    """A verb's lemma and, for a Russian perfective one, the imperfectives it is made from:
    a Russian name shows an act in the present («заплакал»: 😢 «плачет»). A word that is no
    verb has none."""
    if script_language(tok.text) != "ru":
        return (tok.lemma,) if tok.verb_form else ()
    if not (tok.verb_form or russian_verb(tok.text)):
        return ()
    return (tok.lemma, *imperfectives(tok.lemma))


def _name_of(data: EntryData, lang: str) -> str:
    """An entry's name in ``lang``, else in the first language it has one in."""
    glosses = data.glosses.get(lang) or next((g for g in data.glosses.values() if g), [""])
    return glosses[0]


def _in_name(tok: Token, glosses: Sequence[str], lang: str) -> bool:
    """Whether a word is one of the words of an entry's name (its first gloss), by lemma."""
    if not glosses:
        return False
    if lang == "en":
        return not english_forms(tok.lemma).isdisjoint(gloss_words(glosses[:1], "en"))
    return tok.lemma in gloss_words(glosses[:1], lang)


def _attributive(tokens: list[Token], first: int, last: int, lang: str) -> bool:
    """Whether "the" and an adjective that cannot be a noun ("the new", "the maternal", an
    archetype's name) stand before a word of their sentence that they describe, a content
    word that is no verb: "the new glimmerfax" is a new thing, not the new as such
    (Δ-child)."""
    if last != first + 1 or tokens[first].text.casefold() != "the":
        return False
    if _can_be_noun(tokens[last], lang):
        return False
    after = last + 1
    return (
        after < len(tokens)
        and tokens[after].kind == "word"
        and tokens[after].sentence == tokens[last].sentence
        and tokens[after].content
        and not tokens[after].verb_form  # "the new came": the new as such
    )


def _describes_next(tokens: list[Token], i: int) -> bool:
    """Whether the word is an adjective describing the noun right after it in its sentence:
    an English word the tagger read as an adjective before one it read as a noun ("old
    mattress"), a Russian one agreeing with the noun (``morphology.modifies``: «старой
    церкви», not «дом отца»)."""
    after = i + 1
    if after >= len(tokens) or tokens[after].kind != "word":
        return False
    tok, noun = tokens[i], tokens[after]
    if noun.sentence != tok.sentence or noun.verb_form or tok.verb_form:
        return False
    if _english(tok):
        return tok.adjective and bool(noun.noun)
    return modifies(tok.text, noun.text, "ru")


def _can_be_noun(tok: Token, lang: str) -> bool:
    """A noun here: as the tagger read it in its sentence where one did, else whether the
    word can be one at all."""
    return tok.noun if tok.noun is not None else can_be_noun(tok.text, lang)


def _shows_act(data: EntryData, verb: str, compound: Callable[[str], bool] | None = None) -> bool:
    """Whether an entry's name in the verb's language holds the verb: an English name its
    -ing form ("person walking", "crying face"), a Russian one a form of it, finite or a
    participle («спит», «плачущий кот»). The entry shows the act, not a thing spelled like
    the verb (🪰 "fly", and 🪚 "carpentry saw" for "saw", the past of "see"), nor a thing
    named for the act: an -ing form that makes one noun with the word after it, by
    ``compound`` (the thesaurus's nouns: 👟 "running shoe", 🛸 "flying saucer", 🎣 "fishing
    pole", where "crying face" is no noun of its own). English -ing forms are regular
    (``english_forms``), so no lemmatizer is asked: a Russian encode, whose verbs come here
    by their translations, would load lemminflect for it (0.16 s of a cold start)."""
    if script_language(verb) == "ru":
        name = (data.glosses.get("ru") or [""])[0]
        return any(verb in verb_lemmas(w) for w in text_words(name))
    words = (data.glosses.get("en") or [""])[0].casefold().replace("-", " ").split()
    forms = english_forms(verb)
    return any(
        w != verb
        and w.endswith("ing")
        and w in forms
        and not (compound and k + 1 < len(words) and compound(f"{w} {words[k + 1]}"))
        for k, w in enumerate(words)
    )


# what may be an English verb's subject (``_english_subjects``, ``_may_be_person``): the
# pronouns that stand for a person and those that stand for a thing; the words a noun is the
# object of where they stand before it
_EN_PERSONS = frozenset(
    "i you he she we they who someone somebody everyone everybody anyone anybody nobody"
    " me him her us them".split()
)
_EN_THINGS = frozenset("it something everything nothing anything".split())
# an entry that pictures a person (``_shows_person``): the words of its name that say so
_PERSON_NAMES = {
    "en": frozenset("person man woman men women people boy girl child couple family".split()),
    "ru": frozenset("человек мужчина женщина люди мальчик девочка ребенок пара семья".split()),
}


def _acts_named(
    data: EntryData, lang: str, compound: Callable[[str], bool] | None = None
) -> frozenset[str]:
    """The verbs an entry's name in ``lang`` shows being done: a Russian name's present
    verbs and active participles (``morphology.acts_shown``: «плачет», «танцующий
    мужчина»), an English name's -ing forms that make no noun with the word after them
    (``_shows_act``: "crying face", not "flying saucer")."""
    name = (data.glosses.get(lang) or [""])[0]
    if lang == "ru":
        return frozenset(v for w in text_words(name) for v in acts_shown(w))
    words = name.casefold().replace("-", " ").split()
    return frozenset(
        lemma(w, "en")
        for k, w in enumerate(words)
        if w.endswith("ing")
        and len(w) > 4
        and not (compound and k + 1 < len(words) and compound(f"{w} {words[k + 1]}"))
    )


def _shows_person(d: EntryData) -> bool:
    """Whether an entry's name in either language shows a person ("man dancing", «мужчина
    плавает», "person rowing boat")."""
    return any(
        not _PERSON_NAMES[lang].isdisjoint(gloss_words(tuple(d.glosses.get(lang, ())[:1]), lang))
        for lang in ("en", "ru")
    )


def _clause(tokens: list[Token], i: int) -> range:
    """The tokens of the clause the token at ``i`` is in: its sentence between the commas,
    semicolons, colons, dashes and brackets around it."""
    sentence = tokens[i].sentence

    def bound(k: int) -> bool:
        t = tokens[k]
        return t.sentence != sentence or (t.kind == "other" and t.text in CLAUSE_MARKS)

    first = i
    while first > 0 and not bound(first - 1):
        first -= 1
    last = i
    while last + 1 < len(tokens) and not bound(last + 1):
        last += 1
    return range(first, last + 1)


def _may_be_person(t: Token, tokens: list[Token], wordnet: Thesaurus | None) -> bool:
    """Whether an English pronoun or noun may stand for a person: a pronoun of people, a
    name (capitalized inside its sentence, or no word of the language), or a noun whose
    commonest sense is a person or a group of them, or that WordNet lacks."""
    low = t.text.casefold()
    if low in _EN_PERSONS:
        return True
    if low in _EN_THINGS:
        return False
    first = next((u for u in tokens if u.sentence == t.sentence and u.kind == "word"), None)
    if t.text[:1].isupper() and (t is not first or not english_readings(t.text)):
        return True
    return wordnet is None or wordnet.is_person(t.lemma) is not False


def _english_subjects(tokens: list[Token], i: int) -> list[Token]:
    """What may be the subject of an English verb: every pronoun and noun before it in its
    sentence that is not the object of a preposition ("the ducks in the pond swam": ducks,
    not pond)."""
    sentence = tokens[i].sentence

    def word(k: int) -> Token | None:
        t = tokens[k] if k >= 0 else None
        return t if t is not None and t.sentence == sentence and t.kind == "word" else None

    found: list[Token] = []
    for j in range(i - 1, -1, -1):
        t = tokens[j]
        if t.sentence != sentence:
            break
        low = t.text.casefold()
        if t.kind != "word" or t.verb_form:
            continue
        if low not in _EN_PERSONS and low not in _EN_THINGS:
            if low in FUNCTION_WORDS or not _can_be_noun(t, "en"):
                continue
            # past its determiners and adjectives, a preposition makes it an object (a noun
            # before it ends the search: "the evening" of "in the evening the couple")
            k = j - 1
            while (w := word(k)) is not None and (
                w.text.casefold() in EN_DETERMINERS
                or not (
                    w.verb_form or _can_be_noun(w, "en") or w.text.casefold() in EN_PREPOSITIONS
                )
            ):
                k -= 1
            if (w := word(k)) is not None and w.text.casefold() in EN_PREPOSITIONS:
                continue
        found.append(t)
    return found


def _a_face(d: EntryData) -> bool:
    """Whether an entry shows a face: an English name or phrase of its glosses says face
    ("fearful face", "face with tears of joy"; not a cat's "cat with tears of joy", whose
    keyword face alone says less), or a Russian gloss is лицо."""
    return _face_glosses(tuple(d.glosses.get("en", ())), tuple(d.glosses.get("ru", ())))


@lru_cache(maxsize=16_384)
def _face_glosses(english: tuple[str, ...], russian: tuple[str, ...]) -> bool:
    """``_a_face`` by the glosses themselves: asked of the same candidates encode after
    encode (8% of the semantic layer's time over the encode-quality sentences when not
    kept)."""
    return any(len(words := g.casefold().split()) > 1 and "face" in words for g in english) or any(
        "лицо" in g.casefold().split() for g in russian
    )


def _glossed_as(d: EntryData, words: set[str]) -> bool:
    """Whether one of the entry's glosses is one of these words (by its lemma)."""
    return any(lemma_key(g, lang) in words for lang, items in d.glosses.items() for g in items)


@dataclass(frozen=True)
class _Gate:
    """The threshold a lexeme matched by meaning passed, and which it is: a run's or a word
    alone's (``semantic``), a word's held to ``word_margin`` more (``word``: one of a longer
    run, a verb), a face's (``feeling``) or a sentence template's (``sentence``). The lexeme
    keeps both, so that calibration fits each threshold on its own verdicts: fitted together
    on raw scores, one threshold came out for all four (0.52–0.55 a fold on a log of the
    minilm model's, whose runs fit 0.57–0.62 alone and whose words 0.55: the words' default
    of 0.80 was the one wrong for it, docs/calibration.md)."""

    name: str
    threshold: float

    @property
    def logged(self) -> dict[str, Any]:
        return {"gate": self.name, "threshold": round(self.threshold, 4)}


def _near(
    span: tuple[int, int], text: str, score: float, entry_id: int, stored: Any
) -> dict[str, Any]:
    """A candidate left under the threshold: kept in the scene for calibration to learn from."""
    return {
        "span": list(span),
        "text": text[span[0] : span[1]],
        "form": stored.data.form,
        "entry_id": entry_id,
        "score": round(score, 4),
    }


def _clean_input(text: str) -> str:
    if not isinstance(text, str):
        raise BadInputError("expected text")
    text = nfc(text).strip()
    if not text:
        raise BadInputError("empty input")
    if len(text) > MAX_TEXT:
        raise BadInputError(f"input longer than {MAX_TEXT} characters ({len(text)})")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t\r" for c in text):
        raise BadInputError("input contains a control character")
    surrogate = surrogate_problem(text)
    if surrogate:
        raise BadInputError(f"input {surrogate}")
    return text


def _looks_like_text(s: str) -> bool:
    """Plain words (not a hyperstring of forms): at least two words of three letters."""
    return len([w for w in regex.findall(r"[\p{L}]{3,}", s)]) >= 2 and " " in s.strip()


def meaning_of(d: EntryData, lang: str) -> str:
    """The word for an entry in a scene: its first gloss in ``lang``, else any, else its form."""
    return d.gloss(lang) or next((items[0] for items in d.glosses.values() if items), d.form)


def _weighted(score: float, d: EntryData) -> float:
    return score * (0.75 + 0.25 * d.weight)


def _rank(items: Iterable[tuple[float, int, Any]]) -> list[tuple[float, int, Any]]:
    return sorted(items, key=lambda t: (-round(t[0], 6), KIND_ORDER.get(t[2].data.kind, 9), t[1]))


def _best_per_entry(items: Iterable[tuple[float, int, Any]]) -> list[tuple[float, int, Any]]:
    """One candidate per entry (its best score): an entry whose gloss and component both
    match is one candidate, not its own runner-up."""
    best: dict[int, tuple[float, int, Any]] = {}
    for item in items:
        if item[1] not in best or best[item[1]][0] < item[0]:
            best[item[1]] = item
    return list(best.values())


def _clusters(tok: Token) -> list[tuple[int, int, str]]:
    out, pos = [], tok.start
    for g in graphemes(tok.text):
        out.append((pos, pos + len(g), g))
        pos += len(g)
    return out


def _ngram(
    tokens: list[Token],
    i: int,
    n: int,
    *,
    words_only: bool = False,
    free: list[Any] | None = None,
) -> int | None:
    """Index of the last token of the n-gram of words starting at i, within one sentence."""
    kinds = ("word",) if words_only else ("word", "delta")
    j, count, last = i, 0, None
    while j < len(tokens) and count < n:
        tok = tokens[j]
        if tok.kind not in kinds or tok.sentence != tokens[i].sentence:
            return None
        if free is not None and free[j] is not None:
            return None
        count += 1
        last = j
        j += 1
    if count < n:
        return None
    if words_only and n > 1 and not tokens[last].content:  # type: ignore[index]
        return None
    return last


def _scattered(tokens: list[Token], claimed: list[Any]) -> list[tuple[str, tuple[int, ...], int]]:
    """Lemma keys of two or three content words of one sentence, near each other (at most
    ``SCATTER`` content words apart), in every order: how a multi-word gloss is found when a
    sentence inflects, reorders or separates its words. ``(key, token indices, width)``;
    the words side by side and in order are the contiguous pass's, not these."""
    by_sentence: dict[int, list[int]] = {}
    for i, tok in enumerate(tokens):
        if tok.kind == "word" and tok.content and claimed[i] is None:
            by_sentence.setdefault(tok.sentence, []).append(i)
    out: list[tuple[str, tuple[int, ...], int]] = []
    for idx in by_sentence.values():
        groups: set[tuple[int, ...]] = set()
        for a in range(len(idx)):
            for b in range(a + 1, min(len(idx), a + SCATTER + 1)):
                groups.add((idx[a], idx[b]))
            if a + 2 < len(idx):
                groups.add((idx[a], idx[a + 1], idx[a + 2]))
        for group in groups:
            width = tokens[group[-1]].end - tokens[group[0]].start
            side_by_side = all(group[k + 1] == group[k] + 1 for k in range(len(group) - 1))
            for order in itertools.permutations(group):
                if side_by_side and list(order) == sorted(order):
                    continue
                out.append((" ".join(tokens[j].lemma for j in order), group, width))
    return out


def _two_things(tokens: list[Token], picked: Sequence[int], lang: str) -> bool:
    """Whether words of a multi-word gloss found apart are things of their own: each a noun
    in the sentence, with a content word between two of them ("A *spider* spun its *web*":
    the spider and its web, not 🕸️ "spider web" alone; «звезда медленно падала» has a verb
    and stays 🌠). A noun is one the tagger read so, or a word that can be nothing else."""

    def thing(tok: Token) -> bool:
        return tok.noun if tok.noun is not None else only_noun(tok.text, lang)

    if not all(thing(tokens[j]) for j in picked):
        return False
    return any(
        tokens[k].kind == "word" and tokens[k].content
        for a, b in itertools.pairwise(picked)
        for k in range(a + 1, b)
    )


def _free_nouns(run: _Run) -> list[int]:
    """The content words no layer has explained yet that may be nouns here."""
    return [
        i
        for i, tok in enumerate(run.tokens)
        if tok.kind == "word"
        and tok.content
        and run.claimed[i] is None
        and not tok.verb_form
        and not tok.hedges
        and _can_be_noun(tok, run.lang)
    ]


def _says_more(d: EntryData, doc: str, lang: str, tokens: Sequence[Token]) -> bool:
    """Whether a template found by its document ``doc`` would say more than its sentence
    (of language ``lang``) does: it was found by a gloss of the sentence's own language that
    the sentence does not say whole ("fire and candle" is 0.83 from 🜂⧖🕯 "fire, time and
    candle", and the template would put a time in the scene). A usage example is a template
    by its whole, and a gloss of the other language, found across languages, cannot be said
    word for word: neither is asked."""
    return doc == lang and not _says_a_gloss(_gloss_texts(d, doc), tokens)


def _gloss_texts(d: EntryData, lang: str) -> list[str]:
    """What an entry's document in ``lang`` says (``index.documents``): each of its glosses,
    and its components' meanings in that language taken together."""
    from .index import component_languages

    parts = [meaning for of, meaning in component_languages(d) if of == lang]
    return [*d.glosses.get(lang, ()), *([", ".join(parts)] if parts else [])]


def _says_a_gloss(glosses: Sequence[str], tokens: Sequence[Token]) -> bool:
    """Whether a sentence says every content word of one of an entry's glosses, by lemma and
    in any order: a scene template matched by a gloss (a sentence of the seed documents as
    core glosses it, «вдох, как молния в тумане тела») stands for the sentence only where
    the sentence says that gloss, and adds nothing the sentence did not say. A usage example
    is a template by its whole (what one feels before a storm), and is not asked this."""
    said = {lemma_key(t.text, script_language(t.text)) for t in tokens if t.kind == "word"}
    for gloss in glosses:
        words = [t for t in tokenize(gloss) if t.kind == "word" and t.content]
        if words and all(lemma_key(t.text, script_language(t.text)) in said for t in words):
            return True
    return False


def _free_runs(tokens: list[Token], claimed: list[Any]) -> list[tuple[int, int]]:
    """Maximal runs (up to four words) of unexplained words in one sentence that start and end
    with a content word."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        if tokens[i].kind != "word" or claimed[i] is not None or not tokens[i].content:
            i += 1
            continue
        j = i
        last_content = i
        while (
            j + 1 < len(tokens)
            and tokens[j + 1].kind == "word"
            and claimed[j + 1] is None
            and tokens[j + 1].sentence == tokens[i].sentence
            and (j + 1 - i) < MAX_NGRAM
        ):
            j += 1
            if tokens[j].content:
                last_content = j
        runs.append((i, last_content))
        i = last_content + 1
    return runs


def _join_neighbours(run: _Run) -> None:
    """Two words side by side that each stand for the same entry say it once, over both:
    "станция метро", "four-leaf clover", "left hand" are one 🚇, 🍀, 🫲, not two (five scenes
    of the main labelled set said the entry twice). The pair keeps the surer score."""
    tokens, claimed, text = run.tokens, run.claimed, run.text
    words = [i for i, tok in enumerate(tokens) if tok.kind == "word"]
    dropped: set[int] = set()
    for i, j in itertools.pairwise(words):
        a, b = claimed[i], claimed[j]
        if (
            a is None
            or b is None
            or a is b
            or a.entry_id is None
            or a.entry_id != b.entry_id
            or a.span is None
            or b.span is None
            or tokens[i].sentence != tokens[j].sentence
            or text[a.span[1] : b.span[0]].strip(" -")
        ):
            continue
        a.span = (a.span[0], b.span[1])
        a.source = text[a.span[0] : a.span[1]]
        a.score = max(a.score, b.score)
        for k, lx in enumerate(claimed):
            if lx is b:
                claimed[k] = a
        dropped.add(id(b))
    if dropped:
        run.lexemes = [lx for lx in run.lexemes if id(lx) not in dropped]


def _sentence_text(text: str, tokens: list[Token], sentence: int | None = None) -> str:
    """A sentence of the text (with ``sentence`` None, all of it) from its first word, glyph
    or Δ-code to its last, as ``_semantic`` asks it: the layers asking a text by meaning ask
    the same string, so it is embedded once per encode (for a text of one sentence, the
    archetype's query too)."""
    kept = [
        t
        for t in tokens
        if t.kind in SENTENCE_KINDS and (sentence is None or t.sentence == sentence)
    ]
    return text[kept[0].start : kept[-1].end] if kept else ""


def _sentences(tokens: list[Token]) -> list[tuple[int, int]]:
    """Sentences with at least two content words, as (first token, last token)."""
    out: list[tuple[int, int]] = []
    by_sentence: dict[int, list[int]] = {}
    for i, tok in enumerate(tokens):
        if tok.kind in SENTENCE_KINDS:
            by_sentence.setdefault(tok.sentence, []).append(i)
    for idx in by_sentence.values():
        if sum(tokens[i].content and tokens[i].kind == "word" for i in idx) >= 2:
            out.append((idx[0], idx[-1]))
    return out


def _segment(word: str, known: set[str]) -> list[str] | None:
    """Split a fused word into the fewest known meanings covering it exactly."""
    n = len(word)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - 40), end - 2):
            prev = best[start]
            piece = word[start:end]
            if prev is not None and piece in known:
                cand = [*prev, piece]
                if best[end] is None or len(cand) < len(best[end]):  # type: ignore[arg-type]
                    best[end] = cand
    return best[n]
