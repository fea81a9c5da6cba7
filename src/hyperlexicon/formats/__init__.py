"""Exchange formats: which exist, how a file's format is chosen, and the shared reading rules.

A reader turns a file into a header and a stream of ``(where, record)`` pairs, where ``where``
names the file and line (or entry) for error messages, and ``record`` is a plain mapping
in the native shape (see ``EntryData.to_dict``). A writer does the reverse. Built-in formats:
``jsonl`` and ``yaml`` (native, lossless), ``csv`` and ``tbx``. Plugins add more through the
``register_formats`` hook.

What a reader could read but not map exactly (a TBX status value outside the standard's
picklists, say) it keeps in the record where it can and appends a ``ReadWarning`` to the
header's ``warnings`` as it goes; the import reports them, and ``--strict`` refuses the file
at the first one. A file that holds nothing at all (no header, no entries) is not an empty
lexicon but a mistake (a failed download, a redirect that wrote nothing): readers refuse it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..entry import EntryData
from ..errors import BadInputError

Record = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class ReadWarning:
    """Something a reader kept, but not as the file meant it: ``where`` names the file and
    line or entry, ``problem`` what it could not map, ``kept`` what it did instead."""

    where: str
    problem: str
    kept: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}; {self.kept}"

    def refusal(self) -> str:
        """The one line ``--strict`` stops the import with."""
        return f"{self.where}: {self.problem} (refused by --strict; nothing was imported)"


@dataclass
class Header:
    """What a file says about the lexicon it holds, and what its reader warns about (filled
    while the records are read, so complete only once they all have been)."""

    lexicon: str | None = None
    description: str | None = None
    version: str | None = None
    warnings: list[ReadWarning] = field(default_factory=list)


@dataclass(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]
    read: Callable[[BinaryIO, str], tuple[Header, Iterator[Record]]] | None
    write: Callable[[BinaryIO, Header, Iterable[EntryData]], None] | None
    lossless: bool = False
    description: str = ""


def builtin_formats() -> list[Format]:
    from . import native, tabular, tbx

    return [native.JSONL, native.YAML, tabular.CSV, tbx.TBX]


def all_formats() -> dict[str, Format]:
    from ..plugins import registered_formats

    return registered_formats()


def choose(path: str | Path, name: str | None = None, *, for_writing: bool = False) -> Format:
    """The format named, or the one whose extension the path has."""
    formats = all_formats()
    if name:
        fmt = formats.get(name.lower())
        if fmt is None:
            raise BadInputError(f"unknown format {name!r} (one of {', '.join(sorted(formats))})")
    else:
        suffixes = "".join(Path(path).suffixes[-2:]).lower()
        fmt = next(
            (
                f
                for f in formats.values()
                for ext in f.extensions
                if suffixes.endswith(ext) or Path(path).suffix.lower() == ext
            ),
            None,
        )
        if fmt is None:
            raise BadInputError(
                f"{path}: cannot tell the format from the file name; pass --format "
                f"({', '.join(sorted(formats))})"
            )
    if for_writing and fmt.write is None:
        raise BadInputError(f"format {fmt.name!r} cannot be written")
    if not for_writing and fmt.read is None:
        raise BadInputError(f"format {fmt.name!r} cannot be read")
    return fmt


def refusal(warning: object) -> str:
    """What ``--strict`` says of a reader's warning (a plugin's reader may warn with text)."""
    if isinstance(warning, ReadWarning):
        return warning.refusal()
    return f"{warning} (refused by --strict; nothing was imported)"


def empty_file(source: str, shape: str) -> BadInputError:
    """The error for a file with nothing in it; ``shape`` says what even an empty lexicon
    holds in this format."""
    return BadInputError(
        f"{source}: the file holds nothing (no header, no entries), so it is not a lexicon; "
        f"even an empty lexicon has {shape}"
    )


def decode_line(raw: bytes, where: str) -> str:
    """Strict UTF-8 with a message that says where and what to do."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{where}: not valid UTF-8 (byte {exc.start + 1} of the line, 0x{raw[exc.start]:02x}); "
            "the file must be UTF-8 (convert it first, e.g. iconv -f cp1251 -t utf-8)"
        ) from None


def decode_all(data: bytes, source: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadInputError(
            f"{source}:{line}: not valid UTF-8 (0x{data[exc.start]:02x}); the file must be "
            "UTF-8 (convert it first, e.g. iconv -f cp1251 -t utf-8)"
        ) from None


def read_entries(
    stream: BinaryIO, source: str, format: str, *, repair: bool = True, strict: bool = False
) -> tuple[Header, Iterator[tuple[str, EntryData]], list[Any]]:
    """A file's header, its entries validated one by one as they are read (each error names
    its place), and the list the mojibake repairs are recorded into while reading. The reader
    warns as it reads (``header.warnings``); ``strict`` stops at the first warning."""
    from ..text import Repair

    fmt = choose(source, format)
    assert fmt.read is not None
    header, records = fmt.read(stream, source)
    repairs: list[Repair] = []

    def heed() -> None:
        if strict and header.warnings:
            raise BadInputError(refusal(header.warnings[0]))

    def validated() -> Iterator[tuple[str, EntryData]]:
        heed()
        for where, record in records:
            heed()
            if fmt.name not in ("jsonl", "yaml") and "provenance" not in record:
                record = {**record, "provenance": "import"}
            yield where, EntryData.from_dict(record, where, repair=repair, repairs=repairs)
        heed()

    return header, validated(), repairs


def write_entries(
    stream: BinaryIO,
    format: str,
    header: Header,
    items: Iterable[EntryData],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write entries in a format; how many were written."""
    fmt = choose(f"x.{format}", format, for_writing=True)
    assert fmt.write is not None
    count = 0

    def counted() -> Iterator[EntryData]:
        nonlocal count
        for data in items:
            count += 1
            if progress:
                progress(1)
            yield data

    fmt.write(stream, header, counted())
    return count
