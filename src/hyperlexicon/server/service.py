"""The server's state: one store and one index shared by every request, tokens, the rate
limiter, jobs and dialogues. Requests get a ``Lexicon`` view with their own author; all the
work is the same ``Lexicon`` facade the CLI uses."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from .. import models as M
from ..config import Settings
from ..errors import NotFoundError
from ..lexicon import Lexicon
from ..store import Store
from .jobs import JobContext, JobManager, JobView
from .security import Principal, RateLimiter, load_tokens

MAX_BODY = int(os.environ.get("HYPERLEXICON_MAX_BODY", 10 * 1024 * 1024))


class Service:
    def __init__(self, settings: Settings, *, host: str = "127.0.0.1") -> None:
        self.settings = settings
        self.host = host
        self.tokens: dict[str, Principal] = load_tokens(settings.home)
        self.limiter = RateLimiter(
            float(os.environ.get("HYPERLEXICON_RATE", 20)),
            int(os.environ.get("HYPERLEXICON_BURST", 60)),
        )
        self.max_body = MAX_BODY
        self.cors = [
            o.strip()
            for o in os.environ.get("HYPERLEXICON_CORS_ORIGINS", "").split(",")
            if o.strip()
        ]
        self.store = Store(settings.database_url)
        self._root = Lexicon(settings, store=self.store)
        self.jobs = JobManager(self.store)
        self.uploads = settings.home / "uploads"
        self.uploads.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self.jobs.recover(self.runner_for)
        if self.settings.auto_index:  # start-up drain: changes made while we were away
            for lx in self.store.lexicons():
                # a damaged or busy index must not keep the server down
                with contextlib.suppress(Exception):
                    self.lexicon(lx["name"]).sync()

    def stop(self) -> None:
        self.jobs.shutdown()
        self._root.close()

    def lexicon(self, name: str | None = None, who: Principal | None = None) -> Lexicon:
        """A view of one lexicon for one request: shared store and index, its own author."""
        settings = self.settings.with_(author=who.name) if who is not None else self.settings
        view = Lexicon(settings, name=name or self.settings.lexicon, store=self.store)
        view._index = self._root.index
        return view

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

    def _runner(self, kind: str, lexicon: str, params: dict[str, Any], author: str) -> Any:
        lex = self.lexicon(lexicon, Principal(author, "admin"))

        def run_import(ctx: JobContext) -> dict[str, Any]:
            path = Path(params["path"])
            try:
                report = lex.import_file(
                    path,
                    format=params["format"],
                    on_conflict=params.get("on_conflict", "fail"),
                    repair=params.get("repair", True),
                    reason=f"import {params.get('filename') or path.name}",
                    progress=ctx.advance,
                )
            finally:
                path.unlink(missing_ok=True)
            return report.to_dict()

        def run_rebuild(ctx: JobContext) -> dict[str, Any]:
            ctx.set_total(lex.store.count(lex.name))
            return {"documents": lex.rebuild_index(progress=ctx.advance)}

        def run_calibrate(ctx: JobContext) -> dict[str, Any]:
            from .. import calibration

            ctx.set_total(1)
            changed = calibration.recompute_weights(lex) if params.get("weights") else 0
            result = calibration.calibrate(
                lex,
                target_precision=params.get("target_precision"),
                folds=int(params.get("folds", 5)),
                dry_run=bool(params.get("dry_run", False)),
                weight_floor=params.get("weight_floor"),
            )
            ctx.advance()
            return {**result.to_dict(), "weights_changed": changed}

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
        with self.store.read() as s:
            d = s.get(M.Dialogue, dialogue_id)
            if d is None:
                raise NotFoundError(f"no dialogue {dialogue_id}")
            turns = s.scalars(
                select(M.DialogueTurn)
                .where(M.DialogueTurn.dialogue_id == dialogue_id)
                .order_by(M.DialogueTurn.seq)
            )
            return d.lexicon, [
                {"turn": t.seq, "request": t.request, "result": t.result, "query_id": t.query_id}
                for t in turns
            ]

    def add_turn(
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
            return seq
