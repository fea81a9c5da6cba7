"""The store on SQLite and PostgreSQL: writes, history, optimistic concurrency, search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hyperlexicon import models as M
from hyperlexicon.config import Settings
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


@pytest.mark.parametrize("name", ["My Lexicon!", "a..b", ".hidden", "trailing.", ""])
def test_bad_lexicon_name(lexicon: Lexicon, name: str) -> None:
    """Refused before anything is written, not by Chroma later: a name with two periods
    together made a collection name Chroma refuses (``hl.a..b.idx``), and the entry's write
    failed with a server error (found by the schema fuzz test)."""
    before = lexicon.store.lexicons()
    with pytest.raises(BadInputError, match="lexicon name"):
        lexicon.store.create_lexicon(name)
    assert lexicon.store.lexicons() == before


def test_a_lexicon_name_with_periods_apart_is_a_chroma_collection_name(tmp_path: Path) -> None:
    settings = Settings.load(home=str(tmp_path), db_url=f"sqlite:///{tmp_path / 'l.db'}")
    lex, _ = Lexicon.init(settings)
    try:
        lex.create_lexicon("v1.2-draft", "periods apart")
        mine = lex.using("v1.2-draft")
        mine.add(EntryData.create("🜂", glosses={"en": ["fire"]}))
        mine.sync()
        assert [h.entry.form for h in mine.search("fire", mode="semantic", limit=1)] == ["🜂"]
    finally:
        lex.close()


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


# --- the bridge's reads: compiled statements give what plain queries give -------------------


def _reference_by_lemmas(
    lex: Lexicon, keys: list[str], status: str | None, per_key: int
) -> list[tuple[str, int, str, int, str | None]]:
    """One ORM query per key and field, as the store did before its reads were compiled."""
    out = []
    with lex.store.read() as s:
        lx = lex.store.lexicon_id(s, lex.name)
        for table, field in (
            (M.Gloss, "gloss"),
            (M.Component, "component"),
            (M.GlossHead, "gloss_head"),
        ):
            for key in keys:
                q = (
                    select(table.lemma, table.entry_id, table.position, table.lang)
                    .join(M.Entry, M.Entry.id == table.entry_id)
                    .where(table.lemma == key, M.Entry.lexicon_id == lx)
                    .order_by(table.position, table.entry_id)
                    .limit(per_key)
                )
                if status:
                    q = q.where(M.Entry.status == status)
                out += [(r.lemma, r.entry_id, field, r.position, r.lang) for r in s.execute(q)]
    return sorted(out, key=lambda h: (h[0], h[2], h[3], h[1]))


def _reference_entries(lex: Lexicon, where: Any) -> dict[int, tuple[Any, ...]]:
    with lex.store.read() as s:
        rows = s.scalars(select(M.Entry).where(where))
        return {r.id: (r.form, r.data, r.row_version, r.created_at, r.updated_at) for r in rows}


def _as_tuple(e: Any) -> tuple[Any, ...]:
    return (e.form, e.data.to_dict(), e.row_version, e.created_at, e.updated_at)


@pytest.fixture
def grown(seeded: Lexicon) -> Lexicon:
    """The core seed plus entries that share meanings (in several orders), entries that are
    not active, and a second lexicon holding the same forms, written to after core."""
    words = ["огонь", "время", "свеча", "страх", "тишина", "жар", "ожидание", "пепел"]
    items = []
    for i in range(60):
        parts = [words[(i + k * (1 + i % 3)) % len(words)] for k in range(2 + i % 3)]
        items.append(
            (
                str(i),
                EntryData.create(
                    f"syn{i}⟡",
                    components=[Component(p, "ru") for p in parts],
                    glosses={"ru": [" ".join(parts)], "en": [f"thing {i}"]},
                    status=("active", "deprecated", "proposed")[i % 7 % 3],
                ),
            )
        )
    seeded.store.import_entries("core", items, author="tester")
    other = seeded.using("other")
    seeded.store.create_lexicon("other")
    # more than 256 revisions in another lexicon after core's last one
    other.store.import_entries(
        "other",
        [(str(i), EntryData.create(f"o{i}", glosses={"ru": ["огонь"]})) for i in range(300)],
        author="tester",
    )
    other.add(EntryData.create("🜂", glosses={"ru": ["огонь другой"]}))
    return seeded


def test_bridge_reads_match_plain_queries(grown: Lexicon) -> None:
    from hyperlexicon.morphology import lemma_key

    store, name = grown.store, grown.name
    with store.read() as s:
        lemmas = sorted(
            {r for (r,) in s.execute(select(M.Gloss.lemma))}
            | {r for (r,) in s.execute(select(M.Component.lemma))}
            | {r for (r,) in s.execute(select(M.GlossHead.lemma))}
        )
        assert s.scalar(select(func.count()).select_from(M.GlossHead)), "no name of two words"
    # (each key once: the reference asks a key as often as it is listed)
    keys = list(dict.fromkeys([*lemmas[::3], lemma_key("огонь", "ru"), "нет такого слова"]))
    for status, per_key in (("active", 5), (None, 5), ("active", 1), ("deprecated", 3)):
        got = [
            (h.lemma, h.entry_id, h.field, h.position, h.lang)
            for h in store.by_lemmas(name, keys, status=status, per_key=per_key)
        ]
        assert got == _reference_by_lemmas(grown, keys, status, per_key), (status, per_key)
    assert store.by_lemmas(name, []) == []

    every = _reference_entries(grown, M.Entry.lexicon_id == store._lexicon(name))
    ids = sorted(every)
    for chunk in (ids[:1], ids[:7], ids[:1500:3], [*ids[:5], 10**9]):
        got = store.get_many(name, chunk)
        assert {i: _as_tuple(e) for i, e in got.items()} == {
            i: (f, EntryData.from_record(d).to_dict(), v, c, u)
            for i, (f, d, v, c, u) in every.items()
            if i in chunk
        }
    for form, (f, d, v, c, u) in [(e[0], e) for e in list(every.values())[:40]]:
        assert _as_tuple(store.get(name, form.upper())) == (
            f,
            EntryData.from_record(d).to_dict(),
            v,
            c,
            u,
        )
    assert store.get(name, "нет такой формы") is None

    keys = [EntryData.from_record(d).key for _, d, *_ in every.values()]
    asked = [*keys[::2], "🜂", "nope"]
    for status in ("active", None, "deprecated"):
        got = store.by_keys(name, asked, status=status)
        want = {
            key: (f, EntryData.from_record(d).to_dict(), v, c, u)
            for key, (f, d, v, c, u) in zip(keys, every.values(), strict=True)
            if key in asked and (status is None or d["status"] == status)
        }
        assert {k: _as_tuple(e) for k, e in got.items()} == want
        assert all(e.lexicon == name for e in got.values())


def test_meaning_reads_match_plain_queries(grown: Lexicon) -> None:
    store, name = grown.store, grown.name
    lx = store._lexicon(name)
    with store.read() as s:
        active = select(M.Entry.id).where(M.Entry.lexicon_id == lx, M.Entry.status == "active")
        norms = {r for (r,) in s.execute(select(M.Gloss.norm).where(M.Gloss.entry_id.in_(active)))}
        norms |= {
            r
            for (r,) in s.execute(select(M.Component.norm).where(M.Component.entry_id.in_(active)))
        }
        sequences: dict[int, list[str]] = {}
        for entry_id, norm in s.execute(
            select(M.Component.entry_id, M.Component.norm)
            .where(M.Component.entry_id.in_(active))
            .order_by(M.Component.entry_id, M.Component.position)
        ):
            sequences.setdefault(entry_id, []).append(norm)
        first_ru: dict[str, list[int]] = {}
        for norm, entry_id in s.execute(
            select(M.Gloss.norm, M.Gloss.entry_id)
            .where(M.Gloss.entry_id.in_(active), M.Gloss.lang == "ru", M.Gloss.position == 0)
            .order_by(M.Gloss.entry_id)
        ):
            first_ru.setdefault(norm, []).append(entry_id)
    pieces = [*sorted(norms), "огон", "тишинаж", "zzz"]
    assert store.known_meanings(name, pieces) == norms
    assert store.known_meanings(name, []) == set()

    tried = [seq for seq in sequences.values() if len(seq) > 1][:25]
    tried += [list(reversed(seq)) for seq in tried[:5]] + [seq[:-1] for seq in tried[:5]]
    tried += [["огонь", "огонь"], ["нет", "такого"]]
    for seq in tried:
        want = sorted(i for i, parts in sequences.items() if parts == seq)
        assert store.with_component_norms(name, seq) == want, seq

    wanted = [*sorted(first_ru)[::2], "нет такой глоссы"]
    assert store.first_glosses(name, "ru", wanted) == {
        n: ids for n, ids in first_ru.items() if n in wanted
    }


def test_last_revision_and_state(grown: Lexicon) -> None:
    store = grown.store
    with store.read() as s:
        for lexicon in ("core", "other"):
            lx = store.lexicon_id(s, lexicon)
            want = s.scalar(select(func.max(M.Revision.id)).where(M.Revision.lexicon_id == lx))
            assert store.last_revision(lexicon) == want
            keys = s.scalars(select(M.Entry.form_key).where(M.Entry.lexicon_id == lx)).all()
            assert store.longest_key(lexicon) == max(map(len, keys)) > 1
    before = store.state("core")
    assert before.revision == store.last_revision("core") and before.pending
    grown.sync()
    assert not store.state("core").pending
    assert store.state("core").revision == before.revision  # draining is not a revision
    grown.edit("🜂", weight=0.11)
    after = store.state("core")
    assert after.revision > before.revision and after.pending
    store.create_lexicon("empty")
    assert store.last_revision("empty") == 0 and store.longest_key("empty") == 0
    assert store.state("empty") == type(after)(0, 0, False)


def test_a_lexicons_last_revision_is_one_index_seek(grown: Lexicon) -> None:
    """Asked on every encode: a seek along (lexicon, id), not a read of all the lexicon's
    revisions (core's last one is not among the store's latest: "other" was written after)."""
    from sqlalchemy import inspect, text

    from hyperlexicon.store import LAST_REVISION

    store = grown.store
    indexes = {i["name"]: i["column_names"] for i in inspect(store.engine).get_indexes("revision")}
    assert indexes["ix_revision_lexicon_id_id"] == ["lexicon_id", "id"]
    if store.engine.dialect.name != "sqlite":
        return  # PostgreSQL plans a table this small by its statistics, not by the index
    with store.engine.connect() as conn:
        lx = conn.scalar(text("SELECT id FROM lexicon WHERE name = 'core'"))
        plan = conn.execute(text(f"EXPLAIN QUERY PLAN SELECT {LAST_REVISION}"), {"lx": lx})
        steps = " / ".join(row[-1] for row in plan)
    assert "SEARCH revision USING COVERING INDEX ix_revision_lexicon_id_id" in steps, steps
    assert "SCAN revision" not in steps, steps


def test_entries_read_on_the_fast_path_are_the_orm_s(seeded: Lexicon) -> None:
    """``get``, ``get_many`` and ``by_keys`` make entries from the raw row (kept by the row, so
    a warm process does not decode the same record twice): they equal what the ORM reads,
    timezone-aware instants included, and an edit is seen at once."""
    from hyperlexicon.store import _stored

    store, name = seeded.store, seeded.name
    with store.read() as s:
        orm = {e.id: _stored(e, name) for e in s.scalars(select(M.Entry).limit(80))}
    for _ in range(2):  # the second time from what the first one kept
        got = store.get_many(name, sorted(orm))
        assert got == orm
        assert all(e.updated_at.tzinfo is not None for e in got.values())
        by_key = store.by_keys(name, [e.data.key for e in orm.values()], status=None)
        assert {e.id: e for e in by_key.values()} == orm
    first = next(iter(orm.values()))
    seeded.edit(first.form, weight=0.123)
    again = store.get_many(name, [first.id])[first.id]
    assert again.data.weight == 0.123 and again.row_version == first.row_version + 1
    assert store.get(name, first.form) == again


def test_statuses_by_id(seeded: Lexicon) -> None:
    """The status of entries by id, for vector search: ids of no entry, or of another
    lexicon's, are left out."""
    store, name = seeded.store, seeded.name
    entries = store.list(name, limit=10)
    seeded.edit(entries[0].form, status="deprecated")
    store.create_lexicon("other")
    foreign = seeded.using("other").add(EntryData.create("⟁⟁", kind="glyph", glosses={"en": ["x"]}))
    got = store.statuses(name, [e.id for e in entries] + [10**9, foreign.id])
    assert got == {e.id: ("deprecated" if e is entries[0] else e.data.status) for e in entries}
    # and the entries themselves, as the bridge reads a search's statuses with them
    many = store.get_many(name, [e.id for e in entries] + [10**9, foreign.id])
    assert {i: e.data.status for i, e in many.items()} == got
    assert store.get_many("other", [foreign.id, entries[1].id]).keys() == {foreign.id}
    # the entries not active, with theirs, as a search filtered to the active ones keeps
    # them for a revision (none of another lexicon's); more than the limit: None
    seeded.edit(entries[1].form, status="proposed")
    others = {entries[0].id: "deprecated", entries[1].id: "proposed"}
    assert store.other_statuses(name, "active", 2) == others
    assert store.other_statuses(name, "active", 1) is None
    assert store.other_statuses("other", "active", 2) == {}
    assert store.other_statuses(name, "deprecated", 10**6) == {
        e.id: s
        for e in store.list(name, status=None, limit=10**6)
        if (s := e.data.status) != "deprecated"
    }


