"""Write a data file a script derives, or check it against a rebuild: what every script that
builds a file under src/hyperlexicon/data/ does with its text (the tests run ``--check``)."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import metadata
from pathlib import Path


def word_list(words: Iterable[str], says: str, script: str) -> str:
    """The file's text: a header naming the wordfreq release it came from, what the list
    holds and the script that built it, then the words sorted, one a line."""
    version = metadata.version("wordfreq")
    header = f"# {says.format(wordfreq=f'wordfreq {version}')}; built by scripts/{script}\n"
    return header + "".join(f"{w}\n" for w in sorted(words))


def write_or_check(out: Path, text: str, argv: list[str]) -> int:
    """With ``--check`` in ``argv``: 0 if ``out`` holds ``text``, else 1. Otherwise write it."""
    if "--check" in argv:
        same = out.read_text("utf-8") == text
        print(f"{out.name} is up to date" if same else f"{out.name} differs")
        return 0 if same else 1
    out.write_text(text, "utf-8")
    print(f"wrote {out} ({text.count(chr(10)) - 1} words)")
    return 0
