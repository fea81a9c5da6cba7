"""``/ws`` against a real ``hyperlexicon serve`` on 127.0.0.1, with a real WebSocket client.

A dialogue with follow-ups, cancel, reconnect and resume, 100 concurrent connections,
invalid messages, a client that stops reading, and tokens. Every wait is bounded; a broken
server fails a test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.live_server import (
    FIREHOSE_PIECE,
    LiveServer,
    StalledClient,
    WsClient,
    init_home,
    make_home,
    sse_chat_server,
)

pytestmark = pytest.mark.slow

QUESTION = "Что ты чувствуешь перед бурей?"
# a slow connector: these pieces, a quarter second apart (15 s in all)
SLOW_TOKENS = ["🜂", "⧖", "🕯"] * 20
SLOW_DELAY = 0.25


def run(coro: object, timeout: float = 180) -> object:
    """Run a test's coroutine with an overall bound."""
    return asyncio.run(asyncio.wait_for(coro, timeout))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("ws-template") / "home"
    init_home(home)
    return home


@pytest.fixture(scope="module")
def slow_llm() -> Iterator[object]:
    httpd = sse_chat_server(SLOW_TOKENS, SLOW_DELAY)
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def server(
    template_home: Path, tmp_path_factory: pytest.TempPathFactory, slow_llm: object
) -> Iterator[LiveServer]:
    home = make_home(template_home, tmp_path_factory.mktemp("ws") / "home")
    host, port = slow_llm.server_address[:2]  # type: ignore[attr-defined]
    srv = LiveServer(
        home,
        HYPERLEXICON_OPENAI_BASE_URL=f"http://{host}:{port}/v1",
        HYPERLEXICON_OPENAI_MODEL="slow",
        HYPERLEXICON_CLAUDE_BASE_URL=f"http://{host}:{port}",
        HYPERLEXICON_CLAUDE_MODEL="slow",
        HYPERLEXICON_RATE="10000",
        HYPERLEXICON_BURST="10000",
        HYPERLEXICON_WS_HEARTBEAT="1",
    ).start()
    yield srv
    srv.stop()


def stored_turns(server: LiveServer, dialogue: str) -> list[tuple[int, dict, dict]]:
    return [
        (seq, json.loads(request), json.loads(result))
        for seq, request, result in server.sql(
            "SELECT seq, request, result FROM dialogue_turn WHERE dialogue_id = ? ORDER BY seq",
            dialogue,
        )
    ]


# --- a dialogue ---------------------------------------------------------------------------------


