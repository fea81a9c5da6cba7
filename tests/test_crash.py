"""Crash safety with real processes: SIGKILL an import at many points; after each restart
nothing is half-imported in SQL, and once the outbox is drained `doctor` is clean."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hyperlexicon import models as M
from hyperlexicon.config import Settings
from hyperlexicon.errors import IndexDamagedError
from hyperlexicon.index import _PROBE as PROBE
from hyperlexicon.index import DAMAGED_FILE, Index
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.text import form_key

N = 3000
# kill times (seconds after start): from start-up, through the SQL transaction, through the
# embedding and Chroma writes of the drain, to after the process would have finished
DELAYS = [0.5, 0.65, 0.8, 0.95, 1.1, 1.4, 2.0, 3.0, 4.5, 60.0]


def _write_file(path: Path, round_: int) -> list[str]:
    forms = []
    with path.open("w") as f:
        for i in range(N):
            form = f"Δ-crash-{round_}-{i}"
            forms.append(form)
            f.write(
                json.dumps(
                    {
                        "form": form,
                        "kind": "delta",
                        "glosses": {
                            "en": [f"crash test node {i} of round {round_}"],
                            "ru": [f"узел проверки {i}"],
                        },
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    return forms


@pytest.mark.slow
def test_sigkill_during_import_never_leaves_half_a_file(
    tmp_path: Path, _seeded_sqlite_template: Path
) -> None:
    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)
    home = tmp_path / "home"
    settings = Settings.load(home=str(home), db_url=f"sqlite:///{db}")
    cli = [sys.executable, "-m", "hyperlexicon", "--home", str(home), "--db", f"sqlite:///{db}"]
    subprocess.run([*cli, "index", "rebuild"], check=True, capture_output=True)
    outcomes = []
    repairs: list[str] = []  # a kill inside a Chroma write can damage it: rebuilt from SQL
    for round_, delay in enumerate(DELAYS):
        path = tmp_path / f"round{round_}.jsonl"
        forms = _write_file(path, round_)
        proc = subprocess.Popen(
            [*cli, "import", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "HYPERLEXICON_AUTO_INDEX": "1"},  # the import drains, too
        )
        try:
            proc.wait(timeout=delay)
            killed = False
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = True
        # restart: a new process looks at what is there
        with Lexicon(settings.with_(auto_index=False)) as lex:
            keys = {form_key(f) for f in forms}
            present = sum(
                1 for e in lex.store.iter_entries("core", kind="delta") if e.data.key in keys
            )
            with lex.store.read() as s:
                pending = s.scalar(select(func.count()).select_from(M.Outbox))
        assert present in (0, N), (
            f"round {round_}: {present} of {N} entries after SIGKILL at {delay}s"
        )
        # the next process to use the index drains the outbox; then SQL and Chroma agree.
        # (One CI run saw doctor die of SIGSEGV here, with nothing on stderr, in a process
        # that loads no model: inside Chroma, reading what a killed write left. A crash now
        # prints each thread's Python stack, so the next one says where.)
        loud = {**os.environ, "PYTHONFAULTHANDLER": "1"}
        sync = subprocess.run(
            [*cli, "index", "sync", "--json"], capture_output=True, text=True, env=loud
        )
        assert sync.returncode == 0, sync.stderr
        doctor = subprocess.run(
            [*cli, "doctor", "--json"], capture_output=True, text=True, env=loud
        )
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        repairs.extend(json.loads(sync.stdout)["repairs"])
        # and Chroma reads its graph and vectors too, which the doctor does not (it compares
        # ids and hashes): the check after a crash runs, as a child would
        probe = subprocess.run(
            [sys.executable, "-c", PROBE, str(home / "chroma"), "read"],
            capture_output=True,
            text=True,
        )
        assert probe.returncode == 0 and "damaged" not in probe.stdout, (
            f"round {round_}: {probe.stdout} {probe.stderr[-500:]}"
        )
        outcomes.append(
            ("killed" if killed else "finished", "committed" if present else "rolled back", pending)
        )
    # the schedule really hit both windows: before the commit, and between commit and index
    assert sum(o[:2] == ("killed", "rolled back") for o in outcomes) >= 2, outcomes
    assert any(o[0] == "killed" and o[1] == "committed" and o[2] > 0 for o in outcomes), outcomes
    assert any(o[0] == "finished" for o in outcomes), outcomes
    print(outcomes, repairs)


# --- a holder that died: the next process checks the files, and rebuilds what is torn ----------

DAMAGE_ENTRIES = 600  # two documents each: past Chroma's 1000, so its HNSW files are written


def _jsonl(path: Path, tag: str) -> Path:
    with path.open("w") as f:
        for i in range(DAMAGE_ENTRIES):
            row = {
                "form": f"Δ-{tag}-{i}",
                "kind": "delta",
                "glosses": {"en": [f"{tag} lantern number {i}"], "ru": [f"фонарь {tag} {i}"]},
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def _two_big_lexicons(
    tmp_path_factory: pytest.TempPathFactory, _seeded_sqlite_template: Path
) -> Path:
    """``core`` and ``second``, each with more documents than Chroma keeps out of its HNSW
    files, indexed and closed cleanly."""
    root = tmp_path_factory.mktemp("damage")
    shutil.copy(_seeded_sqlite_template, root / "lexicon.sqlite3")
    settings = Settings.load(
        home=str(root / "home"), db_url=f"sqlite:///{root / 'lexicon.sqlite3'}"
    )
    with Lexicon(settings) as lex, _jsonl(root / "core.jsonl", "core").open("rb") as f:
        lex.rebuild_index()
        lex.import_stream(f, "core.jsonl", format="jsonl")
        assert lex.doctor().clean
    second, _ = Lexicon.init(settings, name="second")
    with second, _jsonl(root / "second.jsonl", "second").open("rb") as f:
        second.import_stream(f, "second.jsonl", format="jsonl")
    return root


def _copy_of(lexicons: Path, tmp_path: Path) -> tuple[Path, Path, list[str]]:
    """A copy of the lexicons' database and home in ``tmp_path``: its home, index directory
    and command."""
    root = tmp_path / "copy"
    shutil.copytree(lexicons, root)
    cli = [
        sys.executable, "-m", "hyperlexicon", "--home", str(root / "home"),
        "--db", f"sqlite:///{root / 'lexicon.sqlite3'}",
    ]  # fmt: skip
    return root / "home", root / "home" / "chroma", cli


def _vector_segment(chroma: Path, collection: str) -> Path:
    import sqlite3

    with contextlib.closing(sqlite3.connect(chroma / "chroma.sqlite3")) as db:
        (segment,) = db.execute(
            "SELECT s.id FROM segments s JOIN collections c ON s.collection = c.id "
            "WHERE c.name = ? AND s.scope = 'VECTOR'",
            (collection,),
        ).fetchone()
    return chroma / segment


def _tear_header(segment: Path) -> None:
    """As a write killed while Chroma rewrote it: the reader crashes (SIGSEGV)."""
    os.truncate(segment / "header.bin", 50)


def _cut_pickle(segment: Path) -> None:
    """As a write killed while Chroma rewrote its id map: the reader raises."""
    os.truncate(segment / "index_metadata.pickle", 1000)


def _semantic(cli: list[str], lexicon: str, query: str) -> list[str]:
    run = subprocess.run(
        [*cli, "-l", lexicon, "lex", "search", query, "--semantic", "--json", "-n", "5"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    return [hit["entry"]["form"] for hit in json.loads(run.stdout)]


@pytest.mark.parametrize("tear", [_tear_header, _cut_pickle], ids=["crashes", "raises"])
def test_a_collection_torn_by_a_process_that_died_holding_the_index_is_rebuilt(
    tmp_path: Path, _two_big_lexicons: Path, tear: Callable[[Path], None]
) -> None:
    home, chroma, cli = _copy_of(_two_big_lexicons, tmp_path)
    before = {lx: _semantic(cli, lx, f"{lx} lantern number 7") for lx in ("core", "second")}
    assert (chroma / ".hyperlexicon.lock").read_text() == ""  # each closed it cleanly
    for lx in ("core", "second"):
        tear(_vector_segment(chroma, f"hl.{lx}.idx"))
    # a process that dies holding the lock leaves its pid there
    (chroma / ".hyperlexicon.lock").write_text("4194304")

    doctor = subprocess.run([*cli, "doctor", "--json"], capture_output=True, text=True)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)["clean"], doctor.stdout
    assert "left open by process 4194304" in doctor.stderr
    assert "collection hl.core.idx" in doctor.stderr and "is damaged" in doctor.stderr
    # the other damaged lexicon waits for its first use, listed, and deleted from Chroma
    assert list(json.loads((chroma / DAMAGED_FILE).read_text())) == ["hl.second.idx"]
    assert (chroma / ".hyperlexicon.lock").read_text() == ""
    after = {lx: _semantic(cli, lx, f"{lx} lantern number 7") for lx in ("core", "second")}
    assert after == before  # (second's from the snapshot its last process left)
    status = subprocess.run(
        [*cli, "-l", "second", "index", "status"], capture_output=True, text=True
    )
    assert status.returncode == 0, status.stderr
    assert "second was found damaged after a crash" in status.stderr, status.stderr
    listed = subprocess.run(
        [*cli, "-l", "second", "index", "status", "--json"], capture_output=True, text=True
    )
    assert (
        json.loads(listed.stdout)["damaged"]
        == json.loads((chroma / DAMAGED_FILE).read_text())["hl.second.idx"]
    )
    again = subprocess.run(
        [*cli, "-l", "second", "doctor", "--json"], capture_output=True, text=True
    )
    assert again.returncode == 0 and json.loads(again.stdout)["clean"], again.stdout + again.stderr
    assert "left open" not in again.stderr and "rebuilding it from SQL" in again.stderr
    assert not (chroma / DAMAGED_FILE).exists()
    assert _semantic(cli, "second", "second lantern number 7") == before["second"]


# Chroma, in the probe's writing child only, crashing as a torn graph made it crash there (a
# state only a kill at the wrong moment leaves; see ``_check_after_crash``): the fault is
# ours to inject, the handling of it is what is tested
_CRASH_ON_WRITE = """
import sys
if sys.argv[:1] == ["-c"] and sys.argv[2:3] == ["write"]:
    import os, signal
    from chromadb.api.models.Collection import Collection
    _upsert = Collection.upsert
    def upsert(self, *args, **kwargs):
        if self.name == "hl.core.idx":
            os.kill(os.getpid(), signal.SIGSEGV)
        return _upsert(self, *args, **kwargs)
    Collection.upsert = upsert
