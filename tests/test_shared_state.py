"""What several servers on one database share, tested in one process against the real
databases (SQLite and PostgreSQL) and the real Redis at 127.0.0.1:6379: job leases (who may
take a job over, and when), the compare-and-set that lets one server win, the fence that stops
a server whose job was taken, and the rate buckets kept in SQL or Redis.

The processes that own jobs here are named as if on another machine (``elsewhere/…``), so
that only their leases speak for them, as they would across machines; the same-machine checks
(a live pid, a dead one) have tests of their own. The multi-process tests are in
tests/test_multiserver.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from hyperlexicon import models as M
from hyperlexicon.config import Settings
from hyperlexicon.errors import ConfigError
from hyperlexicon.jobs import Jobs, Owner, process_state, this_process
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.server.jobs import JobContext, JobManager
from hyperlexicon.server.security import RedisRateLimiter, SqlRateLimiter, make_limiter
from hyperlexicon.store import Store

REDIS_URL = os.environ.get("HYPERLEXICON_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def elsewhere(name: str) -> str:
    """A process on another machine: nothing here can tell whether it lives."""
    return f"elsewhere-{name}/4242/1/boot.1"


@pytest.fixture
def store(lexicon: Lexicon) -> Iterator[Store]:
    yield lexicon.store


def wait_until(what: str, check: Any, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


# --- processes: alive, gone, unknown ---------------------------------------------------------


def test_a_process_is_alive_gone_or_unknown() -> None:
    me = this_process()
    assert process_state(me) == "alive"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host, _, start, rest = me.split("/")
        with open(f"/proc/{child.pid}/stat") as f:
            child_start = f.read().rsplit(")", 1)[1].split()[19]
        theirs = f"{host}/{child.pid}/{child_start}/{rest}"
        assert process_state(theirs) == "alive"
        # the same pid with another start time is another process: the one we knew is gone
        assert process_state(f"{host}/{child.pid}/{int(child_start) + 1}/{rest}") == "gone"
    finally:
        child.kill()
        child.wait()
    assert process_state(theirs) == "gone"  # killed (and reaped)
    boot, _, namespace = rest.partition(".")
    assert process_state(f"{host}/{child.pid}/{child_start}/other.{namespace}") == "gone"
    assert process_state(f"{host}/1/1/{boot}.999999") == "unknown"  # another pid namespace
    assert process_state(elsewhere("x")) == "unknown"
    assert process_state(None) == "gone"


# --- leases ----------------------------------------------------------------------------------


def _job(jobs: Jobs, owner: Owner | None, state: str = "running") -> str:
    job_id = jobs.create("rebuild", "core", {}, "tester", owner)
    jobs.set(job_id, state=state)
    return job_id


def test_a_live_lease_is_left_alone_an_expired_one_taken_by_exactly_one(store: Store) -> None:
    jobs = Jobs(store)
    a = Owner("server-a", elsewhere("a"), lease=1.0)
    b = Owner("server-b", elsewhere("b"), lease=30)
    c = Owner("server-c", elsewhere("c"), lease=30)
    job_id = _job(jobs, a)
    view = jobs.get(job_id)
    assert view.owner == "server-a" and view.lease_until is not None
    assert view.to_dict()["owner"] == "server-a" and "owner_process" not in view.to_dict()
    with store.read() as s:
        now = jobs.now(s)
    assert jobs.claimable(view, b, now) is None  # the lease holds
    assert jobs.claimable(view, a, now) is None  # one's own job is not taken over

    # a renews for a while: still no one's to take
    for _ in range(3):
        time.sleep(0.4)
        assert jobs.heartbeat(a) == {job_id}
        view = jobs.get(job_id)
        with store.read() as s:
            assert jobs.claimable(view, b, jobs.now(s)) is None

    # a falls silent: after its lease, b and c both see it expired; one of them wins
    time.sleep(1.2)
    view = jobs.get(job_id)
    with store.read() as s:
        now = jobs.now(s)
    assert "lease of server server-a ran out" in (jobs.claimable(view, b, now) or "")
    assert jobs.claimable(view, c, now)
    assert jobs.claim(view, b) is True
    assert jobs.claim(view, c) is False  # the holder changed since c read the row
    taken = jobs.get(job_id)
    assert taken.owner == "server-b" and taken.owner_process == b.process
    # a's renewal no longer covers it, and what a would write is refused
    assert jobs.heartbeat(a) == set()
    assert jobs.finish(job_id, a.process, state="done") is False
    assert jobs.get(job_id).state == "running"
    assert jobs.finish(job_id, b.process, state="interrupted", error="x") is True
    done = jobs.get(job_id)
    assert done.state == "interrupted" and done.lease_until is None and done.owner == "server-b"


def test_a_renewal_between_the_look_and_the_claim_wins(store: Store) -> None:
    jobs = Jobs(store)
    a = Owner("server-a", elsewhere("a"), lease=0.5)
    b = Owner("server-b", elsewhere("b"))
    job_id = _job(jobs, a)
    time.sleep(0.7)
    stale = jobs.get(job_id)
    with store.read() as s:
        assert jobs.claimable(stale, b, jobs.now(s))
    time.sleep(0.01)  # a clock tick, so the renewal's time differs from the stale one's
    assert jobs.heartbeat(a) == {job_id}  # a was slow, not dead
    assert jobs.claim(stale, b) is False
    assert jobs.get(job_id).owner == "server-a"


def test_who_may_take_a_job_without_waiting(store: Store) -> None:
    jobs = Jobs(store)
    me = Owner("server-a", this_process(), lease=30)
    dead_twin = Owner("server-a", "", lease=30)  # filled in below: this server's former self
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host, _, start, rest = this_process().split("/")
    dead_twin = Owner("server-a", f"{host}/{child.pid}/{start}/{rest}", lease=30)
    other_dead = Owner("server-z", dead_twin.process, lease=30)
    alive = Owner("server-y", this_process(), lease=0.01)  # this process: alive
    unowned = _job(jobs, None)
    mine_before = _job(jobs, dead_twin)
    theirs = _job(jobs, other_dead)
    living = _job(jobs, alive)
    time.sleep(0.05)
    stranger = Owner("server-b", elsewhere("b"))
    with store.read() as s:
        now = jobs.now(s)
    views = {j: jobs.get(j) for j in (unowned, mine_before, theirs, living)}
    assert jobs.claimable(views[unowned], me, now) == "no server held it"
    # a restart of the same server knows its former process is gone: at once
    assert jobs.claimable(views[mine_before], me, now) == "server server-a stopped"
    # another server's dead process: its lease still holds, so wait
    assert jobs.claimable(views[theirs], me, now) is None
    # a live process on this machine keeps its jobs even with its lease run out
    assert jobs.claimable(views[living], stranger, now) is None
    finished = _job(jobs, None, state="done")
    assert jobs.claimable(jobs.get(finished), me, now) is None


class Gate:
    """A job that runs until told to stop, reporting progress (which checks for stop)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.raised: list[str] = []

    def __call__(self, ctx: JobContext) -> dict[str, Any]:
        ctx.set_total(None)
        self.started.set()
        try:
            while not self.release.is_set():
                ctx.advance()
                time.sleep(0.05)
        except BaseException as exc:
            self.raised.append(type(exc).__name__)
            raise
        return {"ok": True}


