"""Three real ``hyperlexicon serve`` processes on one PostgreSQL schema and one ``chroma run``
server, as behind a load balancer (docs/deploy.md).

- an import started on one server, that server SIGKILLed: the others leave the job alone while
  its owner lives (several lease periods), and take it over only once its lease has run out;
- a cancel asked through one server stops the job another runs;
- a dialogue started on one server is resumed on the others;
- 8 clients spread over the three servers share one token's rate limit;
- the index outbox drained by several CLI processes at once: each change applied once, none
  lost, a drainer killed in the middle of a batch leaves its rows for the others.

The truth is read from PostgreSQL and Chroma directly as well as through the API. Every wait
is bounded and polls a condition.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.fixtures import PgSchema
from tests.live_server import EXE, LiveServer, WsClient, clean_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

LEASE = 2.0  # seconds: short, so that a test sees several
RATE, BURST = 10.0, 30
ADMIN = "admin-token-0123456789abcdef"
EDITOR = "editor-token-0123456789abcdef"  # the dialogues'
LIMITED = "reader-token-limited-0123456789"  # the rate limit test's alone
TOKENS = f"{ADMIN}=admin:ops,{EDITOR}=editor:eve,{LIMITED}=reader:lim"
FINAL = ("done", "failed", "cancelled", "interrupted")
BIG = 150_000  # entries of an import that outlives several leases on PostgreSQL (~20 MB)


def auth(token: str = ADMIN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for(what: str, check: Any, timeout: float = 60, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(every)


def jsonl(n: int, tag: str) -> bytes:
    return "".join(
        json.dumps(
            {
                "form": f"Δ-{tag}-{i}",
                "kind": "delta",
                "glosses": {"en": [f"{tag} shared node {i}"], "ru": [f"общий узел {tag} {i}"]},
            },
            ensure_ascii=False,
        )
        + "\n"
        for i in range(n)
    ).encode()


class Cluster:
    """Three servers (ids s1, s2, s3) on one PostgreSQL schema and one Chroma server."""

    def __init__(self, root: Path, db_url: str, chroma_url: str) -> None:
        from sqlalchemy import create_engine

        self.db_url, self.chroma_url = db_url, chroma_url
        self.engine = create_engine(db_url)
        self.env = {
            "HYPERLEXICON_DB_URL": db_url,
            "HYPERLEXICON_CHROMA_URL": chroma_url,
        }
        self.root = root
        self.servers = [
            LiveServer(
                root / f"s{i}",
                **self.env,
                HYPERLEXICON_SERVER_ID=f"s{i}",
                HYPERLEXICON_JOB_LEASE=str(LEASE),
                HYPERLEXICON_API_TOKENS=TOKENS,
                HYPERLEXICON_RATE=str(RATE),
                HYPERLEXICON_BURST=str(BURST),
                HYPERLEXICON_AUTO_INDEX="0",  # imports stay SQL only; the outbox test drains
                HYPERLEXICON_DRAIN_EVERY="0",
                HYPERLEXICON_MAX_BODY=str(100 * 1024 * 1024),
            )
            for i in (1, 2, 3)
        ]
        for server in self.servers:
            server.home.mkdir(parents=True, exist_ok=True)

    def cli(self, *args: str, home: Path | None = None, **env: str) -> subprocess.Popen[str]:
        home = home or self.root / "cli"
        home.mkdir(parents=True, exist_ok=True)
        return subprocess.Popen(
            [str(EXE), *args],
            env=clean_env(home, **self.env, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 300, **env: str) -> str:
        proc = self.cli(*args, **env)
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, f"{args}: {err}"
        return out

    def sql(self, query: str, **params: Any) -> list[Any]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return list(conn.execute(text(query), params).all())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, chroma_server: str) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    schema = PgSchema()
    c = Cluster(root, schema.url, chroma_server)
    try:
        c.run("init", "--seed", "core", "--json")
        with ThreadPoolExecutor(3) as pool:  # three start-ups at once: ready sooner
            list(pool.map(lambda s: s.start(timeout=180), c.servers))
        yield c
    finally:
        for s in c.servers:
            s.kill()
        c.engine.dispose()
        schema.drop()
        from hyperlexicon.index import http_client

        client = http_client(chroma_server)
        for col in client.list_collections():
            client.delete_collection(col.name)


def job(server: LiveServer, job_id: str, token: str = ADMIN) -> dict[str, Any]:
    r = server.get(f"/api/v1/jobs/{job_id}", headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def start_import(server: LiveServer, data: bytes, name: str) -> str:
    r = server.post(
        "/api/v1/import", files={"file": (name, data, "application/x-ndjson")}, headers=auth()
    )
    assert r.status_code == 202, r.text
    return r.json()["id"]


def entries(c: Cluster, pattern: str = "%") -> int:
    return c.sql(
        "SELECT count(*) FROM entry JOIN lexicon ON lexicon.id = entry.lexicon_id "
        "WHERE lexicon.name = 'core' AND entry.form LIKE :p",
        p=pattern,
    )[0][0]


# --- jobs: owners, leases, take-over, cancel -------------------------------------------------


def test_each_server_answers_ready_as_itself(cluster: Cluster) -> None:
    """Three servers started at once each got a port of their own: a request sent to one is
    answered by that one (a health check behind the balancer names the server)."""
    answers = [s.get("/ready").json() for s in cluster.servers]
    assert [a["server"] for a in answers] == ["s1", "s2", "s3"], answers
    assert len({s.port for s in cluster.servers}) == 3


def test_a_killed_servers_import_is_taken_over_only_after_its_lease(cluster: Cluster) -> None:
    s1, s2, s3 = cluster.servers
    before = entries(cluster)
    job_id = start_import(s1, jsonl(BIG, "lease"), "lease.jsonl")
    running = wait_for(
        "the import to be under way",
        lambda: (j := job(s2, job_id))["progress"]["done"] >= 2000 and j,
    )
    assert running["state"] == "running" and running["owner"] == "s1", running

    # s1 lives on for four leases: s2 and s3 (each looking every LEASE/3 s) leave its job be,
    # and s1 keeps renewing its lease
    beats = set()
    deadline = time.monotonic() + 4 * LEASE
    while time.monotonic() < deadline:
        for other in (s2, s3):
            seen = job(other, job_id)
            assert seen["state"] == "running" and seen["owner"] == "s1", seen
            beat = datetime.fromisoformat(seen["heartbeat_at"])
            assert datetime.fromisoformat(seen["lease_until"]) > beat
            beats.add(beat)
        time.sleep(0.25)
    assert len(beats) >= 4, f"the lease was renewed {len(beats)} times in {4 * LEASE} s"
    assert job(s2, job_id)["progress"]["done"] < BIG, "the import was meant to be running still"
    listed = json.loads(cluster.run("jobs", "list", "--json"))
    assert next(j for j in listed if j["id"] == job_id)["owner"] == "s1"

    s1.kill()
    killed = time.monotonic()
    # the dead server's last promise, read after it can make no more
    (lease_until,) = cluster.sql("SELECT lease_until FROM job WHERE id = :i", i=job_id)[0]
    assert lease_until is not None
    assert entries(cluster, "Δ-lease-%") == 0  # PostgreSQL rolled the import back
    ended = wait_for(
        "another server to take the job over",
        lambda: (j := job(s2, job_id))["state"] in FINAL and j,
        timeout=10 * LEASE,
        every=0.1,
    )
    took = time.monotonic() - killed
    assert ended["state"] == "interrupted", ended
    assert ended["owner"] in ("s2", "s3"), ended
    assert "server s1 stopped while this job was running" in ended["error"]
    assert "nothing of it was kept" in ended["error"]
    (settled_at,) = cluster.sql("SELECT updated_at FROM job WHERE id = :i", i=job_id)[0]
    assert settled_at >= lease_until, (settled_at, lease_until)  # never before it ran out
    assert took < LEASE + 3 * LEASE / 3 + 5, f"taken over {took:.1f} s after the kill"
    taker = s2 if ended["owner"] == "s2" else s3
    assert "lease of server s1 ran out" in taker.log()
    other = s3 if taker is s2 else s2
    settled = f"job {job_id} (import) found unfinished"
    assert settled in taker.log()
    assert settled not in other.log()  # one server took it, the other never touched it
    assert entries(cluster) == before

    # s1 comes back under the same id: nothing of its own is left to settle
    s1.start(timeout=180)
    assert job(s1, job_id)["state"] == "interrupted"
    assert settled not in s1.log()


def test_a_cancel_through_one_server_stops_the_job_another_runs(cluster: Cluster) -> None:
    s1, s2, s3 = cluster.servers
    before = entries(cluster)
    job_id = start_import(s2, jsonl(BIG, "cancel"), "cancel.jsonl")
    wait_for("the import to be under way", lambda: job(s3, job_id)["progress"]["done"] >= 2000)
    r = s3.post(f"/api/v1/jobs/{job_id}/cancel", headers=auth())
    assert r.status_code == 200, r.text
    ended = wait_for(
        "the cancel", lambda: (j := job(s1, job_id))["state"] in FINAL and j, timeout=30
    )
    assert ended["state"] == "cancelled" and ended["owner"] == "s2", ended
    assert "nothing of it was kept" in ended["error"]
    assert entries(cluster) == before


# --- dialogues --------------------------------------------------------------------------------


def test_a_dialogue_started_on_one_server_resumes_on_another(cluster: Cluster) -> None:
    s1, s2, s3 = cluster.servers

    async def go() -> str:
        async with connect(f"{s1.ws_url}?token={EDITOR}", open_timeout=10) as ws:
            c = WsClient(ws)
            dialogue = (await c.hello())["dialogue"]
            await c.send(type="encode", id="a", text="огонь, время и свеча")
            first = (await c.finished("a"))[-1]
            await c.send(type="encode", id="b", text="Вдох, как молния")
            second = (await c.finished("b"))[-1]
            assert (first["turn"], second["turn"]) == (1, 2), (first, second)
        # the client reconnects, and the balancer sends it to s2: it has turn 1 already
        async with connect(f"{s2.ws_url}?token={EDITOR}", open_timeout=10) as ws:
            c = WsClient(ws)
            await c.send(type="hello", dialogue=dialogue, after=1)
            resumed = (await c.until(lambda f: f["type"] in ("dialogue", "error")))[-1]
            assert resumed["type"] == "dialogue", resumed
            assert resumed["last_turn"] == 2 and [t["turn"] for t in resumed["turns"]] == [2]
            assert resumed["turns"][0]["request"]["id"] == "b"
            assert resumed["turns"][0]["result"] == second["result"]
            # "the previous scene" is turn 2, made on s1
            await c.send(type="decode", id="c", scene="previous", style="formula", lang="en")
            third = (await c.finished("c"))[-1]
            assert third["type"] == "result" and third["turn"] == 3, third
            assert third["result"]["hyperstring"] == second["result"]["hyperstring"]
        # and on s3, from the start, with two connections adding turns at once (s1 and s3)
        async with (
            connect(f"{s3.ws_url}?token={EDITOR}", open_timeout=10) as ws3,
            connect(f"{s1.ws_url}?token={EDITOR}", open_timeout=10) as ws1,
        ):
            c3, c1 = WsClient(ws3), WsClient(ws1)
            whole = await c3.hello(dialogue)
            assert [t["turn"] for t in whole["turns"]] == [1, 2, 3] and whole["last_turn"] == 3
            await c1.hello(dialogue)
            await c3.send(type="decode", id="d3", scene="turn:1")
            await c1.send(type="decode", id="d1", scene="turn:2")
            got3 = (await c3.finished("d3"))[-1]
            got1 = (await c1.finished("d1"))[-1]
            assert {got3["turn"], got1["turn"]} == {4, 5}, (got3, got1)
            assert got3["result"]["hyperstring"] == first["result"]["hyperstring"]
        # someone else's dialogue does not exist, on any server
        async with connect(f"{s2.ws_url}?token={LIMITED}", open_timeout=10) as ws:
            other = await WsClient(ws).hello(dialogue)
            assert other["type"] == "error" and other["error"]["status"] == 404
        return dialogue

    dialogue = asyncio.run(asyncio.wait_for(go(), 180))
    rows = cluster.sql(
        "SELECT seq FROM dialogue_turn WHERE dialogue_id = :d ORDER BY seq", d=dialogue
    )
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]


# --- one token's rate limit over three servers -------------------------------------------------


def test_eight_clients_over_three_servers_share_one_tokens_limit(cluster: Cluster) -> None:
    servers = cluster.servers
    counts: dict[int, int] = {}
    lock = threading.Lock()
    retry_after: list[int] = []
    barrier = threading.Barrier(8)
    duration = 4.0

    def client(i: int) -> None:
        server = servers[i % 3]
        with httpx.Client(base_url=server.url, headers=auth(LIMITED), timeout=30) as http:
            barrier.wait()
            end = time.monotonic() + duration
            while time.monotonic() < end:
                r = http.get("/api/v1/entries/%F0%9F%9C%82")  # 🜂: a cheap lookup
                with lock:
                    counts[r.status_code] = counts.get(r.status_code, 0) + 1
                    if r.status_code == 429:
                        retry_after.append(int(r.headers["retry-after"]))

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    allowed, refused = counts.get(200, 0), counts.get(429, 0)
    assert set(counts) <= {200, 429}, counts
    # the clients asked far more than even three separate buckets would allow
    assert allowed + refused > 3 * (BURST + RATE * took), (counts, took)
    # one bucket: its burst and what refilled meanwhile (three would allow three times that)
    assert BURST <= allowed <= BURST + RATE * took + 2, (counts, took)
    assert retry_after and min(retry_after) >= 1
    (tokens,) = cluster.sql("SELECT tokens FROM rate_bucket WHERE key = 'lim'")[0]
    assert 0 <= tokens < 1 + RATE * 1


# --- the outbox, drained by several processes at once ------------------------------------------


def _sql_documents(c: Cluster, lexicon: str) -> dict[str, str]:
    """The documents SQL says the lexicon's index holds: document id → text hash."""
    from hyperlexicon.entry import EntryData
    from hyperlexicon.index import documents, text_hash

    want: dict[str, str] = {}
    for entry_id, data in c.sql(
        "SELECT entry.id, entry.data FROM entry JOIN lexicon ON lexicon.id = entry.lexicon_id "
        "WHERE lexicon.name = :n",
        n=lexicon,
    ):
        record = EntryData.from_dict(data if isinstance(data, dict) else json.loads(data))
        for key, text in documents(record):
            want[f"{entry_id}:{key}"] = text_hash(text)
    return want


