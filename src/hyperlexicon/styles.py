"""Rendering a scene as text without an LLM: narrative, essay, poem and formula, in Russian and
English, in each of the five registers.

The renderers are pure functions of plain data. The bridge describes a scene (``describe``)
as ``Described``: its phases of ``Sense`` (each lexeme with all its glosses in the language,
its kind, its parts, usable notes and examples, registers, anchor flag and phase), the entry
the whole scene is (when it is one), and the ``Relation`` between them (``relations``): a
change from one phase to the next (``A → B``), a union within a phase (``+``), a part (one
entry's component is another entry of the scene), kinship (two entries share a component),
a cause (a connective lexeme such as ``∵``/``∴`` between two groups, or a later phase made of
an earlier one).

The styles differ in kind, not in punctuation:

- **narrative** tells the scene as a short story: what comes first, what follows it, what it
  changes into, what the parts make together; one event per sentence, relations as events;
- **essay** develops a centre (the strongest anchor), what it is made of or also called, the
  tension with the rest or across the change, and the resolution;
- **poem** gives lines of near-equal length (syllables counted) built on images: a simile
  («вдох, как молния в тумане»), a genitive metaphor («тишина огня»), a line of motion;
- **formula** is the lossless ``name + name → name`` the bridge resolves back (unchanged).

Each register has its own constructions and vocabulary (``constructions.py``); a gloss is
inflected to agree with the words around it (``grammar.py``). The text is deterministic:
the scene's forms choose among the constructions, so one scene always reads the same and two
scenes of one shape usually read differently. No sentence repeats a two-word phrase of the
sentence before it. Register, field and anchors are data of the result, never words of the
text.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import regex

from . import constructions as cx
from . import grammar as g
from .entry import EntryData
from .phrasing import Discourse, Ref, choose, realize
from .text import form_key, script_language

STYLES = ("narrative", "essay", "formula", "poem")
LANGS = ("ru", "en")
REGISTERS = ("emotional", "logical", "poetic", "philosophical", "technical")
DEFAULT_REGISTER = "poetic"
LINE_SYLLABLES = {"ru": 8, "en": 7}  # a poem's first line aims here; the others follow it
NAME_WORDS = 4  # the longest name the encoder matches as one unit (its n-grams: bridge.MAX_NGRAM)
_WORDS = regex.compile(r"[\p{L}\p{N}]+(?:[-'’][\p{L}\p{N}]+)*")
_COORDINATION = regex.compile(r",|\s(?:и|and)\s")


# --- the scene as data --------------------------------------------------------------------------


@dataclass(frozen=True)
class Sense:
    """One lexeme as the renderers see it, in the target language."""

    form: str
    meaning: str  # the first gloss: the lexeme's name in the formula
    glosses: tuple[str, ...] = ()
    kind: str = "glyph"
    parts: tuple[Sense, ...] = ()  # what it fuses, resolved to the linked entries
    notes: tuple[str, ...] = ()  # definitions taken from the notes, in the language
    examples: tuple[str, ...] = ()  # usage in the language (a scene example as its gloss)
    holders: tuple[str, ...] = ()  # names of the entries that have it as a part
    shared: tuple[str, ...] = ()  # its glosses that other entries have too (poor aliases)
    registers: tuple[str, ...] = ()
    anchor: bool = False
    phase: int = 0
    weight: float = 0.5
    lang: str = "ru"
    # a conjunction between two things of its phase joins them (a cause) instead of being
    # told as a thing; alone, it is told by its noun gloss («вывод», "conclusion")
    connective: bool = False

    @property
    def key(self) -> str:
        return self.form or self.meaning

    @property
    def conjunction(self) -> bool:
        """Its meaning is a conjunction (∵ «потому что», ∴ "therefore")."""
        return _pos(self.meaning, self.lang) == "connective"

    def _is_parts_list(self, gloss: str) -> bool:
        if len(self.parts) < 2:
            return False
        words = {w.casefold() for w in _WORDS.findall(gloss)} - {"и", "and"}
        known = {w.casefold() for p in self.parts for w in _WORDS.findall(p.meaning)}
        return bool(words) and words <= known

    @property
    def name(self) -> str:
        """The gloss the text calls it by: the first that is a noun phrase and not merely the
        list of its parts («предчувствие бури», not «страх, тишина, жар и ожидание»), one
        thing rather than a coordination when it has such a gloss («союз
        противоположностей», not «огонь и вода»)."""
        nouns = [x for x in self.glosses if _pos(x, self.lang) == "noun"]
        proper = [x for x in nouns if not self._is_parts_list(x)]
        single = [x for x in proper if not _COORDINATION.search(x)]
        chosen = (single or proper or nouns or [self.meaning])[0]
        first = self.glosses[0] if self.glosses else chosen
        if (
            chosen != first
            and self.lang == "ru"
            and g.ru_label(first)
            and not self._is_parts_list(first)
        ):
            # a name the grammar cannot inflect but that names the thing («стрелка
            # влево-вверх», «большой палец вверх») rather than a keyword after it («жест»)
            return first
        return chosen

    @property
    def has_own_name(self) -> bool:
        return any(
            _pos(x, self.lang) == "noun" and not self._is_parts_list(x) for x in self.glosses
        )

    @property
    def phrase(self) -> str | None:
        """A gloss that is a whole phrase of its own rather than a name (``вдох, как молния в
        тумане тела``): what the lexicon says the whole means, quotable once."""
        for x in self.glosses:
            if _pos(x, self.lang) != "noun" and not self._is_parts_list(x) and " " in x:
                return x
        return None

    @property
    def synonyms(self) -> list[str]:
        """Other names, usable as nouns, not lists of parts, not the name itself, and not
        the name of another entry as well («мир» is 🕊 and 🌍: it would say the other)."""
        name = self.name.casefold()
        shared = {x.casefold() for x in self.shared}
        return [
            x
            for x in self.glosses
            if x.casefold() != name
            and x.casefold() not in shared
            and _pos(x, self.lang) == "noun"
            and not self._is_parts_list(x)
        ]

    def ref(self) -> Ref:
        return Ref(self.key, (self.name,), self.lang)

    def told_ref(self) -> Ref:
        """How the story calls it: by its name when the encoder reads the name back as one
        unit (``NAME_WORDS`` words at most), else by the parts it fuses, else by its
        shortest gloss. The narrative is encoded again by the stability check, and «the
        feeling before a storm» would come back as a feeling and a storm."""
        if len(_WORDS.findall(self.name)) <= NAME_WORDS:
            return self.ref()
        named = [p for p in self.parts if p.meaning]
        if len(named) >= 2:
            return Ref(self.key, tuple(p.name for p in named), self.lang)
        return Ref(self.key, (min(self.glosses, key=len),), self.lang)


def _pos(text: str, lang: str) -> str:
    return g.ru_phrase(text).pos if lang == "ru" else g.en_phrase(text).pos


@dataclass(frozen=True)
class Relation:
    """How lexemes of the scene hold together: ``kind`` is change (a → b, an arrow), union
    (a + b, one phase), part (a is a part of b), kin (a and b share ``label``) or cause
    (a brings about b; ``label`` is the connective or «part»)."""

    kind: str
    a: tuple[str, ...]
    b: tuple[str, ...]
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "a": list(self.a), "b": list(self.b), "label": self.label}


@dataclass(frozen=True)
class Described:
    """Everything a renderer needs, and nothing else: no store, no index."""

    lang: str
    register: str  # the register the text is written in (asked, else the scene's strongest)
    phases: tuple[tuple[Sense, ...], ...]
    whole: Sense | None = None  # the entry the whole scene is, when it is one
    relations: tuple[Relation, ...] = ()

    @property
    def senses(self) -> list[Sense]:
        return [s for p in self.phases for s in p]

    @property
    def key(self) -> str:
        """The seed of variety: the scene's own forms."""
        return (
            " → ".join(" ".join(s.key for s in p) for p in self.phases)
            + "|"
            + (self.whole.key if self.whole else "")
        )


