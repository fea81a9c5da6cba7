"""CSV for spreadsheets: one row per entry.

Columns: ``form, kind, gloss_<lang>... , components, registers, weight, status, provenance,
notes, examples``. Several glosses or examples in one cell are separated by `` | ``; components
and registers by ``;`` (a component is ``[lang:]meaning[@ref]``). Only ``form`` is required.

Only notes may hold a line break. A quote left open swallows the lines after it into one cell:
read leniently, that surfaces as a confusing complaint about the cell's text (or a wrong cell
count) lines later, so the reader is strict and says "unterminated quote" with the line where
the record starts. A file with not even a header row is refused, not read as an empty lexicon.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from ..entry import Component, EntryData
from ..errors import BadInputError
from . import Format, Header, Record, decode_all, empty_file

MULTI = " | "
_BASE = ["form", "kind"]
_TAIL = ["components", "registers", "weight", "status", "provenance", "notes", "examples"]


def read_csv(stream: BinaryIO, source: str) -> tuple[Header, Iterator[Record]]:
    text = decode_all(stream.read(), source)
    if not text.strip():
        raise empty_file(source, "a header row: form,kind,gloss_en,...")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        columns = [c.strip() for c in next(reader)]
    except csv.Error as exc:
        raise _csv_error(source, 1, reader.line_num, exc) from None
    if "form" not in columns:
        raise BadInputError(f"{source}:1: the header has no 'form' column")
    known = set(_BASE) | set(_TAIL)
    for c in columns:
        if c not in known and not c.startswith("gloss_"):
            raise BadInputError(f"{source}:1: unknown column {c!r}")
    if len(set(columns)) != len(columns):
        raise BadInputError(f"{source}:1: a column appears twice")

    def records() -> Iterator[Record]:
        start = reader.line_num + 1  # the line the next record starts on
        try:
            for row in reader:
                first, start = start, reader.line_num + 1
                where = f"{source}:{first}"
                if not any(cell.strip() for cell in row):
                    continue
                spans = first < reader.line_num
                if len(row) != len(columns):
                    raise BadInputError(
                        f"{where}: {len(row)} cells, the header has {len(columns)} columns"
                        + (_runs_on(first, reader.line_num) if spans else "")
                    )
                cells = dict(zip(columns, row, strict=True))
                broken = next((c for c, v in cells.items() if c != "notes" and "\n" in v), None)
                if spans and broken:
                    raise BadInputError(
                        f"{where}: the {broken!r} cell holds a line break, which only notes may"
                        + _runs_on(first, reader.line_num)
                    )
                yield where, _record(cells)
        except csv.Error as exc:
            raise _csv_error(source, start, reader.line_num, exc) from None

    return Header(), records()


def _runs_on(first: int, last: int) -> str:
    return f" (unterminated quote? the record starting on line {first} runs on to line {last})"


def _csv_error(source: str, start: int, line: int, exc: csv.Error) -> BadInputError:
    """csv's own words ("unexpected end of data", "',' expected after '\"'") in the user's."""
    message = str(exc)
    if "unexpected end of data" in message:
        return BadInputError(
            f"{source}:{start}: unterminated quote: a quoted cell of the record starting on "
            "this line never closes (it runs to the end of the file)"
        )
    if "expected after" in message and line > start:
        return BadInputError(
            f"{source}:{start}: unterminated quote: a quoted cell of the record starting on "
            f"this line runs on to line {line}, where a quote ends it in mid-cell"
        )
    if "expected after" in message:
        return BadInputError(
            f"{source}:{line}: text after a closing quote; a quote inside a quoted cell is "
            'written twice ("")'
        )
    return BadInputError(f"{source}:{line}: invalid CSV: {message}")


def _split(cell: str, sep: str) -> list[str]:
    return [part.strip() for part in cell.split(sep.strip()) if part.strip()]


def _record(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"form": row["form"]}
    if row.get("kind", "").strip():
        out["kind"] = row["kind"].strip()
    glosses = {
        col.removeprefix("gloss_"): _split(value, MULTI)
        for col, value in row.items()
        if col.startswith("gloss_") and value.strip()
    }
    out["glosses"] = glosses
    if row.get("components", "").strip():
        out["components"] = [Component.parse(c).to_dict() for c in _split(row["components"], ";")]
    if row.get("registers", "").strip():
        out["registers"] = _split(row["registers"], ";")
    for key in ("weight", "status", "provenance", "notes"):
        if row.get(key, "").strip():
            out[key] = row[key].strip()
    if row.get("examples", "").strip():
        out["examples"] = _split(row["examples"], MULTI)
    return out


def write_csv(stream: BinaryIO, header: Header, entries: Iterable[EntryData]) -> None:
    items = list(entries)
    langs = sorted({lang for d in items for lang in d.glosses} | {"ru", "en"})
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([*_BASE, *(f"gloss_{lang}" for lang in langs), *_TAIL])
    for d in items:
        writer.writerow(
            [
                d.form,
                d.kind,
                *(MULTI.join(d.glosses.get(lang, ())) for lang in langs),
                "; ".join(c.spec() for c in d.components),
                "; ".join(d.registers),
                repr(d.weight),
                d.status,
                d.provenance,
                d.notes,
                MULTI.join(d.examples),
            ]
        )
    text.detach()


CSV = Format(
    "csv",
    (".csv",),
    read_csv,
    write_csv,
    lossless=False,
    description="CSV, one row per entry (gloss_<lang> columns; ';'-separated components)",
)
