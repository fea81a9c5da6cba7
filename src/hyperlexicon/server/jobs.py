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
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..errors import HyperlexiconError
from ..jobs import FINAL, RESUMABLE, Jobs, JobView, not_kept
from ..store import Store

log = logging.getLogger("hyperlexicon.jobs")
STOP_WAIT = 10.0  # seconds a stopping server waits for its running jobs to wind down

# (state, result, error) a service decides for a job found unfinished at start-up
Settlement = tuple[str, dict[str, Any] | None, str | None]


class JobCancelled(Exception):
    """Raised inside a job (from its progress callback) when someone asked to cancel it."""


class JobStopped(Exception):
    """Raised inside a job (from its progress callback) when the server is stopping."""


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
        if not self.kept and self.manager.cancel_requested(self.job_id):
            raise JobCancelled
        self.manager._progress(self.job_id, self.done, self.total)


class JobManager:
    def __init__(self, store: Store, workers: int = 2) -> None:
        self.store = store
        self.records = Jobs(store)
        self.workers = workers
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
    ) -> None:
        """At start-up: jobs left queued or running by a stopped server. A rebuild runs again;
        ``settle`` may say what became of another (an import that had committed is done);
        the rest are ``interrupted``. A cancel asked for meanwhile is honoured."""
        for job in self.list(states=("queued", "running"), limit=10_000):
            settled = settle(job) if settle is not None else None
            if settled is None and self.cancel_requested(job.id):
                self._finish(
                    job.id,
                    state="cancelled",
                    error=f"cancelled while the server was stopped; {not_kept(job.kind)}",
                )
                continue
            runner = runner_for(job) if settled is None and job.kind in RESUMABLE else None
            if runner is not None:
                stale = self.records.side(job.id, "progress")
                if stale is not None:
                    stale.unlink(missing_ok=True)
                self._set(job.id, state="queued", progress_done=0, error=None)
                self._start(job.id, job.kind, runner)
                log.warning("job %s (%s) resumed after a restart", job.id, job.kind)
                continue
            if settled is None:
                settled = (
                    "interrupted",
                    None,
                    "the server stopped before this job started; nothing of it was done"
                    if job.state == "queued"
                    else f"the server stopped while this job was running; {not_kept(job.kind)}",
                )
            state, result, error = settled
            self._finish(job.id, state=state, result=result, error=error)
            log.warning("job %s (%s) found unfinished after a restart: %s", job.id, job.kind, state)

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
        """Queued jobs do not start (they stay queued for the next start); running ones stop
        at their next progress report and record why; wait up to ``timeout`` s for them."""
        self._stopping.set()
        if self._pool is None:
            return
        self._pool.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            running = list(self._futures)
        _, late = concurrent.futures.wait(running, timeout=timeout)
        if late:
            log.warning("%d job(s) still running at shutdown", len(late))

    def subscribe(self, listener: Callable[[JobView], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    # --- submitting and running ---------------------------------------------------------

    def submit(
        self,
        kind: str,
        lexicon: str,
        params: dict[str, Any],
        author: str,
        runner: Callable[[JobContext], dict[str, Any]],
    ) -> JobView:
        job_id = self.records.create(kind, lexicon, params, author)
        self._start(job_id, kind, runner)
        return self.get(job_id)

    def _start(self, job_id: str, kind: str, runner: Callable[[JobContext], Any]) -> None:
        if self.stopping:
            return  # left queued: the next start decides
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

    def _run_job(
        self, job_id: str, kind: str, runner: Callable[[JobContext], dict[str, Any]]
    ) -> None:
        if self.stopping:
            return
        if self.cancel_requested(job_id):
            self._finish(job_id, state="cancelled", error="cancelled before it started")
            return
        self._set(job_id, state="running")
        ctx = JobContext(self, job_id)
        try:
            result = runner(ctx)
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

    def _finish(self, job_id: str, **values: Any) -> None:
        if values.get("state") in FINAL:
            with self._lock:
                self._live.pop(job_id, None)
        self.records.finish(job_id, **values)
        self._notify(self.get(job_id))

    def _set(self, job_id: str, **values: Any) -> None:
        if values.get("state") in FINAL:
            with self._lock:
                self._live.pop(job_id, None)
        self.records.set(job_id, **values)
        self._notify(self.get(job_id))

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
