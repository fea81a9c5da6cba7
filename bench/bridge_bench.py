"""Bridge benchmark: encode latency and throughput for 20-word texts, Russian and English, at
lexicon sizes 1k, 10k and 100k, so the growth with lexicon size shows.

Each lexicon is the core seed plus synthetic entries (glyph forms, two-to-three word glosses in
both languages from a shared vocabulary), indexed with the default embedder. Texts mix words
that match glosses, inflected forms, and words the lexicon does not know. Encode runs with the
stability check off (it is a second encode) and without logging; the one-off model load is
excluded.

Run:  python bench/bridge_bench.py [--sizes 1000,10000,100000] [--texts 100]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

from hyperlexicon.config import Settings
from hyperlexicon.lexicon import Lexicon

sys.path.insert(0, os.path.dirname(__file__))
from store_bench import make_entry, percentile

RU_TEXT = "огонь время свеча рост закон солнце единство молнии вдох воздухом страха тишине жара ожиданием пепла вспышки жизни тумана бурей сердцем воды земли луна светом тьмы звёзды дождь дорога город машина работа окно стол книга вечер утро друг".split()
EN_TEXT = "fire time candle growth law sun unity lightning breath air fear silence heat waiting ashes flash life fog storms heart water earth moon light darkness stars rain road city car work window table book evening morning friend".split()


def texts(lang: str, n: int, rng: random.Random) -> list[str]:
    vocab = RU_TEXT if lang == "ru" else EN_TEXT
    return [" ".join(rng.choice(vocab) for _ in range(20)) + "." for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--texts", type=int, default=100)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    rng = random.Random(5)
    print(
        f"hyperlexicon bridge benchmark  ({os.cpu_count()} cpus; 20-word texts; encode without the stability re-encode)"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(dir=args.dir) as d:
            settings = Settings.load(home=d, db_url=f"sqlite:///{d}/lex.sqlite3", auto_index=False)
            lex, _ = Lexicon.init(settings, seed="core")
            extra = n - lex.store.count("core")
            if extra > 0:
                lex.store.import_entries(
                    "core", ((str(i), make_entry(i, rng)) for i in range(extra)), author="bench"
                )
            t = time.perf_counter()
            lex.sync()
            index_s = time.perf_counter() - t
            lex.encode("прогрев", stability=False, log=False)  # model load and first queries
            print(f"\n{lex.store.count('core'):,} entries (indexing took {index_s:.0f} s)")
            for lang in ("ru", "en"):
                batch = texts(lang, args.texts, rng)
                times = []
                lexemes = []
                start = time.perf_counter()
                for text in batch:
                    t = time.perf_counter()
                    scene = lex.encode(text, stability=False, log=False)
                    times.append(time.perf_counter() - t)
                    lexemes.append(len(scene.lexemes))
                total = time.perf_counter() - start
                print(
                    f"  {lang}: p50 {percentile(times, 50) * 1e3:6.1f} ms  p95 {percentile(times, 95) * 1e3:6.1f} ms"
                    f"  throughput {len(batch) / total:5.1f} texts/s  ({statistics.mean(lexemes):.1f} lexemes per scene)"
                )
            lex.close()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
