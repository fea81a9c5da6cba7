"""The server's state: one store and one index shared by every request, tokens, the rate
limiter, jobs and dialogues. Requests get a ``Lexicon`` view with their own author; all the
work is the same ``Lexicon`` facade the CLI uses.

Several servers may share one database and one Chroma server (docs/deploy.md): what a client
sees is in SQL (jobs and their leases, dialogues and their turns, the rate buckets) or Redis,
never only in this process. Each server has an id (``HYPERLEXICON_SERVER_ID``, by default
the host and a hash of the home) shown as the owner of the jobs it runs;
``HYPERLEXICON_JOB_LEASE`` seconds (default 30) of silence let another server take its jobs
over; every ``HYPERLEXICON_DRAIN_EVERY`` seconds (default 30, 0 for never) it drains the index
outbox, so changes a killed process left there reach the index without waiting for the next
write."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import models as M
from ..config import Settings
from ..errors import ConfigError, NotFoundError
from ..jobs import LEASE, Owner, this_process
from ..lexicon import Lexicon
from ..store import Store
from .jobs import JobContext, JobManager, JobStopped, JobView, Settlement
from .security import Principal, load_tokens, make_limiter

log = logging.getLogger("hyperlexicon.service")
MAX_BODY = 10 * 1024 * 1024  # bytes of a request body, unless HYPERLEXICON_MAX_BODY says


class Service:
    def __init__(self, settings: Settings, *, host: str = "127.0.0.1") -> None:
        self.settings = settings
        self.host = host
        self.tokens: dict[str, Principal] = load_tokens(settings.home)
        self.id = server_id(settings)
        self.lease = seconds("HYPERLEXICON_JOB_LEASE", LEASE, minimum=1)
        self.drain_every = seconds("HYPERLEXICON_DRAIN_EVERY", 30.0, minimum=0)
        self.max_body = int(os.environ.get("HYPERLEXICON_MAX_BODY", MAX_BODY))
        self.cors = [
            o.strip()
            for o in os.environ.get("HYPERLEXICON_CORS_ORIGINS", "").split(",")
            if o.strip()
        ]
        self.store = Store(settings.database_url)
        self.limiter = make_limiter(self.store)
        self._root = Lexicon(settings, store=self.store)
        self.jobs = JobManager(self.store, owner=Owner(self.id, this_process(), self.lease))
        self._stopping = threading.Event()
        # WebSocket requests run here: a bounded pool, not a thread per request
        self.ws_pool = ThreadPoolExecutor(
            max_workers=int(os.environ.get("HYPERLEXICON_WS_WORKERS", 32)),
            thread_name_prefix="hyperlexicon-ws",
        )
        self.uploads = settings.home / "uploads"
        self.uploads.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        # numpy imported here, before any thread of ours starts: two threads importing it
        # from different ends of its own import cycle (a resumed rebuild through chromadb's
        # ``numpy.typing``, the warm or a drain through ``numpy``) let one of them see a
        # partly initialised module, and the job failed on "cannot import name 'NDArray'
        # from partially initialized module 'numpy._typing'" (1 resumed rebuild in 15)
        import numpy  # noqa: F401

        self.jobs.recover(self.runner_for, self.settle)
        if self.settings.auto_index:
            # start-up drain (changes made while we were away, an import killed while it
            # indexed): behind a ready server, since embedding a big outbox takes minutes;
            # then again now and then, for what other processes leave behind
            threading.Thread(
                target=self._drain_loop, name="hyperlexicon-drain", daemon=True
            ).start()

    def warm(self) -> None:
        """Before the first request (``serve``): the default lexicon's encode loaded and what
        start-up made frozen (``Lexicon.warm``). A server whose lexicon is missing, or whose
        tables fail to load, starts all the same: the first request then loads them (and
        says what failed)."""
        try:
            self._root.warm()
        except Exception as exc:
            log.warning("not warmed (%s); the first request loads what it needs", exc)

    def _drain_loop(self) -> None:
        self._drain_all()
        while self.drain_every and not self._stopping.wait(self.drain_every):
            self._drain_all()

    def _drain_all(self) -> None:
        # a damaged or busy index, or a database gone for a moment, must not stop the server
        with contextlib.suppress(Exception):
            for lx in self.store.lexicons():
                if self._stopping.is_set():
                    return
                with contextlib.suppress(Exception):
                    self.lexicon(lx["name"]).sync()

    def stop(self) -> None:
        self._stopping.set()
        self.ws_pool.shutdown(wait=False, cancel_futures=True)
        self.jobs.shutdown()
        self.limiter.close()
        self._root.close()

    def lexicon(self, name: str | None = None, who: Principal | None = None) -> Lexicon:
        """A view of one lexicon for one request: shared store and index, its own author."""
        settings = self.settings.with_(author=who.name) if who is not None else self.settings
        return Lexicon(
            settings, name=name or self.settings.lexicon, store=self.store, index=self._root.index
        )

    # --- jobs -------------------------------------------------------------------------

    def save_upload(self, data: bytes, suffix: str) -> Path:
        fd, name = tempfile.mkstemp(dir=self.uploads, suffix=suffix)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return Path(name)

    def start_job(self, kind: str, lexicon: str, params: dict[str, Any], who: Principal) -> JobView:
        runner = self._runner(kind, lexicon, params, who.name)
        return self.jobs.submit(kind, lexicon, params, who.name, runner)

    def runner_for(self, job: JobView) -> Any:
        return self._runner(job.kind, job.lexicon, job.params, job.author)

    def settle(self, job: JobView) -> Settlement | None:
        """At start-up, what became of an import the server left unfinished: its upload
        goes; if its transaction had committed (the server died while it indexed, or
        between the commit and the job's end) it is ``done``, with what it kept. ``None``:
        nothing of it was kept (the job manager says so)."""
        if job.kind != "import":
            return None
        if job.params.get("path"):
            Path(job.params["path"]).unlink(missing_ok=True)
        result = job.params.get("_committed")
        if result is None and job.params.get("_revision_before") is not None:
            result = self._import_revisions(job)
        if result is None:
            return None
        note = (
            "the server stopped after this import was committed: all of it was kept; "
            "the index catches up from the outbox"
        )
        return "done", {**result, "recovered": note}, None

    def _last_revision(self) -> int:
        with self.store.read() as s:
            return int(s.scalar(select(func.max(M.Revision.id))) or 0)

    def _import_revisions(self, job: JobView) -> dict[str, Any] | None:
        """The revisions an import's transaction wrote, if it committed (found by where
        history stood when it began, its author and its reason)."""
        with self.store.read() as s:
            counts = dict(
                s.execute(
                    select(M.Revision.op, func.count())
                    .join(M.Lexicon, M.Lexicon.id == M.Revision.lexicon_id)
                    .where(
                        M.Lexicon.name == job.lexicon,
                        M.Revision.id > int(job.params["_revision_before"]),
                        M.Revision.author == job.author,
                        M.Revision.reason == import_reason(job.params),
                    )
                    .group_by(M.Revision.op)
                ).all()
            )
        if not counts:
            return None
        return {"created": counts.get("create", 0), "updated": counts.get("update", 0)}

    def _runner(self, kind: str, lexicon: str, params: dict[str, Any], author: str) -> Any:
        lex = self.lexicon(lexicon, Principal(author, "admin"))

        def run_import(ctx: JobContext) -> dict[str, Any]:
            path = Path(params["path"])
            # where history stood: a restart finds this import's revisions after it
            ctx.note(_revision_before=self._last_revision())
            # the transaction first, without indexing, so the job can say it was kept
            quiet = Lexicon(
                self.settings.with_(author=author, auto_index=False), name=lexicon, store=self.store
            )
            try:
                with path.open("rb") as stream:  # errors name the uploaded file, not the copy
                    report = quiet.import_stream(
                        stream,
                        params.get("filename") or path.name,
                        format=params["format"],
                        on_conflict=params.get("on_conflict", "fail"),
                        repair=params.get("repair", True),
                        strict=params.get("strict", False),
                        reason=import_reason(params),
                        progress=ctx.advance,
                    )
            finally:
                path.unlink(missing_ok=True)
            ctx.keep()  # committed: from here on the job ends done, whatever happens
            result = report.to_dict()
            ctx.note(_committed=result)
            try:
                ctx.set_total(ctx.done)
                if self.settings.auto_index:  # then the index; the outbox has it if this stops
                    lex.sync(progress=lambda _n: ctx.check())
            except JobStopped:
                result["index"] = "the server stopped; the index catches up when it starts"
            except Exception as exc:  # the entries are kept whatever the index does
                log.warning("import job %s: indexing failed: %s", ctx.job_id, exc)
                result["index"] = f"saved; the index will catch up later ({exc})"
            return result

        def run_rebuild(ctx: JobContext) -> dict[str, Any]:
            ctx.set_total(lex.store.count(lex.name))
            return {"documents": lex.rebuild_index(progress=ctx.advance)}

        def run_calibrate(ctx: JobContext) -> dict[str, Any]:
            ctx.set_total(1)
            result = lex.calibrate(
                target_precision=params.get("target_precision"),
                folds=int(params.get("folds", 5)),
                dry_run=bool(params.get("dry_run", False)),
                weight_floor=params.get("weight_floor"),
                weights=bool(params.get("weights", False)),
            )
            ctx.advance()
            return result.to_dict()

        def run_encode_batch(ctx: JobContext) -> dict[str, Any]:
            texts = [t for t in params["texts"] if t.strip()]
            ctx.set_total(len(texts))
            out = []
            for text in texts:
                scene = lex.encode(text, register=params.get("register"), stability=False)
                out.append(
                    {"text": text, "hyperstring": scene.hyperstring, "query_id": scene.query_id}
                )
                ctx.advance()
            return {"scenes": out}

        runners = {
            "import": run_import,
            "rebuild": run_rebuild,
            "calibrate": run_calibrate,
            "encode-batch": run_encode_batch,
        }
        if kind not in runners:
            raise NotFoundError(f"no job kind {kind!r}")
        return runners[kind]

    # --- dialogues --------------------------------------------------------------------

    def new_dialogue(self, lexicon: str, who: Principal) -> str:
        dialogue_id = M.new_id()
        with self.store.write() as s:
            s.add(M.Dialogue(id=dialogue_id, lexicon=lexicon, author=who.name))
        return dialogue_id

    def resume(self, dialogue_id: str, after: int = 0) -> dict[str, Any]:
        """What a client reconnecting to any server needs, all from SQL: the dialogue's
        lexicon and author, the turns after ``after`` (the last one it has; 0: all of them)
        and the number of the last turn, which is its resume point from then on."""
        lexicon, author, turns = self.dialogue(dialogue_id)
        return {
            "lexicon": lexicon,
            "author": author,
            "turns": [t for t in turns if t["turn"] > after],
            "last_turn": turns[-1]["turn"] if turns else 0,
        }

    def dialogue_turns(self, dialogue_id: str) -> tuple[str, list[dict[str, Any]]]:
        lexicon, _, turns = self.dialogue(dialogue_id)
        return lexicon, turns

    def dialogue(self, dialogue_id: str) -> tuple[str, str, list[dict[str, Any]]]:
        """A dialogue's lexicon, author and turns."""
        with self.store.read() as s:
            d = s.get(M.Dialogue, dialogue_id)
            if d is None:
                raise NotFoundError(f"no dialogue {dialogue_id}")
            turns = s.scalars(
                select(M.DialogueTurn)
                .where(M.DialogueTurn.dialogue_id == dialogue_id)
                .order_by(M.DialogueTurn.seq)
            )
            return (
                d.lexicon,
                d.author,
                [
                    {
                        "turn": t.seq,
                        "request": t.request,
                        "result": t.result,
                        "query_id": t.query_id,
                    }
                    for t in turns
                ],
            )

    def add_turn(
        self,
        dialogue_id: str,
        request: dict[str, Any],
        result: dict[str, Any],
        query_id: int | None,
    ) -> int:
        """Append a turn. Two connections on one dialogue may both take the next number; on
        PostgreSQL the unique (dialogue, seq) then refuses one, which takes the next."""
        for attempt in range(5):
            try:
                return self._add_turn(dialogue_id, request, result, query_id)
            except IntegrityError:
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    def _add_turn(
        self,
        dialogue_id: str,
        request: dict[str, Any],
        result: dict[str, Any],
        query_id: int | None,
    ) -> int:
        with self.store.write() as s:
            seq = (
                int(
                    s.scalar(
                        select(func.coalesce(func.max(M.DialogueTurn.seq), 0)).where(
                            M.DialogueTurn.dialogue_id == dialogue_id
                        )
                    )
                    or 0
                )
                + 1
            )
            s.add(
                M.DialogueTurn(
                    dialogue_id=dialogue_id,
                    seq=seq,
                    request=request,
                    result=result,
                    query_id=query_id,
                )
            )
            s.execute(
                update(M.Dialogue).where(M.Dialogue.id == dialogue_id).values(updated_at=M.utcnow())
            )
            s.flush()  # a taken number fails here, inside the retry
            return seq


def server_id(settings: Settings) -> str:
    """``HYPERLEXICON_SERVER_ID``, or ``<host>-<6 hex of the home's path>``: what ``jobs list``
    shows as a job's owner. A server restarted with the same id settles its own unfinished
    jobs at once (it knows its former process is gone); another server waits for their
    leases."""
    import hashlib
    import socket

    given = os.environ.get("HYPERLEXICON_SERVER_ID", "").strip()
    if given:
        if len(given) > 200 or not given.isprintable():
            raise ConfigError("HYPERLEXICON_SERVER_ID: up to 200 printable characters")
        return given
    home = hashlib.sha1(str(settings.home.resolve()).encode()).hexdigest()[:6]
    return f"{socket.gethostname()[:100]}-{home}"


def seconds(name: str, default: float, *, minimum: float) -> float:
    """A duration setting from the environment: a number of seconds, at least ``minimum``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= minimum or value == float("inf"):
        raise ConfigError(f"{name}: a number of seconds, at least {minimum:g} (got {raw!r})")
    return value


def import_reason(params: dict[str, Any]) -> str:
    """The reason an import job's revisions carry."""
    return params.get("reason") or f"import {Path(params.get('filename') or params['path']).name}"
