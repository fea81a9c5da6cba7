"""``/ws``: dialogues over a WebSocket (seed 7.7.2–7.7.3), message schema v1.

Client → server (JSON text frames, each with ``"v": 1`` and a ``"type"``; ``"id"`` is the
client's name for a request and comes back on every event about it)::

    {"v":1,"type":"hello"}                                   start a dialogue
    {"v":1,"type":"hello","dialogue":"<id>"}                 resume one after a reconnect
    {"v":1,"type":"hello","dialogue":"<id>","after":2}       … having seen its turns up to 2
    {"v":1,"type":"encode","id":"a","text":"…","register":"poetic","connectors":["claude","lexicon"]}
    {"v":1,"type":"decode","id":"b","scene":"previous","style":"poem","lang":"en"}
    {"v":1,"type":"decode","id":"c","scene":"turn:1"}         or "hyperstring":"🜂⧖🕯"
    {"v":1,"type":"compress","id":"d","scenes":"dialogue"}   or a list of hyperstrings/texts
    {"v":1,"type":"ask","id":"e","text":"…"}                 ("question" is text's alias)
    {"v":1,"type":"prompt","id":"f","prompt":"encode: …"}    a HyperPrompt (text or JSON form)
    {"v":1,"type":"cancel","target":"a"}
    {"v":1,"type":"jobs"}                                    push job progress to me
    {"v":1,"type":"ping"}

Server → client::

    {"v":1,"type":"dialogue","dialogue":"<id>","lexicon":"core","turns":[…],"last_turn":3}
    {"v":1,"type":"token","id":"a","text":"…"}               connector output as it arrives
    {"v":1,"type":"lexeme","id":"a","lexeme":{…}}            each lexeme, as it is matched
    {"v":1,"type":"result","id":"a","turn":3,"result":{…}}   the whole result, diagnostics too
    {"v":1,"type":"cancelled","id":"a"}
    {"v":1,"type":"error","id":"a","error":{problem details}}  the connection stays open
    {"v":1,"type":"jobs","subscribed":true}
    {"v":1,"type":"job","job":{…}}                          a job's state and progress
    {"v":1,"type":"ping","at":…} / {"v":1,"type":"pong"}

A token goes in ``Authorization: Bearer …`` or ``?token=``; without a valid one (when tokens
are configured) the socket is accepted and closed at once with code 1008. Requests count
against the same per-token rate limit as REST calls (429 error frame), texts have the same
size limits, and at most ``PARALLEL`` requests run at once on a connection (429). A dialogue
can be resumed only by the one who started it (or an admin); to anyone else it does not exist.

Resuming needs nothing of the server that held the dialogue before: its turns, their
requests and results, and the resume point (``last_turn``) are read from SQL, so a client
behind a load balancer may reconnect to any server. ``after`` (the last turn the client has)
leaves out what it already holds. A request still running when the client left is cancelled
and makes no turn; the turns say what did finish.

"Compress this dialogue" (``"scenes":"dialogue"``) takes the scenes the dialogue produced or
was given: turns that only refer back to earlier scenes (decode of ``previous``/``turn:n``,
an earlier compress of the dialogue) add none.

Backpressure: events go through a bounded queue (``QUEUE`` events), and the socket's own
writes wait while the transport is over its high-water mark, so a request's worker waits when
the client reads slowly: a slow client slows its own requests down instead of making the
server buffer without bound. A worker that has waited ``SEND_WAIT`` seconds gives its request
up (an error frame with status 503, sent if the client ever reads again). Job progress for a
slow client is coalesced: only each job's latest state waits. Heartbeats every ``HEARTBEAT``
seconds keep proxies and clients honest. ``HYPERLEXICON_WS_SEND_WAIT`` and
``HYPERLEXICON_WS_HEARTBEAT`` set the two; requests run on a pool of
``HYPERLEXICON_WS_WORKERS`` threads (default 32) shared by all connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from ..errors import BadInputError, HyperlexiconError, NotFoundError
from .problems import TITLES
from .security import Principal, authenticate, refusal
from .service import Service
from .translation import check_paid, image_options, translation

log = logging.getLogger("hyperlexicon.ws")
VERSION = 1
HEARTBEAT = float(os.environ.get("HYPERLEXICON_WS_HEARTBEAT", 15))
QUEUE = 64  # events waiting for a slow client, per connection
PARALLEL = 4  # requests running at once, per connection
# seconds a worker waits for a full queue before giving up the request
SEND_WAIT = float(os.environ.get("HYPERLEXICON_WS_SEND_WAIT", 30))
MAX_TEXT = 20_000  # characters of a text, question or hyperstring (as over REST)
MAX_PROMPT = 50_000
MAX_SCENES = 100
MODES = ("encode", "decode", "compress", "ask", "prompt")
# every message type of schema v1, each way (docs/service.md shows each with an example)
CLIENT_TYPES = ("hello", *MODES, "cancel", "jobs", "ping")
SERVER_TYPES = (
    "dialogue",
    "token",
    "lexeme",
    "result",
    "cancelled",
    "error",
    "jobs",
    "job",
    "ping",
    "pong",
)


class Cancelled(Exception):
    """The client asked to cancel the request, or left."""


class SlowClient(Exception):
    """The client did not read for SEND_WAIT seconds: the request is given up."""


class Connection:
    def __init__(self, service: Service, ws: WebSocket, who: Principal, lexicon: str) -> None:
        self.service, self.ws, self.who = service, ws, who
        self.lexicon_name = lexicon
        self.dialogue: str | None = None
        self.loop = asyncio.get_running_loop()
        # bounded by send(): QUEUE events, plus one closing notice per running request
        self.out: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.space = asyncio.Event()  # set by the sender whenever it takes an event
        self.running: dict[str, threading.Event] = {}
        self.unsubscribe: Any = None
        self.closed = False
        self.jobs_pending: dict[str, dict[str, Any]] = {}  # latest state of each job, unsent
        self.jobs_flusher: asyncio.Task[None] | None = None
        self.client_key = who.name if service.tokens else (ws.client.host if ws.client else "local")

    # --- sending ---------------------------------------------------------------------

    async def send(self, event: dict[str, Any]) -> None:
        """Queue an event, waiting while QUEUE events wait for the client."""
        while self.out.qsize() >= QUEUE:
            self.space.clear()
            await self.space.wait()
        self.out.put_nowait({"v": VERSION, **event})

    def _notice(self, event: dict[str, Any]) -> None:
        """Queue the last event of a request (its error or cancelled frame) without waiting,
        so that it reaches a client that reads again however long it stalled; at most one per
        running request rides over QUEUE (beyond that, a client that never reads loses it)."""
        if not self.closed and self.out.qsize() < QUEUE + PARALLEL:
            self.out.put_nowait({"v": VERSION, **event})

    def notice_from_thread(self, event: dict[str, Any]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: the server is stopping
            self.loop.call_soon_threadsafe(self._notice, event)

    def send_from_thread(
        self, event: dict[str, Any], cancel: threading.Event | None = None
    ) -> None:
        """Queue an event from a worker thread, waiting while the queue is full: up to
        SEND_WAIT seconds (then SlowClient), or until the request is cancelled or the client
        leaves (then Cancelled)."""

        def stop() -> bool:
            return self.closed or (cancel is not None and cancel.is_set())

        if stop():
            raise Cancelled
        try:
            future = asyncio.run_coroutine_threadsafe(self.send(event), self.loop)
        except RuntimeError:  # the loop is gone: the server is stopping
            raise Cancelled from None
        deadline = time.monotonic() + SEND_WAIT
        while True:
            try:
                future.result(timeout=max(0.0, min(0.2, deadline - time.monotonic())))
                return
            except TimeoutError:
                if stop():
                    future.cancel()
                    raise Cancelled from None
                if time.monotonic() >= deadline:
                    future.cancel()
                    raise SlowClient from None

    async def sender(self) -> None:
        while True:
            event = await self.out.get()
            self.space.set()
            if event is None:
                return
            # waits while the transport is over its high-water mark: a client that does not
            # read holds this loop here, and the queue above fills
            await self.ws.send_text(json.dumps(event, ensure_ascii=False, default=str))

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            await self.send({"type": "ping", "at": round(time.time(), 3)})

    def job_changed(self, job: Any) -> None:
        """A job listener (called from job threads): coalesce, then send on the loop."""
        with contextlib.suppress(RuntimeError):  # the loop is gone
            self.loop.call_soon_threadsafe(self._job_pending, job.to_dict())

    def _job_pending(self, job: dict[str, Any]) -> None:
        if self.closed:
            return
        self.jobs_pending[job["id"]] = job  # a newer state replaces one not yet sent
        if self.jobs_flusher is None or self.jobs_flusher.done():
            self.jobs_flusher = asyncio.create_task(self._flush_jobs())

    async def _flush_jobs(self) -> None:
        while self.jobs_pending:
            job_id = next(iter(self.jobs_pending))
            job = self.jobs_pending.pop(job_id)
            await self.send({"type": "job", "job": job})

    async def error(
        self, request_id: str | None, status: int, detail: str, code: str | None = None
    ) -> None:
        await self.send(
            {"type": "error", "id": request_id, "error": _problem(status, detail, code)}
        )

    # --- receiving -------------------------------------------------------------------

    async def run(self) -> None:
        tasks = [asyncio.create_task(self.sender()), asyncio.create_task(self.heartbeat())]
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                if message.get("text") is not None:
                    await self.handle(message["text"])
                else:
                    await self.error(
                        None, 400, "binary frames are not part of the schema: send JSON text"
                    )
        except WebSocketDisconnect:
            pass
        finally:
            self.closed = True  # workers stop waiting to send and drop what they have
            for flag in list(self.running.values()):
                flag.set()  # a client that left cancels what it asked for
            if self.unsubscribe:
                self.unsubscribe()
            if self.jobs_flusher is not None:
                tasks.append(self.jobs_flusher)
            for task in tasks:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*tasks, return_exceptions=True)

    async def handle(self, raw: str) -> None:
        try:
            msg = json.loads(raw)
        except json.JSONDecodeError as exc:
            await self.error(None, 400, f"not JSON: {exc.msg} at column {exc.colno}")
            return
        if not isinstance(msg, dict):
            await self.error(None, 400, "a message is a JSON object")
            return
        request_id = msg.get("id") if isinstance(msg.get("id"), str) else None
        if msg.get("v") != VERSION:
            await self.error(
                request_id,
                400,
                f"unsupported message version {msg.get('v')!r}: this server speaks v1",
            )
            return
        kind = msg.get("type")
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "hello":
            await self.hello(msg)
        elif kind == "cancel":
            target = msg.get("target")
            flag = self.running.get(target) if isinstance(target, str) else None
            if flag is None:
                await self.error(request_id, 404, f"no running request {target!r}")
            else:
                flag.set()
        elif kind == "jobs":
            if self.unsubscribe is None:
                self.unsubscribe = self.service.jobs.subscribe(self.job_changed)
            await self.send({"type": "jobs", "subscribed": True})
        elif kind in MODES:
            await self.start(msg, request_id or uuid.uuid4().hex[:8])
        else:
            await self.error(
                request_id,
                400,
                f"unknown message type {kind!r} (one of {', '.join(CLIENT_TYPES)})",
            )

    async def hello(self, msg: dict[str, Any]) -> None:
        wanted = msg.get("dialogue")
        try:
            if wanted:
                if not isinstance(wanted, str):
                    raise BadInputError("dialogue: the id of a dialogue, a string")
                after = msg.get("after", 0)
                if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                    raise BadInputError("after: the number of the last turn you have, 0 or more")
                state = await asyncio.to_thread(self.service.resume, wanted, after)
                if state["author"] != self.who.name and not self.who.can("admin"):
                    # another's dialogue: to this caller it does not exist
                    raise NotFoundError(f"no dialogue {wanted}")
                self.dialogue, self.lexicon_name = wanted, state["lexicon"]
                turns, last = state["turns"], state["last_turn"]
            else:
                if isinstance(msg.get("lexicon"), str):
                    self.lexicon_name = msg["lexicon"]
                self.dialogue = await asyncio.to_thread(
                    self.service.new_dialogue, self.lexicon_name, self.who
                )
                turns, last = [], 0
        except HyperlexiconError as exc:
            await self.error(msg.get("id"), exc.status, str(exc), exc.code)
            return
        await self.send(
            {
                "type": "dialogue",
                "dialogue": self.dialogue,
                "lexicon": self.lexicon_name,
                "turns": turns,
                "last_turn": last,
            }
        )

    async def start(self, msg: dict[str, Any], request_id: str) -> None:
        if request_id in self.running:
            await self.error(request_id, 409, f"request {request_id!r} is already running")
            return
        if len(self.running) >= PARALLEL:
            await self.error(
                request_id, 429, f"at most {PARALLEL} requests at a time on one connection"
            )
            return
        # a shared limiter asks the database or Redis: not on the event loop
        allowed, wait = await asyncio.to_thread(self.service.limiter.allow, self.client_key)
        if not allowed:
            await self.error(request_id, 429, refusal(wait)[0], "rate_limit")
            return
        if self.dialogue is None:
            self.dialogue = await asyncio.to_thread(
                self.service.new_dialogue, self.lexicon_name, self.who
            )
            await self.send(
                {
                    "type": "dialogue",
                    "dialogue": self.dialogue,
                    "lexicon": self.lexicon_name,
                    "turns": [],
                    "last_turn": 0,
                }
            )
        flag = threading.Event()
        self.running[request_id] = flag

        def work() -> None:
            last: dict[str, Any] | None = None
            try:
                self.serve(msg, request_id, flag)
            except Cancelled:
                last = {"type": "cancelled", "id": request_id}
            except SlowClient:
                log.warning("websocket request %s given up: the client did not read", request_id)
                last = _error(
                    request_id,
                    503,
                    f"the client did not read for {SEND_WAIT:g} s: this request was given up",
                )
            except HyperlexiconError as exc:
                last = _error(request_id, exc.status, str(exc), exc.code)
            except Exception:
                log.exception("websocket request failed")
                last = _error(request_id, 500, "the server could not complete the request")
            finally:
                self.running.pop(request_id, None)
            if last is not None:
                self.notice_from_thread(last)

        try:
            self.service.ws_pool.submit(work)
        except RuntimeError:  # the pool is shut down: the server is stopping
            self.running.pop(request_id, None)
            await self.error(request_id, 503, "the server is stopping")

    # --- serving one request (in a worker thread) ---------------------------------------

    def serve(self, msg: dict[str, Any], request_id: str, cancel: threading.Event) -> None:
        from ..connectors import TranslationResult

        if cancel.is_set():  # cancelled while it waited for a worker
            raise Cancelled
        lex = self.service.lexicon(self.lexicon_name, self.who)
        mode, text, options = self.resolve(msg)
        connectors = options.pop("connectors", None) or ["lexicon"]
        if not isinstance(connectors, list) or not all(isinstance(c, str) for c in connectors):
            raise BadInputError("connectors: a list of connector names")
        check_paid(self.who, connectors)
        from ..scene import Lexeme

        result: TranslationResult | None = None
        streamed: set[tuple[str, Any]] = set()  # lexemes sent as the bridge matched them
        stream: Iterator[Any] = lex.translate_stream(mode, text, connectors=connectors, **options)
        try:
            for event in stream:
                if cancel.is_set():
                    raise Cancelled
                if isinstance(event, TranslationResult):
                    result = event
                elif isinstance(event, Lexeme):
                    streamed.add((event.form, event.span))
                    self.send_from_thread(
                        {"type": "lexeme", "id": request_id, "lexeme": event.to_dict()}, cancel
                    )
                else:
                    self.send_from_thread(
                        {"type": "token", "id": request_id, "text": event}, cancel
                    )
        finally:
            # stop a connector mid-stream now (its HTTP response is closed), not at GC
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        assert result is not None
        if result.scene is not None:
            # the rest: a connector's scene, parsed once its output was whole, or what the
            # bridge added after its layers (the archetype fall-back)
            for lx in result.scene.lexemes:
                if (lx.form, lx.span) in streamed:
                    continue
                self.send_from_thread(
                    {"type": "lexeme", "id": request_id, "lexeme": lx.to_dict()}, cancel
                )
        if cancel.is_set():
            raise Cancelled

        payload = translation(result)
        assert self.dialogue is not None
        turn = self.service.add_turn(
            self.dialogue,
            {k: v for k, v in msg.items() if k != "v"},
            payload,
            result.scene.query_id if result.scene else None,
        )
        self.send_from_thread(
            {"type": "result", "id": request_id, "turn": turn, "result": payload}, cancel
        )

    def resolve(self, msg: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        """A message → (mode, text, options), following references to earlier turns."""
        kind = msg["type"]
        from ..entry import REGISTERS
        from ..styles import LANGS, STYLES

        options: dict[str, Any] = {
            k: msg[k] for k in ("register", "style", "lang", "connectors") if msg.get(k) is not None
        }
        for key, allowed in (("register", REGISTERS), ("style", STYLES), ("lang", LANGS)):
            if key in options and not isinstance(options[key], str):
                raise BadInputError(f"{key}: a string")
            if key in options and options[key] not in allowed:
                raise BadInputError(f"{key}: {options[key]!r} is not one of {', '.join(allowed)}")
        if kind == "prompt":
            from ..prompt import parse

            if not isinstance(msg.get("prompt"), str):
                raise BadInputError("prompt: the HyperPrompt as a string")
            if len(msg["prompt"]) > MAX_PROMPT:
                raise BadInputError(f"prompt: at most {MAX_PROMPT} characters")
            p = parse(msg["prompt"], where="prompt")
            options = {
                "register": p.register,
                "lang": p.lang or "ru",
                "connectors": p.connectors or None,
            }
            if p.style:
                options["style"] = p.style
            options["constraints"] = {"keep": p.keep, "require": p.require, "exclude": p.exclude}
            return p.mode, p.text, {k: v for k, v in options.items() if v is not None}
        if kind == "encode" and msg.get("image_base64") is not None:
            options.update(image_options(msg.get("image_base64"), msg.get("image_type")))
            text = msg.get("text") or ""
            if not isinstance(text, str):
                raise BadInputError("text: a string")
            if len(text) > MAX_TEXT:
                raise BadInputError(f"text: at most {MAX_TEXT} characters")
            return kind, text, options
        if kind == "encode" or kind == "ask":
            field = "text"
            text = msg.get("text")
            if kind == "ask" and "question" in msg:  # the earlier name of ask's text
                if text is not None and text != msg["question"]:
                    raise BadInputError("text and question: give one (question is text's alias)")
                field, text = ("question", msg["question"]) if text is None else (field, text)
            if not isinstance(text, str) or not text.strip():
                raise BadInputError(f"{field}: required")
            if len(text) > MAX_TEXT:
                raise BadInputError(f"{field}: at most {MAX_TEXT} characters")
            if kind == "ask" and "lang" not in options:
                from ..bridge import dominant_language

                options["lang"] = dominant_language(text)
            return kind, text, options
        turns = self.service.dialogue_turns(self.dialogue)[1] if self.dialogue else []
        if kind == "decode":
            if msg.get("hyperstring") is not None:
                given = msg["hyperstring"]
                if not isinstance(given, str) or not given.strip():
                    raise BadInputError("hyperstring: a non-empty string")
                if len(given) > MAX_TEXT:
                    raise BadInputError(f"hyperstring: at most {MAX_TEXT} characters")
                return "decode", given, options
            ref = msg.get("scene", "previous")
            scenes = [t for t in turns if (t["result"].get("hyperstring") or "")]
            if ref == "previous":
                if not scenes:
                    raise BadInputError("scene: there is no previous scene in this dialogue")
                return "decode", scenes[-1]["result"]["hyperstring"], options
            if isinstance(ref, str) and ref.startswith("turn:"):
                try:
                    n = int(ref[5:])
                except ValueError:
                    raise BadInputError(f"scene: {ref!r} is not turn:<number>") from None
                match = [t for t in turns if t["turn"] == n and t["result"].get("hyperstring")]
                if not match:
                    raise BadInputError(f"scene: turn {n} has no scene")
                return "decode", match[0]["result"]["hyperstring"], options
            raise BadInputError("scene: 'previous', 'turn:<n>', or give a hyperstring")
        scenes_ref = msg.get("scenes", "dialogue")
        if scenes_ref == "dialogue":
            chain = [
                t["result"]["hyperstring"]
                for t in turns
                if t["result"].get("hyperstring") and not _refers_back(t["request"])
            ]
            if not chain:
                raise BadInputError("scenes: this dialogue has no scenes yet")
        elif (
            isinstance(scenes_ref, list)
            and 0 < len(scenes_ref) <= MAX_SCENES
            and all(isinstance(s, str) and 0 < len(s) <= MAX_TEXT for s in scenes_ref)
        ):
            chain = scenes_ref
        else:
            raise BadInputError("scenes: 'dialogue' or a list of scenes")
        return "compress", "\n".join(chain), options


def _refers_back(request: dict[str, Any]) -> bool:
    """A turn that only names earlier scenes of its dialogue, adding none of its own."""
    kind = request.get("type")
    if kind == "decode":
        return request.get("hyperstring") is None
    if kind == "compress":
        return request.get("scenes", "dialogue") == "dialogue"
    return False


def _error(request_id: str, status: int, detail: str, code: str | None = None) -> dict[str, Any]:
    return {"type": "error", "id": request_id, "error": _problem(status, detail, code)}


def _problem(status: int, detail: str, code: str | None = None) -> dict[str, Any]:
    out = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status}
    out["detail"] = detail
    if code:
        out["code"] = code
    return out


async def endpoint(ws: WebSocket) -> None:
    service: Service = ws.app.state.service
    token = ws.query_params.get("token")
    header = ws.headers.get("authorization") or (f"Bearer {token}" if token else None)
    who = authenticate(header, service.tokens)
    if who is None:
        # accept, then close with 1008 and a reason: a client (a browser, too) learns why,
        # where a refused handshake would only be a bare HTTP 403
        await ws.accept()
        await ws.close(code=1008, reason="a valid token is required")
        return
    lexicon = ws.query_params.get("lexicon") or service.settings.lexicon
    await ws.accept()
    await Connection(service, ws, who, lexicon).run()
