"""Write a data file a script derives, or check it against a rebuild: what every script that
builds a file under src/hyperlexicon/data/ does with its text (the tests run ``--check``)."""

from __future__ import annotations

from pathlib import Path


def write_or_check(out: Path, text: str, argv: list[str]) -> int:
    """With ``--check`` in ``argv``: 0 if ``out`` holds ``text``, else 1. Otherwise write it."""
    if "--check" in argv:
        same = out.read_text("utf-8") == text
        print(f"{out.name} is up to date" if same else f"{out.name} differs")
        return 0 if same else 1
    out.write_text(text, "utf-8")
    print(f"wrote {out} ({text.count(chr(10)) - 1} words)")
    return 0
