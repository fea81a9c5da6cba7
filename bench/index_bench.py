"""Index benchmark: import + embed + index against the raw embedder on the same texts, query
latency, and the recall of Chroma's HNSW against exact brute-force cosine.

For each size (default 10k and 100k entries) it prints, in one run:
  * paired (bench/paired.py): the entries in ``--rounds`` chunks; each round, in alternating
    order, ours (``import_entries`` into SQL, then ``sync``: the outbox drain, embed + Chroma
    upsert) on one chunk and the floor on the same chunk: the raw embedder over exactly the
    documents the index stores plus raw Chroma ``add`` of those vectors and metadata; the
    median of the per-round throughput ratios with its IQR (aim: at least 0.8x);
  * then ``--adds`` entries added one at a time to that lexicon (SQL, the drain, the snapshot
    kept up to date), paired with the raw embedder + raw Chroma ``add`` of each one's
    documents;
  * semantic query latency p50/p95 through ``Index.query`` (embedding the query included) and
    through ``query_vector`` (Chroma only);
  * recall@10 of Chroma's answer against numpy brute force over the same stored vectors.

First, the in-memory search of a lexicon small enough for a snapshot (``Snapshot.nearest``)
over matrices of ``--snapshot-docs`` random unit vectors, for 1 to 16 queries at a time,
paired against the raw numpy brute force on the same matrix, and its product alone paired
against the same product the other way round (``snapshot_search``).

Run:  python bench/index_bench.py [--sizes 10000,100000] [--rounds 10] [--queries 200]
                                  [--embedder use-multilingual] [--snapshot-docs 2000,8000]
      (``--sizes ''`` for the in-memory search alone)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from typing import Any

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from hyperlexicon import migrate
from hyperlexicon.config import Settings
from hyperlexicon.index import documents, metadata, where
from hyperlexicon.lexicon import Lexicon

sys.path.insert(0, os.path.dirname(__file__))
from paired import compare
from store_bench import EN, RU, make_entry, percentile


def paired_build(lex: Lexicon, items: list[Any], d: str, rounds: int) -> tuple[Any, dict, int, Any]:
    """Ours and the floor on the same chunks of entries, alternating (bench/paired.py).

    The floor: the raw embedder on exactly the documents the index stores, and raw Chroma
    storing exactly those vectors and metadata, nothing else."""
    embedder = lex.index.embedder
    client = chromadb.PersistentClient(
        path=f"{d}/raw-chroma", settings=ChromaSettings(anonymized_telemetry=False)
    )
    raw_col = client.create_collection(
        "raw.bench", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    n = len(items)
    size = -(-n // rounds)
    parts = [list(range(b, min(b + size, n))) for b in range(0, n, size)]
    ours_parts, raw_parts = iter(parts), iter(parts)
    split = {"embed": 0.0, "chroma": 0.0, "sql": 0.0}

    def raw_chunk() -> None:
        chunk = next(raw_parts)
        docs = [(i, lang, text) for i in chunk for lang, text in documents(items[i])]
        t = time.perf_counter()
        vectors = embedder.encode([text for _, _, text in docs])
        split["embed"] += time.perf_counter() - t
        t = time.perf_counter()
        for b in range(0, len(docs), 1000):
            part = docs[b : b + 1000]
            raw_col.add(
                ids=[f"{i}:{lang}" for i, lang, _ in part],
                embeddings=vectors[b : b + 1000],
                metadatas=[metadata(i, items[i], lang, text) for i, lang, text in part],
            )
        split["chroma"] += time.perf_counter() - t

    def ours_chunk() -> None:
        chunk = next(ours_parts)
        t = time.perf_counter()
        lex.store.import_entries("bench", ((str(i), items[i]) for i in chunk), author="bench")
        split["sql"] += time.perf_counter() - t
        report = lex.sync()
        assert report.embedded == sum(len(documents(items[i])) for i in chunk)

    result = compare(
        {"import+index": ours_chunk, "embed+add": raw_chunk}, rounds=len(parts), warmup=0
    )
    return result, split, len(parts), raw_col


def paired_adds(lex: Lexicon, raw_col: Any, items: list[Any], rounds: int) -> Any:
    """One entry at a time into the lexicon just built, as ``lex add`` writes it: ours (the
    entry into SQL, then the drain, which keeps the snapshot up to date) against the raw
    embedder on its documents and raw Chroma ``add`` of them, into the raw collection of as
    many documents. Ours asks the embedder as the drain does; its kept vectors are let go
    before each of its chunks, so it computes them too."""
    embedder = lex.index.embedder
    ours_items, raw_items = iter(items), iter(items)

    def ours() -> None:
        i, entry = next(ours_items)
        embedder.forget()
        lex.store.import_entries("bench", [(str(i), entry)], author="bench")
        assert lex.sync().embedded == len(documents(entry))

    def raw() -> None:
        i, entry = next(raw_items)
        docs = documents(entry)
        # the model itself: a small call's vectors are kept (``Recent``), and whichever arm
        # ran second in a round would find the other's
        vectors = embedder.compute([text for _, text in docs])
        raw_col.add(
            ids=[f"{i}:{lang}" for lang, _ in docs],
            embeddings=vectors,
            metadatas=[metadata(i, entry, lang, text) for lang, text in docs],
        )

    return compare({"ours": ours, "raw": raw}, rounds=rounds, warmup=0)


def snapshot_search(docs: int, queries: int, rounds: int) -> tuple[Any, Any]:
    """A lexicon small enough for a snapshot is searched in memory (``Snapshot.nearest``):
    paired against the raw brute force over the same matrix (``queries @ matrix.T`` and a
    stable argsort per query, the plain numpy way), and, for the product alone, the documents
    on the left (as ``nearest`` multiplies) against the queries on the left. Random unit
    vectors: the time of a product does not depend on what it holds."""
    from hyperlexicon.embeddings import one_blas_thread
    from hyperlexicon.index import Snapshot

    gen = np.random.default_rng(docs + queries)
    vectors = gen.standard_normal((docs, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    metas = [
        {"entry_id": i // 2, "doc": "ru" if i % 2 else "en", "kind": "glyph", "status": "active"}
        for i in range(docs)
    ]
    ids = [f"{m['entry_id']}:{m['doc']}" for m in metas]
    snapshot = Snapshot.of({"identity": {"dimension": 512}}, ids, list(vectors), metas)
    asked = gen.standard_normal((queries, 512)).astype(np.float32)
    asked /= np.linalg.norm(asked, axis=1, keepdims=True)
    chunk = 10

    def ours() -> None:
        for _ in range(chunk):
            snapshot.nearest(asked, 10, None, None, None, "active")

    def raw() -> None:
        with one_blas_thread():
            for _ in range(chunk):
                d = 1.0 - asked @ vectors.T
                for row in d:
                    np.argsort(row, kind="stable")[:40]

    def left() -> None:
        with one_blas_thread():
            for _ in range(chunk):
                np.ascontiguousarray((vectors @ asked.T).T)

    def right() -> None:
        with one_blas_thread():
            for _ in range(chunk):
                asked @ vectors.T

    search = compare({"nearest": ours, "raw": raw}, rounds=rounds)
    product = compare({"documents left": left, "queries left": right}, rounds=rounds)
    return search, product


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--embedder", default="use-multilingual")
    parser.add_argument("--rounds", type=int, default=10, help="paired chunks per size")
    parser.add_argument("--dir", default=None)
    parser.add_argument(
        "--adds", type=int, default=30, help="entries added one at a time after the import"
    )
    parser.add_argument(
        "--snapshot-docs",
        default="2000,8000,20000",
        help="documents of the in-memory search's matrices ('' to skip that part)",
    )
    args = parser.parse_args()
    aims: list[str] = []
    rng = random.Random(11)
    print(f"hyperlexicon index benchmark  ({os.cpu_count()} cpus, embedder {args.embedder})")
    if args.snapshot_docs:
        print("\nin-memory search (a snapshot), paired, 20 rounds of 10 searches each:")
        for docs in (int(s) for s in args.snapshot_docs.split(",")):
            for queries in (1, 2, 8, 16):
                search, product = snapshot_search(docs, queries, 20)
                print(
                    f"  {docs:,} documents, {queries:2} queries: "
                    + search.line("nearest", "raw", scale=1e2, unit="ms/search")
                )
                print(
                    "      product alone: "
                    + product.line("documents left", "queries left", scale=1e2, unit="ms/product")
                )
    for n in (int(s) for s in args.sizes.split(",") if s):
        items = [make_entry(i, rng) for i in range(n)]
        texts = [text for e in items for _lang, text in documents(e)]
        with tempfile.TemporaryDirectory(dir=args.dir) as d:
            settings = Settings.load(
                home=d,
                db_url=f"sqlite:///{d}/lex.sqlite3",
                embedding_model=args.embedder,
                auto_index=False,
            )
            migrate.upgrade(settings.database_url)
            lex = Lexicon(settings, name="bench")
            embedder = lex.index.embedder
            embedder.encode(["warm up"])  # model load is not what we measure
            result, split, parts, raw_col = paired_build(lex, items, d, args.rounds)
            ours_s = sum(result.times["import+index"])
            raw_s = sum(result.times["embed+add"])
            med, q1, q3 = result.ratio("embed+add", "import+index")
            print(f"\n{n:,} entries, {len(texts):,} documents, {parts} paired chunks")
            print(
                f"  raw embedder + raw Chroma add  {raw_s:7.1f} s  ({n / raw_s:,.0f} entries/s;"
                f" embed {split['embed']:.1f} s, add {split['chroma']:.1f} s)"
            )
            print(
                f"  import+embed+index            {ours_s:7.1f} s  ({n / ours_s:,.0f} entries/s;"
                f" SQL import {split['sql']:.1f} s)"
            )
            print(
                f"  throughput ours/raw, paired: {med:.2f}x (IQR {q1:.2f}-{q3:.2f});"
                f" totals {raw_s / ours_s:.2f}x"
            )
            aims.append(
                f"  import+index throughput >= 0.8x (raw embedder + raw Chroma add), {n:,}:"
                f" {med:.2f}x  {'met' if med >= 0.8 else 'NOT met'}"
            )
            added = [(n + j, make_entry(n + j, rng)) for j in range(args.adds)]
            adds = paired_adds(lex, raw_col, added, len(added))
            print(
                f"  one entry added (import + drain), {len(added)} paired: "
                + adds.line("ours", "raw", scale=1e3, unit="ms/entry")
            )
            # latency
            qtexts = [" ".join(rng.sample(EN if i % 2 else RU, 2)) for i in range(args.queries)]
            full, chroma_only = [], []
            qvecs = embedder.encode(qtexts)
            for i, q in enumerate(qtexts):
                t = time.perf_counter()
                lex.index.query("bench", q, k=10)
                full.append(time.perf_counter() - t)
                t = time.perf_counter()
                lex.index.query_vector("bench", qvecs[i : i + 1], k=10)
                chroma_only.append(time.perf_counter() - t)
            print(
                f"  query (embed+search) p50 {percentile(full, 50) * 1e3:.1f} ms  p95 {percentile(full, 95) * 1e3:.1f} ms;"
                f"  Chroma only p50 {percentile(chroma_only, 50) * 1e3:.1f} ms  p95 {percentile(chroma_only, 95) * 1e3:.1f} ms"
            )
            # filtered queries: ours (asked unfiltered, filtered by the entries' own kind and
            # registers; Chroma filters only when too few pass) against a raw Chroma query
            # with the same ``where``, the query embedded in both, alternating query by query
            col = lex.index.collection("bench")
            for label, kind, register in (
                ("register poetic", None, "poetic"),
                ("kind glyph", "glyph", None),
            ):
                ours_t, raw_t = [], []
                for i, q in enumerate(qtexts[:50]):
                    for arm in ("ours", "raw") if i % 2 == 0 else ("raw", "ours"):
                        t = time.perf_counter()
                        if arm == "ours":
                            lex.index.query("bench", q, k=10, kind=kind, register=register)
                        else:
                            col.query(
                                query_embeddings=embedder.compute([q]),
                                n_results=40,
                                where=where(kind, register),
                                include=["distances"],
                            )
                        (ours_t if arm == "ours" else raw_t).append(time.perf_counter() - t)
                ratios = sorted(o / r for o, r in zip(ours_t, raw_t, strict=True))
                print(
                    f"  query with {label}: p50 {percentile(ours_t, 50) * 1e3:.1f} ms, raw Chroma"
                    f" with the where {percentile(raw_t, 50) * 1e3:.1f} ms; paired ratio"
                    f" {statistics.median(ratios):.2f}x (IQR {percentile(ratios, 25):.2f}-"
                    f"{percentile(ratios, 75):.2f})"
                )
            # recall@10 of HNSW against brute force over the same stored vectors
            ids, vecs = [], []
            offset = 0
            while True:
                got = col.get(include=["embeddings"], limit=5000, offset=offset)
                if not len(got["ids"]):
                    break
                ids.extend(got["ids"])
                vecs.append(np.asarray(got["embeddings"], dtype=np.float32))
                offset += len(got["ids"])
            matrix = np.vstack(vecs)
            position = {doc_id: j for j, doc_id in enumerate(ids)}
            hits = id_hits = 0
            for i in range(len(qtexts)):
                sims = matrix @ qvecs[i]
                order = np.argsort(-sims)[:10]
                tenth = sims[order[-1]]
                approx = col.query(query_embeddings=qvecs[i : i + 1], n_results=10)["ids"][0]
                id_hits += len({ids[j] for j in order} & set(approx))
                # tie-aware: synthetic documents repeat (two or three words from 58), so many
                # documents tie for the 10th place; any of them is a correct answer
                hits += sum(sims[position[a]] >= tenth - 1e-6 for a in approx)
            print(
                f"  recall@10 (HNSW vs brute-force cosine, {len(qtexts)} queries): {hits / (10 * len(qtexts)):.3f}"
                f" (by id, ignoring ties: {id_hits / (10 * len(qtexts)):.3f})"
            )
            lex.close()
    print("\naims (issue 18):")
    print("\n".join(aims))


if __name__ == "__main__":
    main()
