"""Background jobs: long work (import, index rebuild, calibrate, batch encode) that outlives the
request that started it.

A job's state lives in SQL (the ``job`` table), so any client can follow it (``GET
/api/v1/jobs/{id}``, pushes over the WebSocket, ``hyperlexicon jobs``) and a restart can tell
the truth: a job that was running when the server stopped is marked ``interrupted`` — an
import ran in one transaction, so nothing of it was kept — except an index rebuild, which is
idempotent and simply runs again, and a job whose work had already been kept (an import killed
after its commit, while it indexed) which the service settles as what it is: ``done``.

Progress while a job runs is kept in this process and pushed to listeners, and written to SQL
only with the job's final state: on SQLite an import holds the one write lock for its whole
transaction, so a progress row could not be written until the import had finished anyway. For
the same reason a cancel on SQLite goes through a file next to the database (``<db>-jobs/<id>
.cancel``), which another process (``hyperlexicon jobs cancel``) can write while the import
holds the lock; on other databases it is the job row's ``cancel_requested`` flag.

A server that stops (SIGTERM) asks its running jobs to stop at their next progress report and
waits a little for them: an import rolls back and is marked ``interrupted``, a rebuild is left
``queued`` to run again at the next start.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from .. import models as M
from ..errors import HyperlexiconError, NotFoundError
from ..store import Store

log = logging.getLogger("hyperlexicon.jobs")
STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
FINAL = ("done", "failed", "cancelled", "interrupted")
RESUMABLE = ("rebuild",)  # idempotent: after a restart they run again from the start
STOP_WAIT = 10.0  # seconds a stopping server waits for its running jobs to wind down
# what a job that stopped before its end leaves behind, by kind
NOT_KEPT = {
    "import": "nothing of it was kept (it ran in one transaction)",
    "rebuild": "the index was left as it was",
}
NOT_FINISHED = "its work was not finished"

# (state, result, error) a service decides for a job found unfinished at start-up
Settlement = tuple[str, dict[str, Any] | None, str | None]


class JobCancelled(Exception):
    """Raised inside a job (from its progress callback) when someone asked to cancel it."""


class JobStopped(Exception):
    """Raised inside a job (from its progress callback) when the server is stopping."""


@dataclass(frozen=True)
class JobView:
    id: str
    lexicon: str
    kind: str
    state: str
    done: int
    total: int | None
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    author: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lexicon": self.lexicon,
            "kind": self.kind,
            "state": self.state,
            "progress": {"done": self.done, "total": self.total},
            # the upload's path and the job's own checkpoints ("_…") are not the client's
            "params": {
                k: v for k, v in self.params.items() if k != "path" and not k.startswith("_")
            },
            "result": self.result,
            "error": self.error,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> JobView:
        return cls(
            d["id"],
            d["lexicon"],
            d["kind"],
            d["state"],
            int(d["progress"]["done"]),
            d["progress"].get("total"),
            dict(d.get("params") or {}),
            d.get("result"),
            d.get("error"),
            d["author"],
            datetime.fromisoformat(d["created_at"]),
            datetime.fromisoformat(d["updated_at"]),
        )


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
        self.manager._note(self.job_id, values)

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
                    error=f"cancelled while the server was stopped; {_not_kept(job.kind)}",
                )
                continue
            runner = runner_for(job) if settled is None and job.kind in RESUMABLE else None
            if runner is not None:
                stale = self._side(job.id, "progress")
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
                    else f"the server stopped while this job was running; {_not_kept(job.kind)}",
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
        job_id = str(uuid.uuid4())
        now = M.utcnow()
        with self.store.write() as s:
            s.add(
                M.Job(
                    id=job_id,
                    lexicon=lexicon,
                    kind=kind,
                    state="queued",
                    progress_done=0,
                    params=params,
                    author=author,
                    cancel_requested=False,
                    created_at=now,
                    updated_at=now,
                )
            )
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
            self._finish(job_id, state="cancelled", error=f"cancelled; {_not_kept(kind)}")
        except JobStopped:
            if kind in RESUMABLE:  # runs again at the next start
                self._set(job_id, state="queued", progress_done=0)
            else:
                self._finish(
                    job_id,
                    state="interrupted",
                    error=f"the server stopped while this job was running; {_not_kept(kind)}",
                )
        except HyperlexiconError as exc:
            from .problems import status_for

            # the status a request doing this work at once would have answered with, so a
            # client tells a conflict from bad input as it would without the job
            self._finish(job_id, state="failed", error=str(exc), result={"status": status_for(exc)})
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
        """Ask a job to stop; it stops at its next progress report. Works from any process
        on the database (``hyperlexicon jobs cancel``), and never waits for a write lock."""
        job = self.get(job_id)
        if job.state in FINAL:
            return job
        with self._lock:
            self._cancel.add(job_id)
        signal = self._signal(job_id)
        if signal is not None:  # SQLite: the running job may hold the one write lock
            signal.parent.mkdir(parents=True, exist_ok=True)
            signal.touch()
        else:
            self._set(job_id, cancel_requested=True)
        return self.get(job_id)

    def cancel_requested(self, job_id: str) -> bool:
        """Asked here, or by another process (``hyperlexicon jobs cancel``): the file on
        SQLite, the row's flag elsewhere."""
        with self._lock:
            if job_id in self._cancel:
                return True
        signal = self._signal(job_id)
        if signal is not None and signal.exists():
            return True
        with self.store.read() as s:
            return bool(s.scalar(select(M.Job.cancel_requested).where(M.Job.id == job_id)))

    def _side(self, job_id: str, what: str) -> Path | None:
        """A file beside a SQLite database about one job (``cancel``, ``progress``): what
        other processes must see while a job holds the one write lock. None elsewhere."""
        url = self.store.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        db = Path(url.database)
        return db.with_name(db.name + "-jobs") / f"{job_id}.{what}"

    def _signal(self, job_id: str) -> Path | None:
        return self._side(job_id, "cancel")

    def _progress(self, job_id: str, done: int, total: int | None) -> None:
        with self._lock:
            self._live[job_id] = (done, total)
        self._share_progress(job_id, done, total)
        self._notify(self.get(job_id))

    def _share_progress(self, job_id: str, done: int, total: int | None) -> None:
        """Progress for other processes (``hyperlexicon jobs`` on the same database): a file
        on SQLite, whose write lock a running import holds; the row elsewhere. Best effort."""
        path = self._side(job_id, "progress")
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(path.name + ".tmp")
                tmp.write_text(json.dumps([done, total]))
                tmp.replace(path)
            else:
                with self.store.write() as s:
                    s.execute(
                        update(M.Job)
                        .where(M.Job.id == job_id, M.Job.state == "running")
                        .values(progress_done=done, progress_total=total)
                    )
        except Exception as exc:  # progress is a courtesy; the job goes on
            log.debug("job %s: progress not shared: %s", job_id, exc)

    def _shared_progress(self, job_id: str) -> tuple[int, int | None] | None:
        path = self._side(job_id, "progress")
        if path is None:
            return None
        try:
            done, total = json.loads(path.read_text())
            return int(done), total
        except (OSError, ValueError, TypeError):
            return None

    def _note(self, job_id: str, values: dict[str, Any]) -> None:
        with self.store.write() as s:
            row = s.get(M.Job, job_id)
            if row is None:
                raise NotFoundError(f"no job {job_id}")
            row.params = {**(row.params or {}), **values}
            row.updated_at = M.utcnow()

    def _finish(self, job_id: str, **values: Any) -> None:
        """Record a job's final state: retried, so that a busy database does not leave the
        job looking as if it still ran; a cancel asked for is recorded with it."""
        if values.get("state") == "cancelled":
            values["cancel_requested"] = True
        for attempt in range(3):
            try:
                self._set(job_id, **values)
                break
            except OperationalError:
                if attempt == 2:
                    raise
                log.warning("job %s: the database is busy; recording its end again", job_id)
        for what in ("cancel", "progress"):
            side = self._side(job_id, what)
            if side is not None:
                side.unlink(missing_ok=True)

    def _set(self, job_id: str, **values: Any) -> None:
        values["updated_at"] = M.utcnow()
        if values.get("state") in FINAL:
            with self._lock:
                self._live.pop(job_id, None)
        with self.store.write() as s:
            s.execute(update(M.Job).where(M.Job.id == job_id).values(**values))
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
        with self.store.read() as s:
            row = s.get(M.Job, job_id)
            if row is None:
                raise NotFoundError(f"no job {job_id}")
            return self._overlay(_view(row))

    def _overlay(self, view: JobView) -> JobView:
        """A running job's progress: this process's own, or what the running process shared."""
        if view.state in FINAL:
            return view
        with self._lock:
            live = self._live.get(view.id)
        if live is None and view.state == "running":
            live = self._shared_progress(view.id)
        if live is None:
            return view
        return dataclasses.replace(view, done=live[0], total=live[1])

    def list(self, *, states: tuple[str, ...] | None = None, limit: int = 50) -> list[JobView]:
        with self.store.read() as s:
            q = select(M.Job).order_by(M.Job.created_at.desc()).limit(limit)
            if states:
                q = q.where(M.Job.state.in_(states))
            return [self._overlay(_view(r)) for r in s.scalars(q)]


def _not_kept(kind: str) -> str:
    return NOT_KEPT.get(kind, NOT_FINISHED)


def _view(r: M.Job) -> JobView:
    return JobView(
        r.id,
        r.lexicon,
        r.kind,
        r.state,
        r.progress_done,
        r.progress_total,
        r.params or {},
        r.result,
        r.error,
        r.author,
        r.created_at,
        r.updated_at,
    )
