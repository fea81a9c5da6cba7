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


# --- the component notation: what the web page's form and CSV cells are read with ---------------

MEANING = st.text(
    alphabet="абвгдежзиклмнопрстуфхцчшщэюя abcdefghijklmnopqrstuvwxyz-'", min_size=1, max_size=30
).filter(lambda m: m.strip() and not m.strip().startswith(("-", "'")))


@given(
    MEANING,
    st.sampled_from([None, "ru", "en", "pt-BR"]),
    st.sampled_from([None, "🜂", "⚡🜂🫁", "Δ-threshold", "перед бурей"]),
)
def test_every_valid_component_comes_back_from_its_notation(
    meaning: str, lang: str | None, ref: str | None
) -> None:
    try:
        c = EntryData.create("🜂", components=[Component(meaning, lang, ref)]).components[0]
    except BadInputError:  # e.g. "ab:x" inside a meaning: refused, so never written
        return
    assert Component.parse(c.spec()) == c
    lines = "\n".join(x.spec() for x in [c, c, c]).split("\n")
    assert EntryData.create("🜂", components=lines).components == (c, c, c)


def test_every_seed_component_comes_back_from_its_notation() -> None:
    import yaml

    from .fixtures import ROOT

    seed = yaml.safe_load((ROOT / "seeds" / "core.yaml").read_text("utf-8"))["entries"]
    for record in seed:
        data = EntryData.from_dict(record)
        specs = [c.spec() for c in data.components]
        assert EntryData.create(data.form, components=specs).components == data.components


@pytest.mark.parametrize(
    "component, held",
    [
        ({"meaning": "огонь@🜂ru:время@⧖ru:свеча", "lang": "ru", "ref": "🕯"}, "'@'"),
        ({"meaning": "огонь ru:время"}, "'ru:'"),
        ({"meaning": "fire", "ref": "🜂@⧖"}, "'@'"),
        ("ru:огонь@🜂ru:время@⧖ru:свеча@🕯", "'ru:'"),
        ("ru:огонь en:fire", "'en:'"),
    ],
)
def test_a_meaning_holding_a_second_component_is_refused(component: object, held: str) -> None:
    with pytest.raises(BadInputError, match=r"components\[0\]: .*" + held) as info:
        EntryData.from_dict({"form": "🜂⧖🕯", "components": [component]}, where="body")
    assert "one component each" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_colon_in_prose_is_not_a_language_tag() -> None:
    data = EntryData.create("🜂", components=["ru:время: поток", "en:the hour: 12:30"])
    assert [c.meaning for c in data.components] == ["время: поток", "the hour: 12:30"]
    # a meaning that starts like a tag would come back as one: refused as an object
    with pytest.raises(BadInputError, match="'war:'"):
        EntryData.create("🜂", components=[{"meaning": "war: peace"}])


def test_an_entry_takes_another_entrys_names_after_its_own_glosses() -> None:
    core = EntryData.create("🌳", glosses={"ru": ["древо"], "en": ["tree"]}, weight=0.8)
    emoji = EntryData.create(
        "🌳",
        glosses={"ru": ["дерево", "листва"], "en": ["Tree", "forest"], "de": ["Baum"]},
        weight=0.5,
        provenance="seed",
    )
    merged = core.with_names_of(emoji)
    # each language's name once, after the entry's own glosses; "Tree" is "tree" as forms go
    assert merged.glosses == {"de": ("Baum",), "en": ("tree",), "ru": ("древо", "дерево")}
    assert (merged.weight, merged.provenance, merged.kind) == (0.8, core.provenance, core.kind)
    assert merged.with_names_of(emoji) is merged  # nothing to add: the same entry
