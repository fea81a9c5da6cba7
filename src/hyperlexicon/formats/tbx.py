"""TBX (ISO 30042) termbases: read the shapes termbase tools export; write TBX-v3.

Read: TBX-v2 ``martif`` (``termEntry/langSet/tig``, or ``ntig/termGrp``), TBX-v3 ``tbx`` in
DCA style (data categories carried as ``<termNote type="administrativeStatus">``) and in DCT
style (namespaced elements: ``<min:administrativeStatus>``, ``<basic:definition>``). Written:
TBX-v3 TBX-Basic, DCA style.

Mapping (docs/formats.md has the tables). A concept entry is one hyperlexeme. Its form is the
term of the language section ``xml:lang="zxx"`` (ISO 639 "no linguistic content", which is
what a glyph is); a termbase without one takes its first term as the form. Terms in other
languages are glosses under their base language (``en-US`` is an ``en`` gloss: that is what
the bridge looks up). ``administrativeStatus`` (or, without one, ``normativeAuthorization``)
of the form's term is the entry's status, by the picklists in ``STATUS_OF``. ``definition`` is
the notes, ``subjectField`` the registers, ``context`` the examples.

What has no field of its own is kept as data, one ``[TBX]`` line per item at the end of the
notes, and written back to where it came from on export: a term's full language tag
(``[TBX] en-US: "color"``), a status outside the picklists or of a gloss that is not usable
(``[TBX] en: "colour" administrativeStatus="deprecatedTerm-admn-sts"``), a second zxx term,
a subject field that is not a register (``[TBX] subjectField: "chemistry"``). A status
outside the picklists is also a warning (``--strict`` refuses the file), and an entry whose
form has only such a status is imported as ``proposed``, for a person to decide.

What TBX has no category for (kind, components, weight, provenance, examples and the exact
status) travels in ``<descrip type="hyperlexicon">`` as JSON, which plain TBX tools ignore and
this reader restores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, SubElement, TreeBuilder, tostring

from ..entry import REGISTERS, EntryData
from ..errors import BadInputError
from . import Format, Header, ReadWarning, Record, empty_file

TBX3_NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NO_LANGUAGE = "zxx"
KEPT = "[TBX] "

CONCEPTS = ("termEntry", "conceptEntry")
SECTIONS = ("langSet", "langSec")
TERM_GROUPS = ("tig", "ntig", "termSec")
# DCA style: these elements carry a data category named by their type attribute
CARRIERS = ("descrip", "termNote", "admin", "adminNote", "descripNote", "transac", "transacNote")
STATUS_CATEGORIES = ("administrativeStatus", "normativeAuthorization")

# The standard's status picklists by stem (lower case, letters only, without "-admn-sts" and
# "Term"): ISO 30042 administrativeStatus (preferredTerm-admn-sts, admittedTerm-admn-sts,
# deprecatedTerm-admn-sts, supersededTerm-admn-sts, standardizedTerm-admn-sts,
# legalTerm-admn-sts, regulatedTerm-admn-sts), TBX-Basic's notRecommendedTerm-admn-sts and
# obsoleteTerm-admn-sts, normativeAuthorization (the same stems without the suffix), and
# TBX-Min's short forms (preferred, admitted, notRecommended, obsolete).
STATUS_OF = {
    "preferred": "active",
    "admitted": "active",
    "standardized": "active",
    "standardised": "active",
    "legal": "active",
    "regulated": "active",
    "proposed": "proposed",
    "deprecated": "deprecated",
    "notrecommended": "deprecated",
    "superseded": "deprecated",
    "obsolete": "deprecated",
}
_STATUS_OUT = {
    "active": "preferredTerm-admn-sts",
    "proposed": "admittedTerm-admn-sts",
    "deprecated": "deprecatedTerm-admn-sts",
    "rejected": "supersededTerm-admn-sts",
}
UNKNOWN_STATUS = "proposed"  # an entry whose form's status no picklist knows: a person decides

_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_KEPT_LINE = re.compile(r"^\[TBX\] (?P<head>[A-Za-z][A-Za-z0-9-]*): (?P<rest>\".*)$")
_KEPT_PAIR = re.compile(r"\s+(?P<category>[A-Za-z]+)=")


def status_of(value: str) -> str | None:
    """The entry status a TBX status value maps to; None if no picklist has it."""
    stem = re.sub(r"[^a-z]", "", value.lower()).removesuffix("admnsts").removesuffix("term")
    return STATUS_OF.get(stem)


def language(raw: str | None, where: str) -> tuple[str, str]:
    """``(base, tag)`` of an ``xml:lang``: ``en-us``, ``EN_US`` → ``("en", "en-US")``.

    Glosses are keyed by the base language because that is what the bridge asks for; the
    full tag (region, script) is kept as data by the caller when it says more."""
    value = (raw or "").strip().replace("_", "-")
    if not value:
        raise BadInputError(f"{where}: no xml:lang")
    if not _LANG_TAG.match(value):
        raise BadInputError(f"{where}: xml:lang {raw!r} is not a language tag")
    parts = value.split("-")
    base = parts[0].lower()
    tag = [base]
    for part in parts[1:]:
        if len(part) == 2 and part.isalpha():
            tag.append(part.upper())  # region
        elif len(part) == 4 and part.isalpha():
            tag.append(part.title())  # script
        else:
            tag.append(part.lower())
    return base, "-".join(tag)


# --- reading ------------------------------------------------------------------------------


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(el: Element) -> str:
    return "".join(el.itertext()).strip()


def _category(el: Element) -> str | None:
    """The data category an element holds, in either style, or None for structure."""
    tag = el.tag
    if not isinstance(tag, str):
        return None
    namespace, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if name in CARRIERS:
        return el.get("type")
    if namespace and namespace != TBX3_NS:  # DCT: the element is the category
        return name
    return None


def _categories(el: Element, stop: tuple[str, ...] = ()) -> Iterator[tuple[str, Element]]:
    """``(category, element)`` below ``el``, not looking inside elements named in ``stop``."""
    for child in el:
        if _local(child.tag) in stop:
            continue
        category = _category(child)
        if category:
            yield category, child
        yield from _categories(child, stop)


class _Builder(TreeBuilder):
    """Notes the line each child of ``<body>`` starts on, so messages can name it."""

    def __init__(self) -> None:
        super().__init__()
        self.expat: Any = None
        self.lines: dict[Element, int] = {}
        self._open: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> Element:  # type: ignore[override]
        el = super().start(tag, attrs)
        if self._open and self._open[-1] == "body" and self.expat is not None:
            self.lines[el] = self.expat.CurrentLineNumber
        self._open.append(_local(tag))
        return el

    def end(self, tag: str) -> Element:  # type: ignore[override]
        self._open.pop()
        return super().end(tag)


def _parse(stream: BinaryIO, source: str) -> tuple[Element, dict[Element, int]]:
    from defusedxml.common import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    data = stream.read()
    if not data.strip():
        raise empty_file(source, "a <tbx> or <martif> root with a <body>")
    builder = _Builder()
    parser = DefusedXMLParser(target=builder)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except ParseError as exc:
        line, col = exc.position
        raise BadInputError(f"{source}:{line}:{col + 1}: invalid XML: {exc.msg}") from None
    except DefusedXmlException as exc:
        raise BadInputError(f"{source}: refused unsafe XML ({type(exc).__name__})") from None
    return root, builder.lines


def read_tbx(stream: BinaryIO, source: str) -> tuple[Header, Iterator[Record]]:
    root, lines = _parse(stream, source)
    kind = _local(root.tag)
    if kind not in ("martif", "tbx"):
        raise BadInputError(f"{source}: root element <{kind}> is neither <martif> nor <tbx>")
    body = next((el for el in root.iter() if _local(el.tag) == "body"), None)
    if body is None:
        raise BadInputError(f"{source}: <{kind}> has no <text><body>: not a termbase")
    concepts = []
    for el in body:
        if _local(el.tag) not in CONCEPTS:
            at = f"{source}:{lines[el]}" if el in lines else source
            raise BadInputError(
                f"{at}: <body> holds <{_local(el.tag)}>, not a concept entry "
                "(<termEntry> or <conceptEntry>)"
            )
        concepts.append(el)
    # the description is written to sourceDesc/p; files from elsewhere often only have a title
    source_desc = next((el for el in root.iter() if _local(el.tag) == "sourceDesc"), None)
    described = (
        next((_text(el) for el in source_desc.iter() if _local(el.tag) == "p"), None)
        if source_desc is not None
        else None
    )
    title = next((_text(el) for el in root.iter() if _local(el.tag) == "title"), None)
    header = Header(description=described or title)

    def records() -> Iterator[Record]:
        for n, concept in enumerate(concepts, start=1):
            cid = concept.get("id")
            where = f"{source}:{lines.get(concept, '?')}: <{_local(concept.tag)}> #{n}" + (
                f" (id={cid})" if cid else ""
            )
            yield where, _Concept(where, header.warnings).read(concept)

    return header, records()


@dataclass
class _Term:
    base: str
    tag: str
    text: str
    statuses: list[tuple[str, str]]  # (category, value) as written

    def known(self) -> str | None:
        """The entry status this term's first status from a picklist maps to."""
        return next((s for s in (status_of(v) for _, v in self.statuses) if s), None)

    def unknown(self) -> list[tuple[str, str]]:
        return [(c, v) for c, v in self.statuses if status_of(v) is None]

    def unusable(self) -> list[tuple[str, str]]:
        """The statuses that say more than "a gloss you may use": kept with a gloss."""
        return [(c, v) for c, v in self.statuses if status_of(v) != "active"]