# --- from entries to data (pure) -----------------------------------------------------------------


def sense_of(
    d: EntryData,
    lang: str,
    lookup: Mapping[str, EntryData],
    *,
    anchor: bool = False,
    phase: int = 0,
    depth: int = 1,
    skip: frozenset[str] = frozenset(),
    shared: Mapping[str, Collection[str]] | None = None,
) -> Sense:
    """An entry as a ``Sense``: its glosses in ``lang`` (else any), its parts (components
    resolved through ``lookup`` by form key, else their meaning when it is in ``lang``), the
    definitions its notes give in ``lang`` and its examples in ``lang``."""
    glosses = tuple(d.glosses.get(lang, ()))
    if not glosses:
        glosses = next((tuple(v) for v in d.glosses.values() if v), (d.form,))
    parts: list[Sense] = []
    if depth > 0:
        for c in d.components:
            target = lookup.get(form_key(c.ref)) if c.ref else None
            if target is not None and target.glosses.get(lang):
                parts.append(
                    sense_of(
                        target, lang, lookup, phase=phase, depth=depth - 1, skip=skip, shared=shared
                    )
                )
            elif c.lang in (None, lang) and script_language(c.meaning) in (None, lang):
                parts.append(Sense("", c.meaning, (c.meaning,), lang=lang, phase=phase))
    examples: list[str] = []
    for ex in d.examples:
        linked = lookup.get(form_key(ex))
        if form_key(ex) in skip or form_key(ex) == form_key(d.form):
            continue  # the scene being told is not an example of itself
        if linked is not None:
            text = next(iter(linked.glosses.get(lang, ())), "")
        else:
            text = ex if script_language(ex) == lang else ""
        if text and text not in examples:
            examples.append(text)
    examples.sort(key=len)  # the shortest first: an example is quoted, not retold
    return Sense(
        form=d.form,
        meaning=glosses[0],
        glosses=glosses,
        kind=d.kind,
        parts=tuple(parts),
        notes=tuple(definitions(d, lang, glosses)),
        examples=tuple(examples),
        shared=tuple(sorted((shared or {}).get(form_key(d.form), ()))),
        registers=tuple(d.registers),
        anchor=anchor,
        phase=phase,
        weight=d.weight,
        lang=lang,
    )


_PAREN = regex.compile(r"\s*\([^)]*\)")
_DEFINITE_START = regex.compile(r"^(?:a|an|the|where|what)\s", regex.I)
_RU_DEFINITE_START = regex.compile(r"^[\p{Ll}]")


