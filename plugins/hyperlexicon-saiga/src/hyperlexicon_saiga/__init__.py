"""Saiga as a hyperlexicon connector.

Saiga models (Russian fine-tunes of Mistral, Llama) expect their own chat format and a Russian
system prompt; the instructions are given in Russian too. Two ways to reach one:

* a server: llama.cpp (``llama-server``, or llama-cpp-python's server) or any OpenAI-compatible
  server, through its *completions* endpoint with the prompt already formatted (a server's own
  chat template would not be Saiga's) — option ``base_url``;
* a GGUF file through llama-cpp-python (the ``gguf`` extra) — option ``model``.

Options (config ``[connectors.saiga]`` or ``HYPERLEXICON_SAIGA_<OPTION>``): ``base_url``,
``model`` (server model name, or a .gguf path / model package), ``format`` (``saiga`` — the
``<s>role\\n…</s>`` format of saiga2 and saiga_mistral — or ``llama3`` for saiga_llama3),
``timeout`` (60), ``max_tokens`` (256).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hyperlexicon
from hyperlexicon.connectors import ChatConnector, ConnectorContext, TranslationRequest
from hyperlexicon.errors import ConfigError

SAIGA_SYSTEM = (
    "Ты — Сайга, русскоязычный автоматический ассистент. Ты разговариваешь с людьми и помогаешь им."
)
FORMATS = ("saiga", "llama3")
STOPS = ["</s>", "<|eot_id|>", "<s>"]


def format_prompt(system: str, user: str, style: str = "saiga") -> str:
    """The conversation in Saiga's own format, ending where the bot's answer begins."""
    if style == "saiga":
        return f"<s>system\n{system}</s><s>user\n{user}</s><s>bot\n"
    if style == "llama3":
        return (
            "<|begin_of_text|>"
            f"<|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>"
            f"<|start_header_id|>user<|end_header_id|>\n\n{user}<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        )
    raise ConfigError(f"saiga format {style!r}: one of {', '.join(FORMATS)}")


class SaigaConnector(ChatConnector):
    name = "saiga"
    supports_images = False
    instructions = "ru"

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        self.base_url = context.option("base_url")
        self.model = context.option("model", "saiga")
        self.style = context.option("format", "saiga")
        self.timeout = float(context.option("timeout", 60))
        self.max_tokens = int(context.option("max_tokens", 256))
        self._key = context.key("saiga", env="SAIGA_API_KEY")
        self._client: Any = None
        if self.style not in FORMATS:
            raise ConfigError(f"saiga format {self.style!r}: one of {', '.join(FORMATS)}")

    def secrets(self) -> list[str]:
        return [self._key] if self._key else []

    def prompt(self, system: str, user: str) -> str:
        return format_prompt(f"{SAIGA_SYSTEM}\n\n{system}", user, self.style)

    def _server(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(
                api_key=self._key or "no-key-needed",
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,
            )
        return self._client

    def _gguf(self) -> Any:
        try:
            from hyperlexicon_local import load_model, resolve_gguf
        except ImportError:
            raise ConfigError(
                "Saiga from a GGUF file needs the gguf extra: "
                "pip install 'hyperlexicon-saiga[gguf]'"
            ) from None
        return load_model(resolve_gguf(self.model))

    def complete(
        self, system: str, user: str, request: TranslationRequest
    ) -> tuple[str, dict[str, Any]]:
        prompt = self.prompt(system, user)
        if self.base_url:
            out = self._server().completions.create(
                model=self.model,
                prompt=prompt,
                max_tokens=self.max_tokens,
                temperature=0,
                stop=STOPS,
            )
            usage = out.usage
            return out.choices[0].text or "", {
                "model": out.model or self.model,
                "prompt_tokens": getattr(usage, "prompt_tokens", None),
                "completion_tokens": getattr(usage, "completion_tokens", None),
                "format": self.style,
            }
        out = self._gguf().create_completion(
            prompt, max_tokens=self.max_tokens, temperature=0, stop=STOPS
        )
        usage = out.get("usage") or {}
        return out["choices"][0]["text"] or "", {
            "model": str(self.model),
            "prompt_tokens": usage.get("prompt_tokens"),
            "completion_tokens": usage.get("completion_tokens"),
            "format": self.style,
        }

    def complete_stream(self, system: str, user: str, request: TranslationRequest) -> Iterator[str]:
        prompt = self.prompt(system, user)
        self.last_usage = {"model": str(self.model), "format": self.style}
        if self.base_url:
            for chunk in self._server().completions.create(
                model=self.model,
                prompt=prompt,
                max_tokens=self.max_tokens,
                temperature=0,
                stop=STOPS,
                stream=True,
            ):
                if chunk.choices and chunk.choices[0].text:
                    yield chunk.choices[0].text
            return
        for chunk in self._gguf().create_completion(
            prompt, max_tokens=self.max_tokens, temperature=0, stop=STOPS, stream=True
        ):
            piece = chunk["choices"][0].get("text")
            if piece:
                yield piece


@hyperlexicon.hookimpl
def register_connectors(register: Any) -> None:
    register("saiga", SaigaConnector)