@dataclass
class _Concept:
    where: str
    warnings: list[ReadWarning]
    definitions: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def read(self, concept: Element) -> dict[str, Any]:
        self._describe(concept, SECTIONS)
        terms: list[_Term] = []
        for section in concept:
            if _local(section.tag) not in SECTIONS:
                continue
            raw = section.get(XML_LANG) or section.get("lang")
            base, tag = language(raw, f"{self.where}: <{_local(section.tag)}>")
            self._describe(section, TERM_GROUPS)
            for group in section:
                if _local(group.tag) not in TERM_GROUPS:
                    continue
                term = next((t for t in group.iter() if _local(t.tag) == "term"), None)
                if term is None or not _text(term):
                    raise BadInputError(f"{self.where}: <{_local(group.tag)}> without a <term>")
                statuses = [
                    (category, _text(el))
                    for category, el in _categories(group)
                    if category in STATUS_CATEGORIES and _text(el)
                ]
                self._describe(group, ())
                terms.append(_Term(base, tag, _text(term), statuses))
        return self._record(terms)

    def _describe(self, el: Element, stop: tuple[str, ...]) -> None:
        for category, item in _categories(el, stop):
            text = _text(item)
            if category == "definition" and text:
                self._add(self.definitions, text)
            elif category == "context" and text:
                self._add(self.examples, text)
            elif category == "subjectField":
                for value in (v.strip() for v in text.split(";")):
                    if value:
                        self._add(self.fields, value)
            elif category == "hyperlexicon":
                try:
                    extra = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise BadInputError(
                        f"{self.where}: hyperlexicon descrip is not JSON: {exc.msg}"
                    ) from None
                if not isinstance(extra, dict):
                    raise BadInputError(f"{self.where}: hyperlexicon descrip must be a JSON object")
                self.extra = extra

    @staticmethod
    def _add(items: list[str], value: str) -> None:
        if value not in items:
            items.append(value)

    def _record(self, terms: list[_Term]) -> dict[str, Any]:
        form = next((t for t in terms if t.base == NO_LANGUAGE), None) or next(iter(terms), None)
        if form is None:
            raise BadInputError(f"{self.where}: no terms")
        status = form.known()
        if status is None and form.unknown():
            status = UNKNOWN_STATUS
        status = status or next((s for s in (t.known() for t in terms) if s), None)
        kept: list[str] = []
        glosses: dict[str, list[tuple[int, str]]] = {}
        for term in terms:
            for category, value in term.unknown():
                decided = term is form and form.known() is None
                self.warnings.append(
                    ReadWarning(
                        self.where,
                        f"{term.tag} term {term.text!r}: unknown {category} {value!r}",
                        "kept in the notes"
                        + (f", the entry imported as {UNKNOWN_STATUS}" if decided else ""),
                    )
                )
            if term.base == NO_LANGUAGE:
                if term is not form:
                    kept.append(kept_line(term.tag, term.text, term.statuses))
                elif term.unknown():
                    kept.append(kept_line(term.tag, term.text, term.unknown()))
            else:
                rank = 1 if term.unusable() else 0
                glosses.setdefault(term.base, []).append((rank, term.text))
        # usable glosses first (the first gloss is what a decode writes), each in file order
        ordered = {
            lang: list(dict.fromkeys(text for _, text in sorted(items, key=lambda i: i[0])))
            for lang, items in sorted(glosses.items())
        }
        # the kept lines in the order an export writes the terms, so a round trip is exact
        for lang, texts in ordered.items():
            for text in texts:
                for term in terms:
                    same = term.base == lang and term.text == text
                    if same and (term.unusable() or term.tag != term.base):
                        kept.append(kept_line(term.tag, term.text, term.unusable()))
        registers = [f.lower() for f in self.fields if f.lower() in REGISTERS]
        kept.extend(kept_line("subjectField", f) for f in self.fields if f.lower() not in REGISTERS)
        notes = "\n".join(self.definitions)
        present = set(notes.split("\n"))
        notes = "\n".join([notes, *(k for k in dict.fromkeys(kept) if k not in present)])
        record: dict[str, Any] = {"form": form.text, "glosses": ordered, "provenance": "import"}
        if notes.strip():
            record["notes"] = notes.strip("\n")
        if registers:
            record["registers"] = registers
        if self.examples:
            record["examples"] = self.examples
        if status:
            record["status"] = status
        for key in ("kind", "components", "weight", "provenance", "examples", "status"):
            if key in self.extra:
                record[key] = self.extra[key]
        return record