def definitions(d: EntryData, lang: str, glosses: Sequence[str]) -> list[str]:
    """What the notes say the thing *is*, usable as a predicate: a note written as
    ``Subject: definition`` whose subject names one of the entry's glosses, in ``lang``, with
    the definition a noun phrase (``Candle: a small fire that measures time`` → «a small fire
    that measures time»). Provenance (``seed 001``, ``U+…``) is never a definition."""
    out = []
    names = {w.casefold() for x in glosses for w in _WORDS.findall(x)}
    for sentence in regex.split(r"(?<=\.)\s+|\n+", d.notes or ""):
        subject, sep, rest = sentence.partition(":")
        if not sep:
            continue
        # the subject's head names the entry («The anatomical heart», not «Archetypal node»)
        subject_words = [w.casefold() for w in _WORDS.findall(_PAREN.sub("", subject))]
        cut = next(
            (i for i, w in enumerate(subject_words) if w in ("with", "of", "for", "in", "as")),
            len(subject_words),
        )
        head = subject_words[:cut][-1:] if subject_words[:cut] else []
        definition = _PAREN.sub("", rest.split(";")[0]).strip().rstrip(".").strip()
        if not head or head[0] not in names or not definition:
            continue
        if regex.search(r"seed|U\+|\d", definition) or script_language(definition) != lang:
            continue
        start = _DEFINITE_START if lang == "en" else _RU_DEFINITE_START
        if start.match(definition) and 2 <= len(definition.split()) <= 14:
            out.append(definition)
    return out


def describe(
    lexemes: Sequence[tuple[EntryData, bool, int]],
    lookup: Mapping[str, EntryData],
    lang: str,
    register: str | None,
    *,
    whole: EntryData | None = None,
    field_registers: Sequence[str] = (),
    holders: Sequence[EntryData] = (),
    shared: Mapping[str, Collection[str]] | None = None,
) -> Described:
    """A scene (its lexemes' entries, with their anchor flag and phase, in order) as data.

    A lexeme that is a glyph cluster spelled by its parts (``🜂⧖🕯`` = 🜂 + ⧖ + 🕯) is told
    as those parts; a scene of one lexeme that fuses several meanings is told through what it
    fuses, and that lexeme becomes the scene's whole (its name closes the story); a scene of
    one plain lexeme learns from ``holders`` what it is a part of. ``shared`` names, per
    entry (form key), the glosses other entries have too (``Sense.shared``)."""
    phases: dict[int, list[Sense]] = {}
    skip = {form_key(whole.form)} if whole is not None else set()
    if len(lexemes) == 1:
        skip.add(form_key(lexemes[0][0].form))
    whole_sense = (
        sense_of(whole, lang, lookup, skip=frozenset(skip), shared=shared)
        if whole is not None
        else None
    )
    if len(lexemes) == 1:
        d, anchor, phase = lexemes[0]
        s = sense_of(d, lang, lookup, anchor=anchor, phase=0, skip=frozenset(skip), shared=shared)
        if len(s.parts) >= 2:
            whole_sense = s
            phases[0] = [replace(p, anchor=True, phase=0) for p in s.parts]
        else:
            names = []
            for h in holders:  # what it is a part of, by the names those entries have
                held = sense_of(h, lang, lookup, depth=1)
                if held.has_own_name and held.name not in names and held.form != s.form:
                    names.append(held.name)
            phases[0] = [replace(s, holders=tuple(names))]
            if whole_sense is not None and whole_sense.form == s.form:
                whole_sense = None  # one plain lexeme: nothing to name beyond itself
    else:
        for d, anchor, phase in lexemes:
            s = sense_of(
                d, lang, lookup, anchor=anchor, phase=phase, skip=frozenset(skip), shared=shared
            )
            refs = [c.ref for c in d.components]
            spelled = (
                d.kind == "glyph"
                and len(refs) >= 2
                and all(refs)
                and form_key("".join(r or "" for r in refs)) == form_key(d.form)
                and all(p.form for p in s.parts)
                and len(s.parts) == len(refs)
            )
            row = phases.setdefault(phase, [])
            if spelled:
                row.extend(replace(p, anchor=anchor, phase=phase) for p in s.parts)
            else:
                row.append(s)
    ordered = tuple(_mark_connectives(phases[k]) for k in sorted(phases) if phases[k])
    asked = register if register in REGISTERS else None
    strongest = next((r for r in field_registers if r in REGISTERS), None)
    own = next(
        (r for s in (whole_sense, *(x for p in ordered for x in p)) if s for r in s.registers), None
    )
    voice = asked or strongest or own or DEFAULT_REGISTER
    out = Described(lang, voice, ordered, whole_sense)
    return replace(out, relations=tuple(relations(out)))


def _mark_connectives(phase: list[Sense]) -> tuple[Sense, ...]:
    """A conjunction with a thing before it and after it in its phase joins them."""
    things = [not x.conjunction for x in phase]
    return tuple(
        replace(x, connective=x.conjunction and any(things[:i]) and any(things[i + 1 :]))
        for i, x in enumerate(phase)
    )


