"""Store benchmark: our import and lookup against plain sqlite3 doing the same work.

For N entries (default 100k and 1M) it prints:
  * insert throughput (entries/s) through ``Store.import_entries`` (validation, normalization,
    lemmas, children, a revision and an outbox row per entry, one transaction), and through
    plain ``sqlite3.executemany`` writing the same rows into the same tables;
  * exact lookup by form, p50/p99, through ``Store.get`` (the entry with its glosses,
    components, registers, examples) and through plain indexed selects of the same rows,
    paired: chunks of lookups alternate between the two (bench/paired.py), median ratio and
    IQR (aim: at most 2x);
  * the wall time of ``hyperlexicon --help``.

Run:  python bench/store_bench.py [--sizes 100000,1000000] [--lookups 2000] [--rounds 20]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hyperlexicon import migrate
from hyperlexicon.entry import EntryData
from hyperlexicon.morphology import lemma_key
from hyperlexicon.store import Store
from hyperlexicon.text import form_key

sys.path.insert(0, os.path.dirname(__file__))
from paired import compare

GLYPHS = list(
    "🜂⧖🕯⟁☰☉⚭⚗🔥♁🜍⚡🫁🜁Ꙩ☿🜄🜃🜔🜚🜛♄♀♂☽☀🌑🌕🌘✶∞⟲⇌☯⚖∴∵⊘⟡◎⚓♩🔗✂🧩🌉🧭🔁🪞🗝🚪🕳🌀🌊💧🌱🌳⛰🧊🪶🩸👣🏠🕊🤝"
)
RU = [
    "огонь",
    "время",
    "свеча",
    "рост",
    "закон",
    "солнце",
    "единство",
    "материя",
    "превращение",
    "молния",
    "вдох",
    "воздух",
    "страх",
    "тишина",
    "жар",
    "ожидание",
    "пепел",
    "вспышка",
    "жизнь",
    "туман",
    "буря",
    "сердце",
    "вода",
    "земля",
    "ртуть",
    "соль",
    "золото",
    "тяжесть",
    "любовь",
    "воля",
    "луна",
    "свет",
    "тьма",
    "звезда",
    "космос",
    "рассвет",
    "цикл",
    "обмен",
    "мера",
    "смысл",
    "поле",
    "якорь",
    "ритм",
    "связь",
    "разрыв",
    "мост",
    "путь",
    "зеркало",
    "ключ",
    "дверь",
    "пустота",
    "вихрь",
    "волна",
    "капля",
    "росток",
    "древо",
    "гора",
    "холод",
]
EN = [
    "fire",
    "time",
    "candle",
    "growth",
    "law",
    "sun",
    "unity",
    "matter",
    "change",
    "lightning",
    "breath",
    "air",
    "fear",
    "silence",
    "heat",
    "waiting",
    "ash",
    "flash",
    "life",
    "fog",
    "storm",
    "heart",
    "water",
    "earth",
    "mercury",
    "salt",
    "gold",
    "weight",
    "love",
    "will",
    "moon",
    "light",
    "dark",
    "star",
    "cosmos",
    "dawn",
    "cycle",
    "exchange",
    "measure",
    "meaning",
    "field",
    "anchor",
    "rhythm",
    "bond",
    "rupture",
    "bridge",
    "path",
    "mirror",
    "key",
    "door",
    "void",
    "whirl",
    "wave",
    "drop",
    "sprout",
    "tree",
    "mountain",
    "cold",
]


def make_entry(i: int, rng: random.Random) -> EntryData:
    digits, n = [], i
    while True:
        digits.append(GLYPHS[n % len(GLYPHS)])
        n //= len(GLYPHS)
        if n == 0:
            break
    k = rng.randint(2, 3)
    idx = rng.sample(range(len(RU)), k)
    return EntryData.create(
        "".join(digits) + "⟡",
        kind="glyph",
        glosses={"ru": [" ".join(RU[j] for j in idx)], "en": [" ".join(EN[j] for j in idx)]},
        components=[{"meaning": RU[j], "lang": "ru"} for j in idx],
        registers=rng.sample(["emotional", "logical", "poetic", "philosophical", "technical"], 2),
        weight=round(rng.random(), 3),
        provenance="import",
    )


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def bench_ours(url: str, items: list[EntryData]) -> tuple[dict[str, float], Store]:
    """Insert through the store; the store is returned open for the paired lookups."""
    migrate.upgrade(url)
    store = Store(url)
    start = time.perf_counter()
    store.import_entries("bench", ((str(i), d) for i, d in enumerate(items)), author="bench")
    insert_s = time.perf_counter() - start
    return {"insert_per_s": len(items) / insert_s, "insert_s": insert_s}, store


def ours_lookup(store: Store, form: str) -> None:
    """An entry by form with its glosses, components, registers and examples."""
    assert store.get("bench", form) is not None


RAW_SCHEMA = """
CREATE TABLE entry (id INTEGER PRIMARY KEY, lexicon_id INT, form TEXT, form_key TEXT, kind TEXT,
  weight REAL, status TEXT, provenance TEXT, notes TEXT, content_hash TEXT, created_at TEXT,
  updated_at TEXT, row_version INT, UNIQUE (lexicon_id, form_key));
