"""How results are shown: JSON for machines, rich tables for people."""

from __future__ import annotations

import json
import sys
from typing import Any

import click


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def console() -> Any:
    from rich.console import Console

    terminal = sys.stdout.isatty()
    return Console(width=None if terminal else 160, highlight=False, soft_wrap=not terminal)


def table(
    title: str | None, columns: list[str], rows: list[list[Any]], whole: tuple[str, ...] = ()
) -> None:
    """A table; the ``whole`` columns are never folded (ids a person copies)."""
    from rich.table import Table

    t = Table(title=title, show_lines=False, header_style="bold")
    for col in columns:
        t.add_column(col, overflow="fold", no_wrap=col in whole)
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    console().print(t)


def gloss_line(glosses: dict[str, Any], lang: str) -> str:
    return "; ".join(glosses.get(lang, ()))


def progress_bar(label: str, total: int | None = None) -> Any:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    err = Console(stderr=True)
    return Progress(
        SpinnerColumn(),
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )
