"""``plugins``, ``connectors`` and ``keys``: extending hyperlexicon and talking to LLMs."""

from __future__ import annotations

import subprocess
import sys

import click

from . import App, main
from .output import emit_json, table


@main.group()
def plugins() -> None:
    """Installed plugins (entry points of the group 'hyperlexicon')."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True)
def plugins_list(as_json: bool) -> None:
    """Every plugin, built-in ones included: name, distribution, version, hooks.

    \b
    Example:
      hyperlexicon plugins list --json
      HYPERLEXICON_LOAD_PLUGINS=hyperlexicon-openai hyperlexicon plugins list
    """
    from ..plugins import describe_plugins

    items = describe_plugins()
    if as_json:
        emit_json(items)
        return
    table(
        None,
        ["plugin", "distribution", "version", "hooks"],
        [[p["name"], p["distribution"], p["version"], ", ".join(p["hooks"])] for p in items],
    )


def _pip(*args: str) -> None:
    """pip in the environment hyperlexicon runs in, output passed through."""
    from ..errors import HyperlexiconError

    result = subprocess.run([sys.executable, "-m", "pip", *args], check=False)
    if result.returncode != 0:
        raise HyperlexiconError(f"pip {' '.join(args)} failed (exit {result.returncode})")


@plugins.command("install")
@click.argument("spec")
@click.option("-e", "--editable", is_flag=True, help="Install a local directory in place.")
def plugins_install(spec: str, editable: bool) -> None:
    """Install a plugin (a PyPI name, a wheel, or a directory) with pip, here.

    \b
    Example:
      hyperlexicon plugins install ./plugins/hyperlexicon-openai
      hyperlexicon plugins install hyperlexicon-anthropic
    """
    from ..plugins import describe_plugins, reset

    before = {p["name"] for p in describe_plugins()}
    _pip("install", "--quiet", *(["-e"] if editable else []), spec)
    reset()
    added = [p for p in describe_plugins() if p["name"] not in before]
    if not added:
        click.echo(f"installed {spec}, but it registers no hyperlexicon plugin", err=True)
    for p in added:
        click.echo(
            f"plugin {p['name']} ({p['distribution']} {p['version']}): {', '.join(p['hooks'])}"
        )


@plugins.command("uninstall")
@click.argument("distribution")
@click.option("--yes", is_flag=True, help="Do not ask.")
def plugins_uninstall(distribution: str, yes: bool) -> None:
    """Uninstall a plugin's distribution with pip.

    \b
    Example:
      hyperlexicon plugins uninstall hyperlexicon-openai --yes
    """
    from importlib import metadata

    from ..errors import NotFoundError

    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise NotFoundError(f"no installed distribution {distribution!r}") from None
    if distribution.lower() in ("hyperlexicon",):
        from ..errors import BadInputError

        raise BadInputError("that is hyperlexicon itself, not a plugin")
    if not yes:
        click.confirm(f"uninstall {distribution}?", abort=True)
    _pip("uninstall", "--yes", "--quiet", distribution)
    click.echo(f"uninstalled {distribution}")


@main.group()
def connectors() -> None:
    """Translation connectors (the lexicon itself, and LLMs from plugins)."""


@connectors.command("list")
@click.option("--json", "as_json", is_flag=True)
def connectors_list(as_json: bool) -> None:
    """Connectors available to --connector, and whether they read images.

    \b
    Example:
      hyperlexicon connectors list
    """
    from ..plugins import registered_connectors

    rows = [
        {
            "name": name,
            "images": bool(getattr(factory, "supports_images", False)),
            "factory": f"{factory.__module__}.{factory.__qualname__}",
        }
        for name, factory in sorted(registered_connectors().items())
    ]
    if as_json:
        emit_json(rows)
    else:
        table(
            None,
            ["connector", "images", "from"],
            [[r["name"], "yes" if r["images"] else "", r["factory"]] for r in rows],
        )


@main.group()
def keys() -> None:
    """API keys for connectors, in a 0600 file in the home directory (or the environment)."""


@keys.command("set")
@click.argument("name")
@click.option("--value", help="The key (default: read from stdin, or asked for without echo).")
@click.pass_obj
def keys_set(app: App, name: str, value: str | None) -> None:
    """Store a key. Prefer stdin or the prompt: a key on the command line lands in shell history.

    \b
    Example:
      hyperlexicon keys set openai            (asks, without echo)
      pass show openai | hyperlexicon keys set openai
    """
    from ..keys import KeyStore

    if value is None:
        value = (
            sys.stdin.readline().strip()
            if not sys.stdin.isatty()
            else click.prompt(f"key for {name}", hide_input=True)
        )
    KeyStore(app.settings.home).set(name, value)
    click.echo(f"key {name} stored in {KeyStore(app.settings.home).path}")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def keys_list(app: App, as_json: bool) -> None:
    """Names of stored keys (never their values).

    \b
    Example:
      hyperlexicon keys list
    """
    from ..keys import KeyStore

    names = KeyStore(app.settings.home).names()
    if as_json:
        emit_json(names)
    else:
        for n in names:
            click.echo(n)


@keys.command("rm")
@click.argument("name")
@click.pass_obj
def keys_rm(app: App, name: str) -> None:
    """Forget a stored key.

    \b
    Example:
      hyperlexicon keys rm openai
    """
    from ..keys import KeyStore

    KeyStore(app.settings.home).remove(name)
    click.echo(f"key {name} removed")
