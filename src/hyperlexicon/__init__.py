"""hyperlexicon: a versioned, self-calibrating dictionary of hyperlexemes, and HyperBridge.

Importing the package is cheap: the store, the index and the models load when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .hookspecs import hookimpl

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .entry import Component, EntryData
    from .lexicon import Lexicon

__all__ = ["Component", "EntryData", "Lexicon", "__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    if name == "Lexicon":
        from .lexicon import Lexicon

        return Lexicon
    if name in ("EntryData", "Component"):
        from . import entry

        return getattr(entry, name)
    raise AttributeError(name)
