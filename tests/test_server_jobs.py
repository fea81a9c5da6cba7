"""Background jobs against a real ``hyperlexicon serve``: SIGKILL in the middle of an import
and after its commit, an index rebuild resumed after a restart, progress over the WebSocket,
a job that outlives its clients, cancel (REST and ``hyperlexicon jobs``), a graceful stop,
and the kill on PostgreSQL.

The truth is read from the database itself (SQLite directly, PostgreSQL with SQLAlchemy) as
well as through the API: a job's state must agree with what the store holds. Every wait is
bounded and polls a condition.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.fixtures import PgSchema
from tests.live_server import LiveServer, WsClient, clean_env, cli, init_home, make_home

pytestmark = pytest.mark.slow

FINAL = ("done", "failed", "cancelled", "interrupted")
BIG = 20_000  # entries of an import large enough to be killed in the middle of (~7 s)
# an import that outlasts a few CLI processes (~1.5 s each) before they cancel it
LONG = 60_000
QUIET = {"HYPERLEXICON_RATE": "10000", "HYPERLEXICON_BURST": "10000"}
NO_INDEX = {**QUIET, "HYPERLEXICON_AUTO_INDEX": "0"}  # imports are SQL only: seconds, not minutes


def run(coro: Any, timeout: float = 150) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def jsonl(n: int, tag: str) -> bytes:
    """``n`` new entries, one JSON object a line (the jsonl format without a header)."""
    return "".join(
        json.dumps(
            {
                "form": f"Δ-{tag}-{i}",
                "kind": "delta",
                "glosses": {"en": [f"{tag} job test node {i}"], "ru": [f"узел {tag} {i}"]},
            },
            ensure_ascii=False,
        )
        + "\n"
        for i in range(n)
    ).encode()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60, every: float = 0.05) -> Any:
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(every)


@pytest.fixture(scope="module")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("jobs-template") / "home"
    init_home(home)
    return home


@pytest.fixture
def new_server(template_home: Path, tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Servers on copies of the seeded home (``env`` on top of QUIET), stopped afterwards."""
    servers: list[LiveServer] = []

    def make(name: str = "home", **env: str) -> LiveServer:
        home = make_home(template_home, tmp_path / name)
        srv = LiveServer(home, **{**QUIET, **env})
        servers.append(srv)
        return srv.start()

    yield make
    for srv in servers:
        srv.kill()


def sqlite_count(server: LiveServer, lexicon: str = "core") -> int:
    return server.sql(
        "SELECT count(*) FROM entry JOIN lexicon ON lexicon.id = entry.lexicon_id "
        "WHERE lexicon.name = ?",
        lexicon,
    )[0][0]


def api_count(server: LiveServer, lexicon: str = "core") -> int | None:
    r = server.get("/api/v1/lexicons")
    assert r.status_code == 200, r.text
    return next((lx["entries"] for lx in r.json() if lx["name"] == lexicon), None)


def start_import(server: LiveServer, data: bytes, name: str, lexicon: str = "core") -> str:
    r = server.post(
        "/api/v1/import",
        params={"lexicon": lexicon},
        files={"file": (name, data, "application/x-ndjson")},
    )
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["kind"] == "import" and job["state"] in ("queued", "running"), job
    assert r.headers["location"] == f"/api/v1/jobs/{job['id']}"
    return job["id"]


def mid_import(server: LiveServer, job_id: str, at_least: int = 2000) -> dict[str, Any]:
    """Wait until the import has gone through ``at_least`` records (and has not finished)."""
    job = server.wait_job(
        job_id,
        lambda j: j["state"] in FINAL or j["progress"]["done"] >= at_least,
        timeout=90,
    )
    assert job["state"] == "running", f"the import was meant to be in the middle: {job}"
    return job


def uploads(server: LiveServer) -> list[Path]:
    return sorted((server.home / "uploads").iterdir())


# --- SIGKILL and restart -----------------------------------------------------------------------


