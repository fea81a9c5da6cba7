"""Self-calibration: the lexicon gets better from use, and use cannot poison it.

* **Feedback** on any logged query: accept or reject the scene or one lexeme, correct a span
  (the right form, or a new meaning), rate the style 1–5 for a register. Rate-limited per user.
* **Learned weights**: an entry's weight is the mean of a Beta posterior,
  ``(k·p + A) / (k + A + R)``, where ``p`` is the weight a person gave it (its prior),
  ``k = PRIOR_STRENGTH`` pseudo-observations, ``A`` and ``R`` its accepts and rejects (a
  lexeme verdict counts 1, a whole-scene verdict 0.5 for each of its lexemes, a correction 1
  against the lexeme it replaces and 1 for the entry it names). Recomputing from the log gives
  the same weights, so doing it twice changes nothing.
* **Learned thresholds**: ``calibrate`` fits the semantic-match threshold per register, the
  translated-gloss thresholds, the related-word threshold (by the closeness a related lexeme
  passed it with) and the anchor threshold to logged (score, accepted) pairs — keeping the
  most right lexemes net of wrong ones, or reaching a target precision — and adopts a fitted
  threshold only where, on held-out folds, the verdicts it decides differently are
  significantly more often right than wrong (``ADOPT_LEVEL``); it reports precision, recall
  and F1 before and after on those folds.
* **Growth**: spans left unexplained in at least ``k`` distinct queries, fused words that split
  into known meanings, and corrections naming something new become **proposals**. A proposal
  becomes an entry only when someone accepts it — or, if the auto-accept rule is switched on,
  when at least N distinct users support it with an acceptance ratio of at least r.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update

from . import models as M
from .entry import REGISTERS, Component, EntryData
from .errors import BadInputError, ConflictError, NotFoundError, RateLimitError
from .morphology import lemma_key
from .stability import REGISTER_DEFAULT, Thresholds
from .text import MAX_FORM, MAX_TEXT, clean_form, clean_text, form_key, script_language

if TYPE_CHECKING:
    from .workspace import Workspace

PRIOR_STRENGTH = 4.0
SCENE_VERDICT = 0.5
DEFAULT_SUPPORT = 3  # distinct queries before an unexplained span becomes a proposal
DEFAULT_RATE = 120  # feedback per user per hour
MIN_PAIRS = 10  # (score, accepted) pairs needed to fit a threshold
# a fitted threshold is adopted only if the held-out verdicts it decides differently from the
# current one are more often right than wrong with a one-sided sign test at this level
ADOPT_LEVEL = 0.05
FEEDBACK_KINDS = ("accept", "reject", "correct", "rate")


# --- settings kept with the lexicon ------------------------------------------------------------


def get_setting(ws: Workspace, key: str, default: Any) -> Any:
    with ws.store.read() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        return _setting(s, lx, key, default)


def _setting(s: Any, lx: int, key: str, default: Any) -> Any:
    value = s.scalar(
        select(M.LexiconSetting.value).where(
            M.LexiconSetting.lexicon_id == lx, M.LexiconSetting.key == key
        )
    )
    return default if value is None else value


def set_setting(ws: Workspace, key: str, value: Any) -> None:
    with ws.store.write() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        s.execute(
            delete(M.LexiconSetting).where(
                M.LexiconSetting.lexicon_id == lx, M.LexiconSetting.key == key
            )
        )
        s.execute(insert(M.LexiconSetting).values(lexicon_id=lx, key=key, value=value))


AUTO_ACCEPT_OFF = {"enabled": False, "min_users": 3, "min_ratio": 0.8}


def auto_accept_rule(ws: Workspace) -> dict[str, Any]:
    return get_setting(ws, "auto_accept", AUTO_ACCEPT_OFF)


RULES = ("auto_accept", "min_users", "min_ratio", "proposal_support", "feedback_rate_per_hour")


def growth_rules(ws: Workspace, **changes: Any) -> dict[str, Any]:
    """The growth rules and poisoning guard, after applying ``changes``: ``auto_accept``
    (bool), ``min_users``, ``min_ratio``, ``proposal_support``, ``feedback_rate_per_hour``
    (``None`` leaves a rule as it is)."""
    unknown = set(changes) - set(RULES)
    if unknown:
        raise BadInputError(f"unknown rule(s): {', '.join(sorted(unknown))}")
    rule = dict(auto_accept_rule(ws))
    for key, name in (("auto_accept", "enabled"), ("min_users", "min_users")):
        if changes.get(key) is not None:
            rule[name] = changes[key]
    if changes.get("min_ratio") is not None:
        rule["min_ratio"] = changes["min_ratio"]
    if any(changes.get(k) is not None for k in ("auto_accept", "min_users", "min_ratio")):
        set_setting(ws, "auto_accept", rule)
    for key in ("proposal_support", "feedback_rate_per_hour"):
        if changes.get(key) is not None:
            set_setting(ws, key, changes[key])
    return {
        "auto_accept": rule,
        "proposal_support": get_setting(ws, "proposal_support", DEFAULT_SUPPORT),
        "feedback_rate_per_hour": get_setting(ws, "feedback_rate_per_hour", DEFAULT_RATE),
    }


# --- feedback ---------------------------------------------------------------------------------


@dataclass
class FeedbackResult:
    id: int
    weights_changed: int = 0
    proposal_id: int | None = None
    auto_accepted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "weights_changed": self.weights_changed,
            "proposal_id": self.proposal_id,
            "auto_accepted": self.auto_accepted,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeedbackResult:
        return cls(
            int(d["id"]),
            int(d.get("weights_changed", 0)),
            d.get("proposal_id"),
            bool(d.get("auto_accepted", False)),
        )


def give_feedback(
    ws: Workspace,
    query_id: int,
    kind: str,
    *,
    lexeme: str | None = None,
    span: str | None = None,
    correction: str | None = None,
    register: str | None = None,
    rating: int | None = None,
) -> FeedbackResult:
    """Record a verdict on a logged query and let it move what it should move."""
    if kind not in FEEDBACK_KINDS:
        raise BadInputError(f"feedback: {kind!r} is not one of {', '.join(FEEDBACK_KINDS)}")
    query = ws.store.query(ws.lexicon, query_id)
    if query.mode not in ("encode", "decode", "compress", "ask"):
        raise BadInputError(f"query {query_id}: cannot take feedback")
    scene = _scene_of(query.mode, query.result)
    user = ws.author
    _check_rate(ws, user)
    row: dict[str, Any] = {"query_id": query_id, "user": user, "kind": kind}
    if register is not None and register not in REGISTERS:
        raise BadInputError(f"--register: {register!r} is not one of {', '.join(REGISTERS)}")
    row["register"] = register or query.params.get("register")
    if kind in ("accept", "reject"):
        if lexeme is None:
            row["target"] = "scene"
        else:
            lx = _find_lexeme(scene, lexeme, query_id)
            row.update(
                target="lexeme",
                form=lx["form"],
                entry_id=lx["entry_id"],
                score=lx["score"],
                how=lx["how"],
            )
    elif kind == "correct":
        if not span or not correction:
            raise BadInputError("feedback correct: give the span and the right form or meaning")
        span = clean_text(span, "--span", max_len=MAX_TEXT)
        correction = clean_text(correction, "correction", max_len=MAX_TEXT)
        if span not in (query.input or ""):
            raise BadInputError(f"--span: {span!r} does not occur in query {query_id}")
        target = ws.store.by_keys(ws.lexicon, [form_key(correction)])
        row.update(target="span", span=span, correction=correction)
        if target:
            row["correction_entry_id"] = next(iter(target.values())).id
        wrong = _lexeme_at(scene, query.input or "", span)
        if wrong is not None:
            row.update(
                form=wrong["form"],
                entry_id=wrong["entry_id"],
                score=wrong["score"],
                how=wrong["how"],
            )
    else:  # rate
        if rating is None or not 1 <= int(rating) <= 5:
            raise BadInputError("feedback rate: the rating must be 1 to 5")
        row.update(target="scene", rating=int(rating))
    with ws.store.write() as s:
        lx_id = ws.store.lexicon_id(s, ws.lexicon)
        feedback_id = int(
            s.scalar(
                insert(M.Feedback)
                .values(lexicon_id=lx_id, created_at=M.utcnow(), **row)
                .returning(M.Feedback.id)
            )
        )
    result = FeedbackResult(feedback_id)
    touched = _touched_entries(row, scene)
    if touched:
        result.weights_changed = recompute_weights(ws, touched, reason=f"feedback #{feedback_id}")
    if kind == "correct":
        result.proposal_id, result.auto_accepted = _correction_evidence(ws, row, feedback_id, query)
    return result


def _scene_of(mode: str, result: dict[str, Any] | None) -> dict[str, Any]:
    """The scene a logged result holds (a decode and an ask wrap theirs, and so does any
    result that came through a connector: the WebSocket's, or /encode with connectors)."""
    result = result or {}
    wrapped = "lexemes" not in result and isinstance(result.get("scene"), dict)
    if mode in ("decode", "ask") or wrapped:
        return result.get("scene") or result.get("answer") or {}
    return result


def _find_lexeme(scene: dict[str, Any], form: str, query_id: int) -> dict[str, Any]:
    """The scene's lexeme of that form, or else its near miss (a candidate left under its
    threshold, which the scene lists): a verdict on a near miss is evidence below the
    threshold, where a correction only ever says a candidate was right, so a rejection is
    what keeps the corrections from pulling the threshold down past every wrong one."""
    key = form_key(form)
    for lx in scene.get("lexemes", ()):
        if form_key(lx["form"]) == key:
            return lx
    for miss in scene.get("near_misses", ()):
        if form_key(miss.get("form", "")) == key and miss.get("score") is not None:
            return {**miss, "how": miss.get("how", "semantic")}
    raise BadInputError(
        f"--lexeme: {form!r} is neither a lexeme nor a near miss of query {query_id}"
    )


def _lexeme_at(scene: dict[str, Any], text: str, span: str) -> dict[str, Any] | None:
    start = text.find(span)
    end = start + len(span)
    for lx in scene.get("lexemes", ()):
        s = lx.get("span")
        if s and s[0] < end and start < s[1]:
            return lx
    return None


def _check_rate(ws: Workspace, user: str) -> None:
    limit = int(get_setting(ws, "feedback_rate_per_hour", DEFAULT_RATE))
    since = M.utcnow() - timedelta(hours=1)
    with ws.store.read() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        recent = s.scalar(
            select(func.count()).where(
                M.Feedback.lexicon_id == lx, M.Feedback.user == user, M.Feedback.created_at >= since
            )
        )
    if recent is not None and recent >= limit:
        raise RateLimitError(
            f"feedback rate limit: {user!r} has given {recent} in the last hour (limit {limit})"
        )


def _touched_entries(row: dict[str, Any], scene: dict[str, Any]) -> set[int]:
    if row["kind"] == "rate":
        return set()
    ids = {i for i in (row.get("entry_id"), row.get("correction_entry_id")) if i}
    if row.get("target") == "scene":
        ids |= {lx["entry_id"] for lx in scene.get("lexemes", ()) if lx.get("entry_id")}
    return ids


# --- learned weights ----------------------------------------------------------------------


def evidence(
    ws: Workspace, entry_ids: Iterable[int] | None = None
) -> dict[int, tuple[float, float]]:
    """Accepts and rejects per entry, read from the whole feedback log."""
    counts: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    wanted = set(entry_ids) if entry_ids is not None else None
    with ws.store.read() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        rows = s.execute(
            select(M.Feedback, M.QueryLog.result, M.QueryLog.mode)
            .join(M.QueryLog, M.QueryLog.id == M.Feedback.query_id)
            .where(M.Feedback.lexicon_id == lx, M.Feedback.kind != "rate")
            .order_by(M.Feedback.id)
        ).all()
    for fb, result, mode in rows:
        if fb.kind in ("accept", "reject"):
            slot = 0 if fb.kind == "accept" else 1
            if fb.target == "lexeme" and fb.entry_id:
                counts[fb.entry_id][slot] += 1.0
            elif fb.target == "scene":
                scene = _scene_of(mode, result)
                for lxm in scene.get("lexemes", ()):
                    if lxm.get("entry_id"):
                        counts[lxm["entry_id"]][slot] += SCENE_VERDICT
        elif fb.kind == "correct":
            if fb.entry_id and fb.entry_id != fb.correction_entry_id:
                counts[fb.entry_id][1] += 1.0
            if fb.correction_entry_id:
                counts[fb.correction_entry_id][0] += 1.0
    return {i: (a, r) for i, (a, r) in counts.items() if wanted is None or i in wanted}


def learned_weight(prior: float, accepts: float, rejects: float) -> float:
    return (PRIOR_STRENGTH * prior + accepts) / (PRIOR_STRENGTH + accepts + rejects)


def recompute_weights(
    ws: Workspace, entry_ids: Iterable[int] | None = None, *, reason: str = "recalibration"
) -> int:
    """Set each entry's weight from its prior and its record. Idempotent."""
    record = evidence(ws, entry_ids)
    if not record:
        return 0
    priors = ws.store.prior_weights(ws.lexicon, record)
    weights = {i: learned_weight(priors[i], a, r) for i, (a, r) in record.items() if i in priors}
    changed = ws.store.set_weights(
        ws.lexicon, weights, author=ws.author, reason=f"learned weight ({reason})"
    )
    if changed:
        ws.after_write()
    return changed


# --- learned thresholds -----------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    score: float
    accepted: bool
    register: str
    how: str
    # a related or partial match's closeness, which ``keyword_related`` was compared with; a
    # keyword match's by how much its closeness passed (or missed) its keyword threshold
    closeness: float | None = None
    # which threshold a match by meaning was held to (``Lexeme.gate``): None in a record
    # written before lexemes said
    gate: str | None = None
    # whether the scene showed the lexeme (False: a near miss, judged or corrected to)
    shown: bool = True


def pairs(ws: Workspace) -> list[Pair]:
    """(score, accepted) pairs from lexeme verdicts and corrections.

    A correction says the lexeme it replaces was wrong, and — if the entry it names was a
    candidate the bridge saw but left under the threshold (a near miss) — that the candidate
    was right at its score: the evidence that lets a threshold come down, not only go up.
    """
    out: list[Pair] = []
    with ws.store.read() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        rows = s.execute(
            select(M.Feedback, M.QueryLog.result, M.QueryLog.params, M.QueryLog.mode)
            .join(M.QueryLog, M.QueryLog.id == M.Feedback.query_id)
            .where(
                M.Feedback.lexicon_id == lx, M.Feedback.kind.in_(("accept", "reject", "correct"))
            )
            .order_by(M.Feedback.id)
        ).all()
    for fb, result, params, mode in rows:
        register = (params or {}).get("register") or REGISTER_DEFAULT
        scene = _scene_of(mode, result)
        judged, shown = _judged(scene, fb.form, fb.how) if fb.form else ({}, True)
        closeness, gate = _gate(judged), judged.get("gate")
        if fb.kind in ("accept", "reject") and fb.target == "lexeme" and fb.score is not None:
            accepted = fb.kind == "accept"
            how = fb.how or ""
            out.append(Pair(fb.score, accepted, register, how, closeness, gate, shown))
        elif fb.kind == "correct":
            if fb.score is not None and fb.entry_id != fb.correction_entry_id:
                out.append(Pair(fb.score, False, register, fb.how or "", closeness, gate))
            for miss in scene.get("near_misses", ()):
                if fb.correction_entry_id and miss.get("entry_id") == fb.correction_entry_id:
                    how = miss.get("how", "semantic")
                    score = float(miss["score"])
                    gate = miss.get("gate")
                    out.append(Pair(score, True, register, how, _gate(miss), gate, False))
                    break
    return out


def _judged(
    scene: dict[str, Any], form: str, how: str | None = None
) -> tuple[dict[str, Any], bool]:
    """The lexeme of the scene a verdict names, or for a verdict on a near miss the near
    miss (empty if the scene has neither), and whether the scene showed it."""
    key = form_key(form)
    for lx in scene.get("lexemes", ()):
        if form_key(lx.get("form", "")) == key:
            return lx, True
    for miss in scene.get("near_misses", ()):
        if form_key(miss.get("form", "")) == key and miss.get("how", "semantic") == how:
            return miss, False
    return {}, True


def _gate(lexeme: dict[str, Any]) -> float | None:
    """A logged lexeme's or near miss's closeness (``Lexeme.closeness``), which a related or
    partial one was compared with ``keyword_related`` by; for a keyword one, how far it lay
    above (or, a near miss, below) the threshold it was held to before ``keyword_shift``
    (``Lexeme.threshold``): a noun's keyword and another word's have thresholds of their
    own, and one shift moves them all."""
    closeness = number(lexeme.get("closeness"))
    if closeness is None or lexeme.get("how") != "keyword":
        return closeness
    threshold = number(lexeme.get("threshold"))
    return None if threshold is None else round(closeness - threshold, 4)


def number(value: Any) -> float | None:
    """A number a logged scene or a stored calibration holds, or None: a record written
    before the field was kept, or JSON that holds something else (a bool, a string, an
    infinity) there."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass
class Scores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, other: Scores) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.tn += other.tn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def net(self) -> int:
        """Right lexemes kept, net of wrong ones: what a threshold is fitted to."""
        return self.tp - self.fp

    def to_dict(self) -> dict[str, float]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "net": self.net,
            "n": self.tp + self.fp + self.fn + self.tn,
        }


def score_at(data: Sequence[Pair], threshold: float) -> Scores:
    out = Scores()
    for p in data:
        kept = p.score >= threshold
        if kept and p.accepted:
            out.tp += 1
        elif kept:
            out.fp += 1
        elif p.accepted:
            out.fn += 1
        else:
            out.tn += 1
    return out


def fit_threshold(data: Sequence[Pair], *, target_precision: float | None = None) -> float:
    """The threshold (one of the observed scores) keeping the most accepted pairs net of
    rejected ones, or the lowest one reaching ``target_precision`` (most recall at that
    precision); ties go to the higher threshold.

    Net right (the accuracy of the keep-or-drop decision) and not F1: a user judges some
    verdicts the wrong way round, and such noise, the same both ways, leaves where a band of
    scores turns more often right than wrong where it was, so the net fit stays; F1 ignores
    what a threshold rightly drops, and where it is low, as it is for the many near misses
    under the semantic threshold, the few accepted among them by mistake pull it down (one
    verdict in ten wrong: 0.60 → 0.43, held-out spurious lexemes 0.36 → 0.54 a sentence;
    docs/calibration.md)."""
    # each observed score, to six decimals rounded down: rounded to nearest, the least
    # accepted score could become a threshold just over itself and drop its own pair
    candidates = [*sorted({math.floor(p.score * 1e6) / 1e6 for p in data}), 1.000001]
    best, best_key = candidates[-1], None
    if target_precision is not None:
        for theta in candidates:
            s = score_at(data, theta)
            if s.precision >= target_precision and s.tp > 0:
                key = (s.recall, theta)
                if best_key is None or key > best_key:
                    best, best_key = theta, key
        if best_key is not None:
            return best
        # the target is out of reach on these pairs: fall back to the most right net
    for theta in candidates:
        key = (score_at(data, theta).net, theta)
        if best_key is None or key > best_key:
            best, best_key = theta, key
    return best


@dataclass
class CalibrationResult:
    thresholds: Thresholds
    metrics: dict[str, Any] = field(default_factory=dict)
    pairs: int = 0
    method: str = "net"
    folds: int = 5
    stored_id: int | None = None
    weights_changed: int = 0  # learned weights recomputed with it (``calibrate --weights``)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.stored_id,
            "method": self.method,
            "folds": self.folds,
            "pairs": self.pairs,
            "thresholds": self.thresholds.to_dict(),
            "metrics": self.metrics,
            "weights_changed": self.weights_changed,
            "dry_run": self.dry_run,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CalibrationResult:
        return cls(
            Thresholds.from_dict(d["thresholds"]),
            dict(d.get("metrics") or {}),
            int(d.get("pairs", 0)),
            d.get("method", "f1"),
            int(d.get("folds", 5)),
            d.get("id"),
            int(d.get("weights_changed", 0)),
            bool(d.get("dry_run", False)),
        )


def calibrate(
    ws: Workspace,
    *,
    target_precision: float | None = None,
    folds: int = 5,
    dry_run: bool = False,
    weight_floor: float | None = None,
    weights: bool = False,
    seed: int = 0,
) -> CalibrationResult:
    """Fit the semantic threshold per register, the translated-gloss thresholds, the
    related-word threshold (``keyword_related``), the keyword thresholds' shift
    (``keyword_shift``) and the anchor threshold, with k-fold
    cross-validation; store the result as a versioned record
    unless ``dry_run``. With ``weights`` (and not a dry run), recompute the learned weights
    first.

    A lexeme matched by meaning scores the cosine of a text with an entry's whole document; one
    matched by its translation (``how`` "translated") the cosine of a word with one gloss of the
    other language, which runs far higher (0.8–0.95 for a translation). Each is fitted on its
    own verdicts: judged together, the translations' accepts would pull the semantic threshold
    up to where no paraphrase passes. The three translated thresholds (a name's, a further
    gloss's, an act's) are one judgement — how near a word is to its translation — at three
    strictnesses, and the lexeme does not say which it passed: the name's is fitted and the
    other two move with it, keeping their margins over it.

    A lexeme matched by meaning says which threshold it passed (``Lexeme.gate``), and each is
    fitted on its own verdicts: a run's or a lone word's (the semantic threshold), a word's
    held to ``word_margin`` more, a face's for a word of feeling (``feeling``) and a
    sentence template's (``sentence``)."""
    if folds < 2:
        raise BadInputError("--folds: at least 2")
    if target_precision is not None and not 0 < target_precision <= 1:
        raise BadInputError("--target-precision: between 0 and 1")
    changed = recompute_weights(ws, reason="calibrate --weights") if weights and not dry_run else 0
    data = pairs(ws)
    current = current_thresholds(ws)
    method = f"precision>={target_precision}" if target_precision is not None else "net"
    semantic = dict(current.semantic)
    metrics: dict[str, Any] = {}
    groups: dict[str, list[Pair]] = defaultdict(list)
    translated = [p for p in data if p.how == "translated"]
    for p in data:
        # a record that does not say which threshold it passed is taken as held to the
        # semantic one, as most were before lexemes said (``Lexeme.gate``)
        if p.how != "semantic" or p.gate not in (None, "semantic"):
            continue
        groups[p.register].append(p)
        if p.register != REGISTER_DEFAULT:
            groups[REGISTER_DEFAULT].append(p)
    for register, group in sorted(groups.items()):
        before = current.semantic_for(register)
        fitted, report = _cross_validate(group, before, folds, target_precision, seed)
        metrics[f"semantic:{register}"] = report
        if fitted is not None:
            semantic[register] = fitted

    # a word held to ``word_margin`` over the semantic threshold (one of a longer run, a
    # verb) is fitted on its own verdicts, as that sum; the margin is what is stored, so a
    # word's threshold not shown better stays where it was when the semantic one moves
    def held(gate: str) -> list[Pair]:
        return [p for p in data if p.how == "semantic" and p.gate == gate]

    word = round(current.semantic_for(None) + current.word_margin, 6)
    words = held("word")
    if words:
        fitted, report = _cross_validate(words, word, folds, target_precision, seed)
        metrics["word"] = report
        word = word if fitted is None else fitted
    word_margin = round(word - semantic[REGISTER_DEFAULT], 6)
    crossed: dict[str, float] = {}
    if translated:
        fitted, report = _cross_validate(
            translated, current.translated_name, folds, target_precision, seed
        )
        metrics["translated"] = report
        if fitted is not None:
            shift = fitted - current.translated_name
            crossed = {
                "translated_name": fitted,
                "translated_keyword": current.translated_keyword + shift,
                "translated_act": current.translated_act + shift,
            }

    def gated(hows: tuple[str, ...]) -> list[Pair]:
        return [
            Pair(p.closeness, p.accepted, p.register, p.how)
            for p in data
            if p.closeness is not None and p.how in hows
        ]

    # each series: the threshold it fits and its pairs. A related or partial lexeme's
    # closeness against ``keyword_related``, the paraphrase threshold of the thesaurus's words
    # (its score is the entry's, no closeness); a keyword lexeme's margin over its own keyword
    # threshold against ``keyword_shift``; a face a word of feeling stands for, and a
    # sentence's template, by their scores against thresholds of their own, which the
    # semantic one does not move
    own = {
        "related": ("keyword_related", gated(("related", "partial"))),
        "keyword": ("keyword_shift", gated(("keyword",))),
        "feeling": ("feeling", held("feeling")),
        "sentence": ("sentence", held("sentence")),
    }
    closer: dict[str, float] = {}
    for series, (name, given) in own.items():
        if given:
            before = getattr(current, name)
            fitted, report = _cross_validate(given, before, folds, target_precision, seed)
            metrics[series] = report
            if fitted is not None:
                closer[name] = fitted
    # the anchor marks the lexemes a scene stands on. A near miss a user accepted says it
    # should have been shown, which its own layer's threshold decides, not that a scene
    # should stand on it: a user who only corrects to near misses took the anchor down to
    # their scores (0.25). One rejected, shown or not, says it should not
    anchor = current.anchor
    judged = [p for p in data if p.shown or not p.accepted]
    if judged:
        fitted, report = _cross_validate(judged, current.anchor, folds, target_precision, seed)
        metrics["anchor"] = report
        if fitted is not None:
            anchor = fitted
    thresholds = current.with_(
        semantic=semantic,
        word_margin=word_margin,
        anchor=anchor,
        **closer,
        **crossed,
        weight_floor=current.weight_floor if weight_floor is None else weight_floor,
    )
    result = CalibrationResult(
        thresholds, metrics, len(data), method, folds, weights_changed=changed, dry_run=dry_run
    )
    if not dry_run:
        with ws.store.write() as s:
            lx = ws.store.lexicon_id(s, ws.lexicon)
            result.stored_id = int(
                s.scalar(
                    insert(M.Calibration)
                    .values(
                        lexicon_id=lx,
                        author=ws.author,
                        method=method,
                        folds=folds,
                        pairs=len(data),
                        thresholds=thresholds.to_dict(),
                        metrics=metrics,
                        created_at=M.utcnow(),
                    )
                    .returning(M.Calibration.id)
                )
            )
    return result


def _cross_validate(
    data: list[Pair], before: float, folds: int, target: float | None, seed: int
) -> tuple[float | None, dict[str, Any]]:
    """Held-out figures for the current threshold and for one fitted on the other folds, and
    whether the fitted one is adopted: for the net fit, if the held-out pairs the two decide
    differently are more often right under the fitted one by a one-sided sign test at
    ``ADOPT_LEVEL`` (a comparison of two classifiers on the same pairs, as McNemar's test
    makes it): a small or noisy log moves a threshold only as far as it can show a gain.
    Adopted on a held-out net no worse, a noisy user's verdicts raised the semantic threshold
    to 0.85 on four held-out pairs decided differently, two of them rightly, and the first
    held-out set lost 13 of its 268 concepts. With a target precision, if its held-out
    precision is no worse. Either way, not if the verdicts on the fit's side are all of one
    kind (``_one_sided``)."""
    report: dict[str, Any] = {"pairs": len(data), "before_threshold": before}
    if len(data) < max(MIN_PAIRS, folds):
        report["skipped"] = f"fewer than {max(MIN_PAIRS, folds)} pairs"
        return None, report
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    held_before, held_after = Scores(), Scores()
    fitted_per_fold = []
    gained = lost = 0  # held-out pairs decided differently: rightly, wrongly
    for f in range(folds):
        test = [data[i] for n, i in enumerate(order) if n % folds == f]
        train = [data[i] for n, i in enumerate(order) if n % folds != f]
        theta = fit_threshold(train, target_precision=target)
        fitted_per_fold.append(round(theta, 4))
        held_before.add(score_at(test, before))
        held_after.add(score_at(test, theta))
        for p in test:
            kept = p.score >= theta
            if kept != (p.score >= before):
                gained += kept == p.accepted
                lost += kept != p.accepted
    final = fit_threshold(data, target_precision=target)
    chance = sign_test(gained, lost)
    better = (
        held_after.precision >= held_before.precision
        if target is not None
        else chance <= ADOPT_LEVEL
    )
    one_sided = _one_sided(data, before, final)
    if one_sided:
        report["one_sided"] = one_sided
        better = False
    report.update(
        after_threshold=round(final if better else before, 4),
        fitted_threshold=round(final, 4),
        fold_thresholds=fitted_per_fold,
        held_out_before=held_before.to_dict(),
        held_out_after=held_after.to_dict(),
        decided_differently={"right": gained, "wrong": lost, "p": round(chance, 4)},
        adopted=better,
    )
    # a fitted threshold not shown better on held-out data than the current one is not adopted
    return (final if better else None), report


def _one_sided(data: Sequence[Pair], before: float, fitted: float) -> str | None:
    """Why a fit may not move the threshold its way, if the verdicts on that side of it are
    all of one kind. Under a threshold a user sees only near misses; one who corrects to the
    right ones and never rejects a wrong one gives nothing there but accepted pairs, which say
    where the user looked, not where right turns to wrong, and a fit on them goes down past
    every wrong candidate (held-out spurious lexemes 0.36 → 1.68 a sentence:
    docs/calibration.md). Likewise a user who only rejects what encode shows, over it."""
    if fitted < before and not any(not p.accepted for p in data if p.score < before):
        return "no rejected pair under the threshold: only corrections to lower it by"
    if fitted > before and not any(p.accepted for p in data if p.score >= before):
        return "no accepted pair over the threshold: only rejections to raise it by"
    return None


def sign_test(gained: int, lost: int) -> float:
    """The chance of ``gained`` or more rights among ``gained + lost`` decisions, were each as
    likely right as wrong (a one-sided sign test); 1 when none differ."""
    n = gained + lost
    if n == 0:
        return 1.0
    return sum(math.comb(n, k) for k in range(gained, n + 1)) / (1 << n)


def explain(record: dict[str, Any]) -> dict[str, Any]:
    """A stored calibration (as :func:`history` gives it) in words, for people: what each
    threshold did — adopted, kept because the fitted one was not shown better on held-out
    folds or was refused, or skipped for want of judged pairs — and, when something was
    skipped, what to do about it.

    The stored record keeps the machine's reasons (``skipped: "fewer than 10 pairs"``); a page
    or a terminal should say them as sentences, never as the raw record."""
    folds = int(record.get("folds") or 5)
    needed = max(MIN_PAIRS, folds)
    metrics = record.get("metrics") or {}
    outcomes = []
    for name, report in sorted(metrics.items(), key=lambda kv: (kv[0] == "anchor", kv[0])):
        series = "anchor" if name == "anchor" else name.removeprefix("semantic:")
        what = {
            "anchor": "the anchor threshold",
            "translated": "the translated-gloss threshold",
            "related": "the related-word threshold",
            "keyword": "the keyword thresholds' shift",
            "feeling": "the threshold of a face for a word of feeling",
            "word": "the threshold of a word picked out of a longer run (or of a verb)",
            "sentence": "the sentence-template threshold",
        }.get(series, f"the {series} threshold")
        pairs_ = int(report.get("pairs") or 0)
        judged = f"{pairs_} judged lexeme{'' if pairs_ == 1 else 's'}"
        if "skipped" in report:
            outcome = "skipped"
            words = f"{what.capitalize()} was not fitted: {judged}, at least {needed} needed."
        elif report.get("adopted"):
            outcome = "adopted"
            before, after = report.get("held_out_before") or {}, report.get("held_out_after") or {}
            words = (
                f"{what.capitalize()} is now {report.get('after_threshold', 0):.2f} "
                f"(was {report.get('before_threshold', 0):.2f}), fitted on {judged}: held-out "
                f"precision {before.get('precision', 0):.2f} → {after.get('precision', 0):.2f}, "
                f"recall {before.get('recall', 0):.2f} → {after.get('recall', 0):.2f}."
            )
        else:
            outcome = "kept"
            differ = report.get("decided_differently")
            fitted = f"fitted on {judged} ({report.get('fitted_threshold', 0):.2f})"
            if report.get("one_sided"):
                how_far = f"was refused: {report['one_sided']}"
            elif isinstance(differ, dict):
                n = int(differ.get("right", 0)) + int(differ.get("wrong", 0))
                how_far = (
                    f"decided {n} held-out lexeme{'' if n == 1 else 's'} differently, "
                    f"{int(differ.get('right', 0))} of them rightly: not shown to do better"
                    if n
                    else "decided no held-out lexeme differently"
                )
            else:  # stored before stop 62, when a fit was adopted on its held-out F1
                how_far = "did worse on held-out folds"
            words = (
                f"{what.capitalize()} stays {report.get('before_threshold', 0):.2f}: "
                f"the one {fitted} {how_far}."
            )
        outcomes.append({"series": series, "outcome": outcome, "words": words})
    pairs_total = int(record.get("pairs") or 0)
    skipped = [o for o in outcomes if o["outcome"] == "skipped"]
    if not outcomes:
        summary = (
            "Skipped: there was no feedback on lexemes to fit anything to, so every threshold "
            "stayed as it was."
        )
    elif len(skipped) == len(outcomes):
        summary = (
            f"Skipped: {pairs_total} judged lexeme{'' if pairs_total == 1 else 's'} in all, "
            f"too few to fit a threshold (at least {needed} each), so every threshold stayed "
            "as it was."
        )
    elif skipped:
        summary = f"Partly skipped: {len(skipped)} of {len(outcomes)} thresholds lacked feedback."
    else:
        summary = f"Every threshold was fitted, from {pairs_total} judged lexemes."
    todo = None
    if skipped or not outcomes:
        todo = (
            "Accept or reject the lexemes of encoded scenes (`hyperlexicon feedback QUERY_ID "
            f"accept --lexeme FORM`, or `reject`) until each register has at least {needed}, "
            "then calibrate again (`hyperlexicon calibrate`)."
        )
    return {"summary": summary, "outcomes": outcomes, "todo": todo, "needed": needed}


def current_thresholds(ws: Workspace) -> Thresholds:
    """The latest calibration's thresholds, or the defaults."""
    record = latest(ws)
    base = Thresholds()
    if record is None:
        return base
    t = record["thresholds"]
    return base.with_(
        semantic={**base.semantic, **t.get("semantic", {})},
        **{k: v for k, v in t.items() if k != "semantic" and hasattr(base, k)},
    )


def latest(ws: Workspace) -> dict[str, Any] | None:
    history_ = history(ws, limit=1)
    return history_[0] if history_ else None


def history(ws: Workspace, *, limit: int | None = None) -> list[dict[str, Any]]:
    with ws.store.read() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        q = (
            select(M.Calibration)
            .where(M.Calibration.lexicon_id == lx)
            .order_by(M.Calibration.id.desc())
        )
        if limit:
            q = q.limit(limit)
        return [
            {
                "id": r.id,
                "created_at": r.created_at.isoformat(),
                "author": r.author,
                "method": r.method,
                "folds": r.folds,
                "pairs": r.pairs,
                "thresholds": r.thresholds,
                "metrics": r.metrics,
            }
            for r in s.scalars(q)
        ]


# --- growth: proposals ------------------------------------------------------------------------


def observe(ws: Workspace, query_id: int, scene: Any, text: str) -> list[int]:
    """After an encode: every unexplained span (and fused word) is evidence for a proposal.
    Returns the ids of proposals this observation created."""
    with ws.store.write() as s:
        seen = record_observation(ws, s, query_id, scene, text, fresh=False)
    return propose_observed(ws, seen)


@dataclass
class Observation:
    """What one encode left unexplained, as written to the evidence (``record_observation``),
    and what ``propose_observed`` needs to act on it once that transaction has committed."""

    items: list[tuple[str, str, str, list[str]]]  # key, source, span, split
    proposals: dict[str, int]  # key → the proposal it already has
    supports: dict[str, dict[str, Any]]  # key (without a proposal) → its support
    threshold: int  # the support a proposal needs
    auto_accept: dict[str, Any]  # the rule, read with the threshold


def record_observation(
    ws: Workspace, s: Any, query_id: int, scene: Any, text: str, *, fresh: bool = True
) -> Observation | None:
    """Write the evidence of one encode in ``s``, the transaction the query was logged in
    (``fresh``: so no evidence of that query can exist yet, and none is looked for). One
    transaction for the log and the evidence: a text with ten unexplained words cost the
    encode 80 statements when each span had its own."""
    items = []
    for f in getattr(scene, "fused", ()):  # told by its parts: still a compound to propose
        items.append((form_key(f["text"]), "compound", f["text"], list(f["parts"])))
    for u in scene.unmatched:
        if u.split and len(u.split) >= 2:
            key = form_key(u.text)
            items.append((key, "compound", u.text, u.split))
        elif any(ch.isalpha() for ch in u.text):
            key = "lemma:" + (lemma_key(u.text) or form_key(u.text))
            items.append((key, "unmatched", u.text, []))
        else:
            items.append((form_key(u.text), "unmatched", u.text, []))
    if not items:
        return None
    keys = list(dict.fromkeys(key for key, *_ in items))
    lx = ws.store.lexicon_id(s, ws.lexicon)
    have: set[str] = set()
    if not fresh:
        have = set(
            s.scalars(
                select(M.ProposalEvidence.key).where(
                    M.ProposalEvidence.lexicon_id == lx,
                    M.ProposalEvidence.key.in_(keys),
                    M.ProposalEvidence.query_id == query_id,
                    M.ProposalEvidence.feedback_id == 0,
                )
            )
        )
    now = M.utcnow()
    rows = [
        {
            "lexicon_id": lx,
            "key": key,
            "query_id": query_id,
            "feedback_id": 0,
            "user": ws.author,
            "polarity": +1,
            "context": (text or "")[:MAX_TEXT],
            "created_at": now,
        }
        for key in keys
        if key not in have
    ]
    if rows:
        s.execute(insert(M.ProposalEvidence), rows)
    proposals: dict[str, int] = {
        k: int(i)
        for k, i in s.execute(
            select(M.Proposal.key, M.Proposal.id).where(
                M.Proposal.lexicon_id == lx, M.Proposal.key.in_(keys)
            )
        )
    }
    unproposed = [k for k in keys if k not in proposals]
    supports = _supports(s, lx, unproposed)
    rules: dict[str, Any] = dict(
        s.execute(
            select(M.LexiconSetting.key, M.LexiconSetting.value).where(
                M.LexiconSetting.lexicon_id == lx,
                M.LexiconSetting.key.in_(["proposal_support", "auto_accept"]),
            )
        ).all()
    )
    threshold = int(rules.get("proposal_support", DEFAULT_SUPPORT))
    return Observation(
        items, proposals, supports, threshold, rules.get("auto_accept", AUTO_ACCEPT_OFF)
    )


def propose_observed(ws: Workspace, seen: Observation | None) -> list[int]:
    """The proposals an observation calls for (after its transaction: each is a write of
    its own), and auto-acceptance of those with support enough. Returns the new ones."""
    if seen is None:
        return []
    created = []
    proposals = dict(seen.proposals)
    for key, source, span, split in seen.items:
        proposal_id = proposals.get(key)
        if proposal_id is None and seen.supports[key]["queries"] >= seen.threshold:
            proposal_id = _create_proposal(ws, key, source, _proposed(ws, span, split))
            if proposal_id is not None:
                created.append(proposal_id)
                proposals[key] = proposal_id
        if proposal_id is not None:
            _maybe_auto_accept(ws, proposal_id, seen.auto_accept)
    return created


def _proposed(ws: Workspace, span: str, split: Sequence[str]) -> dict[str, Any]:
    lang = script_language(span) or "ru"
    word = span.strip()
    data: dict[str, Any] = {
        "form": word.casefold() if split else word,
        "kind": "compound" if split else ("phrase" if any(c.isalpha() for c in word) else "glyph"),
        "glosses": {lang: [lemma_key(word, lang) if not split else ", ".join(split)]},
        "status": "proposed",
        "provenance": "feedback",
        "weight": 0.5,
    }
    if split:
        comps = []
        for part in split:
            owners = ws.store.first_glosses(ws.lexicon, lang, [part])
            ref = None
            if len(owners.get(part, [])) == 1:
                stored = ws.store.get_many(ws.lexicon, owners[part])
                ref = next(iter(stored.values())).form if stored else None
            comps.append({"meaning": part, "lang": lang, **({"ref": ref} if ref else {})})
        data["components"] = comps
    if not any(c.isalpha() for c in word):
        data["glosses"] = {}
    return data


def _correction_evidence(
    ws: Workspace, row: dict[str, Any], feedback_id: int, query: Any
) -> tuple[int | None, bool]:
    """A correction naming an existing entry argues against a new entry for that span; one
    naming something new proposes it."""
    span, correction = row["span"], row["correction"]
    span_key = "lemma:" + (lemma_key(span) or form_key(span))
    if row.get("correction_entry_id"):
        _add_evidence(ws, span_key, query.id, feedback_id, -1, query.input)
        return None, False
    key = form_key(correction)
    symbolic = not any(ch.isalpha() for ch in correction) or correction.startswith(("Δ", "∆"))
    lang = script_language(span) or "ru"
    data = {
        "form": clean_form(correction if symbolic else span, "correction")[:MAX_FORM],
        "kind": "glyph"
        if symbolic and not correction.startswith(("Δ", "∆"))
        else ("delta" if correction.startswith(("Δ", "∆")) else "phrase"),
        "glosses": {lang: [span if symbolic else correction]},
        "status": "proposed",
        "provenance": "feedback",
        "weight": 0.5,
        "examples": [query.input[:MAX_TEXT]] if query.input else [],
    }
    if not symbolic:
        key = "lemma:" + (lemma_key(span) or form_key(span))
    proposal_id = _add_evidence(ws, key, query.id, feedback_id, +1, query.input)
    if proposal_id is None:
        proposal_id = _create_proposal(ws, key, "correction", data)
    auto = _maybe_auto_accept(ws, proposal_id) if proposal_id is not None else False
    return proposal_id, auto


def _add_evidence(
    ws: Workspace, key: str, query_id: int, feedback_id: int, polarity: int, context: str
) -> int | None:
    """Store one observation (once per query and feedback); return the proposal it feeds."""
    with ws.store.write() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        exists = s.scalar(
            select(M.ProposalEvidence.id).where(
                M.ProposalEvidence.lexicon_id == lx,
                M.ProposalEvidence.key == key,
                M.ProposalEvidence.query_id == query_id,
                M.ProposalEvidence.feedback_id == feedback_id,
            )
        )
        if exists is None:
            s.execute(
                insert(M.ProposalEvidence).values(
                    lexicon_id=lx,
                    key=key,
                    query_id=query_id,
                    feedback_id=feedback_id,
                    user=ws.author,
                    polarity=polarity,
                    context=(context or "")[:MAX_TEXT],
                    created_at=M.utcnow(),
                )
            )
        return s.scalar(
            select(M.Proposal.id).where(M.Proposal.lexicon_id == lx, M.Proposal.key == key)
        )


def _support(ws: Workspace, key: str) -> dict[str, Any]:
    with ws.store.read() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        return _supports(s, lx, [key])[key]


def _supports(s: Any, lx: int, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The support of each of ``keys`` (one statement): queries, users, against, ratio,
    examples and sources."""
    if not keys:
        return {}
    rows: dict[str, list[Any]] = {key: [] for key in keys}
    for r in s.execute(
        select(
            M.ProposalEvidence.key,
            M.ProposalEvidence.query_id,
            M.ProposalEvidence.user,
            M.ProposalEvidence.polarity,
            M.ProposalEvidence.context,
        )
        .where(M.ProposalEvidence.lexicon_id == lx, M.ProposalEvidence.key.in_(list(keys)))
        .order_by(M.ProposalEvidence.id)
    ):
        rows[r.key].append(r)
    return {key: _support_of(found) for key, found in rows.items()}


def _support_of(rows: Sequence[Any]) -> dict[str, Any]:
    # a user who argued against (a correction naming an existing entry) is against, even if
    # their own queries also left the span unexplained
    con_users = {r.user for r in rows if r.polarity < 0}
    pro_users = {r.user for r in rows if r.polarity > 0} - con_users
    voters = pro_users | con_users
    return {
        "queries": len({r.query_id for r in rows if r.polarity > 0}),
        "users": len(pro_users),
        "against": len(con_users),
        "ratio": round(len(pro_users) / len(voters), 4) if voters else 0.0,
        "examples": list(dict.fromkeys(r.context for r in rows if r.polarity > 0 and r.context))[
            :5
        ],
        "sources": sorted({r.query_id for r in rows}),
    }


def _create_proposal(ws: Workspace, key: str, source: str, data: dict[str, Any]) -> int | None:
    try:
        EntryData.from_dict(data, where="proposal")  # must be a valid entry to be proposed
    except BadInputError:
        return None
    with ws.store.write() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        existing = s.scalar(
            select(M.Proposal.id).where(M.Proposal.lexicon_id == lx, M.Proposal.key == key)
        )
        if existing is not None:
            return int(existing)
        taken = select(M.Entry.id).where(
            M.Entry.lexicon_id == lx, M.Entry.form_key == form_key(data["form"])
        )
        if s.scalar(taken) is not None:
            return None  # the lexicon has that form already (read in this transaction)
        now = M.utcnow()
        return int(
            s.scalar(
                insert(M.Proposal)
                .values(
                    lexicon_id=lx,
                    key=key,
                    source=source,
                    data=data,
                    status="open",
                    created_at=now,
                    updated_at=now,
                )
                .returning(M.Proposal.id)
            )
        )


@dataclass
class ProposalView:
    id: int
    key: str
    source: str
    data: dict[str, Any]
    status: str
    support: dict[str, Any]
    entry_id: int | None
    decided_by: str | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "source": self.source,
            "entry": self.data,
            "status": self.status,
            "support": self.support["queries"],
            "users": self.support["users"],
            "against": self.support["against"],
            "ratio": self.support["ratio"],
            "examples": self.support["examples"],
            "sources": self.support["sources"],
            "entry_id": self.entry_id,
            "decided_by": self.decided_by,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProposalView:
        support = {
            "queries": d["support"],
            "users": d["users"],
            "against": d["against"],
            "ratio": d["ratio"],
            "examples": list(d.get("examples") or ()),
            "sources": list(d.get("sources") or ()),
        }
        return cls(
            int(d["id"]),
            d["key"],
            d["source"],
            dict(d["entry"]),
            d["status"],
            support,
            d.get("entry_id"),
            d.get("decided_by"),
            d.get("reason"),
        )


def proposals(
    ws: Workspace, *, status: str | None = "open", limit: int = 100
) -> list[ProposalView]:
    with ws.store.read() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        q = select(M.Proposal).where(M.Proposal.lexicon_id == lx)
        if status:
            q = q.where(M.Proposal.status == status)
        rows = list(s.scalars(q.order_by(M.Proposal.id)))
    views = [_view(ws, r) for r in rows]
    views.sort(key=lambda v: (-v.support["queries"], -v.support["users"], v.id))
    return views[:limit]


def proposal(ws: Workspace, proposal_id: int) -> ProposalView:
    with ws.store.read() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        row = s.scalar(
            select(M.Proposal).where(M.Proposal.lexicon_id == lx, M.Proposal.id == proposal_id)
        )
    if row is None:
        raise NotFoundError(f"no proposal {proposal_id} in lexicon {ws.lexicon!r}")
    return _view(ws, row)


def _view(ws: Workspace, r: M.Proposal) -> ProposalView:
    return ProposalView(
        r.id,
        r.key,
        r.source,
        r.data,
        r.status,
        _support(ws, r.key),
        r.entry_id,
        r.decided_by,
        r.reason,
    )


def accept(
    ws: Workspace, proposal_id: int, *, reason: str | None = None, auto: bool = False
) -> int:
    """Make the proposal an entry, through an ordinary (versioned, undoable) revision."""
    view = proposal(ws, proposal_id)
    if view.status != "open":
        raise ConflictError(f"proposal {proposal_id} is {view.status}, not open")
    record = dict(view.data)
    record["status"] = "active"
    record["provenance"] = "feedback"
    if view.support["examples"] and not record.get("examples"):
        record["examples"] = view.support["examples"][:3]
    data = EntryData.from_dict(record, where=f"proposal {proposal_id}")
    why = reason or ("auto-accepted" if auto else "accepted")
    stored = ws.add(data, reason=f"proposal #{proposal_id} {why}")
    _decide(ws, proposal_id, "accepted", why, entry_id=stored.id)
    return stored.id


def reject(ws: Workspace, proposal_id: int, *, reason: str | None = None) -> None:
    view = proposal(ws, proposal_id)
    if view.status != "open":
        raise ConflictError(f"proposal {proposal_id} is {view.status}, not open")
    _decide(ws, proposal_id, "rejected", reason)


def edit(ws: Workspace, proposal_id: int, **changes: Any) -> ProposalView:
    view = proposal(ws, proposal_id)
    if view.status != "open":
        raise ConflictError(f"proposal {proposal_id} is {view.status}, not open")
    record = dict(view.data)
    for key, value in changes.items():
        if value is None:
            continue
        if key == "components":
            value = [c.to_dict() if isinstance(c, Component) else c for c in value]
        record[key] = value
    record["status"] = "proposed"
    EntryData.from_dict(record, where=f"proposal {proposal_id}")  # validate before storing
    with ws.store.write() as s:
        s.execute(
            update(M.Proposal)
            .where(M.Proposal.id == proposal_id)
            .values(data=record, updated_at=M.utcnow())
        )
    return proposal(ws, proposal_id)


def _decide(
    ws: Workspace, proposal_id: int, status: str, reason: str | None, entry_id: int | None = None
) -> None:
    with ws.store.write() as s:
        s.execute(
            update(M.Proposal)
            .where(M.Proposal.id == proposal_id)
            .values(
                status=status,
                reason=reason,
                entry_id=entry_id,
                decided_by=ws.author,
                decided_at=M.utcnow(),
                updated_at=M.utcnow(),
            )
        )


def _maybe_auto_accept(ws: Workspace, proposal_id: int, rule: dict[str, Any] | None = None) -> bool:
    """Accept the proposal if the rule (read here unless given) says its support is enough."""
    rule = rule if rule is not None else auto_accept_rule(ws)
    if not rule.get("enabled"):
        return False
    view = proposal(ws, proposal_id)
    if view.status != "open":
        return False
    s = view.support
    if s["users"] >= int(rule["min_users"]) and s["ratio"] >= float(rule["min_ratio"]):
        accept(
            ws,
            proposal_id,
            reason=(
                f"auto-accepted: {s['users']} users, ratio {s['ratio']:.2f} "
                f"(rule: ≥{rule['min_users']} users, ≥{rule['min_ratio']})"
            ),
            auto=True,
        )
        return True
    return False


# --- the report -------------------------------------------------------------------------------


def report(ws: Workspace) -> dict[str, Any]:
    """Feedback counts, acceptance per register, threshold history, top proposals."""
    with ws.store.read() as s:
        lx = ws.store.lexicon_id(s, ws.lexicon)
        counts = {
            f"{k}:{t}": n
            for k, t, n in s.execute(
                select(M.Feedback.kind, M.Feedback.target, func.count())
                .where(M.Feedback.lexicon_id == lx)
                .group_by(M.Feedback.kind, M.Feedback.target)
                .order_by(M.Feedback.kind, M.Feedback.target)
            )
        }
        verdicts = s.execute(
            select(M.Feedback.kind, M.Entry.data)
            .join(M.Entry, M.Entry.id == M.Feedback.entry_id)
            .where(
                M.Feedback.lexicon_id == lx,
                M.Feedback.target == "lexeme",
                M.Feedback.kind.in_(("accept", "reject")),
            )
        ).all()
        ratings = s.execute(
            select(M.Feedback.register, func.avg(M.Feedback.rating), func.count())
            .where(M.Feedback.lexicon_id == lx, M.Feedback.kind == "rate")
            .group_by(M.Feedback.register)
        ).all()
    per_register: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for kind, data in verdicts:
        for r in data.get("registers", ()):
            per_register[r][0 if kind == "accept" else 1] += 1
    acceptance = {
        r: {"accepted": a, "rejected": j, "rate": round(a / (a + j), 4) if a + j else None}
        for r, (a, j) in sorted(per_register.items())
    }
    return {
        "feedback": counts,
        "acceptance_by_register": acceptance,
        "style_ratings": {
            (reg or REGISTER_DEFAULT): {"mean": round(float(avg), 3), "count": n}
            for reg, avg, n in ratings
        },
        "thresholds": current_thresholds(ws).to_dict(),
        "history": [
            {
                k: h[k]
                for k in ("id", "created_at", "author", "method", "pairs", "thresholds", "metrics")
            }
            for h in history(ws)
        ],
        "top_proposals": [p.to_dict() for p in proposals(ws, limit=10)],
        "auto_accept": auto_accept_rule(ws),
    }
