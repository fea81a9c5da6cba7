"""The ``hyperlexicon`` command line: nouns and verbs, ``--json`` on reads, exit codes that mean
something (0 ok, 1 not found or conflict, 2 bad input).

Only click is imported at start-up, and only the module of the command that runs: the
commands are listed (``--help``) from ``COMMANDS``, each module is imported when one of its
commands is asked for by name, and each command imports what it needs when it runs.
"""

from __future__ import annotations

import gc
import importlib
import sys
from typing import Any, TypeGuard

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
            started()
        return self._lexicon

    def close(self) -> None:
        if self._lexicon is not None:
            self._lexicon.close()

    def note_index(self) -> None:
        """After a write: say so if the index could not be updated (it will catch up)."""
        if self._lexicon is not None and self._lexicon.index_note:
            click.echo(f"note: {self._lexicon.index_note}", err=True)


# the built-in commands: where each is defined (a module of this package, imported only when
# the command is asked for by name) and the first paragraph of its help, which ``--help``
# shortens as click would; tests/test_cli.py holds this table to the commands themselves
COMMANDS: dict[str, tuple[str, str]] = {
    "ask": ("bridge", "Question → hypercode of the answer. QUESTION '-' reads stdin."),
    "calibrate": (
        "calibration",
        (
            "Fit the semantic threshold per register, a word's, a face's and a template's, the "
            "translated-gloss, related-word and keyword thresholds and the anchor threshold from "
            "feedback, with k-fold cross-validation; encode uses the latest calibration."
        ),
    ),
    "compress": ("bridge", "A chain of scenes (hyperstrings or texts) → one compressed concept."),
    "connectors": (
        "plugins",
        "Translation connectors (the lexicon itself, and LLMs from plugins).",
    ),
    "db": ("admin", "Schema migrations (Alembic), runnable from the installed package."),
    "decode": (
        "bridge",
        "Hyperstring → text in a style and language. HYPERSTRING '-' reads stdin.",
    ),
    "doctor": (
        "indexing",
        (
            "Check the store: forms that hold invisible characters or look like another form "
            "once those are removed (SQL alone), and SQL against the index (ids and content "
            "hashes). Exit 1 on any finding. --fix repairs the index; look-alike forms are "
            "for a person to remove or rename (hyperlexicon lex rm)."
        ),
    ),
    "encode": (
        "bridge",
        (
            "Text (or an image) → hyperscene. TEXT '-' reads stdin; with --json, each line of"
            " stdin is a text of its own and each gets one JSON line (the model loads once)."
        ),
    ),
    "export": ("io", "Export the lexicon (or one of its versions) to a file."),
    "feedback": ("calibration", "Feedback on a logged query (see 'hyperlexicon log list')."),
    "import": ("io", "Import entries from a file, all or nothing."),
    "index": ("indexing", "The vector index (Chroma), derived from SQL and rebuildable from it."),
    "init": ("admin", "Create or upgrade the database, create the lexicon, optionally load seeds."),
    "jobs": (
        "service",
        "Background jobs of the service: imports, index rebuilds, calibrations, batch encodes.",
    ),
    "keys": (
        "plugins",
        "API keys for connectors, in a 0600 file in the home directory (or the environment).",
    ),
    "lex": ("lex", "Entries (hyperlexemes) of the lexicon."),
    "lexicons": ("admin", "The lexicons in the store."),
    "log": ("bridge", "The query log: every encode, decode, compress and ask."),
    "plugins": ("plugins", "Installed plugins (entry points of the group 'hyperlexicon')."),
    "prompt": (
        "service",
        "Carry out a HyperPrompt (a request to meaning) from FILE or stdin ('-').",
    ),
    "proposals": ("calibration", "Candidate entries grown from use: accept, reject or edit them."),
    "serve": ("service", "Serve REST and WebSocket (the 'server' extra: FastAPI on uvicorn)."),
    "stats": (
        "admin",
        "Counts: entries by kind, status and register; glosses by language; history.",
    ),
    "version": ("versions", "Versions: named points in a lexicon's history (like git tags)."),
}


class Group(click.Group):
    """Turns the library's errors into one line on stderr and the exit code they carry, lists
    the built-in commands from ``COMMANDS`` and imports a command's module when it is asked
    for, and lets plugins add commands (``register_commands``), loaded only when commands are
    listed or a name is not a built-in one."""

    _plugins_loaded = False
    _listing = False  # while ``--help`` lists the commands

    def _load_plugin_commands(self) -> None:
        if Group._plugins_loaded:
            return
        Group._plugins_loaded = True
        from .. import plugins

        for name in [n for n, c in self.commands.items() if _placeholder(c) and not c.module]:
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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click asks ``get_command`` for each listed name, only for its short help: the
        # listed commands have it, and importing every module for it was half of ``--help``
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if self._listing:
            return command
        if _placeholder(command) and command.module:
            # its module's commands register themselves on ``main``, replacing the listed ones
            importlib.import_module(f"{__name__}.{command.module}")
            command = super().get_command(ctx, name)
        if (command is None or _placeholder(command)) and not Group._plugins_loaded:
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
    """A command known by its name and help before its code is imported, for ``--help``: a
    built-in one from ``COMMANDS`` (``module`` says where it is defined), or a plugin's as the
    plugin cache lists it. Asking for it by name gets the real one (``Group.get_command``)."""

    def __init__(self, name: str, *, module: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.module = module


def _placeholder(command: click.Command | None) -> TypeGuard[_Listed]:
    return isinstance(command, _Listed)


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


for _name, (_module, _help) in COMMANDS.items():
    main.add_command(_Listed(_name, module=_module, help=_help))


def load_commands() -> None:
    """Import every built-in command (for what walks them all: tests, documentation)."""
    for module in dict.fromkeys(m for m, _ in COMMANDS.values()):
        importlib.import_module(f"{__name__}.{module}")


__all__ = ["COMMANDS", "App", "Group", "load_commands", "main", "run", "started"]


# the collector's thresholds before ``run`` changed them, while the process is starting up
_starting: tuple[int, int, int] | None = None


def run() -> None:
    """The console script (and ``python -m hyperlexicon``): a process of its own.

    While it starts, the cyclic garbage collector makes no full collections: each one walks
    every object the imports have made so far (SQLAlchemy's, numpy's, the models'), and a cold
    ``encode`` made about a dozen, 0.06-0.1 s of its 0.9 s. Young objects are still
    collected. ``started`` ends this once the command has opened its lexicon. ``main`` called
    in a process that is not its own (a test's ``CliRunner``) leaves the collector alone."""
    global _starting
    _starting = gc.get_threshold()
    gc.set_threshold(_starting[0], _starting[1], 1_000_000)
    main()


def started() -> None:
    """Start-up is over: what it loaded is frozen (no later collection walks it again) and the
    collector runs as usual for the rest of a command that may run long (an import, serve)."""
    global _starting
    if _starting is not None:
        gc.freeze()
        gc.set_threshold(*_starting)
        _starting = None
