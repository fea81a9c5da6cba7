"""A provider that answers 200 and echoes the caller's API key back in its answer (the text and
the model name), in OpenAI's chat completions and completions formats and Anthropic's Messages
format, streamed (the key split across pieces) or not. What a careless or hostile upstream does;
the connectors must keep the key out of everything they return."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _pieces(text: str, n: int = 3) -> list[str]:
    return [text[i : i + n] for i in range(0, len(text), n)]


class EchoProvider:
    """``with EchoProvider() as p: p.url`` — base URL for both formats (paths under /v1)."""

    def __init__(self, answer: str = "🜂 → ⧖ (your key is {key})") -> None:
        self.answer = answer
        self.keys_seen: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                auth = self.headers.get("authorization", "")
                key = self.headers.get("x-api-key") or auth.removeprefix("Bearer ").strip()
                provider.keys_seen.append(key)
                text = provider.answer.format(key=key)
                model = f"echo-{key}"
                if self.path.endswith("/messages"):
                    self._anthropic(body, text, model)
                else:
                    self._openai(body, text, model, chat=self.path.endswith("/chat/completions"))

            def _send(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _sse(self, events: list[bytes]) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for event in events:
                    self.wfile.write(event)
                    self.wfile.flush()

            def _openai(self, body: dict[str, Any], text: str, model: str, chat: bool) -> None:
                usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
                if not body.get("stream"):
                    choice: dict[str, Any] = {"index": 0, "finish_reason": "stop"}
                    if chat:
                        choice["message"] = {"role": "assistant", "content": text}
                    else:
                        choice["text"] = text
                    kind = "chat.completion" if chat else "text_completion"
                    self._send(
                        {
                            "id": "x",
                            "object": kind,
                            "created": 0,
                            "model": model,
                            "choices": [choice],
                            "usage": usage,
                        }
                    )
                    return
                events = []
                for piece in _pieces(text):
                    choice = {"index": 0, "finish_reason": None}
                    if chat:
                        choice["delta"] = {"content": piece}
                    else:
                        choice["text"] = piece
                    kind = "chat.completion.chunk" if chat else "text_completion"
                    chunk = {
                        "id": "x",
                        "object": kind,
                        "created": 0,
                        "model": model,
                        "choices": [choice],
                    }
                    events.append(f"data: {json.dumps(chunk)}\n\n".encode())
                events.append(b"data: [DONE]\n\n")
                self._sse(events)

            def _anthropic(self, body: dict[str, Any], text: str, model: str) -> None:
                if not body.get("stream"):
                    self._send(
                        {
                            "id": "msg_1",
                            "type": "message",
                            "role": "assistant",
                            "model": model,
                            "content": [{"type": "text", "text": text}],
                            "stop_reason": "end_turn",
                            "stop_sequence": None,
                            "usage": {"input_tokens": 1, "output_tokens": 1},
                        }
                    )
                    return

                def event(name: str, data: dict[str, Any]) -> bytes:
                    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()

                events = [
                    event(
                        "message_start",
                        {
                            "message": {
                                "id": "msg_1",
                                "type": "message",
                                "role": "assistant",
                                "model": model,
                                "content": [],
                                "stop_reason": None,
                                "stop_sequence": None,
                                "usage": {"input_tokens": 1, "output_tokens": 0},
                            }
                        },
                    ),
                    event(
                        "content_block_start",
                        {"index": 0, "content_block": {"type": "text", "text": ""}},
                    ),
                ]
                for piece in _pieces(text):
                    events.append(
                        event(
                            "content_block_delta",
                            {"index": 0, "delta": {"type": "text_delta", "text": piece}},
                        )
                    )
                events += [
                    event("content_block_stop", {"index": 0}),
                    event(
                        "message_delta",
                        {
                            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                            "usage": {"output_tokens": 1},
                        },
                    ),
                    event("message_stop", {}),
                ]
                self._sse(events)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> EchoProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
