"""HyperBridge on the command line: ``encode``, ``decode``, ``compress``, ``ask``, ``log``."""

from __future__ import annotations

import sys
from typing import Any

import click

from . import App, main
from .output import console, emit_json, table

REGISTERS = ("emotional", "logical", "poetic", "philosophical", "technical")


def _read(arg: str) -> str:
    return sys.stdin.read() if arg == "-" else arg


def _chain(value: str | None) -> list[str] | None:
    """``--connector a,b,c`` → the chain; None when only the lexicon is asked for."""
    if not value:
        return None
    chain = [name.strip() for name in value.split(",") if name.strip()]
    return None if chain == ["lexicon"] else chain


CONNECTOR_HELP = "Connectors to try in order, e.g. openai,lexicon (default: lexicon only)."


def show_result(result: Any, as_json: bool) -> None:
    """What a connector chain produced, who served, and who failed before."""
    if as_json:
        emit_json(result.to_dict())
        return
    out = console()
    if result.scene is not None and result.mode != "decode":
        out.print(result.scene.hyperstring or "(empty scene)", style="bold")
    if result.text and (result.mode in ("decode", "ask")):
        out.print(result.text)
    if result.unknown:
        click.echo(f"unknown glyphs: {' '.join(result.unknown)}", err=True)
    for f in result.failures:
        click.echo(f"{f['connector']} failed: {f['error']}", err=True)
    click.echo(f"served by {result.connector}", err=True)


NEAR_SHOWN = 5  # near misses a scene's text output names


def show_scene(scene: Any) -> None:
    """The hyperstring, then a table of lexemes, then what is unexplained and the diagnostics."""
    out = console()
    out.print(scene.hyperstring or "(empty scene)", style="bold")
    if scene.lexemes:
        table(
            None,
            ["lexeme", "meaning", "score", "how", "from", "anchor"],
            [
                [
                    lx.form,
                    lx.meaning,
                    f"{lx.score:.2f}",
                    lx.how,
                    lx.source,
                    "⚓" if lx.anchor else "",
                ]
                for lx in scene.lexemes
            ],
        )
    field = scene.field
    if field["registers"]:
        regs = ", ".join(f"{r} {v:.0%}" for r, v in field["registers"].items())
        out.print(f"field: {regs}; coverage {scene.coverage:.0%}")
    for u in scene.unmatched:
        split = f" (splits into {' + '.join(u.split)})" if u.split else ""
        out.print(f"unmatched: {u.text}{split}")
    # the candidates left under their thresholds, which feedback can judge as it judges a
    # lexeme (reject --lexeme, or correct --span … --to): what lets calibration see below them
    shown = {lx.form for lx in scene.lexemes}
    near = [m for m in scene.near_misses if m.get("form") not in shown]
    if near:
        said = "; ".join(
            f"{m['form']} for {m.get('text', '')!r} ({m.get('how', 'semantic')})"
            for m in near[:NEAR_SHOWN]
        )
        more = f" and {len(near) - NEAR_SHOWN} more" if len(near) > NEAR_SHOWN else ""
        out.print(f"near misses: {said}{more}", style="dim", markup=False)
    for d in scene.diagnostics:
        out.print(f"[yellow]{d.code}[/yellow]: {d.message}")
    for note in scene.notes:
        out.print(f"note: {note}")
    if scene.query_id:
        out.print(f"logged as query {scene.query_id}", style="dim")