def test_entries_read_carry_the_content_hash_the_store_keeps(seeded: Lexicon) -> None:
    """Every read of an entry takes its content hash from the row (written from the same
    record), not from hashing the record again; the two agree, so the index's staleness
    checks see no difference. A hash changed behind the store's back shows in every read,
    which is how this test knows the hash was read and not computed."""
    from sqlalchemy import text

    store, name = seeded.store, seeded.name
    entries = store.list(name, limit=5)
    ids = [e.id for e in entries]
    for e in entries:
        assert e.data.content_hash() == EntryData.from_record(e.data.record).content_hash()
    first = entries[0]
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE entry SET content_hash = 'f' WHERE id = :i"), {"i": first.id})
    reads = {
        "get": store.get(name, first.form),
        "get_many": store.get_many(name, ids)[first.id],
        "by_keys": store.by_keys(name, [first.data.key], status=None)[first.data.key],
        "list": next(e for e in store.list(name, limit=5) if e.id == first.id),
        "iter_entries": next(e for e in store.iter_entries(name) if e.id == first.id),
    }
    assert {how: e.data.content_hash() for how, e in reads.items() if e} == dict.fromkeys(
        reads, "f"
    )


def test_entry_reads_build_what_the_plain_constructors_build() -> None:
    """``EntryData.from_record`` sets an entry's fields at once; the compiled read path
    parses JSON with orjson and memoizes timestamps: the values must be the ones the plain
    dataclass constructors, ``json.loads`` and SQLAlchemy's own processors give."""
    import json
    from datetime import UTC

    from sqlalchemy import JSON, create_engine

    from hyperlexicon.engine import _faster

    records = [
        EntryData.create("🜂").to_dict(),
        EntryData.create(
            "страхтишина",
            kind="compound",
            glosses={"ru": ["страх и тишина"], "en": ["fear", "silence"]},
            components=[Component("страх", "ru"), Component("тишина", ref="🜄")],
            registers=["poetic", "emotional"],
            weight=0.125,
            status="deprecated",
            notes="a note",
            examples=["В тишине был страх."],
        ).to_dict(),
    ]
    for record in records:
        built = EntryData.from_record(record)
        plain = EntryData(
            form=record["form"],
            kind=record["kind"],
            glosses={k: tuple(v) for k, v in record["glosses"].items()},
            components=tuple(
                Component(c["meaning"], c.get("lang"), c.get("ref"))
                for c in record.get("components", ())
            ),
            registers=tuple(record["registers"]),
            weight=record["weight"],
            status=record["status"],
            provenance=record["provenance"],
            notes=record.get("notes", ""),
            examples=tuple(record.get("examples", ())),
        )
        assert built == plain and vars(built) == vars(plain)
        assert [vars(c) for c in built.components] == [vars(c) for c in plain.components]
        assert built.to_dict() == record and built.content_hash() == plain.content_hash()
        assert hash(built.components) == hash(plain.components)

    dialect = create_engine("sqlite://").dialect
    plain_json = JSON()._cached_result_processor(dialect, None)
    fast_json = _faster(JSON(), plain_json, dialect)
    for text in [
        json.dumps(records[1]),
        json.dumps(records[1], ensure_ascii=False),
        '{"w": NaN, "big": 123456789012345678901234567890}',
        '["\\ud83d", 1e400, -0.0, 0.1]',
        "[]",
    ]:
        assert repr(fast_json(text)) == repr(plain_json(text))
    stamp = M.Entry.__table__.c.created_at.type
    plain_time = stamp._cached_result_processor(dialect, None)
    fast_time = _faster(stamp, plain_time, dialect)
    for text in ["2026-12-02 20:40:57.753038", "2026-12-02 20:40:57.753038", "2026-01-01 00:00:00"]:
        assert fast_time(text) == plain_time(text) and fast_time(text).tzinfo == UTC


