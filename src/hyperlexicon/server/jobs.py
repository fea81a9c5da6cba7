"""Running background jobs: a thread pool over the job records of ``hyperlexicon.jobs``.

A job's state lives in SQL (see ``hyperlexicon.jobs``), so any client can follow it (``GET
/api/v1/jobs/{id}``, pushes over the WebSocket, ``hyperlexicon jobs``) and a restart can tell
the truth: a job that was running when the server stopped is marked ``interrupted`` — an
import ran in one transaction, so nothing of it was kept — except an index rebuild, which is
idempotent and simply runs again, and a job whose work had already been kept (an import killed
after its commit, while it indexed) which the service settles as what it is: ``done``.

Progress while a job runs is kept in this process and pushed to listeners, and shared with
other processes through the records (a file on SQLite, the row elsewhere); the final state is
written to the row.

A server that stops (SIGTERM) asks its running jobs to stop at their next progress report and
waits a little for them: an import rolls back and is marked ``interrupted``, a rebuild is left
``queued`` to run again at the next start.

Several servers on one database: each ``JobManager`` is an ``Owner`` (a server id and this
process). A thread renews the lease of every job it holds every third of the lease and looks
for jobs whose holder's lease ran out (``Jobs.claimable``): it takes them over (one server
wins: a compare-and-set on the row) and settles them as a restart would. A job this server
runs and another took over (this server could not renew its lease in time) stops at its next
progress report without writing anything: the row is the new holder's. A cancel reaches the
holder through the row (or the file beside a SQLite database), whichever server took it; and
clients subscribed here hear of jobs other servers run, polled once a second.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..errors import HyperlexiconError
from ..jobs import FINAL, LIVE, RESUMABLE, Jobs, JobView, Owner, not_kept, this_process
from ..store import Store

log = logging.getLogger("hyperlexicon.jobs")
STOP_WAIT = 10.0  # seconds a stopping server waits for its running jobs to wind down
WATCH_EVERY = 1.0  # seconds between looks at other servers' jobs, while someone listens

# (state, result, error) a service decides for a job found unfinished at start-up
Settlement = tuple[str, dict[str, Any] | None, str | None]


class JobCancelled(Exception):
    """Raised inside a job (from its progress callback) when someone asked to cancel it."""


class JobStopped(Exception):
    """Raised inside a job (from its progress callback) when the server is stopping."""


class JobLost(JobStopped):
    """Raised inside a job when another server took it over (this one's lease ran out)."""


class JobContext:
    """What a running job sees: a way to report progress, which also checks for cancel."""

    def __init__(self, manager: JobManager, job_id: str) -> None:
        self.manager, self.job_id = manager, job_id
        self.done = 0
        self.total: int | None = None
        self.kept = False  # past the point where the work is kept: cancel comes too late
        self._last = 0.0

    def set_total(self, total: int | None) -> None:
        self.total = total
        self._flush(force=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._flush()

    def check(self) -> None:
        """Raise JobStopped or JobCancelled if the job should stop (throttled, like progress)."""
        self._flush()

    def keep(self) -> None:
        """The job's work is now kept (an import committed): cancel is no longer honoured,
        and what runs after this is a follow-up that a stop may cut short."""
        self.kept = True

    def note(self, **values: Any) -> None:
        """Record checkpoints in the job's row (names start with ``_``), for the restart."""
        self.manager.records.note(self.job_id, values)

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.25:
            return
        self._last = now
        if self.manager.stopping:
            raise JobStopped
        if self.manager.lost(self.job_id):
            raise JobLost
        if not self.kept and self.manager.cancel_requested(self.job_id):
            raise JobCancelled
        self.manager._progress(self.job_id, self.done, self.total)


class JobManager:
    def __init__(self, store: Store, workers: int = 2, owner: Owner | None = None) -> None:
        self.store = store
        self.records = Jobs(store)
        self.workers = workers
        self.owner = owner or Owner(f"{socket.gethostname()}:{os.getpid()}", this_process())
        self._held: set[str] = set()  # jobs started in this process and not yet ended
        self._lost: set[str] = set()  # of those, the ones another server took over
        self._recovery: tuple[Any, Any] | None = None  # (runner_for, settle) for take-overs
        self._threads: list[threading.Thread] = []
        self._renewed = time.monotonic()  # when this server last renewed its leases
        self._pool: ThreadPoolExecutor | None = None
        self._listeners: list[Callable[[JobView], None]] = []
        self._cancel: set[str] = set()
        self._lock = threading.Lock()
        self._live: dict[str, tuple[int, int | None]] = {}  # progress of running jobs
        self._futures: set[Future[None]] = set()
        self._stopping = threading.Event()

    # --- life cycle -------------------------------------------------------------------

    def recover(
        self,
        runner_for: Callable[[JobView], Callable[[JobContext], dict[str, Any]] | None],
        settle: Callable[[JobView], Settlement | None] | None = None,
        *,
        keep_leases: bool = True,
    ) -> None:
        """At start-up: take over the jobs no live server holds (left by a stopped server,
        this one before a restart included), then keep renewing this server's leases and
        taking over jobs whose lease runs out, in a thread, until ``shutdown``
        (``keep_leases=False``: the caller calls ``tick`` itself)."""
        self._recovery = (runner_for, settle)
        self.reap()
        if not keep_leases:
            return
        thread = threading.Thread(target=self._keep_leases, name="hyperlexicon-leases", daemon=True)
        thread.start()
        self._threads.append(thread)

    def reap(self) -> int:
        """One look for jobs to take over (see ``Jobs.claimable``); returns how many this
        server took. A rebuild runs again here; ``settle`` may say what became of another (an
        import that had committed is done); the rest are ``interrupted``. A cancel asked for
        meanwhile is honoured."""
        if self._recovery is None or self.stopping:
            return 0
        candidates = self.records.list(states=LIVE, limit=10_000)
        if not candidates:
            return 0
        with self.store.read() as s:
            now = self.records.now(s)
        taken = 0
        for job in candidates:
            why = self.records.claimable(job, self.owner, now)
            if why is None or not self.records.claim(job, self.owner):
                continue  # still held, or another server was quicker
            taken += 1
            self._take_over(job, why)
        return taken

    def _take_over(self, job: JobView, why: str) -> None:
        runner_for, settle = self._recovery or (None, None)
        stopped = f"server {job.owner}" if job.owner else "the server"
        settled = settle(job) if settle is not None else None
        if settled is None and self.cancel_requested(job.id):
            self._finish(
                job.id,
                state="cancelled",
                error=f"cancelled while {stopped} was down; {not_kept(job.kind)}",
            )
            return
        runner = (
            runner_for(job)
            if runner_for is not None and settled is None and job.kind in RESUMABLE
            else None
        )
        if runner is not None:
            stale = self.records.side(job.id, "progress")
            if stale is not None:
                stale.unlink(missing_ok=True)
            self._set(job.id, state="queued", progress_done=0, error=None)
            self._start(job.id, job.kind, runner)
            log.warning(
                "job %s (%s) resumed by server %s: %s", job.id, job.kind, self.owner.server, why
            )
            return
        if settled is None:
            settled = (
                "interrupted",
                None,
                f"{stopped} stopped before this job started; nothing of it was done"
                if job.state == "queued"
                else f"{stopped} stopped while this job was running; {not_kept(job.kind)}",
            )
        state, result, error = settled
        self._finish(job.id, state=state, result=result, error=error)
        log.warning(
            "job %s (%s) found unfinished by server %s (%s): %s",
            job.id,
            job.kind,
            self.owner.server,
            why,
            state,
        )

    def _keep_leases(self) -> None:
        """Every third of the lease, until the server stops: ``tick``."""
        while not self._stopping.wait(self.owner.lease / 3):
            self.tick()

    def tick(self) -> None:
        """Renew this server's leases, stop what it lost, take over what expired. A server
        that cannot renew for a whole lease gives its jobs up itself: by then another may
        have taken them."""
        with self._lock:
            mine = set(self._held)
        try:
            held = self.records.heartbeat(self.owner)
            self._renewed = time.monotonic()
            lost = mine - held
        except Exception as exc:  # the database is away: the lease runs on
            log.warning("job leases not renewed: %s", str(exc).splitlines()[0])
            lost = mine if time.monotonic() - self._renewed > self.owner.lease else set()
        if lost:
            log.warning("job(s) %s taken over by another server: stopping", ", ".join(lost))
            with self._lock:
                self._lost |= lost
        try:
            self.reap()
        except Exception as exc:
            log.warning("looking for jobs to take over failed: %s", str(exc).splitlines()[0])

    def lost(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._lost

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="hyperlexicon-job"
            )
        return self._pool

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def shutdown(self, timeout: float = STOP_WAIT) -> None:
        """Queued jobs do not start (they stay queued, released for whichever server looks
        next); running ones stop at their next progress report and record why; wait up to
        ``timeout`` s for them."""
        self._stopping.set()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            with self._lock:
                running = list(self._futures)
            _, late = concurrent.futures.wait(running, timeout=timeout)
            if late:
                log.warning("%d job(s) still running at shutdown", len(late))
        for thread in self._threads:
            thread.join(timeout=5)
        with contextlib.suppress(Exception):  # a database gone too: the leases run out
            self.records.release(self.owner)

    def subscribe(self, listener: Callable[[JobView], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)
            watching = any(t.name == "hyperlexicon-job-watch" for t in self._threads)
            if not watching and not self.stopping:
                thread = threading.Thread(
                    target=self._watch, name="hyperlexicon-job-watch", daemon=True
                )
                self._threads.append(thread)
                thread.start()

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _watch(self) -> None:
        """Tell listeners about jobs other servers run (this one's are told as they change):
        a look at the newest jobs once a second while anyone listens."""
        seen: dict[str, tuple[Any, ...]] = {}
        while not self._stopping.wait(WATCH_EVERY):
            with self._lock:
                listening = bool(self._listeners)
            if not listening:
                seen.clear()
                continue
            try:
                views = self.records.list(limit=100)
            except Exception as exc:
                log.debug("job watch: %s", exc)
                continue
            for view in views:
                if view.owner_process == self.owner.process:
                    continue
                sig = (view.state, view.done, view.total, view.updated_at, view.owner)
                if seen.get(view.id) != sig:
                    if view.id in seen or view.state in LIVE:
                        self._notify(view)
                    seen[view.id] = sig

    # --- submitting and running ---------------------------------------------------------

    def submit(
        self,
        kind: str,
        lexicon: str,
        params: dict[str, Any],
        author: str,
        runner: Callable[[JobContext], dict[str, Any]],
    ) -> JobView:
        job_id = self.records.create(kind, lexicon, params, author, self.owner)
        self._start(job_id, kind, runner)
        return self.get(job_id)

    def _start(self, job_id: str, kind: str, runner: Callable[[JobContext], Any]) -> None:
        if self.stopping:
            return  # left queued: the next start decides
        with self._lock:
            self._held.add(job_id)
        future = self.pool.submit(self._run, job_id, kind, runner)
        with self._lock:
            self._futures.add(future)

        def forget(f: Future[None]) -> None:
            with self._lock:
                self._futures.discard(f)

        future.add_done_callback(forget)

    def _run(self, job_id: str, kind: str, runner: Callable[[JobContext], dict[str, Any]]) -> None:
        try:
            self._run_job(job_id, kind, runner)
        except Exception:  # its state could not be written: say so, once more, if we can
            log.exception("job %s: recording its state failed", job_id)
            with contextlib.suppress(Exception):
                self._finish(job_id, state="failed", error="the job's state could not be saved")
        finally:
            with self._lock:
                self._cancel.discard(job_id)
                self._live.pop(job_id, None)
                self._held.discard(job_id)
                self._lost.discard(job_id)

    def _run_job(
        self, job_id: str, kind: str, runner: Callable[[JobContext], dict[str, Any]]
    ) -> None:
        if self.stopping or self.lost(job_id):
            return
        if self.cancel_requested(job_id):
            self._finish(job_id, state="cancelled", error="cancelled before it started")
            return
        if not self._set(job_id, state="running"):
            log.warning("job %s: taken over by another server before it started", job_id)
            return
        ctx = JobContext(self, job_id)
        try:
            result = runner(ctx)
        except JobLost:  # the row is the new holder's: nothing to write
            log.warning("job %s stopped: another server took it over", job_id)
        except JobCancelled:
            self._finish(job_id, state="cancelled", error=f"cancelled; {not_kept(kind)}")
        except JobStopped:
            if kind in RESUMABLE:  # runs again at the next start
                self._set(job_id, state="queued", progress_done=0)
            else:
                self._finish(
                    job_id,
                    state="interrupted",
                    error=f"the server stopped while this job was running; {not_kept(kind)}",
                )
        except HyperlexiconError as exc:
            # the status (and error code) a request doing this work at once would have answered
            # with, so a client tells a conflict from bad input as it would without the job
            self._finish(
                job_id,
                state="failed",
                error=str(exc),
                result={"status": exc.status, "code": exc.code},
            )
        except Exception:  # the job failed; the server goes on
            log.exception("job %s failed", job_id)
            self._finish(job_id, state="failed", error="the job failed on an unexpected error")
        else:
            self._finish(
                job_id,
                state="done",
                result=result,
                progress_done=ctx.done,
                progress_total=ctx.total,
            )

    # --- state ------------------------------------------------------------------------

    def cancel(self, job_id: str) -> JobView:
        """Ask a job to stop (here at once; another process through the records)."""
        job = self.get(job_id)
        if job.state not in FINAL:
            with self._lock:
                self._cancel.add(job_id)
            self.records.cancel(job_id)
        return self.get(job_id)

    def cancel_requested(self, job_id: str) -> bool:
        with self._lock:
            if job_id in self._cancel:
                return True
        return self.records.cancel_requested(job_id)

    def _progress(self, job_id: str, done: int, total: int | None) -> None:
        with self._lock:
            self._live[job_id] = (done, total)
        self.records.share_progress(job_id, done, total)
        self._notify(self.get(job_id))

    def _finish(self, job_id: str, **values: Any) -> bool:
        if values.get("state") in FINAL:
            with self._lock:
                self._live.pop(job_id, None)
        done = self.records.finish(job_id, self.owner.process, **values)
        if done:
            self._notify(self.get(job_id))
        else:
            log.warning(
                "job %s: not recorded as %s: another server holds it", job_id, values.get("state")
            )
        return done

    def _set(self, job_id: str, **values: Any) -> bool:
        if values.get("state") in FINAL:
            with self._lock:
                self._live.pop(job_id, None)
        done = self.records.set(job_id, self.owner.process, **values)
        if done:
            self._notify(self.get(job_id))
        return done

    def _notify(self, view: JobView) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(view)
            except Exception:  # a listener's trouble is not the job's
                log.exception("job listener failed")

    def get(self, job_id: str) -> JobView:
        with self._lock:
            live = self._live.get(job_id)
        return self.records.overlay(self.records.get(job_id), live)

    def list(self, *, states: tuple[str, ...] | None = None, limit: int = 50) -> list[JobView]:
        with self._lock:
            live = dict(self._live)
        return [
            self.records.overlay(v, live.get(v.id))
            for v in self.records.list(states=states, limit=limit)
        ]