def test_three_turn_dialogue_with_follow_ups(server: LiveServer) -> None:
    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            hello = await c.hello()
            assert hello["type"] == "dialogue" and hello["turns"] == [], hello
            assert hello["lexicon"] == "core" and hello["v"] == 1
            dialogue = hello["dialogue"]

            # turn 1: encode; lexemes stream before the result
            await c.send(type="encode", id="e1", text=QUESTION)
            frames = await c.finished("e1")
            result = frames[-1]
            assert result["type"] == "result" and result["turn"] == 1, result
            scene = result["result"]["scene"]
            hyperstring = result["result"]["hyperstring"]
            assert hyperstring == scene["hyperstring"] and "⛈" in hyperstring
            streamed = [f["lexeme"] for f in frames if f["type"] == "lexeme"]
            assert len(streamed) >= 2
            # each lexeme as its layer matched it: layer by layer, strongest first, and
            # every lexeme of the scene among them (the scene is the final word on order)
            layers = ["exact", "lemma", "compound", "semantic", "archetype"]
            order = [layers.index(lx["how"]) for lx in streamed]
            assert order == sorted(order), [lx["how"] for lx in streamed]
            assert {(lx["form"], tuple(lx["span"] or ())) for lx in scene["lexemes"]} <= {
                (lx["form"], tuple(lx["span"] or ())) for lx in streamed
            }
            lexemes = scene["lexemes"]
            assert all(f["type"] != "result" for f in frames[:-1])
            assert "diagnostics" in scene and scene["query_id"]
            # the same question over REST gives the same scene
            rest = server.post("/api/v1/encode", json={"text": QUESTION}).json()
            assert rest["hyperstring"] == hyperstring

            # turn 2: "decode the previous scene as a poem"
            await c.send(type="decode", id="d1", scene="previous", style="poem")
            frames = await c.finished("d1")
            poem = frames[-1]
            assert poem["type"] == "result" and poem["turn"] == 2, poem
            assert poem["result"]["hyperstring"] == hyperstring  # the scene of turn 1
            text = poem["result"]["text"]
            # the poem is the one REST renders for those glyphs, and it says their meanings
            rest = server.post(
                "/api/v1/decode", json={"hyperstring": hyperstring, "style": "poem"}
            ).json()
            assert text == rest["text"]
            assert "\n" in text
            for lx in lexemes:  # each by one of its glosses (a fused word by its own name)
                glosses = server.get(f"/api/v1/entries/{lx['form']}").json()["glosses"]["ru"]
                assert any(x.casefold() in text.casefold() for x in glosses), (glosses, text)
            other = server.post(
                "/api/v1/decode", json={"hyperstring": "🜂⧖🕯", "style": "poem"}
            ).json()
            assert other["text"] != text

            # turn 3: "compress this dialogue": the dialogue's one scene, as REST compresses it
            await c.send(type="compress", id="c1", scenes="dialogue")
            frames = await c.finished("c1")
            squeezed = frames[-1]
            assert squeezed["type"] == "result" and squeezed["turn"] == 3, squeezed
            rest = server.post("/api/v1/compress", json={"scenes": [hyperstring]}).json()
            assert squeezed["result"]["hyperstring"] == rest["hyperstring"] != ""
            return dialogue, hyperstring, text, squeezed["result"]["hyperstring"]

    dialogue, hyperstring, poem, squeezed = run(go())
    turns = stored_turns(server, dialogue)
    assert [t[0] for t in turns] == [1, 2, 3]
    assert [t[1]["type"] for t in turns] == ["encode", "decode", "compress"]
    assert turns[0][1]["text"] == QUESTION
    assert turns[1][1]["scene"] == "previous" and turns[1][1]["style"] == "poem"
    assert [t[2]["hyperstring"] for t in turns] == [hyperstring, hyperstring, squeezed]
    assert turns[1][2]["text"] == poem
    author = server.sql("SELECT author, lexicon FROM dialogue WHERE id = ?", dialogue)
    assert author == [("local", "core")]


def test_follow_up_without_a_scene_is_an_error(server: LiveServer) -> None:
    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            await c.hello()
            await c.send(type="decode", id="d", scene="previous")
            err = (await c.finished("d"))[-1]
            assert err["type"] == "error" and err["error"]["status"] == 422
            assert "no previous scene" in err["error"]["detail"]
            await c.send(type="compress", id="c", scenes="dialogue")
            err = (await c.finished("c"))[-1]
            assert err["type"] == "error" and "no scenes" in err["error"]["detail"]
            await c.send(type="decode", id="t", scene="turn:7")
            err = (await c.finished("t"))[-1]
            assert err["type"] == "error" and "turn 7" in err["error"]["detail"]
            assert (await c.ping())["type"] == "pong"

    run(go())


def test_heartbeat(server: LiveServer) -> None:
    """The server pings an idle client (HYPERLEXICON_WS_HEARTBEAT=1 here)."""

    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            ping = (await c.until(lambda f: f["type"] == "ping", timeout=10))[-1]
            assert isinstance(ping["at"], float) and abs(ping["at"] - time.time()) < 5

    run(go())


# --- cancel -------------------------------------------------------------------------------------


