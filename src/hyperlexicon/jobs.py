"""Job records: long work (import, index rebuild, calibrate, batch encode) kept in SQL, so that
it outlives the request that started it and any process can follow or cancel it.

This is the data side: creating, reading, listing a job, its state, its checkpoints, the
progress another process shares, and the cancel flag. Running jobs is the server's business
(``server.jobs.JobManager``, a thread pool over these records); the facade's ``jobs()`` and
``hyperlexicon jobs`` read and cancel through this module alone.

On SQLite an import holds the one write lock for its whole transaction, so a cancel goes
through a file next to the database (``<db>-jobs/<id>.cancel``) which another process can write
while the import holds the lock, and progress through ``<id>.progress``; on other databases
both are the job's row.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from . import models as M
from .errors import NotFoundError
from .store import Store

log = logging.getLogger("hyperlexicon.jobs")
STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
FINAL = ("done", "failed", "cancelled", "interrupted")
RESUMABLE = ("rebuild",)  # idempotent: after a restart they run again from the start
# what a job that stopped before its end leaves behind, by kind
NOT_KEPT = {
    "import": "nothing of it was kept (it ran in one transaction)",
    "rebuild": "the index was left as it was",
}
NOT_FINISHED = "its work was not finished"


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


class Jobs:
    """The job table of one database: records, state, checkpoints, shared progress, cancel."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, kind: str, lexicon: str, params: dict[str, Any], author: str) -> str:
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
        return job_id

    def get(self, job_id: str) -> JobView:
        with self.store.read() as s:
            row = s.get(M.Job, job_id)
            if row is None:
                raise NotFoundError(f"no job {job_id}")
            return self.overlay(_view(row))

    def list(self, *, states: tuple[str, ...] | None = None, limit: int = 50) -> list[JobView]:
        with self.store.read() as s:
            q = select(M.Job).order_by(M.Job.created_at.desc()).limit(limit)
            if states:
                q = q.where(M.Job.state.in_(states))
            return [self.overlay(_view(r)) for r in s.scalars(q)]

    def overlay(self, view: JobView, live: tuple[int, int | None] | None = None) -> JobView:
        """A running job's progress: ``live`` (the running process's own) or what the running
        process shared."""
        if view.state in FINAL:
            return view
        if live is None and view.state == "running":
            live = self.shared_progress(view.id)
        if live is None:
            return view
        return dataclasses.replace(view, done=live[0], total=live[1])

    # --- cancel ---------------------------------------------------------------------------

    def cancel(self, job_id: str) -> JobView:
        """Ask a job to stop; it stops at its next progress report. Works from any process
        on the database (``hyperlexicon jobs cancel``), and never waits for a write lock."""
        job = self.get(job_id)
        if job.state in FINAL:
            return job
        signal = self.side(job_id, "cancel")
        if signal is not None:  # SQLite: the running job may hold the one write lock
            signal.parent.mkdir(parents=True, exist_ok=True)
            signal.touch()
        else:
            self.set(job_id, cancel_requested=True)
        return self.get(job_id)

    def cancel_requested(self, job_id: str) -> bool:
        """Asked by any process: the file on SQLite, the row's flag elsewhere."""
        signal = self.side(job_id, "cancel")
        if signal is not None and signal.exists():
            return True
        with self.store.read() as s:
            return bool(s.scalar(select(M.Job.cancel_requested).where(M.Job.id == job_id)))

    # --- state and checkpoints --------------------------------------------------------------

    def set(self, job_id: str, **values: Any) -> None:
        values["updated_at"] = M.utcnow()
        with self.store.write() as s:
            s.execute(update(M.Job).where(M.Job.id == job_id).values(**values))

    def finish(self, job_id: str, **values: Any) -> None:
        """Record a job's final state: retried, so that a busy database does not leave the
        job looking as if it still ran; a cancel asked for is recorded with it."""
        if values.get("state") == "cancelled":
            values["cancel_requested"] = True
        for attempt in range(3):
            try:
                self.set(job_id, **values)
                break
            except OperationalError:
                if attempt == 2:
                    raise
                log.warning("job %s: the database is busy; recording its end again", job_id)
        for what in ("cancel", "progress"):
            side = self.side(job_id, what)
            if side is not None:
                side.unlink(missing_ok=True)

    def note(self, job_id: str, values: dict[str, Any]) -> None:
        """Record checkpoints in the job's row (names start with ``_``), for a restart."""
        with self.store.write() as s:
            row = s.get(M.Job, job_id)
            if row is None:
                raise NotFoundError(f"no job {job_id}")
            row.params = {**(row.params or {}), **values}
            row.updated_at = M.utcnow()

    # --- progress shared between processes -----------------------------------------------

    def side(self, job_id: str, what: str) -> Path | None:
        """A file beside a SQLite database about one job (``cancel``, ``progress``): what
        other processes must see while a job holds the one write lock. None elsewhere."""
        url = self.store.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        db = Path(url.database)
        return db.with_name(db.name + "-jobs") / f"{job_id}.{what}"

    def share_progress(self, job_id: str, done: int, total: int | None) -> None:
        """Progress for other processes (``hyperlexicon jobs`` on the same database): a file
        on SQLite, whose write lock a running import holds; the row elsewhere. Best effort."""
        path = self.side(job_id, "progress")
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

    def shared_progress(self, job_id: str) -> tuple[int, int | None] | None:
        path = self.side(job_id, "progress")
        if path is None:
            return None
        try:
            done, total = json.loads(path.read_text())
            return int(done), total
        except (OSError, ValueError, TypeError):
            return None


def not_kept(kind: str) -> str:
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
