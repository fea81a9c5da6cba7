"""The hyperlexeme as plain data: what is validated, exported, diffed and stored in history.

``EntryData`` is the one shape that crosses every boundary (CLI, formats, revisions, the
index). Its ``to_dict`` is the native exchange record, so an export, a revision snapshot and
a version diff all speak the same language.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import regex

from . import text as T
from .errors import BadInputError

KINDS = ("glyph", "compound", "delta", "phrase")
REGISTERS = ("emotional", "logical", "poetic", "philosophical", "technical")
STATUSES = ("proposed", "active", "deprecated", "rejected")
PROVENANCES = ("seed", "user", "import", "feedback", "connector")
DEFAULT_WEIGHT = 0.5

_LANG = regex.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
# what the component notation ``[LANG:]MEANING[@REF]`` reads as a language tag or a link: a
# meaning or link holding either would not come back as itself from its own notation
_TAG = r"[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*"
_NOTATION = regex.compile(rf"@|^{_TAG}\s*:|(?<![\p{{L}}\p{{N}}]){_TAG}:(?=\S)")
_LETTERS_ONLY = regex.compile(r"^[\p{L}\p{M}]+$")
_LETTERS_AND_SPACES = regex.compile(r"^[\p{L}\p{M}\p{Nd}'’ -]+$")
_FIELDS = (
    "form",
    "kind",
    "glosses",
    "components",
    "registers",
    "weight",
    "status",
    "provenance",
    "notes",
    "examples",
)


@dataclass(frozen=True)
class Component:
    """One meaning fused into a hyperlexeme, optionally linked to the entry that carries it."""

    meaning: str
    lang: str | None = None
    ref: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"meaning": self.meaning}
        if self.lang:
            out["lang"] = self.lang
        if self.ref:
            out["ref"] = self.ref
        return out

    @classmethod
    def parse(cls, spec: str, where: str = "component") -> Component:
        """``[LANG:]MEANING[@REF]`` as typed on the command line, in a CSV cell or on the
        web page's form, one component per spec. A meaning never holds ``@`` (validation
        refuses it), so the first ``@`` starts the link."""
        spec = spec.strip()
        ref = None
        if "@" in spec:
            spec, ref = (part.strip() for part in spec.split("@", 1))
        lang = None
        head, sep, rest = spec.partition(":")
        if sep and _LANG.match(head):
            lang, spec = head, rest
        return cls(meaning=spec, lang=lang, ref=ref or None)

    def spec(self) -> str:
        out = f"{self.lang}:{self.meaning}" if self.lang else self.meaning
        return f"{out}@{self.ref}" if self.ref else out


_new = object.__new__


def _stored_component(c: Mapping[str, Any]) -> Component:
    """``Component(c["meaning"], c.get("lang"), c.get("ref"))``, set at once (``from_record``)."""
    component = _new(Component)
    component.__dict__.update(meaning=c["meaning"], lang=c.get("lang"), ref=c.get("ref"))
    return component


@dataclass(frozen=True)
class EntryData:
    form: str
    kind: str = "glyph"
    glosses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    components: tuple[Component, ...] = ()
    registers: tuple[str, ...] = ()
    weight: float = DEFAULT_WEIGHT
    status: str = "active"
    provenance: str = "user"
    notes: str = ""
    examples: tuple[str, ...] = ()

    # --- construction --------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        form: str,
        *,
        kind: str | None = None,
        glosses: Mapping[str, Iterable[str]] | None = None,
        components: Iterable[Component | str | Mapping[str, Any]] = (),
        registers: Iterable[str] = (),
        weight: float = DEFAULT_WEIGHT,
        status: str = "active",
        provenance: str = "user",
        notes: str = "",
        examples: Iterable[str] = (),
        where: str = "entry",
        repair: bool = True,
        repairs: list[T.Repair] | None = None,
    ) -> EntryData:
        """Validate and normalize every field; raise ``BadInputError`` naming the field."""
        repairs = repairs if repairs is not None else []

        def txt(value: object, at: str, **kw: Any) -> str:
            cleaned = T.clean_text(value, f"{where}: {at}", **kw)
            cleaned = T.strip_invisible(
                cleaned,
                f"{where}: {at}",
                repair=repair,
                repairs=repairs,
                allow_newlines=kw.get("allow_newlines", False),
            )
            return T.repair_text(cleaned, f"{where}: {at}", repair=repair, repairs=repairs)

        form_ = T.repair_text(
            T.clean_form(form, f"{where}: form"), f"{where}: form", repair=repair, repairs=repairs
        )
        comps = tuple(
            _component(c, f"{where}: components[{i}]", txt) for i, c in enumerate(components)
        )
        gl: dict[str, tuple[str, ...]] = {}
        for lang, items in sorted((glosses or {}).items()):
            if not isinstance(lang, str) or not _LANG.match(lang):
                raise BadInputError(f"{where}: glosses: bad language code {lang!r}")
            if isinstance(items, str):
                items = [items]
            seen: list[str] = []
            for j, g in enumerate(items):
                g = txt(g, f"glosses.{lang}[{j}]")
                if g not in seen:
                    seen.append(g)
            if seen:
                gl[lang] = tuple(seen)
        regs = []
        for r in registers:
            r = str(r).strip().lower()
            if r not in REGISTERS:
                raise BadInputError(
                    f"{where}: registers: unknown register {r!r} (one of {', '.join(REGISTERS)})"
                )
            if r not in regs:
                regs.append(r)
        if kind is None:
            kind = infer_kind(form_, len(comps))
        _one_of(kind, KINDS, f"{where}: kind")
        _one_of(status, STATUSES, f"{where}: status")
        _one_of(provenance, PROVENANCES, f"{where}: provenance")
        try:
            w = float(weight)
        except (TypeError, ValueError):
            raise BadInputError(f"{where}: weight: not a number: {weight!r}") from None
        if not math.isfinite(w) or not 0.0 <= w <= 1.0:
            raise BadInputError(f"{where}: weight: must be between 0 and 1, got {weight!r}")
        if kind == "delta" and not T.form_key(form_).startswith("δ"):
            raise BadInputError(f"{where}: form: a Δ-code must start with 'Δ', got {form_!r}")
        if isinstance(examples, str):
            examples = [examples]
        exs = tuple(txt(e, f"examples[{i}]") for i, e in enumerate(examples))
        notes_ = (
            txt(notes, "notes", max_len=T.MAX_NOTES, allow_newlines=True, allow_empty=True)
            if notes
            else ""
        )
        return cls(
            form=form_,
            kind=kind,
            glosses=gl,
            components=comps,
            registers=tuple(sorted(regs, key=REGISTERS.index)),
            weight=round(w, 6),
            status=status,
            provenance=provenance,
            notes=notes_,
            examples=exs,
        )

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        where: str = "entry",
        *,
        repair: bool = True,
        repairs: list[T.Repair] | None = None,
    ) -> EntryData:
        if not isinstance(data, Mapping):
            raise BadInputError(f"{where}: expected a mapping, got {type(data).__name__}")
        unknown = set(data) - set(_FIELDS) - {"created_at", "updated_at", "row_version", "id"}
        if unknown:
            raise BadInputError(f"{where}: unknown field(s): {', '.join(sorted(unknown))}")
        if "form" not in data:
            raise BadInputError(f"{where}: missing field 'form'")
        glosses = data.get("glosses") or {}
        if not isinstance(glosses, Mapping):
            raise BadInputError(f"{where}: glosses: expected a mapping of language to list")
        for key in ("components", "registers", "examples"):
            value = data.get(key)
            if value is not None and not isinstance(value, list | tuple | str):
                raise BadInputError(f"{where}: {key}: expected a list")
        registers = data.get("registers") or ()
        if isinstance(registers, str):
            registers = [r for r in registers.replace(",", ";").split(";") if r.strip()]
        return cls.create(
            data["form"],
            kind=data.get("kind"),
            glosses=glosses,
            components=data.get("components") or (),
            registers=registers,
            weight=data.get("weight", DEFAULT_WEIGHT),
            status=data.get("status") or "active",
            provenance=data.get("provenance") or "user",
            notes=data.get("notes") or "",
            examples=data.get("examples") or (),
            where=where,
            repair=repair,
            repairs=repairs,
        )

    @classmethod
    def from_record(cls, d: Mapping[str, Any], content_hash: str | None = None) -> EntryData:
        """Rebuild from a record this library wrote (store, history): no validation again.

        Every field is set at once in the instance's ``__dict__``, as the frozen dataclass's
        ``__init__`` would set them one ``object.__setattr__`` at a time: this is on the path
        of every entry read (a lookup by form spent 12 of its microseconds here, now 7).

        ``content_hash``: the record's hash as the store keeps it beside the record (written
        from the same record), taken instead of computed again: hashing the records was a
        tenth of the index's drain after a bulk import."""
        entry = _new(cls)
        if content_hash is not None:
            entry.__dict__["_hash"] = content_hash
        entry.__dict__.update(
            form=d["form"],
            kind=d["kind"],
            glosses={lang: tuple(items) for lang, items in d["glosses"].items()},
            components=tuple(_stored_component(c) for c in d.get("components", ())),
            registers=tuple(d["registers"]),
            weight=d["weight"],
            status=d["status"],
            provenance=d["provenance"],
            notes=d.get("notes", ""),
            examples=tuple(d.get("examples", ())),
        )
        return entry

    # --- views ---------------------------------------------------------------------------

    # Derived values are cached on the (immutable) instance: an import computes each of them
    # several times per entry (uniqueness, the entry row, its revision, the index).

    @cached_property
    def key(self) -> str:
        return T.form_key(self.form)

    def with_names_of(self, other: EntryData) -> EntryData:
        """This entry with ``other``'s name (its first gloss) in each language after its own
        glosses, unless it has it already (compared as forms are); its own name, kind,
        components and weight stay. How a seed adds the everyday name of a glyph another
        seed holds already: core's 🔥 is «жар, пыл», the emoji seed's name for it «огонь»."""
        glosses = {lang: list(items) for lang, items in self.glosses.items()}
        for lang, items in other.glosses.items():
            mine = glosses.setdefault(lang, [])
            if items and T.form_key(items[0]) not in {T.form_key(g) for g in mine}:
                mine.append(items[0])
        merged = {lang: tuple(items) for lang, items in sorted(glosses.items()) if items}
        if merged == dict(self.glosses):
            return self
        return dataclasses.replace(self, glosses=merged)

    def to_dict(self) -> dict[str, Any]:
        """The native record: stable key order, empty fields omitted except the core ones."""
        return json.loads(self.record_json)

    @cached_property
    def record(self) -> dict[str, Any]:
        """``to_dict()`` computed once; shared, so never mutate it."""
        return self._build_dict()

    @cached_property
    def record_json(self) -> str:
        return json.dumps(self.record, ensure_ascii=False)

    def _build_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"form": self.form, "kind": self.kind}
        out["glosses"] = {lang: list(items) for lang, items in self.glosses.items()}
        if self.components:
            out["components"] = [c.to_dict() for c in self.components]
        out["registers"] = list(self.registers)
        out["weight"] = self.weight
        out["status"] = self.status
        out["provenance"] = self.provenance
        if self.notes:
            out["notes"] = self.notes
        if self.examples:
            out["examples"] = list(self.examples)
        return out

    def content_hash(self) -> str:
        """Hash of the content, used to tell whether anything derived (index) is stale."""
        return self._hash

    @cached_property
    def _hash(self) -> str:
        blob = json.dumps(self.record, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def __hash__(self) -> int:  # glosses is a mapping, so the generated hash would fail
        return hash(self.content_hash())

    def gloss(self, lang: str) -> str | None:
        items = self.glosses.get(lang)
        return items[0] if items else None

    def evolve(self, **changes: Any) -> EntryData:
        """A validated copy with some fields changed."""
        merged = self.to_dict()
        for key, value in changes.items():
            if key == "components":
                value = [c.to_dict() if isinstance(c, Component) else c for c in value]
            merged[key] = value
        return EntryData.from_dict(merged, where=f"entry {merged.get('form', self.form)!r}")


def infer_kind(form: str, n_components: int = 0) -> str:
    """Guess a kind when the author gave none: Δ-codes, fused words, phrases, glyphs."""
    key = T.form_key(form)
    if key.startswith("δ-") or key.startswith("δ "):
        return "delta"
    clusters = T.graphemes(form)
    if len(clusters) > 1 and _LETTERS_ONLY.match(form):
        return "compound" if n_components >= 2 else "phrase"
    if len(clusters) > 1 and _LETTERS_AND_SPACES.match(form):
        return "phrase"
    return "glyph"


def _one_of(value: object, allowed: tuple[str, ...], where: str) -> None:
    if value not in allowed:
        raise BadInputError(f"{where}: {value!r} is not one of {', '.join(allowed)}")


def _component(value: object, where: str, txt: Any) -> Component:
    if isinstance(value, Component):
        meaning, lang, ref = value.meaning, value.lang, value.ref
    elif isinstance(value, str):
        c = Component.parse(value, where)
        meaning, lang, ref = c.meaning, c.lang, c.ref
    elif isinstance(value, Mapping):
        extra = set(value) - {"meaning", "lang", "ref"}
        if extra:
            raise BadInputError(f"{where}: unknown field(s): {', '.join(sorted(extra))}")
        if "meaning" not in value:
            raise BadInputError(f"{where}: missing 'meaning'")
        meaning, lang, ref = value["meaning"], value.get("lang"), value.get("ref")
    else:
        raise BadInputError(f"{where}: expected text or a mapping")
    if lang is not None and (not isinstance(lang, str) or not _LANG.match(lang)):
        raise BadInputError(f"{where}: bad language code {lang!r}")
    meaning = txt(meaning, where.split(": ", 1)[-1])
    ref = T.clean_form(ref, f"{where}: ref") if ref else None
    for name, value in (("meaning", meaning), ("ref", ref or "")):
        found = _NOTATION.search(value)
        if found:
            raise BadInputError(
                f"{where}: {name} {value!r} holds {found.group()!r}, which the component "
                "notation reads as the start of another component; give one component each "
                "(one a line on the page: [language:]meaning[@form])"
            )
    return Component(meaning=meaning, lang=lang or None, ref=ref)


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None