CREATE TABLE gloss (id INTEGER PRIMARY KEY, entry_id INT, lang TEXT, position INT, text TEXT, norm TEXT, lemma TEXT);
CREATE INDEX ix_gloss_entry ON gloss(entry_id); CREATE INDEX ix_gloss_norm ON gloss(norm); CREATE INDEX ix_gloss_lemma ON gloss(lemma);
CREATE TABLE component (id INTEGER PRIMARY KEY, entry_id INT, position INT, meaning TEXT, lang TEXT, norm TEXT, lemma TEXT);
CREATE INDEX ix_component_entry ON component(entry_id); CREATE INDEX ix_component_norm ON component(norm); CREATE INDEX ix_component_lemma ON component(lemma);
CREATE TABLE entry_register (entry_id INT, register TEXT, PRIMARY KEY (entry_id, register));
CREATE TABLE revision (id INTEGER PRIMARY KEY, lexicon_id INT, entry_id INT, form_key TEXT, op TEXT, after TEXT, author TEXT, created_at TEXT);
CREATE INDEX ix_revision ON revision(lexicon_id, entry_id, id);
CREATE TABLE outbox (id INTEGER PRIMARY KEY, lexicon_id INT, entry_id INT, op TEXT, created_at TEXT);
"""


def bench_raw(path: Path, items: list[EntryData]) -> tuple[dict[str, float], sqlite3.Connection]:
    """Plain sqlite3 doing the same writes: the rows our store writes, in batches of 1000.
    It gets the normalization and lemmas for free (computed here in the loop, as we must)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + RAW_SCHEMA)
    now = "2026-01-01T00:00:00"
    start = time.perf_counter()
    con.execute("BEGIN IMMEDIATE")
    next_id = 1
    for b in range(0, len(items), 1000):
        batch = items[b : b + 1000]
        entries, glosses, comps, regs, revs, outbox = [], [], [], [], [], []
        for d in batch:
            eid = next_id
            next_id += 1
            entries.append(
                (
                    eid,
                    1,
                    d.form,
                    d.key,
                    d.kind,
                    d.weight,
                    d.status,
                    d.provenance,
                    d.notes,
                    d.content_hash(),
                    now,
                    now,
                    1,
                )
            )
            for lang, texts in d.glosses.items():
                for pos, t in enumerate(texts):
                    glosses.append((eid, lang, pos, t, form_key(t), lemma_key(t, lang)))
            for pos, c in enumerate(d.components):
                comps.append(
                    (eid, pos, c.meaning, c.lang, form_key(c.meaning), lemma_key(c.meaning, c.lang))
                )
            regs.extend((eid, r) for r in d.registers)
            revs.append(
                (1, eid, d.key, "create", json.dumps(d.to_dict(), ensure_ascii=False), "bench", now)
            )
            outbox.append((1, eid, "upsert", now))
        con.executemany("INSERT INTO entry VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", entries)
        con.executemany(
            "INSERT INTO gloss (entry_id, lang, position, text, norm, lemma) VALUES (?,?,?,?,?,?)",
            glosses,
        )
        con.executemany(
            "INSERT INTO component (entry_id, position, meaning, lang, norm, lemma) VALUES (?,?,?,?,?,?)",
            comps,
        )
        con.executemany("INSERT INTO entry_register VALUES (?,?)", regs)
        con.executemany(
            "INSERT INTO revision (lexicon_id, entry_id, form_key, op, after, author, created_at) VALUES (?,?,?,?,?,?,?)",
            revs,
        )
        con.executemany(
            "INSERT INTO outbox (lexicon_id, entry_id, op, created_at) VALUES (?,?,?,?)", outbox
        )
    con.execute("COMMIT")
    insert_s = time.perf_counter() - start
    return {"insert_per_s": len(items) / insert_s, "insert_s": insert_s}, con


