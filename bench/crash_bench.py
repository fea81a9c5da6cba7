"""Crash benchmark: SIGKILL imports inside their SQL transaction and between their commit and
the index write, and run concurrent writers; on SQLite and on PostgreSQL; print the figures.

Everything is real: each import is a ``hyperlexicon import`` process killed with SIGKILL, the
SQLite database is a file, PostgreSQL is the server at ``--pg-url`` (a throw-away schema,
dropped at the end), the index is the embedded Chroma under a throw-away home.

Kills. Each trial imports its own file of ``--entries`` entries into a lexicon of its own,
with auto-indexing on (the import drains the outbox into Chroma after its commit), and is
killed at a chosen moment:

* ``--kills`` trials aim at the SQL transaction: the bench watches for the import's write
  transaction (SQLite: a ``BEGIN IMMEDIATE`` probe that finds the write lock taken;
  PostgreSQL: the import's connection in ``pg_stat_activity`` with a transaction id) and
  kills at a random point of the time a transaction took in a calibration run;
* ``--index-kills`` trials wait until the import's entries are visible (committed) and kill
  at a random point of the time the index write took in the calibration run.

Where each kill landed is what was seen at that moment: the write transaction open (and
nothing committed afterwards), or the entries committed with outbox rows still pending. After
each kill: the file's entries must be all there or none ("partial imports" counts the
others), SQLite's ``PRAGMA integrity_check`` must say ok; for a committed import,
``hyperlexicon index sync`` then ``hyperlexicon doctor`` must find SQL and the index agreeing
("drift after sync"), else ``doctor --fix`` runs ("drift after doctor --fix"). Any "database
is locked" in any process's output is counted. When the killed import held the embedded index,
the next process checks Chroma's files first ("index checked after the kill") and rebuilds
from SQL each collection the kill tore ("torn collections rebuilt"; what each showed is in the
notes).

With ``--grow``, every kill trial imports into one lexicon instead, which grows by each
committed file: the kills then land in the writes of a big collection's graph, where a kill
can leave files that read well and crash the next process to write near the tear (a CI run's
``index sync`` died so; docs/index.md, "After a crash"). Each trial's figures are then of its
own file's entries.

Writers. ``--writers`` processes each run ``--rounds`` rounds of: a read-modify-write of one
shared entry (append an example; the store applies the change inside the write transaction,
so none may be lost), a new entry of its own, and a stale edit: read a second shared entry's
version, let the others move on, then edit with ``expect_version`` (refused when anyone
changed it since; an accepted one must be the only one accepted at that version). Lost
entries, lost updates and refused stale edits are counted from what the database holds.

Run:  python bench/crash_bench.py [--kills 40] [--index-kills 20] [--writers 8]
          [--rounds 25] [--entries 500] [--backend sqlite,postgresql] [--seed 1] [--grow]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_URL = os.environ.get(
    "HYPERLEXICON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
LOCKED = "database is locked"


# --- backends -----------------------------------------------------------------------------


class Backend:
    """A database for one run: its URL, how to see a write transaction, how to count."""

    name: str
    url: str

    def __init__(self) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(self.url)

    def writing(self) -> bool:
        """Whether a write transaction of the import is open right now."""
        raise NotImplementedError

    def scalar(self, sql: str, **params: Any) -> Any:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def entries(self, lexicon: str) -> int:
        return self.scalar(
            "SELECT count(*) FROM entry JOIN lexicon ON entry.lexicon_id = lexicon.id "
            "WHERE lexicon.name = :name",
            name=lexicon,
        )

    def pending(self, lexicon: str) -> int:
        return self.scalar(
            "SELECT count(*) FROM outbox JOIN lexicon ON outbox.lexicon_id = lexicon.id "
            "WHERE lexicon.name = :name",
            name=lexicon,
        )

    def intact(self) -> bool:
        return True

    def close(self) -> None:
        self.engine.dispose()


class SQLite(Backend):
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "lexicon.sqlite3"
        self.url = f"sqlite:///{self.path}"
        super().__init__()

    def writing(self) -> bool:
        # the write lock is what BEGIN IMMEDIATE takes: if it cannot, a writer holds it; if
        # it can, it lets go at once (the import's own BEGIN IMMEDIATE waits microseconds)
        con = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        try:
            con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return True
            raise
        else:
            con.execute("ROLLBACK")
            return False
        finally:
            con.close()

    def intact(self) -> bool:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()


class PostgreSQL(Backend):
    name = "postgresql"

    def __init__(self, base_url: str, prefix: str = "crash") -> None:
        from sqlalchemy import create_engine, text

        self.schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.app = f"hl-{prefix}-{self.schema}"  # names the bench's processes in pg_stat_activity
        self.admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        sep = "&" if "?" in base_url else "?"
        self.url = (
            f"{base_url}{sep}options=-csearch_path%3D{self.schema}&application_name={self.app}"
        )
        super().__init__()

    def writing(self) -> bool:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE application_name = :app AND backend_xid IS NOT NULL"
                    ),
                    {"app": self.app},
                ).scalar()
            )

    def close(self) -> None:
        from sqlalchemy import text

        super().close()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        self.admin.dispose()


# --- the CLI as processes -----------------------------------------------------------------


@dataclass
class Run:
    """One backend's figures."""

    backend: str
    kills: int = 0
    in_transaction: int = 0
    before_commit_other: int = 0
    between_commit_and_index: int = 0
    after_index: int = 0
    finished_first: int = 0
    partial: int = 0
    corrupt: int = 0
    locked: int = 0
    drift_after_sync: int = 0
    drift_after_fix: int = 0
    checked: int = 0  # the next process found the killed one's pid in the index lock
    torn: int = 0  # ... and the check found a collection Chroma's files no longer serve
    writers: int = 0
    rounds: int = 0
    lost_entries: int = 0
    lost_updates: int = 0
    refused_stale: int = 0
    accepted_stale: int = 0
    writer_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Cli:
    def __init__(self, backend: Backend, home: Path) -> None:
        self.backend = backend
        self.base = [
            sys.executable,
            "-m",
            "hyperlexicon",
            "--home",
            str(home),
            "--db",
            backend.url,
        ]
        self.outputs: list[str] = []  # every stderr and stdout, for 'database is locked'

    def run(self, *args: str, index: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "HYPERLEXICON_AUTO_INDEX": "1" if index else "0"}
        done = subprocess.run(
            [*self.base, *args], capture_output=True, text=True, env=env, timeout=900
        )
        self.outputs.append(done.stdout + done.stderr)
        return done

    def start(self, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "HYPERLEXICON_AUTO_INDEX": "1"}
        return subprocess.Popen(
            [*self.base, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def finish(self, proc: subprocess.Popen[str]) -> int:
        out, err = proc.communicate(timeout=900)
        self.outputs.append(out + err)
        return proc.returncode

    def locked(self) -> int:
        return sum(LOCKED in text for text in self.outputs)


def write_file(path: Path, tag: str, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            record = {
                "form": f"Δ-{tag}-{i}",
                "kind": "delta",
                "glosses": {"en": [f"crash node {i} of {tag}"], "ru": [f"узел {i} из {tag}"]},
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def wait_for(check: Callable[[], bool], proc: subprocess.Popen[str], every: float) -> float | None:
    """Poll ``check`` until it holds (the time it did) or the process ends (None)."""
    while proc.poll() is None:
        if check():
            return time.monotonic()
        time.sleep(every)
    return None


@dataclass
class Timing:
    start_to_tx: float
    transaction: float
    index: float


def calibrate(cli: Cli, backend: Backend, work: Path, entries: int) -> Timing:
    """One import left alone: when its transaction opens, how long it stays open, and how
    long the index write after the commit takes."""
    path = work / "calibration.jsonl"
    write_file(path, "calibration", entries)
    t0 = time.monotonic()
    proc = cli.start("-l", "calibration", "import", str(path))
    opened = wait_for(backend.writing, proc, 0.005)
    committed = wait_for(lambda: entries_or_zero(backend, "calibration") > 0, proc, 0.005)
    code = cli.finish(proc)
    ended = time.monotonic()
    if code != 0 or opened is None or committed is None:
        raise SystemExit(f"calibration import failed (exit {code}): {cli.outputs[-1][-2000:]}")
    return Timing(opened - t0, committed - opened, ended - committed)


def entries_or_zero(backend: Backend, lexicon: str) -> int:
    try:
        return backend.entries(lexicon)
    except Exception:  # the lexicon row does not exist yet
        return 0


# --- kills --------------------------------------------------------------------------------


def kill_trial(
    run: Run,
    cli: Cli,
    backend: Backend,
    work: Path,
    n: int,
    entries: int,
    timing: Timing,
    rng: random.Random,
    *,
    aim: str,
    grow: bool = False,
) -> None:
    tag = f"t{n}"
    lexicon = "grown" if grow else tag
    before = entries_or_zero(backend, lexicon)
    path = work / f"{tag}.jsonl"
    write_file(path, tag, entries)
    proc = cli.start("-l", lexicon, "import", str(path))
    if aim == "transaction":
        seen = wait_for(backend.writing, proc, 0.002)
        delay = rng.uniform(0, timing.transaction)
    else:
        seen = wait_for(lambda: entries_or_zero(backend, lexicon) > before, proc, 0.005)
        delay = rng.uniform(0, timing.index * 0.9)
    in_tx = False
    if seen is not None:
        time.sleep(max(0.0, seen + delay - time.monotonic()))
        in_tx = backend.writing() if aim == "transaction" else False
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        killed = True
    else:
        killed = False
    cli.finish(proc)
    run.kills += killed
    present = entries_or_zero(backend, lexicon) - before
    pending = backend.pending(lexicon) if present else 0
    if present not in (0, entries):
        run.partial += 1
        run.notes.append(f"{tag}: {present} of {entries} entries after the kill")
    if not backend.intact():
        run.corrupt += 1
        run.notes.append(f"{tag}: integrity_check failed after the kill")
    if not killed:
        run.finished_first += 1
    elif present == 0:
        if in_tx:
            run.in_transaction += 1
        else:
            run.before_commit_other += 1
    elif pending:
        run.between_commit_and_index += 1
    else:
        run.after_index += 1
    if present:
        sync = cli.run("-l", lexicon, "index", "sync", "--json")
        doctor = cli.run("-l", lexicon, "doctor", "--json")
        said = sync.stderr + doctor.stderr
        run.checked += "which did not close it: checking it" in said
        if " is damaged: " in said:
            run.torn += 1
            run.notes.append(f"{tag}: {said.split(' is damaged: ', 1)[1].splitlines()[0]}")
        if sync.returncode != 0 or doctor.returncode != 0:
            run.drift_after_sync += 1
            run.notes.append(
                f"{tag}: drift after sync (exit {sync.returncode}, doctor {doctor.returncode}): "
                f"{(sync.stderr + doctor.stdout)[-300:]}"
            )
            fixed = cli.run("-l", lexicon, "doctor", "--fix", "--json")
            if fixed.returncode != 0:
                run.drift_after_fix += 1
    elif backend.pending(lexicon):
        run.notes.append(f"{tag}: outbox rows without entries")


# --- concurrent writers -------------------------------------------------------------------


def writer(url: str, home: str, worker: int, rounds: int, go: str, seed: int) -> None:
    """One writer process (``--writer``): prints what it did as one JSON line."""
    from hyperlexicon.config import Settings
    from hyperlexicon.entry import EntryData
    from hyperlexicon.errors import ConflictError
    from hyperlexicon.lexicon import Lexicon

    rng = random.Random(seed * 1000 + worker)
    out: dict[str, Any] = {"accepted": [], "refused": 0, "errors": []}
    settings = Settings.load(home=home, db_url=url, author=f"w{worker}", auto_index=False)
    lex = Lexicon(settings, name="writers")
    while not Path(go).exists():
        time.sleep(0.005)
    for i in range(rounds):
        try:
            lex.edit(
                "🜂",
                lambda d, i=i: d.evolve(examples=[*d.examples, f"w{worker}-{i}"]),
                reason="concurrent append",
            )
            lex.add(EntryData.create(f"w{worker}x{i}", kind="phrase", glosses={"en": ["x"]}))
            seen = lex.get("⧖").row_version
            time.sleep(rng.uniform(0, 0.02))  # the others move on meanwhile
            try:
                lex.edit(
                    "⧖",
                    lambda d, i=i: d.evolve(examples=[*d.examples, f"s{worker}-{i}"]),
                    expect_version=seen,
                    reason="stale-edit check",
                )
                out["accepted"].append([seen, f"s{worker}-{i}"])
            except ConflictError:
                out["refused"] += 1
        except Exception as exc:  # 'database is locked' or anything else: counted
            out["errors"].append(f"{type(exc).__name__}: {exc}")
    lex.close()
    print(json.dumps(out))


def writers_trial(run: Run, backend: Backend, work: Path, n: int, rounds: int, seed: int) -> None:
    from hyperlexicon.config import Settings
    from hyperlexicon.entry import EntryData
    from hyperlexicon.lexicon import Lexicon

    home = str(work / "home")
    lex = Lexicon(Settings.load(home=home, db_url=backend.url, auto_index=False))
    lex.create_lexicon("writers")
    shared = lex.using("writers")
    shared.add(EntryData.create("🜂", glosses={"en": ["fire"]}))
    shared.add(EntryData.create("⧖", glosses={"en": ["time"]}))
    go = work / "go"
    argv = [sys.executable, __file__, "--writer", backend.url, home]
    procs = [
        subprocess.Popen(
            [*argv, str(w), str(rounds), str(go), str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(n)
    ]
    time.sleep(3)  # let them load before they all start at once
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=1800)
        if p.returncode != 0 or not out.strip():
            run.writer_errors.append(err.strip().splitlines()[-1] if err.strip() else "no output")
            continue
        results.append(json.loads(out.strip().splitlines()[-1]))
    run.writers, run.rounds = n, rounds
    for r in results:
        run.writer_errors.extend(r["errors"])
        run.refused_stale += r["refused"]
        run.accepted_stale += len(r["accepted"])
    run.locked += sum(LOCKED in e for e in run.writer_errors)
    expected_entries = {f"w{w}x{i}" for w in range(n) for i in range(rounds)}
    present = {e.data.form for e in shared.entries()}
    run.lost_entries = len(expected_entries - present)
    fire = shared.get("🜂")
    appended = {f"w{w}-{i}" for w in range(n) for i in range(rounds)}
    lost = len(appended - set(fire.data.examples))
    # the stale-edit entry: each accepted edit is there, and no two were accepted at the
    # same version (the second would have overwritten the first)
    time_ = shared.get("⧖")
    accepted = [tuple(a) for r in results for a in r["accepted"]]
    lost += len({label for _, label in accepted} - set(time_.data.examples))
    lost += len(accepted) - len({version for version, _ in accepted})
    if time_.row_version != 1 + len(accepted) or fire.row_version != 1 + n * rounds:
        run.notes.append(
            f"writers: row versions {fire.row_version} and {time_.row_version}, expected "
            f"{1 + n * rounds} and {1 + len(accepted)}"
        )
    run.lost_updates = lost
    lex.close()


# --- the run ------------------------------------------------------------------------------


def run_backend(name: str, args: argparse.Namespace) -> Run:
    run = Run(name)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix=f"crash-{name}-") as tmp:
        work = Path(tmp)
        backend: Backend = SQLite(work) if name == "sqlite" else PostgreSQL(args.pg_url)
        try:
            cli = Cli(backend, work / "home")
            init = cli.run("init", index=False)
            if init.returncode != 0:
                raise SystemExit(f"{name}: init failed: {init.stderr}")
            timing = calibrate(cli, backend, work, args.entries)
            print(
                f"{name}: calibration: transaction opens after {timing.start_to_tx:.2f} s, "
                f"stays open {timing.transaction:.2f} s, index write {timing.index:.2f} s",
                file=sys.stderr,
            )
            plan = ["transaction"] * args.kills + ["index"] * args.index_kills
            rng.shuffle(plan)
            for n, aim in enumerate(plan):
                kill_trial(
                    run, cli, backend, work, n, args.entries, timing, rng, aim=aim, grow=args.grow
                )
                print(f"{name}: trial {n + 1}/{len(plan)} ({aim})", file=sys.stderr)
            if args.writers:
                writers_trial(run, backend, work, args.writers, args.rounds, args.seed)
            run.locked += cli.locked()
        finally:
            backend.close()
    return run


def table(runs: list[Run]) -> str:
    head = [
        "backend",
        "SIGKILLs",
        "in the SQL transaction",
        "between commit and index",
        "elsewhere",
        "partial imports",
        "integrity failures",
        "'database is locked'",
        "index checked after the kill",
        "torn collections rebuilt",
        "drift after index sync",
        "drift after doctor --fix",
    ]
    rows = [
        [
            r.backend,
            r.kills,
            r.in_transaction,
            r.between_commit_and_index,
            r.before_commit_other + r.after_index,
            r.partial,
            r.corrupt,
            r.locked,
            r.checked,
            r.torn,
            r.drift_after_sync,
            r.drift_after_fix,
        ]
        for r in runs
    ]
    head2 = [
        "backend",
        "writers × rounds",
        "lost entries",
        "lost updates",
        "stale edits refused",
        "stale edits accepted (current)",
        "writer errors",
    ]
    rows2 = [
        [
            r.backend,
            f"{r.writers} × {r.rounds}",
            r.lost_entries,
            r.lost_updates,
            r.refused_stale,
            r.accepted_stale,
            len(r.writer_errors),
        ]
        for r in runs
        if r.writers
    ]

    def md(h: list[str], rs: list[list[Any]]) -> str:
        lines = ["| " + " | ".join(h) + " |", "|" + "---|" * len(h)]
        lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rs]
        return "\n".join(lines)

    return md(head, rows) + ("\n\n" + md(head2, rows2) if rows2 else "")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--writer":
        url, home, worker, rounds, go, seed = sys.argv[2:8]
        writer(url, home, int(worker), int(rounds), go, int(seed))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=40, help="kills aimed at the transaction")
    parser.add_argument(
        "--index-kills", type=int, default=None, help="kills between commit and index (kills/2)"
    )
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--entries", type=int, default=500, help="entries per imported file")
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--grow", action="store_true", help="every kill trial imports into one growing lexicon"
    )
    args = parser.parse_args()
    if args.index_kills is None:
        args.index_kills = args.kills // 2
    backends = [b.strip() for b in args.backend.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"--backend: unknown {', '.join(sorted(unknown))} (sqlite, postgresql)")
    started = time.monotonic()
    runs = [run_backend(b, args) for b in backends]
    print(table(runs))
    for r in runs:
        for note in r.notes + r.writer_errors[:5]:
            print(f"{r.backend}: {note}")
        if r.finished_first:
            print(f"{r.backend}: {r.finished_first} imports finished before their kill")
    print(f"({time.monotonic() - started:.0f} s)")
    bad = sum(
        r.partial + r.corrupt + r.locked + r.drift_after_fix + r.lost_entries + r.lost_updates
        for r in runs
    )
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
