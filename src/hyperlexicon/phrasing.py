"""Constructions filled with agreeing words: the realizer behind the decoding styles.

A construction is a sentence (or a poem's line) with slots, written in a small notation:

=====================  ==========================================================================
``{A}``                the phrase of slot A: Russian in the nominative; English with the article
                       it takes here (``a``/``an`` on first mention, ``the`` once known, none
                       for mass nouns and plurals)
``{A:ablt}``           Russian: in a case (nomn gent datv accs ablt loct); English: ``{A:the}``,
                       ``{A:a}``, ``{A:bare}`` force the article
``{A|стать:past}``     a verb agreeing with A (Russian: infinitive, tense ``pres`` by default,
                       ``past`` by gender and number; English: ``{A|become}`` → becomes/become)
``{A~тихий:gent}``     Russian: an adjective or participle agreeing with A (``:short`` for the
                       short form); English: ``{A~this}`` → this/these
``{A@datv}``           a pronoun for A (Russian: он/она/оно/они in a case, the н-form after a
                       preposition, ``@poss`` его/её/их; English: ``@`` it/they, ``@obj``,
                       ``@poss``, ``@self``), only when the last sentence (or this one, before
                       it) named A
``short:…``            (a prefix) the construction is for one-word phrases only
``{$then}``            a word of the register's vocabulary (``VOCABULARY``), chosen by the scene
=====================  ==========================================================================

A slot whose phrase cannot take the case asked for (a Russian gloss that is not inflectable)
makes the construction unusable for it: ``realize`` returns None and the planner tries the
next construction, so such a gloss only ever stands where the nominative is right. Every word
form the realizer makes is written to a trace, which the tests parse back with pymorphy3.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import regex

from . import grammar as g

SHORT = "short:"  # a construction only for one-word phrases («тишина огня», not «… бури бури»)
TOKEN = regex.compile(r"\{(?:\$(?P<voc>\w+)|(?P<slot>[A-Z])(?P<op>[:|~@])?(?P<arg>[^}]*))\}")


def stable_hash(*parts: object) -> int:
    """A hash that is the same in every process (``hash()`` of a str is salted)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


