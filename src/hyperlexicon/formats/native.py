"""The native formats, JSON Lines and YAML: every field of every entry, nothing lost.

JSON Lines: an optional first line ``{"hyperlexicon": 1, "lexicon": ..., ...}``, then one entry
per line. YAML: a mapping with ``hyperlexicon: 1``, the lexicon's name and ``entries:``, or a
bare list of entries.

A file that is not a lexicon is refused, not read as an empty one: a YAML mapping without
``entries`` (``foo: bar``), a key the format does not have, an empty list, an empty file. An
empty lexicon is a header with no entries (what ``export`` writes for one).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import yaml

from ..entry import EntryData
from ..errors import BadInputError
from . import Format, Header, Record, decode_all, decode_line, empty_file

FORMAT_VERSION = 1
HEADER_KEYS = ("hyperlexicon", "lexicon", "description", "version")


def _header_dict(header: Header) -> dict[str, Any]:
    out: dict[str, Any] = {"hyperlexicon": FORMAT_VERSION}
    for key in ("lexicon", "description", "version"):
        value = getattr(header, key)
        if value:
            out[key] = value
    return out


def _header_from(data: dict[str, Any], where: str, *, more: tuple[str, ...] = ()) -> Header:
    """The header keys of a JSONL header line or a YAML document; any other key is refused,
    as an entry's unknown field is (a typo would otherwise vanish)."""
    allowed = (*HEADER_KEYS, *more)
    unknown = [str(k) for k in data if k not in allowed]
    if unknown:
        raise BadInputError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))} "
            f"(a header has {', '.join(allowed)})"
        )
    version = data.get("hyperlexicon", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise BadInputError(f"{where}: unsupported format version {version!r} (expected 1)")
    for key in ("lexicon", "description", "version"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise BadInputError(f"{where}: {key}: expected text, got {type(data[key]).__name__}")
    return Header(
        lexicon=data.get("lexicon"),
        description=data.get("description"),
        version=data.get("version"),
    )


# --- JSON Lines ---------------------------------------------------------------------------


def read_jsonl(stream: BinaryIO, source: str) -> tuple[Header, Iterator[Record]]:
    lines = enumerate(stream, start=1)
    header = Header()
    first: Record | None = None
    for number, raw in lines:
        where = f"{source}:{number}"
        text = decode_line(raw.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw, where)
        if not text.strip():
            continue
        obj = _json(text, where)
        if "hyperlexicon" in obj:
            header = _header_from(obj, where)
        else:
            first = (where, obj)
        break
    else:
        raise empty_file(source, 'a header line {"hyperlexicon": 1}')

    def records() -> Iterator[Record]:
        if first is not None:
            yield first
        for number, raw in lines:
            where = f"{source}:{number}"
            text = decode_line(raw, where)
            if text.strip():
                yield where, _json(text, where)

    return header, records()


def _json(text: str, where: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{where}: invalid JSON at column {exc.colno}: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise BadInputError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    return obj


def write_jsonl(stream: BinaryIO, header: Header, entries: Iterable[EntryData]) -> None:
    stream.write(json.dumps(_header_dict(header), ensure_ascii=False).encode() + b"\n")
    for data in entries:
        stream.write(json.dumps(data.to_dict(), ensure_ascii=False).encode() + b"\n")


# --- YAML ---------------------------------------------------------------------------------


def read_yaml(stream: BinaryIO, source: str) -> tuple[Header, Iterator[Record]]:
    text = decode_all(stream.read(), source)
    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise empty_file(source, "'hyperlexicon: 1' and 'entries:'")
        doc = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BadInputError(f"{at}: invalid YAML: {problem}") from None
    finally:
        loader.dispose()
    header = Header()
    entries_node = node
    if isinstance(doc, dict):
        if "entries" not in doc:
            keys = ", ".join(repr(str(k)) for k in doc)
            raise BadInputError(
                f"{source}: not a lexicon: a mapping without 'entries'"
                + (f" (its keys: {keys})" if keys else "")
            )
        header = _header_from(doc, source, more=("entries",))
        entries = doc["entries"] if doc["entries"] is not None else []
        entries_node = next(
            (v for k, v in node.value if getattr(k, "value", None) == "entries"), None
        )
    elif isinstance(doc, list):
        if not doc:
            raise BadInputError(
                f"{source}: not a lexicon: an empty list, with no header to say it is an "
                "empty lexicon"
            )
        entries = doc
    else:
        raise BadInputError(
            f"{source}: not a lexicon: a YAML {type(doc).__name__}, not a mapping with "
            "'entries' or a list of entries"
        )
    if not isinstance(entries, list):
        raise BadInputError(f"{source}: 'entries' must be a list")
    lines = (
        [n.start_mark.line + 1 for n in entries_node.value]
        if entries_node is not None and isinstance(entries_node.value, list)
        else [0] * len(entries)
    )

    def records() -> Iterator[Record]:
        for i, (obj, line) in enumerate(zip(entries, lines, strict=False)):
            where = f"{source}:{line} (entry {i + 1})" if line else f"{source}: entry {i + 1}"
            if not isinstance(obj, dict):
                raise BadInputError(f"{where}: expected a mapping")
            yield where, obj

    return header, records()


class _Dumper(yaml.SafeDumper):
    """The pure-Python dumper: libyaml's escapes every character outside the BMP (🜂 becomes
    "\\U0001F702"), which is valid YAML but unreadable for a glyph lexicon."""


def write_yaml(stream: BinaryIO, header: Header, entries: Iterable[EntryData]) -> None:
    out = _header_dict(header)
    stream.write(
        yaml.dump(out, Dumper=_Dumper, allow_unicode=True, sort_keys=False).encode("utf-8")
    )
    stream.write(b"entries:\n")
    for data in entries:
        chunk = yaml.dump(
            [data.to_dict()], Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100
        )
        stream.write(chunk.encode("utf-8"))


JSONL = Format(
    "jsonl",
    (".jsonl", ".ndjson"),
    read_jsonl,
    write_jsonl,
    lossless=True,
    description="JSON Lines, one entry per line (native, lossless)",
)
YAML = Format(
    "yaml",
    (".yaml", ".yml"),
    read_yaml,
    write_yaml,
    lossless=True,
    description="YAML document with an entries list (native, lossless)",
)
