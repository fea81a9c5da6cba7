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

Run:  python bench/server_bench.py [--duration 10] [--requests N] [--clients 1,8,32]
                                   [--entries 0] [--stability]
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
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, os.path.dirname(__file__))
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
    base: str,
    send: Callable[[httpx.Client, int], httpx.Response],
    clients: int,
    duration: float,
    requests: int | None,
    pid: int | None,
) -> Cell:
    """``clients`` threads, each with its own keep-alive connection, in a closed loop."""
    barrier = threading.Barrier(clients + 1)
    stop = threading.Event()
    budget = itertools.count()  # next() is atomic: a shared request count
    parts: list[Cell] = [Cell() for _ in range(clients)]
    ends = [0.0] * clients

    def worker(i: int) -> None:
        part = parts[i]
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(base_url=base, timeout=60, limits=limits) as client:
            k = i * 7919  # each client starts elsewhere in the cycle
            for _ in range(2):  # open the connection, untimed
                with contextlib.suppress(httpx.HTTPError):
                    send(client, k)
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

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start, cpu, scpu = time.perf_counter(), time.process_time(), server_cpu(pid)
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
    cell.server_cpu = server_cpu(pid) - scpu
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


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``hyperlexicon serve`` in its own session (Ctrl-C reaches us, and we stop it)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*HYPERLEXICON, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text("utf-8", "replace")[-2000:]
            raise SystemExit(f"the server exited with {proc.returncode}:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return proc
        time.sleep(0.1)
    stop_server(proc)
    raise SystemExit("the server was not ready within 120 s")


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


# --- the run --------------------------------------------------------------------------------


def ms(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}"


def pct(cpu: float, wall: float) -> str:
    return "n/a" if cpu != cpu or not wall else f"{100 * cpu / wall:.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10, help="seconds per HTTP figure")
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
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally below runs
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
