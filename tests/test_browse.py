"""Browsing a lexicon on SQLite and PostgreSQL: entries sorted by a whitelisted column, the
count and the facet counts under the same filters, checked against the entries themselves."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from hyperlexicon.entry import KINDS, REGISTERS, STATUSES
from hyperlexicon.errors import BadInputError
from hyperlexicon.lexicon import Lexicon

KIND_ORDER = ("glyph", "compound", "phrase", "delta")


def test_the_kind_order_puts_glyphs_first_and_delta_codes_last(seeded: Lexicon) -> None:
    everything = seeded.entries(sort="kind")
    kinds = [e.data.kind for e in everything]
    assert kinds == sorted(kinds, key=KIND_ORDER.index)
    assert kinds[0] == "glyph" and kinds[-1] == "delta"
    # ties in form order, within each kind
    for kind in set(kinds):
        keys = [e.data.key for e in everything if e.data.kind == kind]
        assert keys == sorted(keys)
    backwards = seeded.entries(sort="kind", order="desc")
    assert backwards[0].data.kind == "delta"
    # the form order (exports' order) is unchanged and still the default
    assert [e.data.key for e in seeded.entries()] == sorted(e.data.key for e in everything)


@pytest.mark.parametrize("sort", ["weight", "status", "updated"])
def test_every_sort_orders_by_its_column_then_the_form(seeded: Lexicon, sort: str) -> None:
    seeded.edit("☉", weight=0.05, status="deprecated")
    field = {"weight": "weight", "status": "status", "updated": None}[sort]
    for order in ("asc", "desc"):
        listed = seeded.entries(sort=sort, order=order)
        assert len(listed) == seeded.count()
        values = [(getattr(e.data, field) if field else e.updated_at, e.data.key) for e in listed]
        primary = [v for v, _ in values]
        assert primary == sorted(primary, reverse=order == "desc")
        for (a, key_a), (b, key_b) in itertools.pairwise(values):
            if a == b:  # ties in form order, whichever way the column goes
                assert key_a < key_b, (a, key_a, key_b)
    if sort == "updated":
        assert seeded.entries(sort="updated", order="desc", limit=1)[0].form == "☉"


def test_pages_of_a_sort_cover_every_entry_once(seeded: Lexicon) -> None:
    pages = [
        seeded.entries(sort="weight", order="desc", limit=40, offset=n) for n in (0, 40, 80, 120)
    ]
    forms = [e.form for page in pages for e in page]
    assert len(forms) == len(set(forms)) == seeded.count()


def test_a_sort_or_order_outside_the_whitelist_is_refused(seeded: Lexicon) -> None:
    with pytest.raises(BadInputError, match="sort: 'id; drop table entry' is not one of"):
        seeded.entries(sort="id; drop table entry")
    with pytest.raises(BadInputError, match="order: 'up'"):
        seeded.entries(order="up")


def test_count_and_facets_agree_with_the_entries(seeded: Lexicon) -> None:
    seeded.edit("☉", status="deprecated")
    everything = [e.data for e in seeded.entries()]
    facets = seeded.facets()
    assert facets["kind"] == dict(Counter(d.kind for d in everything))
    assert facets["status"] == dict(Counter(d.status for d in everything))
    assert facets["register"] == dict(Counter(r for d in everything for r in d.registers))
    assert seeded.count() == len(everything)
    for kind in KINDS:
        for register in (None, *REGISTERS):
            for status in (None, *STATUSES[:2]):
                chosen = {"kind": kind, "register": register, "status": status}
                matching = [
                    d
                    for d in everything
                    if d.kind == kind
                    and (register is None or register in d.registers)
                    and (status is None or d.status == status)
                ]
                assert seeded.count(**chosen) == len(matching), chosen
                assert len(seeded.entries(**chosen)) == len(matching), chosen
    # each facet counts under the other filters, not its own
    narrowed = seeded.facets(kind="glyph", register="poetic")
    glyphs = [d for d in everything if d.kind == "glyph"]
    poetic = [d for d in everything if "poetic" in d.registers]
    assert narrowed["kind"] == dict(Counter(d.kind for d in poetic))
    assert narrowed["register"] == dict(Counter(r for d in glyphs for r in d.registers))
    assert narrowed["status"] == dict(Counter(d.status for d in glyphs if "poetic" in d.registers))


def test_facets_count_this_lexicon_only(seeded: Lexicon) -> None:
    from hyperlexicon.entry import EntryData

    before = seeded.facets()
    seeded.create_lexicon("other")
    other = seeded.using("other")
    other.add(EntryData.create("🜂", glosses={"en": ["fire"]}, registers=["poetic", "logical"]))
    assert seeded.facets() == before  # the other lexicon's entry is not this one's
    assert other.facets() == {
        "kind": {"glyph": 1},
        "register": {"logical": 1, "poetic": 1},
        "status": {"active": 1},
    }
    assert other.count() == 1 and other.count(register="poetic") == 1
