from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperlexicon.entry import KINDS, REGISTERS, STATUSES, Component, EntryData, infer_kind
from hyperlexicon.errors import BadInputError

WORD = st.text(
    alphabet="абвгдежзиклмнопрстуфхцчшщэюяabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12
)
GLYPH = st.sampled_from(list("🜂⧖🕯⟁☰☉⚭⚗🔥♁🜍⚡🫁🜁Ꙩ☿🜄🜃∞⟲⇌"))


@st.composite
def entries(draw: st.DrawFn) -> EntryData:
    kind = draw(st.sampled_from(KINDS))
    if kind == "glyph":
        form = "".join(draw(st.lists(GLYPH, min_size=1, max_size=4)))
    elif kind == "delta":
        form = "Δ-" + draw(WORD)
    else:
        form = draw(WORD) + draw(WORD)
    return EntryData.create(
        form,
        kind=kind,
        glosses={
            "ru": draw(st.lists(WORD, min_size=1, max_size=3, unique=True)),
            "en": draw(st.lists(WORD, min_size=1, max_size=3, unique=True)),
        },
        components=[
            Component(
                m, draw(st.sampled_from([None, "ru", "en"])), draw(st.sampled_from([None, "🜂"]))
            )
            for m in draw(st.lists(WORD, max_size=4))
        ],
        registers=draw(st.lists(st.sampled_from(REGISTERS), unique=True)),
        weight=draw(st.floats(0, 1)),
        status=draw(st.sampled_from(STATUSES)),
        notes=draw(st.sampled_from(["", "a note", "многострочная\nзаметка"])),
        examples=draw(st.lists(WORD, max_size=2, unique=True)),
    )


@given(entries())
def test_to_dict_from_dict_round_trips(data: EntryData) -> None:
    again = EntryData.from_dict(data.to_dict())
    assert again == data
    assert again.content_hash() == data.content_hash()


@pytest.mark.parametrize(
    "record, message",
    [
        ({"form": "🜂", "kind": "rune"}, r"kind: 'rune' is not one of"),
        ({"form": "🜂", "weight": 2}, r"weight: must be between 0 and 1"),
        ({"form": "🜂", "weight": "heavy"}, r"weight: not a number"),
        ({"form": "🜂", "registers": ["angry"]}, r"registers: unknown register 'angry'"),
        ({"form": "🜂", "glosses": {"Russian!": ["x"]}}, r"glosses: bad language code"),
        ({"form": "🜂", "glosses": {"ru": [""]}}, r"glosses.ru\[0\]: is empty"),
        ({"form": "🜂", "status": "maybe"}, r"status: 'maybe' is not one of"),
        ({"form": "🜂", "colour": "red"}, r"unknown field\(s\): colour"),
        ({"kind": "glyph"}, r"missing field 'form'"),
        ({"form": "threshold", "kind": "delta"}, r"a Δ-code must start with"),
        (
            {"form": "🜂", "components": [{"meaning": "x", "colour": 1}]},
            r"components\[0\]: unknown field",
        ),
    ],
)
def test_bad_records_name_the_field(record: dict, message: str) -> None:
    with pytest.raises(BadInputError, match=message) as info:
        EntryData.from_dict(record, where="f.jsonl:7")
    assert str(info.value).startswith("f.jsonl:7")


@pytest.mark.parametrize(
    "form, n, kind",
    [
        ("🜂", 0, "glyph"),
        ("⚡🜂🫁", 0, "glyph"),
        ("Ꙩ", 0, "glyph"),
        ("Δ-threshold", 0, "delta"),
        ("∆-return", 0, "delta"),
        ("страхтишинажарожидание", 4, "compound"),
        ("буря", 0, "phrase"),
        ("перед бурей", 0, "phrase"),
    ],
)
def test_kind_is_inferred(form: str, n: int, kind: str) -> None:
    assert infer_kind(form, n) == kind


def test_component_spec_round_trips() -> None:
    c = Component.parse("ru:страх@😨")
    assert c == Component("страх", "ru", "😨")
    assert Component.parse(c.spec()) == c
    assert Component.parse("тишина") == Component("тишина")
