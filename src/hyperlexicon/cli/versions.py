"""``hyperlexicon version``: name points in history, compare them, go back to them."""

from __future__ import annotations

import click

from . import App, main
from .output import emit_json, gloss_line, table


@main.group()
def version() -> None:
    """Versions: named points in a lexicon's history (like git tags)."""


@version.command("create")
@click.argument("name")
@click.option("-m", "--message", default="", help="What this version is.")
@click.pass_obj
def version_create(app: App, name: str, message: str) -> None:
    """Name the lexicon's current state.

    \b
    Example:
      hyperlexicon version create v1 -m "first curated release"
    """
    info = app.lexicon.create_version(name, message=message)
    click.echo(f"{app.lexicon.name}: version {info.name} at revision {info.revision_id}")


@version.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def version_list(app: App, as_json: bool) -> None:
    """List versions, oldest first.

    \b
    Example:
      hyperlexicon version list --json
    """
    versions = app.lexicon.versions()
    if as_json:
        emit_json([v.to_dict() for v in versions])
        return
    table(
        f"{app.lexicon.name}: versions",
        ["name", "entries", "revision", "author", "created (UTC)", "message"],
        [
            [
                v.name,
                v.entries,
                v.revision_id,
                v.author,
                v.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                v.message,
            ]
            for v in versions
        ],
    )


@version.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def version_show(app: App, name: str, as_json: bool) -> None:
    """The lexicon as of a version (NAME, @REVISION or 'working').

    \b
    Example:
      hyperlexicon version show seed-core-1
    """
    state = app.lexicon.at(name)
    if as_json:
        emit_json({"version": name, "entries": [d.to_dict() for d in state.values()]})
        return
    table(
        f"{app.lexicon.name} @ {name}: {len(state)} entries",
        ["form", "kind", "status", "ru", "en"],
        [
            [d.form, d.kind, d.status, gloss_line(d.glosses, "ru"), gloss_line(d.glosses, "en")]
            for d in state.values()
        ],
    )


@version.command("diff")
@click.argument("a")
@click.argument("b", default="working")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def version_diff(app: App, a: str, b: str, as_json: bool) -> None:
    """What changed from version A to B (default: the working state), field by field.

    \b
    Example:
      hyperlexicon version diff seed-core-1
      hyperlexicon version diff v1 v2 --json
    """
    d = app.lexicon.diff(a, b)
    if as_json:
        emit_json(d.to_dict())
        return
    if d.empty:
        click.echo(f"no differences between {a} and {b}")
        return
    for entry in d.added:
        click.echo(
            f"+ {entry.form}  {gloss_line(entry.glosses, 'ru')} / {gloss_line(entry.glosses, 'en')}"
        )
    for entry in d.removed:
        click.echo(
            f"- {entry.form}  {gloss_line(entry.glosses, 'ru')} / {gloss_line(entry.glosses, 'en')}"
        )
    for _old, new, fields in d.changed:
        click.echo(f"~ {new.form}")
        for key, (va, vb) in fields.items():
            click.echo(f"    {key}: {va!r} -> {vb!r}")
    click.echo(
        f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed", err=True
    )


@version.command("rollback")
@click.argument("name")
@click.option("--reason", help="Recorded with every revision (default: 'rollback to NAME').")
@click.pass_obj
def version_rollback(app: App, name: str, reason: str | None) -> None:
    """Restore the lexicon to version NAME, as new revisions (history is kept).

    The state before the rollback is tagged first, so the rollback can be undone by rolling
    back to that tag.

    \b
    Example:
      hyperlexicon version rollback v1
      hyperlexicon version rollback before-rollback-to-v1     (undo it)
    """
    tag, counts = app.lexicon.rollback(name, reason=reason)
    app.note_index()
    click.echo(
        f"{app.lexicon.name}: rolled back to {name}: {counts['created']} restored, "
        f"{counts['updated']} reverted, {counts['deleted']} removed; undo with "
        f"'hyperlexicon version rollback {tag}'"
    )
