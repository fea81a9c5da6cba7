"""The engine on a narrow workspace, without a Lexicon, a file or Chroma: the bridge's layers and
calibration's bookkeeping over an in-memory store (tests/memory.py)."""

from __future__ import annotations

import pytest

from hyperlexicon import calibration as cal
from hyperlexicon.bridge import Bridge
from hyperlexicon.errors import BadInputError, RateLimitError
from hyperlexicon.stability import Thresholds

from .memory import SMALL, memory_workspace


@pytest.fixture
def mem():  # type: ignore[no-untyped-def]
    return memory_workspace(SMALL)


def test_exact_glyphs_by_longest_match_and_words_by_key(mem) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge(mem.workspace)
    scene = bridge.encode("🜂⧖🕯 🜂", stability=False)
    assert scene.forms == ["🜂⧖🕯", "🜂"]
    assert all(lx.how == "exact" for lx in scene.lexemes)
    assert bridge.encode("страхтишина", stability=False).forms == ["страхтишина"]


def test_lemmas_find_inflected_words_and_phrases(mem) -> None:  # type: ignore[no-untyped-def]
    scene = Bridge(mem.workspace).encode("В тишине горела свеча и падающей звезды", stability=False)
    hows = {lx.form: lx.how for lx in scene.lexemes}
    assert hows["🤫"] == "lemma" and hows["🕯"] == "lemma"
    assert hows["🌠"] == "lemma"  # a two-word gloss, inflected


def test_a_fused_word_is_its_compound_or_the_lexemes_of_its_parts(mem) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge(mem.workspace)
    assert bridge.encode("страхтишина", stability=False).lexemes[0].how == "exact"
    # no entry fuses тишина + огонь + свеча in this order: the word says its parts
    scene = bridge.encode("тишинаогоньсвеча", stability=False)
    assert scene.forms == ["🤫", "🜂", "🕯"]
    assert {lx.how for lx in scene.lexemes} == {"compound"}
    assert scene.unmatched == [] and scene.coverage == 1.0
    assert not any("archetype" in n for n in scene.notes)
    assert scene.fused == [
        {"text": "тишинаогоньсвеча", "span": [0, 16], "parts": ["тишина", "огонь", "свеча"]}
    ]
    # a part whose only entry is filtered out (too weak): the others are said, and that part
    # is unmatched over the word's span (for growth), the word a third unexplained
    weak = Bridge(mem.workspace, Thresholds(weight_floor=0.6))
    again = weak.encode("тишинаогоньсвеча", stability=False)
    assert again.forms == ["🜂", "🕯"] and again.fused == scene.fused
    assert [(u.text, u.span, u.split) for u in again.unmatched] == [("тишина", (0, 16), [])]
    assert again.coverage == pytest.approx(2 / 3)
    assert not any("archetype" in n for n in again.notes)
    # no part names an entry that is strong enough: the word stays unmatched, with its split
    weakest = Bridge(mem.workspace, Thresholds(weight_floor=0.99))
    last = weakest.encode("тишинаогоньсвеча", stability=False)
    assert last.fused == [] and last.unmatched[0].split == ["тишина", "огонь", "свеча"]


def test_a_gloss_of_several_words_in_any_order_and_inflection(mem) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge(mem.workspace)
    side_by_side = bridge.encode("Мы загадали желание, увидев падающую звезду", stability=False)
    apart = bridge.encode("Я видел, как звезда медленно падала", stability=False)
    [a], [b] = side_by_side.lexemes, apart.lexemes
    assert a.form == b.form == "🌠"
    assert (a.how, b.how) == ("lemma", "phrase") and b.score < a.score
    assert bridge.encode("a star was shooting across the sky", stability=False).forms == ["🌠"]
    # words of a gloss in two sentences are not one phrase (звезда alone is the name's head,
    # a partial match of one word: ``Bridge._partial``)
    lemmas_only = Bridge(mem.workspace, layers=("exact", "lemma"))
    apart = lemmas_only.encode("Звезда светила. Вода падала.", stability=False)
    assert [(lx.how, lx.source) for lx in apart.lexemes if lx.form == "🌠"] == [
        ("partial", "Звезда")
    ]


def test_coverage_counts_the_words_explained_not_the_span(mem) -> None:  # type: ignore[no-untyped-def]
    scene = Bridge(mem.workspace).encode("огонь и квазиглифовость", stability=False)
    assert [u.text for u in scene.unmatched] == ["квазиглифовость"]
    assert scene.coverage == 0.5


