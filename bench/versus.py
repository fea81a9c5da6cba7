"""Warm encode, this tree against another (the stop's start, a branch point), paired.

Two runs of ``bridge_bench.py`` one after the other compare two machines: on a shared one
the same tree read 2.33x and then 2.04x against its own baseline ten minutes apart, more than
most changes to the encode move it. Here two worker processes, one importing this checkout's
``src`` and one the other tree's, each build the same lexicon (the core seed and synthetic
entries, as ``bridge_bench.py`` makes them, from the same seed) in a directory of their own,
and then encode the same chunks of the encode-quality sets' sentences on command: the driver
times each chunk where it is done, alternating the order every round (ABBA, as
``paired.compare``), and prints the median of the per-round ratios (this tree over the other)
with its interquartile range. Both keep what a warm process keeps (recent vectors, the read
memo) and both start from nothing kept.

Run:  python bench/versus.py --before /tmp/base/src [--size 1000] [--rounds 30] [--chunk 5]
                             [--texts sentences|20-word]
      (``/tmp/base``: ``git archive`` or a worktree of the other commit)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def worker(size: int, home: str, texts_file: str) -> None:
    """Build the lexicon with the ``hyperlexicon`` on the path, then answer the driver: a line
    ``<start> <end>`` encodes those texts and answers the seconds it took."""
    sys.path.insert(0, str(HERE))
    from bridge_bench import synthetic_lexicon

    lex = synthetic_lexicon(home, size, random.Random(5))
    lex.sync()
    lex.encode("прогрев", stability=False, log=False)  # the model loads here, untimed
    lex.index.embedder.forget()
    lex.store.forget_memo(lex.name)
    texts = json.loads(Path(texts_file).read_text())
    import hyperlexicon

    print(f"ready {Path(hyperlexicon.__file__).parent.parent}", flush=True)
    for line in sys.stdin:
        start, end = (int(x) for x in line.split())
        t = time.perf_counter()
        for text in texts[start:end]:
            lex.encode(text, stability=False, log=False)
        print(f"{time.perf_counter() - t:.6f}", flush=True)
    lex.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True, help="the other tree's src directory")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--chunk", type=int, default=5, help="texts per timed chunk")
    parser.add_argument(
        "--texts",
        choices=("sentences", "20-word"),
        default="sentences",
        help="the quality sets' sentences, or bridge_bench.py's 20-word texts (default sentences)",
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(int(args.worker[0]), args.worker[1], args.worker[2])
        return

    sys.path.insert(0, str(HERE))
    from bridge_bench import sentences
    from bridge_bench import texts as word_texts
    from paired import quartiles

    ours = str(HERE.parent / "src")
    before = str(Path(args.before).resolve())
    needed = args.rounds * args.chunk
    if args.texts == "sentences":
        ru, en = sentences("ru"), sentences("en")
    else:  # every chunk new text, as bridge_bench.py times them
        rng = random.Random(7)
        ru, en = word_texts("ru", needed, rng), word_texts("en", needed, rng)
    mixed = [t for pair in zip(ru, en, strict=False) for t in pair]
    texts = (mixed * (needed // len(mixed) + 1))[:needed]
    work = tempfile.mkdtemp()
    try:
        texts_file = os.path.join(work, "texts.json")
        Path(texts_file).write_text(json.dumps(texts, ensure_ascii=False))
        procs: dict[str, Any] = {}
        for name, src in (("this tree", ours), ("before", before)):
            home = os.path.join(work, name.replace(" ", "-"))
            os.makedirs(home)
            env = {**os.environ, "PYTHONPATH": src}
            procs[name] = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--before",
                    before,
                    "--worker",
                    str(args.size),
                    home,
                    texts_file,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
        for name, proc in procs.items():  # built one beside the other; timing starts after
            line = proc.stdout.readline().strip()
            if not line.startswith("ready "):
                raise SystemExit(f"the {name} worker did not start (said {line!r})")
            print(f"{name}: hyperlexicon from {line.removeprefix('ready ')}", flush=True)
        times: dict[str, list[float]] = {name: [] for name in procs}
        names = list(procs)
        for r in range(args.rounds):
            span = f"{r * args.chunk} {(r + 1) * args.chunk}\n"
            for name in names if r % 2 == 0 else names[::-1]:
                proc = procs[name]
                proc.stdin.write(span)
                proc.stdin.flush()
                times[name].append(float(proc.stdout.readline()))
        for proc in procs.values():
            proc.stdin.close()
            proc.wait(timeout=60)
        ratios = [a / b for a, b in zip(times["this tree"], times["before"], strict=True)]
        q1, med, q3 = quartiles(ratios)
        per = {name: sorted(v)[len(v) // 2] / args.chunk * 1e3 for name, v in times.items()}
        print(
            f"warm encode, {args.size:,} entries, "
            + ("the quality sets' sentences" if args.texts == "sentences" else "20-word texts")
            + f" (ru and en by turns), {args.rounds} paired chunks of {args.chunk}:\n"
            f"  this tree {per['this tree']:.1f} ms/text, before ({before}) "
            f"{per['before']:.1f} ms/text; this tree / before {med:.2f}x (IQR {q1:.2f}-{q3:.2f})"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