def test_sigkill_mid_import_restart_says_interrupted_and_nothing_was_kept(
    new_server: Callable[..., LiveServer],
) -> None:
    server = new_server(**NO_INDEX)
    before = sqlite_count(server)
    assert api_count(server) == before > 100
    job_id = start_import(server, jsonl(BIG, "kill"), "kill.jsonl")
    mid_import(server, job_id)
    server.kill()
    # the truth on disk before anyone could tidy up: the transaction never committed
    assert sqlite_count(server) == before
    assert server.sql("SELECT state FROM job WHERE id = ?", job_id) == [("running",)]

    server.start()
    job = server.get(f"/api/v1/jobs/{job_id}").json()
    assert job["state"] == "interrupted", job
    assert "nothing of it was kept" in job["error"], job
    assert job["result"] is None
    assert "path" not in job["params"] and job["params"]["filename"] == "kill.jsonl"
    assert sqlite_count(server) == api_count(server) == before
    assert server.sql("SELECT count(*) FROM entry WHERE form LIKE 'Δ-kill-%'") == [(0,)]
    assert uploads(server) == []  # the interrupted import's upload is not left behind
    # the CLI, reading the same store, tells the same story
    shown = cli(server.home, "jobs", "show", job_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["state"] == "interrupted"
    # and the server works: the same file imports whole now
    again = start_import(server, jsonl(300, "kill"), "kill-again.jsonl")
    assert server.wait_job(again, lambda j: j["state"] in FINAL)["state"] == "done"
    assert sqlite_count(server) == before + 300


def test_sigkill_after_the_import_committed_restart_says_done_and_all_was_kept(
    new_server: Callable[..., LiveServer],
) -> None:
    """Killed after the import's transaction committed, while its entries were being indexed:
    everything is stored, so the truthful state is ``done`` (not "interrupted, nothing kept"),
    and the index catches up from the outbox after the restart."""
    n = 400
    server = new_server()  # auto-index on: after the commit the job embeds the new entries
    before = sqlite_count(server)
    job_id = start_import(server, jsonl(n, "late"), "late.jsonl")
    wait_for("the import's commit", lambda: sqlite_count(server) == before + n, timeout=90)
    job = server.get(f"/api/v1/jobs/{job_id}").json()
    assert job["state"] == "running", f"the job was meant to be indexing still: {job}"
    server.kill()
    assert sqlite_count(server) == before + n
    pending = server.sql("SELECT count(*) FROM outbox")[0][0]
    assert pending > 0  # killed before the index had all of it

    server.start()
    job = server.get(f"/api/v1/jobs/{job_id}").json()
    assert job["state"] == "done", job
    assert job["result"]["created"] == n, job
    assert job["error"] is None
    assert sqlite_count(server) == api_count(server) == before + n
    assert uploads(server) == []
    # the start-up drain runs behind a ready server and catches the index up
    status = wait_for(
        "the index to catch up",
        lambda: (s := server.get("/api/v1/index").json())["pending_outbox"] == 0 and s,
        timeout=120,
        every=0.5,
    )
    assert status["sql_entries"] == before + n


def test_a_rebuild_killed_midway_is_resumed_after_a_restart_and_finishes(
    new_server: Callable[..., LiveServer],
) -> None:
    server = new_server()
    entries = sqlite_count(server)
    r = server.post("/api/v1/index/rebuild")
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    job = server.wait_job(job_id, lambda j: j["state"] in FINAL or j["progress"]["done"] >= 1)
    assert job["state"] == "running" and job["progress"]["total"] == entries, job
    server.kill()
    assert server.sql("SELECT state FROM job WHERE id = ?", job_id) == [("running",)]

    server.start()
    job = server.wait_job(job_id, lambda j: j["state"] in FINAL, timeout=120)
    assert job["state"] == "done", (job["error"], job["result"], server.log()[-3000:])
    assert job["error"] is None and job["progress"] == {"done": entries, "total": entries}
    assert "resumed" in server.log()  # it ran again rather than being called finished
    status = server.get("/api/v1/index").json()
    assert status["chroma_documents"] == job["result"]["documents"] > entries
    assert status["pending_outbox"] == 0 and status["matches_embedder"]
    hits = server.get("/api/v1/search", params={"q": "огонь", "mode": "semantic"}).json()
    assert hits, "the rebuilt index answers"


def test_sigkill_mid_import_on_postgresql(template_home: Path, tmp_path: Path) -> None:
    """The same kill with the server's store on PostgreSQL (a schema of its own)."""
    from sqlalchemy import create_engine, text

    schema = PgSchema()
    engine = create_engine(schema.url)

    def count(pattern: str = "%") -> int:
        with engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM entry JOIN lexicon ON lexicon.id = entry.lexicon_id "
                    "WHERE lexicon.name = 'core' AND entry.form LIKE :p"
                ),
                {"p": pattern},
            ).scalar_one()

    home = tmp_path / "pg-home"
    server = LiveServer(home, **NO_INDEX, HYPERLEXICON_DB_URL=schema.url)
    try:
        done = cli(home, "init", "--seed", "core", timeout=180, HYPERLEXICON_DB_URL=schema.url)
        assert done.returncode == 0, done.stderr
        assert not (home / "lexicon.sqlite3").exists()
        server.start()
        before = count()
        assert api_count(server) == before > 100
        job_id = start_import(server, jsonl(BIG, "pg"), "pg.jsonl")
        mid_import(server, job_id)
        server.kill()
        # PostgreSQL rolls back the dead connection's transaction
        assert count("Δ-pg-%") == 0 and count() == before

        server.start()
        job = server.get(f"/api/v1/jobs/{job_id}").json()
        assert job["state"] == "interrupted" and "nothing of it was kept" in job["error"], job
        assert api_count(server) == count() == before
        with engine.connect() as conn:
            state = conn.execute(text("SELECT state FROM job WHERE id = :i"), {"i": job_id})
            assert state.scalar_one() == "interrupted"

        # on PostgreSQL a CLI process sees progress and cancels through the job's row
        on_pg = {"HYPERLEXICON_DB_URL": schema.url}
        second = start_import(server, jsonl(LONG, "pg2"), "pg2.jsonl")
        mid_import(server, second)
        listed = cli(home, "jobs", "list", "--json", **on_pg)
        assert listed.returncode == 0, listed.stderr
        mine = next(j for j in json.loads(listed.stdout) if j["id"] == second)
        assert mine["state"] == "running" and mine["progress"]["done"] >= 2000, mine
        cancelled = cli(home, "jobs", "cancel", second, "--wait", **on_pg)
        assert cancelled.returncode == 0, cancelled.stderr
        assert f"job {second}: cancelled" in cancelled.stdout
        assert count("Δ-pg2-%") == 0 and api_count(server) == before
    finally:
        server.kill()
        engine.dispose()
        schema.drop()


