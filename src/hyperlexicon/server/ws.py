"""``/ws``: dialogues over a WebSocket (seed 7.7.2–7.7.3), message schema v1.

Client → server (JSON text frames, each with ``"v": 1`` and a ``"type"``; ``"id"`` is the
client's name for a request and comes back on every event about it)::

    {"v":1,"type":"hello"}                                   start a dialogue
    {"v":1,"type":"hello","dialogue":"<id>"}                 resume one after a reconnect
    {"v":1,"type":"encode","id":"a","text":"…","register":"poetic","connectors":["claude","lexicon"]}
    {"v":1,"type":"decode","id":"b","scene":"previous","style":"poem","lang":"en"}
    {"v":1,"type":"decode","id":"c","scene":"turn:1"}         or "hyperstring":"🜂⧖🕯"
    {"v":1,"type":"compress","id":"d","scenes":"dialogue"}   or a list of hyperstrings/texts
    {"v":1,"type":"ask","id":"e","question":"…"}
    {"v":1,"type":"prompt","id":"f","prompt":"encode: …"}    a HyperPrompt (text or JSON form)
    {"v":1,"type":"cancel","target":"a"}
    {"v":1,"type":"jobs"}                                    push job progress to me
    {"v":1,"type":"ping"}

Server → client::

    {"v":1,"type":"dialogue","dialogue":"<id>","lexicon":"core","turns":[…]}
    {"v":1,"type":"token","id":"a","text":"…"}               connector output as it arrives
    {"v":1,"type":"lexeme","id":"a","lexeme":{…}}            each lexeme of the scene
    {"v":1,"type":"result","id":"a","turn":3,"result":{…}}   the whole result, diagnostics too
    {"v":1,"type":"cancelled","id":"a"}
    {"v":1,"type":"error","id":"a","error":{problem details}}  the connection stays open
    {"v":1,"type":"job","job":{…}}
    {"v":1,"type":"ping","at":…} / {"v":1,"type":"pong"}

Backpressure: events go through a bounded queue; a request's worker waits when the client reads
slowly, so a slow client slows its own requests down instead of making the server buffer
without bound. Heartbeats every ``HEARTBEAT`` seconds keep proxies and clients honest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from ..errors import BadInputError, ForbiddenError, HyperlexiconError
from .problems import TITLES, status_for
from .security import Principal, authenticate
from .service import Service

log = logging.getLogger("hyperlexicon.ws")
VERSION = 1
HEARTBEAT = 15.0
QUEUE = 64  # events waiting for a slow client, per connection
PARALLEL = 4  # requests running at once, per connection
SEND_WAIT = 30.0  # seconds a worker waits for a full queue before giving up the request
MODES = ("encode", "decode", "compress", "ask", "prompt")


class Cancelled(Exception):
    pass


class Connection:
    def __init__(self, service: Service, ws: WebSocket, who: Principal, lexicon: str) -> None:
        self.service, self.ws, self.who = service, ws, who
        self.lexicon_name = lexicon
        self.dialogue: str | None = None
        self.loop = asyncio.get_running_loop()
        self.out: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=QUEUE)
        self.running: dict[str, threading.Event] = {}
        self.unsubscribe: Any = None

    # --- sending ---------------------------------------------------------------------

    async def send(self, event: dict[str, Any]) -> None:
        await self.out.put({"v": VERSION, **event})

    def send_from_thread(
        self, event: dict[str, Any], cancel: threading.Event | None = None
    ) -> None:
        """Queue an event from a worker thread, waiting while the queue is full."""
        if cancel is not None and cancel.is_set():
            raise Cancelled
        future = asyncio.run_coroutine_threadsafe(self.send(event), self.loop)
        try:
            future.result(timeout=SEND_WAIT)
        except TimeoutError:
            future.cancel()
            raise Cancelled from None

    async def sender(self) -> None:
        while True:
            event = await self.out.get()
            if event is None:
                return
            await self.ws.send_text(json.dumps(event, ensure_ascii=False, default=str))

    async def heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            await self.send({"type": "ping", "at": round(time.time(), 3)})

    async def error(self, request_id: str | None, status: int, detail: str) -> None:
        await self.send(
            {
                "type": "error",
                "id": request_id,
                "error": {
                    "type": "about:blank",
                    "title": TITLES.get(status, "Error"),
                    "status": status,
                    "detail": detail,
                },
            }
        )

    # --- receiving -------------------------------------------------------------------

    async def run(self) -> None:
        tasks = [asyncio.create_task(self.sender()), asyncio.create_task(self.heartbeat())]
        try:
            while True:
                raw = await self.ws.receive_text()
                await self.handle(raw)
        except WebSocketDisconnect:
            pass
        finally:
            for flag in self.running.values():
                flag.set()  # a client that left cancels what it asked for
            if self.unsubscribe:
                self.unsubscribe()
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
                self.unsubscribe = self.service.jobs.subscribe(
                    lambda job: asyncio.run_coroutine_threadsafe(
                        self.send({"type": "job", "job": job.to_dict()}), self.loop
                    )
                )
            await self.send({"type": "jobs", "subscribed": True})
        elif kind in MODES:
            await self.start(msg, request_id or uuid.uuid4().hex[:8])
        else:
            await self.error(
                request_id,
                400,
                f"unknown message type {kind!r} "
                f"(one of hello, {', '.join(MODES)}, cancel, jobs, ping)",
            )

    async def hello(self, msg: dict[str, Any]) -> None:
        wanted = msg.get("dialogue")
        try:
            if wanted:
                lexicon, turns = await asyncio.to_thread(self.service.dialogue_turns, str(wanted))
                self.dialogue, self.lexicon_name = str(wanted), lexicon
            else:
                if isinstance(msg.get("lexicon"), str):
                    self.lexicon_name = msg["lexicon"]
                self.dialogue = await asyncio.to_thread(
                    self.service.new_dialogue, self.lexicon_name, self.who
                )
                turns = []
        except HyperlexiconError as exc:
            await self.error(msg.get("id"), status_for(exc), str(exc))
            return
        await self.send(
            {
                "type": "dialogue",
                "dialogue": self.dialogue,
                "lexicon": self.lexicon_name,
                "turns": turns,
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
                }
            )
        flag = threading.Event()
        self.running[request_id] = flag

        def work() -> None:
            try:
                self.serve(msg, request_id, flag)
            except Cancelled:
                with contextlib.suppress(Cancelled):
                    self.send_from_thread({"type": "cancelled", "id": request_id})
            except HyperlexiconError as exc:
                with contextlib.suppress(Cancelled):
                    self.send_from_thread(
                        {
                            "type": "error",
                            "id": request_id,
                            "error": _problem(status_for(exc), str(exc)),
                        }
                    )
            except Exception:
                log.exception("websocket request failed")
                with contextlib.suppress(Cancelled):
                    self.send_from_thread(
                        {
                            "type": "error",
                            "id": request_id,
                            "error": _problem(500, "the server could not complete the request"),
                        }
                    )
            finally:
                self.running.pop(request_id, None)

        threading.Thread(target=work, name=f"ws-{request_id}", daemon=True).start()

    # --- serving one request (in a worker thread) ---------------------------------------

    def serve(self, msg: dict[str, Any], request_id: str, cancel: threading.Event) -> None:
        from ..connectors import TranslationResult
        from .api import FREE_CONNECTORS

        lex = self.service.lexicon(self.lexicon_name, self.who)
        mode, text, options = self.resolve(msg)
        connectors = options.pop("connectors", None) or ["lexicon"]
        if not isinstance(connectors, list) or not all(isinstance(c, str) for c in connectors):
            raise BadInputError("connectors: a list of connector names")
        paid = [c for c in connectors if c not in FREE_CONNECTORS]
        if paid and not self.who.can("admin"):
            raise ForbiddenError(
                f"connectors that cost money ({', '.join(paid)}) need the admin role"
            )
        result: TranslationResult | None = None
        for event in lex.translate_stream(mode, text, connectors=connectors, **options):
            if cancel.is_set():
                raise Cancelled
            if isinstance(event, TranslationResult):
                result = event
            else:
                self.send_from_thread({"type": "token", "id": request_id, "text": event}, cancel)
        assert result is not None
        if result.scene is not None:
            for lx in result.scene.lexemes:
                self.send_from_thread(
                    {"type": "lexeme", "id": request_id, "lexeme": lx.to_dict()}, cancel
                )
        if cancel.is_set():
            raise Cancelled
        from .api import translation

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
        options: dict[str, Any] = {
            k: msg[k] for k in ("register", "style", "lang", "connectors") if msg.get(k) is not None
        }
        for key in ("register", "style", "lang"):
            if key in options and not isinstance(options[key], str):
                raise BadInputError(f"{key}: a string")
        if kind == "prompt":
            from ..prompt import parse

            if not isinstance(msg.get("prompt"), str):
                raise BadInputError("prompt: the HyperPrompt as a string")
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
            return kind, text, options
        if kind == "encode" or kind == "ask":
            field = "text" if kind == "encode" else "question"
            text = msg.get(field)
            if not isinstance(text, str) or not text.strip():
                raise BadInputError(f"{field}: required")
            if kind == "ask" and "lang" not in options:
                from ..bridge import dominant_language

                options["lang"] = dominant_language(text)
            return kind, text, options
        turns = self.service.dialogue_turns(self.dialogue)[1] if self.dialogue else []
        if kind == "decode":
            if isinstance(msg.get("hyperstring"), str):
                return "decode", msg["hyperstring"], options
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
            chain = [t["result"]["hyperstring"] for t in turns if t["result"].get("hyperstring")]
            if not chain:
                raise BadInputError("scenes: this dialogue has no scenes yet")
        elif (
            isinstance(scenes_ref, list)
            and scenes_ref
            and all(isinstance(s, str) for s in scenes_ref)
        ):
            chain = scenes_ref
        else:
            raise BadInputError("scenes: 'dialogue' or a list of scenes")
        return "compress", "\n".join(chain), options


IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def image_options(data: Any, media_type: Any) -> dict[str, Any]:
    """``image_base64`` and ``image_type`` of a message or request body, checked."""
    import base64
    import binascii

    if not isinstance(data, str):
        raise BadInputError("image_base64: the image as a base64 string")
    if media_type not in IMAGE_TYPES:
        raise BadInputError(f"image_type: one of {', '.join(IMAGE_TYPES)}")
    try:
        image = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadInputError("image_base64: not valid base64") from None
    if not image:
        raise BadInputError("image_base64: empty")
    return {"image": image, "image_type": media_type}


def _problem(status: int, detail: str) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }


async def endpoint(ws: WebSocket) -> None:
    service: Service = ws.app.state.service
    token = ws.query_params.get("token")
    header = ws.headers.get("authorization") or (f"Bearer {token}" if token else None)
    who = authenticate(header, service.tokens)
    if who is None:
        await ws.close(code=1008, reason="a valid token is required")
        return
    lexicon = ws.query_params.get("lexicon") or service.settings.lexicon
    await ws.accept()
    await Connection(service, ws, who, lexicon).run()
