"""Which document shape to embed: measured, not guessed.

Embeds the core seed lexicon three ways and ranks entries for held-out paraphrase queries
(tests/data/semantic_queries.tsv, Russian and English; none is a gloss) by exact cosine:

  per-language  one vector per entry and language: that language's glosses and components
  combined      one vector per entry: every gloss and component, both languages
  per-gloss     one vector per gloss (the entry scores its best gloss)

An entry's score is the best of its vectors. Prints recall@1, recall@5 and MRR per query
language, and the vector count (what the index stores and what an import must embed).

Run:  python bench/doc_shape.py [--embedder use-multilingual]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from hyperlexicon.embeddings import get_embedder
from hyperlexicon.entry import EntryData
from hyperlexicon.formats import native
from hyperlexicon.index import documents
from hyperlexicon.lexicon import seeds_dir
from hyperlexicon.text import form_key, script_language

QUERIES = Path(__file__).resolve().parent.parent / "tests" / "data" / "semantic_queries.tsv"


def load_seed() -> list[EntryData]:
    with (seeds_dir() / "core.yaml").open("rb") as f:
        _, records = native.read_yaml(f, "core.yaml")
        return [EntryData.from_dict(r, w) for w, r in records]


def load_queries() -> list[tuple[str, str]]:
    rows = []
    for line in QUERIES.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            q, form = line.split("\t")
            rows.append((q, form))
    return rows


def shape_docs(entries: list[EntryData], shape: str) -> tuple[list[str], list[int]]:
    texts, owners = [], []
    for i, e in enumerate(entries):
        if shape == "per-language":
            docs = [text for _lang, text in documents(e)]
        elif shape == "combined":
            docs = ["; ".join(text for _lang, text in documents(e))]
        else:
            docs = [g for items in e.glosses.values() for g in items]
        texts.extend(docs)
        owners.extend([i] * len(docs))
    return texts, owners


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedder", default="use-multilingual")
    args = parser.parse_args()
    embedder = get_embedder(args.embedder)
    entries = load_seed()
    queries = load_queries()
    index_of = {e.key: i for i, e in enumerate(entries)}
    qvec = embedder.encode([q for q, _ in queries])
    print(
        f"embedder {embedder.name} ({embedder.model}), {len(entries)} entries, {len(queries)} queries"
    )
    print(f"{'shape':<14}{'vectors':>8}{'embed s':>9}   {'lang':<4}{'R@1':>6}{'R@5':>6}{'MRR':>7}")
    for shape in ("per-language", "combined", "per-gloss"):
        texts, owners = shape_docs(entries, shape)
        t = time.perf_counter()
        dvec = embedder.encode(texts)
        secs = time.perf_counter() - t
        sims = qvec @ dvec.T
        owners_arr = np.array(owners)
        by_lang: dict[str, list[int]] = defaultdict(list)
        for qi, (q, form) in enumerate(queries):
            best = np.full(len(entries), -np.inf)
            np.maximum.at(best, owners_arr, sims[qi])
            order = np.argsort(-best)
            rank = int(np.where(order == index_of[form_key(form)])[0][0]) + 1
            by_lang[script_language(q) or "?"].append(rank)
            by_lang["all"].append(rank)
        for lang in ("ru", "en", "all"):
            ranks = np.array(by_lang[lang])
            label = shape if lang == "ru" else ""
            vectors = f"{len(texts):>8}{secs:>9.2f}" if lang == "ru" else " " * 17
            print(
                f"{label:<14}{vectors}   {lang:<4}{(ranks == 1).mean():>6.2f}{(ranks <= 5).mean():>6.2f}{(1 / ranks).mean():>7.3f}"
            )


if __name__ == "__main__":
    main()
