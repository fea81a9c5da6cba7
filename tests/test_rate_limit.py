"""The rate limit's refusal tells the real time until the next request goes through: never
"retry in 0.0 s", a Retry-After of at least one second, over REST and the WebSocket alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from hyperlexicon.config import Settings
from hyperlexicon.errors import ConfigError
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.server import create_app, security
from hyperlexicon.server.security import RateLimiter, refusal

SECONDS = re.compile(r"^rate limit reached: retry in (\d+(?:\.\d+)?) s$")


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(security, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


def _seconds(message: str) -> float:
    found = SECONDS.match(message)
    assert found, message
    return float(found[1])


def test_a_refusal_rounds_the_wait_up(clock: Clock) -> None:
    """20 a second, as the server's default: a client refused a moment after a token was
    spent waits under 0.05 s, which was shown as 0.0."""
    limiter = RateLimiter(20, 1)
    assert limiter.allow("c") == (True, 0.0)
    clock.now += 0.04  # 0.8 of a token back
    allowed, wait = limiter.allow("c")
    assert not allowed and wait == pytest.approx(0.01)
    message, retry_after = refusal(wait)
    assert _seconds(message) == 0.01 and retry_after == 1
    # waiting what the message said is enough
    clock.now += _seconds(message)
    assert limiter.allow("c")[0]


@pytest.mark.parametrize(
    "wait, shown, header",
    [
        (1e-9, 0.01, 1),
        (0.001, 0.01, 1),
        (0.049, 0.05, 1),
        (0.5, 0.5, 1),
        (1.2, 1.2, 2),
        (100, 100, 100),
    ],
)
def test_the_message_and_retry_after_never_say_less_than_the_wait(
    wait: float, shown: float, header: int
) -> None:
    message, retry_after = refusal(wait)
    assert _seconds(message) == shown >= wait
    assert retry_after == header >= wait


@pytest.mark.parametrize("rate, burst", [("0", "5"), ("-1", "5"), ("20", "0"), ("fast", "5")])
def test_a_rate_limit_that_cannot_work_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, rate: str, burst: str
) -> None:
    monkeypatch.setenv("HYPERLEXICON_RATE", rate)
    monkeypatch.setenv("HYPERLEXICON_BURST", burst)
    with pytest.raises(ConfigError, match="HYPERLEXICON_RATE"):
        RateLimiter.from_env()


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Iterator[TestClient]:
    """A server with 100 requests a second and no burst, on a clock that stands still."""
    home = tmp_path / "home"
    Lexicon.init(Settings.load(home=str(home)), seed="core")[0].close()
    monkeypatch.setenv("HYPERLEXICON_RATE", "100")
    monkeypatch.setenv("HYPERLEXICON_BURST", "1")
    with TestClient(create_app(Settings.load(home=str(home)))) as c:
        yield c


def test_a_429_over_rest_gives_a_real_retry_time(client: TestClient, clock: Clock) -> None:
    assert client.get("/api/v1/entries/🜂").status_code == 200
    r = client.get("/api/v1/entries/🜂")
    assert r.status_code == 429
    assert _seconds(r.json()["detail"]) == 0.01  # one token at 100 a second
    assert int(r.headers["retry-after"]) == 1
    clock.now += 0.01
    assert client.get("/api/v1/entries/🜂").status_code == 200


def test_a_429_over_the_websocket_gives_a_real_retry_time(client: TestClient) -> None:
    assert client.get("/api/v1/entries/🜂").status_code == 200  # the one token, spent
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"v": 1, "type": "encode", "id": "r1", "text": "огонь"})
        frame = ws.receive_json()
        while frame.get("id") != "r1":
            frame = ws.receive_json()
    assert frame["type"] == "error" and frame["error"]["status"] == 429
    assert _seconds(frame["error"]["detail"]) == 0.01
