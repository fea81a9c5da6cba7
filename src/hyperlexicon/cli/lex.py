"""``hyperlexicon lex``: add, show, edit, remove, list, search and trace entries."""

from __future__ import annotations

from typing import Any

import click

from . import App, main
from .output import emit_json, gloss_line, table

REGISTER_CHOICES = ("emotional", "logical", "poetic", "philosophical", "technical")
KIND_CHOICES = ("glyph", "compound", "delta", "phrase")
STATUS_CHOICES = ("proposed", "active", "deprecated", "rejected")
PROVENANCE_CHOICES = ("seed", "user", "import", "feedback", "connector")


@main.group()
def lex() -> None:
    """Entries (hyperlexemes) of the lexicon."""


def _glosses(specs: tuple[str, ...], option: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for spec in specs:
        lang, sep, text = spec.partition(":")
        if not sep or not lang.strip() or not text.strip():
            raise click.BadParameter(
                f"{spec!r}: expected LANG:TEXT, e.g. ru:огонь", param_hint=option
            )
        out.setdefault(lang.strip(), []).append(text.strip())
    return out


def _entry_panel(entry: Any) -> None:
    from rich.table import Table

    from .output import console

    d = entry.data
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    t.add_row("form", d.form)
    t.add_row("kind", d.kind)
    t.add_row("status", d.status)
    t.add_row("weight", f"{d.weight:g}")
    t.add_row("registers", ", ".join(d.registers) or "-")
    for lang, items in d.glosses.items():
        t.add_row(f"gloss {lang}", "; ".join(items))
    if d.components:
        t.add_row("components", " + ".join(c.spec() for c in d.components))
    if d.notes:
        t.add_row("notes", d.notes)
    for ex in d.examples:
        t.add_row("example", ex)
    t.add_row("provenance", d.provenance)
    t.add_row("lexicon", entry.lexicon)
    t.add_row("version", f"{entry.row_version} (updated {entry.updated_at:%Y-%m-%d %H:%M:%S} UTC)")
    console().print(t)


@lex.command("add")
@click.argument("form")
@click.option("--kind", type=click.Choice(KIND_CHOICES), help="Default: inferred from the form.")
@click.option("-g", "--gloss", "glosses", multiple=True, metavar="LANG:TEXT", help="Repeatable.")
@click.option("-c", "--component", "components", multiple=True, metavar="[LANG:]MEANING[@REF]")
@click.option("-r", "--register", "registers", multiple=True, type=click.Choice(REGISTER_CHOICES))
@click.option("--weight", type=float, default=0.5, show_default=True)
@click.option("--status", type=click.Choice(STATUS_CHOICES), default="active", show_default=True)
@click.option(
    "--provenance", type=click.Choice(PROVENANCE_CHOICES), default="user", show_default=True
)
@click.option("--notes", default="")
@click.option("-e", "--example", "examples", multiple=True)
@click.option("--reason", help="Why; recorded in the history.")
@click.option("--no-repair", is_flag=True, help="Refuse mojibake instead of repairing it.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lex_add(
    app: App,
    form: str,
    glosses: tuple[str, ...],
    components: tuple[str, ...],
    registers: tuple[str, ...],
    examples: tuple[str, ...],
    reason: str | None,
    no_repair: bool,
    as_json: bool,
    **fields: Any,
) -> None:
    """Add an entry.

    \b
    Example:
      hyperlexicon lex add 🜄 -g ru:вода -g en:water -r poetic -c ru:вода
      hyperlexicon lex add страхтишина -c страх@😨 -c тишина -g en:'fearful silence'
    """
    from ..entry import EntryData

    repairs: list[Any] = []
    data = EntryData.create(
        form,
        glosses=_glosses(glosses, "--gloss"),
        components=components,
        registers=registers,
        examples=examples,
        repair=not no_repair,
        repairs=repairs,
        **fields,
    )
    for r in repairs:
        click.echo(r.describe(), err=True)
    stored = app.lexicon.add(data, reason=reason)
    app.note_index()
    if as_json:
        emit_json(stored.to_dict())
    else:
        click.echo(f"added {stored.form} ({stored.data.kind}) to {stored.lexicon}")


@lex.command("show")
@click.argument("form")
@click.option("--version", "at", metavar="NAME", help="Show it as of a version.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lex_show(app: App, form: str, at: str | None, as_json: bool) -> None:
    """Show one entry.

    \b
    Example:
      hyperlexicon lex show 🜂
      hyperlexicon lex show 🜂 --version seed-core-1 --json
    """
    if at:
        from ..errors import NotFoundError
        from ..text import form_key

        data = app.lexicon.at(at).get(form_key(form))
        if data is None:
            raise NotFoundError(f"no entry {form!r} in {app.lexicon.name!r} at version {at!r}")
        if as_json:
            emit_json(data.to_dict())
        else:
            from types import SimpleNamespace

            from ..models import utcnow

            _entry_panel(
                SimpleNamespace(
                    data=data,
                    lexicon=f"{app.lexicon.name}@{at}",
                    row_version="-",
                    updated_at=utcnow(),
                )
            )
        return
    entry = app.lexicon.get(form)
    if as_json:
        emit_json(entry.to_dict())
    else:
        _entry_panel(entry)


@lex.command("edit")
@click.argument("form")
@click.option("--form", "new_form", help="Rename the entry.")
@click.option("--kind", type=click.Choice(KIND_CHOICES))
@click.option(
    "--set-gloss", multiple=True, metavar="LANG:TEXT", help="Replace that language's glosses."
)
@click.option("--add-gloss", multiple=True, metavar="LANG:TEXT")
@click.option("--rm-gloss", multiple=True, metavar="LANG:TEXT")
@click.option("--set-component", multiple=True, metavar="SPEC", help="Replace all components.")
@click.option("--add-component", multiple=True, metavar="SPEC")
@click.option("--rm-component", multiple=True, metavar="MEANING")
@click.option(
    "--set-register",
    multiple=True,
    type=click.Choice(REGISTER_CHOICES),
    help="Replace all registers.",
)
@click.option("--add-register", multiple=True, type=click.Choice(REGISTER_CHOICES))
@click.option("--rm-register", multiple=True, type=click.Choice(REGISTER_CHOICES))
@click.option("--weight", type=float)
@click.option("--status", type=click.Choice(STATUS_CHOICES))
@click.option("--notes")
@click.option("--add-example", multiple=True)
@click.option("--rm-example", multiple=True)
@click.option("--editor", is_flag=True, help="Edit the entry as YAML in $EDITOR.")
@click.option(
    "--expect-version", type=int, metavar="N", help="Refuse if the entry is no longer at version N."
)
@click.option("--reason", help="Why; recorded in the history.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lex_edit(
    app: App,
    form: str,
    editor: bool,
    expect_version: int | None,
    reason: str | None,
    as_json: bool,
    **ops: Any,
) -> None:
    """Change an entry; every change is a revision in its history.

    \b
    Example:
      hyperlexicon lex edit 🜂 --add-gloss en:flame --add-register poetic --reason "usage"
      hyperlexicon lex edit 🜂 --weight 0.9 --expect-version 3
      hyperlexicon lex edit 🜂 --editor
    """
    from ..entry import Component
    from ..errors import BadInputError

    lexicon = app.lexicon
    if editor:
        _edit_in_editor(app, form, expect_version, reason, as_json)
        return
    if not any(v not in (None, (), "") for v in ops.values()):
        raise BadInputError("lex edit: nothing to change (see --help)")
    set_gloss = _glosses(ops["set_gloss"], "--set-gloss")
    add_gloss = _glosses(ops["add_gloss"], "--add-gloss")
    rm_gloss = _glosses(ops["rm_gloss"], "--rm-gloss")

    def change(d: Any) -> Any:
        glosses = {k: list(v) for k, v in d.glosses.items()}
        glosses.update(set_gloss)
        for lang, items in add_gloss.items():
            glosses.setdefault(lang, []).extend(items)
        for lang, items in rm_gloss.items():
            missing = [i for i in items if i not in glosses.get(lang, [])]
            if missing:
                raise BadInputError(f"--rm-gloss: {d.form} has no {lang} gloss {missing[0]!r}")
            glosses[lang] = [g for g in glosses[lang] if g not in items]
        comps = (
            [Component.parse(c) for c in ops["set_component"]]
            if ops["set_component"]
            else list(d.components)
        )
        comps += [Component.parse(c) for c in ops["add_component"]]
        for meaning in ops["rm_component"]:
            if not any(c.meaning == meaning for c in comps):
                raise BadInputError(f"--rm-component: {d.form} has no component {meaning!r}")
            comps = [c for c in comps if c.meaning != meaning]
        regs = list(ops["set_register"]) if ops["set_register"] else list(d.registers)
        regs = [r for r in regs + list(ops["add_register"]) if r not in ops["rm_register"]]
        examples = [e for e in d.examples if e not in ops["rm_example"]] + list(ops["add_example"])
        changes: dict[str, Any] = {
            "glosses": glosses,
            "components": comps,
            "registers": regs,
            "examples": examples,
        }
        for key, field in (
            ("new_form", "form"),
            ("kind", "kind"),
            ("weight", "weight"),
            ("status", "status"),
            ("notes", "notes"),
        ):
            if ops[key] is not None:
                changes[field] = ops[key]
        return d.evolve(**changes)

    stored = lexicon.edit(form, change, expect_version=expect_version, reason=reason)
    app.note_index()
    if as_json:
        emit_json(stored.to_dict())
    else:
        click.echo(f"{stored.form}: now at version {stored.row_version}")


def _edit_in_editor(
    app: App, form: str, expect_version: int | None, reason: str | None, as_json: bool
) -> None:
    import yaml

    from ..entry import EntryData
    from ..errors import BadInputError

    lexicon = app.lexicon
    current = lexicon.get(form)
    if expect_version is None:
        expect_version = current.row_version
    text = yaml.safe_dump(current.data.to_dict(), allow_unicode=True, sort_keys=False)
    edited = click.edit(text, extension=".yaml")
    if edited is None or edited == text:
        click.echo("no changes")
        return
    try:
        record = yaml.safe_load(edited)
    except yaml.YAMLError as exc:
        raise BadInputError(f"edited entry is not valid YAML: {str(exc).splitlines()[0]}") from None
    data = EntryData.from_dict(record, where="edited entry")
    stored = lexicon.edit(form, lambda _current: data, expect_version=expect_version, reason=reason)
    app.note_index()
    if as_json:
        emit_json(stored.to_dict())
    else:
        click.echo(f"{stored.form}: now at version {stored.row_version}")


@lex.command("rm")
@click.argument("form")
@click.option("--expect-version", type=int, metavar="N")
@click.option("--reason")
@click.pass_obj
def lex_rm(app: App, form: str, expect_version: int | None, reason: str | None) -> None:
    """Remove an entry (its history stays; a rollback can restore it).

    \b
    Example:
      hyperlexicon lex rm 🜄 --reason "duplicate of 🌊"
    """
    data = app.lexicon.remove(form, expect_version=expect_version, reason=reason)
    app.note_index()
    click.echo(f"removed {data.form}")


@lex.command("list")
@click.option("--kind", type=click.Choice(KIND_CHOICES))
@click.option("--register", type=click.Choice(REGISTER_CHOICES))
@click.option("--status", type=click.Choice(STATUS_CHOICES))
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.option("--offset", type=click.IntRange(min=0), default=0)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lex_list(app: App, as_json: bool, **filters: Any) -> None:
    """List entries, filtered.

    \b
    Example:
      hyperlexicon lex list --kind delta
      hyperlexicon lex list --register poetic --status active --json
    """
    entries = app.lexicon.entries(**filters)
    if as_json:
        emit_json([e.to_dict() for e in entries])
        return
    table(
        f"{app.lexicon.name}: {len(entries)} entries",
        ["form", "kind", "status", "weight", "ru", "en", "registers"],
        [
            [
                e.form,
                e.data.kind,
                e.data.status,
                f"{e.data.weight:g}",
                gloss_line(e.data.glosses, "ru"),
                gloss_line(e.data.glosses, "en"),
                ", ".join(e.data.registers),
            ]
            for e in entries
        ],
    )


@lex.command("search")
@click.argument("query")
@click.option("--exact", "mode", flag_value="exact", help="SQL only: forms, glosses, components.")
@click.option("--semantic", "mode", flag_value="semantic", help="Nearest meanings in the index.")
@click.option("--hybrid", "mode", flag_value="hybrid", default=True, help="Both, fused (default).")
@click.option("--kind", type=click.Choice(KIND_CHOICES))
@click.option("--register", type=click.Choice(REGISTER_CHOICES))
@click.option("--status", type=click.Choice(STATUS_CHOICES))
@click.option("-n", "-k", "--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lex_search(app: App, query: str, mode: str, as_json: bool, limit: int, **filters: Any) -> None:
    """Find entries: exact/lemma/prefix/substring in SQL, nearest meanings in the index, or
    both fused by reciprocal rank (the default). QUERY '-' reads one query per line from
    stdin and, with --json, writes one JSON line per query.

    \b
    Example:
      hyperlexicon lex search страха                 (finds страх by its lemma)
      hyperlexicon lex search "a burning flame" --semantic -k 5
      hyperlexicon lex search огонь --exact --kind glyph --json
      printf 'огонь\\nbreath\\n' | hyperlexicon lex search - --json
    """
    import json
    import sys

    lexicon = app.lexicon
    if query == "-":
        for line in sys.stdin:
            q = line.strip()
            if not q:
                continue
            hits = lexicon.search(q, mode=mode, limit=limit, **filters)
            if as_json:
                click.echo(
                    json.dumps(
                        {"query": q, "hits": [h.to_dict() for h in hits]}, ensure_ascii=False
                    )
                )
            else:
                _hits_table(q, hits)
        return
    hits = lexicon.search(query, mode=mode, limit=limit, **filters)
    if as_json:
        emit_json([h.to_dict() for h in hits])
        return
    if not hits:
        click.echo("no matches", err=True)
        return
    _hits_table(None, hits)


def _hits_table(title: str | None, hits: list[Any]) -> None:
    table(
        title,
        ["form", "match", "where", "text", "score", "ru", "en"],
        [
            [
                h.entry.form,
                h.match,
                h.field,
                h.text,
                f"{h.score:.3f}",
                gloss_line(h.entry.data.glosses, "ru"),
                gloss_line(h.entry.data.glosses, "en"),
            ]
            for h in hits
        ],
    )


@lex.command("history")
@click.argument("form", required=False)
@click.option("-n", "--limit", type=click.IntRange(min=1), default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lex_history(app: App, form: str | None, limit: int | None, as_json: bool) -> None:
    """Revisions of one entry (or of the whole lexicon), newest first: who, when, why, what.

    \b
    Example:
      hyperlexicon lex history 🜂
    """
    revisions = app.lexicon.history(form, limit=limit)
    if as_json:
        emit_json([r.to_dict() for r in revisions])
        return
    from ..history import diff_states

    rows = []
    for r in revisions:
        if r.op == "update" and r.before and r.after:
            from ..entry import EntryData

            a, b = EntryData.from_record(r.before), EntryData.from_record(r.after)
            d = diff_states({a.key: a}, {a.key: b}, "", "")
            what = ", ".join(d.changed[0][2]) if d.changed else ""
        else:
            what = ""
        rows.append(
            [
                r.id,
                r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                r.author,
                r.op,
                r.form,
                what,
                r.reason or "",
            ]
        )
    table(None, ["rev", "when (UTC)", "who", "op", "form", "fields", "why"], rows)


@lex.command("revert")
@click.argument("revision", type=click.IntRange(min=1))
@click.option("--reason", help="Why (kept in the history after 'revert revision N').")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def lex_revert(app: App, revision: int, reason: str | None, as_json: bool) -> None:
    """Undo one revision (see 'lex history') as a new revision.

    An update's fields go back to what they were before it; a create is deleted; a delete is
    restored. Refused (exit 1, nothing changed) when a later revision of the entry changed
    one of the same fields: revert that one first, or edit the entry.

    \b
    Example:
      hyperlexicon lex history 🜂
      hyperlexicon lex revert 412 --reason "the weight was right before"
    """
    from ..history import changes

    made = app.lexicon.revert(revision, reason=reason)
    app.note_index()
    if as_json:
        emit_json({**made.to_dict(), "reverted": revision})
        return
    click.echo(f"reverted revision {revision} of {made.form} as revision {made.id} ({made.op})")
    for name, (before, after) in changes(made).items():
        click.echo(f"  {name}: {_brief(before)} → {_brief(after)}")


def _brief(value: Any) -> str:
    """A field's value on one line, as JSON (None: the entry did not exist)."""
    import json

    return "—" if value is None else json.dumps(value, ensure_ascii=False)
