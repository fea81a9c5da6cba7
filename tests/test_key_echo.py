"""A provider that echoes the API key in a good (200) answer: the key is scrubbed from everything
a connector returns, before it is stored, logged, printed or served — for each connector that
holds a key (GPT, Claude, Saiga), streamed (the key split across pieces) or not."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hyperlexicon.cli import main
from hyperlexicon.config import Settings
from hyperlexicon.connectors import Scrubber
from hyperlexicon.lexicon import Lexicon
from tests.peers.echo_provider import EchoProvider

KEYS = {
    "openai": ("OPENAI_API_KEY", "sk-proj-echo-0f3b9c2d7e6a5b4c"),
    "claude": ("ANTHROPIC_API_KEY", "sk-ant-api03-echo-9d8c7b6a5f4e"),
    "saiga": ("SAIGA_API_KEY", "saiga-echo-key-4a5b6c7d8e9f"),
}


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch) -> Iterator[EchoProvider]:
    with EchoProvider() as provider:
        for name, (env, key) in KEYS.items():
            monkeypatch.setenv(env, key)
            base = provider.url if name == "claude" else provider.url + "/v1"
            monkeypatch.setenv(f"HYPERLEXICON_{name.upper()}_BASE_URL", base)
            monkeypatch.setenv(f"HYPERLEXICON_{name.upper()}_TIMEOUT", "10")
        yield provider


@pytest.fixture
def lex(
    tmp_path: Path, _seeded_sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Lexicon]:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(_seeded_sqlite_template, home / "lexicon.sqlite3")
    monkeypatch.setenv("HYPERLEXICON_HOME", str(home))
    lexicon = Lexicon(Settings.load(home=str(home), auto_index=True))
    lexicon.rebuild_index()
    yield lexicon
    lexicon.close()


@pytest.mark.parametrize("connector", list(KEYS))
def test_a_key_echoed_in_a_good_answer_goes_nowhere(
    echo: EchoProvider, lex: Lexicon, connector: str
) -> None:
    key = KEYS[connector][1]
    result = lex.translate("encode", "огонь и время", connectors=[connector])
    assert echo.keys_seen[-1] == key  # the provider had it, and said it back
    assert result.ok and result.connector == connector and "🜂" in result.scene.forms
    assert key not in json.dumps(result.to_dict(), ensure_ascii=False)
    assert "***" in result.output
    assert key not in json.dumps(lex.query(result.scene.query_id).to_dict(), ensure_ascii=False)
    # streamed: the key arrives split across pieces, and no piece (nor the result) holds any
    # of it whole
    events = list(lex.translate_stream("encode", "огонь и время", connectors=[connector]))
    pieces = "".join(e for e in events if isinstance(e, str))
    assert key not in pieces and "***" in pieces
    assert key not in json.dumps(events[-1].to_dict(), ensure_ascii=False)
    # decode and ask, the other texts a connector writes
    decoded = lex.translate("decode", "🜂⧖", connectors=[connector], lang="en")
    assert key not in json.dumps(decoded.to_dict(), ensure_ascii=False)


def test_the_cli_and_the_log_never_print_it(echo: EchoProvider, lex: Lexicon) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["encode", "огонь", "--connector", "claude", "--json"])
    assert out.exit_code == 0, out.output
    query_id = json.loads(out.output)["scene"]["query_id"]
    shown = runner.invoke(main, ["log", "show", str(query_id), "--json"])
    for text in (out.output, shown.output):
        assert KEYS["claude"][1] not in text
    listed = runner.invoke(main, ["log", "list", "--json"])
    assert KEYS["claude"][1] not in listed.output


def test_rest_never_serves_it(
    echo: EchoProvider, lex: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from hyperlexicon.server import create_app

    monkeypatch.setenv("HYPERLEXICON_RATE", "1000")
    with TestClient(create_app(lex.settings)) as client:
        for path, body in (
            ("/api/v1/encode", {"text": "огонь", "connectors": ["claude"]}),
            ("/api/v1/decode", {"hyperstring": "🜂", "connectors": ["openai"]}),
        ):
            r = client.post(path, json=body)
            assert r.status_code == 200, r.text
            assert all(key not in r.text for _, key in KEYS.values())
        queries = client.get("/api/v1/queries")
        assert queries.status_code == 200 and all(k not in queries.text for _, k in KEYS.values())


@pytest.mark.parametrize("cut", range(1, 12))
def test_the_scrubber_catches_a_key_cut_anywhere(cut: int) -> None:
    key = "sk-secret-42x"
    text = f"before {key} middle {key}"
    scrub = Scrubber([key])
    pieces = [text[i : i + cut] for i in range(0, len(text), cut)]
    out = [scrub.feed(p) for p in pieces] + [scrub.flush()]
    assert "".join(out) == "before *** middle ***" == scrub.text
    assert all("sk-secret" not in p for p in out)
    # ordinary text is not held back
    plain = Scrubber([key])
    assert plain.feed("огонь ") == "огонь " and plain.feed("и время") == "и время"