def _svg_target(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a picture that could not be written before any work is done (or logged)."""
    if value is None:
        return None
    import os
    from pathlib import Path

    folder = Path(value).expanduser().resolve().parent
    if not folder.is_dir():
        raise click.BadParameter(f"{folder}: no such directory", ctx, param)
    if not os.access(folder, os.W_OK):
        raise click.BadParameter(f"{folder}: not writable", ctx, param)
    return value


def save_picture(app: App, scene: Any, path: str | None) -> None:
    """``--svg FILE``: the scene as a picture (anchors, registers, links, diagnostics)."""
    if path is None or scene is None:
        return
    from pathlib import Path

    Path(path).write_text(app.lexicon.picture(scene), encoding="utf-8")
    click.echo(f"picture written to {path}", err=True)


SVG_HELP = "Also draw the scene as an SVG picture into FILE."
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def _image(path: str) -> tuple[bytes, str]:
    from pathlib import Path

    from ..errors import BadInputError

    p = Path(path)
    media = IMAGE_TYPES.get(p.suffix.lower())
    if media is None:
        raise BadInputError(f"{path}: an image is .png, .jpg, .gif or .webp")
    try:
        return p.read_bytes(), media
    except OSError as exc:
        raise BadInputError(f"{path}: {exc.strerror}") from None


BATCH_PROGRESS = 20  # lines of stdin from which a batch encode shows a progress bar


@main.command()
@click.argument("text", required=False)
@click.option(
    "-r", "--register", type=click.Choice(REGISTERS), help="Match with this register's threshold."
)
@click.option("--lang", type=click.Choice(["ru", "en"]), help="Default: from the text's script.")
@click.option("--no-stability", is_flag=True, help="Skip the encode → decode → encode check.")
@click.option("-c", "--connector", "chain", metavar="A,B", help=CONNECTOR_HELP)
@click.option(
    "--image",
    type=click.Path(dir_okay=False),
    help="Encode this image (png, jpg, gif, webp) through a connector that reads images.",
)
@click.option(
    "--svg",
    "svg",
    type=click.Path(dir_okay=False, writable=True),
    callback=_svg_target,
    help=SVG_HELP,
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def encode(
    app: App,
    text: str | None,
    register: str | None,
    lang: str | None,
    no_stability: bool,
    chain: str | None,
    image: str | None,
    svg: str | None,
    as_json: bool,
) -> None:
    """Text (or an image) → hyperscene. TEXT '-' reads stdin; with --json, each line of stdin
    is a text of its own and each gets one JSON line (the model loads once).

    \b
    Example:
      hyperlexicon encode "Что ты чувствуешь перед бурей?"
      hyperlexicon encode "fire + time + candle" --svg scene.svg
      echo "A breath like lightning" | hyperlexicon encode - --json
      hyperlexicon encode - --json < sentences.txt > scenes.jsonl
      hyperlexicon encode "Что ты чувствуешь?" --connector claude,openai,lexicon
      hyperlexicon encode --image storm.png --connector claude "что на картинке?"
    """
    from ..errors import BadInputError

    if text is None and image is None:
        raise BadInputError("encode: give TEXT, '-' for stdin, or --image FILE")
    if text == "-" and as_json and image is None and svg is None:
        _encode_lines(app, register, lang, not no_stability, _chain(chain))
        return
    text = _read(text) if text is not None else ""
    connectors = _chain(chain)
    if image is not None:
        if not connectors:
            raise BadInputError(
                "--image needs a connector that reads images (--connector claude or openai)"
            )
        data, media = _image(image)
        result = app.lexicon.translate(
            "encode",
            text,
            connectors=connectors,
            register=register,
            lang=lang or "ru",
            image=data,
            image_type=media,
        )
        show_result(result, as_json)
        save_picture(app, result.scene, svg)
        return
    if connectors:
        result = app.lexicon.translate(
            "encode", text, connectors=connectors, register=register, lang=lang or "ru"
        )
        show_result(result, as_json)
        save_picture(app, result.scene, svg)
        return
    scene = app.lexicon.encode(text, register=register, lang=lang, stability=not no_stability)
    if as_json:
        emit_json(scene.to_dict())
    else:
        show_scene(scene)
    save_picture(app, scene, svg)


def _encode_lines(
    app: App, register: str | None, lang: str | None, stability: bool, connectors: list[str]
) -> None:
    """One JSON line per line of stdin (``lex search -`` does the same): the scene, or the
    error that one line met (the rest go on; the exit code is 1 if any failed). A progress bar
    on stderr when there are many."""
    import json
    import sys

    from ..errors import HyperlexiconError

    lines = [(n, line.strip()) for n, line in enumerate(sys.stdin, start=1) if line.strip()]
    failed = 0
    progress = None
    if len(lines) >= BATCH_PROGRESS:
        from .output import progress_bar

        progress = progress_bar("encoding")
        task = progress.add_task("encoding", total=len(lines))
        progress.start()
    try:
        for n, text in lines:
            try:
                if connectors:
                    out = app.lexicon.translate(
                        "encode", text, connectors=connectors, register=register, lang=lang or "ru"
                    ).to_dict()
                else:
                    scene = app.lexicon.encode(
                        text, register=register, lang=lang, stability=stability
                    )
                    out = scene.to_dict()
            except HyperlexiconError as exc:
                failed += 1
                out = {"line": n, "text": text, "error": str(exc)}
            click.echo(json.dumps(out, ensure_ascii=False))
            if progress is not None:
                progress.advance(task)
    finally:
        if progress is not None:
            progress.stop()
    if failed:
        raise SystemExit(1)


@main.command()
@click.argument("hyperstring")
@click.option(
    "-s",
    "--style",
    type=click.Choice(["narrative", "essay", "formula", "poem"]),
    default="narrative",
    show_default=True,
)
@click.option("--lang", type=click.Choice(["ru", "en"]), default="ru", show_default=True)
@click.option("-r", "--register", type=click.Choice(REGISTERS))
@click.option("-c", "--connector", "chain", metavar="A,B", help=CONNECTOR_HELP)
@click.option(
    "--svg",
    "svg",
    type=click.Path(dir_okay=False, writable=True),
    callback=_svg_target,
    help=SVG_HELP,
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def decode(
    app: App,
    hyperstring: str,
    style: str,
    lang: str,
    register: str | None,
    chain: str | None,
    svg: str | None,
    as_json: bool,
) -> None:
    """Hyperstring → text in a style and language. HYPERSTRING '-' reads stdin.

    The formula style is lossless: encoding its output gives the hyperstring back.

    \b
    Example:
      hyperlexicon decode "⚡🜂🫁" --style poem
      hyperlexicon decode "🜂⧖🕯" --style formula --lang en      (fire + time + candle)
      hyperlexicon decode "🜂⧖🕯 → ⟁☰☉⚭" --style essay --register philosophical
      hyperlexicon decode "♁🜂🜍" --lang en --connector local
      hyperlexicon decode "🜂⧖🕯" --svg scene.svg
    """
    hs = _read(hyperstring).strip()
    connectors = _chain(chain)
    if connectors:
        result = app.lexicon.translate(
            "decode", hs, connectors=connectors, style=style, lang=lang, register=register
        )
        show_result(result, as_json)
        save_picture(app, result.scene, svg)
        return
    decoded = app.lexicon.decode(hs, style=style, lang=lang, register=register)
    save_picture(app, decoded.scene, svg)
    if as_json:
        emit_json(decoded.to_dict())
        return
    click.echo(decoded.text)
    if decoded.unknown:
        click.echo(f"unknown glyphs: {' '.join(decoded.unknown)}", err=True)
    for d in decoded.scene.diagnostics:
        click.echo(f"{d.code}: {d.message}", err=True)


@main.command()
@click.argument("scenes", nargs=-1, required=True)
@click.option("--lang", type=click.Choice(["ru", "en"]), default="ru", show_default=True)
@click.option(
    "--max",
    "limit",
    type=click.IntRange(min=1),
    help="Keep at most N lexemes (anchors always stay).",
)
@click.option("-c", "--connector", "chain", metavar="A,B", help=CONNECTOR_HELP)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def compress(
    app: App,
    scenes: tuple[str, ...],
    lang: str,
    limit: int | None,
    chain: str | None,
    as_json: bool,
) -> None:
    """A chain of scenes (hyperstrings or texts) → one compressed concept.

    \b
    Example:
      hyperlexicon compress "😨🤫" "🔥⏳"          (→ страхтишинажарожидание)
      hyperlexicon compress "🜂⧖🕯" "⟁☰☉⚭" "🜂" --max 4
    """
    items = [_read(s) for s in scenes]
    connectors = _chain(chain)
    if connectors:
        result = app.lexicon.translate(
            "compress", "\n".join(items), connectors=connectors, lang=lang
        )
        show_result(result, as_json)
        return
    scene = app.lexicon.compress(items, lang=lang, limit=limit)
    if as_json:
        emit_json(scene.to_dict())
    else:
        show_scene(scene)


@main.command()
@click.argument("question")
@click.option("--lang", type=click.Choice(["ru", "en"]))
@click.option("-c", "--connector", "chain", metavar="A,B", help=CONNECTOR_HELP)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ask(app: App, question: str, lang: str | None, chain: str | None, as_json: bool) -> None:
    """Question → hypercode of the answer. QUESTION '-' reads stdin.

    With no connector the answer is the question's nearest archetype, and says so.

    \b
    Example:
      hyperlexicon ask "Как найти дорогу домой?"
      hyperlexicon ask "What is home?" --connector openai,lexicon
    """
    connectors = _chain(chain)
    if connectors:
        from ..bridge import dominant_language

        text = _read(question)
        result = app.lexicon.translate(
            "ask", text, connectors=connectors, lang=lang or dominant_language(text)
        )
        show_result(result, as_json)
        return
    answer = app.lexicon.ask(_read(question), lang=lang)
    if as_json:
        emit_json(answer.to_dict())
        return
    out = console()
    out.print(answer.answer.hyperstring or "(no answer)", style="bold")
    if answer.text:
        out.print(answer.text)
    out.print(f"note: {answer.note}", style="dim")


@main.group()
def log() -> None:
    """The query log: every encode, decode, compress and ask."""


@log.command("list")
@click.option("--mode", type=click.Choice(["encode", "decode", "compress", "ask"]))
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def log_list(app: App, mode: str | None, limit: int, as_json: bool) -> None:
    """Logged queries, newest first.

    \b
    Example:
      hyperlexicon log list --mode encode -n 5
    """
    rows = app.lexicon.queries(mode=mode, limit=limit)
    if as_json:
        emit_json([r.to_dict() for r in rows])
        return
    table(
        None,
        ["id", "when (UTC)", "who", "mode", "input", "output", "ms", "version"],
        [
            [
                r.id,
                r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                r.author,
                r.mode,
                r.input[:60],
                r.output[:60],
                f"{r.latency_ms:.0f}",
                r.revision,
            ]
            for r in rows
        ],
    )


@log.command("show")
@click.argument("query_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def log_show(app: App, query_id: int, as_json: bool) -> None:
    """One logged query with its whole result.

    \b
    Example:
      hyperlexicon log show 12 --json
    """
    record = app.lexicon.query(query_id)
    if as_json:
        emit_json(record.to_dict())
        return
    out = console()
    when = f"{record.created_at:%Y-%m-%d %H:%M:%S} UTC"
    out.print(
        f"query {record.id}: {record.mode} by {record.author} at {when}, "
        f"{record.latency_ms:.0f} ms, lexicon revision {record.revision}"
    )
    out.print(f"input: {record.input}")
    out.print(f"params: {record.params}")
    out.print(f"output: {record.output}")
    if record.mode in ("encode", "compress"):
        from ..scene import Scene

        scene = Scene.from_dict(record.result)
        scene.query_id = None
        show_scene(scene)