def kept_line(head: str, text: str, statuses: Iterable[tuple[str, str]] = ()) -> str:
    """One ``[TBX]`` line of the notes: ``[TBX] en-US: "color" administrativeStatus="…"``."""
    pairs = "".join(f" {c}={json.dumps(v, ensure_ascii=False)}" for c, v in statuses)
    return f"{KEPT}{head}: {json.dumps(text, ensure_ascii=False)}{pairs}"


@dataclass(frozen=True)
class _Kept:
    line: str
    head: str
    text: str
    statuses: tuple[tuple[str, str], ...]


def _kept(notes: str) -> list[_Kept]:
    """The ``[TBX]`` lines of an entry's notes this module wrote (others are plain text)."""
    out = []
    decoder = json.JSONDecoder()
    for line in notes.split("\n"):
        found = _KEPT_LINE.match(line)
        if not found:
            continue
        rest = found["rest"]
        try:
            text, end = decoder.raw_decode(rest)
            statuses = []
            while end < len(rest):
                pair = _KEPT_PAIR.match(rest, end)
                if pair is None:
                    raise ValueError(rest[end:])
                value, end = decoder.raw_decode(rest, pair.end())
                statuses.append((pair["category"], value))
        except ValueError:
            continue
        if isinstance(text, str) and all(isinstance(v, str) for _, v in statuses):
            out.append(_Kept(line, found["head"], text, tuple(statuses)))
    return out


