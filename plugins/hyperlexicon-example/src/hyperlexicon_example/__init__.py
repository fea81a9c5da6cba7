"""A minimal connector plugin: it 'answers' with the glossary entries whose meanings occur in
the text. Real plugins call a model in ``complete``; everything else — the prompt, the
glossary, parsing and checking the answer, failover — comes from ``ChatConnector``."""

from __future__ import annotations

from typing import Any

import hyperlexicon
from hyperlexicon.connectors import ChatConnector, TranslationRequest


class KeywordConnector(ChatConnector):
    name = "keywords"

    def complete(
        self, system: str, user: str, request: TranslationRequest
    ) -> tuple[str, dict[str, Any]]:
        text = request.text.casefold()
        forms = [
            entry.form
            for entry in request.glossary
            if any(m.casefold() in text for ms in entry.meanings.values() for m in ms)
        ]
        return "".join(forms), {"glossary": len(request.glossary)}


@hyperlexicon.hookimpl
def register_connectors(register: Any) -> None:
    register("keywords", KeywordConnector)
