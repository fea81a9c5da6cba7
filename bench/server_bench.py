"""Server benchmark: the HyperBridge service over HTTP and WebSocket against the same calls made
in-process through the ``Lexicon`` facade, in one run.

It creates a temporary home, runs ``hyperlexicon init --seed core`` (plus ``--entries N``
synthetic entries, made as in bridge_bench.py), measures ``Lexicon.get`` and ``Lexicon.encode``
in this process, single-threaded, then starts the real server (``hyperlexicon serve``) as a
subprocess on a free loopback port and prints, for each of 1, 8 and 32 concurrent clients:

  * lexicon lookup, ``GET /api/v1/entries/{form}``, cycling through the lexicon's forms;
  * encode, ``POST /api/v1/encode`` with short Russian and English texts (stability re-encode
    off unless --stability);

requests/s, p50 and p99 latency, errors, and the CPU the client and the server used; then the
overhead ratio (HTTP p50 at 1 client / in-process p50) and the WebSocket round-trip time on
``/ws`` (ping → pong, encode → result). Clients are threads in this process, each with its own
keep-alive ``httpx.Client`` (one connection), in a closed loop: a client sends its next request
when the last one is answered. The server runs in its own process.

With ``--three-servers`` it measures instead how requests/s scale from one server to three:
the same lookup and encode, with each client count, against one ``hyperlexicon serve`` and
against three (clients spread over them), all on one PostgreSQL schema and one ``chroma run``
as docs/deploy.md describes. The two arms alternate in small paired chunks (bench/paired.py),
``--duration`` seconds per figure and arm cut into ``--rounds`` chunks, and it prints, per
operation and client count, the median of the per-round ratios three/one and their IQR, the
CPU hyperlexicon's processes and the rest of the machine used, and the ratio of requests per
CPU second: on a machine with fewer free cores than servers, CPU-bound work cannot scale, and
the figures say how full the machine was and whether three servers did more with the CPU or
only got more of it.

Run:  python bench/server_bench.py [--duration 10] [--requests N] [--clients 1,8,32]
                                   [--entries 0] [--stability]
      python bench/server_bench.py --three-servers [--duration 48] [--rounds 12]
                                   [--clients 1,8,32] [--pg-url URL] [--rate-store database]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from crash_bench import PG_URL, PostgreSQL
from paired import Paired, compare, quartiles
from store_bench import make_entry, percentile

RU = [
    "Что ты чувствуешь перед бурей?",
    "Вдох, как молния",
    "огонь, время и свеча",
    "страх тишины перед бурей",
    "сердце и буря",
    "свет и тьма",
    "как найти дорогу домой?",
    "пепел после вспышки жизни",
]
EN = [
    "fire + time + candle",
    "the fear of silence before the storm",
    "a breath like lightning",
    "heart and storm",
    "light and darkness",
    "how do I find the way home?",
    "ash after a flash of life",
    "growth, law, sun and unity",
]
TEXTS = [t for pair in zip(RU, EN, strict=True) for t in pair]  # alternate ru, en

HYPERLEXICON = [sys.executable, "-m", "hyperlexicon"]
CLIENT = (
    "threads in the bench process, one keep-alive httpx.Client (1 connection) each, closed loop"
)


# --- measuring ------------------------------------------------------------------------------


class Cell:
    """The figures of one measurement: latencies, statuses, errors, wall and CPU time."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.wall = 0.0
        self.client_cpu = 0.0
        self.server_cpu = float("nan")
        self.other_cpu = float("nan")  # everything else on the machine

    @property
    def n(self) -> int:
        return len(self.latencies)

    @property
    def failed(self) -> int:
        return sum(v for k, v in self.statuses.items() if k != 200) + sum(self.errors.values())

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1e3 if self.latencies else float("nan")

    def rate(self) -> float:
        return self.n / self.wall if self.wall else float("nan")

    def problems(self) -> str:
        bad = [f"{k}×{v}" for k, v in sorted(self.statuses.items()) if k != 200]
        return ", ".join(bad + [f"{k}×{v}" for k, v in self.errors.items()])