def test_the_archetype_anchors_a_scene_that_falls_apart(mem) -> None:  # type: ignore[no-untyped-def]
    strict = Thresholds(semantic={k: 0.99 for k in Thresholds().semantic})
    scene = Bridge(mem.workspace, strict).encode("вернуться домой", stability=False)
    assert scene.lexemes[0].form == "Δ-return" and scene.lexemes[0].how == "archetype"
    assert any("archetype" in note for note in scene.notes)
    assert "вернуться домой" in mem.index.queries  # asked through the workspace's getter
    # a scene whose words are explained keeps them: no archetype read into it
    assert "Δ-return" not in Bridge(mem.workspace, strict).encode("огонь", stability=False).forms


def test_weak_entries_are_filtered_and_said(mem) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge(mem.workspace, Thresholds(weight_floor=0.6))
    scene = bridge.encode("страх и огонь", stability=False)
    assert "😨" not in scene.forms and "🜂" in scene.forms
    [diag] = [d for d in scene.diagnostics if d.code == "filtered"]
    assert "😨" in diag.message


def test_the_formula_is_lossless(mem) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge(mem.workspace)
    text = bridge.decode("🜂⧖🕯 → 🕯", style="formula", lang="ru").text
    assert bridge.encode(text, stability=False).hyperstring == "🜂⧖🕯 → 🕯"


def test_links_name_parts_and_shared_meanings(mem) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge(mem.workspace)
    links = bridge.links(bridge.parse("🜂⧖🕯🜂")[0])
    assert ("🜂⧖🕯", "🜂", "огонь") in links


# --- calibration ---------------------------------------------------------------------------------


def _logged(mem, text: str, bridge: Bridge | None = None) -> tuple[int, object]:  # type: ignore[no-untyped-def]
    scene = (bridge or Bridge(mem.workspace)).encode(text, stability=False)
    with mem.store.write() as s:
        query_id = mem.store.insert_query(
            s,
            "core",
            mode="encode",
            input=text,
            params={},
            result=scene.to_dict(),
            output=scene.hyperstring,
            revision=scene.revision,
            latency_ms=1.0,
            author=mem.workspace.author,
        )
    return query_id, scene


def test_feedback_writes_learned_weights_and_tells_the_index(mem) -> None:  # type: ignore[no-untyped-def]
    query_id, _ = _logged(mem, "огонь")
    prior = mem.store.get("core", "🜂").data.weight
    result = cal.give_feedback(mem.workspace, query_id, "reject", lexeme="🜂")
    assert result.weights_changed == 1 and mem.writes  # the after-write hook ran
    expected = cal.PRIOR_STRENGTH * prior / (cal.PRIOR_STRENGTH + 1)
    assert mem.store.get("core", "🜂").data.weight == pytest.approx(expected, abs=1e-6)
    assert cal.recompute_weights(mem.workspace) == 0  # the log says the same again


def test_feedback_is_rate_limited_per_user(mem) -> None:  # type: ignore[no-untyped-def]
    query_id, _ = _logged(mem, "огонь")
    cal.growth_rules(mem.workspace, feedback_rate_per_hour=2)
    cal.give_feedback(mem.workspace, query_id, "rate", rating=4)
    cal.give_feedback(mem.workspace, query_id, "rate", rating=5)
    with pytest.raises(RateLimitError):
        cal.give_feedback(mem.workspace, query_id, "rate", rating=3)


def test_recurring_unknown_words_become_one_proposal(mem) -> None:  # type: ignore[no-untyped-def]
    cal.growth_rules(mem.workspace, proposal_support=2)
    for n in range(2):
        query_id, scene = _logged(mem, f"огонь и квазиглифовость {n}")
        cal.observe(mem.workspace, query_id, scene, scene.text or "")
    [prop] = cal.proposals(mem.workspace)
    assert prop.data["form"] == "квазиглифовость" and prop.status == "open"
    entry_id = cal.accept(mem.workspace, prop.id, reason="seen twice")
    assert mem.store.get("core", "квазиглифовость").id == entry_id


def test_a_fused_word_proposes_itself_and_the_part_nothing_names(mem) -> None:  # type: ignore[no-untyped-def]
    cal.growth_rules(mem.workspace, proposal_support=2)
    weak = Bridge(mem.workspace, Thresholds(weight_floor=0.6))  # тишина's entry is too weak
    for n in range(2):
        query_id, scene = _logged(mem, f"тишинаогоньсвеча {n}", weak)
        cal.observe(mem.workspace, query_id, scene, scene.text or "")
    found = {(p.source, p.data["form"]) for p in cal.proposals(mem.workspace)}
    assert found == {("compound", "тишинаогоньсвеча"), ("unmatched", "тишина")}


