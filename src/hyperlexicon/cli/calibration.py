"""``feedback``, ``proposals``, ``calibrate``: how the lexicon learns from use."""

from __future__ import annotations

from typing import Any

import click

from . import App, main
from .output import console, emit_json, table

REGISTERS = ("emotional", "logical", "poetic", "philosophical", "technical")


@main.group()
@click.argument("query_id", type=int)
@click.pass_context
def feedback(ctx: click.Context, query_id: int) -> None:
    """Feedback on a logged query (see 'hyperlexicon log list').

    \b
    Example:
      hyperlexicon feedback 12 accept
      hyperlexicon feedback 12 reject --lexeme 🫀
      hyperlexicon feedback 12 correct --span "чувствуешь" --to 😨
      hyperlexicon feedback 12 rate 4 --register poetic
    """
    ctx.meta["query_id"] = query_id


def _report(app: App, result: Any, as_json: bool) -> None:
    app.note_index()
    if as_json:
        emit_json(result.to_dict())
        return
    line = f"feedback {result.id} recorded"
    if result.weights_changed:
        line += f"; {result.weights_changed} learned weight(s) updated"
    if result.proposal_id:
        line += f"; proposal {result.proposal_id}" + (
            " auto-accepted" if result.auto_accepted else ""
        )
    click.echo(line)


