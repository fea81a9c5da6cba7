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

Several servers on one database: a job has an **owner** (the server's id, for people, and the
process, for the checks) and a **lease**: the owner renews it every few seconds (``heartbeat``)
and another server may take the job over (``claim``) only once it has run out, or at once when
the owner is provably dead and was this same server before a restart. Lease times are the
database's clock on PostgreSQL (servers on several machines need not agree on the time), this
machine's on SQLite (one machine by nature); on SQLite the renewals go to ``<id>.lease`` beside
the database, since a running import holds the write lock the row would need.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

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
LIVE = ("queued", "running")  # the states a server holds a job in
LEASE = 30.0  # seconds a job's owner may stay silent before another server takes the job


@dataclass(frozen=True)
class Owner:
    """A server process that runs jobs: ``server`` names it for people (``jobs list``),
    ``process`` identifies this very process (``this_process``) and ``lease`` is how long its
    promise to be running a job holds without a renewal."""

    server: str
    process: str
    lease: float = LEASE


def this_process() -> str:
    """This process, so that another on the same machine can tell whether it still lives:
    ``host/pid/start/boot.pidns`` (its start time tells a reused pid from it; the boot id and
    the pid namespace say whether the pid means anything to the one asking). Off Linux: the
    host and a random id, which no one can check (leases alone then)."""
    host = socket.gethostname()
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
        namespace = os.stat("/proc/self/ns/pid").st_ino
        start = _start_time(os.getpid())
    except (OSError, ValueError):
        return f"{host}/{uuid.uuid4().hex}"
    return f"{host}/{os.getpid()}/{start}/{boot}.{namespace}"


def process_state(process: str | None) -> str:
    """``alive``, ``gone`` or ``unknown`` (another machine or namespace: only its lease
    speaks for it). Gone means provably: no such pid here, a pid since reused (another start
    time), a zombie, or a machine that has rebooted since."""
    if not process:
        return "gone"
    parts = process.split("/")
    mine = this_process().split("/")
    if len(parts) != 4 or len(mine) != 4 or parts[0] != mine[0]:
        return "unknown"
    boot, _, namespace = parts[3].partition(".")
    my_boot, _, my_namespace = mine[3].partition(".")
    if boot != my_boot:
        return "gone"  # the machine restarted since
    if namespace != my_namespace:
        return "unknown"
    try:
        pid, start = int(parts[1]), int(parts[2])
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return "gone"
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] in ("Z", "X") or int(fields[19]) != start:
        return "gone"
    return "alive"