# --- a graceful stop -----------------------------------------------------------------------------


def test_sigterm_mid_import_stops_promptly_and_keeps_nothing(
    new_server: Callable[..., LiveServer],
) -> None:
    """A server asked to stop does not sit out a long import: the import rolls back and
    says so, and the server is gone within seconds."""
    server = new_server(**NO_INDEX)
    before = sqlite_count(server)
    job_id = start_import(server, jsonl(BIG, "term"), "term.jsonl")
    mid_import(server, job_id)
    assert server.proc is not None
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=20)  # TimeoutExpired here: the stop waited for the import
    assert sqlite_count(server) == before
    assert server.sql("SELECT state FROM job WHERE id = ?", job_id) == [("interrupted",)]

    server.start()
    job = server.get(f"/api/v1/jobs/{job_id}").json()
    assert job["state"] == "interrupted" and "nothing of it was kept" in job["error"], job
    assert api_count(server) == before
    assert uploads(server) == []


# --- progress over the WebSocket; a job outlives its clients ------------------------------------


def test_progress_is_pushed_over_the_websocket_and_the_job_outlives_its_clients(
    new_server: Callable[..., LiveServer],
) -> None:
    server = new_server(**NO_INDEX)
    before = sqlite_count(server)

    async def go() -> tuple[str, list[dict[str, Any]]]:
        async with connect(server.ws_url, open_timeout=10) as watcher_ws:
            watcher = WsClient(watcher_ws)
            await watcher.send(type="jobs")
            frames = await watcher.until(lambda f: f["type"] == "jobs")
            assert frames[-1]["subscribed"] is True
            # the client that starts the job also follows it, then drops its connection
            starter_ws = await connect(server.ws_url, open_timeout=10)
            starter = WsClient(starter_ws)
            await starter.send(type="jobs")
            await starter.until(lambda f: f["type"] == "jobs")
            job_id = await asyncio.to_thread(start_import, server, jsonl(BIG, "ws"), "ws.jsonl")
            await starter.until(
                lambda f: (
                    f["type"] == "job"
                    and f["job"]["id"] == job_id
                    and f["job"]["progress"]["done"] > 0
                ),
                timeout=60,
            )
            starter_ws.transport.abort()  # gone without a closing handshake
            frames = await watcher.until(
                lambda f: (
                    f["type"] == "job" and f["job"]["id"] == job_id and f["job"]["state"] in FINAL
                ),
                timeout=120,
            )
            return job_id, [f["job"] for f in frames if f["type"] == "job"]

    job_id, pushed = run(go())
    mine = [j for j in pushed if j["id"] == job_id]
    assert mine[-1]["state"] == "done", mine[-1]
    assert mine[-1]["result"]["created"] == BIG
    running = [j["progress"]["done"] for j in mine if j["state"] == "running"]
    assert len(set(running)) >= 3, f"too few progress events: {running}"
    assert running == sorted(running) and 0 < running[-1] <= BIG
    assert all(j["kind"] == "import" and "path" not in j["params"] for j in mine)
    assert sqlite_count(server) == before + BIG
    assert server.get(f"/api/v1/jobs/{job_id}").json()["state"] == "done"
    assert "job listener failed" not in server.log()
    assert server.alive()