# --- what fills a slot -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """One phrase, a coordination of phrases (``A, B и C``), or a fixed phrase such as
    «всё это» / "all this" with its own case forms."""

    key: str  # identity, for English articles (known or new)
    texts: tuple[str, ...]
    lang: str
    fixed: tuple[tuple[str, str], ...] = ()  # ru: (case, form) pairs; en: (("text", form),)
    fixed_gender: str | None = None
    fixed_number: str = "sing"

    @property
    def members(self) -> tuple[str, ...]:
        """The things this phrase names (a coordination names several)."""
        return tuple(self.key.split("+"))

    @classmethod
    def of(cls, lang: str, *texts: str, key: str | None = None) -> Ref:
        return cls(key or "+".join(texts), tuple(texts), lang)

    @classmethod
    def all_this(cls, lang: str, key: str) -> Ref:
        if lang == "ru":
            forms = (
                ("nomn", "всё это"),
                ("gent", "всего этого"),
                ("datv", "всему этому"),
                ("accs", "всё это"),
                ("ablt", "всем этим"),
                ("loct", "всём этом"),
            )
            return cls(key, ("всё это",), lang, forms, "neut", "sing")
        return cls(key, ("all this",), lang, (("text", "all this"),), None, "sing")

    # Russian
    def ru(self) -> list[g.RuPhrase]:
        return [g.ru_phrase(t) for t in self.texts]

    @property
    def number(self) -> str:
        if self.fixed:
            return self.fixed_number
        if len(self.texts) > 1:
            return "plur"
        if self.lang == "ru":
            return self.ru()[0].number
        return g.en_phrase(self.texts[0]).number

    @property
    def gender(self) -> str | None:
        if self.fixed:
            return self.fixed_gender
        if self.number == "plur":
            return None
        return self.ru()[0].gender if self.lang == "ru" else None

    @property
    def animate(self) -> bool:
        return self.lang == "ru" and not self.fixed and any(p.animate for p in self.ru())

    def has_case(self, case: str) -> bool:
        if self.fixed:
            return case in dict(self.fixed)
        return all(p.has_case(case) for p in self.ru())

    def ru_form(self, case: str) -> str:
        if self.fixed:
            return dict(self.fixed)[case]
        return g.ru_coordinate(self.ru(), case)

    def en_form(self, mode: str, known: bool) -> str:
        if self.fixed:
            return dict(self.fixed)["text"]
        parts = []
        for t in self.texts:
            p = g.en_phrase(t)
            if mode == "bare":
                parts.append(t)
            elif mode == "the":
                parts.append(p.with_article(True))
            elif mode == "a":
                parts.append(p.with_article(False))
            else:
                parts.append(p.with_article(known))
        return g.en_coordinate(parts)


# --- the realizer ------------------------------------------------------------------------------


@dataclass
class Trace:
    """Every word form made, for the tests: ("noun", phrase, case, number, form),
    ("verb", lemma, tense, gender, number, form), ("adj", lemma, case, gender, number, form),
    ("pron", case, gender, number, form)."""

    events: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class Discourse:
    """What the text has said so far: which things are known (English ``the``) and which
    were named in the last sentence (the only ones a pronoun may point back to)."""

    lang: str
    known: set[str] = field(default_factory=set)
    last: set[str] = field(default_factory=set)
    trace: Trace = field(default_factory=Trace)

    def trial(self) -> Discourse:
        """A copy to try a construction on (the trace is not shared)."""
        return Discourse(self.lang, set(self.known), set(self.last))


def realize(
    template: str,
    slots: dict[str, Ref],
    discourse: Discourse,
    vocabulary: Callable[[str], str] | None = None,
    *,
    capital: bool = True,
) -> str | None:
    """Fill a construction; None when a slot cannot take what the construction asks of it.
    The discourse is only updated when the whole construction succeeds. ``capital=False``
    leaves the first letter as it is (a poem's line that continues a sentence)."""
    short = template.startswith(SHORT)
    if short:
        template = template[len(SHORT) :]
        if any(" " in t for m in TOKEN.finditer(template) if m["slot"] for t in _texts(slots, m)):
            return None
    out: list[str] = []
    pos = 0
    mentioned: list[str] = []
    members: set[str] = set()
    events: list[tuple[Any, ...]] = []
    for m in TOKEN.finditer(template):
        out.append(template[pos : m.start()])
        pos = m.end()
        if m["voc"]:
            word = vocabulary(m["voc"]) if vocabulary else m["voc"]
            # a vocabulary word may itself hold slots: realized in place
            inner = realize(word, slots, discourse, None) if "{" in word else word
            if inner is None:
                return None
            out.append(inner)
            continue
        ref = slots.get(m["slot"])
        if ref is None:
            return None
        op, arg = m["op"] or "", m["arg"] or ""
        if arg.startswith("$") and vocabulary is not None:
            name, _, rest = arg[1:].partition(":")
            arg = vocabulary(name) + (f":{rest}" if rest else "")
        if op == "@" and arg != "poss" and not set(ref.members) <= discourse.last | members:
            return None  # a pronoun points back only to what the last sentence named
        if op == "@" and arg == "poss" and not set(ref.members) <= discourse.last | members:
            return None
        before = "".join(out).split()
        word = _fill(ref, op, arg, discourse, before[-1] if before else "", events)
        if word is None:
            return None
        if op in ("", ":"):
            mentioned.append(ref.key)
        if op in ("", ":", "@"):
            members.update(ref.members)
        out.append(word)
    out.append(template[pos:])
    discourse.known.update(mentioned)
    discourse.last = members
    discourse.trace.events.extend(events)
    return tidy("".join(out), discourse.lang, capital=capital)


def _texts(slots: dict[str, Ref], m: Any) -> tuple[str, ...]:
    ref = slots.get(m["slot"])
    return ref.texts if ref is not None and not ref.fixed else ()


def _fill(
    ref: Ref, op: str, arg: str, d: Discourse, prev_word: str, events: list[tuple[Any, ...]]
) -> str | None:
    if d.lang == "ru":
        return _fill_ru(ref, op, arg, prev_word, events)
    return _fill_en(ref, op, arg, d, events)


def _fill_ru(
    ref: Ref, op: str, arg: str, prev_word: str, events: list[tuple[Any, ...]]
) -> str | None:
    if op in ("", ":"):
        case = arg or "nomn"
        if not ref.has_case(case):
            return None
        form = ref.ru_form(case)
        if not ref.fixed:
            for p in ref.ru():
                events.append(
                    ("noun", p.text, case, p.number, p.form(case) if case != "nomn" else p.text)
                )
        return form
    if op == "|":
        lemma, _, tense = arg.partition(":")
        try:
            form = g.ru_verb(lemma, tense or "pres", ref.gender, ref.number)
        except ValueError:
            if tense:
                raise
            form = g.ru_verb(lemma, "futr", ref.gender, ref.number)
        events.append(("verb", lemma, tense or "pres", ref.gender, ref.number, form))
        return form
    if op == "~":
        lemma, _, case = arg.partition(":")
        short = case == "short"
        case = "nomn" if short or not case else case
        form = g.ru_adjective(lemma, ref.gender, ref.number, case, animate=ref.animate, short=short)
        events.append(("adj", lemma, "short" if short else case, ref.gender, ref.number, form))
        return form
    if op == "@":
        if arg == "poss":
            return g.ru_possessive(ref.gender, ref.number)
        case = arg or "nomn"
        after = prev_word.casefold().strip("«(") in g.RU_PREPOSITIONS
        form = g.ru_pronoun(ref.gender, ref.number, case, after_prep=after)
        events.append(("pron", case, ref.gender, ref.number, form))
        return form
    raise ValueError(f"unknown slot operation {op!r}")


def _fill_en(
    ref: Ref, op: str, arg: str, d: Discourse, events: list[tuple[Any, ...]]
) -> str | None:
    plural = ref.number == "plur"
    if op in ("", ":"):
        form = ref.en_form(arg or "auto", ref.key in d.known)
        events.append(("noun", "+".join(ref.texts), arg or "auto", ref.number, form))
        return form
    if op == "|":
        form = g.en_verb(arg, plural)
        events.append(("verb", arg, "pres", None, ref.number, form))
        return form
    if op == "~":
        table = {"this": ("this", "these"), "that": ("that", "those"), "is": ("is", "are")}
        pair = table.get(arg)
        if pair is None:
            raise ValueError(f"no English agreement for {arg!r}")
        return pair[1 if plural else 0]
    if op == "@":
        form = g.en_pronoun(plural, arg or "subj")
        events.append(("pron", arg or "subj", None, ref.number, form))
        return form
    raise ValueError(f"unknown slot operation {op!r}")


_SPACES = regex.compile(r"[ \t]{2,}")
_SPACE_BEFORE = regex.compile(r" +([,.;:!?…»)])")


def tidy(text: str, lang: str, *, capital: bool = True) -> str:
    """One space between words, none before punctuation, в/с/к/о adjusted to the next word,
    the first letter a capital (a poem's line breaks are kept)."""
    lines = []
    for line in text.split("\n"):
        line = _SPACE_BEFORE.sub(r"\1", _SPACES.sub(" ", line)).strip()
        if lang == "ru" and line:
            line = " ".join(g.ru_fix_prepositions(line.split(" ")))
        lines.append(line)
    text = "\n".join(lines)
    return capitalize(text) if capital else text


def capitalize(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
    return text


def choose(options: Sequence[str], *key: object) -> list[str]:
    """The options in an order fixed by the key: the same scene, the same order; another
    scene, most likely another."""
    if not options:
        return []
    start = stable_hash(*key) % len(options)
    return [*options[start:], *options[:start]]
