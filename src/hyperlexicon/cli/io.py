"""``hyperlexicon import`` and ``export``."""

from __future__ import annotations

import sys

import click

from . import App, main
from .output import emit_json, progress_bar

FORMAT_HELP = "jsonl, yaml, csv or tbx (default: from the file name)."


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-f", "--format", "fmt", help=FORMAT_HELP)
@click.option(
    "--on-conflict",
    type=click.Choice(["fail", "skip", "update"]),
    default="fail",
    show_default=True,
    help="What to do with forms the lexicon already has.",
)
@click.option("--no-repair", is_flag=True, help="Refuse mojibake instead of repairing it.")
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse the file at the first warning (a value kept but not understood, such as a "
    "TBX status outside the standard's picklists) instead of importing it.",
)
@click.option("--reason", help="Recorded with every revision.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def import_(
    app: App,
    file: str,
    fmt: str | None,
    on_conflict: str,
    no_repair: bool,
    strict: bool,
    reason: str | None,
    as_json: bool,
) -> None:
    """Import entries from a file, all or nothing.

    A bad line or entry stops the import with its location; nothing from the file is stored.
    Mojibake (UTF-8 read as cp1251, latin-1 or Mac Roman) is repaired and reported. What a
    reader keeps without understanding it (a TBX status no picklist has) is a warning line;
    --strict makes it an error.

    \b
    Example:
      hyperlexicon import my-glyphs.yaml
      hyperlexicon import terms.tbx --on-conflict update
      hyperlexicon import vendor-termbase.tbx --strict
      cat entries.jsonl | hyperlexicon import - --format jsonl
    """
    from ..errors import BadInputError

    lexicon = app.lexicon
    if file == "-" and not fmt:
        raise BadInputError("import from stdin needs --format")
    with progress_bar(f"importing {file}") as bar:
        task = bar.add_task("import", total=None)
        options = dict(
            on_conflict=on_conflict,
            repair=not no_repair,
            strict=strict,
            reason=reason,
            progress=lambda n: bar.advance(task, n),
        )
        if file == "-":
            report = lexicon.import_stream(sys.stdin.buffer, "<stdin>", format=fmt, **options)
        else:
            report = lexicon.import_file(file, format=fmt, **options)
    app.note_index()
    if as_json:
        emit_json({"lexicon": lexicon.name, **report.to_dict()})
        return
    for line in report.repairs:
        click.echo(line, err=True)
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(
        f"{lexicon.name}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.skipped} skipped"
        + (f", {len(report.repairs)} repairs" if report.repairs else "")
        + (
            f", {len(report.warnings)} warning{'' if len(report.warnings) == 1 else 's'}"
            if report.warnings
            else ""
        )
    )


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, writable=True))
@click.option("-f", "--format", "fmt", help=FORMAT_HELP)
@click.option("--version", "version", metavar="NAME", help="Export the lexicon as of this version.")
@click.pass_obj
def export(app: App, file: str, fmt: str | None, version: str | None) -> None:
    """Export the lexicon (or one of its versions) to a file.

    \b
    Example:
      hyperlexicon export core.jsonl
      hyperlexicon export core-seed.yaml --version seed-core-1
      hyperlexicon export - --format csv > core.csv
    """
    from ..errors import BadInputError

    lexicon = app.lexicon
    if file == "-":
        if not fmt:
            raise BadInputError("export to stdout needs --format")
        import io

        buffer = io.BytesIO()
        lexicon.export_stream(buffer, format=fmt, version=version)
        sys.stdout.buffer.write(buffer.getvalue())
        return
    with progress_bar(f"exporting {file}") as bar:
        task = bar.add_task("export", total=None)
        count = lexicon.export_file(
            file, format=fmt, version=version, progress=lambda n: bar.advance(task, n)
        )
    click.echo(
        f"{lexicon.name}: {count} entries written to {file}"
        + (f" (version {version})" if version else ""),
        err=True,
    )
