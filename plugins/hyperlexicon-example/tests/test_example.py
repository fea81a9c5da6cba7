"""The README's minimal connector plugin, installed through its entry point and used for real."""

from __future__ import annotations

from hyperlexicon.connectors import connector_names
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.plugins import describe_plugins


def test_the_example_plugin_is_installed_and_registered() -> None:
    assert "keywords" in connector_names()
    [plugin] = [p for p in describe_plugins() if p["distribution"] == "hyperlexicon-example"]
    assert plugin["hooks"] == ["register_connectors"] and plugin["version"] == "0.1.0"


def test_the_example_connector_translates(indexed_sqlite: Lexicon) -> None:
    result = indexed_sqlite.translate("encode", "свеча и буря", connectors=["keywords"])
    assert result.connector == "keywords" and result.scene.hyperstring == "🕯⛈"
    assert result.usage["glossary"] > 0