# --- writing ------------------------------------------------------------------------------


def write_tbx(stream: BinaryIO, header: Header, entries: Iterable[EntryData]) -> None:
    root = Element("tbx", {"xmlns": TBX3_NS, "type": "TBX-Basic", "style": "dca", XML_LANG: "en"})
    file_desc = SubElement(SubElement(root, "tbxHeader"), "fileDesc")
    SubElement(SubElement(file_desc, "titleStmt"), "title").text = (
        f"hyperlexicon: {header.lexicon or 'lexicon'}"
        + (f" @ {header.version}" if header.version else "")
    )
    SubElement(SubElement(file_desc, "sourceDesc"), "p").text = header.description or (
        "Exported by hyperlexicon"
    )
    body = SubElement(SubElement(root, "text"), "body")
    for n, d in enumerate(entries, start=1):
        _write_concept(body, n, d)
    stream.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(tostring(root, encoding="unicode").encode("utf-8"))
    stream.write(b"\n")


def _write_concept(body: Element, n: int, d: EntryData) -> None:
    """One concept entry; the ``[TBX]`` lines of the notes go back where the reader found
    them (a term's full language tag, its status, a subject field), the rest is the
    definition."""
    kept = _kept(d.notes)
    used: set[str] = set()
    sections: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = {}
    form_status: tuple[tuple[str, str], ...] = (("administrativeStatus", _STATUS_OUT[d.status]),)
    for k in kept:
        if k.head == NO_LANGUAGE and k.text == d.form and _reads_as(k.statuses) == d.status:
            form_status = k.statuses
            used.add(k.line)
    sections[NO_LANGUAGE] = [(d.form, form_status)]
    for k in kept:
        if k.head == NO_LANGUAGE and k.text != d.form:
            sections[NO_LANGUAGE].append((k.text, k.statuses))
            used.add(k.line)
    for lang, items in d.glosses.items():
        for item in items:
            mine = [
                k
                for k in kept
                if k.text == item and _LANG_TAG.match(k.head) and k.head.split("-")[0] == lang
            ]
            for k in mine:
                sections.setdefault(k.head, []).append((item, k.statuses))
                used.add(k.line)
            if not mine:
                sections.setdefault(lang, []).append((item, ()))
    fields = [*d.registers]
    for k in kept:
        if k.head == "subjectField" and not k.statuses:
            fields.append(k.text)
            used.add(k.line)
    concept = SubElement(body, "conceptEntry", {"id": f"e{n}"})
    definition = "\n".join(line for line in d.notes.split("\n") if line not in used).strip("\n")
    if definition:
        SubElement(concept, "descrip", {"type": "definition"}).text = definition
    if fields:
        SubElement(concept, "descrip", {"type": "subjectField"}).text = "; ".join(fields)
    extra: dict[str, Any] = {
        "kind": d.kind,
        "weight": d.weight,
        "provenance": d.provenance,
        "status": d.status,
    }
    if d.components:
        extra["components"] = [c.to_dict() for c in d.components]
    if d.examples:
        extra["examples"] = list(d.examples)
    SubElement(concept, "descrip", {"type": "hyperlexicon"}).text = json.dumps(
        extra, ensure_ascii=False
    )
    for tag, terms in sections.items():
        section = SubElement(concept, "langSec", {XML_LANG: tag})
        for text, statuses in terms:
            term_sec = SubElement(section, "termSec")
            SubElement(term_sec, "term").text = text
            for category, value in statuses:
                SubElement(term_sec, "termNote", {"type": category}).text = value


def _reads_as(statuses: Iterable[tuple[str, str]]) -> str | None:
    """The status the reader gives an entry whose form's term has these statuses."""
    values = [v for _, v in statuses]
    known = next((s for s in map(status_of, values) if s), None)
    return known or (UNKNOWN_STATUS if values else None)


TBX = Format(
    "tbx",
    (".tbx", ".xml"),
    read_tbx,
    write_tbx,
    lossless=False,
    description="TBX termbase (reads TBX-v2 martif and TBX-v3 tbx, DCA and DCT; writes TBX-v3)",
)
