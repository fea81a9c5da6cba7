"""The store on SQLite and PostgreSQL: writes, history, optimistic concurrency, search."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hyperlexicon import models as M
from hyperlexicon.entry import Component, EntryData
from hyperlexicon.errors import BadInputError, ConflictError, NotFoundError
from hyperlexicon.lexicon import Lexicon

FIRE = EntryData.create(
    "🜂",
    glosses={"ru": ["огонь", "пламя"], "en": ["fire"]},
    registers=["poetic", "emotional"],
    weight=0.8,
)


def _count(lex: Lexicon, model: type) -> int:
    with lex.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_add_get_and_the_write_leaves_a_revision_and_an_outbox_row(lexicon: Lexicon) -> None:
    stored = lexicon.add(FIRE, reason="first light")
    assert stored.row_version == 1
    assert lexicon.get("🜂").data == FIRE
    [rev] = lexicon.history("🜂")
    assert (rev.op, rev.author, rev.reason) == ("create", "tester", "first light")
    assert rev.before is None and rev.after == FIRE.to_dict()
    assert _count(lexicon, M.Outbox) == 1


def test_forms_are_found_by_key(lexicon: Lexicon) -> None:
    lexicon.add(EntryData.create("⚠", glosses={"en": ["warning"]}))
    assert lexicon.get("⚠️").form == "⚠"
    lexicon.add(EntryData.create("Δ-threshold", glosses={"en": ["threshold"]}))
    assert lexicon.get("∆-THRESHOLD").form == "Δ-threshold"


def test_duplicate_add_is_a_conflict_and_changes_nothing(lexicon: Lexicon) -> None:
    lexicon.add(FIRE)
    with pytest.raises(ConflictError, match="already exists"):
        lexicon.add(FIRE.evolve(weight=0.1))
    assert lexicon.get("🜂").data.weight == 0.8
    assert _count(lexicon, M.Revision) == 1


def test_edit_records_before_and_after(lexicon: Lexicon) -> None:
    lexicon.add(FIRE)
    stored = lexicon.edit("🜂", weight=0.9, reason="used a lot")
    assert stored.row_version == 2 and stored.data.weight == 0.9
    rev = lexicon.history("🜂")[0]
    assert rev.op == "update" and rev.before["weight"] == 0.8 and rev.after["weight"] == 0.9
    assert rev.reason == "used a lot"


def test_unchanged_edit_writes_no_revision(lexicon: Lexicon) -> None:
    lexicon.add(FIRE)
    assert lexicon.edit("🜂", weight=0.8).row_version == 1
    assert len(lexicon.history("🜂")) == 1


def test_stale_edit_is_refused_and_nothing_changes(lexicon: Lexicon) -> None:
    lexicon.add(FIRE)
    seen = lexicon.get("🜂").row_version
    lexicon.edit("🜂", weight=0.6)  # someone else's edit lands first
    with pytest.raises(ConflictError, match="stale edit refused"):
        lexicon.edit("🜂", weight=0.1, expect_version=seen)
    assert lexicon.get("🜂").data.weight == 0.6
    assert len(lexicon.history("🜂")) == 2
    with pytest.raises(ConflictError, match="stale delete refused"):
        lexicon.remove("🜂", expect_version=seen)
    assert lexicon.find("🜂") is not None


def test_rename_keeps_history_and_refuses_a_taken_form(lexicon: Lexicon) -> None:
    lexicon.add(FIRE)
    lexicon.add(EntryData.create("🔥", glosses={"en": ["heat"]}))
    with pytest.raises(ConflictError):
        lexicon.edit("🜂", form="🔥")
    lexicon.edit("🜂", form="🜂🜂")
    assert lexicon.find("🜂") is None
    assert [r.op for r in lexicon.history("🜂🜂")] == ["update", "create"]
    assert [r.op for r in lexicon.history("🜂")] == ["update", "create"]


def test_remove_keeps_history(lexicon: Lexicon) -> None:
    lexicon.add(FIRE)
    lexicon.remove("🜂", reason="gone")
    assert lexicon.find("🜂") is None
    assert [r.op for r in lexicon.history("🜂")] == ["delete", "create"]
    assert _count(lexicon, M.Gloss) == 0  # children go with the entry
    with pytest.raises(NotFoundError):
        lexicon.remove("🜂")


def test_failed_transaction_leaves_nothing(lexicon: Lexicon) -> None:
    good = [("a:1", FIRE), ("a:2", EntryData.create("⧖", glosses={"en": ["time"]}))]
    with pytest.raises(BadInputError, match="a:3: duplicate form"):
        lexicon.store.import_entries("core", [*good, ("a:3", FIRE)], author="t", on_conflict="fail")
    assert _count(lexicon, M.Entry) == 0
    assert _count(lexicon, M.Revision) == 0
    assert _count(lexicon, M.Outbox) == 0


def test_import_conflict_policies(lexicon: Lexicon) -> None:
    lexicon.add(FIRE)
    changed = FIRE.evolve(weight=0.2)
    time = EntryData.create("⧖", glosses={"en": ["time"]})
    with pytest.raises(ConflictError, match="x:1: entry '🜂' already exists"):
        lexicon.store.import_entries("core", [("x:1", changed), ("x:2", time)], author="t")
    assert lexicon.find("⧖") is None
    r = lexicon.store.import_entries(
        "core", [("x:1", changed), ("x:2", time)], author="t", on_conflict="skip"
    )
    assert (r.created, r.skipped, r.updated) == (1, 1, 0)
    assert lexicon.get("🜂").data.weight == 0.8
    r = lexicon.store.import_entries(
        "core", [("x:1", changed), ("x:2", time)], author="t", on_conflict="update"
    )
    assert (r.created, r.updated, r.unchanged) == (0, 1, 1)
    assert lexicon.get("🜂").data.weight == 0.2


def test_lexicons_are_separate(lexicon: Lexicon) -> None:
    lexicon.add(FIRE)
    mine = lexicon.using("mine")
    mine.store.create_lexicon("mine", "my own")
    mine.add(FIRE.evolve(weight=0.1))
    assert lexicon.get("🜂").data.weight == 0.8
    assert mine.get("🜂").data.weight == 0.1
    names = {lx["name"]: lx["entries"] for lx in lexicon.store.lexicons()}
    assert names == {"core": 1, "mine": 1}
    lexicon.store.delete_lexicon("mine")
    with pytest.raises(NotFoundError):
        mine.get("🜂")
    assert lexicon.get("🜂").data.weight == 0.8


def test_bad_lexicon_name(lexicon: Lexicon) -> None:
    with pytest.raises(BadInputError, match="lexicon name"):
        lexicon.store.create_lexicon("My Lexicon!")


def test_list_filters(seeded: Lexicon) -> None:
    deltas = seeded.entries(kind="delta")
    assert len(deltas) >= 20 and all(e.data.kind == "delta" for e in deltas)
    poetic = seeded.entries(register="poetic")
    assert poetic and all("poetic" in e.data.registers for e in poetic)
    assert seeded.entries(status="proposed") == []
    page = seeded.entries(limit=5, offset=5)
    assert [e.form for e in page] == [e.form for e in seeded.entries()][5:10]
    assert seeded.store.count("core", kind="delta") == len(deltas)


@pytest.mark.parametrize(
    "query, form, match",
    [
        ("🜂", "🜂", "exact"),
        ("огонь", "🜂", "gloss"),
        ("fire", "🜂", "gloss"),
        ("страха", "😨", "lemma"),  # lemma of страх, via pymorphy3
        ("страхом", "😨", "lemma"),
        ("бурей", "⛈", "lemma"),
        ("storms", "⛈", "lemma"),  # simplemma
        ("страхтишина", "страхтишинажарожидание", "prefix"),
        ("тишинажар", "страхтишинажарожидание", "substring"),
    ],
)
def test_search(seeded: Lexicon, query: str, form: str, match: str) -> None:
    hits = seeded.search(query)
    best = hits[0]
    assert (best.entry.form, best.match) == (form, match), [
        (h.entry.form, h.match) for h in hits[:5]
    ]


def test_search_filters_and_limits(seeded: Lexicon) -> None:
    hits = seeded.search("огонь", kind="delta", limit=3)
    assert 0 < len(hits) <= 3 and all(h.entry.data.kind == "delta" for h in hits)
    assert seeded.search("zzzzqqq") == []
    with pytest.raises(BadInputError):
        seeded.search("   ")


def test_search_escapes_like_wildcards(lexicon: Lexicon) -> None:
    lexicon.add(EntryData.create("a_b", kind="phrase", glosses={"en": ["100% sure"]}))
    lexicon.add(EntryData.create("axb", kind="phrase", glosses={"en": ["1000 ways"]}))
    assert [h.entry.form for h in lexicon.search("a_")] == ["a_b"]
    assert [h.entry.form for h in lexicon.search("0%")] == ["a_b"]


def test_components_keep_order_and_links(lexicon: Lexicon) -> None:
    comps = [Component("страх", "ru", "😨"), Component("тишина", "ru", None), Component("жар")]
    lexicon.add(EntryData.create("страхтишинажар", components=comps, glosses={"ru": ["x"]}))
    assert lexicon.get("страхтишинажар").data.components == tuple(comps)
    assert lexicon.get("страхтишинажар").data.kind == "compound"


def test_stats(seeded: Lexicon) -> None:
    figures = seeded.stats()["lexicons"]["core"]
    assert figures["entries"] >= 100
    assert figures["versions"] == 1
    assert set(figures["glosses_by_language"]) == {"ru", "en"}