"""


def test_a_collection_that_reads_well_and_crashes_a_write_is_rebuilt(
    tmp_path: Path, _two_big_lexicons: Path
) -> None:
    home, chroma, cli = _copy_of(_two_big_lexicons, tmp_path)
    before = _semantic(cli, "core", "core lantern number 7")
    (tmp_path / "crashy").mkdir()
    (tmp_path / "crashy" / "sitecustomize.py").write_text(_CRASH_ON_WRITE)
    crashy = {**os.environ, "PYTHONPATH": str(tmp_path / "crashy")}
    (chroma / ".hyperlexicon.lock").write_text("4194304")
    doctor = subprocess.run([*cli, "doctor", "--json"], capture_output=True, text=True, env=crashy)
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["clean"], doctor.stderr
    assert (
        "collection hl.core.idx of the index at" in doctor.stderr
        and "is damaged: Chroma crashed writing to it (signal 11)" in doctor.stderr
    ), doctor.stderr
    assert (
        "index of 'core' damaged (Chroma crashed writing to it (signal 11)): rebuilding it "
        "from SQL" in doctor.stderr
    )
    assert "hl.second.idx" not in doctor.stderr  # the child after the crash wrote to it
    assert not (chroma / DAMAGED_FILE).exists()
    assert _semantic(cli, "core", "core lantern number 7") == before
    again = subprocess.run([*cli, "doctor"], capture_output=True, text=True)
    assert again.returncode == 0 and "left open" not in again.stderr, again.stderr


def test_the_probe_write_leaves_a_collection_as_it_was(tmp_path: Path) -> None:
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings

    from hyperlexicon.index import PROBE_IDS, _probe_write

    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    col = client.create_collection("probed", embedding_function=None)
    vectors = np.random.default_rng(3).normal(size=(1500, 16)).astype(np.float32)
    ids = [f"doc-{i}" for i in range(len(vectors))]
    col.add(ids=ids[:1000], embeddings=vectors[:1000], metadatas=[{"n": i} for i in range(1000)])
    col.add(
        ids=ids[1000:], embeddings=vectors[1000:], metadatas=[{"n": i} for i in range(1000, 1500)]
    )
    asked = col.query(query_embeddings=vectors[::100], n_results=3)["ids"]
    col.upsert(ids=list(PROBE_IDS[-3:]), embeddings=vectors[:3])  # left by a killed probe
    _probe_write(col)
    assert col.count() == len(vectors)
    assert col.get(ids=list(PROBE_IDS))["ids"] == []
    assert col.query(query_embeddings=vectors[::100], n_results=3)["ids"] == asked
    got = col.get(ids=ids[::250], include=["embeddings", "metadatas"])
    assert [m["n"] for m in got["metadatas"]] == list(range(0, 1500, 250))
    assert np.allclose(got["embeddings"], vectors[::250])


def _indexed_seed(tmp_path: Path, template: Path) -> tuple[Path, Path, list[str]]:
    """The seeded lexicon in ``tmp_path``, its index built: its database, home and command."""
    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(template, db)
    home = tmp_path / "home"
    cli = [sys.executable, "-m", "hyperlexicon", "--home", str(home), "--db", f"sqlite:///{db}"]
    subprocess.run([*cli, "index", "rebuild"], check=True, capture_output=True)
    return db, home, cli


def test_a_holder_killed_with_the_index_whole_costs_a_check_and_no_rebuild(
    tmp_path: Path, _seeded_sqlite_template: Path
) -> None:
    db, home, cli = _indexed_seed(tmp_path, _seeded_sqlite_template)
    lock = home / "chroma" / ".hyperlexicon.lock"
    # a script that never closes its lexicon still ends cleanly: nothing to check after it
    script = (
        "from hyperlexicon.config import Settings\n"
        "from hyperlexicon.lexicon import Lexicon\n"
        f"lex = Lexicon(Settings.load(home={str(home)!r}, db_url={f'sqlite:///{db}'!r}))\n"
        "assert lex.doctor().clean\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    assert lock.read_text() == ""
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys, time\n"
            "from hyperlexicon.config import Settings\n"
            "from hyperlexicon.lexicon import Lexicon\n"
            f"lex = Lexicon(Settings.load(home={str(home)!r}, db_url={f'sqlite:///{db}'!r}))\n"
            "lex.search('fire', mode='semantic')\n"
            "print('holding', flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    holder.kill()
    holder.wait()
    assert lock.read_text() == str(holder.pid)
    # (a command that needs no more than the snapshot its last process left does not open
    # Chroma; the doctor reads every document of it)
    doctor = subprocess.run([*cli, "doctor", "--json"], capture_output=True, text=True)
    assert doctor.returncode == 0 and json.loads(doctor.stdout)["clean"], doctor.stderr
    assert f"left open by process {holder.pid}" in doctor.stderr
    assert "damaged" not in doctor.stderr
    assert lock.read_text() == ""
    again = subprocess.run([*cli, "doctor"], capture_output=True)
    assert again.returncode == 0 and b"left open" not in again.stderr


def test_a_damaged_listing_that_cannot_be_read_is_an_error_naming_it(
    tmp_path: Path, _seeded_sqlite_template: Path
) -> None:
    _, home, cli = _indexed_seed(tmp_path, _seeded_sqlite_template)
    listing = home / "chroma" / DAMAGED_FILE
    listing.write_text("[not json")
    run = subprocess.run(
        [*cli, "lex", "search", "fire", "--semantic"], capture_output=True, text=True
    )
    assert run.returncode != 0
    (line,) = run.stderr.strip().splitlines()
    assert str(listing) in line and "hyperlexicon index rebuild" in line
    assert listing.read_text() == "[not json"


def test_an_index_without_a_store_says_to_rebuild_a_damaged_collection(
    tmp_path: Path, _seeded_sqlite_template: Path
) -> None:
    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)
    settings = Settings.load(home=str(tmp_path / "home"), db_url=f"sqlite:///{db}")
    with Lexicon(settings) as lex:
        lex.rebuild_index()
    listing = settings.index_dir / DAMAGED_FILE
    listing.write_text(json.dumps({"hl.core.idx": "torn by a test"}))
    index = Index(settings)
    try:
        with pytest.raises(IndexDamagedError, match=r"torn by a test.*index rebuild"):
            index.collection("core")
    finally:
        index.close()
    assert json.loads(listing.read_text()) == {"hl.core.idx": "torn by a test"}


def test_the_checking_child_holds_the_index_when_the_process_that_started_it_is_killed(
    tmp_path: Path, _two_big_lexicons: Path
) -> None:
    """A child still reading Chroma when its parent dies keeps the lock: no other process
    opens the files under it."""
    _, chroma, cli = _copy_of(_two_big_lexicons, tmp_path)
    shown = 0
    for _ in range(3):  # a child that finishes before the other process tries shows nothing
        (chroma / ".hyperlexicon.lock").write_text("4194304")
        parent = subprocess.Popen([*cli, "doctor"], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not (child := _children(parent.pid, b"_probe")):
            assert parent.poll() is None and time.monotonic() < deadline, "no checking child"
            time.sleep(0.005)
        parent.kill()
        parent.wait()
        other = subprocess.Popen([*cli, "doctor"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, err = other.communicate()
        if Path(f"/proc/{child[0]}").exists():  # it tried while the child read
            assert other.returncode != 0 and b"in use by another process" in err, err
            shown += 1
        while Path(f"/proc/{child[0]}").exists():
            time.sleep(0.05)
        after = subprocess.run([*cli, "doctor", "--json"], capture_output=True, text=True)
        assert after.returncode == 0 and json.loads(after.stdout)["clean"], after.stderr
        if shown:
            break
    assert shown, "each child finished before the other process tried: nothing was shown"


def _children(parent: int, marker: bytes) -> list[int]:
    """The pids of ``parent``'s children whose command line holds ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and marker in cmdline:
            found.append(int(proc.name))
    return found
