"""Encode quality (issue 16): how much of what a reader sees in ordinary sentences HyperBridge
finds, how much it adds that is not there, and cross-lingual lookup against the raw embedder.

The yardstick is ``bench/data/encode_quality.yaml``: ordinary sentences in Russian and English,
each with the concepts a reader sees that the ``core,emoji`` lexicon can express, every concept
a set of acceptable forms (see ``bench/data/README.md`` for how it was made and labelled). It is
written independently of the bridge's code, so it measures the bridge instead of mirroring it.

In one run, against one store built as ``hyperlexicon init --seed core,emoji`` with its index
(built once and cached under ``bench/out/encode_quality/``, keyed by the seed files, the index
schema and the embedder), it prints for (a) the full bridge (``lexicon.bridge.encode``, no
stability re-encode), (b) the exact+lemma layers alone, (c) the full bridge on the
``xling-en`` lexicon below (the same emoji glossed in English only: a lexicon that does not
speak the sentence's language, where a Russian sentence is understood through the bilingual
dictionary), (d) on ``xling-ru``, the same emoji glossed in Russian only, where an English
sentence is, and (e) on ``names-only``, the whole core+emoji lexicon with each language's first
gloss alone (its name, no CLDR keywords: a lexicon of the shape a person writes, where the
layers that reach past a name carry more of the work); overall, by language and by tag:

* concept recall: concepts found / concepts labelled. A concept is found when one of its
  acceptable forms is among the scene's lexemes, or is a component reference of one (a cluster
  ``🜂⧖🕯`` or a compound linked to ``🜂``, ``⧖``, ``🕯`` explains each of them);
* all found: the share of sentences whose every concept was found;
* spurious per sentence: lexemes neither whose form nor any of whose component references is
  acceptable for a labelled concept or listed under the sentence's ``also`` (forms that are
  right but not required, such as ⊘ for "not"); a Δ-code fall-back counts unless labelled;
* unmatched recall, for sentences that list words no entry explains: the share of those words
  the scene reports as unmatched (what growth proposes from);
* lexemes by layer: for each configuration, the acceptable and the spurious lexemes each layer
  of the bridge put in the scenes (``how``: exact, lemma, phrase, related, compound, semantic,
  translated, archetype), which says what a layer adds for what it costs.

Forms are compared without variation selectors (U+FE0E, U+FE0F): the store keeps core's ``🕯``
where the emoji seed has ``🕯️``, and they are one form. Skin-tone, gender-sign and direction
variants of an emoji are one form too (``variant_key``): the labels name the neutral emoji.

Then cross-lingual lookup: a second lexicon, ``xling-en``, holds every emoji of the emoji seed
with its English CLDR name and keywords only. Queried in Russian — each emoji's Russian CLDR
name (skin-tone variants left out as queries, accepted as answers), and the Russian words of
the set's concepts that only one emoji expresses; by default 300 of the 1,914 names, spread
evenly, ``--xling-names 0`` for all — it reports top-1/top-5 accuracy of
``lex.search(query, mode="semantic")`` (whatever it does at the time, with the bilingual
dictionary ``--bilingual`` names: by default ``auto``, Debian's mueller7-dict when installed),
of the same search with the dictionary off, of the bridge (``encode`` on that lexicon: is the
emoji among the scene's lexemes), and of the raw embedder's brute-force cosine over exactly the
documents the index embeds, in the same run.

Aims (issue 16): concept recall ≥ 0.95 and ≤ 0.1 spurious lexemes per sentence.

Run:  python bench/encode_quality.py [--show] [--json] [--lang ru] [--tag paraphrase]
                                     [--no-xling] [--xling-names N] [--bilingual SETTING]
                                     [--rebuild] [--out DIR]

The first run builds the store (1-2 minutes on an idle machine, more on a busy one); later runs
take about a minute for the sentences and one or two for the cross-lingual part.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import os
import re
import shutil
import statistics
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "encode_quality.yaml"
OUT = HERE / "out" / "encode_quality"
LANGS = ("ru", "en")
XLING = "xling-en"
XLING_RU = "xling-ru"
NAMES = "names-only"
RAW = "raw embedder, brute-force cosine"
SEARCH = 'lex.search(mode="semantic")'
PLAIN = "lex.search, bilingual off"
ENCODE = "bridge encode"
AIM_RECALL = 0.95
AIM_SPURIOUS = 0.1
SKIN_TONES = {chr(c) for c in range(0x1F3FB, 0x1F400)}
# settings that would point the benchmark at something other than its own cached home
FOREIGN_ENV = ("HOME", "DB_URL", "CHROMA_URL", "SERVER_URL", "LEXICON", "AUTO_INDEX")


# --- the labelled set -------------------------------------------------------------------------


def read_yaml(path: Path) -> Any:
    """YAML through libyaml when PyYAML has it: the emoji seed (1.8 MB) loads five times faster."""
    with path.open("rb") as stream:
        return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def form_key(form: str) -> str:
    """A form as stored: NFC, without variation selectors (``🕯️`` is ``🕯``)."""
    return unicodedata.normalize("NFC", form).replace("\ufe0f", "").replace("\ufe0e", "")


def variant_key(form: str) -> str:
    """A form as compared here: its skin-tone, gender-sign and direction variants are one form,
    and a role shown by a man or a woman is the role shown by a person (``👩‍⚕️`` is ``🧑‍⚕️``).
    The labels name the neutral emoji; the reader does not care which variant the bridge picks."""
    key = "".join(ch for ch in form_key(form) if ch not in SKIN_TONES)
    for mark in ("\u200d\u2640", "\u200d\u2642", "\u200d\u27a1"):
        key = key.replace(mark, "")
    if len(key) > 2 and key[0] in "\U0001f468\U0001f469" and key[1] == "\u200d":
        key = "\U0001f9d1" + key[1:]
    return key


def word_key(word: str) -> str:
    return unicodedata.normalize("NFC", word).casefold().replace("ё", "е")


@dataclass(frozen=True)
class Concept:
    said: str  # the words of the sentence that carry it
    forms: tuple[str, ...]  # acceptable forms, as written in the seeds

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(variant_key(f) for f in self.forms)


@dataclass(frozen=True)
class Item:
    n: int  # position in the file, from 1
    text: str
    lang: str
    topic: str
    tags: tuple[str, ...]
    concepts: tuple[Concept, ...]
    unmatched: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # forms that may appear without being spurious, not required
    seed: bool = False

    @property
    def acceptable(self) -> frozenset[str]:
        """Every form key a lexeme of this sentence may carry without being spurious."""
        return frozenset().union(*(c.keys for c in self.concepts), map(variant_key, self.also))


def load_set(path: Path = DATA) -> list[Item]:
    """The labelled set, its shape checked: a bad item is named by its number and text."""
    raw = read_yaml(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("items"), list):
        raise ValueError(f"{path}: expected a mapping with a list 'items'")
    items = []
    for n, d in enumerate(raw["items"], start=1):
        where = f"{path.name} item {n}"
        if not isinstance(d, dict) or not isinstance(d.get("text"), str) or not d["text"].strip():
            raise ValueError(f"{where}: needs a non-empty 'text'")
        where += f" ({d['text'][:40]!r})"
        fields = {"text", "lang", "topic", "tags", "concepts", "unmatched", "also", "seed"}
        unknown = set(d) - fields
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        if d.get("lang") not in LANGS:
            raise ValueError(f"{where}: lang must be one of {', '.join(LANGS)}")
        tags = d.get("tags")
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
            raise ValueError(f"{where}: tags must be a non-empty list of names")
        concepts = []
        for c in d.get("concepts") or []:
            if (
                not isinstance(c, dict)
                or set(c) != {"said", "forms"}
                or not isinstance(c["said"], str)
                or not isinstance(c["forms"], list)
                or not c["forms"]
                or not all(isinstance(f, str) and f for f in c["forms"])
            ):
                raise ValueError(f"{where}: a concept is {{said: words, forms: [form, …]}}: {c!r}")
            concepts.append(Concept(c["said"], tuple(c["forms"])))
        unmatched = d.get("unmatched") or []
        if not isinstance(unmatched, list) or not all(isinstance(w, str) for w in unmatched):
            raise ValueError(f"{where}: unmatched must be a list of words")
        also = d.get("also") or []
        if not isinstance(also, list) or not all(isinstance(f, str) and f for f in also):
            raise ValueError(f"{where}: also must be a list of forms")
        items.append(
            Item(
                n=n,
                text=d["text"],
                lang=d["lang"],
                topic=str(d.get("topic", "")),
                tags=tuple(tags),
                concepts=tuple(concepts),
                unmatched=tuple(unmatched),
                also=tuple(also),
                seed=bool(d.get("seed", False)),
            )
        )
    return items


# --- the store, built once --------------------------------------------------------------------


def cache_key(seeds: Path, embedder: str) -> str:
    """What the cached store depends on: the seed files, how two seeds' entries of one form
    are merged (a glyph core holds takes the emoji seed's name), the index's document shape
    and the embedder. A change to any of them builds a new store: a merge changed in the code
    alone was measured on the store of the code before it."""
    from hyperlexicon import index
    from hyperlexicon.entry import EntryData
    from hyperlexicon.lexicon import Lexicon

    h = hashlib.sha256()
    for name in ("core.yaml", "emoji.yaml"):
        h.update(name.encode() + b"\0" + (seeds / name).read_bytes())
    h.update(f"schema {index.SCHEMA}\0embedder {embedder}\0{XLING} {XLING_RU} {NAMES}\0".encode())
    for made in (names_only, index.documents, EntryData.with_names_of, Lexicon._load_seed):
        h.update(inspect.getsource(made).encode())
    return h.hexdigest()[:16]


def glossed_in(lang: str, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The emoji seed's entries with their glosses in one language alone: what a lexicon
    indexed in one language holds, so a query in the other has to cross languages to find
    anything."""
    out = []
    for e in entries:
        glosses = e.get("glosses", {}).get(lang)
        if not glosses:
            continue
        kept = {k: v for k, v in e.items() if k not in ("glosses", "components", "examples")}
        out.append({**kept, "glosses": {lang: list(glosses)}})
    return out


def names_only(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The core+emoji lexicon's entries (as its export gives them) with each language's first
    gloss alone, their name: a lexicon of another shape than the seeds' (a person's own, one
    word or phrase an entry and no CLDR keywords), where the layers that reach meaning past a
    name (synonyms, paraphrase) carry more of the work."""
    out = []
    for e in entries:
        glosses = {lang: list(g[:1]) for lang, g in (e.get("glosses") or {}).items() if g}
        kept = {k: v for k, v in e.items() if k not in ("glosses", "examples")}
        out.append({**kept, "glosses": glosses})
    return out


def settings_for(home: Path, bilingual: str = "auto") -> Any:
    from hyperlexicon.config import Settings

    return Settings.load(
        home=str(home),
        db_url=f"sqlite:///{home / 'lexicon.sqlite3'}",
        auto_index=False,
        bilingual=bilingual,
    )


def build(home: Path, seeds: Path, log: Callable[[str], None]) -> None:
    """``init --seed core,emoji`` with its index, the English-only ``xling-en`` lexicon, the
    Russian-only ``xling-ru`` and ``names-only``."""
    from hyperlexicon.lexicon import Lexicon

    home.mkdir(parents=True)
    t = time.perf_counter()
    lex, report = Lexicon.init(settings_for(home), seed="core,emoji")
    try:
        log(f"  init --seed core,emoji: {report.created if report else 0} entries")
        lex.sync(progress=None)
        log(f"  index built ({time.perf_counter() - t:.0f} s)")

        def derived(name: str, description: str, entries: list[dict[str, Any]]) -> None:
            """Another lexicon of the store, from these entries, imported and indexed."""
            path = home / f"{name}.yaml"
            doc = {"hyperlexicon": 1, "lexicon": name, "description": description}
            doc["entries"] = entries
            path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), "utf-8")
            lex.create_lexicon(name, description)
            xl = lex.using(name)
            xl.import_file(path)
            xl.sync()
            log(f"  {name}: {xl.count()} entries indexed ({time.perf_counter() - t:.0f} s in all)")

        emoji = read_yaml(seeds / "emoji.yaml")
        for name, lang, language in ((XLING, "en", "English"), (XLING_RU, "ru", "Russian")):
            description = f"the emoji seed with {language} glosses only (bench/encode_quality.py)"
            derived(name, description, glossed_in(lang, emoji["entries"]))
        description = "core+emoji with each language's first gloss alone (bench/encode_quality.py)"
        derived(NAMES, description, names_only(e.data.to_dict() for e in lex.entries()))
    finally:
        lex.close()


def own_settings() -> None:
    """Forget what the shell says of a home, a database or a server: the benchmark's store is
    its own."""
    for name in FOREIGN_ENV:
        os.environ.pop("HYPERLEXICON_" + name, None)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def open_store(
    out: Path, rebuild: bool, log: Callable[[str], None], bilingual: str = "auto"
) -> tuple[Any, Path]:
    """The cached store for the current seeds, index schema and embedder (built if absent),
    and its home directory."""
    from hyperlexicon.config import Settings
    from hyperlexicon.lexicon import Lexicon, seeds_dir

    seeds = seeds_dir()
    embedder = Settings.load(home=str(out)).embedding_model
    home = out / cache_key(seeds, embedder)
    if rebuild and home.exists():
        shutil.rmtree(home)
    if not (home / "ready").exists():
        log(f"building the core+emoji store in {home} (once; cached)")
        partial = home.with_name(home.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        build(partial, seeds, log)
        shutil.rmtree(home, ignore_errors=True)
        partial.rename(home)
        (home / "ready").write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))
    # init again: upgrades the schema if migrations arrived since; the seeds are tagged already
    lex, _ = Lexicon.init(settings_for(home, bilingual), seed="core,emoji")
    lex.sync()
    lex.using(XLING).sync()
    lex.using(XLING_RU).sync()
    lex.using(NAMES).sync()
    return lex, home


# --- scoring ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One sentence encoded by one configuration, judged against its labels."""

    item: Item
    found: list[bool]
    spurious: list[tuple[str, str, str]]  # (form, how, source)
    surfaced: list[bool]  # per expected unmatched word
    forms: list[str]
    unmatched_seen: list[str]
    # each lexeme's layer (``how``: lemma, phrase, semantic …) and whether it was acceptable
    layers: list[tuple[str, bool]] = field(default_factory=list)


class Refs:
    """Component references of the lexicon's entries, looked up once per form."""

    def __init__(self, lex: Any) -> None:
        self.lex = lex
        self._cache: dict[str, frozenset[str]] = {}

    def keys(self, form: str) -> frozenset[str]:
        if form not in self._cache:
            stored = self.lex.find(form)
            refs = [c.ref for c in stored.data.components if c.ref] if stored else []
            self._cache[form] = frozenset({variant_key(form), *(variant_key(r) for r in refs)})
        return self._cache[form]


def tokens(text: str) -> list[str]:
    return [word_key(w) for w in re.findall(r"\w+(?:-\w+)*", text)]


def judge(item: Item, scene: Any, refs: Refs) -> Outcome:
    explained: set[str] = set()
    per_lexeme = []
    for lx in scene.lexemes:
        keys = refs.keys(lx.form)
        per_lexeme.append((lx, keys))
        explained |= keys
    acceptable = item.acceptable
    seen = [word_key(u.text) for u in scene.unmatched]
    seen_tokens = {t for u in scene.unmatched for t in tokens(u.text)}
    return Outcome(
        item=item,
        found=[bool(c.keys & explained) for c in item.concepts],
        spurious=[(lx.form, lx.how, lx.source) for lx, keys in per_lexeme if not keys & acceptable],
        surfaced=[word_key(w) in seen_tokens or word_key(w) in seen for w in item.unmatched],
        forms=[lx.form for lx in scene.lexemes],
        unmatched_seen=[u.text for u in scene.unmatched],
        layers=[(lx.how, bool(keys & acceptable)) for lx, keys in per_lexeme],
    )


@dataclass
class Tally:
    sentences: int = 0
    concepts: int = 0
    found: int = 0
    complete: int = 0  # sentences with concepts, every one found
    with_concepts: int = 0
    spurious: int = 0
    expected_unmatched: int = 0
    surfaced: int = 0

    def add(self, o: Outcome) -> None:
        self.sentences += 1
        self.concepts += len(o.found)
        self.found += sum(o.found)
        if o.found:
            self.with_concepts += 1
            self.complete += all(o.found)
        self.spurious += len(o.spurious)
        self.expected_unmatched += len(o.surfaced)
        self.surfaced += sum(o.surfaced)

    def figures(self) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return {
            "sentences": self.sentences,
            "concepts": self.concepts,
            "concept_recall": ratio(self.found, self.concepts),
            "all_found": ratio(self.complete, self.with_concepts),
            "spurious_per_sentence": ratio(self.spurious, self.sentences),
            "unmatched_words": self.expected_unmatched,
            "unmatched_recall": ratio(self.surfaced, self.expected_unmatched),
        }


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    overall, by_lang, by_tag = Tally(), defaultdict(Tally), defaultdict(Tally)
    # what each layer of the bridge adds: its acceptable lexemes against its spurious ones,
    # which says where a layer pays for itself and where it only costs (time or precision)
    by_layer: dict[str, dict[str, int]] = defaultdict(lambda: {"right": 0, "spurious": 0})
    for o in outcomes:
        overall.add(o)
        by_lang[o.item.lang].add(o)
        for tag in o.item.tags:
            by_tag[tag].add(o)
        for how, right in o.layers:
            by_layer[how]["right" if right else "spurious"] += 1
    return {
        "overall": overall.figures(),
        "by_lang": {k: by_lang[k].figures() for k in sorted(by_lang)},
        "by_tag": {k: by_tag[k].figures() for k in sorted(by_tag)},
        "by_layer": {k: by_layer[k] for k in sorted(by_layer)},
    }


# --- cross-lingual lookup ---------------------------------------------------------------------


@dataclass
class Query:
    text: str
    gold: frozenset[str]  # acceptable form keys
    source: str  # cldr | sentences


def base_form(form: str) -> str:
    return "".join(ch for ch in form_key(form) if ch not in SKIN_TONES)


def xling_queries(seeds: Path, items: Sequence[Item]) -> list[Query]:
    """Russian CLDR names of the emoji (an emoji's skin-tone variants are accepted for it, and
    emoji sharing a Russian name accept each other), then Russian words of the set whose
    concept only one emoji of the seed expresses."""
    entries = read_yaml(seeds / "emoji.yaml")["entries"]
    by_base: dict[str, set[str]] = defaultdict(set)
    by_name: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        by_base[base_form(e["form"])].add(form_key(e["form"]))
        ru = e.get("glosses", {}).get("ru")
        if ru and e.get("glosses", {}).get("en"):
            by_name[word_key(ru[0])].add(base_form(e["form"]))
    queries = []
    for e in entries:
        ru = e.get("glosses", {}).get("ru")
        if (
            not ru
            or not e.get("glosses", {}).get("en")
            or base_form(e["form"]) != form_key(e["form"])
        ):
            continue
        gold = set().union(*(by_base[b] for b in by_name[word_key(ru[0])]))
        queries.append(Query(ru[0], frozenset(gold), "cldr"))
    emoji_keys = set().union(*by_base.values())
    seen = set()
    for item in items:
        if item.lang != "ru" or "compound" in item.tags:
            continue
        for c in item.concepts:
            keys = c.keys & emoji_keys
            said = word_key(c.said)
            if len(keys) == 1 and said not in seen:
                seen.add(said)
                queries.append(Query(c.said, frozenset(keys), "sentences"))
    return queries


def rank_raw(xl: Any, queries: Sequence[Query], k: int, cache: Path) -> list[list[str]]:
    """Brute-force cosine of the raw embedder over exactly the documents the index embeds (an
    entry scores its best document). The documents' vectors are kept in ``cache``, keyed by
    their texts and the embedder, so later runs embed only the queries."""
    import numpy as np

    from hyperlexicon.index import documents

    embedder = xl.index.embedder
    entries = list(xl.store.iter_entries(xl.name))
    owners, texts = [], []
    for i, e in enumerate(entries):
        for _key, text in documents(e.data):
            owners.append(i)
            texts.append(text)
    digest = hashlib.sha256("\0".join([embedder.model, *texts]).encode()).hexdigest()[:16]
    stored = cache / f"raw-docs-{digest}.npy"
    if stored.exists():
        docs = np.load(stored)
    else:
        docs = embedder.encode(texts)
        np.save(stored, docs)
    vectors = embedder.encode([q.text for q in queries])
    owner = np.asarray(owners)
    out = []
    for row in vectors @ docs.T:
        best = np.full(len(entries), -np.inf, dtype=np.float32)
        np.maximum.at(best, owner, row)
        top = np.argsort(-best)[:k]
        out.append([entries[j].data.form for j in top])
    return out


def sample(queries: Sequence[Query], n: int) -> list[Query]:
    """The set's own words, and ``n`` of the CLDR names spread evenly (all when ``n`` is 0)."""
    cldr = [q for q in queries if q.source == "cldr"]
    if n and len(cldr) > n:
        cldr = [cldr[i * len(cldr) // n] for i in range(n)]
    return cldr + [q for q in queries if q.source != "cldr"]


def xling(
    lex: Any,
    items: Sequence[Item],
    k: int,
    n: int,
    cache: Path,
    log: Callable[[str], None],
) -> dict[str, Any]:
    from hyperlexicon.bridge import Bridge
    from hyperlexicon.calibration import current_thresholds
    from hyperlexicon.lexicon import seeds_dir

    xl = lex.using(XLING)
    every = xling_queries(seeds_dir(), items)
    queries = sample(every, n)
    log(
        f"cross-lingual: {len(queries)} Russian queries (of {len(every)}) against "
        f"{xl.count()} English-only entries"
    )
    systems: dict[str, list[list[str]]] = {RAW: rank_raw(xl, queries, k, cache)}
    search = []
    for q in queries:
        hits = xl.search(q.text, mode="semantic", limit=k * 3)
        search.append(list(dict.fromkeys(h.entry.data.form for h in hits))[:k])
    systems[SEARCH] = search
    from hyperlexicon.lexicon import Lexicon

    plain_lex = Lexicon(xl.settings.with_(bilingual="off"), name=XLING, store=xl.store)
    plain = []
    for q in queries:
        hits = plain_lex.search(q.text, mode="semantic", limit=k * 3)
        plain.append(list(dict.fromkeys(h.entry.data.form for h in hits))[:k])
    systems[PLAIN] = plain
    ws = xl.workspace
    bridge = Bridge(ws, current_thresholds(ws))
    scenes = []
    for i, q in enumerate(queries, start=1):
        scenes.append([lx.form for lx in bridge.encode(q.text, lang="ru", stability=False).lexemes])
        if i % 100 == 0:
            log(f"  bridge encode: {i}/{len(queries)}")
    out: dict[str, Any] = {
        "queries": {s: sum(q.source == s for q in queries) for s in ("cldr", "sentences")}
    }
    for name, ranked in systems.items():
        out[name] = {
            source: {
                "top1": _accuracy(queries, ranked, 1, source),
                f"top{k}": _accuracy(queries, ranked, k, source),
            }
            for source in ("cldr", "sentences", "all")
        }
    out[ENCODE] = {
        source: {"in_scene": _accuracy(queries, scenes, None, source)}
        for source in ("cldr", "sentences", "all")
    }
    return out


def _accuracy(
    queries: Sequence[Query], ranked: Sequence[Sequence[str]], k: int | None, source: str
) -> float | None:
    pairs = [(q, r) for q, r in zip(queries, ranked, strict=True) if source in ("all", q.source)]
    if not pairs:
        return None
    hits = sum(any(form_key(f) in q.gold for f in r[:k]) for q, r in pairs)
    return round(hits / len(pairs), 4)


# --- output -----------------------------------------------------------------------------------


def fmt(x: float | None, width: int = 6) -> str:
    return f"{x:{width}.3f}" if x is not None else " " * (width - 1) + "–"


def table(results: dict[str, dict[str, Any]], section: str, keys: Sequence[str]) -> list[str]:
    """One row per key; per configuration: sentences, recall, all found, spurious per
    sentence, unmatched-word recall."""
    cell = "{:>4} {:>7} {:>7} {:>7} {:>7}"
    lines = [
        f"  {'':<12}" + "".join(f" | {c:<36}" for c in results),
        f"  {'':<12}"
        + "".join(" | " + cell.format("n", "recall", "all", "spur/s", "unm.rec") for _ in results),
    ]
    for key in keys:
        row = f"  {key:<12}"
        for summary in results.values():
            f = summary["overall"] if section == "overall" else summary[section].get(key)
            if f is None:
                row += " | " + " " * 36
                continue
            values = [
                f["concept_recall"],
                f["all_found"],
                f["spurious_per_sentence"],
                f["unmatched_recall"],
            ]
            row += " | " + cell.format(
                f["sentences"], *("–" if v is None else f"{v:.3f}" for v in values)
            )
        lines.append(row)
    return lines


def report(results: dict[str, dict[str, Any]], items: Sequence[Item]) -> list[str]:
    tags = sorted({t for i in items for t in i.tags})
    langs = sorted({i.lang for i in items})
    lines = [
        "",
        "concept recall, sentences with all concepts found, spurious lexemes per sentence,",
    ]
    lines.append("unmatched-word recall (n = sentences)")
    lines += table(results, "overall", ["all"])
    lines += table(results, "by_lang", langs)[2:]
    lines.append("  by tag:")
    lines += table(results, "by_tag", tags)[2:]
    lines.append("  lexemes by layer, acceptable / spurious:")
    for name, summary in results.items():
        layers = summary.get("by_layer") or {}
        cells = (f"{how} {n['right']}/{n['spurious']}" for how, n in layers.items())
        lines.append(f"    {name:<28} " + ", ".join(cells))
    full = results["full"]["overall"]
    met = (full["concept_recall"] or 0) >= AIM_RECALL and (
        full["spurious_per_sentence"] or 0
    ) <= AIM_SPURIOUS
    lines.append(
        f"aim (full bridge): recall ≥ {AIM_RECALL} and spurious ≤ {AIM_SPURIOUS} per sentence: "
        + ("met" if met else "not met")
    )
    return lines


def cross_report(cross: dict[str, Any], k: int) -> list[str]:
    sources = ("cldr", "sentences", "all")
    lines = [
        "",
        f"cross-lingual lookup: Russian queries, English-only lexicon ({cross['queries']['cldr']}"
        f" CLDR names, {cross['queries']['sentences']} words of the set)",
        f"  {'':<36}" + "".join(f"{h:<16}" for h in ("CLDR names", "set words", "all")),
        f"  {'':<36}" + f"{'top-1':>6} {f'top-{k}':>6}   " * len(sources),
    ]
    ranked = {name: f for name, f in cross.items() if name in (RAW, PLAIN, SEARCH)}
    for name, f in ranked.items():
        lines.append(
            f"  {name:<36}"
            + "".join(f"{f[s]['top1']:>6.3f} {f[s][f'top{k}']:>6.3f}   " for s in sources)
        )
    raw, ours = cross[RAW], cross[SEARCH]
    lines.append(
        f"  {'gain of lex.search over raw':<36}"
        + "".join(
            f"{ours[s]['top1'] - raw[s]['top1']:>+6.3f} "
            f"{ours[s][f'top{k}'] - raw[s][f'top{k}']:>+6.3f}   "
            for s in sources
        )
    )
    enc = cross[ENCODE]
    lines.append(
        f"  {'bridge encode: emoji in the scene':<36}"
        + "".join(f"{'':>6} {enc[s]['in_scene']:>6.3f}   " for s in sources)
    )
    return lines


def show(outcomes: dict[str, list[Outcome]]) -> list[str]:
    lines = ["", "per sentence (only those with a miss, a spurious lexeme or an unsurfaced word):"]
    for i, full in enumerate(outcomes["full"]):
        layers = outcomes["exact+lemma"][i] if "exact+lemma" in outcomes else None
        if all(full.found) and not full.spurious and all(full.surfaced):
            continue
        it = full.item
        lines.append(f"#{it.n} [{it.lang}; {', '.join(it.tags)}] {it.text}")
        lines.append(f"    scene: {' '.join(full.forms) or '(empty)'}")
        for c, ok, ok2 in zip(
            it.concepts, full.found, layers.found if layers else full.found, strict=True
        ):
            if not ok:
                lines.append(
                    f"    miss   «{c.said}» → {' | '.join(c.forms)}"
                    + ("  (exact+lemma found it)" if ok2 else "")
                )
        for form, how, source in full.spurious:
            lines.append(f"    extra  {form}  ({how}, from «{source}»)")
        for w, ok in zip(it.unmatched, full.surfaced, strict=True):
            if not ok:
                lines.append(
                    f"    unsurfaced «{w}» (unmatched reported: {full.unmatched_seen or 'none'})"
                )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the labelled set (YAML)")
    parser.add_argument("--out", type=Path, default=OUT, help="where the cached store lives")
    parser.add_argument("--rebuild", action="store_true", help="build the cached store afresh")
    parser.add_argument("--lang", choices=LANGS, help="only sentences in this language")
    parser.add_argument("--tag", help="only sentences with this tag")
    parser.add_argument("--show", action="store_true", help="per-sentence misses and extras")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--no-xling", action="store_true", help="skip the cross-lingual part")
    parser.add_argument(
        "--bilingual",
        default="auto",
        help="the bilingual dictionary setting (auto, off or a path; default auto)",
    )
    parser.add_argument("-k", type=int, default=5, help="top-k for cross-lingual lookup")
    parser.add_argument(
        "--xling-names",
        type=int,
        default=300,
        metavar="N",
        help="CLDR names queried, spread evenly over the emoji (0: all 1,914; default 300)",
    )
    args = parser.parse_args(argv)

    own_settings()
    try:
        items = load_set(args.data)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"encode_quality: {exc}", file=sys.stderr)
        return 2
    chosen = [i for i in items if (not args.lang or i.lang == args.lang)]
    chosen = [i for i in chosen if not args.tag or args.tag in i.tags]
    if not chosen:
        print("encode_quality: no sentence matches --lang/--tag", file=sys.stderr)
        return 2

    from hyperlexicon.bridge import Bridge

    lex, home = open_store(args.out, args.rebuild, log, args.bilingual)
    try:
        full = lex.bridge
        bridges = {
            "full": full,
            "exact+lemma": Bridge(lex.workspace, full.thresholds, layers=("exact", "lemma")),
            "full, English-only lexicon": Bridge(lex.using(XLING).workspace, full.thresholds),
            "full, Russian-only lexicon": Bridge(lex.using(XLING_RU).workspace, full.thresholds),
            "full, names-only lexicon": Bridge(lex.using(NAMES).workspace, full.thresholds),
        }
        refs = Refs(lex)
        full.encode("прогрев модели", stability=False)  # the model loads once, here
        outcomes: dict[str, list[Outcome]] = {}
        seconds: dict[str, list[float]] = {}
        for name, bridge in bridges.items():
            outcomes[name], seconds[name] = [], []
            for item in chosen:
                t = time.perf_counter()
                scene = bridge.encode(item.text, lang=item.lang, stability=False)
                seconds[name].append(time.perf_counter() - t)
                outcomes[name].append(judge(item, scene, refs))
        results = {name: summarize(o) for name, o in outcomes.items()}
        entries = lex.count()
        cross = None if args.no_xling else xling(lex, items, args.k, args.xling_names, home, log)
    finally:
        lex.close()

    if args.json:
        doc = {
            "data": str(args.data),
            "sentences": len(chosen),
            "aims": {"concept_recall": AIM_RECALL, "spurious_per_sentence": AIM_SPURIOUS},
            "results": results,
            "median_encode_ms": {
                k: round(statistics.median(v) * 1e3, 1) for k, v in seconds.items()
            },
            "cross_lingual": cross,
            "sentences_detail": [
                {
                    "n": o.item.n,
                    "text": o.item.text,
                    "lang": o.item.lang,
                    "tags": list(o.item.tags),
                    **{
                        name: {
                            "forms": outcomes[name][i].forms,
                            "missed": [
                                {"said": c.said, "forms": list(c.forms)}
                                for c, ok in zip(
                                    o.item.concepts, outcomes[name][i].found, strict=True
                                )
                                if not ok
                            ],
                            "spurious": [list(s) for s in outcomes[name][i].spurious],
                            "unsurfaced": [
                                w
                                for w, ok in zip(
                                    o.item.unmatched, outcomes[name][i].surfaced, strict=True
                                )
                                if not ok
                            ],
                        }
                        for name in outcomes
                    },
                }
                for i, o in enumerate(outcomes["full"])
            ],
        }
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0

    counts = defaultdict(int)
    for i in chosen:
        counts[i.lang] += 1
    print(
        f"hyperlexicon encode quality  ({len(chosen)} sentences: "
        + ", ".join(f"{n} {lang}" for lang, n in sorted(counts.items()))
        + f"; {sum(len(i.concepts) for i in chosen)} concepts; lexicon core+emoji, "
        f"{entries} entries)"
    )
    print(
        "median encode time: "
        + ", ".join(f"{k} {statistics.median(v) * 1e3:.0f} ms" for k, v in seconds.items())
    )
    for line in report(results, chosen):
        print(line)
    if cross:
        for line in cross_report(cross, args.k):
            print(line)
    if args.show:
        for line in show(outcomes):
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