def _chroma_documents(c: Cluster, lexicon: str) -> dict[str, str]:
    """What the Chroma server holds for the lexicon: document id → text hash."""
    from hyperlexicon.index import Index, http_client

    col = http_client(c.chroma_url).get_collection(Index.collection_name(lexicon))
    have: dict[str, str] = {}
    offset = 0
    while True:
        got = col.get(include=["metadatas"], limit=5000, offset=offset)
        if not got["ids"]:
            return have
        for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True):
            have[doc_id] = meta["text_hash"]
        offset += len(got["ids"])


def _pending(c: Cluster, lexicon: str) -> int:
    return c.sql(
        "SELECT count(*) FROM outbox JOIN lexicon ON lexicon.id = outbox.lexicon_id "
        "WHERE lexicon.name = :n",
        n=lexicon,
    )[0][0]


def test_the_outbox_drained_by_four_processes_applies_each_change_once(
    cluster: Cluster, tmp_path: Path
) -> None:
    n = 4000
    lexicon = "bulk"
    cluster.run("lexicons", "create", lexicon)
    path = tmp_path / "bulk.jsonl"
    path.write_bytes(jsonl(n, "bulk"))
    cluster.run("import", str(path), HYPERLEXICON_LEXICON=lexicon, HYPERLEXICON_AUTO_INDEX="0")
    # an edit of entries already waiting: two outbox rows for each of them, to be applied
    # in order (the newer text wins)
    edits = tmp_path / "edits.jsonl"
    edits.write_bytes(jsonl(300, "bulk").replace(b"shared node", b"edited node"))
    cluster.run(
        "import",
        str(edits),
        "--on-conflict",
        "update",
        HYPERLEXICON_LEXICON=lexicon,
        HYPERLEXICON_AUTO_INDEX="0",
    )
    rows = _pending(cluster, lexicon)
    assert rows == n + 300
    want = _sql_documents(cluster, lexicon)

    drainers = [
        cluster.cli(
            "index", "sync", "--json", home=tmp_path / f"d{i}", HYPERLEXICON_LEXICON=lexicon
        )
        for i in range(4)
    ]
    reports = []
    for proc in drainers:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        reports.append(json.loads(out))
    assert _pending(cluster, lexicon) == 0
    # every row claimed by exactly one process, the work spread over several
    assert sum(r["rows"] for r in reports) == rows, reports
    assert sum(1 for r in reports if r["rows"]) >= 2, reports
    # every document embedded once, no more: the edits were in before the drain began, so
    # whoever applies an edited entry second (after the first, by its lock) finds its newest
    # text in place already
    embedded = sum(r["embedded"] for r in reports)
    assert embedded == len(want), (embedded, len(want), reports)
    # same documents, same text hashes (the newest texts), entry hashes too (doctor)
    assert _chroma_documents(cluster, lexicon) == want
    doctor = json.loads(cluster.run("doctor", "--json", HYPERLEXICON_LEXICON=lexicon))
    assert doctor["index_clean"] is True and doctor["pending"] == 0, doctor


