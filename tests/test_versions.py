"""Versions: named points in history; show, diff, export and rollback read only the history."""

from __future__ import annotations

import io
import json

import pytest

from hyperlexicon.entry import EntryData
from hyperlexicon.errors import BadInputError, ConflictError, NotFoundError
from hyperlexicon.lexicon import Lexicon


def _forms(state: dict[str, EntryData]) -> set[str]:
    return {d.form for d in state.values()}


@pytest.fixture
def evolved(lexicon: Lexicon) -> Lexicon:
    """v1 = {🜂, ⧖}; then 🕯 added, ⧖ removed, 🜂 changed (v2)."""
    lexicon.add(EntryData.create("🜂", glosses={"ru": ["огонь"], "en": ["fire"]}, weight=0.8))
    lexicon.add(EntryData.create("⧖", glosses={"ru": ["время"], "en": ["time"]}))
    lexicon.create_version("v1", message="two glyphs")
    lexicon.add(EntryData.create("🕯", glosses={"ru": ["свеча"], "en": ["candle"]}))
    lexicon.remove("⧖")
    lexicon.edit("🜂", weight=0.3, registers=["poetic"])
    lexicon.create_version("v2")
    return lexicon


def test_list_and_show(evolved: Lexicon) -> None:
    versions = evolved.versions()
    assert [(v.name, v.entries, v.author) for v in versions] == [
        ("v1", 2, "tester"),
        ("v2", 2, "tester"),
    ]
    assert versions[0].message == "two glyphs"
    assert _forms(evolved.at("v1")) == {"🜂", "⧖"}
    assert _forms(evolved.at("v2")) == {"🜂", "🕯"}
    assert evolved.at("v1")[EntryData.create("🜂").key].weight == 0.8


def test_diff_field_by_field(evolved: Lexicon) -> None:
    d = evolved.diff("v1", "v2")
    assert [e.form for e in d.added] == ["🕯"]
    assert [e.form for e in d.removed] == ["⧖"]
    [(old, new, fields)] = d.changed
    assert new.form == "🜂"
    assert fields == {"registers": ([], ["poetic"]), "weight": (0.8, 0.3)}
    assert evolved.diff("v2").empty  # B defaults to the working state
    evolved.edit("🕯", weight=0.9)
    assert [c[1].form for c in evolved.diff("v2").changed] == ["🕯"]
    json.dumps(d.to_dict())  # serializable as is


def test_rollback_restores_and_can_itself_be_rolled_back(evolved: Lexicon) -> None:
    tag, counts = evolved.rollback("v1")
    assert counts == {"created": 1, "updated": 1, "deleted": 1}
    assert evolved.diff("v1").empty
    assert evolved.get("🜂").data.weight == 0.8
    # every step of it is in the history, with the reason
    assert [r.reason for r in evolved.history("⧖")][:1] == ["rollback to v1"]
    # undo the rollback
    evolved.rollback(tag)
    assert evolved.diff("v2").empty
    # history only grew
    assert len(evolved.history()) == 2 + 3 + 3 + 3


def test_rollback_to_a_revision_number(evolved: Lexicon) -> None:
    first = min(r.id for r in evolved.history())
    evolved.rollback(f"@{first}")
    assert _forms(evolved.at("working")) == {"🜂"}


def test_export_of_a_version(evolved: Lexicon) -> None:
    buf = io.BytesIO()
    assert evolved.export_stream(buf, format="jsonl", version="v1") == 2
    lines = [json.loads(line) for line in buf.getvalue().decode().splitlines()]
    assert lines[0]["version"] == "v1"
    assert {r["form"] for r in lines[1:]} == {"🜂", "⧖"}


def test_version_errors(evolved: Lexicon) -> None:
    with pytest.raises(ConflictError):
        evolved.create_version("v1")
    with pytest.raises(BadInputError):
        evolved.create_version("working")
    with pytest.raises(BadInputError):
        evolved.create_version("has space")
    with pytest.raises(NotFoundError):
        evolved.at("v9")
    with pytest.raises(BadInputError):
        evolved.at("@x")


def test_seed_is_tagged(seeded: Lexicon) -> None:
    [v] = seeded.versions()
    assert v.name == "seed-core-1" and v.entries is not None and v.entries >= 100
    assert seeded.load_seed("core") is None  # already there: nothing to do