@pytest.mark.parametrize("connector", ["claude", "openai"])
def test_cancel_a_streaming_request(server: LiveServer, slow_llm: object, connector: str) -> None:
    """An encode through a slow connector (60 pieces, 15 s): cancelled after two pieces, it
    stops at once, leaves no result and no turn, and the connection goes on. With Claude the
    server also hangs up on the model at once (the plugin closes its stream); the OpenAI
    plugin leaves its response to the garbage collector, so that is not asserted for it."""
    state = slow_llm.state  # type: ignore[attr-defined]
    streams_before = len(state["sent"])

    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            dialogue = (await c.hello())["dialogue"]
            await c.send(
                type="encode", id="slow", text="огонь, время, свеча", connectors=[connector]
            )
            frames = await c.until(
                lambda f: (
                    f.get("id") == "slow" and (f["type"] != "token" or f["text"] == SLOW_TOKENS[1])
                ),
                timeout=30,
            )
            # timed from the second piece, not from the request: on a slow machine the encode
            # before the connector may take longer than the whole stream's budget
            streaming_since = time.monotonic()
            tokens = [f for f in frames if f.get("id") == "slow" and f["type"] == "token"]
            assert len(tokens) == 2, frames  # the connector's pieces stream as they arrive
            assert tokens[0]["text"] == "🜂" and tokens[1]["text"] == "⧖"
            await c.send(type="cancel", target="slow")
            cancelled_at = time.monotonic()
            frames = await c.until(
                lambda f: f.get("id") == "slow" and f["type"] != "token", timeout=10
            )
            assert frames[-1]["type"] == "cancelled", frames
            assert time.monotonic() - cancelled_at < 3
            assert time.monotonic() - streaming_since < (len(SLOW_TOKENS) - 2) * SLOW_DELAY / 2
            # nothing more about it: a ping round trip later, and two token intervals on
            await asyncio.sleep(SLOW_DELAY * 2)
            assert (await c.ping())["type"] == "pong"
            assert not [
                f
                for f in c.seen
                if f.get("id") == "slow"
                and f["type"] in ("result", "lexeme", "token")
                and c.seen.index(f) > c.seen.index(frames[-1])
            ]
            # cancelling what is not running is an error frame
            await c.send(type="cancel", id="x", target="slow")
            err = (await c.finished("x"))[-1]
            assert err["type"] == "error" and err["error"]["status"] == 404
            # and the connection goes on
            await c.send(type="encode", id="next", text=QUESTION)
            result = (await c.finished("next"))[-1]
            assert result["type"] == "result" and result["turn"] == 1, result
            return dialogue

    dialogue = run(go())
    assert [t[1]["id"] for t in stored_turns(server, dialogue)] == ["next"]
    if connector != "claude":
        return
    # the server hung up on the slow model instead of reading all 60 pieces
    deadline = time.monotonic() + len(SLOW_TOKENS) * SLOW_DELAY + 5
    while len(state["sent"]) == streams_before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state["sent"][streams_before:] and state["sent"][-1] < len(SLOW_TOKENS), state


def test_a_slow_connector_completes_when_not_cancelled(server: LiveServer) -> None:
    """The control for the cancel test: left alone, the slow connector's pieces all arrive,
    one by one, and a result follows."""

    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            await c.hello()
            await c.send(type="encode", id="full", text="огонь", connectors=["openai"])
            frames = await c.finished("full", timeout=len(SLOW_TOKENS) * SLOW_DELAY + 30)
            tokens = [f["text"] for f in frames if f["type"] == "token"]
            assert tokens == SLOW_TOKENS
            assert frames[-1]["type"] == "result" and frames[-1]["result"]["connector"] == "openai"
            assert frames[-1]["result"]["hyperstring"].startswith("🜂⧖🕯")

    run(go(), timeout=120)


# --- reconnect and resume -------------------------------------------------------------------------


def test_reconnect_and_resume(server: LiveServer) -> None:
    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            dialogue = (await c.hello())["dialogue"]
            await c.send(type="encode", id="a", text="огонь, время и свеча")
            first = (await c.finished("a"))[-1]
            await c.send(type="encode", id="b", text="Вдох, как молния")
            second = (await c.finished("b"))[-1]
            assert (first["turn"], second["turn"]) == (1, 2)
            assert first["result"]["hyperstring"] != second["result"]["hyperstring"]
        # the socket is closed; a new one picks the dialogue up by its id
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            resumed = await c.hello(dialogue)
            assert resumed["type"] == "dialogue" and resumed["dialogue"] == dialogue
            assert [t["turn"] for t in resumed["turns"]] == [1, 2]
            assert [t["result"]["hyperstring"] for t in resumed["turns"]] == [
                first["result"]["hyperstring"],
                second["result"]["hyperstring"],
            ]
            assert resumed["turns"][0]["request"]["text"] == "огонь, время и свеча"
            # "decode the previous scene": the resumed dialogue's second turn
            await c.send(type="decode", id="c", scene="previous", style="formula", lang="en")
            third = (await c.finished("c"))[-1]
            assert third["type"] == "result" and third["turn"] == 3, third
            assert third["result"]["hyperstring"] == second["result"]["hyperstring"]
            rest = server.post(
                "/api/v1/decode",
                json={
                    "hyperstring": second["result"]["hyperstring"],
                    "style": "formula",
                    "lang": "en",
                },
            ).json()
            assert third["result"]["text"] == rest["text"]
            # and an earlier turn by number
            await c.send(type="decode", id="d", scene="turn:1")
            fourth = (await c.finished("d"))[-1]
            assert fourth["turn"] == 4
            assert fourth["result"]["hyperstring"] == first["result"]["hyperstring"]
            # a dialogue that does not exist: an error frame, the connection stays
            missing = await c.hello("00000000-0000-0000-0000-000000000000")
            assert missing["type"] == "error" and missing["error"]["status"] == 404
            assert (await c.ping())["type"] == "pong"
            return dialogue

    dialogue = run(go())
    assert [t[0] for t in stored_turns(server, dialogue)] == [1, 2, 3, 4]