def relations(scene: Described) -> list[Relation]:
    """The relations the scene holds, computed from its data alone (see ``Relation``)."""
    out: list[Relation] = []
    seen: set[tuple[str, tuple[str, ...], tuple[str, ...]]] = set()

    def add(kind: str, a: Sequence[str], b: Sequence[str], label: str = "") -> None:
        k = (kind, tuple(a), tuple(b))
        if a and b and k not in seen and set(a) != set(b):
            seen.add(k)
            out.append(Relation(kind, tuple(a), tuple(b), label))

    phases = [list(p) for p in scene.phases]
    for i, phase in enumerate(phases):
        groups = _split_on_connectives(phase)
        nouns = [s for s in phase if not s.connective]
        for a, b in pairwise(nouns):
            add("union", [a.key], [b.key])
        for before, conn, after in groups:
            if _because(conn):
                add("cause", [s.key for s in after], [s.key for s in before], conn.meaning)
            else:
                add("cause", [s.key for s in before], [s.key for s in after], conn.meaning)
        if i + 1 < len(phases):
            nxt = [s for s in phases[i + 1] if not s.connective]
            add("change", [s.key for s in nouns], [s.key for s in nxt])
    # a lexeme repeated is one thing; parts and kin are found through indexes, not by
    # comparing every pair (a scene of thousands of lexemes stays linear)
    firsts: dict[str, Sense] = {}
    for s in (x for p in phases for x in p if not x.connective):
        firsts.setdefault(s.key, s)
    unique = list(firsts.values())
    by_form: dict[str, list[Sense]] = {}
    for s in unique:
        if s.form:
            by_form.setdefault(s.form, []).append(s)
    holders: dict[str, list[tuple[Sense, Sense]]] = {}
    for x in unique:
        for p in x.parts:
            for y in by_form.get(p.form, []) if p.form else []:
                if y is x:
                    continue
                if y.phase < x.phase:
                    add("cause", [y.key], [x.key], "part")
                else:
                    add("part", [y.key], [x.key])
            key = p.form or p.meaning.casefold()
            held = holders.setdefault(key, [])
            if all(h is not x for h, _ in held):
                held.append((x, p))
    for key, held in holders.items():  # kin: the holders of one part, each with the next
        for (x, p), (y, _) in pairwise(held):
            if key not in (x.form, y.form) and p.form not in (x.form, y.form):
                add("kin", [x.key], [y.key], p.name)
    return out


def _because(conn: Sense) -> bool:
    """A connective that introduces the cause (``потому что``, "because") rather than the
    consequence (``следовательно``, "therefore")."""
    if conn.lang == "ru":
        words = [w.casefold() for w in _WORDS.findall(conn.meaning)]
        return any(w in ("потому", "поскольку", "так", "ибо") for w in words)
    return any(w.casefold() in ("because", "since", "as") for w in _WORDS.findall(conn.meaning))


def _split_on_connectives(phase: Sequence[Sense]) -> list[tuple[list[Sense], Sense, list[Sense]]]:
    """A phase with connectives in it: (what stands before, the connective, what after)."""
    out = []
    for i, s in enumerate(phase):
        if not s.connective:
            continue
        before = [x for x in phase[:i] if not x.connective]
        after = []
        for x in phase[i + 1 :]:
            if x.connective:
                break
            after.append(x)
        if before and after:
            out.append((before[-1:] if len(before) > 2 else before, s, after))
    return out


# --- writing --------------------------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    return [w.casefold() for w in _WORDS.findall(text)]


# Function words: left out when the text's phrases are compared, so that "in the" or «и в» is
# not a phrase, and "a storm" after "a storm" is one word repeated, not a phrase.
FUNCTION_WORDS = frozenset(
    """
    а без в во да для до же за и из к ко как ли на над не ни но о об от по под при про с со
    то у уже что это всё все его её их он она оно они ему ей им ним ней них нём него неё
    a an and as at be by for from in into is it its of on or so than that the their them
    then there they this to too was with are not
    """.split()
)


def content_words(text: str) -> list[str]:
    return [w for w in words_of(text) if w not in FUNCTION_WORDS]


def bigrams(text: str) -> set[tuple[str, str]]:
    """The text's phrases of two words: consecutive content words, function words between
    them left out («огонь, время и свеча» holds «огонь время» and «время свеча»)."""
    ws = content_words(text)
    return set(pairwise(ws))


def sentences_of(text: str) -> list[str]:
    """Sentences (a poem's stanzas and lines count as sentences too)."""
    parts = regex.split(r"(?<=[.!?…»”])\s+(?=\S)|\n", text.strip())
    return [p.strip() for p in parts if p.strip()]


