"""The GPT connector through the official openai SDK, driving a real model: llama.cpp's
OpenAI-compatible server on 127.0.0.1 running the Gemma 3 270M GGUF from PyPI. The model is
tiny and its translations poor; what is tested is the wiring, the prompt and the parsing."""

from __future__ import annotations

import pytest

from hyperlexicon.connectors import TranslationRequest, TranslationResult, get_connector
from hyperlexicon.lexicon import Lexicon


@pytest.fixture
def gpt(indexed_sqlite: Lexicon, llama_server: str, monkeypatch: pytest.MonkeyPatch) -> Lexicon:
    monkeypatch.setenv("HYPERLEXICON_OPENAI_BASE_URL", llama_server)
    monkeypatch.setenv("HYPERLEXICON_OPENAI_MODEL", "gemma-3-270m")
    monkeypatch.setenv("HYPERLEXICON_OPENAI_MAX_TOKENS", "48")
    monkeypatch.setenv("HYPERLEXICON_OPENAI_TIMEOUT", "120")
    return indexed_sqlite


def _checked(result: TranslationResult) -> None:
    """Whatever the model said came back as a checked result, never a crash: a scene of
    lexicon forms, or an error saying the output had none."""
    assert result.output is not None
    if result.ok:
        assert result.scene is not None and result.scene.lexemes
        assert all(lx.entry_id for lx in result.scene.lexemes)
    else:
        assert result.error.startswith(
            (
                "unparseable output",
                "empty output",
                "the output is not text",
                "the text leaves out",
            )
        )


def test_encode_with_a_real_model_behind_the_openai_sdk(gpt: Lexicon) -> None:
    connector = get_connector(gpt.bridge, "openai")
    request = TranslationRequest(
        "encode", "fire and time", glossary=gpt.glossary("encode", "fire and time")
    )
    result = connector.translate(request)
    assert result.connector == "openai"
    assert result.usage["prompt_tokens"] > 50 and result.usage["completion_tokens"] > 0
    assert result.usage["latency_ms"] > 0
    _checked(result)


def test_decode_with_a_real_model(gpt: Lexicon) -> None:
    result = get_connector(gpt.bridge, "openai").translate(
        TranslationRequest("decode", "🜂⧖🕯", glossary=gpt.glossary("decode", "🜂⧖🕯"), lang="en")
    )
    _checked(result)
    if result.ok:
        assert result.text and result.scene.forms == ["🜂⧖🕯"]


def test_streaming_with_a_real_model(gpt: Lexicon) -> None:
    request = TranslationRequest("encode", "fire", glossary=gpt.glossary("encode", "fire"))
    events = list(get_connector(gpt.bridge, "openai").stream(request))
    pieces = [e for e in events if isinstance(e, str)]
    [result] = [e for e in events if isinstance(e, TranslationResult)]
    assert pieces and "".join(pieces) == result.output
    _checked(result)


def test_the_chain_always_answers(gpt: Lexicon) -> None:
    result = gpt.translate("encode", "огонь и время", connectors=["openai", "lexicon"])
    assert result.ok and result.scene.lexemes
    assert result.connector in ("openai", "lexicon")
    if result.connector == "lexicon":
        assert result.failures[0]["connector"] == "openai"
    row = gpt.query(result.scene.query_id)
    assert row.connector == result.connector