def test_in_lists_are_compiled_for_few_sizes() -> None:
    """An ``IN`` list is compiled per size (``engine.bucket``): every length up to 1,024 fits
    one of 32 sizes, with under a quarter of padding, never past the largest allowed."""
    from hyperlexicon.engine import bucket

    sizes = {n: bucket(n, 1024) for n in range(1, 1025)}
    assert len(set(sizes.values())) == 32
    assert all(n <= size <= 1024 for n, size in sizes.items())
    assert all(size - n < max(n / 4, 4) for n, size in sizes.items())
    assert bucket(700, 1024) == 768 and bucket(100, 128) == 112 and bucket(120, 100) == 100


def test_a_memo_holds_for_one_revision_and_a_lexicon_made_again_starts_afresh(
    lexicon: Lexicon,
) -> None:
    """``Store.memo``: what a reader keeps of a lexicon is one revision's; a write makes a
    new revision and so a new memo; a lexicon deleted and made again under its name starts
    an empty one, whatever revision id it reaches."""
    store, name = lexicon.store, lexicon.name
    lexicon.add(FIRE)
    first = store.last_revision(name)
    store.memo(name, first)["kept"] = 1
    assert store.memo(name, first) == {"kept": 1}
    lexicon.add(EntryData.create("⚠", glosses={"en": ["warning"]}))
    second = store.last_revision(name)
    assert second > first and store.memo(name, second) == {}
    store.memo(name, second)["kept"] = 2
    store.delete_lexicon(name)
    store.create_lexicon(name)
    lexicon.add(FIRE)
    lexicon.add(EntryData.create("⚠", glosses={"en": ["warning"]}))
    assert store.memo(name, store.last_revision(name)) == {}
