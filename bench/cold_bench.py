"""Cold start benchmark: what a user waits for when a command starts from nothing.

Each round starts, one after the other in an order that alternates between rounds, fresh
processes of:
  * ``hyperlexicon encode "<20 words>"`` (the default: stability check and query log on),
    on a home initialised with the core seed and indexed;
  * ``hyperlexicon --help``;
  * ``llm --help`` (simonw/llm, a real CLI of the same kind: the baseline the issue names;
    installed for the benchmark only, e.g. into a venv of its own given by ``--llm``; it is no
    dependency of ours);
  * with ``--before SRC``: the same encode and ``--help`` run from another source tree
    (``PYTHONPATH=SRC``, e.g. a checkout of main), so before/after is paired too.

It prints, per command, the median wall time and peak RSS (from ``wait4``), and the paired
ratios with their interquartile range (bench/paired.py). The model cache is prepared by a
warm-up run, as the first use after install prepares it. With ``--server`` it also times the
CLI through a running ``hyperlexicon serve`` (``HYPERLEXICON_SERVER_URL``): the warm path.

With ``--first N``, instead: N rounds of what a new user does first, ``init --seed core``
into a new home with a new cache directory and then two encodes, for this tree and (with
``--before``) the other by turns; it prints the medians of ``init``, the first encode and the
second, and the per-round ratio of the first encodes. The rounds above never see a first
encode: their warm-up prepares every cache.

Run:  python bench/cold_bench.py [--rounds 15] [--llm /tmp/llmvenv/bin/llm] [--before SRC] [--server]
      python bench/cold_bench.py --first 5 [--before SRC]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from paired import compare, quartiles

SENTENCE = (
    "огонь время свеча рост закон солнце единство молнии вдох воздухом страха тишине жара "
    "ожиданием пепла вспышки жизни тумана бурей"
)
BIN = Path(sys.executable).parent


def run(args: list[str], env: dict[str, str], rss: dict[str, list[int]], name: str) -> None:
    """One process, waited for with wait4 so its own peak RSS is known."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{name}: exit {proc.returncode}: {err.decode(errors='replace')[-800:]}")
    rss.setdefault(name, []).append(usage.ru_maxrss)  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--before", metavar="SRC", help="another source tree to pair against")
    parser.add_argument("--server", action="store_true", help="also time the CLI via a server")
    parser.add_argument("--dir", default=None)
    parser.add_argument(
        "--first", type=int, metavar="N", help="N rounds of init and its first encodes instead"
    )
    parser.add_argument(
        "--llm", default=str(BIN / "llm"), help="the llm executable (e.g. from a separate venv)"
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(
        f"hyperlexicon cold-start benchmark  ({os.cpu_count()} cpus, load average {load:.2f}, "
        f"{args.rounds} paired rounds)"
    )
    work = Path(tempfile.mkdtemp(dir=args.dir))
    try:
        home = work / "home"
        base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("HYPERLEXICON_", "LLM_"))
        }
        base_env["HYPERLEXICON_CACHE_DIR"] = str(work / "cache")
        base_env["LLM_USER_PATH"] = str(work / "llm")
        # every arm reads compiled bytecode, as an installed package does (pip compiles it):
        # with PYTHONDONTWRITEBYTECODE inherited, a source tree on PYTHONPATH would be
        # compiled again in every process (0.13 s of ours), while llm's venv has its .pyc
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        base_env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        ours = {**base_env, "HYPERLEXICON_HOME": str(home)}
        ours_src = str(Path(__file__).resolve().parent.parent / "src")
        ours["PYTHONPATH"] = ours_src
        if args.first:
            first_encodes(work, ours, args.before, args.first)
            return
        hl = [str(BIN / "hyperlexicon")]
        subprocess.run([*hl, "init", "--seed", "core"], env=ours, check=True, capture_output=True)
        rss: dict[str, list[int]] = {}
        arms = {
            "encode": lambda: run([*hl, "encode", SENTENCE], ours, rss, "encode"),
            "--help": lambda: run([*hl, "--help"], ours, rss, "--help"),
            "llm --help": lambda: run([args.llm, "--help"], base_env, rss, "llm --help"),
        }
        if args.before:
            # another install: its own cache directory (prepared models, the plugin list), as
            # two trees sharing one would each find the other's format and prepare their own
            before = {**ours, "PYTHONPATH": args.before}
            before["HYPERLEXICON_CACHE_DIR"] = str(work / "cache-before")
            # and its own home, a copy of the one just made: two trees that keep the index's
            # snapshot in different formats would each find the other's unreadable and write
            # their own, so every encode of both would open Chroma (1.18 s against 0.65)
            shutil.copytree(home, work / "home-before")
            before["HYPERLEXICON_HOME"] = str(work / "home-before")
            # run as ``python -m hyperlexicon``: the console script names this tree's entry
            # point, which another tree may not have
            hl_before = [sys.executable, "-m", "hyperlexicon"]
            arms["encode (before)"] = lambda: run(
                [*hl_before, "encode", SENTENCE], before, rss, "encode (before)"
            )
            arms["--help (before)"] = lambda: run(
                [*hl_before, "--help"], before, rss, "--help (before)"
            )
        server = None
        if args.server:
            server = start_server(home, ours)
            remote = {**ours, "HYPERLEXICON_SERVER_URL": server[1]}
            arms["encode via serve"] = lambda: run(
                [*hl, "encode", SENTENCE], remote, rss, "encode via serve"
            )
        try:
            for name in arms:  # warm-up: prepares the model cache, fills the OS page cache
                arms[name]()
            rss.clear()
            # a start reads the prepared model only if the first use could write it (a machine
            # where it could not ran every encode 1.3 s slower, and only this line said why)
            caches = {"encode": ours}
            if args.before:
                caches["encode (before)"] = before
            for name, env in caches.items():
                found = list((Path(env["HYPERLEXICON_CACHE_DIR"]) / "models").glob("usem3-*"))
                print(f"  model cache for {name}: {'prepared' if found else 'NOT prepared'}")
            result = compare(arms, rounds=args.rounds, warmup=0)
        finally:
            if server is not None:
                server[0].terminate()
                server[0].wait(timeout=30)
        print("\ncommand                 wall p50    (IQR)             peak RSS p50")
        for name in arms:
            q1, med, q3 = quartiles(result.times[name])
            mem = sorted(rss[name])[len(rss[name]) // 2] / 1024
            print(f"  {name:20s} {med:7.3f} s  ({q1:.3f}-{q3:.3f})   {mem:6.0f} MB")
        print("\npaired ratios (median of per-round ratios, IQR):")
        pairs = [("encode", "llm --help"), ("--help", "llm --help")]
        if args.before:
            pairs += [("encode", "encode (before)"), ("--help", "--help (before)")]
            pairs += [("encode (before)", "llm --help")]
        if args.server:
            pairs += [("encode via serve", "encode"), ("encode via serve", "llm --help")]
        for a, b in pairs:
            med, q1, q3 = result.ratio(a, b)
            print(f"  {a:18s} / {b:18s} {med:5.2f}x  (IQR {q1:.2f}-{q3:.2f})")
        enc = result.median("encode")
        helped = result.median("--help")
        ratio = result.ratio("encode", "llm --help")[0]
        mem = sorted(rss["encode"])[len(rss["encode"]) // 2] / 1024
        print("\naims (issue 18):")
        print(f"  cold encode <= 1.0 s: {enc:.3f} s  {'met' if enc <= 1.0 else 'NOT met'}")
        print(
            f"  cold encode <= 1.2x llm --help: {ratio:.2f}x  {'met' if ratio <= 1.2 else 'NOT met'}"
        )
        print(f"  peak RSS <= 200 MB: {mem:.0f} MB  {'met' if mem <= 200 else 'NOT met'}")
        print(f"  --help <= 0.1 s: {helped:.3f} s  {'met' if helped <= 0.1 else 'NOT met'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def first_encodes(work: Path, ours: dict[str, str], before: str | None, rounds: int) -> None:
    """``init --seed core`` into a new home and cache directory, then two encodes, per tree
    and round (the trees by turns, the order alternating): what a new user waits for."""
    trees = {"this tree": ours}
    if before:
        trees["before"] = {**ours, "PYTHONPATH": before}
    hl = [sys.executable, "-m", "hyperlexicon"]
    times: dict[str, dict[str, list[float]]] = {t: {} for t in trees}
    for r in range(rounds):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for tree in order:
            place = work / f"first-{r}-{tree.replace(' ', '-')}"
            env = {
                **trees[tree],
                "HYPERLEXICON_HOME": str(place / "home"),
                "HYPERLEXICON_CACHE_DIR": str(place / "cache"),
            }
            steps = [
                ("init", ["init", "--seed", "core"]),
                ("first encode", ["encode", SENTENCE]),
                ("second encode", ["encode", SENTENCE]),
            ]
            for step, args in steps:
                t = time.perf_counter()
                run([*hl, *args], env, {}, f"{tree}: {step}")
                times[tree].setdefault(step, []).append(time.perf_counter() - t)
            shutil.rmtree(place, ignore_errors=True)
    print("\ntree          step             wall p50    (IQR)")
    for tree, steps_ in times.items():
        for step, values in steps_.items():
            q1, med, q3 = quartiles(values)
            print(f"  {tree:11s} {step:15s} {med:7.3f} s  ({q1:.3f}-{q3:.3f})")
    if before:
        a, b = times["this tree"]["first encode"], times["before"]["first encode"]
        q1, med, q3 = quartiles([x / y for x, y in zip(a, b, strict=True)])
        print(f"\n  first encode, this tree / before: {med:.2f}x  (IQR {q1:.2f}-{q3:.2f})")


def start_server(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(BIN / "hyperlexicon"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/ready", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


if __name__ == "__main__":
    main()
