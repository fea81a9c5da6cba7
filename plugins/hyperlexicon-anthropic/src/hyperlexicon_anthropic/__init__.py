"""Claude as a hyperlexicon connector, through the official anthropic SDK (Messages API).

Options (config ``[connectors.claude]`` or ``HYPERLEXICON_CLAUDE_<OPTION>``):

``base_url``   default: Anthropic's API
``model``      default ``claude-3-5-haiku-latest``
``timeout``    seconds, default 60
``max_tokens`` default 1024

The key comes from ``ANTHROPIC_API_KEY`` or ``hyperlexicon keys set anthropic``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import hyperlexicon
from hyperlexicon.connectors import ChatConnector, ConnectorContext, TranslationRequest


class ClaudeConnector(ChatConnector):
    name = "claude"
    supports_images = True

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        self.base_url = context.option("base_url")
        self.model = context.option("model", "claude-3-5-haiku-latest")
        self.timeout = float(context.option("timeout", 60))
        self.max_tokens = int(context.option("max_tokens", 1024))
        self._key = context.key("anthropic", env="ANTHROPIC_API_KEY")
        self._client: Any = None

    def secrets(self) -> list[str]:
        return [self._key] if self._key else []

    @property
    def client(self) -> Any:
        if self._client is None:
            from anthropic import Anthropic

            self._client = Anthropic(
                api_key=self._key or "missing-key",
                base_url=self.base_url,
                timeout=self.timeout,
                max_retries=0,  # failover is the chain's job
            )
        return self._client

    def _messages(self, user: str, request: TranslationRequest) -> list[dict[str, Any]]:
        content: list[dict[str, Any]] = [{"type": "text", "text": user}]
        if request.image is not None:
            content.insert(
                0,
                {
                    "type": "image",
                    "source": {
                        "type": "base64",
                        "media_type": request.image_type,
                        "data": base64.b64encode(request.image).decode(),
                    },
                },
            )
        return [{"role": "user", "content": content}]

    def complete(
        self, system: str, user: str, request: TranslationRequest
    ) -> tuple[str, dict[str, Any]]:
        message = self.client.messages.create(
            model=self.model,
            max_tokens=self.max_tokens,
            system=system,
            messages=self._messages(user, request),
        )
        text = "".join(block.text for block in message.content if block.type == "text")
        return text, {
            "model": message.model,
            "input_tokens": message.usage.input_tokens,
            "output_tokens": message.usage.output_tokens,
            "stop_reason": message.stop_reason,
        }

    def complete_stream(self, system: str, user: str, request: TranslationRequest) -> Iterator[str]:
        with self.client.messages.stream(
            model=self.model,
            max_tokens=self.max_tokens,
            system=system,
            messages=self._messages(user, request),
        ) as stream:
            yield from stream.text_stream
            final = stream.get_final_message()
        self.last_usage = {
            "model": final.model,
            "input_tokens": final.usage.input_tokens,
            "output_tokens": final.usage.output_tokens,
            "stop_reason": final.stop_reason,
        }


@hyperlexicon.hookimpl
def register_connectors(register: Any) -> None:
    register("claude", ClaudeConnector, aliases=("anthropic",))