def test_growth_rules_are_kept_and_checked(mem) -> None:  # type: ignore[no-untyped-def]
    rules = cal.growth_rules(mem.workspace, auto_accept=True, min_users=4)
    assert rules["auto_accept"] == {"enabled": True, "min_users": 4, "min_ratio": 0.8}
    assert cal.growth_rules(mem.workspace)["auto_accept"]["min_users"] == 4
    with pytest.raises(BadInputError, match="unknown rule"):
        cal.growth_rules(mem.workspace, colour="red")


def test_calibrate_fits_and_stores_thresholds(mem) -> None:  # type: ignore[no-untyped-def]
    result = cal.calibrate(mem.workspace, dry_run=True)
    assert result.stored_id is None and result.pairs == 0
    stored = cal.calibrate(mem.workspace)
    assert stored.stored_id is not None
    assert [h["id"] for h in cal.history(mem.workspace)] == [stored.stored_id]
    assert cal.current_thresholds(mem.workspace) == stored.thresholds


def test_layers_can_be_chosen(mem) -> None:  # type: ignore[no-untyped-def]
    text = "как вернуться домой"
    assert Bridge(mem.workspace).encode(text, stability=False).forms == ["Δ-return"]
    asked = len(mem.index.queries)
    only = Bridge(mem.workspace, layers=("exact", "lemma"))
    assert only.encode(text, stability=False).forms == []
    assert len(mem.index.queries) == asked  # the exact+lemma bridge never asked the index
    with pytest.raises(BadInputError, match="unknown bridge layer"):
        Bridge(mem.workspace, layers=("exact", "magic"))


def test_a_word_that_names_one_entry_above_the_rest_is_not_asked_its_context() -> None:
    """The entry a word names stands for it whatever the context says, so its context is not
    embedded (two texts a word); a word naming two entries, or one scored under a keyword
    entry, still has the context decide."""
    entries = [
        {"form": "🔥", "glosses": {"ru": ["огонь"], "en": ["fire"]}},
        {"form": "🏕", "glosses": {"ru": ["лагерь", "огонь"], "en": ["camping", "fire"]}},
        {"form": "🏰", "glosses": {"ru": ["замок"], "en": ["castle"]}},
        {"form": "🔒", "glosses": {"ru": ["замок"], "en": ["lock"]}},
        {"form": "🪵", "glosses": {"ru": ["полено"], "en": ["log"]}, "weight": 0.3},
        {"form": "🪓", "glosses": {"ru": ["топор", "полено"], "en": ["axe", "log"]}, "weight": 0.9},
    ]
    mem = memory_workspace(entries)
    asked: list[str] = []
    real = mem.index.closeness

    def closeness(lexicon, texts, candidates, langs):  # type: ignore[no-untyped-def]
        asked.extend(texts)
        return real(lexicon, texts, candidates, langs)

    mem.index.closeness = closeness  # type: ignore[method-assign]
    bridge = Bridge(mem.workspace)
    scene = bridge.encode("Мы грелись у огня", stability=False)
    assert scene.forms == ["🔥"] and scene.lexemes[0].how == "lemma"
    assert scene.lexemes[0].alternatives[0][0] == "🏕"  # the runner-up is still told
    assert asked == []
    bridge.encode("Старый замок", stability=False)  # two entries named: the context decides
    assert "замок" in asked
    asked.clear()
    bridge.encode("Сухое полено", stability=False)  # named, but scored under the axe's keyword
    assert "полено" in asked


def test_a_length_of_time_is_no_clock_face() -> None:
    """«два часа» names the clock face for two o'clock; a number of hours without a
    preposition that makes it a time of day is how long something took: no clock face and no
    hour glyph, and not an unexplained word either (a number is no concept)."""
    mem = memory_workspace(
        [
            {"form": "🕑", "glosses": {"ru": ["два часа"], "en": ["two o’clock"]}},
            {"form": "🕐", "glosses": {"ru": ["час", "два"], "en": ["one o’clock"]}},
            {"form": "🎨", "glosses": {"ru": ["рисовать"], "en": ["paint"]}},
        ]
    )
    bridge = Bridge(mem.workspace)
    for text in ("Я жду тебя уже два часа", "Через два часа мы приехали", "Два часа шёл дождь"):
        scene = bridge.encode(text, stability=False)
        assert "🕑" not in scene.forms and "🕐" not in scene.forms, (text, scene.forms)
        assert not {"два", "часа"} & {u.text.casefold() for u in scene.unmatched}, text
    for text in ("Встретимся в два часа", "Будильник на два часа", "Он позвонил в два часа ночи"):
        assert "🕑" in bridge.encode(text, stability=False).forms, text