# --- many at once ---------------------------------------------------------------------------------


TEXTS = [
    "Что ты чувствуешь перед бурей?",
    "огонь, время и свеча",
    "Вдох, как молния",
    "fire + time + candle",
    "тишина и страх",
    "the heart before a storm",
]


def test_a_hundred_concurrent_connections(server: LiveServer) -> None:
    n = 100
    bound = 120.0

    async def one(i: int) -> tuple[str, dict]:
        async with connect(server.ws_url, open_timeout=60, close_timeout=10) as ws:
            c = WsClient(ws)
            hello = await c.hello(timeout=bound)
            assert hello["type"] == "dialogue", hello
            await c.send(type="encode", id=f"r{i}", text=TEXTS[i % len(TEXTS)])
            result = (await c.finished(f"r{i}", timeout=bound))[-1]
            assert result["type"] == "result", result
            return hello["dialogue"], result

    async def go() -> list[tuple[str, dict]]:
        return await asyncio.gather(*(one(i) for i in range(n)))

    started = time.monotonic()
    done = run(go(), timeout=bound)
    took = time.monotonic() - started
    assert len(done) == n and took < bound
    assert len({d for d, _ in done}) == n  # a dialogue each
    assert all(r["turn"] == 1 for _, r in done)
    # each connection got the scene of its own text
    expected = {
        t: server.post("/api/v1/encode", json={"text": t}).json()["hyperstring"] for t in TEXTS
    }
    for i, (_, result) in enumerate(done):
        assert result["result"]["hyperstring"] == expected[TEXTS[i % len(TEXTS)]]
    # the server is healthy afterwards
    assert server.get("/ready").status_code == 200

    async def after() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            await c.hello()
            await c.send(type="encode", id="z", text=QUESTION)
            assert (await c.finished("z", timeout=30))[-1]["type"] == "result"

    run(after(), timeout=60)
    assert "Traceback" not in server.log()


# --- invalid messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame, status, says",
    [
        ("this is not JSON", 400, "not JSON"),
        ("[1, 2, 3]", 400, "JSON object"),
        (json.dumps({"type": "ping"}), 400, "version"),
        (json.dumps({"v": 2, "type": "ping"}), 400, "this server speaks v1"),
        (json.dumps({"v": 1, "type": "dance"}), 400, "unknown message type 'dance'"),
        (json.dumps({"v": 1}), 400, "unknown message type None"),
        (json.dumps({"v": 1, "type": "encode", "id": "x"}), 422, "text: required"),
        (json.dumps({"v": 1, "type": "encode", "id": "x", "text": "  "}), 422, "text: required"),
        (json.dumps({"v": 1, "type": "encode", "id": "x", "text": 5}), 422, "text: required"),
        (json.dumps({"v": 1, "type": "ask", "id": "x"}), 422, "text: required"),
        (
            json.dumps({"v": 1, "type": "ask", "id": "x", "question": " "}),
            422,
            "question: required",
        ),
        (
            json.dumps({"v": 1, "type": "ask", "id": "x", "text": "a", "question": "b"}),
            422,
            "give one",
        ),
        (
            json.dumps({"v": 1, "type": "encode", "id": "x", "text": "a", "connectors": "lexicon"}),
            422,
            "connectors",
        ),
        (
            json.dumps({"v": 1, "type": "encode", "id": "x", "text": "a", "register": 3}),
            422,
            "register: a string",
        ),
        (
            json.dumps({"v": 1, "type": "decode", "id": "x", "scene": "yesterday"}),
            422,
            "scene:",
        ),
        (json.dumps({"v": 1, "type": "compress", "id": "x", "scenes": 7}), 422, "scenes:"),
        (json.dumps({"v": 1, "type": "prompt", "id": "x", "prompt": 7}), 422, "prompt:"),
        (json.dumps({"v": 1, "type": "cancel", "target": "nothing"}), 404, "no running request"),
        (
            json.dumps({"v": 1, "type": "encode", "id": "x", "text": "a", "connectors": ["nope"]}),
            502,
            "nope",
        ),
    ],
)
def test_invalid_messages_get_an_error_frame_and_the_connection_stays(
    server: LiveServer, frame: str, status: int, says: str
) -> None:
    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            await c.send_raw(frame)
            err = (await c.until(lambda f: f["type"] in ("error", "result", "pong")))[-1]
            assert err["type"] == "error", err
            problem = err["error"]
            assert problem["status"] == status, problem
            assert says in problem["detail"], problem
            assert problem["title"] and problem["type"] == "about:blank"
            if '"id": "x"' in frame:
                assert err["id"] == "x"
            assert (await c.ping())["type"] == "pong"

    run(go(), timeout=60)


