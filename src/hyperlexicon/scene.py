"""A hyperscene: an ordered composition of hyperlexemes, with anchors, a field and a rhythm.

A scene is what HyperBridge produces from text and renders back into text. It serializes to
JSON (``to_dict`` / ``from_dict``) and to a compact hyperstring: lexeme forms in order,
phases separated by `` → `` (``🜂⧖🕯 → ⟁☰☉⚭``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ARROW = " → "
# how a lexeme was matched: by its form, a gloss's lemma (the entry's name), a word that is
# no name of the entry (one of its further glosses, or a verb whose act the name shows) held
# to a keyword threshold by its closeness (keyword), a gloss's words
# reordered or apart, a synonym or broader word of the text's (related), a name of several
# words by its head word alone (partial), a fused word's parts, by meaning, by the word's
# translation found among the entries' glosses (translated), or as the archetype fall-back
HOW = (
    "exact",
    "lemma",
    "keyword",
    "phrase",
    "related",
    "partial",
    "compound",
    "semantic",
    "translated",
    "archetype",
)


@dataclass
class Lexeme:
    """One matched hyperlexeme, and where in the text it came from."""

    entry_id: int | None
    form: str
    how: str  # one of ``HOW``
    score: float  # how sure the match is, 0..1
    meaning: str = ""  # the first gloss in the scene's language
    kind: str = "glyph"
    registers: tuple[str, ...] = ()
    weight: float = 0.5
    span: tuple[int, int] | None = None  # character offsets in the source text
    source: str = ""  # the text of that span
    phase: int = 0  # which part of the rhythm (arrows separate phases)
    anchor: bool = False
    alternatives: list[tuple[str, float]] = field(default_factory=list)  # runner-up forms
    # a related, partial or keyword match: its closeness to the word and its context, which
    # passed ``keyword_related`` or, for a keyword, ``threshold`` (what calibration fits those
    # thresholds to; the score is no closeness)
    closeness: float | None = None
    # a keyword match: the threshold its closeness was held to, before ``keyword_shift``
    # (a noun's, a translation's, …: ``Thresholds``), so that a verdict says by how much it
    # passed; a match by meaning: the threshold its score was held to, and which one (``gate``:
    # "semantic", "word" for a word held to ``word_margin`` more, "feeling" for a face,
    # "sentence" for a template), so that calibration fits each on its own verdicts
    threshold: float | None = None
    gate: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["registers"] = list(self.registers)
        out["span"] = list(self.span) if self.span else None
        out["alternatives"] = [list(a) for a in self.alternatives]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Lexeme:
        d = dict(d)
        d["registers"] = tuple(d.get("registers", ()))
        d["span"] = tuple(d["span"]) if d.get("span") else None
        d["alternatives"] = [tuple(a) for a in d.get("alternatives", ())]
        return cls(**d)


@dataclass
class Unmatched:
    """A piece of the text no lexeme explains; a fused word carries the parts it splits into."""

    text: str
    span: tuple[int, int]
    split: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "span": list(self.span), "split": list(self.split)}


@dataclass
class Diagnostic:
    """A stability finding (seed section 12): what, the measured value, the threshold."""

    code: str
    message: str
    value: float | None = None
    threshold: float | None = None
    forms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Scene:
    lexemes: list[Lexeme] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    coverage: float = 0.0  # share of the text's content tokens a lexeme explains
    diagnostics: list[Diagnostic] = field(default_factory=list)
    text: str | None = None  # the source text, when the scene came from one
    lang: str = "ru"
    lexicon: str = ""
    revision: int = 0  # the lexicon's last revision when the scene was made (its version)
    notes: list[str] = field(default_factory=list)
    query_id: int | None = None  # the query log row, once logged
    # candidates the bridge saw but left under the threshold: what a correction can confirm
    near_misses: list[dict[str, Any]] = field(default_factory=list)
    # fused words the scene tells by their parts' lexemes: {"text", "span", "parts"}
    fused: list[dict[str, Any]] = field(default_factory=list)

    @property
    def anchors(self) -> list[Lexeme]:
        return [lx for lx in self.lexemes if lx.anchor]

    @property
    def phases(self) -> list[list[Lexeme]]:
        count = max((lx.phase for lx in self.lexemes), default=-1) + 1
        return [[lx for lx in self.lexemes if lx.phase == p] for p in range(count)]

    @property
    def hyperstring(self) -> str:
        return ARROW.join("".join(lx.form for lx in phase) for phase in self.phases if phase)

    @property
    def forms(self) -> list[str]:
        return [lx.form for lx in self.lexemes]

    @property
    def field(self) -> dict[str, Any]:
        """The union of meanings, and how strongly each register sounds (score-weighted)."""
        registers: dict[str, float] = {}
        for lx in self.lexemes:
            for r in lx.registers:
                registers[r] = registers.get(r, 0.0) + lx.score
        total = sum(registers.values()) or 1.0
        meanings = list(dict.fromkeys(lx.meaning for lx in self.lexemes if lx.meaning))
        return {
            "meanings": meanings,
            "registers": {
                r: round(v / total, 3) for r, v in sorted(registers.items(), key=lambda kv: -kv[1])
            },
        }

    def diagnostic(self, code: str) -> Diagnostic | None:
        return next((d for d in self.diagnostics if d.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "hyperstring": self.hyperstring,
            "lexemes": [lx.to_dict() for lx in self.lexemes],
            "anchors": [lx.form for lx in self.anchors],
            "field": self.field,
            "coverage": round(self.coverage, 4),
            "unmatched": [u.to_dict() for u in self.unmatched],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "text": self.text,
            "lang": self.lang,
            "lexicon": self.lexicon,
            "revision": self.revision,
            "notes": list(self.notes),
            "query_id": self.query_id,
            "near_misses": list(self.near_misses),
            "fused": list(self.fused),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scene:
        return cls(
            lexemes=[Lexeme.from_dict(x) for x in d.get("lexemes", ())],
            unmatched=[
                Unmatched(u["text"], tuple(u["span"]), list(u.get("split", ())))
                for u in d.get("unmatched", ())
            ],
            coverage=float(d.get("coverage", 0.0)),
            diagnostics=[Diagnostic(**x) for x in d.get("diagnostics", ())],
            text=d.get("text"),
            lang=d.get("lang", "ru"),
            lexicon=d.get("lexicon", ""),
            revision=int(d.get("revision", 0)),
            notes=list(d.get("notes", ())),
            query_id=d.get("query_id"),
            near_misses=list(d.get("near_misses", ())),
            fused=list(d.get("fused", ())),
        )