def test_an_english_length_of_time_is_no_clock_face() -> None:
    """A count and "hour(s)" or "minute(s)" ("two hours", "2 hours", "half an hour", "for
    hours") is a length of time in English, which says a time of day with "o'clock": no
    alarm clock for it, and no unexplained word. "The hour hand" still names the hour."""
    mem = memory_workspace(
        [
            {"form": "⏰", "glosses": {"en": ["alarm clock", "hour"], "ru": ["будильник"]}},
            {"form": "🚆", "glosses": {"en": ["train"], "ru": ["поезд"]}},
        ]
    )
    bridge = Bridge(mem.workspace)
    for text in (
        "The train arrived two hours late",
        "The train left 2 hours ago",
        "We waited for half an hour",
        "We waited for hours",
        "It took several minutes",
    ):
        scene = bridge.encode(text, stability=False)
        assert "⏰" not in scene.forms, (text, scene.forms)
        unmatched = {u.text.casefold() for u in scene.unmatched}
        assert not {"two", "hours", "half", "an", "hour", "minutes", "several"} & unmatched, text
    for text in ("The hour hand moved", "Every hour counts"):
        assert "⏰" in bridge.encode(text, stability=False).forms, text


def _shows_only(bridge: Bridge, text: str, form: str, unsaid: set[str]) -> None:
    """The text's scene is ``form`` alone, and none of ``unsaid`` is left unexplained: words
    of how long or how often are neither things nor unknown words."""
    scene = bridge.encode(text, stability=False)
    assert scene.forms == [form], (text, scene.forms)
    unmatched = {u.text.casefold() for u in scene.unmatched}
    assert not unsaid & unmatched, (text, unsaid & unmatched)


def test_an_occasion_is_no_time() -> None:
    """A count or an ordinal and "time(s)" ("three times", "for the first time", "every
    time") is an occasion: no hourglass of time and no medal of "first" for it, and no
    unexplained word. Time itself ("time was passing", "a time of peace") is still time."""
    mem = memory_workspace(
        [
            {"form": "⧖", "glosses": {"en": ["time"], "ru": ["время"]}},
            {"form": "🥇", "glosses": {"en": ["first place medal", "first"], "ru": ["медаль"]}},
            {"form": "🚆", "glosses": {"en": ["train"], "ru": ["поезд"]}},
        ]
    )
    bridge = Bridge(mem.workspace)
    for text in (
        "The train was late three times",
        "I took the train for the first time",
        "Every time the train stops, we wait",
        "The train stopped 3 times",
        "Next time take the train",
    ):
        _shows_only(bridge, text, "🚆", {"three", "first", "every", "time", "times", "next", "3"})
    for text in ("Time was passing", "It was a time of trains"):
        assert "⧖" in bridge.encode(text, stability=False).forms, text


def test_the_length_of_time_of_a_rate_is_no_day() -> None:
    """How often in what length of time ("three times a day", «два раза в неделю», "once a
    year"): the day of a rate is no day the scene shows, and no unexplained word. A day
    itself («в тот день», "a day at the sea") is still a day."""
    mem = memory_workspace(
        [
            {"form": "📆", "glosses": {"ru": ["календарь", "день"], "en": ["calendar", "day"]}},
            {"form": "💊", "glosses": {"ru": ["таблетка"], "en": ["pill"]}},
        ]
    )
    bridge = Bridge(mem.workspace, layers=("exact", "lemma"))  # (the word index is no judge)
    for text in (
        "Пей таблетки три раза в день",
        "Таблетку нужно пить дважды в неделю",
        "Take the pill three times a day",
        "Take a pill twice per day",
        "Take a pill once a week",
    ):
        _shows_only(bridge, text, "💊", {"день", "неделю", "day", "week"})
    for text in ("Таблетки кончились в тот день", "A pill a day at the sea"):
        assert "📆" in bridge.encode(text, stability=False).forms, text


def test_the_and_an_adjective_before_what_it_describes_is_no_gloss_of_the_two() -> None:
    """A gloss "the new" names the new as such ("in with the new"); "the new train" is a
    train that is new, and the gloss does not take "the new" from it."""
    mem = memory_workspace(
        [
            {"form": "🌱", "glosses": {"en": ["the new"], "ru": ["новое"]}},
            {"form": "🚆", "glosses": {"en": ["train"], "ru": ["поезд"]}},
        ]
    )
    bridge = Bridge(mem.workspace, layers=("exact", "lemma"))  # (the word index is no judge)
    assert bridge.encode("We took the new train", stability=False).forms == ["🚆"]
    assert "🌱" in bridge.encode("Out with the old, in with the new", stability=False).forms
    assert "🌱" in bridge.encode("The new came with the train", stability=False).forms
