#!/usr/bin/env python3
"""docs/decoding.md: twenty scenes decoded in every style and both languages, for a reader to
judge the decoder by.

Builds a fresh home in a temporary directory with the core seed (``Lexicon.init(...,
seed="core")``) and its index, takes the seed's own scenes and scenes encoded from ordinary
sentences in Russian and English, decodes each as narrative, essay, poem and formula in
Russian and English, and writes the page. Nothing is random: running it again gives the same
page (the test suite checks the page is current).

    .venv/bin/python scripts/decoding_examples.py [--out docs/decoding.md]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hyperlexicon.config import Settings  # noqa: E402
from hyperlexicon.lexicon import Lexicon  # noqa: E402

# (source, register): a hyperstring of the seed, or a sentence to encode first
SCENES: list[tuple[str, str | None]] = [
    ("🜂⧖🕯 → ⟁☰☉⚭", None),
    ("⚡🜂🫁", None),
    ("🜂⧖🕯", None),
    ("страхтишинажарожидание", None),
    ("пепелвспышкажизньтишина", None),
    ("⚗⟁🔥 → ♁🜂🜍", None),
    ("♁🜂🜍", "technical"),
    ("😨🤫🔥⏳ → 🌅", None),
    ("🌊💧🜄", None),
    ("😨∵⛈", "logical"),
    ("🫀🌑 → ☀🕊", "emotional"),
    ("🕯", None),
    ("Δ-threshold", None),
    ("мысльсловомост → 🌉", "philosophical"),
    ("Что ты чувствуешь перед бурей?", None),
    ("What do you feel before a storm?", None),
    ("Свеча горит, и время тает в тишине.", None),
    ("After the storm came silence, and then the dawn.", None),
    ("Память рода живёт в крови и в доме.", None),
    ("A mirror, a mask and a shadow.", None),
]
STYLES = ("narrative", "essay", "poem", "formula")
LANGS = ("ru", "en")

HEADER = """# Decoding: twenty scenes in every style

What `hyperlexicon decode` writes without a connector, from the core seed alone: each scene
in the four styles, in Russian and in English. The first rows are the seed documents' own
scenes; the last six are scenes encoded from ordinary sentences. A register in brackets was
asked for; otherwise the text is written in the scene's strongest register. Regenerate with
`.venv/bin/python scripts/decoding_examples.py` (deterministic: the same lexicon gives the
same page).

How the styles differ (see `docs/bridge.md`, "Decoding"): the **narrative** tells the scene
as a short story, one event per sentence, relations as events (an arrow is a change, `+` a
union, a shared component kinship, a component that is another entry a part, `∵`/`∴` a
cause); the **essay** develops the centre (the strongest anchor), its parts and other names,
the tension and the resolution; the **poem** is lines of near-equal length built on a simile
or a genitive image; the **formula** is the lossless `name + name → name`.
"""


def _home() -> Iterator[Lexicon]:
    with tempfile.TemporaryDirectory(prefix="hyperlexicon-decoding-") as tmp:
        for key in [k for k in os.environ if k.startswith("HYPERLEXICON_")]:
            del os.environ[key]
        settings = Settings.load(home=tmp, auto_index=True)
        lex, _ = Lexicon.init(settings, seed="core")
        lex.rebuild_index()
        try:
            yield lex
        finally:
            lex.close()


def _looks_like_text(source: str) -> bool:
    return " " in source.strip() and any(ch.isalpha() for ch in source)


def _block(text: str) -> str:
    lines = text.splitlines() or [""]
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def page(lex: Lexicon) -> str:
    out = [HEADER]
    for n, (source, register) in enumerate(SCENES, start=1):
        if _looks_like_text(source):
            scene = lex.encode(source, register=register, log=False)
            target = scene
            title = f"«{source}» → `{scene.hyperstring}`"
        else:
            target = source
            title = f"`{source}`"
        first = lex.decode(target, style="narrative", lang="ru", register=register, log=False)
        voice = first.written_register
        asked = f" [{register}]" if register else ""
        out.append(f"## {n}. {title}{asked}\n")
        out.append(
            f"Written in the {voice} register. Anchors: {' '.join(first.anchors) or '—'}."
            + (f" Relations: {_relations(first.relations)}." if first.relations else "")
            + "\n"
        )
        for style in STYLES:
            for lang in LANGS:
                decoded = lex.decode(target, style=style, lang=lang, register=register, log=False)
                out.append(f"**{style}, {lang}**\n")
                out.append(_block(decoded.text) + "\n")
    return "\n".join(out).rstrip() + "\n"


def _relations(relations: list[dict[str, object]]) -> str:
    shown = []
    for r in relations:
        a = " ".join(r["a"])  # type: ignore[arg-type]
        b = " ".join(r["b"])  # type: ignore[arg-type]
        label = f" ({r['label']})" if r.get("label") else ""
        shown.append(f"{r['kind']} {a} / {b}{label}")
    return "; ".join(shown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "decoding.md"))
    args = parser.parse_args()
    for lex in _home():
        text = page(lex)
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
