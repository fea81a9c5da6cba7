"""A real ``hyperlexicon serve`` in a subprocess, for the WebSocket and jobs tests.

Each server gets a home of its own (a copy of one made by ``hyperlexicon init --seed core``),
a free port on 127.0.0.1 and an environment with no HYPERLEXICON_* variable of the developer's.
Every wait is bounded: a server that does not come up fails the test with its log.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

EXE = Path(sys.executable).with_name("hyperlexicon")
FIREHOSE_PIECE = "🜂" * 500  # 2 KB a piece
START_TIMEOUT = 90.0


_HANDED_OUT: set[int] = set()
_PORTS = threading.Lock()


def free_port() -> int:
    """A port free now and never handed out before in this test run: servers started at once
    (in threads) must not be given the same one, or one's requests reach the other."""
    with _PORTS:
        while True:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment a server or CLI subprocess runs with: isolated home, no keys."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HYPERLEXICON_") and k not in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
    }
    env.update(
        HYPERLEXICON_HOME=str(home),
        HYPERLEXICON_AUTHOR="tester",
        ANONYMIZED_TELEMETRY="False",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def init_home(home: Path) -> None:
    """``hyperlexicon init --seed core`` into an empty home."""
    done = subprocess.run(
        [str(EXE), "init", "--seed", "core"],
        env=clean_env(home),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr


def cli(home: Path, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """Run the CLI on a home, as a separate process."""
    return subprocess.run(
        [str(EXE), *args],
        env=clean_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class LiveServer:
    def __init__(self, home: Path, **env: str) -> None:
        self.home = home
        self.env = env
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    # --- life cycle -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def log_path(self) -> Path:
        return self.home / f"serve-{self.starts}.log"

    def start(self, timeout: float = START_TIMEOUT) -> LiveServer:
        """Start the server and wait until it answers ``/ready`` as itself. The free port
        may be taken by another process before the server binds it (it was only free when
        asked for): then the server exits on the bind, or another answers in its name, and
        it is started again on another port."""
        deadline = time.monotonic() + timeout
        for _ in range(3):
            if self._start_once(deadline):
                return self
        raise AssertionError(f"three ports taken before the server could bind:\n{self.log()}")

    @property
    def server_id(self) -> str:
        """The id this server answers ``/ready`` with (docs/deploy.md)."""
        given = self.env.get("HYPERLEXICON_SERVER_ID")
        if given:
            return given
        home = hashlib.sha1(str(self.home.resolve()).encode()).hexdigest()[:6]
        return f"{socket.gethostname()[:100]}-{home}"

    def _start_once(self, deadline: float) -> bool:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        self.port = free_port()
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(EXE), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=clean_env(self.home, **self.env),
        )
        log.close()
        while True:
            if self.proc.poll() is not None:
                if "address already in use" in self.log().lower():
                    return False
                raise AssertionError(f"the server exited:\n{self.log()[-4000:]}")
            try:
                r = httpx.get(f"{self.url}/ready", timeout=2)
                if r.status_code == 200:
                    if r.json().get("server") == self.server_id:
                        return True
                    self.kill()  # another server answers on this port
                    return False
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"the server did not become ready:\n{self.log()[-4000:]}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown code of the server runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def rss_kib(self) -> int:
        """The server process's resident memory."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    # --- HTTP -----------------------------------------------------------------------------

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=kw.pop("timeout", 30), **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.post(self.url + path, timeout=kw.pop("timeout", 60), **kw)

    def wait_job(
        self,
        job_id: str,
        until: Callable[[dict[str, Any]], bool],
        timeout: float = 120,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            r = self.get(f"/api/v1/jobs/{job_id}", headers=headers)
            assert r.status_code == 200, r.text
            job = r.json()
            if until(job):
                return job
            assert time.monotonic() < deadline, f"job never got there: {job}"
            time.sleep(0.05)

    # --- the database, read directly (the truth, whatever the server says) ---------------

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.home / "lexicon.sqlite3", timeout=60) as db:
            return db.execute(query, params).fetchall()


def make_home(template: Path, home: Path) -> Path:
    shutil.copytree(template, home)
    return home


# --- a WebSocket client ---------------------------------------------------------------------


class WsClient:
    """A thin layer over ``websockets``: JSON frames with ``"v": 1`` and bounded waits."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []

    async def send(self, **msg: Any) -> None:
        await self.ws.send(json.dumps({"v": 1, **msg}, ensure_ascii=False))

    async def send_raw(self, text: str) -> None:
        await self.ws.send(text)

    async def recv(self, timeout: float = 30) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.seen.append(frame)
        return frame

    async def until(
        self, done: Callable[[dict[str, Any]], bool], timeout: float = 60
    ) -> list[dict[str, Any]]:
        """Frames up to and including the first for which ``done`` is true (heartbeat pings
        included)."""
        deadline = asyncio.get_running_loop().time() + timeout
        out: list[dict[str, Any]] = []
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s; got {out[-5:]}")
            try:
                frame = await self.recv(left)
            except TimeoutError:
                raise AssertionError(f"timed out after {timeout} s; got {out[-5:]}") from None
            out.append(frame)
            if done(frame):
                return out

    async def finished(self, request_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        """The frames about one request, up to its result, error or cancelled frame."""
        frames = await self.until(
            lambda f: f.get("id") == request_id and f["type"] in ("result", "error", "cancelled"),
            timeout,
        )
        return [f for f in frames if f.get("id") == request_id]

    async def hello(self, dialogue: str | None = None, timeout: float = 30) -> dict[str, Any]:
        await self.send(type="hello", **({"dialogue": dialogue} if dialogue else {}))
        frames = await self.until(lambda f: f["type"] in ("dialogue", "error"), timeout)
        return frames[-1]

    async def ping(self, timeout: float = 30) -> dict[str, Any]:
        await self.send(type="ping")
        return (await self.until(lambda f: f["type"] in ("pong", "error"), timeout))[-1]


def sse_chat_server(tokens: list[str], delay: float, firehose: int = 50_000) -> Any:
    """A slow model, honestly slow: streams ``tokens`` one at a time, ``delay`` seconds apart,
    in OpenAI's chat completions format (``/v1/chat/completions``) and in Anthropic's Messages
    format (``/v1/messages``). Records, per stream, how many pieces it sent before the client
    hung up or it finished (``state["sent"]``). Asked for the model ``firehose``, it streams
    ``firehose`` pieces of FIREHOSE_PIECE as fast as the client takes them instead."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    state: dict[str, Any] = {"requests": 0, "sent": [], "bodies": []}

    def openai_chunk(model: str, token: str) -> bytes:
        chunk = {
            "id": "x",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}],
        }
        return f"data: {json.dumps(chunk)}\n\n".encode()

    def anthropic_event(name: str, data: dict[str, Any]) -> bytes:
        return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length))
            state["requests"] += 1
            state["bodies"].append(body)
            model = body["model"]
            anthropic = self.path.endswith("/messages")
            if not body.get("stream"):
                self.send_response(400)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            sent = 0
            try:
                if anthropic:
                    self.wfile.write(
                        anthropic_event(
                            "message_start",
                            {
                                "message": {
                                    "id": "msg_slow",
                                    "type": "message",
                                    "role": "assistant",
                                    "content": [],
                                    "model": model,
                                    "stop_reason": None,
                                    "stop_sequence": None,
                                    "usage": {"input_tokens": 1, "output_tokens": 1},
                                }
                            },
                        )
                        + anthropic_event(
                            "content_block_start",
                            {"index": 0, "content_block": {"type": "text", "text": ""}},
                        )
                    )
                if model == "firehose":
                    piece = openai_chunk(model, FIREHOSE_PIECE)
                    for _ in range(firehose // 100):
                        self.wfile.write(piece * 100)
                        sent += 100
                    self.wfile.flush()
                    tokens_ = []
                else:
                    tokens_ = tokens
                for token in tokens_:
                    self.wfile.write(
                        anthropic_event(
                            "content_block_delta",
                            {"index": 0, "delta": {"type": "text_delta", "text": token}},
                        )
                        if anthropic
                        else openai_chunk(model, token)
                    )
                    self.wfile.flush()
                    sent += 1
                    time.sleep(delay)
                if anthropic:
                    self.wfile.write(
                        anthropic_event("content_block_stop", {"index": 0})
                        + anthropic_event(
                            "message_delta",
                            {
                                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                "usage": {"output_tokens": len(tokens)},
                            },
                        )
                        + anthropic_event("message_stop", {})
                    )
                else:
                    self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except OSError:
                pass
            finally:
                state["sent"].append(sent)

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    httpd = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.state = state  # type: ignore[attr-defined]
    return httpd


class StalledClient:
    """A WebSocket client that reads its socket only when told to (websockets' sans-I/O
    protocol over a plain socket): a client that stops reading really stops, and TCP pushes
    back on the server. The socket's receive buffer is small."""

    def __init__(self, port: int) -> None:
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.proto = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}/ws"), max_size=None)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.frames: list[dict[str, Any]] = []
        self.proto.send_request(self.proto.connect())
        self._flush()
        deadline = time.monotonic() + 10
        while self.proto.state.name != "OPEN":
            assert self.proto.handshake_exc is None, self.proto.handshake_exc
            assert time.monotonic() < deadline, "no handshake"
            self._read(1)

    def _flush(self) -> None:
        for data in self.proto.data_to_send():
            if data:
                self.sock.sendall(data)

    def _read(self, timeout: float) -> None:
        from websockets.frames import Opcode

        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1 << 16)
        except TimeoutError:
            return
        self.proto.receive_data(data)
        for event in self.proto.events_received():
            if getattr(event, "opcode", None) == Opcode.TEXT:
                self.frames.append(json.loads(event.data))
        self._flush()  # answers to pings

    def send(self, **msg: Any) -> None:
        self.proto.send_text(json.dumps({"v": 1, **msg}).encode())
        self._flush()

    def read_until(self, done: Callable[[dict[str, Any]], bool], timeout: float) -> None:
        """Read (and keep) frames until one satisfies ``done``."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for frame in self.frames[seen:]:
                if done(frame):
                    return
            seen = len(self.frames)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s; got {self.frames[-3:]}")
            self._read(min(left, 1))

    def close(self) -> None:
        self.sock.close()
