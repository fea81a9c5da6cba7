"""TBX (ISO 30042) termbases: read TBX-v2 ``martif`` and TBX-v3 ``tbx``; write TBX-v3.

Mapping. A concept entry is one hyperlexeme. Its form is the term of the language section
``xml:lang="zxx"`` (ISO 639 "no linguistic content", which is what a glyph is); a termbase
without one takes its first term as the form. Terms in other languages are glosses.
``administrativeStatus`` maps to status (preferred/admitted/standardized → active,
deprecated/superseded → deprecated). ``definition`` is the notes, ``subjectField`` the
registers. What TBX has no category for (kind, components, weight, provenance, examples and
the exact status) travels in ``<descrip type="hyperlexicon">`` as JSON, which plain TBX
tools ignore and this reader restores.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from ..entry import REGISTERS, EntryData
from ..errors import BadInputError
from . import Format, Header, Record

TBX3_NS = "urn:iso:std:iso:30042:ed-2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NO_LANGUAGE = "zxx"

_STATUS_IN = {
    "preferredterm-admn-sts": "active",
    "admittedterm-admn-sts": "active",
    "standardizedterm-admn-sts": "active",
    "legalterm-admn-sts": "active",
    "regulatedterm-admn-sts": "active",
    "deprecatedterm-admn-sts": "deprecated",
    "supersededterm-admn-sts": "deprecated",
}
_STATUS_OUT = {
    "active": "preferredTerm-admn-sts",
    "proposed": "admittedTerm-admn-sts",
    "deprecated": "deprecatedTerm-admn-sts",
    "rejected": "supersededTerm-admn-sts",
}


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: Element) -> str:
    return "".join(el.itertext()).strip()


def read_tbx(stream: BinaryIO, source: str) -> tuple[Header, Iterator[Record]]:
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException

    try:
        root = SafeET.parse(stream).getroot()
    except ParseError as exc:
        line, col = exc.position
        raise BadInputError(f"{source}:{line}:{col + 1}: invalid XML: {exc.msg}") from None
    except DefusedXmlException as exc:
        raise BadInputError(f"{source}: refused unsafe XML ({type(exc).__name__})") from None
    kind = _local(root.tag)
    if kind == "martif":
        concept_tag, lang_tag, term_tag = "termEntry", "langSet", "tig"
    elif kind == "tbx":
        concept_tag, lang_tag, term_tag = "conceptEntry", "langSec", "termSec"
    else:
        raise BadInputError(f"{source}: root element <{kind}> is neither <martif> nor <tbx>")
    # the description is written to sourceDesc/p; files from elsewhere often only have a title
    source_desc = next((el for el in root.iter() if _local(el.tag) == "sourceDesc"), None)
    described = (
        next((_text(el) for el in source_desc.iter() if _local(el.tag) == "p"), None)
        if source_desc is not None
        else None
    )
    title = next((_text(el) for el in root.iter() if _local(el.tag) == "title"), None)
    header = Header(description=described or title)
    concepts = [el for el in root.iter() if _local(el.tag) == concept_tag]

    def records() -> Iterator[Record]:
        for n, concept in enumerate(concepts, start=1):
            cid = concept.get("id")
            where = f"{source}: <{concept_tag}> #{n}" + (f" (id={cid})" if cid else "")
            yield where, _concept(concept, lang_tag, term_tag, where)

    return header, records()


def _concept(concept: Element, lang_tag: str, term_tag: str, where: str) -> dict[str, Any]:
    record: dict[str, Any] = {"glosses": {}, "provenance": "import"}
    extra: dict[str, Any] = {}
    form: str | None = None
    first_term: str | None = None
    status: str | None = None
    for el in concept.iter():
        if _local(el.tag) == "descrip" and el.get("type") == "definition" and _text(el):
            record["notes"] = _text(el)
        elif _local(el.tag) == "descrip" and el.get("type") == "subjectField":
            regs = [r.strip().lower() for r in _text(el).split(";") if r.strip()]
            record["registers"] = [r for r in regs if r in REGISTERS]
        elif _local(el.tag) == "descrip" and el.get("type") == "hyperlexicon":
            try:
                extra = json.loads(_text(el))
            except json.JSONDecodeError as exc:
                raise BadInputError(
                    f"{where}: hyperlexicon descrip is not JSON: {exc.msg}"
                ) from None
            if not isinstance(extra, dict):
                raise BadInputError(f"{where}: hyperlexicon descrip must be a JSON object")
    for section in _children(concept, lang_tag):
        lang = (section.get(XML_LANG) or section.get("lang") or "").strip()
        if not lang:
            raise BadInputError(f"{where}: <{lang_tag}> without xml:lang")
        lang = lang.lower()
        for term_group in _children(section, term_tag):
            terms = [t for t in term_group.iter() if _local(t.tag) == "term"]
            if not terms or not _text(terms[0]):
                raise BadInputError(f"{where}: <{term_tag}> without a <term>")
            term = _text(terms[0])
            for note in term_group.iter():
                if _local(note.tag) == "termNote" and note.get("type") == "administrativeStatus":
                    mapped = _STATUS_IN.get(_text(note).lower())
                    if mapped is None:
                        raise BadInputError(
                            f"{where}: unknown administrativeStatus {_text(note)!r}"
                        )
                    if lang == NO_LANGUAGE or status is None:
                        status = mapped
            if lang == NO_LANGUAGE:
                form = form or term
                continue
            first_term = first_term or term
            record["glosses"].setdefault(lang, []).append(term)
    record["form"] = form or first_term
    if record["form"] is None:
        raise BadInputError(f"{where}: no terms")
    if status:
        record["status"] = status
    for key in ("kind", "components", "weight", "provenance", "examples", "status"):
        if key in extra:
            record[key] = extra[key]
    return record


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
        concept = SubElement(body, "conceptEntry", {"id": f"e{n}"})
        if d.notes:
            SubElement(concept, "descrip", {"type": "definition"}).text = d.notes
        if d.registers:
            SubElement(concept, "descrip", {"type": "subjectField"}).text = "; ".join(d.registers)
        extra = {
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
        _term(concept, NO_LANGUAGE, d.form, _STATUS_OUT[d.status])
        for lang, items in d.glosses.items():
            section = SubElement(concept, "langSec", {XML_LANG: lang})
            for item in items:
                SubElement(SubElement(section, "termSec"), "term").text = item
    stream.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(tostring(root, encoding="unicode").encode("utf-8"))
    stream.write(b"\n")


def _term(concept: Element, lang: str, term: str, status: str) -> None:
    section = SubElement(concept, "langSec", {XML_LANG: lang})
    term_sec = SubElement(section, "termSec")
    SubElement(term_sec, "term").text = term
    SubElement(term_sec, "termNote", {"type": "administrativeStatus"}).text = status


TBX = Format(
    "tbx",
    (".tbx", ".xml"),
    read_tbx,
    write_tbx,
    lossless=False,
    description="TBX termbase (reads TBX-v2 martif and TBX-v3 tbx; writes TBX-v3)",
)
