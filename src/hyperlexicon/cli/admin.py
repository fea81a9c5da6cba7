"""``init``, ``db``, ``lexicons`` and ``stats``: setting up and looking after the store."""

from __future__ import annotations

from typing import Any

import click

from ..errors import HyperlexiconError
from . import App, main, started
from .output import emit_json, table


@main.command()
@click.option(
    "--seed",
    metavar="NAMES",
    help="Load seed lexicons, comma-separated (core, emoji), each tagged seed-NAME-1.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def init(app: App, seed: str | None, as_json: bool) -> None:
    """Create or upgrade the database, create the lexicon, optionally load seeds.

    Seeds: core (the glyphs, compounds and Δ-codes of the seed documents) and emoji (every
    fully-qualified emoji with its Unicode CLDR names and keywords in Russian and English).
    Core loads first; a seed's entry whose form is stored already is skipped and named.
    Then what the first encode needs is prepared in the cache directory (the bilingual
    dictionary compiled, the model's common centre), once per installation.

    \b
    Example:
      hyperlexicon init --seed core
      hyperlexicon init --seed core,emoji
      hyperlexicon --db postgresql+psycopg://localhost/lex init
    """
    from ..lexicon import Lexicon, combined, seed_names

    names = seed_names(seed) if seed else []
    lexicon, _ = Lexicon.init(app.settings)
    started()
    app._lexicon = lexicon
    loads = lexicon.load_seeds(names) if names else []
    total = combined(loads)
    try:
        prepared = lexicon.prepare()
    except (HyperlexiconError, OSError) as exc:
        # (an embedder that cannot load: the database and the seeds are ready all the same,
        # and the first encode says what is wrong)
        prepared, unprepared = [], str(exc)
    else:
        unprepared = None
    result = {
        "database": lexicon.store.safe_url,
        "lexicon": lexicon.name,
        "seed": seed,
        "import": total.to_dict() if total else None,
        "seeds": [load.to_dict() for load in loads],
        "prepared": prepared,
        "unprepared": unprepared,
    }
    if as_json:
        emit_json(result)
        return
    click.echo(f"database ready: {result['database']}")
    for load in loads:
        if load.report is None:
            click.echo(f"seed {load.seed!r} already loaded in {lexicon.name!r}")
            continue
        line = (
            f"seed {load.seed!r}: {load.report.created} entries loaded into {lexicon.name!r}, "
            f"tagged {load.tag}"
        )
        if load.merged:
            line += (
                f"; {len(load.merged)} held already by another seed's entry took its names: "
                + _some(load.merged)
            )
        if load.kept:
            line += f"; {len(load.kept)} skipped, their forms already stored: {_some(load.kept)}"
        click.echo(line)
    if unprepared:
        click.echo(f"not prepared for the first encode ({unprepared})", err=True)
    else:
        click.echo("prepared for the first encode: " + ", ".join(prepared))


def _some(pairs: list[tuple[str, str]], n: int = 10) -> str:
    """The first ``n`` seed forms of ``(seed form, stored form)`` pairs, for one line."""
    return ", ".join(a for a, _ in pairs[:n]) + (" …" if len(pairs) > n else "")


@main.group()
def db() -> None:
    """Schema migrations (Alembic), runnable from the installed package."""


# "-1" and "+1" are revisions, not options
RELATIVE = {"ignore_unknown_options": True}


@db.command("upgrade", context_settings=RELATIVE)
@click.argument("revision", default="head")
@click.pass_obj
def db_upgrade(app: App, revision: str) -> None:
    """Migrate the schema up to REVISION (default: the newest; +1 is one step).

    \b
    Examples:
      hyperlexicon db upgrade
      hyperlexicon db upgrade +1
    """
    from .. import migrate

    migrate.upgrade(app.settings.database_url, revision)
    click.echo(f"schema at {migrate.current(app.settings.database_url)}")


@db.command("downgrade", context_settings=RELATIVE)
@click.argument("revision")
@click.pass_obj
def db_downgrade(app: App, revision: str) -> None:
    """Migrate the schema down to REVISION (-1 is one step; 'base' removes every table).

    Every row a step does not have to drop is kept: a table or column that the older schema
    lacks goes, nothing else.

    \b
    Examples:
      hyperlexicon db downgrade -1
      hyperlexicon db downgrade 0003
    """
    from .. import migrate

    migrate.downgrade(app.settings.database_url, revision)
    click.echo(f"schema at {migrate.current(app.settings.database_url) or 'base'}")


@db.command("current")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def db_current(app: App, as_json: bool) -> None:
    """The schema revision of the database.

    \b
    Example:
      hyperlexicon db current
    """
    from .. import migrate

    rev = migrate.current(app.settings.database_url)
    head = migrate.head_revision()
    if as_json:
        emit_json({"current": rev, "head": head})
    else:
        click.echo(f"{rev or 'base'}" + (" (head)" if rev == head else f" (head is {head})"))


@db.command("history")
@click.option("--json", "as_json", is_flag=True)
def db_history(as_json: bool) -> None:
    """The migrations this version ships, newest first.

    \b
    Example:
      hyperlexicon db history
    """
    from .. import migrate

    revs = migrate.history()
    if as_json:
        emit_json(revs)
    else:
        table(
            None,
            ["revision", "down", "message"],
            [[r["revision"], r["down_revision"], r["message"]] for r in revs],
        )


@db.command("check")
@click.option("--fix", is_flag=True, help="Rebuild rows derived from entries' records.")
@click.pass_obj
def db_check(app: App, fix: bool) -> None:
    """Compare the models with the migrated database, and check the data they hold (each
    entry's glosses, components, registers and examples against its record, its names'
    heads against its names; rows pointing at rows that are gone). Exit 1 on any finding.

    \b
    Examples:
      hyperlexicon db check
      hyperlexicon db check --fix
    """
    from .. import migrate

    url = app.settings.database_url
    diffs = migrate.check(url)
    for d in diffs:
        click.echo(f"schema: {d!r}")
    # the name heads are read only from a schema that has them as the models say
    check = migrate.check_data if diffs else _data_findings
    findings = check(url)
    if fix and findings:
        from ..store import Store

        store = Store(url)
        try:
            ids = [i for f in findings for i in f.entry_ids]
            if ids:
                click.echo(f"rebuilt the derived rows of {store.rebuild_derived(ids)} entries")
        finally:
            store.close()
        findings = check(url)
    for f in findings:
        click.echo(f"data: {f.message}")
    if diffs or findings:
        raise SystemExit(1)
    click.echo("models and migrations agree; the data holds its invariants")


def _data_findings(url: str) -> list[Any]:
    """``migrate.check_data``'s findings, and the entries whose name heads are not what their
    names give now (``Store.stale_heads``: derived by the store's own rules, which the
    schema's module does not hold)."""
    from .. import migrate
    from ..store import Store

    findings = migrate.check_data(url)
    store = Store(url)
    try:
        stale = store.stale_heads()
    finally:
        store.close()
    if stale:
        findings.append(
            migrate.entries_finding(
                stale, "whose name heads (gloss_head) do not match their names", "finds them again"
            )
        )
    return findings


@main.group()
def lexicons() -> None:
    """The lexicons in the store."""


@lexicons.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lexicons_list(app: App, as_json: bool) -> None:
    """List lexicons with their entry counts.

    \b
    Example:
      hyperlexicon lexicons list
    """
    items = app.lexicon.lexicons()
    if as_json:
        emit_json(items)
    else:
        table(
            None,
            ["name", "entries", "description"],
            [[i["name"], i["entries"], i["description"]] for i in items],
        )


@lexicons.command("create")
@click.argument("name")
@click.option("-d", "--description", default="")
@click.pass_obj
def lexicons_create(app: App, name: str, description: str) -> None:
    """Create an empty lexicon.

    \b
    Example:
      hyperlexicon lexicons create mine -d "my own glyphs"
      hyperlexicon -l mine lex add ✶ -g en:star
    """
    app.lexicon.create_lexicon(name, description)
    click.echo(f"created lexicon {name}")


@lexicons.command("rm")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask.")
@click.pass_obj
def lexicons_rm(app: App, name: str, yes: bool) -> None:
    """Delete a lexicon with its entries, history and versions (cannot be undone).

    \b
    Example:
      hyperlexicon lexicons rm scratch --yes
    """
    if not yes:
        click.confirm(f"delete lexicon {name!r} with all its history?", abort=True)
    app.lexicon.delete_lexicon(name)
    click.echo(f"deleted lexicon {name}")


@main.command()
@click.option(
    "--all", "all_lexicons", is_flag=True, help="Every lexicon, not just the current one."
)
@click.option(
    "--calibration", "show_calibration", is_flag=True, help="Feedback, thresholds, proposals."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def stats(app: App, all_lexicons: bool, show_calibration: bool, as_json: bool) -> None:
    """Counts: entries by kind, status and register; glosses by language; history.

    \b
    Example:
      hyperlexicon stats --json
      hyperlexicon stats --calibration
    """
    lexicon = app.lexicon
    if show_calibration:
        _calibration_report(lexicon, as_json)
        return
    figures = lexicon.stats(all_lexicons=all_lexicons)
    if as_json:
        emit_json(figures)
        return
    rows = []
    for name, f in figures["lexicons"].items():
        rows.append(
            [
                name,
                f["entries"],
                ", ".join(f"{k} {v}" for k, v in f["by_kind"].items()),
                ", ".join(f"{k} {v}" for k, v in f["by_status"].items()),
                ", ".join(f"{k} {v}" for k, v in f["by_register"].items()),
                ", ".join(f"{k} {v}" for k, v in f["glosses_by_language"].items()),
                f["revisions"],
                f["versions"],
            ]
        )
    table(
        figures["database"],
        [
            "lexicon",
            "entries",
            "kinds",
            "statuses",
            "registers",
            "glosses",
            "revisions",
            "versions",
        ],
        rows,
    )


def _calibration_report(lexicon: object, as_json: bool) -> None:
    from .output import console

    report = lexicon.calibration_report()  # type: ignore[attr-defined]
    if as_json:
        emit_json(report)
        return
    out = console()
    out.print(
        "feedback: " + (", ".join(f"{k} {v}" for k, v in report["feedback"].items()) or "none")
    )
    if report["acceptance_by_register"]:
        table(
            "acceptance of lexemes by register",
            ["register", "accepted", "rejected", "rate"],
            [
                [
                    r,
                    v["accepted"],
                    v["rejected"],
                    f"{v['rate']:.2f}" if v["rate"] is not None else "-",
                ]
                for r, v in report["acceptance_by_register"].items()
            ],
        )
    for reg, v in report["style_ratings"].items():
        out.print(f"style rating {reg}: {v['mean']:.2f} over {v['count']}")
    t = report["thresholds"]
    out.print(
        "thresholds now: semantic "
        + ", ".join(f"{k} {v:.3f}" for k, v in t["semantic"].items())
        + f"; anchor {t['anchor']:.3f}; weight floor {t['weight_floor']:.2f}"
    )
    if report["history"]:
        table(
            "threshold history",
            ["id", "when", "method", "pairs", "semantic default", "anchor"],
            [
                [
                    h["id"],
                    h["created_at"][:19],
                    h["method"],
                    h["pairs"],
                    f"{h['thresholds']['semantic'].get('default', 0):.3f}",
                    f"{h['thresholds']['anchor']:.3f}",
                ]
                for h in report["history"]
            ],
        )
    if report["top_proposals"]:
        table(
            "top proposals",
            ["id", "form", "support", "users", "ratio"],
            [
                [p["id"], p["entry"]["form"], p["support"], p["users"], f"{p['ratio']:.2f}"]
                for p in report["top_proposals"]
            ],
        )
    rule = report["auto_accept"]
    out.print(
        f"auto-accept {'on' if rule['enabled'] else 'off'} "
        f"(≥{rule['min_users']} users, ratio ≥{rule['min_ratio']})"
    )