def test_a_drainer_killed_mid_batch_leaves_its_rows_to_the_others(
    cluster: Cluster, tmp_path: Path
) -> None:
    from hyperlexicon.index import OUTBOX_LOCKS

    n = 3000
    lexicon = "killed"
    cluster.run("lexicons", "create", lexicon)
    path = tmp_path / "killed.jsonl"
    path.write_bytes(jsonl(n, "killed"))
    cluster.run("import", str(path), HYPERLEXICON_LEXICON=lexicon, HYPERLEXICON_AUTO_INDEX="0")
    assert _pending(cluster, lexicon) == n

    victim = cluster.cli(
        "index", "sync", "--json", home=tmp_path / "v", HYPERLEXICON_LEXICON=lexicon
    )
    # inside a batch: holding its claim (the entries' advisory locks are taken with it)
    wait_for(
        "the drainer to hold a batch",
        lambda: (
            cluster.sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :ns",
                ns=OUTBOX_LOCKS,
            )[0][0]
            > 0
        ),
        timeout=120,
        every=0.02,
    )
    time.sleep(0.5)  # into the embedding and the upserts
    victim.kill()
    victim.communicate(timeout=30)
    left = _pending(cluster, lexicon)
    # the batch it held is back: it had at most finished the batches before it
    assert 0 < left <= n and (n - left) % 512 == 0, left

    survivors = [
        cluster.cli(
            "index", "sync", "--json", home=tmp_path / f"s{i}", HYPERLEXICON_LEXICON=lexicon
        )
        for i in range(2)
    ]
    reports = []
    for proc in survivors:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        reports.append(json.loads(out))
    assert sum(r["rows"] for r in reports) == left
    assert _pending(cluster, lexicon) == 0
    assert _chroma_documents(cluster, lexicon) == _sql_documents(cluster, lexicon)