def _start_time(pid: int) -> int:
    """A process's start time in clock ticks since boot (``/proc/<pid>/stat`` field 22)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


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
    owner: str | None = None  # the server running it (its id), None when no one holds it
    heartbeat_at: datetime | None = None  # when the owner last renewed its lease
    lease_until: datetime | None = None  # after this, another server may take it over
    owner_process: str | None = None  # the owner's process (host/pid/…): for the checks only

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
            "owner": self.owner,
            "heartbeat_at": _iso(self.heartbeat_at),
            "lease_until": _iso(self.lease_until),
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
            d.get("owner"),
            _from_iso(d.get("heartbeat_at")),
            _from_iso(d.get("lease_until")),
        )


class Jobs:
    """The job table of one database: records, state, checkpoints, shared progress, cancel."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(
        self,
        kind: str,
        lexicon: str,
        params: dict[str, Any],
        author: str,
        owner: Owner | None = None,
    ) -> str:
        """A queued job; with ``owner``, held by that server under a fresh lease."""
        job_id = M.new_id()
        with self.store.write() as s:
            now = self.now(s)
            held: dict[str, Any] = {}
            if owner is not None:
                held = {
                    "owner": owner.server[:200],
                    "owner_process": owner.process,
                    "heartbeat_at": now,
                    "lease_until": now + timedelta(seconds=owner.lease),
                }
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
                    **held,
                )
            )
        if owner is not None:
            self._write_lease(job_id, owner, now)
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
        process shared; and its lease as last renewed (a file on SQLite)."""
        if view.state in FINAL:
            return view
        lease = self._read_lease(view.id)
        if lease is not None and lease[0] == view.owner_process:
            view = dataclasses.replace(view, heartbeat_at=lease[1], lease_until=lease[2])
        if live is None and view.state == "running":
            live = self.shared_progress(view.id)
        if live is None:
            return view
        return dataclasses.replace(view, done=live[0], total=live[1])

    # --- owners and leases --------------------------------------------------------------------

    def now(self, s: Session) -> datetime:
        """The time leases are counted in: the database's clock on PostgreSQL, so that servers
        on several machines agree; this machine's on SQLite (one machine by nature)."""
        if s.get_bind().dialect.name == "postgresql":
            value = s.scalar(select(func.clock_timestamp()))
            if isinstance(value, datetime):
                return value.astimezone(UTC)
        return M.utcnow()

    def heartbeat(self, owner: Owner) -> set[str]:
        """Renew the lease of every live job ``owner`` holds; returns their ids. A job the
        owner thinks it runs and that is not among them was taken over: it must stop."""
        if self._files() is None:
            with self.store.write() as s:
                now = self.now(s)
                return set(
                    s.scalars(
                        update(M.Job)
                        .where(M.Job.owner_process == owner.process, M.Job.state.in_(LIVE))
                        .values(heartbeat_at=now, lease_until=now + timedelta(seconds=owner.lease))
                        .returning(M.Job.id)
                    ).all()
                )
        # SQLite: a read (an import's write lock must not hold the renewal up), then the files
        with self.store.read() as s:
            now = self.now(s)
            held = set(
                s.scalars(
                    select(M.Job.id).where(
                        M.Job.owner_process == owner.process, M.Job.state.in_(LIVE)
                    )
                ).all()
            )
        for job_id in held:
            self._write_lease(job_id, owner, now)
        return held

    def claimable(self, view: JobView, owner: Owner, now: datetime) -> str | None:
        """Why ``owner`` may take this live job over, or None while its holder may still be
        running it: no holder; a holder provably dead that was this same server (a restart);
        or a lease that has run out, its holder not provably alive."""
        if view.state not in LIVE or view.owner_process == owner.process:
            return None
        if view.owner_process is None:
            return "no server held it"
        state = process_state(view.owner_process)
        if state == "alive":
            return None  # on this machine and running: whatever its lease says
        if state == "gone" and view.owner == owner.server[:200]:
            return f"server {view.owner} stopped"
        if view.lease_until is None or view.lease_until < now:
            return f"the lease of server {view.owner} ran out"
        return None

    def claim(self, view: JobView, owner: Owner) -> bool:
        """Take a job over, if no one changed its holder or renewed its lease since ``view``
        was read (compare and set: of several servers trying, one wins)."""
        with self.store.write() as s:
            now = self.now(s)
            renewed = self._read_lease(view.id)  # SQLite: renewals go to the file
            if renewed and renewed[0] == view.owner_process and renewed[1] != view.heartbeat_at:
                return False
            taken = s.execute(
                update(M.Job)
                .where(
                    M.Job.id == view.id,
                    M.Job.state.in_(LIVE),
                    M.Job.owner_process.is_not_distinct_from(view.owner_process),
                    M.Job.heartbeat_at.is_not_distinct_from(self._row_heartbeat(s, view)),
                )
                .values(
                    owner=owner.server[:200],
                    owner_process=owner.process,
                    heartbeat_at=now,
                    lease_until=now + timedelta(seconds=owner.lease),
                    updated_at=now,
                )
            ).rowcount
        if taken:
            self._write_lease(view.id, owner, now)
        return bool(taken)

    def _row_heartbeat(self, s: Session, view: JobView) -> datetime | None:
        """The heartbeat the row held when ``view`` was read (on SQLite the view's comes from
        the lease file, the row keeps the one it was claimed with)."""
        if self.side(view.id, "lease") is None:
            return view.heartbeat_at
        return s.scalar(select(M.Job.heartbeat_at).where(M.Job.id == view.id))

    def release(self, owner: Owner) -> int:
        """A stopping server lets go of its queued jobs: the next server to look takes them."""
        with self.store.write() as s:
            ids = s.scalars(
                update(M.Job)
                .where(M.Job.owner_process == owner.process, M.Job.state == "queued")
                .values(owner_process=None, lease_until=None)
                .returning(M.Job.id)
            ).all()
        for job_id in ids:
            side = self.side(job_id, "lease")
            if side is not None:
                side.unlink(missing_ok=True)
        return len(ids)

    def _write_lease(self, job_id: str, owner: Owner, now: datetime) -> None:
        path = self.side(job_id, "lease")
        if path is None:
            return
        until = now + timedelta(seconds=owner.lease)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps([owner.process, now.timestamp(), until.timestamp()]))
            tmp.replace(path)
        except OSError as exc:  # the row's lease stands; the holder is alive on this machine
            log.warning("job %s: lease not renewed: %s", job_id, exc)

    def _read_lease(self, job_id: str) -> tuple[str, datetime, datetime] | None:
        path = self.side(job_id, "lease")
        if path is None:
            return None
        try:
            process, at, until = json.loads(path.read_text())
            return (
                str(process),
                datetime.fromtimestamp(float(at), UTC),
                datetime.fromtimestamp(float(until), UTC),
            )
        except (OSError, ValueError, TypeError):
            return None

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

    def set(self, job_id: str, holder: str | None = None, **values: Any) -> bool:
        """Update a job's row; with ``holder`` (a process), only while that process holds it:
        a server whose job was taken over must not overwrite what the new holder records.
        Returns whether the row was updated."""
        values["updated_at"] = M.utcnow()
        with self.store.write() as s:
            q = update(M.Job).where(M.Job.id == job_id)
            if holder is not None:
                q = q.where(M.Job.owner_process == holder)
            return bool(s.execute(q.values(**values)).rowcount)

    def finish(self, job_id: str, holder: str | None = None, **values: Any) -> bool:
        """Record a job's final state: retried, so that a busy database does not leave the
        job looking as if it still ran; a cancel asked for is recorded with it. No one holds
        a finished job."""
        if values.get("state") == "cancelled":
            values["cancel_requested"] = True
        if values.get("state") in FINAL:
            values.setdefault("lease_until", None)
        done = False
        for attempt in range(3):
            try:
                done = self.set(job_id, holder, **values)
                break
            except OperationalError:
                if attempt == 2:
                    raise
                log.warning("job %s: the database is busy; recording its end again", job_id)
        if not done:
            return False
        for what in ("cancel", "progress", "lease"):
            side = self.side(job_id, what)
            if side is not None:
                side.unlink(missing_ok=True)
        return True

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
        """A file beside a SQLite database about one job (``cancel``, ``progress``, ``lease``):
        what other processes must see while a job holds the one write lock. None elsewhere."""
        folder = self._files()
        return folder / f"{job_id}.{what}" if folder is not None else None

    def _files(self) -> Path | None:
        """``<db>-jobs`` beside a SQLite file; None on other databases (the row does)."""
        url = self.store.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        db = Path(url.database)
        return db.with_name(db.name + "-jobs")

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
        r.owner,
        r.heartbeat_at,
        r.lease_until,
        r.owner_process,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _from_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
