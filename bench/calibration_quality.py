"""Calibration from feedback, measured: a user's verdicts on one labelled set, the thresholds
``calibrate`` fits from them, and what those thresholds do on sets the verdicts never saw.

The labelled sets of ``bench/encode_quality.py`` stand in for a user who judges what encode
shows. Each sentence of the training set (``--train``, the main set by default) is encoded
and logged on a copy of the benchmark's core+emoji store, and every lexeme matched by a
judgement the calibration fits (``how`` keyword, related, partial, semantic, translated)
gets a verdict from the labels: accepted if it is an acceptable form of the sentence,
rejected if not; a near miss whose form is acceptable for a concept the scene missed gets a
correction naming it. ``calibrate --dry-run`` then fits the thresholds from those verdicts,
and each evaluation set (``--eval``, the two held-out sets by default) is encoded with the
thresholds before and after, in the same run, on the original store: the verdicts' other
effect, the entries' learned weights, is left out, so the figures say what the fitted
thresholds alone do. The first held-out set is read for its figures, the second for its
aggregates only (``bench/data/README.md``).

A real user judges some of what they see and is sometimes wrong: ``--judged 0.3`` gives
verdicts on three lexemes and near misses in ten, ``--noise 0.1`` gives one verdict in ten the
wrong way round (``--leans accept``: only by accepting what is wrong; ``--seed`` for the
user's choices). ``--start semantic=0.4,keyword_shift=-0.3`` starts the judged lexicon from
thresholds wrong for it, as an earlier calibration might have left them, and measures whether
the user's verdicts bring them back ("before" is then those thresholds). ``--rounds 3``
plays a user who calibrates as they go: the training set is split in three, each part is
judged as encoded with the thresholds the calibration after the part before left (stored, as
``calibrate`` stores them), the verdicts adding up in the log; verdicts given at one set of
thresholds say little about a threshold far from it, since what encode shows changes with it.

Run:  python bench/calibration_quality.py [--train DATA] [--eval DATA,DATA] [--judged SHARE]
          [--noise SHARE] [--leans both|accept|reject] [--seed N] [--start NAME=VALUE,…]
          [--rounds N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, os.path.dirname(__file__))
from encode_quality import (
    DATA,
    OUT,
    Refs,
    judge,
    load_set,
    log,
    open_store,
    own_settings,
    settings_for,
    summarize,
)

# the judgements calibration fits a threshold to (``calibration.calibrate``)
JUDGED = ("keyword", "related", "partial", "semantic", "translated")
EVAL = (DATA.with_name("encode_heldout.yaml"), DATA.with_name("encode_heldout2.yaml"))


@dataclass
class User:
    """How the simulated user judges: which near misses they give verdicts on, how much of
    what encode shows they judge at all, and how often a verdict is the wrong one."""

    near_verdicts: bool = True  # rejects near misses that are wrong (else only corrects)
    judged: float = 1.0  # the share of lexemes and near misses given a verdict
    noise: float = 0.0  # the share of verdicts given the wrong way round
    leans: str = "both"  # which verdicts err: both ways, or only "accept" (or "reject") wrongly
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def judges(self) -> bool:
        return self.judged >= 1.0 or self.rng.random() < self.judged

    def errs(self, right: bool) -> bool:
        """Whether this verdict on a lexeme that is ``right`` (or not) is given wrongly."""
        if (self.leans == "accept" and right) or (self.leans == "reject" and not right):
            return False
        return self.noise > 0.0 and self.rng.random() < self.noise


def give_verdicts(lex: Any, items: list[Any], refs: Refs, user: User) -> dict[str, int]:
    """Encode and log each item, and judge its lexemes and near misses by the labels: a near
    miss that is right for a concept the scene missed is corrected to, one that is no
    acceptable form at all rejected (``user.near_verdicts``; without them, as a user who
    only corrects, the verdicts below a threshold are all positive). A user who errs
    (``user.noise``) accepts a wrong lexeme, rejects a right one, corrects to a wrong near
    miss or rejects a right one."""
    counts = {"accept": 0, "reject": 0, "correct": 0, "near miss rejected": 0, "wrong": 0}
    for item in items:
        scene = lex.encode(item.text, lang=item.lang, stability=False)
        acceptable = item.acceptable
        for lx in scene.lexemes:
            if lx.how not in JUDGED or not user.judges():
                continue
            right = bool(refs.keys(lx.form) & acceptable)
            if user.errs(right):
                right = not right
                counts["wrong"] += 1
            kind = "accept" if right else "reject"
            lex.feedback(scene.query_id, kind, lexeme=lx.form)
            counts[kind] += 1
        found = {f for lx in scene.lexemes for f in refs.keys(lx.form)}
        missed = {f for c in item.concepts if not (c.keys & found) for f in c.keys}
        shown = {lx.form for lx in scene.lexemes}
        for miss in scene.near_misses:
            if miss.get("how", "semantic") not in JUDGED or miss["form"] in shown:
                continue
            keys = refs.keys(miss["form"])
            if not (keys & missed or (user.near_verdicts and not keys & acceptable)):
                continue  # right for a concept found otherwise: nothing to say
            if not user.judges():
                continue
            right = bool(keys & missed)
            if user.errs(right):
                right = not right
                counts["wrong"] += 1
            if right:
                lex.feedback(scene.query_id, "correct", span=miss["text"], correction=miss["form"])
                counts["correct"] += 1
            else:
                lex.feedback(scene.query_id, "reject", lexeme=miss["form"])
                counts["near miss rejected"] += 1
    return counts


def starting_thresholds(spec: str) -> Any:
    """Thresholds a lexicon starts from, as ``NAME=VALUE,…`` over the defaults (``semantic``
    sets every register's): a lexicon whose thresholds are wrong for it, which calibration is
    for. Raises ``ValueError`` naming what is wrong."""
    from hyperlexicon.stability import Thresholds

    base = Thresholds()
    changes: dict[str, Any] = {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        name, eq, value = part.partition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            number = None
        if not eq or number is None:
            raise ValueError(f"--start: {part!r} is no NAME=NUMBER")
        if name == "semantic":
            changes["semantic"] = {k: number for k in base.semantic}
        elif isinstance(getattr(base, name, None), float):
            changes[name] = number
        else:
            raise ValueError(f"--start: {name!r} is no threshold")
    return base.with_(**changes)


def record_thresholds(lex: Any, thresholds: Any) -> None:
    """Record ``thresholds`` as the lexicon's latest calibration, as an earlier one would
    have left them (there is no command that sets thresholds by hand)."""
    from sqlalchemy import insert

    from hyperlexicon import models as M

    store = lex.workspace.store
    with store.write() as s:
        s.execute(
            insert(M.Calibration).values(
                lexicon_id=store.lexicon_id(s, lex.workspace.lexicon),
                author="calibration_quality",
                method="start",
                folds=5,
                pairs=0,
                thresholds=thresholds.to_dict(),
                metrics={},
                created_at=M.utcnow(),
            )
        )


def moved(before: Any, after: Any) -> dict[str, tuple[Any, Any]]:
    """The thresholds that differ between two ``Thresholds``: name → (before, after)."""
    a, b = before.to_dict(), after.to_dict()
    return {k: (v, b[k]) for k, v in a.items() if b[k] != v}


def in_words(changed: dict[str, tuple[Any, Any]]) -> str:
    return ", ".join(f"{k} {a} -> {b}" for k, (a, b) in changed.items())


def figures(lex: Any, thresholds: Any, items: list[Any], refs: Refs) -> dict[str, Any]:
    from hyperlexicon.bridge import Bridge

    bridge = Bridge(lex.workspace, thresholds)
    outcomes = [
        judge(item, bridge.encode(item.text, lang=item.lang, stability=False), refs)
        for item in items
    ]
    return summarize(outcomes)["overall"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=DATA, help="the set the verdicts are on")
    parser.add_argument(
        "--eval",
        default=",".join(str(p) for p in EVAL),
        help="comma-separated sets to measure on (default: the two held-out sets)",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="where the cached store lives")
    parser.add_argument("--target-precision", type=float, default=None)
    parser.add_argument(
        "--no-near-rejects",
        action="store_true",
        help="judge near misses only by corrections (no rejections below a threshold)",
    )
    parser.add_argument(
        "--judged",
        type=float,
        default=1.0,
        metavar="SHARE",
        help="the share of lexemes and near misses the user judges (default 1: all)",
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="the share of the user's verdicts given the wrong way round (default 0)",
    )
    parser.add_argument(
        "--leans",
        choices=("both", "accept", "reject"),
        default="both",
        help="which way the user's mistakes go: both (default), only accepting what is wrong, "
        "or only rejecting what is right",
    )
    parser.add_argument("--seed", type=int, default=0, help="the user's random choices")
    parser.add_argument(
        "--start",
        default="",
        metavar="NAME=VALUE,…",
        help="thresholds the judged lexicon starts from instead of the defaults "
        "(e.g. semantic=0.4,keyword_shift=-0.3): does calibration bring them back?",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        metavar="N",
        help="split the training set in N parts, calibrating after each (default 1)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        print("calibration_quality: --rounds must be at least 1", file=sys.stderr)
        return 2
    for name in ("judged", "noise"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            print(f"calibration_quality: --{name} must be a share from 0 to 1", file=sys.stderr)
            return 2
    try:
        start = starting_thresholds(args.start) if args.start else None
    except ValueError as exc:
        print(f"calibration_quality: {exc}", file=sys.stderr)
        return 2
    own_settings()
    try:
        train = load_set(args.train)
        evals = {Path(p).name: load_set(Path(p)) for p in args.eval.split(",") if p}
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"calibration_quality: {exc}", file=sys.stderr)
        return 2

    from hyperlexicon.lexicon import Lexicon

    lex, home = open_store(args.out, False, log)
    lex.close()
    work = Path(tempfile.mkdtemp(prefix="calibration-quality-"))
    try:
        copy = work / "home"
        shutil.copytree(home, copy)
        judged, _ = Lexicon.init(settings_for(copy), seed="core,emoji")
        if start is not None:
            record_thresholds(judged, start)
        try:
            # one judge giving hundreds of verdicts: the poisoning guard's rate lifted
            judged.growth_rules(feedback_rate_per_hour=1_000_000)
            refs = Refs(judged)
            log(f"verdicts on {len(train)} sentences of {args.train.name}")
            user = User(
                near_verdicts=not args.no_near_rejects,
                judged=args.judged,
                noise=args.noise,
                leans=args.leans,
                rng=random.Random(args.seed),
            )
            counts: dict[str, int] = {}
            rounds = []
            for r in range(args.rounds):
                part = train[r :: args.rounds]
                given = give_verdicts(judged, part, refs, user)
                for k, v in given.items():
                    counts[k] = counts.get(k, 0) + v
                was = judged.bridge.thresholds
                # stored, so that the next part is encoded with what it fitted
                result = judged.calibrate(
                    dry_run=args.rounds == 1, target_precision=args.target_precision
                )
                changed = moved(was, result.thresholds)
                rounds.append({"sentences": len(part), "verdicts": given, "changed": changed})
        finally:
            judged.close()
        lex, _ = Lexicon.init(settings_for(home), seed="core,emoji")
        try:
            refs = Refs(lex)
            before, after = start or lex.bridge.thresholds, result.thresholds
            rows = {}
            for name, items in {args.train.name: train, **evals}.items():
                log(f"measuring {name}")
                rows[name] = {
                    "before": figures(lex, before, items, refs),
                    "after": figures(lex, after, items, refs),
                }
        finally:
            lex.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    changed = moved(before, after)
    if args.json:
        doc = {
            "train": str(args.train),
            "user": {
                "judged": args.judged,
                "noise": args.noise,
                "leans": args.leans,
                "seed": args.seed,
                "start": args.start,
            },
            "verdicts": counts,
            "rounds": rounds,
            "metrics": result.metrics,
            "changed": changed,
            "figures": rows,
        }
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    print(
        f"verdicts on {args.train.name}: {counts['accept']} accepted, {counts['reject']}"
        f" rejected, {counts['correct']} corrections,"
        f" {counts['near miss rejected']} near misses rejected"
        f" ({counts['wrong']} of them wrong; {args.judged:.0%} of what was shown judged)"
    )
    if args.rounds > 1:
        for r, done in enumerate(rounds, 1):
            said = in_words(done["changed"]) or "nothing moved"
            print(f"  round {r} ({done['sentences']} sentences): {said}")
        print("  the last round's calibration:")
    for series, report in sorted(result.metrics.items()):
        state = (
            "skipped" if "skipped" in report else ("adopted" if report.get("adopted") else "kept")
        )
        print(
            f"  {series:18} {report.get('pairs', 0):4} pairs  {state:8}"
            f" {report.get('before_threshold')} -> {report.get('after_threshold', '-')}"
        )
    print(f"thresholds changed: {in_words(changed) or 'none'}")
    print(f"\n{'set':28} {'':7} recall  all found  spurious/sentence")
    for name, pair in rows.items():
        for when in ("before", "after"):
            f = pair[when]
            print(
                f"{name if when == 'before' else '':28} {when:7} {f['concept_recall']:.3f}"
                f"   {f['all_found']:.3f}      {f['spurious_per_sentence']:.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
