"""CSV for spreadsheets: one row per entry.

Columns: ``form, kind, gloss_<lang>... , components, registers, weight, status, provenance,
notes, examples``. Several glosses or examples in one cell are separated by `` | ``; components
and registers by ``;`` (a component is ``[lang:]meaning[@ref]``). Only ``form`` is required.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from ..entry import Component, EntryData
from ..errors import BadInputError
from . import Format, Header, Record, decode_all

MULTI = " | "
_BASE = ["form", "kind"]
_TAIL = ["components", "registers", "weight", "status", "provenance", "notes", "examples"]


def read_csv(stream: BinaryIO, source: str) -> tuple[Header, Iterator[Record]]:
    text = decode_all(stream.read(), source)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        columns = [c.strip() for c in next(reader)]
    except StopIteration:
        return Header(), iter(())
    except csv.Error as exc:
        raise BadInputError(f"{source}:1: invalid CSV: {exc}") from None
    if "form" not in columns:
        raise BadInputError(f"{source}:1: the header has no 'form' column")
    known = set(_BASE) | set(_TAIL)
    for c in columns:
        if c not in known and not c.startswith("gloss_"):
            raise BadInputError(f"{source}:1: unknown column {c!r}")
    if len(set(columns)) != len(columns):
        raise BadInputError(f"{source}:1: a column appears twice")

    def records() -> Iterator[Record]:
        try:
            for row in reader:
                where = f"{source}:{reader.line_num}"
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(columns):
                    raise BadInputError(
                        f"{where}: {len(row)} cells, the header has {len(columns)} columns"
                    )
                yield where, _record(dict(zip(columns, row, strict=True)))
        except csv.Error as exc:
            raise BadInputError(f"{source}:{reader.line_num}: invalid CSV: {exc}") from None

    return Header(), records()


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