# --- cancel, and ``hyperlexicon jobs`` -----------------------------------------------------------


def test_jobs_commands_list_show_and_cancel_a_running_import(
    new_server: Callable[..., LiveServer],
) -> None:
    """``hyperlexicon jobs`` without HYPERLEXICON_SERVER_URL reads and writes the home's SQL
    store directly, while the server holds SQLite's write lock for the import."""
    server = new_server(**NO_INDEX)
    before = sqlite_count(server)
    job_id = start_import(server, jsonl(LONG, "cli"), "cli.jsonl")
    mid_import(server, job_id)
    # opening the store is a read: neither /ready nor a CLI process waits for the import
    assert server.get("/ready", timeout=5).status_code == 200

    listed = cli(server.home, "jobs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    mine = next(j for j in json.loads(listed.stdout) if j["id"] == job_id)
    assert mine["state"] == "running" and mine["kind"] == "import" and mine["lexicon"] == "core"
    assert mine["progress"]["done"] >= 2000, mine  # the server's progress, not SQL's 0
    assert "path" not in mine["params"] and mine["params"]["filename"] == "cli.jsonl"

    t0 = time.monotonic()
    cancelled = cli(server.home, "jobs", "cancel", job_id, timeout=60)
    took = time.monotonic() - t0
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"job {job_id}: running (cancel requested)" in cancelled.stdout
    assert took < 15, f"cancel waited {took:.1f} s (for the import's write lock?)"
    job = server.wait_job(job_id, lambda j: j["state"] in FINAL, timeout=30)
    assert job["state"] == "cancelled", job
    assert "nothing of it was kept" in job["error"]
    assert job["progress"]["done"] < LONG
    assert sqlite_count(server) == api_count(server) == before
    assert uploads(server) == []

    shown = cli(server.home, "jobs", "show", job_id)
    assert shown.returncode == 0, shown.stderr
    assert "state: cancelled" in shown.stdout and "error: cancelled" in shown.stdout
    table = cli(server.home, "jobs", "list")
    assert table.returncode == 0 and job_id in table.stdout and "cancelled" in table.stdout
    missing = cli(server.home, "jobs", "show", "no-such-job")
    assert missing.returncode != 0 and "no job" in missing.stderr
    # cancelling a finished job changes nothing
    again = cli(server.home, "jobs", "cancel", job_id)
    assert again.returncode == 0 and f"job {job_id}: cancelled" in again.stdout
    assert server.get(f"/api/v1/jobs/{job_id}").json()["state"] == "cancelled"


def test_cancel_over_rest_and_through_the_server_url(
    new_server: Callable[..., LiveServer],
) -> None:
    """``POST /jobs/{id}/cancel``, and ``hyperlexicon jobs`` with HYPERLEXICON_SERVER_URL."""
    server = new_server(**NO_INDEX)
    before = sqlite_count(server)
    remote = {"HYPERLEXICON_SERVER_URL": server.url}

    first = start_import(server, jsonl(BIG, "rest"), "rest.jsonl")
    mid_import(server, first)
    t0 = time.monotonic()
    r = server.post(f"/api/v1/jobs/{first}/cancel")
    assert r.status_code == 200, r.text
    assert time.monotonic() - t0 < 10
    job = server.wait_job(first, lambda j: j["state"] in FINAL, timeout=30)
    assert job["state"] == "cancelled", job

    second = start_import(server, jsonl(LONG, "remote"), "remote.jsonl")
    mid_import(server, second)
    listed = cli(server.home, "jobs", "list", "--json", **remote)
    assert listed.returncode == 0, listed.stderr
    states = {j["id"]: j["state"] for j in json.loads(listed.stdout)}
    assert states[first] == "cancelled" and states[second] == "running"
    shown = cli(server.home, "jobs", "show", second, "--json", **remote)
    assert json.loads(shown.stdout)["progress"]["done"] > 0  # live progress, not SQL's 0
    cancelled = cli(server.home, "jobs", "cancel", second, "--wait", **remote)
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"job {second}: cancelled" in cancelled.stdout
    assert server.get(f"/api/v1/jobs/{second}").json()["state"] == "cancelled"
    assert sqlite_count(server) == api_count(server) == before
    assert server.sql(
        "SELECT count(*) FROM entry WHERE form LIKE 'Δ-rest-%' OR form LIKE 'Δ-remote-%'"
    ) == [(0,)]


# --- what a restart makes of each kind of unfinished job (in-process, rows laid out by hand) ----


def test_recovery_settles_each_unfinished_job_truthfully(
    tmp_path: Path, _seeded_sqlite_template: Path
) -> None:
    """The rows a killed server leaves, written directly: an import that committed but died
    before its job could say so (found by its revisions), one that had not committed, one
    never started, and a rebuild cancelled while the server was down."""
    import shutil

    from hyperlexicon import models as M
    from hyperlexicon.config import Settings
    from hyperlexicon.server.security import Principal
    from hyperlexicon.server.service import Service

    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(_seeded_sqlite_template, home / "lexicon.sqlite3")
    svc = Service(Settings.load(home=str(home)))  # HYPERLEXICON_AUTO_INDEX=0 (the fixtures)
    try:
        uploads_ = {name: svc.save_upload(jsonl(50, name), ".jsonl") for name in "abc"}

        def params(name: str, **extra: Any) -> dict[str, Any]:
            return {
                "path": str(uploads_[name]),
                "format": "jsonl",
                "on_conflict": "fail",
                "repair": True,
                "filename": f"{name}.jsonl",
                **extra,
            }

        committed = params("a", _revision_before=svc._last_revision())
        lex = svc.lexicon("core", Principal("tester", "admin"))
        lex.import_file(uploads_["a"], format="jsonl", reason="import a.jsonl")
        rows = {
            "committed": ("import", "running", committed),
            "rolled-back": (
                "import",
                "running",
                params("b", _revision_before=svc._last_revision()),
            ),
            "never-started": ("import", "queued", params("c")),
            "cancelled-rebuild": ("rebuild", "running", {}),
        }
        now = M.utcnow()
        with svc.store.write() as s:
            for job_id, (kind, state, p) in rows.items():
                s.add(
                    M.Job(
                        id=job_id,
                        lexicon="core",
                        kind=kind,
                        state=state,
                        progress_done=0,
                        params=p,
                        author="tester",
                        cancel_requested=False,
                        created_at=now,
                        updated_at=now,
                    )
                )
        # a cancel asked for by ``hyperlexicon jobs cancel`` while no server ran
        svc.jobs.cancel("cancelled-rebuild")
        svc.start()

        done = svc.jobs.get("committed")
        assert done.state == "done" and done.error is None, done
        assert done.result is not None and done.result["created"] == 50
        assert "all of it was kept" in done.result["recovered"]
        assert "_revision_before" not in done.to_dict()["params"]
        lost = svc.jobs.get("rolled-back")
        assert lost.state == "interrupted" and "nothing of it was kept" in (lost.error or "")
        never = svc.jobs.get("never-started")
        assert never.state == "interrupted" and "before this job started" in (never.error or "")
        rebuild = svc.jobs.get("cancelled-rebuild")
        assert rebuild.state == "cancelled", rebuild
        assert not any(p.exists() for p in uploads_.values())  # no upload left behind
        assert not list((home / "lexicon.sqlite3-jobs").glob("*"))  # nor a cancel file
        assert svc.jobs.list(states=("queued", "running")) == []
    finally:
        svc.stop()


SERVICE_THREADS = """
import json, sys, threading
from hyperlexicon.config import Settings
from hyperlexicon.server.service import Service

started = []
real = threading.Thread.start


def start(self):
    started.append([self.name, "numpy" in sys.modules])
    return real(self)


threading.Thread.start = start
assert "numpy" not in sys.modules
service = Service(Settings.load())
service.start()
service.stop()
print(json.dumps(started))
"""


def test_the_service_imports_numpy_before_its_threads_start(
    template_home: Path, tmp_path: Path
) -> None:
    """A resumed job (a rebuild, through chromadb's ``numpy.typing``) and the warm or a drain
    (through ``numpy``) started importing numpy from two ends of its own import cycle at once,
    and Python let the job see a part-initialised ``numpy._typing`` ("cannot import name
    'NDArray'"): the resumed rebuild failed about once in fifteen restarts. Every thread the
    service starts finds numpy imported."""
    import subprocess
    import sys

    home = make_home(template_home, tmp_path / "home")
    env = clean_env(home, HYPERLEXICON_AUTO_INDEX="1")
    done = subprocess.run(
        [sys.executable, "-c", SERVICE_THREADS], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    started = json.loads(done.stdout.strip().splitlines()[-1])
    assert any(name == "hyperlexicon-drain" for name, _ in started), started
    assert all(loaded for _, loaded in started), started