def test_binary_frames_get_an_error_frame(server: LiveServer) -> None:
    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            await ws.send(b"\x00\x01binary")
            err = (await c.until(lambda f: f["type"] in ("error", "pong")))[-1]
            assert err["type"] == "error" and err["error"]["status"] == 400, err
            assert "text" in err["error"]["detail"]
            assert (await c.ping())["type"] == "pong"

    run(go(), timeout=60)


def test_too_many_requests_on_one_connection(server: LiveServer) -> None:
    """At most four requests run at once on a connection; a fifth gets 429, a duplicate id
    409; both leave the connection open."""

    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            await c.hello()
            for i in range(4):
                await c.send(type="encode", id=f"s{i}", text="огонь", connectors=["openai"])
            await c.send(type="encode", id="s0", text="огонь", connectors=["openai"])
            await c.send(type="encode", id="s5", text="огонь")
            errors = await c.until(
                lambda f: sum(x["type"] == "error" for x in c.seen) >= 2, timeout=20
            )
            errors = {f["id"]: f["error"]["status"] for f in c.seen if f["type"] == "error"}
            assert errors == {"s0": 409, "s5": 429}, errors
            for i in range(4):
                await c.send(type="cancel", target=f"s{i}")
            await c.until(lambda f: sum(x["type"] == "cancelled" for x in c.seen) >= 4, 20)
            assert (await c.ping())["type"] == "pong"

    run(go(), timeout=60)


# --- a client that does not read -----------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_server(
    template_home: Path, tmp_path_factory: pytest.TempPathFactory, slow_llm: object
) -> Iterator[LiveServer]:
    """A server that gives up on a client after 2 s of not reading (30 s by default), with a
    model that streams a million pieces as fast as it may."""
    home = make_home(template_home, tmp_path_factory.mktemp("ws-strict") / "home")
    host, port = slow_llm.server_address[:2]  # type: ignore[attr-defined]
    srv = LiveServer(
        home,
        HYPERLEXICON_WS_SEND_WAIT="2",
        HYPERLEXICON_OPENAI_BASE_URL=f"http://{host}:{port}/v1",
        HYPERLEXICON_OPENAI_MODEL="firehose",
        HYPERLEXICON_RATE="10000",
        HYPERLEXICON_BURST="10000",
    ).start()
    yield srv
    srv.stop()


