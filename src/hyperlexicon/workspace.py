"""What the engine works with: one lexicon in one store, who is writing, the settings, the index
and what to do after a write. Nothing more.

The bridge, calibration and the connectors are handed a ``Workspace`` (as goodmami/wn hands
its objects a small configuration, not the whole ``Wordnet``), never the ``Lexicon`` facade:
the facade is built on them, so they cannot import it back, and they can be unit-tested over
an in-memory store with any index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import Settings
    from .entry import EntryData
    from .index import Index
    from .store import Store, StoredEntry


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Workspace:
    store: Store
    lexicon: str
    author: str
    settings: Settings
    # the vector index with this lexicon's pending changes applied (opened on first use)
    synced_index: Callable[[], Index]
    # called after every write: applies the outbox to the index when the settings say so
    after_write: Callable[[], None] = field(default=_nothing)

    def index(self) -> Index:
        return self.synced_index()

    def add(self, data: EntryData, *, reason: str | None = None) -> StoredEntry:
        """Add an entry as this workspace's author, and let the index hear of it."""
        stored = self.store.add(self.lexicon, data, author=self.author, reason=reason)
        self.after_write()
        return stored
