"""The server's state: one store and one index shared by every request, tokens, the rate
limiter, jobs and dialogues. Requests get a ``Lexicon`` view with their own author; all the
work is the same ``Lexicon`` facade the CLI uses."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import models as M
from ..config import Settings
from ..errors import NotFoundError
from ..lexicon import Lexicon
from ..store import Store
from .jobs import JobContext, JobManager, JobStopped, JobView, Settlement
from .security import Principal, RateLimiter, load_tokens

log = logging.getLogger("hyperlexicon.service")
MAX_BODY = 10 * 1024 * 1024  # bytes of a request body, unless HYPERLEXICON_MAX_BODY says


class Service:
    def __init__(self, settings: Settings, *, host: str = "127.0.0.1") -> None:
        self.settings = settings
        self.host = host
        self.tokens: dict[str, Principal] = load_tokens(settings.home)
        self.limiter = RateLimiter.from_env()
        self.max_body = int(os.environ.get("HYPERLEXICON_MAX_BODY", MAX_BODY))
        self.cors = [
            o.strip()
            for o in os.environ.get("HYPERLEXICON_CORS_ORIGINS", "").split(",")
            if o.strip()
        ]
        self.store = Store(settings.database_url)
        self._root = Lexicon(settings, store=self.store)
        self.jobs = JobManager(self.store)
        # WebSocket requests run here: a bounded pool, not a thread per request
        self.ws_pool = ThreadPoolExecutor(
            max_workers=int(os.environ.get("HYPERLEXICON_WS_WORKERS", 32)),
            thread_name_prefix="hyperlexicon-ws",
        )
        self.uploads = settings.home / "uploads"
        self.uploads.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self.jobs.recover(self.runner_for, self.settle)
        if self.settings.auto_index:
            # start-up drain (changes made while we were away, an import killed while it
            # indexed): behind a ready server, since embedding a big outbox takes minutes
            threading.Thread(target=self._drain_all, name="hyperlexicon-drain", daemon=True).start()

    def _drain_all(self) -> None:
        for lx in self.store.lexicons():
            # a damaged or busy index must not keep the server down
            with contextlib.suppress(Exception):
                self.lexicon(lx["name"]).sync()

    def stop(self) -> None:
        self.ws_pool.shutdown(wait=False, cancel_futures=True)
        self.jobs.shutdown()
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
        dialogue_id = str(uuid.uuid4())
        with self.store.write() as s:
            s.add(M.Dialogue(id=dialogue_id, lexicon=lexicon, author=who.name))
        return dialogue_id

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


def import_reason(params: dict[str, Any]) -> str:
    """The reason an import job's revisions carry."""
    return params.get("reason") or f"import {Path(params.get('filename') or params['path']).name}"