def raw_lookup(con: sqlite3.Connection, form: str) -> None:
    """The same rows by plain indexed selects."""
    row = con.execute(
        "SELECT * FROM entry WHERE lexicon_id=1 AND form_key=?", (form_key(form),)
    ).fetchone()
    con.execute(
        "SELECT * FROM gloss WHERE entry_id=? ORDER BY lang, position", (row[0],)
    ).fetchall()
    con.execute("SELECT * FROM component WHERE entry_id=? ORDER BY position", (row[0],)).fetchall()
    con.execute("SELECT * FROM entry_register WHERE entry_id=?", (row[0],)).fetchall()


def timed(into: list[float], one: Any, forms: Any) -> Any:
    """A paired arm: the next chunk of ``forms``, each lookup's time appended to ``into``."""

    def run() -> None:
        for form in next(forms):
            t = time.perf_counter()
            one(form)
            into.append(time.perf_counter() - t)

    return run


def help_wall_time(runs: int = 10) -> dict[str, float]:
    """``hyperlexicon --help`` and a bare interpreter, each ``runs`` times after a warm-up,
    reading compiled bytecode as an installed package does (an inherited
    PYTHONDONTWRITEBYTECODE would recompile a source tree on PYTHONPATH in every run)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as cache:
        env["PYTHONPYCACHEPREFIX"] = cache
        exe = [sys.executable, "-m", "hyperlexicon", "--help"]
        subprocess.run(exe, check=True, capture_output=True, env=env)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(exe, check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - t)
        bare = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True, env=env)
            bare.append(time.perf_counter() - t)
    return {
        "help_median_ms": statistics.median(times) * 1e3,
        "python_startup_median_ms": statistics.median(bare) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20, help="paired rounds of lookups")
    parser.add_argument(
        "--dir", default=None, help="where to put the databases (default: a temp dir)"
    )
    args = parser.parse_args()
    rng = random.Random(7)
    print(
        f"hyperlexicon store benchmark  (python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cpus)"
    )
    h = help_wall_time()
    print(
        f"hyperlexicon --help: median {h['help_median_ms']:.0f} ms (bare python start-up {h['python_startup_median_ms']:.0f} ms)"
    )
    aims = [
        f"  --help <= 0.1 s: {h['help_median_ms'] / 1e3:.3f} s"
        f"  {'met' if h['help_median_ms'] <= 100 else 'NOT met'}"
    ]
    for n in (int(s) for s in args.sizes.split(",")):
        t = time.perf_counter()
        items = [make_entry(i, rng) for i in range(n)]
        gen_s = time.perf_counter() - t
        forms = [items[rng.randrange(n)].form for _ in range(args.lookups)]
        with tempfile.TemporaryDirectory(dir=args.dir) as d:
            ours, store = bench_ours(f"sqlite:///{d}/ours.sqlite3", items)
            raw, con = bench_raw(Path(d) / "raw.sqlite3", items)
            del items
            chunk = max(1, len(forms) // args.rounds)
            ours_forms = itertools.cycle(
                [forms[i : i + chunk] for i in range(0, len(forms), chunk)]
            )
            raw_forms = itertools.cycle([forms[i : i + chunk] for i in range(0, len(forms), chunk)])
            lookups: dict[str, list[float]] = {"ours": [], "raw": []}
            ours_one = functools.partial(ours_lookup, store)
            raw_one = functools.partial(raw_lookup, con)
            for form in forms[:200]:  # warm-up, untimed: the page cache, compiled statements
                ours_one(form)
                raw_one(form)
            result = compare(
                {
                    "ours": timed(lookups["ours"], ours_one, ours_forms),
                    "raw": timed(lookups["raw"], raw_one, raw_forms),
                },
                rounds=args.rounds,
                warmup=0,
            )
            wal = {
                name: os.path.getsize(f"{d}/{name}.sqlite3-wal")
                if os.path.exists(f"{d}/{name}.sqlite3-wal")
                else 0
                for name in ("ours", "raw")
            }
            store.close()
            con.close()
            # the same lookups on both databases opened afresh, as another process would:
            # whether what the ratio says is the size or the state an import leaves
            store = Store(f"sqlite:///{d}/ours.sqlite3")
            con = sqlite3.connect(Path(d) / "raw.sqlite3", isolation_level=None)
            con.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
            ours_one = functools.partial(ours_lookup, store)
            raw_one = functools.partial(raw_lookup, con)
            for form in forms[:200]:
                ours_one(form)
                raw_one(form)
            reopened = compare(
                {
                    "ours": timed([], ours_one, ours_forms),
                    "raw": timed([], raw_one, raw_forms),
                },
                rounds=args.rounds,
                warmup=0,
            )
            store.close()
            con.close()
        print(
            f"\n{n:,} entries (validating them into EntryData took {gen_s:.1f} s, not counted below)"
        )
        print(
            f"  insert   ours {ours['insert_per_s']:>9,.0f} entries/s ({ours['insert_s']:.1f} s)   raw sqlite3 {raw['insert_per_s']:>9,.0f} entries/s ({raw['insert_s']:.1f} s)   ratio raw/ours {raw['insert_per_s'] / ours['insert_per_s']:.2f}x"
        )
        o, r = lookups["ours"], lookups["raw"]
        print(
            f"  lookup   ours p50 {percentile(o, 50) * 1e3:.3f} ms p99 {percentile(o, 99) * 1e3:.3f} ms   raw sqlite3 p50 {percentile(r, 50) * 1e3:.3f} ms p99 {percentile(r, 99) * 1e3:.3f} ms"
        )
        med, q1, q3 = result.ratio("ours", "raw")
        print(
            f"  lookup, paired ({args.rounds} rounds of {chunk} lookups): ours/raw = {med:.2f}x (IQR {q1:.2f}-{q3:.2f})"
        )
        rmed, rq1, rq3 = reopened.ratio("ours", "raw")
        print(
            f"  lookup, paired, both databases opened afresh: ours/raw = {rmed:.2f}x"
            f" (IQR {rq1:.2f}-{rq3:.2f}); write-ahead logs at the first lookups:"
            f" ours {wal['ours'] / 1e6:,.0f} MB, raw {wal['raw'] / 1e6:,.0f} MB"
        )
        aims.append(
            f"  lookup by form <= 2x raw sqlite3 at {n:,}: {med:.2f}x  {'met' if med <= 2 else 'NOT met'}"
        )
    print("\naims (issue 18):")
    print("\n".join(aims))


if __name__ == "__main__":
    main()
