"""Several processes writing to one SQLite file at once: no lost update, no 'database is locked'."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from hyperlexicon.config import Settings
from hyperlexicon.entry import EntryData
from hyperlexicon.lexicon import Lexicon

WORKERS = 4
ROUNDS = 25


def _worker(
    url: str, worker: int, rounds: int, start: mp.synchronize.Event, errors: mp.Queue
) -> None:
    try:
        lex = Lexicon(Settings.load(db_url=url, author=f"w{worker}"))
        start.wait()
        for i in range(rounds):
            # read-modify-write of the same entry by everyone: the classic lost update
            lex.edit(
                "🜂",
                lambda d, i=i: d.evolve(examples=[*d.examples, f"w{worker}-{i}"]),
                reason="concurrent append",
            )
            lex.add(EntryData.create(f"w{worker}x{i}", kind="phrase", glosses={"en": ["x"]}))
            lex.search("fire")  # readers in between writers
        lex.close()
    except BaseException as exc:  # report anything, including 'database is locked'
        errors.put(f"worker {worker}: {type(exc).__name__}: {exc}")


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    lex, _ = Lexicon.init(Settings.load(db_url=url))
    lex.add(EntryData.create("🜂", glosses={"en": ["fire"]}))
    ctx = mp.get_context("spawn")
    start, errors = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(url, w, ROUNDS, start, errors)) for w in range(WORKERS)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(timeout=300)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    assert all(p.exitcode == 0 for p in procs)
    examples = lex.get("🜂").data.examples
    assert len(examples) == WORKERS * ROUNDS
    assert len(set(examples)) == WORKERS * ROUNDS
    assert lex.store.count("core") == 1 + WORKERS * ROUNDS
    assert len(lex.history("🜂")) == 1 + WORKERS * ROUNDS
    assert lex.get("🜂").row_version == 1 + WORKERS * ROUNDS
    lex.close()
