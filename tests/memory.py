"""An in-memory workspace for unit tests of the engine (bridge, calibration): a real store on an
in-memory SQLite database with the real schema, and a small word-overlap index standing in for
Chroma (a fake for testing our own logic; the real index is tested in test_index.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hyperlexicon.config import Settings
from hyperlexicon.engine import make_engine
from hyperlexicon.entry import EntryData
from hyperlexicon.index import VectorHit
from hyperlexicon.models import Base
from hyperlexicon.morphology import lemmas
from hyperlexicon.store import Store
from hyperlexicon.workspace import Workspace


@dataclass
class WordIndex:
    """Scores an entry by the share of a query's lemmas found among its glosses' lemmas."""

    store: Store
    queries: list[str] = field(default_factory=list)

    def _docs(self, lexicon: str, status: str | None, kind: str | None) -> dict[int, set[str]]:
        out = {}
        for e in self.store.iter_entries(lexicon, status=status, kind=kind):
            words = {w for items in e.data.glosses.values() for g in items for w in lemmas(g)}
            words |= {w for c in e.data.components for w in lemmas(c.meaning)}
            out[e.id] = words
        return out

    def query_many(
        self,
        lexicon: str,
        texts: Sequence[str],
        *,
        k: int = 10,
        kind: str | None = None,
        status: str | None = None,
        **_: Any,
    ) -> list[list[VectorHit]]:
        self.queries.extend(texts)
        docs = self._docs(lexicon, status, kind)
        out = []
        for text in texts:
            want = set(lemmas(text))
            scored = [
                (len(want & words) / max(len(want), 1), entry_id)
                for entry_id, words in docs.items()
                if want & words
            ]
            scored.sort(key=lambda t: (-t[0], t[1]))
            out.append([VectorHit(i, round(s, 4), "ru") for s, i in scored[:k]])
        return out

    def query(self, lexicon: str, text: str, **kw: Any) -> list[VectorHit]:
        return self.query_many(lexicon, [text], **kw)[0]

    def closeness(
        self,
        lexicon: str,
        texts: Sequence[str],
        candidates: Sequence[Sequence[int]],
        langs: Sequence[str],
    ) -> list[dict[int, float]]:
        docs = self._docs(lexicon, None, None)
        return [
            {c: len(set(lemmas(t)) & docs.get(c, set())) / max(len(lemmas(t)), 1) for c in cs}
            for t, cs in zip(texts, candidates, strict=True)
        ]

    def name_closeness(
        self, texts: Sequence[str], names: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """The share of a text's lemmas each name holds."""
        return [
            [len(set(lemmas(t)) & set(lemmas(n))) / max(len(lemmas(t)), 1) for n in ns]
            for t, ns in zip(texts, names, strict=True)
        ]

    def hubness(self, lexicon: str, ids: Sequence[int], langs: Sequence[str]) -> dict[int, float]:
        """No document here is near words in general: none is held to its hubness."""
        return {}

    def speaks(self, lexicon: str, lang: str) -> bool:
        return self.store.gloss_languages(lexicon)[1].get(lang, 0.0) >= 0.5

    def vectors(self, lexicon: str, ids: Sequence[str]) -> dict[str, Any]:
        docs = self._docs(lexicon, None, None)
        vocab = sorted({w for words in docs.values() for w in words})
        out = {}
        for doc_id in ids:
            entry_id = int(doc_id.split(":")[0])
            if entry_id in docs:
                v = np.array([w in docs[entry_id] for w in vocab], dtype=np.float32)
                out[doc_id] = v / (np.linalg.norm(v) or 1.0)
        return out


@dataclass
class Memory:
    workspace: Workspace
    index: WordIndex
    writes: list[int]

    @property
    def store(self) -> Store:
        return self.workspace.store


def memory_workspace(entries: Iterable[dict[str, Any]], *, author: str = "tester") -> Memory:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    store = Store("sqlite://", engine=engine, check=False)
    with store.write() as s:
        store.lexicon_id(s, "core", create=True)
    store.import_entries(
        "core",
        [(f"entry {i}", EntryData.from_dict(r)) for i, r in enumerate(entries)],
        author="seeder",
    )
    index = WordIndex(store)
    writes: list[int] = []
    ws = Workspace(
        store,
        "core",
        author,
        Settings(bilingual="off"),  # the engine's logic, not the machine's dictionary
        lambda: index,  # type: ignore[arg-type,return-value]
        lambda: writes.append(1),
    )
    return Memory(ws, index, writes)


SMALL = [
    {"form": "🜂", "glosses": {"ru": ["огонь", "пламя"], "en": ["fire"]}, "weight": 0.8},
    {"form": "⧖", "glosses": {"ru": ["время"], "en": ["time"]}, "weight": 0.7},
    {"form": "🕯", "glosses": {"ru": ["свеча"], "en": ["candle"]}, "weight": 0.7},
    {"form": "😨", "glosses": {"ru": ["страх"], "en": ["fear"]}},
    {"form": "🤫", "glosses": {"ru": ["тишина"], "en": ["silence"]}},
    {"form": "🌠", "glosses": {"ru": ["падающая звезда"], "en": ["shooting star"]}},
    {
        "form": "страхтишина",
        "kind": "compound",
        "glosses": {"ru": ["страх и тишина"], "en": ["fear and silence"]},
        "components": ["ru:страх@😨", "ru:тишина@🤫"],
    },
    {
        "form": "🜂⧖🕯",
        "glosses": {"ru": ["огонь, время и свеча"], "en": ["fire, time and candle"]},
        "components": ["ru:огонь@🜂", "ru:время@⧖", "ru:свеча@🕯"],
    },
    {
        "form": "Δ-return",
        "kind": "delta",
        "glosses": {"ru": ["возвращение домой"], "en": ["return home"]},
    },
]