@dataclass
class Writer:
    """Writes one text. For each message it realizes the constructions of the role (in the
    order the scene's key fixes) and takes the best that can be filled, keeps every pronoun
    pointing at the last sentence and repeats no phrase of the previous sentence; it prefers
    constructions not used yet in this text, whose own words the previous sentence does not
    have («подступает» after «подступает») and that do not echo the words they are filled
    with ("The heart of this scene is a heart")."""

    scene: Described
    style: str
    discourse: Discourse = field(init=False)
    sentences: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    roles: list[str] = field(default_factory=list)
    own_words: list[set[str]] = field(default_factory=list)
    own_pool: dict[str, bool] = field(default_factory=dict)
    penalty: dict[str, int] = field(default_factory=dict)
    poem: str = ""

    def __post_init__(self) -> None:
        self.discourse = Discourse(self.scene.lang)
        self._templates: dict[str, str] = {}

    def vocabulary(self, name: str) -> str:
        options = cx.vocabulary(self.scene.lang, self.scene.register, name)
        return choose(options, self.scene.key, name, len(self.sentences))[0]

    def candidates(self, role: str, slots: Mapping[str, Ref]) -> list[str]:
        """Realized candidates for a message, best first."""
        own, shared = cx.constructions(self.scene.lang, self.style, role, self.scene.register)
        previous = bigrams(self.sentences[-1]) if self.sentences else set()
        last_words = self.own_words[-1] if self.own_words else set()
        filler = {w[:5] for ref in slots.values() for t in ref.texts for w in words_of(t)}
        ranked: list[tuple[int, int, str, str]] = []
        seen: set[str] = set()
        self.own_pool = {}
        for pool in (own, shared):
            for template in choose(pool, self.scene.key, role, self.style, len(self.sentences)):
                text = realize(
                    template,
                    dict(slots),
                    self.discourse.trial(),
                    self.vocabulary,
                    capital=self.style != "poem",
                )
                if text is None or text in seen:
                    continue
                seen.add(text)
                if bigrams(text) & previous:
                    continue
                words = _template_words(template)
                penalty = (
                    (template in self.used)
                    + bool(words & last_words)
                    + 2 * bool(words & filler)
                    + 4 * (pool is not own)
                )
                ranked.append((penalty, len(ranked), template, text))
                self.own_pool[text] = pool is own
        ranked.sort()
        self._templates = {text: template for _, _, template, text in ranked}
        self.penalty = {text: penalty % 4 for penalty, _, _, text in ranked}
        return [text for *_, text in ranked]

    def say(self, role: str, **slots: Ref) -> bool:
        """Say a message; when every construction would repeat a phrase of the previous
        sentence, a list said in the other order («fog, lightning and breath») breaks the
        repetition without changing what is said (a union has no order to keep)."""
        for attempt in (slots, _reversed_lists(slots)):
            if attempt is None:
                continue
            for text in self.candidates(role, attempt):
                self.commit(text, role, attempt)
                return True
        return False

    def commit(self, text: str, role: str, slots: Mapping[str, Ref]) -> None:
        template = self._templates[text]
        realize(template, dict(slots), self.discourse, self.vocabulary)  # the real discourse
        self.used.add(template)
        self.own_words.append(_template_words(template))
        self.roles.append(role)
        self.sentences.append(_end(text))


def _reversed_lists(slots: Mapping[str, Ref]) -> dict[str, Ref] | None:
    lists = {k for k, r in slots.items() if len(r.texts) > 1 and not r.fixed}
    if not lists:
        return None
    return {
        k: replace(r, texts=r.texts[::-1], key="+".join(r.members[::-1])) if k in lists else r
        for k, r in slots.items()
    }


def _template_words(template: str) -> set[str]:
    """A construction's own words (its text and the verbs and adjectives it names), as
    five-letter stems, leaving out short function words."""
    from .phrasing import SHORT, TOKEN

    template = template.removeprefix(SHORT)
    words = words_of(TOKEN.sub(" ", template))
    for m in TOKEN.finditer(template):
        if m["op"] in ("|", "~") and m["arg"]:
            words.extend(words_of(m["arg"].split(":")[0]))
    return {w[:5] for w in words if len(w) >= 4}


