"""Background jobs: long work (import, index rebuild, calibrate, batch encode) that outlives the
request that started it.

A job's state lives in SQL (the ``job`` table), so any client can follow it (``GET
/api/v1/jobs/{id}``, pushes over the WebSocket, ``hyperlexicon jobs``) and a restart can tell
the truth: a job that was running when the server stopped is marked ``interrupted`` — an
import ran in one transaction, so nothing of it was kept — except an index rebuild, which is
idempotent and simply runs again.

Progress while a job runs is kept in this process and pushed to listeners, and written to SQL
only with the job's final state: on SQLite an import holds the one write lock for its whole
transaction, so a progress row could not be written until the import had finished anyway.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from .. import models as M
from ..errors import HyperlexiconError, NotFoundError
from ..store import Store

log = logging.getLogger("hyperlexicon.jobs")
STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
FINAL = ("done", "failed", "cancelled", "interrupted")
RESUMABLE = ("rebuild",)  # idempotent: after a restart they run again from the start


class JobCancelled(Exception):
    """Raised inside a job (from its progress callback) when someone asked to cancel it."""


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
            "params": {k: v for k, v in self.params.items() if k != "path"},
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
        self._last = 0.0

    def set_total(self, total: int | None) -> None:
        self.total = total
        self._flush(force=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._flush()

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.25:
            return
        self._last = now
        if self.manager.cancel_requested(self.job_id):
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

    # --- life cycle -------------------------------------------------------------------

    def recover(
        self, runner_for: Callable[[JobView], Callable[[JobContext], dict[str, Any]] | None]
    ) -> None:
        """At start-up: jobs left queued or running by a stopped server."""
        for job in self.list(states=("queued", "running"), limit=10_000):
            runner = runner_for(job) if job.kind in RESUMABLE else None
            if runner is not None:
                self._set(job.id, state="queued", progress_done=0, error=None)
                self.pool.submit(self._run, job.id, runner)
                log.info("job %s (%s) resumed after a restart", job.id, job.kind)
            else:
                self._set(
                    job.id,
                    state="interrupted",
                    error=(
                        "the server stopped while this job was running; "
                        + (
                            "nothing of it was kept (it ran in one transaction)"
                            if job.kind == "import"
                            else "its work was not finished"
                        )
                    ),
                )

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="hyperlexicon-job"
            )
        return self._pool

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

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
        self.pool.submit(self._run, job_id, runner)
        return self.get(job_id)

    def _run(self, job_id: str, runner: Callable[[JobContext], dict[str, Any]]) -> None:
        if self.cancel_requested(job_id):
            self._set(job_id, state="cancelled")
            return
        self._set(job_id, state="running")
        ctx = JobContext(self, job_id)
        try:
            result = runner(ctx)
        except JobCancelled:
            self._set(job_id, state="cancelled", error="cancelled; nothing of it was kept")
        except HyperlexiconError as exc:
            from .problems import status_for

            # the status a request doing this work at once would have answered with, so a
            # client tells a conflict from bad input as it would without the job
            self._set(job_id, state="failed", error=str(exc), result={"status": status_for(exc)})
        except Exception:  # the job failed; the server goes on
            log.exception("job %s failed", job_id)
            self._set(job_id, state="failed", error="the job failed on an unexpected error")
        else:
            self._set(
                job_id,
                state="done",
                result=result,
                progress_done=ctx.done,
                progress_total=ctx.total,
            )

    # --- state ------------------------------------------------------------------------

    def cancel(self, job_id: str) -> JobView:
        job = self.get(job_id)
        if job.state in FINAL:
            return job
        with self._lock:
            self._cancel.add(job_id)
        self._set(job_id, cancel_requested=True)
        return self.get(job_id)

    def cancel_requested(self, job_id: str) -> bool:
        """Asked here, or by another process (``hyperlexicon jobs cancel`` writes the flag)."""
        with self._lock:
            if job_id in self._cancel:
                return True
        with self.store.read() as s:
            return bool(s.scalar(select(M.Job.cancel_requested).where(M.Job.id == job_id)))

    def _progress(self, job_id: str, done: int, total: int | None) -> None:
        with self._lock:
            self._live[job_id] = (done, total)
        self._notify(self.get(job_id))

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
        with self._lock:
            live = self._live.get(view.id)
        if live is None or view.state in FINAL:
            return view
        return dataclasses.replace(view, done=live[0], total=live[1])

    def list(self, *, states: tuple[str, ...] | None = None, limit: int = 50) -> list[JobView]:
        with self.store.read() as s:
            q = select(M.Job).order_by(M.Job.created_at.desc()).limit(limit)
            if states:
                q = q.where(M.Job.state.in_(states))
            return [self._overlay(_view(r)) for r in s.scalars(q)]


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
