"""Parsing a long hyperstring: the parser against the plain definition, paired.

The parser finds, at each grapheme cluster, the longest window (up to 48 clusters) whose
key names an entry. The plain definition keys every window on its own (``form_key`` of the
window's text) and asks the store for all of them; the parser keys each distinct cluster
once and joins the keys (``Bridge.parse``). Both run on the same random strings of the
core seed's glyphs and noise, alternating in small paired chunks (``paired.compare``), and
give the same lexemes (checked here on every string). Each call reads from the store (no
request's memo is open around it).

    python bench/decode_bench.py --sizes 5000,20000 --rounds 5
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from paired import compare

MAX_WINDOW = 48  # clusters: Bridge.parse's MAX_GLYPH_FORM * 3


def plain_parse(lex: Any, text: str) -> list[str]:
    """The definition: every window keyed on its own, one lookup, longest match first."""
    from hyperlexicon.text import form_key, graphemes

    gs = graphemes(text)
    keys = {
        form_key("".join(gs[a:b]))
        for a in range(len(gs))
        for b in range(a + 1, min(len(gs), a + MAX_WINDOW) + 1)
    }
    found = lex.store.by_keys(lex.name, keys)
    out, a = [], 0
    while a < len(gs):
        for b in range(min(len(gs), a + MAX_WINDOW), a, -1):
            stored = found.get(form_key("".join(gs[a:b])))
            if stored is not None:
                out.append(stored.data.form)
                a = b
                break
        else:
            a += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,20000", help="characters per string")
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds per size")
    args = parser.parse_args(argv)

    from hyperlexicon.config import Settings
    from hyperlexicon.lexicon import Lexicon

    home = Path(tempfile.mkdtemp(prefix="decode-bench-"))
    lex, _ = Lexicon.init(Settings.load(home=str(home)), seed="core")
    rng = random.Random(1)
    glyphs = [e.data.form for e in lex.store.by_keys(lex.name, ["🜂", "⧖", "🕯", "☉", "⚭"]).values()]
    pool = [chr(c) for c in [*range(0x41, 0x7B), *range(0x430, 0x450), *range(0x1F300, 0x1F400)]]
    pool += [chr(c) for c in range(0x1F700, 0x1F774)] + glyphs
    print(
        f"core seed, {lex.store.count(lex.name)} entries; Bridge.parse against the plain definition"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        text = "".join(rng.choice(pool) for _ in range(size))
        ours = [lx.form for lx in lex.bridge.parse(text)[0].lexemes]
        assert ours == plain_parse(lex, text), "the parser and the definition disagree"
        result = compare(
            {
                "parse": lambda text=text: lex.bridge.parse(text),
                "plain": lambda text=text: plain_parse(lex, text),
            },
            rounds=args.rounds,
        )
        print(
            f"  {size:>6} characters, {len(ours)} lexemes: "
            + result.line("parse", "plain", scale=1, unit="s")
        )
    lex.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
