"""Image → scene (seed 7.5.4): ``encode --image`` on the local store, over REST's remote
client and over the WebSocket, through connectors that read images (Claude's Messages API and
OpenAI's chat completions, each a local server speaking the wire format), and a clear refusal
for a chain that cannot read images. REST bodies are covered in test_server_api.py."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from websockets.asyncio.client import connect

from hyperlexicon.cli import main

from .live_server import LiveServer, WsClient, init_home, make_home, sse_chat_server
from .peers.messages_api import MessagesAPI

KEY = "sk-ant-test-images-0123456789"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[MessagesAPI]:
    with MessagesAPI(KEY) as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("HYPERLEXICON_CLAUDE_BASE_URL", api.url)
        monkeypatch.setenv("HYPERLEXICON_CLAUDE_MODEL", "fake-hyperbridge")
        yield api


@pytest.fixture
def run(tmp_path: Path, _seeded_sqlite_template: Path) -> Any:
    """The CLI on a copy of the seeded core lexicon; returns (exit code, stdout, stderr)."""
    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)
    (tmp_path / "storm.png").write_bytes(PNG)
    (tmp_path / "notes.txt").write_text("not an image")

    def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        full = ["--db", f"sqlite:///{db}", *args] if env is None else list(args)
        result = CliRunner().invoke(main, full, env=env, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def _image_block(request: dict[str, Any]) -> dict[str, Any]:
    [message] = request["messages"]
    return next(block for block in message["content"] if block["type"] == "image")


def test_encode_an_image_through_claude(
    run: Any, claude: MessagesAPI, tmp_path: Path, _seeded_sqlite_template: Path
) -> None:
    png, svg = tmp_path / "storm.png", tmp_path / "storm.svg"
    code, out, err = run(
        "encode", "буря", "--image", str(png), "--connector", "claude", "--json", "--svg", str(svg)
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["connector"] == "claude" and result["scene"]["lexemes"]
    # the image went as a base64 block, with the glossary of the text beside it
    block = _image_block(claude.requests[-1])
    assert block["source"] == {
        "type": "base64",
        "media_type": "image/png",
        "data": base64.b64encode(PNG).decode(),
    }
    # the answer was checked against the lexicon: every lexeme is an entry of it
    for lexeme in result["scene"]["lexemes"]:
        code, _, _ = run("lex", "show", lexeme["form"])
        assert code == 0, lexeme
    assert svg.read_text("utf-8").startswith("<svg") and result["hyperstring"]
    # the query log says an image was encoded (its type and size), not its bytes
    code, out, _ = run("log", "list", "--json")
    assert json.loads(out)[0]["input"].startswith(f"[image image/png, {len(PNG)} bytes]")


@pytest.mark.parametrize(
    "args, expected",
    [
        (("--image", "{png}"), "--image needs a connector that reads images"),
        (("--image", "{png}", "--connector", "keywords"), "keywords cannot read images"),
        (("--image", "{png}", "--connector", "lexicon"), "--image needs a connector"),
        (("--image", "{dir}/missing.png", "--connector", "claude"), "missing.png"),
        (("--image", "{dir}/notes.txt", "--connector", "claude"), "an image is .png, .jpg"),
    ],
)
def test_a_chain_or_a_file_that_cannot_be_read_is_refused(
    run: Any, claude: MessagesAPI, tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    filled = [a.format(png=tmp_path / "storm.png", dir=tmp_path) for a in args]
    code, out, err = run("encode", "буря", *filled)
    assert code == 2 and expected in err, err
    assert len(err.strip().splitlines()) == 1 and out == ""
    assert claude.requests == []  # nobody was asked (or paid)
    code, out, _ = run("log", "list", "--json")
    assert json.loads(out) == []  # nothing was logged


# --- through a server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chat() -> Iterator[Any]:
    """OpenAI's chat completions, streamed: answers 🜂 then ⛈ to whatever it is asked."""
    httpd = sse_chat_server(["🜂", "⛈"], delay=0.0)
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def served(
    tmp_path_factory: pytest.TempPathFactory, claude: MessagesAPI, chat: Any
) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("images") / "home"
    init_home(home)
    host, port = chat.server_address[:2]
    server = LiveServer(
        make_home(home, home.parent / "served"),
        ANTHROPIC_API_KEY=KEY,
        HYPERLEXICON_CLAUDE_BASE_URL=claude.url,
        HYPERLEXICON_CLAUDE_MODEL="fake-hyperbridge",
        HYPERLEXICON_OPENAI_BASE_URL=f"http://{host}:{port}/v1",
        HYPERLEXICON_OPENAI_MODEL="chat",
        OPENAI_API_KEY="sk-test-images",
    ).start()
    yield server
    server.stop()


def test_images_over_the_websocket(served: LiveServer, claude: MessagesAPI, chat: Any) -> None:
    image = {"image_base64": base64.b64encode(PNG).decode(), "image_type": "image/png"}

    async def go() -> None:
        async with connect(served.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            await c.hello()
            # Claude: the result's scene holds lexicon entries only
            await c.send(type="encode", id="c", text="буря", connectors=["claude"], **image)
            result = (await c.finished("c"))[-1]
            assert result["type"] == "result", result
            assert result["result"]["connector"] == "claude"
            assert result["result"]["scene"]["lexemes"]
            assert _image_block(claude.requests[-1])["source"]["media_type"] == "image/png"
            # OpenAI: tokens stream, the image went as a data URL
            await c.send(type="encode", id="o", text="", connectors=["openai"], **image)
            frames = await c.finished("o")
            assert frames[-1]["type"] == "result", frames[-1]
            assert "".join(f["text"] for f in frames if f["type"] == "token") == "🜂⛈"
            assert frames[-1]["result"]["hyperstring"] == "🜂⛈"
            [user] = [m for m in chat.state["bodies"][-1]["messages"] if m["role"] == "user"]
            url = next(p for p in user["content"] if p["type"] == "image_url")["image_url"]["url"]
            assert url == f"data:image/png;base64,{image['image_base64']}"
            # a chain that cannot read images: an error frame, and the connection goes on
            asked = len(claude.requests)
            await c.send(type="encode", id="k", text="буря", connectors=["keywords"], **image)
            error = (await c.finished("k"))[-1]
            assert error["type"] == "error" and error["error"]["status"] == 422
            assert "cannot read images" in error["error"]["detail"]
            await c.send(type="encode", id="b", connectors=["claude"], image_base64="@@")
            error = (await c.finished("b"))[-1]
            assert error["type"] == "error" and "image" in error["error"]["detail"]
            assert len(claude.requests) == asked
            assert (await c.ping())["type"] == "pong"

    asyncio.run(asyncio.wait_for(go(), 120))


def test_encode_an_image_remotely(served: LiveServer, claude: MessagesAPI, tmp_path: Path) -> None:
    (tmp_path / "storm.png").write_bytes(PNG)
    env = {
        "HYPERLEXICON_SERVER_URL": served.url,
        "HYPERLEXICON_HOME": str(tmp_path / "client"),
        "ANTHROPIC_API_KEY": "",  # the server's key is used, not the client's
    }
    args = ["encode", "--image", str(tmp_path / "storm.png"), "--connector", "claude", "--json"]
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["connector"] == "claude"
    assert _image_block(claude.requests[-1])["source"]["data"] == base64.b64encode(PNG).decode()
    args = ["encode", "--image", str(tmp_path / "storm.png"), "--connector", "keywords"]
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    assert result.exit_code == 2 and "cannot read images" in result.stderr