def test_a_job_taken_over_stops_and_writes_nothing(store: Store) -> None:
    """Server a runs a job; its lease runs out (a is alive but could not renew: the test
    never lets its lease thread run) and server b takes the job over and settles it. a's job
    stops at its next report and leaves b's record alone."""
    a = JobManager(store, owner=Owner("server-a", elsewhere("a"), lease=1.0))
    b = JobManager(store, owner=Owner("server-b", elsewhere("b"), lease=30))
    gate = Gate()
    try:
        job = a.submit("calibrate", "core", {}, "tester", gate)
        assert gate.started.wait(10)
        assert a.get(job.id).owner == "server-a"
        b.recover(lambda _job: None, keep_leases=False)  # the test ticks by hand
        assert b.reap() == 0  # a's lease holds
        time.sleep(1.3)
        assert b.reap() == 1
        taken = b.get(job.id)
        assert taken.state == "interrupted" and taken.owner == "server-b"
        assert "server server-a stopped while this job was running" in (taken.error or "")
        a.tick()  # a's renewal finds the job gone from it
        wait_until("a's job to stop", lambda: gate.raised)
        assert gate.raised == ["JobLost"]
        time.sleep(0.3)
        after = b.get(job.id)
        assert (after.state, after.owner, after.error) == (taken.state, "server-b", taken.error)
    finally:
        gate.release.set()
        a.shutdown(timeout=5)
        b.shutdown(timeout=5)


def test_a_cancel_through_another_server_reaches_the_owner(store: Store) -> None:
    a = JobManager(store, owner=Owner("server-a", elsewhere("a"), lease=30))
    b = JobManager(store, owner=Owner("server-b", elsewhere("b"), lease=30))
    gate = Gate()
    try:
        job = a.submit("calibrate", "core", {}, "tester", gate)
        assert gate.started.wait(10)
        assert b.cancel(job.id).state == "running"  # asked through b; a runs it
        ended = wait_until(
            "the cancel", lambda: (v := a.get(job.id)).state != "running" and v, timeout=10
        )
        assert ended.state == "cancelled" and ended.owner == "server-a"
        assert gate.raised == ["JobCancelled"]
    finally:
        gate.release.set()
        a.shutdown(timeout=5)
        b.shutdown(timeout=5)


def test_a_stopping_server_releases_its_queued_jobs(store: Store) -> None:
    jobs = Jobs(store)
    a = Owner("server-a", elsewhere("a"), lease=30)
    queued = _job(jobs, a, state="queued")
    running = _job(jobs, a, state="running")
    assert jobs.release(a) == 1
    assert jobs.get(queued).owner_process is None  # anyone's at once
    assert jobs.get(running).owner_process == a.process  # the lease decides


# --- rate buckets ----------------------------------------------------------------------------


