"""The labelled sets of bench/encode_quality.py (issue 16) are well formed.

These tests check the yardstick, not the bridge: every form exists in the seeds that
``init --seed core,emoji`` loads, every concept names the words that carry it, the main set is
as broad as the benchmark promises (both languages, every phenomenon), and the held-out sets
(``encode_heldout.yaml``, ``encode_heldout2.yaml``) repeat none of the sentences before them.
They never encode.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "encode_quality.py"
DATA = ROOT / "bench" / "data" / "encode_quality.yaml"
HELD_OUT = ROOT / "bench" / "data" / "encode_heldout.yaml"
HELD_OUT_2 = ROOT / "bench" / "data" / "encode_heldout2.yaml"
TAGS = {
    "plain",
    "multiword",
    "paraphrase",
    "ambiguous",
    "pos",
    "compound",
    "unknown",
    "negation",
    "question",
    "long",
    "seed",
}


def _script():
    spec = importlib.util.spec_from_file_location("encode_quality", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


bench = _script()
ITEMS = bench.load_set(DATA)
HELD = bench.load_set(HELD_OUT)
HELD_2 = bench.load_set(HELD_OUT_2)
# the checks of form, on every set (the breadth checks are the main set's)
BOTH = pytest.mark.parametrize(
    "items", [ITEMS, HELD, HELD_2], ids=["main", "held-out", "held-out-2"]
)


def _seed_forms() -> set[str]:
    forms = set()
    for name in ("core", "emoji"):
        entries = bench.read_yaml(ROOT / "seeds" / f"{name}.yaml")["entries"]
        forms |= {bench.form_key(e["form"]) for e in entries}
    return forms


SEED_FORMS = _seed_forms()


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().replace("ё", "е")


def test_the_set_is_broad_enough():
    assert len(ITEMS) >= 240
    langs = Counter(i.lang for i in ITEMS)
    assert langs["ru"] >= 100 and langs["en"] >= 100, langs


def test_every_tag_is_known_and_used_often():
    tags = Counter(t for i in ITEMS for t in i.tags)
    assert set(tags) <= TAGS, set(tags) - TAGS
    assert set(tags) == TAGS, f"unused tags: {TAGS - set(tags)}"
    rare = {t: n for t, n in tags.items() if n < 10}
    assert not rare, f"tags used fewer than 10 times: {rare}"


@BOTH
def test_no_sentence_twice(items: list) -> None:
    seen = Counter(_fold(" ".join(i.text.split())) for i in items)
    assert [t for t, n in seen.items() if n > 1] == []


@BOTH
def test_every_form_is_in_the_seeds(items: list) -> None:
    missing = [
        (i.n, f)
        for i in items
        for f in [f for c in i.concepts for f in c.forms] + list(i.also)
        if bench.form_key(f) not in SEED_FORMS
    ]
    assert missing == [], "(item, form) not in seeds/core.yaml or seeds/emoji.yaml"


@BOTH
def test_concepts_are_grounded_in_the_sentence(items: list) -> None:
    problems = []
    for i in items:
        text = _fold(i.text)
        # a sentence with content has concepts; only one of unknown words may have none
        if not i.concepts and not i.unmatched:
            problems.append((i.n, "no concept and no unmatched word"))
        for c in i.concepts:
            if _fold(c.said) not in text:
                problems.append((i.n, f"{c.said!r} is not in the sentence"))
            if len(set(c.forms)) != len(c.forms):
                problems.append((i.n, f"{c.said!r} repeats a form"))
        words = set(re.findall(r"\w+", text))
        problems += [
            (i.n, f"unmatched {w!r} is not a word") for w in i.unmatched if _fold(w) not in words
        ]
        if ("unknown" in i.tags) != bool(i.unmatched):
            problems.append((i.n, "'unknown' items, and only they, list unmatched words"))
    assert problems == []


@BOTH
def test_an_allowed_extra_is_not_also_required(items: list) -> None:
    both = []
    for i in items:
        required = set().union(*(c.keys for c in i.concepts)) if i.concepts else set()
        both += [(i.n, f) for f in i.also if bench.variant_key(f) in required]
    assert both == [], "(item, form) both required by a concept and listed under also"


@BOTH
def test_seed_items_are_marked(items: list) -> None:
    assert {i.n for i in items if i.seed} == {i.n for i in items if "seed" in i.tags}


def test_loader_refuses_a_malformed_item(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "items:\n- text: Кошка спит.\n  lang: ru\n  tags: [plain]\n  concepts:\n  - [🐈, 🐱]\n",
        "utf-8",
    )
    with pytest.raises(ValueError, match=r"item 1 .*a concept is"):
        bench.load_set(bad)
    bad.write_text("items:\n- text: Кошка спит.\n  lang: de\n  tags: [plain]\n", "utf-8")
    with pytest.raises(ValueError, match="lang must be one of"):
        bench.load_set(bad)


class _Refs:
    """Each form its own key (the bench's ``Refs`` reads the lexicon for components)."""

    def keys(self, form: str) -> frozenset[str]:
        return frozenset({bench.variant_key(form)})


def test_the_summary_counts_each_layers_right_and_spurious_lexemes():
    item = bench.Item(
        n=1,
        text="Кошка спит, за окном снег.",
        lang="ru",
        topic="everyday",
        tags=("plain",),
        concepts=(
            bench.Concept("кошка", ("🐈",)),
            bench.Concept("снег", ("❄",)),
            bench.Concept("окном", ("🪟",)),
        ),
        also=("💤",),
    )

    def lexeme(form: str, how: str) -> SimpleNamespace:
        return SimpleNamespace(form=form, how=how, source="")

    scene = SimpleNamespace(
        lexemes=[
            lexeme("🐈", "lemma"),
            lexeme("🪚", "lemma"),  # spurious
            lexeme("💤", "semantic"),  # allowed, not required: not spurious
            lexeme("❄️", "semantic"),  # a variant of a required form
            lexeme("Δ-ascent", "archetype"),  # spurious
        ],
        unmatched=[],
    )
    outcome = bench.judge(item, scene, _Refs())
    assert outcome.found == [True, True, False]
    summary = bench.summarize([outcome, outcome])
    assert summary["by_layer"] == {
        "archetype": {"right": 0, "spurious": 2},
        "lemma": {"right": 2, "spurious": 2},
        "semantic": {"right": 4, "spurious": 0},
    }
    # the layers' spurious lexemes are the spurious lexemes, all of them
    spurious = sum(n["spurious"] for n in summary["by_layer"].values())
    assert spurious / 2 == summary["overall"]["spurious_per_sentence"]
    report = "\n".join(bench.report({"full": summary}, [item]))
    assert "archetype 0/2, lemma 2/2, semantic 4/0" in report


def test_variants_compare_as_one_form():
    assert bench.variant_key("👩‍⚕️") == bench.variant_key("🧑‍⚕️") == bench.variant_key("👨🏽‍⚕️")
    assert bench.variant_key("🚶‍♀️‍➡️") == bench.variant_key("🚶")
    assert bench.variant_key("🕯️") == bench.variant_key("🕯")
    assert bench.variant_key("♀") != bench.variant_key("♂")
    assert bench.variant_key("👩") != bench.variant_key("🧑")


@BOTH
def test_long_items_are_long(items: list) -> None:
    short = [i.n for i in items if "long" in i.tags and len(re.findall(r"\w+", i.text)) <= 20]
    assert short == []


def _texts(items: list) -> set[str]:
    return {_fold(" ".join(i.text.split())) for i in items}


def test_the_held_out_set_is_new():
    """Sentences the bridge was tuned on cannot measure how it generalizes."""
    main = _texts(ITEMS)
    assert [i.n for i in HELD if _fold(" ".join(i.text.split())) in main] == []
    langs = Counter(i.lang for i in HELD)
    assert langs["ru"] >= 50 and langs["en"] >= 50, langs


def test_the_second_held_out_set_is_new():
    """The second held-out set repeats no sentence of the main set or of the first."""
    before = _texts(ITEMS) | _texts(HELD)
    assert [i.n for i in HELD_2 if _fold(" ".join(i.text.split())) in before] == []
    langs = Counter(i.lang for i in HELD_2)
    assert langs["ru"] >= 30 and langs["en"] >= 30, langs
    tags = {t for i in HELD_2 for t in i.tags}
    assert tags <= TAGS - {"compound", "unknown", "seed"}, tags


def test_the_cached_store_is_rebuilt_when_the_seeds_merge_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The benchmark's store is cached by what it depends on. How two seeds' entries of one
    form are merged is in the code, not the seed files: changed there alone, it must build
    a new store, or the benchmark measures the store of the code before it."""
    from hyperlexicon.entry import EntryData
    from hyperlexicon.lexicon import seeds_dir

    before = bench.cache_key(seeds_dir(), "use-multilingual")
    assert bench.cache_key(seeds_dir(), "use-multilingual") == before
    assert bench.cache_key(seeds_dir(), "st:other") != before

    def every_gloss(self: EntryData, other: EntryData) -> EntryData:
        return other

    monkeypatch.setattr(EntryData, "with_names_of", every_gloss)
    assert bench.cache_key(seeds_dir(), "use-multilingual") != before
