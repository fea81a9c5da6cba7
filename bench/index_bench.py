"""Index benchmark: import + embed + index against the raw embedder on the same texts, query
latency, and the recall of Chroma's HNSW against exact brute-force cosine.

For each size (default 10k and 100k entries) it prints, in one run:
  * raw: ``embedder.encode`` over exactly the documents the index stores (entries × languages)
  * ours: ``import_entries`` into SQL, then ``sync`` (the outbox drain: embed + Chroma upsert),
    and the overhead over raw in percent;
  * semantic query latency p50/p95 through ``Index.query`` (embedding the query included) and
    through ``query_vector`` (Chroma only);
  * recall@10 of Chroma's answer against numpy brute force over the same stored vectors.

Run:  python bench/index_bench.py [--sizes 10000,100000] [--queries 200] [--embedder use-multilingual]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from hyperlexicon import migrate
from hyperlexicon.config import Settings
from hyperlexicon.index import documents, metadata
from hyperlexicon.lexicon import Lexicon

sys.path.insert(0, os.path.dirname(__file__))
from store_bench import EN, RU, make_entry, percentile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--embedder", default="use-multilingual")
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    rng = random.Random(11)
    print(f"hyperlexicon index benchmark  ({os.cpu_count()} cpus, embedder {args.embedder})")
    for n in (int(s) for s in args.sizes.split(",")):
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
            t = time.perf_counter()
            raw = embedder.encode(texts)
            raw_s = time.perf_counter() - t
            # the second floor: Chroma storing exactly those vectors and metadata, nothing else
            metas = [
                metadata(i, e, lang, text)
                for i, e in enumerate(items)
                for lang, text in documents(e)
            ]
            client = chromadb.PersistentClient(
                path=f"{d}/raw-chroma", settings=ChromaSettings(anonymized_telemetry=False)
            )
            raw_col = client.create_collection(
                "raw.bench", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
            )
            t = time.perf_counter()
            for b in range(0, len(texts), 1000):
                raw_col.add(
                    ids=[str(j) for j in range(b, min(b + 1000, len(texts)))],
                    embeddings=raw[b : b + 1000],
                    metadatas=metas[b : b + 1000],
                )
            chroma_s = time.perf_counter() - t
            del raw, raw_col, client
            t = time.perf_counter()
            lex.store.import_entries(
                "bench", ((str(i), e) for i, e in enumerate(items)), author="bench"
            )
            sql_s = time.perf_counter() - t
            report = lex.sync()
            ours_s = time.perf_counter() - t
            assert report.embedded == len(texts)
            print(f"\n{n:,} entries, {len(texts):,} documents")
            print(f"  raw embedder        {raw_s:8.1f} s  ({len(texts) / raw_s:,.0f} docs/s)")
            print(
                f"  raw Chroma add      {chroma_s:8.1f} s  ({len(texts) / chroma_s:,.0f} vectors/s, same vectors and metadata)"
            )
            print(
                f"  import+embed+index  {ours_s:8.1f} s  ({n / ours_s:,.0f} entries/s; SQL {sql_s:.1f} s, "
                f"embed+Chroma {ours_s - sql_s:.1f} s)"
            )
            print(
                f"  overhead: over the raw embedder {100 * (ours_s - raw_s) / raw_s:.0f}%;"
                f" over raw embedder + raw Chroma {100 * (ours_s - raw_s - chroma_s) / (raw_s + chroma_s):.0f}%"
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
            # recall@10 of HNSW against brute force over the same stored vectors
            col = lex.index.collection("bench")
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


if __name__ == "__main__":
    main()
