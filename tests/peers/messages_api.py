"""A local HTTP server that speaks Anthropic's Messages API wire format.

No Claude endpoint is reachable here, so the Claude connector is tested with the official SDK
against this: real HTTP, real request and response shapes, real server-sent events for
streaming, real error bodies and status codes. It validates what the SDK sends (headers,
required fields, message shapes) and answers like a very small model would: with the glossary
forms whose meanings occur in the text.

The model name picks a behaviour: ``fake-overloaded`` (529), ``fake-ratelimit`` (429),
``fake-error`` (500), ``fake-garbage`` (an answer with no glyph in it), ``fake-slow`` (answers
after 5 s), anything else answers.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

GLOSSARY = re.compile(r"<glossary>\n(.*?)\n</glossary>", re.S)
TEXT = re.compile(r"<text>\n(.*?)\n</text>", re.S)


def answer_for(prompt: str, images: int) -> str:
    glossary = [
        json.loads(line)
        for line in (GLOSSARY.search(prompt) or [None, ""])[1].splitlines()
        if line.strip()
    ]
    text = (TEXT.search(prompt) or [None, ""])[1].casefold()
    forms = [
        e["form"]
        for e in glossary
        if any(m.casefold() in text for ms in e.get("meanings", {}).values() for m in ms)
    ]
    if images and glossary:
        forms = forms or [e["form"] for e in glossary[:2]]
    if not forms and glossary:
        forms = [glossary[0]["form"]]
    if "in plain" in prompt or "обычным языком" in prompt:  # ask: hyperstring, then a reading
        meanings = [
            m
            for e in glossary
            if e["form"] in forms
            for m in e.get("meanings", {}).get("en", [])[:1]
        ]
        return "".join(forms) + "\n" + (", ".join(meanings) or "an answer")
    if "Render the hyperstring" in prompt:  # decode: words, not glyphs
        meanings = [m for e in glossary for m in e.get("meanings", {}).get("en", [])[:1]]
        return " and ".join(meanings[:4]).capitalize() + "."
    return "".join(forms)


class MessagesAPI:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _json(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("request-id", f"req_{uuid.uuid4().hex[:12]}")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(
                self, status: int, kind: str, message: str, headers: dict[str, str] | None = None
            ) -> None:
                self._json(
                    status, {"type": "error", "error": {"type": kind, "message": message}}, headers
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                server.headers.append({k.lower(): v for k, v in self.headers.items()})
                if self.path != "/v1/messages":
                    return self._error(404, "not_found_error", f"no route {self.path}")
                # older SDKs send x-api-key, newer ones an Authorization: Bearer header
                bearer = self.headers.get("authorization", "")
                key = (
                    self.headers.get("x-api-key") or bearer.removeprefix("Bearer ").strip() or None
                )
                if key != server.api_key:
                    # like some real services, it echoes the key it got: the client must scrub it
                    return self._error(401, "authentication_error", f"invalid x-api-key: {key}")
                if not self.headers.get("anthropic-version"):
                    return self._error(
                        400, "invalid_request_error", "anthropic-version header is required"
                    )
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    return self._error(400, "invalid_request_error", "body is not JSON")
                server.requests.append(body)
                problem = validate(body)
                if problem:
                    return self._error(400, "invalid_request_error", problem)
                model = body["model"]
                if model == "fake-overloaded":
                    return self._error(529, "overloaded_error", "Overloaded")
                if model == "fake-ratelimit":
                    return self._error(
                        429,
                        "rate_limit_error",
                        "Number of requests has exceeded your rate limit",
                        {"retry-after": "30"},
                    )
                if model == "fake-error":
                    return self._error(500, "api_error", "Internal server error")
                if model == "fake-slow":
                    time.sleep(5)
                prompt = "\n".join(
                    block.get("text", "") if isinstance(block, dict) else block
                    for m in body["messages"]
                    for block in (
                        m["content"] if isinstance(m["content"], list) else [m["content"]]
                    )
                )
                images = sum(
                    1
                    for m in body["messages"]
                    if isinstance(m["content"], list)
                    for b in m["content"]
                    if b.get("type") == "image"
                )
                text = (
                    "I cannot help with that."
                    if model == "fake-garbage"
                    else answer_for(prompt, images)
                )
                usage_in = max(1, len(prompt) // 4)
                usage_out = max(1, len(text) // 2)
                message_id = f"msg_{uuid.uuid4().hex[:20]}"
                if body.get("stream"):
                    return self._stream(message_id, model, text, usage_in, usage_out)
                return self._json(
                    200,
                    {
                        "id": message_id,
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [{"type": "text", "text": text}],
                        "stop_reason": "end_turn",
                        "stop_sequence": None,
                        "usage": {"input_tokens": usage_in, "output_tokens": usage_out},
                    },
                )

            def _stream(
                self, message_id: str, model: str, text: str, usage_in: int, usage_out: int
            ) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.end_headers()

                def event(name: str, data: dict[str, Any]) -> None:
                    self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
                    self.wfile.flush()

                event(
                    "message_start",
                    {
                        "type": "message_start",
                        "message": {
                            "id": message_id,
                            "type": "message",
                            "role": "assistant",
                            "content": [],
                            "model": model,
                            "stop_reason": None,
                            "stop_sequence": None,
                            "usage": {"input_tokens": usage_in, "output_tokens": 1},
                        },
                    },
                )
                event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
                event("ping", {"type": "ping"})
                for ch in text:  # one character per event: a slow, honest stream
                    event(
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "text_delta", "text": ch},
                        },
                    )
                event("content_block_stop", {"type": "content_block_stop", "index": 0})
                event(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": usage_out},
                    },
                )
                event("message_stop", {"type": "message_stop"})

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (a timeout test) is not the server's error

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> MessagesAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def validate(body: dict[str, Any]) -> str | None:
    """The Messages API's own checks on a request, as far as these tests need them."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for n, m in enumerate(messages):
        if m.get("role") not in ("user", "assistant"):
            return f"messages.{n}.role: Input should be 'user' or 'assistant'"
        content = m.get("content")
        if isinstance(content, list):
            for b in content:
                if b.get("type") not in ("text", "image"):
                    return f"messages.{n}.content: unknown block type {b.get('type')!r}"
                if b["type"] == "image" and b.get("source", {}).get("type") != "base64":
                    return f"messages.{n}.content: image source must be base64"
        elif not isinstance(content, str):
            return f"messages.{n}.content: Input should be a string or a list"
    if messages[0]["role"] != "user":
        return "messages: first message must use the user role"
    if "system" in body and not isinstance(body["system"], str | list):
        return "system: Input should be a string"
    return None
