"""What warming buys a server's first user: ``hyperlexicon serve`` against ``serve --no-warm``.

``serve`` warms its default lexicon before it listens (``Lexicon.warm``: a Russian and an
English sentence encoded unlogged, so the model, the tagger, the thesauri, the dictionary and
the snapshot are loaded, and what start-up made is frozen for the collector). That moves the
loads from the first request to the start. This prints, for each arm, the seconds from the
process's start to ``/ready``, the first encode request's latency, and a second one's (a warm
request, for reference), and the time until the first answer (start + first request).

Rounds alternate the arms in ABBA order on one home (the core seed, indexed), each server a
fresh process on a free port; medians per arm, and the paired ratio warm / cold per round with
its interquartile range (bench/paired.py's ``quartiles``).

Run:  python bench/warm_bench.py [--rounds 6]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from paired import quartiles
from server_bench import HYPERLEXICON, free_port, spawn, stop_server

FIRST = "Холодный ветер принёс запах моря, и дети побежали к берегу."
SECOND = "The old lighthouse keeper lit a candle when the storm began."


def one_server(warm: bool, env: dict[str, str], log: Path) -> dict[str, float]:
    """Start a server, time ``/ready``, then two encodes; stop it."""
    port = free_port()
    args = [*HYPERLEXICON, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not warm:
        args.append("--no-warm")
    t = time.perf_counter()
    proc = spawn(args, env, log, f"http://127.0.0.1:{port}/ready", "the server")
    ready = time.perf_counter() - t
    try:
        url = f"http://127.0.0.1:{port}/api/v1/encode"
        times = []
        with httpx.Client(timeout=60) as client:
            for text in (FIRST, SECOND):
                t = time.perf_counter()
                response = client.post(url, json={"text": text, "stability": False})
                times.append(time.perf_counter() - t)
                response.raise_for_status()
    finally:
        stop_server(proc)
    return {"ready": ready, "first": times[0], "second": times[1], "answer": ready + times[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HYPERLEXICON_HOME": home, "HYPERLEXICON_RATE": "1000"}
        subprocess.run([*HYPERLEXICON, "init", "--seed", "core"], env=env, check=True)
        subprocess.run([*HYPERLEXICON, "index", "sync"], env=env, check=True, capture_output=True)
        log = Path(home) / "server.log"
        print(
            f"hyperlexicon warm-start benchmark  ({os.cpu_count()} cpus, load average"
            f" {os.getloadavg()[0]:.2f}; core seed; {args.rounds} rounds, ABBA)"
        )
        seen: dict[bool, list[dict[str, float]]] = {True: [], False: []}
        for r in range(args.rounds):
            for warm in (True, False) if r % 2 == 0 else (False, True):
                seen[warm].append(one_server(warm, env, log))
        for warm, label in ((True, "serve (warm)"), (False, "serve --no-warm")):
            medians = {k: statistics.median(s[k] for s in seen[warm]) for k in seen[warm][0]}
            print(
                f"  {label:16} ready {medians['ready']:.2f} s, first encode"
                f" {medians['first'] * 1e3:.0f} ms, second {medians['second'] * 1e3:.0f} ms;"
                f" first answer {medians['answer']:.2f} s after the start"
            )
        for key, what in (("first", "first encode"), ("answer", "time to the first answer")):
            ratios = [w[key] / c[key] for w, c in zip(seen[True], seen[False], strict=True)]
            q1, med, q3 = quartiles(ratios)
            print(f"  {what}, warm / cold: {med:.2f}x (IQR {q1:.2f}-{q3:.2f})")


if __name__ == "__main__":
    main()