def test_a_client_that_does_not_read_cannot_make_the_server_buffer(
    strict_server: LiveServer,
) -> None:
    """A request whose stream is 50,000 token frames of 2 KB (100 MB), from a client that
    stops reading once it has begun: the server holds only a bounded amount for it (QUEUE
    events, the transport's high-water mark, the kernel's socket buffers), gives it up after
    SEND_WAIT, and serves other clients all the while. When the client reads again it finds
    that bounded amount, then the give-up error; never the whole stream, never a result, and
    the server's memory did not grow with the stream."""
    server = strict_server
    frame = len(
        json.dumps(
            {"v": 1, "type": "token", "id": "hose", "text": FIREHOSE_PIECE}, ensure_ascii=False
        ).encode()
    )
    whole = 50_000 * frame
    # warm up (the model loads on the first encode), so that memory is measured fairly

    async def warm_up() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            o = WsClient(ws)
            await o.hello()
            for i in range(3):
                await o.send(type="encode", id=f"w{i}", text=QUESTION)
                assert (await o.finished(f"w{i}", timeout=60))[-1]["type"] == "result"

    run(warm_up(), timeout=90)
    slow = StalledClient(server.port)
    try:
        slow.send(type="hello")
        slow.read_until(lambda f: f["type"] == "dialogue", timeout=10)
        rss_before = server.rss_kib()
        slow.send(type="encode", id="hose", text="огонь", connectors=["openai"])
        slow.read_until(lambda f: f.get("id") == "hose", timeout=30)  # the stream has begun
        # the client does not read for 10 s (SEND_WAIT is 2 s); meanwhile another client is
        # served promptly, over and over
        stalled = time.monotonic()

        async def other() -> int:
            async with connect(server.ws_url, open_timeout=10) as ws:
                o = WsClient(ws)
                await o.hello()
                i = 0
                while time.monotonic() - stalled < 10:
                    t = time.monotonic()
                    await o.send(type="encode", id=f"o{i}", text=QUESTION)
                    assert (await o.finished(f"o{i}", timeout=20))[-1]["type"] == "result"
                    assert time.monotonic() - t < 5
                    i += 1
                    await asyncio.sleep(0.5)
                return i

        assert run(other(), timeout=60) >= 5
        assert server.get("/ready", timeout=10).status_code == 200
        rss_stalled = server.rss_kib()
        # the request was given up; now read what was held for it
        slow.read_until(lambda f: f.get("id") == "hose" and f["type"] != "token", timeout=60)
        frames = [f for f in slow.frames if f.get("id") == "hose"]
        held = sum(len(json.dumps(f, ensure_ascii=False).encode()) for f in frames)
        end = frames[-1]
        assert end["type"] == "error", end
        assert end["error"]["status"] == 503 and "did not read" in end["error"]["detail"]
        assert {f["type"] for f in frames[:-1]} == {"token"}
        # bounded: the kernel's buffers (a few MB) and QUEUE frames; not the 100 MB stream
        assert held < 10_000_000 < whole, (held, whole)
        # and the server's memory did not follow the stream (all of it would be 100 MB+)
        assert rss_stalled - rss_before < 50_000, (rss_before, rss_stalled)
        # the connection still works
        slow.send(type="ping")
        slow.read_until(lambda f: f["type"] == "pong", timeout=10)
        print(
            f"held {len(frames)} frames, {held} bytes of {whole}; "
            f"server RSS {rss_before} -> {rss_stalled} KiB"
        )
    finally:
        slow.close()
    assert "Traceback" not in server.log()


# --- tokens ---------------------------------------------------------------------------------------

READER = "reader-token-0123456789"
READER2 = "reader-token-abcdefghij"
ADMIN = "admin-token-0123456789"
LIMITED = "limited-token-0123456789"


