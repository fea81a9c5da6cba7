"""One table of errors: each class has its exit code, HTTP status and code; the server answers
with them and the remote client turns the answer back into the same class."""

from __future__ import annotations

from pathlib import Path

import pytest

from hyperlexicon import errors as E


def test_every_error_has_a_distinct_code_and_a_fitting_status() -> None:
    assert len(E.ERRORS) == len({cls.code for cls in E.ERRORS.values()})
    for code, cls in E.ERRORS.items():
        assert cls.code == code and issubclass(cls, E.HyperlexiconError)
        assert 400 <= cls.status < 600 and cls.exit_code in (1, 2)
    # bad input is exit 2 everywhere; the caller's own mistakes are 4xx
    assert E.BadInputError.exit_code == 2 and E.BadInputError.status == 422
    assert E.RateLimitError.status == 429 and E.IndexBusyError.status == 503


@pytest.mark.parametrize("cls", list(E.ERRORS.values()), ids=lambda c: c.code)
def test_a_problem_comes_back_as_the_class_it_was(cls: type[E.HyperlexiconError]) -> None:
    again = E.error_for(cls.status, "what went wrong", cls.code)
    assert type(again) is cls and str(again) == "what went wrong"


def test_a_problem_without_a_code_is_read_by_its_status() -> None:
    assert type(E.error_for(404, "x")) is E.NotFoundError
    assert type(E.error_for(412, "x")) is E.ConflictError
    assert type(E.error_for(429, "x")) is E.RateLimitError
    assert type(E.error_for(500, "x")) is E.ServerError
    assert type(E.error_for(502, "x", "no-such-code")) is E.ServerError


def test_the_server_says_the_code_and_the_client_raises_the_class(tmp_path: Path) -> None:
    """Through the real app and the real remote client (TestClient is an httpx client)."""
    from fastapi.testclient import TestClient

    from hyperlexicon.config import Settings
    from hyperlexicon.lexicon import Lexicon
    from hyperlexicon.remote import RemoteLexicon
    from hyperlexicon.server import create_app

    settings = Settings.load(home=str(tmp_path / "home"))
    lex, _ = Lexicon.init(settings)
    lex.close()
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/v1/entries/🆕")
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        r = client.post("/api/v1/feedback", json={"query_id": 999, "kind": "accept"})
        assert r.json()["code"] == "not_found"
        remote = RemoteLexicon(settings.with_(server_url="http://testserver"), client=client)
        with pytest.raises(E.NotFoundError):
            remote.get("🆕")
        with pytest.raises(E.BadInputError, match="weight"):
            remote._json("POST", "/entries", json={"form": "🆕", "weight": 2})
