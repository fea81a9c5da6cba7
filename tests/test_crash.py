"""Crash safety with real processes: SIGKILL an import at many points; after each restart
nothing is half-imported in SQL, and once the outbox is drained `doctor` is clean."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hyperlexicon import models as M
from hyperlexicon.config import Settings
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
        outcomes.append(
            ("killed" if killed else "finished", "committed" if present else "rolled back", pending)
        )
    # the schedule really hit both windows: before the commit, and between commit and index
    assert sum(o[:2] == ("killed", "rolled back") for o in outcomes) >= 2, outcomes
    assert any(o[0] == "killed" and o[1] == "committed" and o[2] > 0 for o in outcomes), outcomes
    assert any(o[0] == "finished" for o in outcomes), outcomes
    print(outcomes, repairs)
