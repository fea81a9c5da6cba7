"""Web list benchmark: what browsing a large lexicon costs on the page, against what the list
cost before it had a total, facets and a kind order.

For N entries (default 100k; a quarter glyphs, compounds, Δ-codes and phrases, spread over
registers and statuses) in a fresh SQLite store (and PostgreSQL with --pg URL), it measures
in one run, alternating in small paired chunks so drift hits both sides alike:

  * baseline: the old list, ``Store.list(limit=50)``: one page in form order, nothing else;
  * ours: what ``/ui/entries`` asks of the store now: one page in kind order (glyphs first),
    ``count`` under the filters and ``facets`` (three GROUP BYs), unfiltered and filtered;

and prints each side's median per call, the median of the per-chunk ratios (ours / baseline)
with its spread (min–max over chunks), then the wall time of the whole page fragment
(``GET /ui/entries`` and ``GET /api/v1/facets`` through the real app, template included).

Run:  python bench/web_bench.py [--entries 100000] [--chunks 15] [--per-chunk 5] [--pg URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from hyperlexicon import migrate
from hyperlexicon.entry import EntryData
from hyperlexicon.store import Store

GLYPHS = "🜂⧖🕯⟁☰☉⚭⚗🔥♁🜍⚡🫁🜁☿🜄🜃🜔🜚🜛♄♀♂☽☀🌑🌕🌘✶∞⟲⇌☯⚖∴∵⊘◎⚓♩"
WORDS = (
    "огонь время свеча рост закон солнце единство материя молния вдох воздух страх тишина "
    "жар ожидание пепел вспышка жизнь туман буря"
).split()
REGISTERS = ("emotional", "logical", "poetic", "philosophical", "technical")


def _digits(i: int, alphabet: Any) -> list[Any]:
    out = []
    while True:
        out.append(alphabet[i % len(alphabet)])
        i //= len(alphabet)
        if i == 0:
            return out


def make_entry(i: int) -> EntryData:
    kind = ("glyph", "compound", "delta", "phrase")[i % 4]
    words = _digits(i, WORDS)
    form = {
        "glyph": "".join(_digits(i, GLYPHS)) + "⟡",
        "compound": "".join(words) + "сплав",
        "delta": f"Δ-many-{i}",
        "phrase": " ".join(words) + " вместе",
    }[kind]
    return EntryData.create(
        form,
        kind=kind,
        glosses={"ru": [" ".join(words)]},
        registers=[REGISTERS[i % 5], REGISTERS[(i // 5) % 5]],
        weight=round((i * 37 % 100) / 100, 2),
        status=("active", "active", "proposed", "deprecated")[i % 7 % 4],
        provenance="import",
    )


def paired(
    ours: Callable[[], Any], baseline: Callable[[], Any], chunks: int, per_chunk: int
) -> dict[str, float]:
    """Alternate the two in chunks of ``per_chunk`` calls each; per-call medians and the
    median and spread of the per-chunk ratios."""
    ours(), baseline()  # warm caches and plans on both sides
    ours_t, base_t, ratios = [], [], []
    for n in range(chunks):
        sides = [(ours, ours_t), (baseline, base_t)]
        if n % 2:
            sides.reverse()  # neither side always goes first
        spent = {}
        for fn, into in sides:
            start = time.perf_counter()
            for _ in range(per_chunk):
                fn()
            took = (time.perf_counter() - start) / per_chunk
            into.append(took)
            spent[fn] = took
        ratios.append(spent[ours] / spent[baseline])
    return {
        "ours_ms": statistics.median(ours_t) * 1000,
        "base_ms": statistics.median(base_t) * 1000,
        "ratio": statistics.median(ratios),
        "lo": min(ratios),
        "hi": max(ratios),
    }


def fill(url: str, n: int) -> Store:
    migrate.upgrade(url)
    store = Store(url)
    start = time.perf_counter()
    store.import_entries(
        "core", ((str(i), make_entry(i)) for i in range(n)), author="bench", reason="bench"
    )
    print(f"  imported {n:,} entries in {time.perf_counter() - start:.1f} s")
    return store


def bench_store(store: Store, chunks: int, per_chunk: int) -> None:
    def baseline() -> Any:
        return store.list("core", limit=50)

    for label, filters in (
        ("unfiltered", {}),
        ("kind=delta", {"kind": "delta"}),
        ("register=poetic, status=active", {"register": "poetic", "status": "active"}),
    ):

        def ours(filters: dict[str, str] = filters) -> Any:
            return (
                store.list("core", limit=50, sort="kind", **filters),
                store.count("core", **filters),
                store.facets("core", **filters),
            )

        r = paired(ours, baseline, chunks, per_chunk)
        print(
            f"  {label:32} ours {r['ours_ms']:7.1f} ms   baseline {r['base_ms']:6.1f} ms   "
            f"ratio {r['ratio']:5.2f} (spread {r['lo']:.2f}–{r['hi']:.2f})"
        )


def bench_page(home: str, url: str, requests: int) -> None:
    from fastapi.testclient import TestClient

    from hyperlexicon.config import Settings
    from hyperlexicon.server import create_app

    settings = Settings.load(home=home, db_url=url, auto_index=False)
    with TestClient(create_app(settings)) as client:
        for path in (
            "/ui/entries",
            "/ui/entries?kind=delta&sort=weight&order=desc&offset=20000",
            "/api/v1/facets",
            "/api/v1/entries?limit=50&sort=kind",
        ):
            assert client.get(path).status_code == 200, path
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                assert response.status_code == 200
            print(
                f"  GET {path:60} p50 {statistics.median(times) * 1000:6.1f} ms   "
                f"max {max(times) * 1000:6.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--chunks", type=int, default=15)
    parser.add_argument("--per-chunk", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--pg", metavar="URL", help="also on this (empty) PostgreSQL database")
    args = parser.parse_args()
    print(
        f"hyperlexicon web list benchmark: {args.entries:,} entries, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as d:
        targets = [("SQLite", f"sqlite:///{d}/lexicon.sqlite3")]
        if args.pg:
            targets.append(("PostgreSQL", args.pg))
        for name, url in targets:
            print(f"{name}:")
            store = fill(url, args.entries)
            bench_store(store, args.chunks, args.per_chunk)
            store.close()
            bench_page(d, url, args.requests)


if __name__ == "__main__":
    sys.exit(main())