@feedback.command("accept")
@click.option(
    "--lexeme", metavar="FORM", help="One lexeme of the scene (default: the whole scene)."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def feedback_accept(ctx: click.Context, lexeme: str | None, as_json: bool) -> None:
    """The scene (or one lexeme) is right.

    \b
    Example:
      hyperlexicon feedback 12 accept --lexeme ⛈
    """
    app: App = ctx.obj
    _report(app, app.lexicon.feedback(ctx.meta["query_id"], "accept", lexeme=lexeme), as_json)


@feedback.command("reject")
@click.option(
    "--lexeme", metavar="FORM", help="One lexeme of the scene (default: the whole scene)."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def feedback_reject(ctx: click.Context, lexeme: str | None, as_json: bool) -> None:
    """The scene (or one lexeme) is wrong.

    \b
    Example:
      hyperlexicon feedback 12 reject --lexeme 🫀
    """
    app: App = ctx.obj
    _report(app, app.lexicon.feedback(ctx.meta["query_id"], "reject", lexeme=lexeme), as_json)


@feedback.command("correct")
@click.option("--span", required=True, help="The text of the query the correction is about.")
@click.option(
    "--to",
    "correction",
    required=True,
    metavar="FORM|MEANING",
    help="The right form, or a meaning the lexicon lacks.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def feedback_correct(ctx: click.Context, span: str, correction: str, as_json: bool) -> None:
    """The right form (or a new meaning) for a span of the query.

    \b
    Example:
      hyperlexicon feedback 12 correct --span "чувствуешь" --to 😨
      hyperlexicon feedback 14 correct --span "квартира" --to "жилище"
    """
    app: App = ctx.obj
    result = app.lexicon.feedback(ctx.meta["query_id"], "correct", span=span, correction=correction)
    _report(app, result, as_json)


@feedback.command("rate")
@click.argument("rating", type=click.IntRange(1, 5))
@click.option("-r", "--register", type=click.Choice(REGISTERS))
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def feedback_rate(ctx: click.Context, rating: int, register: str | None, as_json: bool) -> None:
    """Rate the style of the answer, 1 to 5, for a register.

    \b
    Example:
      hyperlexicon feedback 13 rate 5 --register poetic
    """
    app: App = ctx.obj
    result = app.lexicon.feedback(ctx.meta["query_id"], "rate", rating=rating, register=register)
    _report(app, result, as_json)


@main.group()
def proposals() -> None:
    """Candidate entries grown from use: accept, reject or edit them."""


@proposals.command("list")
@click.option(
    "--status",
    type=click.Choice(["open", "accepted", "rejected", "all"]),
    default="open",
    show_default=True,
)
@click.option("-n", "--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def proposals_list(app: App, status: str, limit: int, as_json: bool) -> None:
    """Proposals, best supported first.

    \b
    Example:
      hyperlexicon proposals list
    """
    views = app.lexicon.proposals(status=None if status == "all" else status, limit=limit)
    if as_json:
        emit_json([v.to_dict() for v in views])
        return
    table(
        None,
        ["id", "form", "kind", "gloss", "support", "users", "ratio", "source", "status"],
        [
            [
                v.id,
                v.data["form"],
                v.data["kind"],
                "; ".join(g for gs in v.data.get("glosses", {}).values() for g in gs),
                v.support["queries"],
                v.support["users"],
                f"{v.support['ratio']:.2f}",
                v.source,
                v.status,
            ]
            for v in views
        ],
    )


@proposals.command("show")
@click.argument("proposal_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def proposals_show(app: App, proposal_id: int, as_json: bool) -> None:
    """One proposal: the entry it would make, its support and its examples.

    \b
    Example:
      hyperlexicon proposals show 3
    """
    view = app.lexicon.proposal(proposal_id)
    if as_json:
        emit_json(view.to_dict())
        return
    out = console()
    out.print(
        f"proposal {view.id} ({view.status}, from {view.source}): {view.data['form']}", style="bold"
    )
    out.print(
        f"kind {view.data['kind']}; glosses {view.data.get('glosses')}; "
        f"components {view.data.get('components', [])}"
    )
    s = view.support
    out.print(
        f"support: {s['queries']} queries, {s['users']} users, {s['against']} against, "
        f"ratio {s['ratio']:.2f}"
    )
    for ex in s["examples"]:
        out.print(f"  «{ex}»")


@proposals.command("accept")
@click.argument("proposal_id", type=int)
@click.option("--reason")
@click.pass_obj
def proposals_accept(app: App, proposal_id: int, reason: str | None) -> None:
    """Make the proposal an entry (a revision like any other: versioned, undoable).

    \b
    Example:
      hyperlexicon proposals accept 3 --reason "seen often"
    """
    entry_id = app.lexicon.accept_proposal(proposal_id, reason=reason)
    app.note_index()
    click.echo(f"proposal {proposal_id} accepted as entry {entry_id}")


@proposals.command("reject")
@click.argument("proposal_id", type=int)
@click.option("--reason")
@click.pass_obj
def proposals_reject(app: App, proposal_id: int, reason: str | None) -> None:
    """Reject the proposal; it is not proposed again.

    \b
    Example:
      hyperlexicon proposals reject 4 --reason "noise"
    """
    app.lexicon.reject_proposal(proposal_id, reason=reason)
    click.echo(f"proposal {proposal_id} rejected")


@proposals.command("edit")
@click.argument("proposal_id", type=int)
@click.option("--form")
@click.option("--kind", type=click.Choice(["glyph", "compound", "delta", "phrase"]))
@click.option(
    "-g", "--gloss", "glosses", multiple=True, metavar="LANG:TEXT", help="Replaces the glosses."
)
@click.option(
    "-c",
    "--component",
    "components",
    multiple=True,
    metavar="SPEC",
    help="Replaces the components.",
)
@click.option("-r", "--register", "registers", multiple=True, type=click.Choice(REGISTERS))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def proposals_edit(
    app: App,
    proposal_id: int,
    form: str | None,
    kind: str | None,
    glosses: tuple[str, ...],
    components: tuple[str, ...],
    registers: tuple[str, ...],
    as_json: bool,
) -> None:
    """Change what a proposal would become, before accepting it.

    \b
    Example:
      hyperlexicon proposals edit 3 --form 🏘 --kind glyph -g ru:жилище -g en:dwelling
    """
    from ..entry import Component
    from .lex import _glosses

    view = app.lexicon.edit_proposal(
        proposal_id,
        form=form,
        kind=kind,
        glosses=_glosses(glosses, "--gloss") if glosses else None,
        components=[Component.parse(c) for c in components] if components else None,
        registers=list(registers) if registers else None,
    )
    if as_json:
        emit_json(view.to_dict())
    else:
        click.echo(f"proposal {proposal_id}: {view.data['form']} ({view.data['kind']})")


@proposals.command("rule")
@click.option(
    "--auto-accept/--no-auto-accept",
    default=None,
    help="Let well-supported proposals become entries on their own.",
)
@click.option(
    "--min-users", type=click.IntRange(min=1), help="Distinct users needed to auto-accept."
)
@click.option(
    "--min-ratio", type=click.FloatRange(0, 1), help="Share of users for (not against) needed."
)
@click.option(
    "--support", type=click.IntRange(min=1), help="Distinct queries before a span is proposed."
)
@click.option("--feedback-rate", type=click.IntRange(min=1), help="Feedback per user per hour.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def proposals_rule(
    app: App,
    auto_accept: bool | None,
    min_users: int | None,
    min_ratio: float | None,
    support: int | None,
    feedback_rate: int | None,
    as_json: bool,
) -> None:
    """Show or set the growth rules and the poisoning guard of this lexicon.

    \b
    Example:
      hyperlexicon proposals rule --auto-accept --min-users 3 --min-ratio 0.8
      hyperlexicon proposals rule --support 5 --feedback-rate 60
    """
    shown = app.lexicon.growth_rules(
        auto_accept=auto_accept,
        min_users=min_users,
        min_ratio=min_ratio,
        proposal_support=support,
        feedback_rate_per_hour=feedback_rate,
    )
    rule = shown["auto_accept"]
    if as_json:
        emit_json(shown)
    else:
        state = "on" if rule["enabled"] else "off"
        click.echo(
            f"auto-accept {state} (≥{rule['min_users']} users, ratio ≥{rule['min_ratio']}); "
            f"a span is proposed after {shown['proposal_support']} queries; "
            f"feedback limited to {shown['feedback_rate_per_hour']} per user per hour"
        )


@main.command()
@click.option(
    "--target-precision",
    type=click.FloatRange(0, 1, min_open=True),
    help="Reach this precision instead of keeping the most right lexemes net of wrong ones.",
)
@click.option("--folds", type=click.IntRange(min=2), default=5, show_default=True)
@click.option(
    "--weight-floor",
    type=click.FloatRange(0, 1),
    help="Leave entries lighter than this out of matching.",
)
@click.option(
    "--weights", "recompute", is_flag=True, help="Also recompute every learned weight from the log."
)
@click.option("--dry-run", is_flag=True, help="Show what would be fitted; store nothing.")
@click.option("--history", "show_history", is_flag=True, help="List past calibrations.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def calibrate(
    app: App,
    target_precision: float | None,
    folds: int,
    weight_floor: float | None,
    recompute: bool,
    dry_run: bool,
    show_history: bool,
    as_json: bool,
) -> None:
    """Fit the semantic threshold per register, a word's, a face's and a template's, the
    translated-gloss, related-word and keyword thresholds and the anchor threshold from
    feedback, with k-fold cross-validation; encode uses the latest calibration.

    \b
    Example:
      hyperlexicon calibrate --dry-run
      hyperlexicon calibrate --target-precision 0.9
      hyperlexicon calibrate --weights --weight-floor 0.15
      hyperlexicon calibrate --history
    """
    lex = app.lexicon
    if show_history:
        records = lex.calibration_history()
        if as_json:
            emit_json(records)
            return
        table(
            None,
            ["id", "when", "who", "method", "pairs", "semantic", "anchor"],
            [
                [
                    r["id"],
                    r["created_at"][:19],
                    r["author"],
                    r["method"],
                    r["pairs"],
                    ", ".join(f"{k} {v:.3f}" for k, v in r["thresholds"]["semantic"].items()),
                    f"{r['thresholds']['anchor']:.3f}",
                ]
                for r in records
            ],
        )
        return
    result = lex.calibrate(
        target_precision=target_precision,
        folds=folds,
        dry_run=dry_run,
        weight_floor=weight_floor,
        weights=recompute,
    )
    changed = result.weights_changed
    if as_json:
        emit_json(result.to_dict())
        return
    rows = []
    for name, m in result.metrics.items():
        if "skipped" in m:
            rows.append(
                [name, m["pairs"], f"{m['before_threshold']:.3f}", "-", m["skipped"], "", ""]
            )
            continue
        b, a = m["held_out_before"], m["held_out_after"]
        differ = m.get("decided_differently")
        rows.append(
            [
                name,
                m["pairs"],
                f"{m['before_threshold']:.3f} → {m['after_threshold']:.3f}",
                f"{b['precision']:.2f} → {a['precision']:.2f}",
                f"{b['recall']:.2f} → {a['recall']:.2f}",
                f"{b['f1']:.2f} → {a['f1']:.2f}",
                f"refused: {m['one_sided']}"
                if m.get("one_sided")
                else f"{differ['right']} right, {differ['wrong']} wrong (p {differ['p']:.2f})"
                if differ
                else "",
            ]
        )
    table(
        f"calibration ({result.method}, {result.folds}-fold; held-out before → after)",
        ["threshold", "pairs", "value", "precision", "recall", "F1", "decided differently"],
        rows,
    )
    if changed:
        click.echo(f"{changed} learned weight(s) updated")
    click.echo(
        "dry run: nothing stored" if dry_run else f"stored as calibration {result.stored_id}"
    )