@pytest.fixture(scope="module")
def token_server(
    template_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    home = make_home(template_home, tmp_path_factory.mktemp("ws-tokens") / "home")
    srv = LiveServer(
        home,
        HYPERLEXICON_API_TOKENS=(
            f"{READER}=reader:rita,{READER2}=reader:rob,{ADMIN}=admin:ada,{LIMITED}=reader:lim"
        ),
        HYPERLEXICON_RATE="0.2",
        HYPERLEXICON_BURST="5",
        HYPERLEXICON_CLAUDE_BASE_URL="http://127.0.0.1:9",  # nothing listens: fails at once
    ).start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("query", ["", "?token=not-a-token-at-all-0000"])
def test_no_token_is_closed_with_1008(token_server: LiveServer, query: str) -> None:
    async def go() -> None:
        async with connect(token_server.ws_url + query, open_timeout=10) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
            assert "token" in closed.value.rcvd.reason

    run(go(), timeout=30)


def test_tokens_and_roles_over_the_websocket(token_server: LiveServer) -> None:
    async def go() -> None:
        async with connect(f"{token_server.ws_url}?token={READER}", open_timeout=10) as ws:
            c = WsClient(ws)
            hello = await c.hello()
            assert hello["type"] == "dialogue"
            dialogue = hello["dialogue"]
            await c.send(type="encode", id="ok", text=QUESTION)
            assert (await c.finished("ok"))[-1]["type"] == "result"
            # a connector that costs money needs the admin role
            await c.send(type="encode", id="paid", text=QUESTION, connectors=["claude"])
            err = (await c.finished("paid"))[-1]
            assert err["type"] == "error" and err["error"]["status"] == 403, err
            assert "admin" in err["error"]["detail"]
            await c.send(type="prompt", id="p", prompt=f"encode: {QUESTION}\nvia: claude")
            err = (await c.finished("p"))[-1]
            assert err["type"] == "error" and err["error"]["status"] == 403, err
            assert (await c.ping())["type"] == "pong"
        # the header works as well as the query; the admin may ask for claude (which fails
        # here, there being no Claude: 502, not 403)
        async with connect(
            token_server.ws_url, additional_headers={"Authorization": f"Bearer {ADMIN}"}
        ) as ws:
            c = WsClient(ws)
            await c.hello()
            await c.send(type="encode", id="paid", text=QUESTION, connectors=["claude"])
            err = (await c.finished("paid"))[-1]
            assert err["type"] == "error" and err["error"]["status"] == 502, err
            # an admin may resume anyone's dialogue
            assert (await c.hello(dialogue))["type"] == "dialogue"
        # to another reader, rita's dialogue does not exist
        async with connect(f"{token_server.ws_url}?token={READER2}", open_timeout=10) as ws:
            c = WsClient(ws)
            other = await c.hello(dialogue)
            assert other["type"] == "error" and other["error"]["status"] == 404, other
            assert (await c.ping())["type"] == "pong"
        return dialogue

    dialogue = run(go(), timeout=60)
    assert token_server.sql("SELECT author FROM dialogue WHERE id = ?", dialogue) == [("rita",)]


def test_the_rate_limit_applies_to_websocket_requests(token_server: LiveServer) -> None:
    """The per-token rate limit (5 at once, then one each 5 s here) counts WebSocket requests
    as it counts REST calls."""

    async def go() -> None:
        async with connect(f"{token_server.ws_url}?token={LIMITED}", open_timeout=10) as ws:
            c = WsClient(ws)
            await c.hello()
            statuses = []
            for i in range(7):
                await c.send(type="encode", id=f"r{i}", text="огонь")
                last = (await c.finished(f"r{i}"))[-1]
                statuses.append(last["error"]["status"] if last["type"] == "error" else 200)
            assert statuses == [200] * 5 + [429, 429], statuses
            assert (await c.ping())["type"] == "pong"

    run(go(), timeout=60)
    r = token_server.get("/api/v1/lexicons", headers={"Authorization": f"Bearer {LIMITED}"})
    assert r.status_code == 429


def test_a_hyperprompt_over_the_websocket(server: LiveServer) -> None:
    """The same parser as the CLI and REST: the text form runs, the JSON form runs the same,
    and a malformed prompt gets an error frame naming line and column."""
    text = f"encode[poetic] =⛈ -🫀: {QUESTION}"

    async def go() -> None:
        async with connect(server.ws_url, open_timeout=10) as ws:
            c = WsClient(ws)
            await c.hello()
            await c.send(type="prompt", id="t", prompt=text)
            by_text = (await c.finished("t"))[-1]
            assert by_text["type"] == "result", by_text
            hyperstring = by_text["result"]["hyperstring"]
            assert "⛈" in hyperstring and "🫀" not in hyperstring
            as_json = json.dumps(
                {"mode": "encode", "text": QUESTION, "register": "poetic", "keep": ["⛈"]}
                | {"exclude": ["🫀"]},
                ensure_ascii=False,
            )
            await c.send(type="prompt", id="j", prompt=as_json)
            by_json = (await c.finished("j"))[-1]
            assert by_json["result"]["hyperstring"] == hyperstring
            rest = server.post("/api/v1/prompt", json={"prompt": text}).json()
            assert rest["hyperstring"] == hyperstring
            await c.send(type="prompt", id="bad", prompt="encode: x\nregister: loud")
            error = (await c.finished("bad"))[-1]
            assert error["type"] == "error" and error["error"]["status"] == 422
            assert error["error"]["detail"].startswith("prompt:2:"), error
            assert (await c.ping())["type"] == "pong"

    run(go())
