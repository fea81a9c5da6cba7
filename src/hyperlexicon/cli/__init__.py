"""The ``hyperlexicon`` command line: nouns and verbs, ``--json`` on reads, exit codes that mean
something (0 ok, 1 not found or conflict, 2 bad input).

Only click is imported at start-up; each command imports what it needs when it runs.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ..errors import HyperlexiconError
from ..version import __version__


class App:
    """What the root options resolved to, and the lexicon they open (on first use)."""

    def __init__(self, **overrides: Any) -> None:
        self.overrides = overrides
        self._settings: Any = None
        self._lexicon: Any = None

    @property
    def settings(self) -> Any:
        if self._settings is None:
            from ..config import Settings

            self._settings = Settings.load(**self.overrides)
        return self._settings

    @property
    def lexicon(self) -> Any:
        if self._lexicon is None:
            from .. import open as open_lexicon

            self._lexicon = open_lexicon(settings=self.settings)
        return self._lexicon

    def close(self) -> None:
        if self._lexicon is not None:
            self._lexicon.close()

    def note_index(self) -> None:
        """After a write: say so if the index could not be updated (it will catch up)."""
        if self._lexicon is not None and self._lexicon.index_note:
            click.echo(f"note: {self._lexicon.index_note}", err=True)


class Group(click.Group):
    """Turns the library's errors into one line on stderr and the exit code they carry, and
    lets plugins add commands (``register_commands``), loaded only when commands are listed
    or a name is not a built-in one."""

    _plugins_loaded = False

    def _load_plugin_commands(self) -> None:
        if Group._plugins_loaded:
            return
        Group._plugins_loaded = True
        from .. import plugins

        for name in [n for n, c in self.commands.items() if isinstance(c, _Listed)]:
            del self.commands[name]
        before = set(self.commands)
        plugins.get_plugin_manager().hook.register_commands(cli=self)
        plugins.remember_commands(
            {n: self.commands[n].get_short_help_str() for n in sorted(set(self.commands) - before)}
        )

    def list_commands(self, ctx: click.Context) -> list[str]:
        if not Group._plugins_loaded:
            from ..plugins import cached_commands

            listed = cached_commands()
            if listed is None:
                self._load_plugin_commands()
            else:  # what plugins add, as the cache remembers it: no plugin is imported
                for name, short_help in listed.items():
                    self.commands.setdefault(name, _Listed(name, short_help=short_help))
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if (command is None or isinstance(command, _Listed)) and not Group._plugins_loaded:
            self._load_plugin_commands()
            command = super().get_command(ctx, name)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HyperlexiconError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            # one line, like every other error; click's default adds the usage block
            where = exc.ctx.command_path if exc.ctx else ctx.command_path
            click.echo(f"error: {exc.format_message()} (see '{where} --help')", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:
            message = _database_error(exc)
            if message is None:
                raise
            click.echo(f"error: {message}", err=True)
            ctx.exit(1)


class _Listed(click.Command):
    """A plugin's command as the plugin cache lists it (for ``--help``); asking for it by
    name loads the plugins and gets the real one (``Group.get_command``)."""


def _database_error(exc: Exception) -> str | None:
    """A database that cannot be reached is an operational error, not a traceback."""
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import ArgumentError, OperationalError

    if isinstance(exc, OperationalError):
        return f"database error: {str(exc.orig).splitlines()[0] if exc.orig else exc}"
    if isinstance(exc, ArgumentError):
        return f"bad database URL: {exc}"
    return None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home", type=click.Path(file_okay=False), help="Home directory (HYPERLEXICON_HOME)."
)
@click.option("--db", "db_url", metavar="URL", help="SQLAlchemy URL (HYPERLEXICON_DB_URL).")
@click.option("-l", "--lexicon", metavar="NAME", help="Lexicon to act on (default: core).")
@click.option("--author", metavar="NAME", help="Who is recorded as making changes.")
@click.option(
    "--embedder",
    "embedding_model",
    metavar="SPEC",
    help="use-multilingual | st:/path | st:<package> (HYPERLEXICON_EMBEDDING_MODEL).",
)
@click.option("--chroma-url", metavar="URL", help="A Chroma server (HYPERLEXICON_CHROMA_URL).")
@click.version_option(__version__, prog_name="hyperlexicon")
@click.pass_context
def main(ctx: click.Context, **overrides: str | None) -> None:
    """A versioned dictionary of hyperlexemes, and HyperBridge.

    \b
    Start:
      hyperlexicon init --seed core
      hyperlexicon lex show 🜂
      hyperlexicon lex search огонь
    """
    ctx.obj = App(**overrides)
    ctx.call_on_close(ctx.obj.close)


from . import (  # noqa: E402  (commands register themselves on main)
    admin,
    bridge,
    calibration,
    indexing,
    io,
    lex,
    plugins,
    service,
    versions,
)

__all__ = [
    "App",
    "admin",
    "bridge",
    "calibration",
    "indexing",
    "io",
    "lex",
    "main",
    "plugins",
    "service",
    "versions",
]