def _end(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…", "»", "”")) else text + "."


# --- narrative ------------------------------------------------------------------------------------


def narrative(scene: Described) -> Writer:
    """A short story: the first phase told in its order (what comes first, what follows,
    what comes last), relations as events (a part lives inside its whole, kin share a
    meaning, a connective gives a cause), each arrow a change, then the name of what the
    parts make together; a scene of one plain lexeme tells what else it is called and how it
    stays. Only the scene's own meanings are named: the stability check encodes the story
    again, and it must come back as the same scene."""
    w = Writer(scene, "narrative")
    rel = _relations_by_pair(scene)
    phases = [list(p) for p in scene.phases]
    told: list[Sense] = []
    for i, phase in enumerate(phases):
        if i == 0:
            _tell_phase(w, phase, told, rel, scene)
            continue
        prev = [s for s in phases[i - 1] if not s.connective]
        nxt = [s for s in phase if not s.connective]
        kept = [s for s in nxt if s.key in {p.key for p in prev}]
        nxt = [s for s in nxt if s not in kept]  # what stays is not a change
        if kept and not nxt:
            w.say("linger", A=_told(scene, kept))
            continue
        if not nxt or not prev:
            if nxt:
                _tell_sequence(w, nxt, told, rel, scene)
            continue
        b_ref = _told(scene, nxt)
        if w.say("change", P=_group_ref(scene, prev, told=True), B=b_ref) or w.say(
            "change", P=_all_this(scene, prev), B=b_ref
        ):
            told.extend(nxt)
        else:  # every way of saying the change repeats the last sentence: tell what comes
            _tell_sequence(w, nxt, told, rel, scene)  # (with its relations)
            _tell_connectives(w, phase, scene, told)
            continue
        keys = {s.key for s in nxt}
        for r in scene.relations:  # what the change keeps: a part that crosses the arrow
            if r.kind not in ("cause", "part") or (r.kind == "cause" and r.label != "part"):
                continue
            if not (set(r.a) | set(r.b)) & keys:
                continue
            a, b = _sense(scene, r.a[0]), _sense(scene, r.b[0])
            if a is not None and b is not None:
                if r.kind == "cause":
                    w.say("cause", P=a.told_ref(), A=b.told_ref())
                else:
                    w.say("part", P=b.told_ref(), A=a.told_ref())
            break
        _tell_connectives(w, phase, scene, told)
    whole = scene.whole
    if (
        whole is not None
        and whole.has_own_name
        and len(_WORDS.findall(whole.name)) <= NAME_WORDS
        and whole.name not in {s.name for s in told}
    ):
        w.say("close", W=whole.ref())
    if len(scene.senses) == 1:
        _tell_alone(w, scene.senses[0])
    return w


def _runs(phase: Sequence[Sense]) -> list[tuple[Sense | None, list[Sense]]]:
    """A phase cut at its connectives: (the connective before the run or None, the run)."""
    runs: list[tuple[Sense | None, list[Sense]]] = [(None, [])]
    for s in phase:
        if s.connective:
            runs.append((s, []))
        else:
            runs[-1][1].append(s)
    return runs


def _tell_phase(
    w: Writer,
    phase: list[Sense],
    told: list[Sense],
    rel: dict[frozenset[str], list[Relation]],
    scene: Described,
) -> None:
    runs = _runs(phase)
    first = runs[0][1]
    if not first or (len(first) == 1 and len(runs) > 1 and runs[1][1]):
        told.extend(first)  # one thing and a cause: the cause's sentence tells both
    else:
        _tell_sequence(w, first, told, rel, scene)
    _tell_connectives(w, phase, scene, told)


def _tell_sequence(
    w: Writer,
    nouns: list[Sense],
    told: list[Sense],
    rel: dict[frozenset[str], list[Relation]],
    scene: Described,
) -> None:
    w.say("begin", A=nouns[0].told_ref())
    told.append(nouns[0])
    rest = nouns[1:]
    middle, last = rest[:-1], rest[-1:]
    i = 0
    while i < len(middle):
        s = middle[i]
        prev = told[-1]
        part = _first(rel, s, told, "part")
        if part is not None:
            container = _sense(scene, part.b[0])
            inner = _sense(scene, part.a[0])
            if (
                container is not None
                and inner is not None
                and w.say("part", P=container.told_ref(), A=inner.told_ref())
            ):
                told.append(s)
                i += 1
                continue
        kin = _first(rel, s, told, "kin")
        if kin is not None:
            other = _sense(scene, kin.a[0] if kin.b[0] == s.key else kin.b[0])
            if other is not None and w.say(
                "kin", P=other.told_ref(), A=s.told_ref(), K=Ref.of(scene.lang, kin.label)
            ):
                told.append(s)
                i += 1
                continue
        if len(middle) - i >= 2 and len(nouns) >= 5:
            pair = middle[i : i + 2]
            w.say("pair", P=prev.told_ref(), A=_told(scene, pair))
            told.extend(pair)
            i += 2
            continue
        w.say("next", P=prev.told_ref(), A=s.told_ref())
        told.append(s)
        i += 1
    for s in last:
        part = _first(rel, s, told, "part")
        container = _sense(scene, part.b[0]) if part is not None else None
        inner = _sense(scene, part.a[0]) if part is not None else None
        if (
            container is None
            or inner is None
            or not w.say("part", P=container.told_ref(), A=inner.told_ref())
        ):
            w.say("last", P=told[-1].told_ref(), A=s.told_ref())
        told.append(s)


def _tell_connectives(w: Writer, phase: list[Sense], scene: Described, told: list[Sense]) -> None:
    """Each connective a sentence of cause: what stands before it, the connective's own
    words, what stands after it («страх возникает, потому что есть буря»)."""
    runs = _runs(phase)
    for k in range(1, len(runs)):
        conn, after = runs[k]
        before = runs[k - 1][1] or [s for s in told[-1:]]
        if conn is None or not after or not before:
            continue
        role = "because" if _because(conn) else "therefore"
        cause = _quote_ref(scene.lang, conn.meaning)
        b_ref = _told(scene, after)
        if w.say(role, A=_told(scene, before[-2:]), C=cause, B=b_ref) or w.say(
            role, A=_all_this(scene, before), C=cause, B=b_ref
        ):
            told.extend(x for x in after if x not in told)
        else:  # every way of saying it repeats the last sentence: tell what comes
            _tell_sequence(w, after, told, _relations_by_pair(scene), scene)


def _tell_alone(w: Writer, s: Sense) -> None:
    """One lexeme and nothing else: its other name, and how it stays. The narrative says
    nothing the scene does not hold (it is encoded again by the stability check): what the
    lexeme is a part of, its notes and examples are the essay's."""
    if s.synonyms:
        w.say("alias", A=s.told_ref(), S=Ref.of(s.lang, s.synonyms[0]))
    w.say("linger", A=s.told_ref())


# --- essay --------------------------------------------------------------------------------------


def centre(scene: Described) -> Sense:
    """The strongest anchor: the one most related to the others, then the heaviest, then the
    first (the scene's own order breaks ties)."""
    senses = [s for s in scene.senses if not s.connective] or scene.senses
    anchored = [s for s in senses if s.anchor] or senses
    degree = {s.key: 0 for s in senses}
    for r in scene.relations:
        if r.kind in ("part", "kin", "cause"):
            for k in (*r.a, *r.b):
                if k in degree:
                    degree[k] += 1
    return min(anchored, key=lambda s: (-degree.get(s.key, 0), -s.weight, senses.index(s)))


def essay(scene: Described) -> Writer:
    """Thesis (the centre), development (its parts, other names, what it is, its kin, what
    the others are, what the lexicon says the whole is), tension (with the rest of the scene,
    a cause, or the pull of the first phase), a scene the thing is met in, and the resolution
    (the last phase, the whole's name, or the parts held together)."""
    w = Writer(scene, "essay")
    c = centre(scene)
    c_ref = c.ref()
    phases = [[s for s in p if not s.connective] for p in scene.phases]
    phases = [p for p in phases if p]
    others = [s for s in scene.senses if s is not c and not s.connective]
    whole = scene.whole
    w.say("thesis", C=c_ref)
    # development
    if len(c.parts) >= 2:
        w.say("parts", C=c_ref, P=_coord(scene, list(c.parts)))
    if c.synonyms:
        w.say("alias", C=c_ref, S=Ref.of(scene.lang, c.synonyms[0]))
    if c.notes:
        w.say("note", C=c_ref, N=_quote_ref(scene.lang, c.notes[0]))
    kin = [r for r in scene.relations if r.kind == "kin" and c.key in (*r.a, *r.b)]
    if kin:
        other = _sense(scene, kin[0].b[0] if kin[0].a[0] == c.key else kin[0].a[0])
        if other is not None:
            w.say("kin", C=c_ref, O=other.ref(), K=Ref.of(scene.lang, kin[0].label))
    if not others and c.holders:
        w.say("holder", C=c_ref, W=Ref.of(scene.lang, c.holders[0]))
    for s in others:  # what another thing is, when its notes say
        if s.notes:
            w.say("note", C=s.ref(), N=_quote_ref(scene.lang, s.notes[0]))
            break
    phrase = whole.phrase if whole is not None else None
    if phrase:
        w.say("phrase", Q=_quote_ref(scene.lang, phrase))
    # tension
    causes = [r for r in scene.relations if r.kind == "cause" and r.label != "part"]
    if causes:
        _tell_connectives(w, [s for p in scene.phases for s in p], scene, [])
    elif len(phases) >= 2:
        w.say("tension_change", A=_coord(scene, phases[0]))
    elif others:
        w.say("tension", C=c_ref, O=_coord(scene, others))
    elif len(c.synonyms) >= 2:
        w.say("tension_alone", C=c_ref, S=Ref.of(scene.lang, c.synonyms[1]))
    # the same thing met elsewhere; for the whole, after the resolution names it
    holders = [c, *others]
    examples = [(s, x) for s in holders for x in s.examples]
    late = [(whole, x) for x in whole.examples] if whole is not None else []
    if examples:
        _example(w, scene, *examples[0])
    # resolution
    if len(phases) >= 2:
        w.say("resolution_change", B=_coord(scene, phases[-1]))
    elif whole is not None and whole.has_own_name and whole.name != c.name:
        w.say("resolution_whole", W=whole.ref(), T=_coord(scene, [c, *others]))
    elif others:
        w.say("resolution", T=_coord(scene, [c, *others]))
    if late and not examples:
        _example(w, scene, *late[0])
    return w


def _example(w: Writer, scene: Described, s: Sense, x: str) -> None:
    role = "question" if x.rstrip().endswith("?") else "example"
    w.say(role, C=s.ref(), X=_quote_ref(scene.lang, x))


# --- poem ---------------------------------------------------------------------------------------


def poem(scene: Described) -> Writer:
    """Stanzas, one per phase, of lines built on images: a simile for three things («вдох,
    как молния в тумане»), a genitive metaphor or a preposition for two («тишина огня»), a
    line of motion for one; one thing alone is sung with its other name and a line it is met
    in. Every line is chosen to stay near the first line's syllable count; the whole's name,
    when it has one, closes the poem. No list under it."""
    w = Writer(scene, "poem")
    target: list[int] = []
    stanzas: list[list[str]] = []
    phases = [[s for s in p if not s.connective] for p in scene.phases]
    phases = [p for p in phases if p]
    whole = scene.whole
    c = centre(scene)

    def line(role: str, **slots: Ref) -> bool:
        options = w.candidates(role, slots)
        if not options:
            return False
        # rhythm: among the register's own lines (the shared ones only when it has none), the
        # one nearest the first line's length; the first line nearest a usual line
        own = [t for t in options if w.own_pool.get(t)] or options
        aim = target[0] if target else LINE_SYLLABLES[scene.lang]
        text = min(own, key=lambda t: (w.penalty[t] > 0, abs(g.syllables(t) - aim), own.index(t)))
        w.commit(text, role, slots)
        w.sentences[-1] = text.rstrip(".")
        if not target:
            target.append(g.syllables(text))
        stanzas[-1].append(w.sentences[-1])
        return True

    for i, phase in enumerate(phases):
        stanzas.append([])
        items = list(phase)
        if i > 0:
            line("turn", B=_coord(scene, items))
            mover = _mover(items, c)
            if mover is not None:
                line("alone", A=mover.ref())
            continue
        if len(items) == 1:
            s = items[0]
            line("alone", A=s.ref())
            if s.synonyms:
                line("pair", A=Ref.of(scene.lang, s.synonyms[0]), B=s.ref())
            quote = next((x for x in s.examples if len(x) <= 48 and not x.endswith("?")), None)
            if quote:
                line("echo", X=_quote_ref(scene.lang, quote))
            elif s.holders:
                line("holder", A=s.ref(), W=Ref.of(scene.lang, s.holders[0]))
            continue
        rest = list(items)
        while rest:
            if len(rest) >= 3:
                line("image", A=rest[0].ref(), B=rest[1].ref(), C=rest[2].ref())
                rest = rest[3:]
            elif len(rest) == 2:
                line("pair", A=rest[0].ref(), B=rest[1].ref())
                rest = []
            else:
                line("alone", A=rest[0].ref())
                rest = []
        mover = _mover(items, c)
        if mover is not None and len(items) % 3 != 1:
            line("alone", A=mover.ref())
        if len(items) == 3:  # one more image, the other way round
            line("pair", A=items[-1].ref(), B=items[0].ref())
        elif len(items) == 2:  # the other one moves too
            other = next((x for x in items if x is not mover), None)
            if other is not None:
                line("alone", A=other.ref())
    if whole is not None and whole.has_own_name:
        line("close", W=whole.ref())
    w.poem = _punctuate(stanzas)
    return w


def _mover(items: Sequence[Sense], c: Sense) -> Sense | None:
    """Who moves in a line of its own: the centre when its name is one word, else the last
    one-word name."""
    one_word = [s for s in items if " " not in s.name]
    if c in one_word:
        return c
    return one_word[-1] if one_word else None


def _punctuate(stanzas: list[list[str]]) -> str:
    """Lines end with a comma, the poem with a full stop; only its first letter is a
    capital (the lines continue one another)."""
    out = []
    cleaned = [[x.rstrip(" ,.;:—") for x in st if x.strip()] for st in stanzas]
    cleaned = [st for st in cleaned if st]
    for k, lines in enumerate(cleaned):
        end = len(cleaned) - 1
        out.append(
            "\n".join(
                x + ("." if k == end and i == len(lines) - 1 else ",") for i, x in enumerate(lines)
            )
        )
    text = "\n\n".join(out)
    return text[:1].upper() + text[1:]


# --- formula ------------------------------------------------------------------------------------


def formula(phases: list[list[str]]) -> str:
    """``name + name → name``: the lossless style (the bridge chooses names that resolve)."""
    return " → ".join(" + ".join(p) for p in phases if p)


# --- render --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendering:
    """A rendered text, the roles of its sentences (in order) and every word form made."""

    text: str
    roles: tuple[str, ...] = ()
    trace: tuple[tuple[Any, ...], ...] = ()

    @property
    def quoted(self) -> bool:
        """Whether the text used the whole scene's own gloss (its name or its phrase)."""
        return any(r in ("close", "resolution_whole", "phrase") for r in self.roles)


def render(scene: Described, style: str) -> Rendering:
    """One of the three prose styles of a described scene (formula needs the bridge's names)."""
    if not scene.senses:
        return Rendering("")
    if style == "narrative":
        w = narrative(scene)
        text = " ".join(w.sentences)
    elif style == "essay":
        w = essay(scene)
        text = " ".join(w.sentences)
    elif style == "poem":
        w = poem(scene)
        text = w.poem
    else:
        raise ValueError(f"style {style!r} is not rendered from a description")
    return Rendering(text, tuple(w.roles), tuple(w.discourse.trace.events))


# --- helpers -------------------------------------------------------------------------------------


def _coord(scene: Described, senses: Sequence[Sense]) -> Ref:
    return Ref("+".join(s.key for s in senses), tuple(s.name for s in senses), scene.lang)


def _told(scene: Described, senses: Sequence[Sense]) -> Ref:
    """A coordination of what the story calls each thing (``Sense.told_ref``)."""
    texts = tuple(t for s in senses for t in s.told_ref().texts)
    return Ref("+".join(s.key for s in senses), texts, scene.lang)


def _all_this(scene: Described, senses: Sequence[Sense]) -> Ref:
    return Ref.all_this(scene.lang, "+".join(s.key for s in senses))


def _group_ref(scene: Described, senses: Sequence[Sense], *, told: bool = False) -> Ref:
    """The previous phase as the subject of a change: named again when it is one or two
    things, «всё это» / "all this" when it is more (it was just told item by item)."""
    if len(senses) <= 2:
        return _told(scene, senses) if told else _coord(scene, senses)
    return _all_this(scene, senses)


def _quote_ref(lang: str, text: str) -> Ref:
    text = text.strip()
    return Ref(f"quote:{text}", (text,), lang, (("nomn", text), ("text", text)))


def _sense(scene: Described, key: str) -> Sense | None:
    return next((s for s in scene.senses if s.key == key), None)


def _relations_by_pair(scene: Described) -> dict[frozenset[str], list[Relation]]:
    out: dict[frozenset[str], list[Relation]] = {}
    for r in scene.relations:
        if len(r.a) == 1 and len(r.b) == 1:
            out.setdefault(frozenset((r.a[0], r.b[0])), []).append(r)
    return out


def _first(
    rel: dict[frozenset[str], list[Relation]], s: Sense, told: Sequence[Sense], kind: str
) -> Relation | None:
    for t in reversed(told):
        for r in rel.get(frozenset((s.key, t.key)), []):
            if r.kind == kind:
                return r
    return None
