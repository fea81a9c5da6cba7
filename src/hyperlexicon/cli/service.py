"""``serve``, ``jobs`` and ``prompt``: the HyperBridge service and what runs in it."""

from __future__ import annotations

import sys
from typing import Any

import click

from . import App, main, started
from .output import emit_json, table


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option(
    "--warm/--no-warm",
    default=True,
    show_default=True,
    help="Load the default lexicon's encode (model, tables) before listening.",
)
@click.pass_obj
def serve(app: App, host: str, port: int, warm: bool) -> None:
    """Serve REST and WebSocket (the 'server' extra: FastAPI on uvicorn).

    On 127.0.0.1 with no tokens it serves the local user; on any other address it needs
    tokens (HYPERLEXICON_API_TOKENS or tokens.json, mode 0600). Docs at /docs.

    \b
    Example:
      hyperlexicon serve
      HYPERLEXICON_API_TOKENS=$(cat ~/.tokens) hyperlexicon serve --host 0.0.0.0 --port 8080
    """
    from ..server import require_extra
    from ..server import serve as run

    require_extra()  # one line and exit 2 without the extra, before anything is opened
    started()  # a server runs long: the collector as usual from here
    run(app.settings, host=host, port=port, warm=warm)


@main.group()
def jobs() -> None:
    """Background jobs of the service: imports, index rebuilds, calibrations, batch encodes."""


def _jobs(app: App) -> Any:
    """Jobs through the server when one is configured, else straight from the database."""
    return app.lexicon.jobs()


@jobs.command("list")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def jobs_list(app: App, limit: int, as_json: bool) -> None:
    """Jobs, newest first, with the server that runs (or ran) each one.

    A queued or running job's owner keeps it while it renews its lease; "lease ran out"
    means another server will take it over at its next look.

    \b
    Example:
      hyperlexicon jobs list
    """
    items = _jobs(app).list(limit=limit)
    if as_json:
        emit_json([j.to_dict() for j in items])
        return
    table(
        None,
        ["id", "kind", "lexicon", "state", "progress", "who", "owner", "updated (UTC)", "error"],
        [
            [
                j.id,
                j.kind,
                j.lexicon,
                j.state,
                f"{j.done}/{j.total if j.total is not None else '?'}",
                j.author,
                _owner(j),
                j.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
                j.error or "",
            ]
            for j in items
        ],
        whole=("id",),
    )


def _owner(job: Any) -> str:
    """Who holds a job, and for a live one whether its lease still holds."""
    if job.owner is None:
        return ""
    from datetime import UTC, datetime

    live = job.state in ("queued", "running") and job.lease_until is not None
    if live and job.lease_until < datetime.now(UTC):
        return f"{job.owner} (lease ran out)"
    return job.owner


@jobs.command("show")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def jobs_show(app: App, job_id: str, as_json: bool) -> None:
    """One job: state, progress, result or error.

    \b
    Example:
      hyperlexicon jobs show 2f1c…
    """
    job = _jobs(app).get(job_id)
    if as_json:
        emit_json(job.to_dict())
        return
    d = job.to_dict()
    for key in ("id", "kind", "lexicon", "state", "author", "created_at", "updated_at"):
        click.echo(f"{key}: {d[key]}")
    if job.owner is not None:
        click.echo(f"owner: {_owner(job)}")
        if job.lease_until is not None:
            click.echo(f"lease until: {d['lease_until']} (renewed {d['heartbeat_at']})")
    click.echo(f"progress: {job.done}/{job.total if job.total is not None else '?'}")
    if job.error:
        click.echo(f"error: {job.error}")
    if job.result is not None:
        import json

        click.echo("result: " + json.dumps(job.result, ensure_ascii=False))


@jobs.command("cancel")
@click.argument("job_id")
@click.option("--wait", is_flag=True, help="Wait until the job has stopped, and say how.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=60,
    show_default=True,
    help="Seconds --wait waits.",
)
@click.pass_obj
def jobs_cancel(app: App, job_id: str, wait: bool, timeout: float) -> None:
    """Ask a job to stop; an import that stops keeps nothing.

    The job stops at its next progress report; the server records how it ended (``jobs
    show``). An import that has already committed cannot be cancelled: it ends ``done``.

    \b
    Example:
      hyperlexicon jobs cancel 2f1c…
      hyperlexicon jobs cancel 2f1c… --wait
    """
    import time

    from ..errors import HyperlexiconError
    from ..jobs import FINAL

    manager = _jobs(app)
    job = manager.cancel(job_id)
    deadline = time.monotonic() + timeout
    while wait and job.state not in FINAL and time.monotonic() < deadline:
        time.sleep(0.2)
        job = manager.get(job_id)
    if job.state in FINAL:
        click.echo(f"job {job.id}: {job.state}" + (f" ({job.error})" if job.error else ""))
        return
    click.echo(f"job {job.id}: {job.state} (cancel requested)")
    if wait:
        raise HyperlexiconError(f"job {job.id} is still {job.state} after {timeout:g} s")


@main.command("prompt")
@click.argument("source", default="-")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def prompt_command(app: App, source: str, as_json: bool) -> None:
    """Carry out a HyperPrompt (a request to meaning) from FILE or stdin ('-').

    \b
    Example:
      printf 'encode: Что ты чувствуешь перед бурей?\\nregister: poetic\\n' | hyperlexicon prompt
      hyperlexicon prompt request.hp --json
    """
    from pathlib import Path

    from ..errors import BadInputError
    from ..prompt import parse
    from .bridge import show_result

    if source == "-":
        text, where = sys.stdin.read(), "<stdin>"
    else:
        path = Path(source)
        if not path.is_file():
            raise BadInputError(f"{source}: no such file")
        text, where = path.read_text("utf-8"), source
    p = parse(text, where=where)
    result = app.lexicon.run_prompt(p)
    show_result(result, as_json)