def _redis(rate: float, burst: int) -> RedisRateLimiter:
    limiter = RedisRateLimiter(rate, burst, REDIS_URL, prefix=f"hl-test:{uuid.uuid4().hex}:")
    try:
        limiter.client.ping()
    except Exception as exc:  # the suite promises Redis: unreachable is a failure
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
    return limiter


@pytest.fixture(params=["database", "redis"])
def shared(request: pytest.FixtureRequest, store: Store) -> Any:
    """Two limiters on one shared store, as two servers would have."""

    def make(rate: float, burst: int) -> tuple[Any, Any]:
        if request.param == "database":
            return SqlRateLimiter(rate, burst, store), SqlRateLimiter(rate, burst, store)
        first = _redis(rate, burst)
        second = RedisRateLimiter(rate, burst, REDIS_URL, prefix=first.prefix)
        return first, second

    return make


def test_two_servers_spend_one_bucket(shared: Any) -> None:
    one, two = shared(0.5, 5)
    spent = [one.allow("alice")[0] for _ in range(3)] + [two.allow("alice")[0] for _ in range(2)]
    assert spent == [True] * 5
    allowed, wait = two.allow("alice")
    assert not allowed and 0 < wait <= 2.0  # a token at 0.5 a second
    assert not one.allow("alice")[0]
    assert one.allow("bob")[0] and two.allow("bob")[0]  # another client, its own bucket
    # waiting what the refusal said is enough, on either server
    time.sleep(wait + 0.05)
    assert one.allow("alice")[0]
    assert not two.allow("alice")[0]


def test_concurrent_clients_on_two_servers_stay_under_the_limit(shared: Any) -> None:
    rate, burst = 20.0, 30
    one, two = shared(rate, burst)
    counts = {"allowed": 0, "refused": 0}
    lock = threading.Lock()
    start = threading.Barrier(8)

    def client(limiter: Any) -> None:
        start.wait()
        for _ in range(40):
            ok = limiter.allow("shared-token")[0]
            with lock:
                counts["allowed" if ok else "refused"] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=client, args=(one if i % 2 else two,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    assert counts["allowed"] + counts["refused"] == 320
    assert counts["refused"] > 0
    # a bucket of 30 and what refilled meanwhile, never more
    assert burst <= counts["allowed"] <= burst + rate * took + 1, (counts, took)


def test_sql_buckets_are_rows(store: Store) -> None:
    limiter = SqlRateLimiter(1.0, 2, store)
    assert limiter.allow("carol")[0]
    with store.read() as s:
        row = s.get(M.RateBucket, "carol")
        assert row is not None and row.allowed and 0.9 < row.tokens < 1.1


def test_an_unreachable_redis_limits_in_this_server_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RedisRateLimiter(0.001, 2, "redis://127.0.0.1:1/0")
    with caplog.at_level("WARNING", logger="hyperlexicon.security"):
        got = [limiter.allow("dave")[0] for _ in range(3)]
    assert got == [True, True, False]
    assert "cannot be reached" in caplog.text and "limiting in this server alone" in caplog.text
    assert caplog.text.count("cannot be reached") == 1  # said once, not once a request


def test_which_limiter_a_server_gets(
    monkeypatch: pytest.MonkeyPatch, store: Store, db_url: str
) -> None:
    expected = "memory" if db_url.startswith("sqlite") else "database"
    assert make_limiter(store).shared == expected
    monkeypatch.setenv("HYPERLEXICON_REDIS_URL", REDIS_URL)
    assert make_limiter(store).shared == "Redis server"
    monkeypatch.setenv("HYPERLEXICON_RATE_STORE", "database")
    assert make_limiter(store).shared == "database"
    monkeypatch.setenv("HYPERLEXICON_RATE_STORE", "disk")
    with pytest.raises(ConfigError, match="HYPERLEXICON_RATE_STORE: one of memory"):
        make_limiter(store)
    monkeypatch.setenv("HYPERLEXICON_RATE_STORE", "redis")
    monkeypatch.delenv("HYPERLEXICON_REDIS_URL")
    with pytest.raises(ConfigError, match="needs HYPERLEXICON_REDIS_URL"):
        make_limiter(store)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("HYPERLEXICON_JOB_LEASE", "0", "HYPERLEXICON_JOB_LEASE: a number of seconds, at least 1"),
        ("HYPERLEXICON_JOB_LEASE", "soon", "HYPERLEXICON_JOB_LEASE"),
        ("HYPERLEXICON_DRAIN_EVERY", "-5", "HYPERLEXICON_DRAIN_EVERY"),
        ("HYPERLEXICON_SERVER_ID", "a\tb", "HYPERLEXICON_SERVER_ID: up to 200 printable"),
    ],
)
def test_bad_server_settings_stop_the_start_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, name: str, value: str, message: str
) -> None:
    from hyperlexicon.server.service import Service

    home = tmp_path / "home"
    Lexicon.init(Settings.load(home=str(home)))[0].close()
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message) as caught:
        Service(Settings.load(home=str(home)))
    assert "\n" not in str(caught.value)
