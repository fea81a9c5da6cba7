"""hyperlexicon: a versioned, self-calibrating dictionary of hyperlexemes, and HyperBridge.

Importing the package is cheap: the store, the index and the models load when first used.

    import hyperlexicon
    with hyperlexicon.open() as lex:          # a local store, or a server's when
        lex.encode("Что ты чувствуешь?")      # HYPERLEXICON_SERVER_URL is set
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .config import Settings
    from .entry import Component, EntryData
    from .facade import LexiconAPI
    from .hookspecs import hookimpl
    from .lexicon import Lexicon

__all__ = ["Component", "EntryData", "Lexicon", "__version__", "hookimpl", "open"]


def open(
    name: str | None = None, *, settings: Settings | None = None, **overrides: Any
) -> LexiconAPI:
    """One lexicon, with settings resolved from ``overrides`` (flags), the environment and the
    config file (or given whole as ``settings``): a local ``Lexicon``, or with a server
    configured (``HYPERLEXICON_SERVER_URL``) a ``RemoteLexicon``, the same methods carried out
    by that server. The one place that choice is made (the CLI opens its lexicon here too)."""
    from .config import Settings

    settings = settings or Settings.load(**overrides)
    if settings.server_url:
        from .remote import RemoteLexicon

        return RemoteLexicon(settings, name=name)
    from .lexicon import Lexicon

    return Lexicon(settings, name=name)


def __getattr__(name: str) -> Any:
    # pluggy (and the inspect module it loads) only when a plugin asks for the marker: a
    # fifth of what ``hyperlexicon --help`` imports
    if name == "hookimpl":
        from .hookspecs import hookimpl

        return hookimpl
    if name == "Lexicon":
        from .lexicon import Lexicon

        return Lexicon
    if name in ("EntryData", "Component"):
        from . import entry

        return getattr(entry, name)
    raise AttributeError(name)