def server_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a process (Linux /proc), NaN elsewhere."""
    if pid is None:
        return float("nan")
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def machine_cpu() -> float:
    """CPU seconds the whole machine has been busy (Linux /proc/stat), NaN elsewhere."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
        return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def run_serial(call: Callable[[int], Any], duration: float, requests: int | None) -> Cell:
    """One caller in this thread: ``call(k)`` until the duration or the request count is up."""
    cell = Cell()
    cpu, start, mcpu = time.process_time(), time.perf_counter(), machine_cpu()
    deadline = start + duration
    for k in itertools.count():
        if (requests is not None and k >= requests) or (
            requests is None and time.perf_counter() >= deadline
        ):
            break
        t = time.perf_counter()
        ok = call(k)
        cell.latencies.append(time.perf_counter() - t)
        cell.statuses[200 if ok is not False else 0] += 1
    cell.wall = time.perf_counter() - start
    cell.client_cpu = time.process_time() - cpu
    cell.other_cpu = machine_cpu() - mcpu - cell.client_cpu
    return cell


def run_http(
    base: str | Sequence[str],
    send: Callable[[httpx.Client, int], httpx.Response],
    clients: int,
    duration: float,
    requests: int | None,
    pid: int | Sequence[int] | None,
    opener: Callable[[httpx.Client, int], httpx.Response] | None = None,
) -> Cell:
    """``clients`` threads, each with its own keep-alive connection, in a closed loop. With
    several bases, client ``i`` talks to ``base[i % len(base)]`` (as a balancer spreading
    connections would), and ``pid`` names every server process whose CPU counts. Each client
    opens its connection with two untimed requests: ``opener``'s, else ``send``'s."""
    bases = [base] if isinstance(base, str) else list(base)
    pids = [] if pid is None else [pid] if isinstance(pid, int) else list(pid)
    opener = opener or send
    barrier = threading.Barrier(clients + 1)
    stop = threading.Event()
    budget = itertools.count()  # next() is atomic: a shared request count
    parts: list[Cell] = [Cell() for _ in range(clients)]
    ends = [0.0] * clients

    def worker(i: int) -> None:
        part = parts[i]
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(base_url=bases[i % len(bases)], timeout=60, limits=limits) as client:
            k = i * 7919  # each client starts elsewhere in the cycle
            for _ in range(2):  # open the connection, untimed
                with contextlib.suppress(httpx.HTTPError):
                    opener(client, k)
                k += 1
            barrier.wait()
            while not stop.is_set() and (requests is None or next(budget) < requests):
                t = time.perf_counter()
                try:
                    part.statuses[send(client, k).status_code] += 1
                except httpx.HTTPError as exc:
                    part.errors[type(exc).__name__] += 1
                part.latencies.append(time.perf_counter() - t)
                ends[i] = time.perf_counter()
                k += 1

    def servers_cpu() -> float:
        return sum(server_cpu(p) for p in pids) if pids else float("nan")

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start, cpu, scpu = time.perf_counter(), time.process_time(), servers_cpu()
    mcpu = machine_cpu()
    try:
        if requests is None:
            stop.wait(duration)
            stop.set()
        for t in threads:
            t.join()
    finally:
        stop.set()
    cell = Cell()
    cell.wall = max(ends) - start
    cell.client_cpu = time.process_time() - cpu
    cell.server_cpu = servers_cpu() - scpu
    cell.other_cpu = machine_cpu() - mcpu - cell.client_cpu - cell.server_cpu
    for part in parts:
        cell.latencies += part.latencies
        cell.statuses.update(part.statuses)
        cell.errors.update(part.errors)
    return cell


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(
    args: list[str], env: dict[str, str], log: Path, ready: str, name: str, timeout: float = 120
) -> subprocess.Popen[bytes]:
    """A server process in its own session (Ctrl-C reaches us, and we stop it), its output in
    ``log``, waited for until ``ready`` answers 200."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text("utf-8", "replace")[-2000:]
            raise SystemExit(f"{name} exited with {proc.returncode}:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(ready, timeout=2).status_code == 200:
                return proc
        time.sleep(0.1)
    stop_server(proc)
    raise SystemExit(f"{name} was not ready within {timeout:.0f} s")


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``hyperlexicon serve`` on 127.0.0.1:``port``."""
    return spawn(
        [*HYPERLEXICON, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        log,
        f"http://127.0.0.1:{port}/ready",
        "the server",
    )


def stop_server(proc: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM (uvicorn shuts down gracefully), SIGKILL if it is still there after 20 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def scan_log(log: Path) -> tuple[Counter[str], list[str]]:
    """Statuses in the access log, and the lines that look like server errors."""
    statuses: Counter[str] = Counter()
    bad = []
    for line in log.read_text("utf-8", "replace").splitlines():
        m = re.search(r'" (\d{3})\b', line)
        if m and "HTTP/1.1" in line:
            statuses[m.group(1)] += 1
            if m.group(1).startswith("5"):
                bad.append(line)
        elif re.search(r"Traceback|ERROR|Exception|error", line):
            bad.append(line)
    return statuses, bad


# --- WebSocket ------------------------------------------------------------------------------


def ws_round_trips(
    port: int, duration: float, requests: int | None
) -> tuple[Cell, Cell, Counter[str]]:
    from websockets.sync.client import connect

    events: Counter[str] = Counter()
    with connect(f"ws://127.0.0.1:{port}/ws", max_size=None, open_timeout=10) as ws:

        def until(rid: str | None, want: str) -> bool:
            while True:
                event = json.loads(ws.recv(timeout=60))
                events[event["type"]] += 1
                if event["type"] == want and event.get("id") == rid:
                    return True
                if event["type"] == "error" and event.get("id") == rid:
                    return False

        ws.send(json.dumps({"v": 1, "type": "hello"}))
        until(None, "dialogue")

        def ping(k: int) -> bool:
            ws.send(json.dumps({"v": 1, "type": "ping"}))
            return until(None, "pong")

        def encode(k: int) -> bool:
            text = TEXTS[k % len(TEXTS)]
            ws.send(json.dumps({"v": 1, "type": "encode", "id": f"e{k}", "text": text}))
            return until(f"e{k}", "result")

        for k in range(3):  # warm
            ping(k)
            encode(k)
        return (
            run_serial(ping, duration, requests),
            run_serial(encode, duration, requests),
            events,
        )


# --- one server against three ------------------------------------------------------------


def three_servers(args: argparse.Namespace, clients: list[int]) -> None:
    """Lookup and encode with each client count against one server and against three, on one
    PostgreSQL schema and one ``chroma run`` (docs/deploy.md), in paired rounds."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import text

    began = time.perf_counter()
    cores = os.cpu_count() or 1
    chunk = args.duration / args.rounds
    rng = random.Random(9)
    print(
        f"hyperlexicon server benchmark: one server against three  (python"
        f" {sys.version.split()[0]}, {platform.system()} {platform.machine()}, {cores} cores,"
        f" load average {os.getloadavg()[0]:.2f} at the start)"
    )
    print(
        f"NOTE: the three servers, PostgreSQL, `chroma run` and this client share the {cores}"
        " cores: work bound by CPU cannot go faster with more server processes than there are"
        " cores to run them, so a ratio near 1 (or below) with the machine near"
        f" {100 * cores}% cpu says the machine is full, not that the servers wait on each other."
    )
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="hlx-three-servers-") as d:
        root = Path(d)
        for key in [k for k in os.environ if k.startswith("HYPERLEXICON_")]:
            del os.environ[key]
        db = PostgreSQL(args.pg_url, prefix="srvbench")
        procs: list[subprocess.Popen[bytes]] = []
        try:
            port = free_port()
            chroma_url = f"http://127.0.0.1:{port}"
            chroma_env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
            chroma_run = [str(Path(sys.executable).with_name("chroma")), "run"]
            chroma_run += ["--path", str(root / "chroma"), "--host", "127.0.0.1"]
            chroma_run += ["--port", str(port)]
            heartbeat = f"{chroma_url}/api/v2/heartbeat"
            procs.append(spawn(chroma_run, chroma_env, root / "chroma.log", heartbeat, "chroma"))
            shared = dict(
                chroma_env, HYPERLEXICON_DB_URL=db.url, HYPERLEXICON_CHROMA_URL=chroma_url
            )
            t = time.perf_counter()
            subprocess.run(
                [*HYPERLEXICON, "init", "--seed", "core"],
                env=dict(shared, HYPERLEXICON_HOME=str(root / "cli")),
                check=True,
                capture_output=True,
            )
            init_s = time.perf_counter() - t
            with db.engine.connect() as conn:
                forms = [
                    row[0]
                    for row in conn.execute(
                        text(
                            "SELECT entry.form FROM entry JOIN lexicon"
                            " ON entry.lexicon_id = lexicon.id WHERE lexicon.name = 'core'"
                        )
                    )
                ]
            size = len(forms)
            forms = rng.sample(forms, min(args.forms, size))
            paths = [f"/api/v1/entries/{quote(f, safe='')}" for f in forms]

            ports: list[int] = []
            while len(ports) < 3:
                if (p := free_port()) not in ports:
                    ports.append(p)
            envs = [
                dict(
                    shared,
                    HYPERLEXICON_HOME=str(root / f"s{i}"),
                    HYPERLEXICON_SERVER_ID=f"s{i}",
                    HYPERLEXICON_RATE="1e9",
                    HYPERLEXICON_BURST="1000000000",
                    HYPERLEXICON_RATE_STORE=args.rate_store,
                    HYPERLEXICON_DRAIN_EVERY="0",
                )
                for i in (1, 2, 3)
            ]
            t = time.perf_counter()
            with ThreadPoolExecutor(3) as pool:  # three start-ups at once
                futures = [
                    pool.submit(start_server, ports[i], envs[i], root / f"s{i + 1}.log")
                    for i in range(3)
                ]
                started = [f.exception() is None and f.result() for f in futures]
                procs += [proc for proc in started if proc]
                for f in futures:
                    f.result()  # the first failure, now that the others are known
            ready_s = time.perf_counter() - t
            bases = [f"http://127.0.0.1:{p}" for p in ports]

            # warm every server (model load) and check that they answer alike
            differ = 0
            with contextlib.ExitStack() as stack:
                http = [stack.enter_context(httpx.Client(base_url=b, timeout=60)) for b in bases]
                for text_ in TEXTS:
                    body = {"text": text_, "stability": args.stability}
                    answers = {
                        (r.status_code, r.json().get("hyperstring") if r.is_success else r.text)
                        for r in (c.post("/api/v1/encode", json=body) for c in http)
                    }
                    differ += len(answers) > 1
                for c in http:
                    c.get(paths[0])

            print(
                f"lexicon 'core': {size:,} entries (seed core) in PostgreSQL schema {db.schema}"
                f" ({args.pg_url.split('@')[-1]}); init {init_s:.1f} s; one `chroma run`"
            )
            print(
                f"servers: three `hyperlexicon serve` (s1, s2, s3; uvicorn, one process each),"
                f" ready in {ready_s:.1f} s (started at once); rate limit raised for the run"
                f" (HYPERLEXICON_RATE=1e9, BURST=1e9; HYPERLEXICON_RATE_STORE={args.rate_store}:"
                + (
                    " no tokens, so every request updates the one bucket row in PostgreSQL"
                    " that all clients share"
                    if args.rate_store == "database"
                    else " each server's own bucket, in memory"
                )
                + "); DRAIN_EVERY=0;"
                f" encode answers {'identical on all three' if not differ else f'DIFFERED on {differ} texts'}"
            )
            print(
                f"lookup: GET /api/v1/entries/{{form}} cycling through {len(forms):,} forms;"
                f" encode: POST /api/v1/encode, {len(RU)} ru + {len(EN)} en short texts,"
                f" stability re-encode {'ON' if args.stability else 'off'}"
            )
            print(
                f"client: {CLIENT}; with three servers client i talks to server i mod 3 (as a"
                " balancer spreading connections would; no proxy in between)"
            )
            print(
                f"pairing: per operation and client count, {args.rounds} rounds; each round runs"
                f" one server for {chunk:.2f} s and three servers for {chunk:.2f} s, in an order"
                " that alternates from round to round (bench/paired.py); the one-server arm"
                " uses s1 while s2 and s3 stand idle"
            )
            print("ratio = three/one requests/s, per round; median and IQR over the rounds")
            header = (
                f"  {'operation':<10}{'clients':>8}{'one req/s':>11}{'three req/s':>13}"
                f"{'three/one':>11}{'IQR':>13}{'p50 one':>10}{'p50 three':>11}"
                f"{'hyperlexicon cpu':>18}{'rest cpu':>11}{'per cpu-s':>11}{'client cpu':>12}"
                f"{'errors':>8}"
            )
            print(header)

            def lookup(c: httpx.Client, k: int) -> httpx.Response:
                return c.get(paths[k % len(paths)])

            def encode(c: httpx.Client, k: int) -> httpx.Response:
                body = {"text": TEXTS[k % len(TEXTS)], "stability": args.stability}
                return c.post("/api/v1/encode", json=body)

            def pair(cpu: dict[str, float]) -> str:
                return f"{100 * cpu['one']:.0f}/{100 * cpu['three']:.0f}%"

            def health(c: httpx.Client, k: int) -> httpx.Response:
                return c.get("/health")  # opens a connection without work to measure

            ours = [p.pid for p in procs]  # the servers' and Chroma's CPU counts in both arms
            targets = {"one": bases[:1], "three": bases}
            total = failed = 0
            alone: dict[str, list[tuple[float, float]]] = {}  # one server: machine, ours
            for name, send in (("lookup", lookup), ("encode", encode)):
                for n in clients:
                    cells: dict[str, list[Cell]] = {"one": [], "three": []}

                    def arm(which: str, send: Any = send, n: int = n, cells: Any = cells) -> None:
                        cells[which].append(
                            run_http(targets[which], send, n, chunk, None, ours, opener=health)
                        )

                    compare(
                        {w: (lambda w=w: arm(w)) for w in ("one", "three")},
                        rounds=args.rounds,
                        warmup=0,
                    )

                    def per_request(
                        of: Callable[[Cell], float], cells: Any = cells
                    ) -> tuple[float, float, float]:
                        """``of`` per request, one arm over three: per round, median and IQR."""
                        return Paired(
                            {
                                w: [of(c) / c.n if c.n else float("nan") for c in cs]
                                for w, cs in cells.items()
                            },
                            args.rounds,
                        ).ratio("one", "three")

                    med, q1, q3 = per_request(lambda c: c.wall)  # = requests/s three over one
                    per_cpu = per_request(lambda c: c.client_cpu + c.server_cpu)[0]
                    rate = {w: quartiles([c.rate() for c in cs])[1] for w, cs in cells.items()}
                    p50 = {
                        w: percentile([x for c in cs for x in c.latencies], 50) * 1e3
                        for w, cs in cells.items()
                    }

                    def cpu(of: Callable[[Cell], float], cells: Any = cells) -> dict[str, float]:
                        return {
                            w: quartiles([of(c) / c.wall for c in cs])[1] for w, cs in cells.items()
                        }

                    busy = cpu(lambda c: c.client_cpu + c.server_cpu)
                    rest = cpu(lambda c: c.other_cpu)
                    client = cpu(lambda c: c.client_cpu)["three"]
                    errors = sum(c.failed for cs in cells.values() for c in cs)
                    total += sum(c.n for cs in cells.values() for c in cs)
                    failed += errors
                    alone.setdefault(name, []).append((busy["one"] + rest["one"], busy["one"]))
                    print(
                        f"  {name:<10}{n:>8}{rate['one']:>11.1f}{rate['three']:>13.1f}"
                        f"{med:>10.2f}x{f'{q1:.2f}-{q3:.2f}':>13}{ms(p50['one']):>10}"
                        f"{ms(p50['three']):>11}"
                        f"{pair(busy):>18}{pair(rest):>11}{per_cpu:>10.2f}x"
                        f"{100 * client:>11.0f}%{errors:>8}"
                    )
                    if errors:
                        problems = {c.problems() for cs in cells.values() for c in cs if c.failed}
                        print(f"    failures: {'; '.join(sorted(problems))}")
            print(
                "  (p50 in ms, over all the rounds' requests. cpu one/three arm, % of one core:"
                " hyperlexicon = this client process, the three servers and `chroma run`;"
                " rest = PostgreSQL and everything else on the machine, others' work included;"
                " per cpu-s = three/one of the requests per CPU second of hyperlexicon's"
                " processes, median per round: near 1 where three servers did more only"
                " because they got more of the machine's CPU; client cpu = this process in the"
                " three-server arm)"
            )
            for name, figures in alone.items():
                machine, own = (sorted(100 * f[i] for f in figures) for i in (0, 1))
                print(
                    f"{name}, one-server arm: the machine {machine[0]:.0f}-{machine[-1]:.0f}%"
                    f" busy of {100 * cores}%, hyperlexicon {own[0]:.0f}-{own[-1]:.0f}% of it"
                    + (
                        ": full before the other servers had work; three/one above 1 here"
                        " means three processes took more of the CPU from other work"
                        " (per cpu-s near 1), not room to grow"
                        if machine[0] > 75 * cores
                        else ""
                    )
                )
        finally:
            codes = [stop_server(proc) for proc in procs[1:]]  # the servers, then Chroma
            if procs:
                stop_server(procs[0])
            db.close()
        clean, bad_lines, statuses = 0, [], Counter()
        for i in (1, 2, 3):
            log = root / f"s{i}.log"
            if log.exists():
                st, bad = scan_log(log)
                statuses.update(st)
                bad_lines += bad
                clean += "Application shutdown complete" in log.read_text("utf-8", "replace")
        print(
            f"\ntotals: {total:,} timed HTTP requests ({failed} failed); wall time"
            f" {time.perf_counter() - began:.0f} s; load average {os.getloadavg()[0]:.2f} at the end"
        )
        print(
            f"servers: stopped with SIGTERM, {clean} of 3 clean shutdowns (exit statuses"
            f" {codes}); access log statuses {dict(statuses)};"
            f" {len(bad_lines)} error lines in their logs"
        )
        for line in bad_lines[:10]:
            print(f"  {line}")


# --- the run --------------------------------------------------------------------------------


def ms(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}"


def pct(cpu: float, wall: float) -> str:
    return "n/a" if cpu != cpu or not wall else f"{100 * cpu / wall:.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds per HTTP figure (default 10; with --three-servers per figure and arm,"
        " default 48)",
    )
    parser.add_argument(
        "--local-duration",
        type=float,
        default=5,
        help="seconds per in-process and WebSocket figure",
    )
    parser.add_argument(
        "--requests", type=int, default=None, help="a fixed request count per figure instead"
    )
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--entries", type=int, default=0, help="synthetic entries to add")
    parser.add_argument("--forms", type=int, default=5000, help="forms to cycle through")
    parser.add_argument(
        "--stability", action="store_true", help="encode with the stability re-encode"
    )
    parser.add_argument("--dir", default=None, help="where to put the temp home")
    parser.add_argument(
        "--three-servers",
        action="store_true",
        help="instead: one server against three on PostgreSQL and `chroma run`, paired;"
        " --duration is then the seconds per figure and arm, cut into --rounds chunks"
        " (--requests, --entries and --local-duration do not apply)",
    )
    parser.add_argument("--rounds", type=int, default=12, help="paired rounds (--three-servers)")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL (--three-servers)")
    parser.add_argument(
        "--rate-store",
        default="database",
        choices=["database", "memory"],
        help="where the servers keep rate buckets (--three-servers): shared in PostgreSQL as"
        " deployed, or each server's own",
    )
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    if args.duration is None:
        args.duration = 48.0 if args.three_servers else 10.0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally below runs
    if args.three_servers:
        three_servers(args, clients)
        return
    began = time.perf_counter()
    rng = random.Random(9)

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="hlx-server-bench-") as d:
        for key in [k for k in os.environ if k.startswith("HYPERLEXICON_")]:
            del os.environ[key]  # the defaults: SQLite, embedded Chroma, USE-multilingual
        os.environ["HYPERLEXICON_HOME"] = d
        t = time.perf_counter()
        subprocess.run(
            [*HYPERLEXICON, "init", "--seed", "core"],
            check=True,
            capture_output=True,
        )
        init_s = time.perf_counter() - t

        import hyperlexicon

        lex = hyperlexicon.open()
        index_note = ""
        if args.entries:
            lex.store.import_entries(
                "core",
                ((str(i), make_entry(i, rng)) for i in range(args.entries)),
                author="bench",
            )
            t = time.perf_counter()
            lex.sync()
            index_note = (
                f", {args.entries:,} synthetic (indexing took {time.perf_counter() - t:.0f} s)"
            )
        forms = [e.form for e in lex.entries()]
        size = len(forms)
        forms = rng.sample(forms, min(args.forms, size))
        paths = [f"/api/v1/entries/{quote(f, safe='')}" for f in forms]

        print(
            f"hyperlexicon server benchmark  (python {sys.version.split()[0]}, "
            f"{platform.system()} {platform.machine()}, {os.cpu_count()} cpus,"
            f" load average {os.getloadavg()[0]:.2f} at the start)"
        )
        print(f"lexicon 'core': {size:,} entries (seed core{index_note}); init {init_s:.1f} s")
        print(
            f"encode: {len(RU)} Russian and {len(EN)} English short texts, alternating; "
            f"stability re-encode {'ON' if args.stability else 'off'}"
            f' (HTTP "stability": {str(args.stability).lower()}); every call is logged'
        )
        print(f"lookup: cycling through {len(forms):,} forms")

        # in-process, single-threaded, through the facade (before the server opens the home)
        lex.encode("прогрев", stability=args.stability)  # model load and first queries
        lex.get(forms[0])
        local_get = run_serial(
            lambda k: lex.get(forms[k % len(forms)]), args.local_duration, args.requests
        )
        local_enc = run_serial(
            lambda k: lex.encode(TEXTS[k % len(TEXTS)], stability=args.stability),
            args.local_duration,
            args.requests,
        )
        expected = {t: lex.encode(t, stability=args.stability).hyperstring for t in TEXTS}
        lex.close()
        print("\nin-process: hyperlexicon.open() in this process, one thread")
        print(
            f"  {'call':<28}{'calls':>8}{'calls/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'other cpu':>11}"
        )
        for name, c in (("get(form)", local_get), ("encode(text)", local_enc)):
            print(
                f"  {name:<28}{c.n:>8}{c.rate():>10.1f}{ms(c.p(50)):>9}{ms(c.p(99)):>9}"
                f"{pct(c.other_cpu, c.wall):>11}"
            )

        port = free_port()
        log = Path(d) / "server.log"
        env = dict(os.environ, HYPERLEXICON_RATE="1e9", HYPERLEXICON_BURST="1000000000")
        t = time.perf_counter()
        proc = start_server(port, env, log)
        ready_s = time.perf_counter() - t
        code = None
        http: dict[tuple[str, int], Cell] = {}
        try:
            base = f"http://127.0.0.1:{port}"
            mismatched = []
            with httpx.Client(base_url=base, timeout=60) as client:
                for text in TEXTS:  # warm the server (model load) and check the answers
                    r = client.post(
                        "/api/v1/encode", json={"text": text, "stability": args.stability}
                    )
                    if r.status_code != 200 or r.json()["hyperstring"] != expected[text]:
                        mismatched.append((text, r.status_code, r.text[:200]))
                client.get(paths[0])
            print(
                f"\nHTTP on loopback: `hyperlexicon serve` (uvicorn, one process, pid {proc.pid}),"
                f" ready in {ready_s:.1f} s; rate limit raised for the run"
                " (HYPERLEXICON_RATE=1e9, HYPERLEXICON_BURST=1e9)"
            )
            print(f"client: {CLIENT}")
            print(
                "cpu: % of one core over the figure's wall time; client = this whole process,"
                " other = the rest of the machine (interference)"
            )
            print(
                f"  {'call':<28}{'clients':>8}{'requests':>9}{'req/s':>9}{'p50 ms':>9}"
                f"{'p99 ms':>9}{'errors':>8}{'client cpu':>11}{'server cpu':>11}{'other cpu':>10}"
            )

            def lookup(c: httpx.Client, k: int) -> httpx.Response:
                return c.get(paths[k % len(paths)])

            def encode(c: httpx.Client, k: int) -> httpx.Response:
                body = {"text": TEXTS[k % len(TEXTS)], "stability": args.stability}
                return c.post("/api/v1/encode", json=body)

            def health(c: httpx.Client, k: int) -> httpx.Response:
                return c.get("/health")

            plan = [("GET /health (no work)", health, [1])]
            plan += [("GET /api/v1/entries/{form}", lookup, clients)]
            plan += [("POST /api/v1/encode", encode, clients)]
            for name, send, counts in plan:
                for n in counts:
                    c = run_http(base, send, n, args.duration, args.requests, proc.pid)
                    http[name, n] = c
                    print(
                        f"  {name:<28}{n:>8}{c.n:>9}{c.rate():>9.1f}{ms(c.p(50)):>9}"
                        f"{ms(c.p(99)):>9}{c.failed:>8}{pct(c.client_cpu, c.wall):>11}"
                        f"{pct(c.server_cpu, c.wall):>11}{pct(c.other_cpu, c.wall):>10}"
                    )
                    if c.failed:
                        print(f"    failures: {c.problems()}")
                    if c.client_cpu > 0.8 * c.wall:
                        print("    the client used over 80% of a core: it may be the bottleneck")
            one_get = http.get(("GET /api/v1/entries/{form}", 1))
            one_enc = http.get(("POST /api/v1/encode", 1))
            if one_get and one_enc:
                print(
                    "overhead, HTTP p50 at 1 client / in-process p50:"
                    f"  lookup {one_get.p(50) / local_get.p(50):.1f}x"
                    f" ({ms(one_get.p(50))} / {ms(local_get.p(50))} ms)"
                    f"   encode {one_enc.p(50) / local_enc.p(50):.2f}x"
                    f" ({ms(one_enc.p(50))} / {ms(local_enc.p(50))} ms)"
                )
                print(
                    "  the client's own CPU per request (httpx, in the HTTP p50 above):"
                    f" {ms(one_get.client_cpu / one_get.n * 1e3)} ms lookup,"
                    f" {ms(one_enc.client_cpu / one_enc.n * 1e3)} ms encode"
                )
            if mismatched:
                print(f"  HTTP encode differed from in-process on {len(mismatched)} texts:")
                for item in mismatched[:5]:
                    print(f"    {item}")

            ping, ws_enc, events = ws_round_trips(port, args.local_duration, args.requests)
            print(
                "\nWebSocket /ws: one connection (websockets sync client), one request at a time;"
                " encode goes through the lexicon connector, which always runs the stability"
                " check"
            )
            print(f"  {'round trip':<28}{'count':>8}{'per s':>10}{'p50 ms':>9}{'p99 ms':>9}")
            for name, c in (("ping → pong", ping), ("encode → result", ws_enc)):
                print(
                    f"  {name:<28}{c.n:>8}{c.rate():>10.1f}{ms(c.p(50)):>9}{ms(c.p(99)):>9}"
                    + (f"  failures: {c.failed}" if c.failed else "")
                )
            print(f"  events received: {dict(events)}")
        finally:
            code = stop_server(proc)
        statuses, bad = scan_log(log)
        text = log.read_text("utf-8", "replace")
        clean = "Application shutdown complete" in text
        total = sum(c.n for c in http.values())
        failed = sum(c.failed for c in http.values())
        print(
            f"\ntotals: {total:,} timed HTTP requests ({failed} failed),"
            f" {ping.n + ws_enc.n:,} WebSocket round trips,"
            f" {local_get.n + local_enc.n:,} in-process calls;"
            f" wall time {time.perf_counter() - began:.0f} s;"
            f" load average {os.getloadavg()[0]:.2f} at the end"
        )
        print(
            f"server: stopped with SIGTERM, {'clean' if clean else 'NOT clean'} shutdown"
            f" (exit status {code}); access log statuses"
            f" {dict(statuses)}; {len(bad)} error lines in its log"
        )
        for line in bad[:10]:
            print(f"  {line}")
        eight = http.get(("GET /api/v1/entries/{form}", 8))
        if eight is not None:
            print("\naims (issue 18):")
            print(
                f"  HTTP lookup >= 1,000 req/s with 8 clients: {eight.rate():,.0f} req/s"
                f"  {'met' if eight.rate() >= 1000 else 'NOT met'}"
                f" (client cpu {pct(eight.client_cpu, eight.wall)},"
                f" server cpu {pct(eight.server_cpu, eight.wall)},"
                f" other cpu {pct(eight.other_cpu, eight.wall)})"
            )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted")
