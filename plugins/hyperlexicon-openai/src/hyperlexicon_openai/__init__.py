"""GPT as a hyperlexicon connector — and any OpenAI-compatible server (llama.cpp, vLLM, …).

Options (config ``[connectors.openai]`` or ``HYPERLEXICON_OPENAI_<OPTION>``):

``base_url``   the API root (default: OpenAI's); e.g. ``http://127.0.0.1:8080/v1``
``model``      default ``gpt-4o-mini``
``timeout``    seconds, default 60
``max_tokens`` default 512

The key comes from ``OPENAI_API_KEY`` or ``hyperlexicon keys set openai``; a local server
that needs none gets a placeholder.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import hyperlexicon
from hyperlexicon.connectors import ChatConnector, ConnectorContext, TranslationRequest


class OpenAIConnector(ChatConnector):
    name = "openai"
    supports_images = True

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        self.base_url = context.option("base_url")
        self.model = context.option("model", "gpt-4o-mini")
        self.timeout = float(context.option("timeout", 60))
        self.max_tokens = int(context.option("max_tokens", 512))
        self._key = context.key("openai", env="OPENAI_API_KEY")
        self._client: Any = None

    def secrets(self) -> list[str]:
        return [self._key] if self._key else []

    @property
    def client(self) -> Any:
        if self._client is None:
            from openai import OpenAI  # imported when a request is made, not at plugin load

            self._client = OpenAI(
                api_key=self._key or "no-key-needed",
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,  # failover is the chain's job
            )
        return self._client

    def _messages(
        self, system: str, user: str, request: TranslationRequest
    ) -> list[dict[str, Any]]:
        content: Any = user
        if request.image is not None:
            data = base64.b64encode(request.image).decode()
            content = [
                {"type": "text", "text": user},
                {
                    "type": "image_url",
                    "image_url": {"url": f"data:{request.image_type};base64,{data}"},
                },
            ]
        return [{"role": "system", "content": system}, {"role": "user", "content": content}]

    def complete(
        self, system: str, user: str, request: TranslationRequest
    ) -> tuple[str, dict[str, Any]]:
        response = self.client.chat.completions.create(
            model=self.model,
            messages=self._messages(system, user, request),
            temperature=0,
            max_tokens=self.max_tokens,
        )
        usage = response.usage
        return response.choices[0].message.content or "", {
            "model": response.model or self.model,
            "prompt_tokens": getattr(usage, "prompt_tokens", None),
            "completion_tokens": getattr(usage, "completion_tokens", None),
        }

    def complete_stream(self, system: str, user: str, request: TranslationRequest) -> Iterator[str]:
        stream = self.client.chat.completions.create(
            model=self.model,
            messages=self._messages(system, user, request),
            temperature=0,
            max_tokens=self.max_tokens,
            stream=True,
        )
        self.last_usage = {"model": self.model}
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                yield chunk.choices[0].delta.content
            if getattr(chunk, "usage", None):
                self.last_usage.update(
                    prompt_tokens=chunk.usage.prompt_tokens,
                    completion_tokens=chunk.usage.completion_tokens,
                )


@hyperlexicon.hookimpl
def register_connectors(register: Any) -> None:
    register("openai", OpenAIConnector, aliases=("gpt",))
