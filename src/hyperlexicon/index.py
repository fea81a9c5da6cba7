"""The vector index: Chroma collections derived from the SQL store, kept in sync by the outbox.

SQL is the source of truth. Every entry change leaves an outbox row in its own transaction;
``drain`` applies those rows to Chroma (embedding what changed) and only then deletes them, so
a crash at any point loses nothing and a second drain is harmless. ``rebuild`` makes a fresh
collection from SQL and switches to it; ``doctor`` compares both sides.

What gets embedded (the document shape) is one document per entry and language: that
language's glosses and components, joined. ``bench/doc_shape.py`` measured it against one
combined document per entry and one vector per gloss; see docs/index.md for the figures.

One collection per lexicon, named ``hl.<lexicon>.idx``, its metadata recording the embedder,
model and dimension. Chroma's embedded mode is not safe for several writing processes, so the
embedded client holds an exclusive lock on the index directory for as long as a process uses
it; a second process fails fast with a clear message. ``HYPERLEXICON_CHROMA_URL`` selects a
``chroma run`` server instead, which any number of processes may share.

Snapshots: importing chromadb and opening its client is most of what a short command like
``hyperlexicon encode`` waits for (0.7 s of 3.6 s). For an embedded collection of up to
``SNAPSHOT_MAX`` documents, the index also keeps a copy of the collection's vectors and the
metadata queries filter on (``<home>/snapshots/<lexicon>.npz``, the vectors as raw rows in a
``<lexicon>.<id>.vectors`` file it names), labelled with the lexicon's last revision. A
caller that has seen the outbox empty at revision R (the bridge and ``Lexicon.search``,
through ``Store.state``) vouches for R with ``note_synced``; when a snapshot of R exists,
queries are answered from it by exact cosine search in numpy and Chroma is not opened at all.
Chroma holds at least revision R once the outbox is empty at R, and the snapshot is taken
from Chroma after the state is read, so its content is R's or newer. Exact search finds the
true nearest documents; at these sizes HNSW finds the same ones (its recall against brute
force is measured in bench/index_bench.py). A snapshot is written after a drain applies
changes, or after a query that had to use Chroma; ``rebuild``, ``repair`` and
``doctor --fix`` delete it. After a drain, the snapshot this process holds is updated with
what the drain wrote (when nothing else wrote to the collection since it was taken: a count
per collection says so) instead of reading every vector again; it comes out the same as one
read afresh, in Chroma's order (which breaks ties between equal distances). A drain that only
added documents appends their vectors to the file instead of writing it again (``Snapshot.save``).

Projections: a collection too big for a snapshot keeps, instead, each document's cosine with
the embedder's common centre (``Projections``, ``<home>/snapshots/<lexicon>.centre.npz``),
which is all a search ranked from the centre needs of a hit besides the cosine Chroma gives;
without it every search read its hits' vectors back from Chroma. A drain keeps them up to
date (from what it wrote; every vector is read only where there is nothing to start from),
deleting the file before it writes, so a file always tells the documents Chroma held at its
revision.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import urlparse

from sqlalchemy import delete, func, select
from sqlalchemy import text as sql

from . import models as M
from .entry import REGISTERS, EntryData
from .errors import (
    BadInputError,
    ConfigError,
    IndexBusyError,
    IndexDamagedError,
    IndexMismatchError,
)
from .stability import Thresholds
from .store import SearchHit
from .text import dominant_script, script_language

if TYPE_CHECKING:
    from .bilingual import Translations
    from .config import Settings
    from .embeddings import Embedder
    from .store import Store

log = logging.getLogger(__name__)
_T = TypeVar("_T")

DRAIN_BATCH = 512
SNAPSHOT_MAX = 20_000  # documents: above this a collection has no snapshot
SNAPSHOT_FORMAT = 2  # 2: the vectors in a file of their own, which a drain appends to
PROJECTIONS_FORMAT = 1
VECTORS_HELD = 8192  # documents: stored vectors kept per lexicon without a snapshot (16 MB)
NAMES_HELD = 8192  # entries' names: their vectors kept per process (``Index.name_closeness``)
# documents of one kind searched in memory on a collection too big for a snapshot (``_kind``)
KIND_MAX = 4096
# how many times the documents a filtered query asks Chroma for unfiltered (``_filtered_here``)
FILTER_HERE = 8
# a query ranked from the common centre is asked for this many times its k by the plain
# cosine: the centre's nearest lie among them (``Index._from_centre``)
RERANK = 2
UPSERT_BATCH = 1000
SCHEMA = 2  # bump when the document shape or metadata change: forces a rebuild
OUTBOX_LOCKS = 0x68_6C_78  # "hlx": PostgreSQL advisory locks (this, entry id) while applying


# --- documents ----------------------------------------------------------------------------


def documents(entry: EntryData) -> list[tuple[str, str]]:
    """``(key, text)`` pairs to embed: per language, its glosses then its components; and one
    document per usage example (``ex<n>``), which is what makes examples work as scene
    templates: a sentence close to an example is close to its entry.

    A component without a language goes with the language its script says (Cyrillic: ru).
    The raw form is left out on purpose: a glyph string alone is mostly unknown tokens.
    """
    parts: dict[str, list[str]] = {lang: list(items) for lang, items in entry.glosses.items()}
    for lang, meaning in component_languages(entry):
        bucket = parts.setdefault(lang, [])
        if meaning not in bucket:
            bucket.append(meaning)
    docs = [(lang, "; ".join(items)) for lang, items in sorted(parts.items()) if items]
    docs += [(f"ex{n}", example) for n, example in enumerate(entry.examples)]
    return docs


def component_languages(entry: EntryData) -> list[tuple[str, str]]:
    """Each component's meaning with the language whose document holds it: its own, else the
    one its script says, else the entry's first language (``documents``; the bridge asks
    what a matched document says)."""
    langs = list(entry.glosses)
    out = []
    for c in entry.components:
        lang = c.lang or script_language(c.meaning) or (langs[0] if langs else "und")
        if lang not in langs:
            langs.append(lang)
        out.append((lang, c.meaning))
    return out


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def metadata(entry_id: int, data: EntryData, doc: str, text: str) -> dict[str, Any]:
    """What Chroma keeps beside a vector: what queries filter on and what sync compares.

    Kept small on purpose: Chroma's write path costs grow with metadata (and documents,
    which we do not store: the text is in SQL). Measured in bench/index_bench.py.
    """
    meta: dict[str, Any] = {
        "entry_id": entry_id,
        "kind": data.kind,
        "status": data.status,
        "doc": doc,
        "lang": (script_language(text) or "und") if doc.startswith("ex") else doc,
        "entry_hash": data.content_hash(),
        "text_hash": text_hash(text),
    }
    for r in data.registers:  # one flag per register: Chroma filters on scalars
        meta[f"reg_{r}"] = True
    return meta


def where(
    kind: str | None = None,
    register: str | None = None,
    status: str | None = None,
    lang: str | None = None,
) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    if kind:
        clauses.append({"kind": kind})
    if status:
        clauses.append({"status": status})
    if lang:
        clauses.append({"lang": lang})
    if register:
        if register not in REGISTERS:
            raise ConfigError(f"unknown register {register!r}")
        clauses.append({f"reg_{register}": True})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


# --- reports ------------------------------------------------------------------------------


@dataclass
class DrainReport:
    rows: int = 0
    embedded: int = 0
    updated: int = 0
    deleted: int = 0
    # what this drain wrote to Chroma, for the snapshot (``Index._snapshot_after``): the
    # documents it embedded or relabelled; of those that were new to Chroma, the metadata
    # and the unit vector written (what Chroma then holds: an upsert of a new id merges with
    # nothing, and Chroma keeps a cosine collection's vectors normalized; up to SNAPSHOT_MAX
    # of them); and how many applies wrote
    written: set[str] = field(default_factory=set, repr=False, compare=False)
    added: dict[str, tuple[dict[str, Any], Any]] = field(
        default_factory=dict, repr=False, compare=False
    )
    applies: int = field(default=0, repr=False, compare=False)
    # the documents it deleted (for the projections of a collection too big for a snapshot)
    removed: set[str] = field(default_factory=set, repr=False, compare=False)

    def to_dict(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "embedded": self.embedded,
            "updated": self.updated,
            "deleted": self.deleted,
        }


@dataclass
class DoctorReport:
    lexicon: str
    missing: list[str] = field(default_factory=list)  # in SQL, not in Chroma
    extra: list[str] = field(default_factory=list)  # in Chroma, not in SQL
    stale: list[str] = field(default_factory=list)  # in both, hashes differ
    pending: int = 0  # outbox rows not yet drained
    fixed: bool = False

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale or self.pending)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lexicon": self.lexicon,
            "clean": self.clean,
            "missing": self.missing,
            "extra": self.extra,
            "stale": self.stale,
            "pending": self.pending,
            "fixed": self.fixed,
        }


@dataclass(frozen=True)
class VectorHit:
    entry_id: int
    score: float  # cosine similarity of the best document of the entry
    doc: str  # which document: a language code, or ex<n> for a usage example
    # that document's cosine measured from the common centre, where the hits were ranked by
    # it (``Index.query_many(centred=True)``); None where they were ranked by ``score``
    nearness: float | None = None


# --- clients ------------------------------------------------------------------------------


class _Embedded:
    """One PersistentClient and one directory lock per index directory and process, shared by
    every Index on that directory and released when the last one closes."""

    _open: ClassVar[dict[Path, list[Any]]] = {}  # path -> [lock, client, users]
    _guard = threading.Lock()
    _exit_hook = False

    @classmethod
    def client(cls, path: Path) -> Any:
        path = path.resolve()
        with cls._guard:
            if path in cls._open:
                cls._open[path][2] += 1
                return cls._open[path][1]
            path.mkdir(parents=True, exist_ok=True)
            lock = _lock_directory(path)
            try:
                if lock.left_by is not None:
                    _check_after_crash(path, lock)
                import chromadb
                from chromadb.config import Settings as ChromaSettings

                client = chromadb.PersistentClient(
                    path=str(path),
                    settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
                )
                for name in _damaged(path):
                    # before anything reads it: a damaged segment can crash the process
                    # (deleting does not read it); the lexicon is rebuilt on first use
                    with contextlib.suppress(Exception):
                        client.delete_collection(name)
            except BaseException:
                lock.release(clean=False)
                raise
            cls._open[path] = [lock, client, 1]
            if not cls._exit_hook:
                import atexit

                atexit.register(cls._at_exit)
                cls._exit_hook = True
            return client

    @classmethod
    def _at_exit(cls) -> None:
        """A process that ends without closing its index (a script that never called
        ``close``) still ends cleanly: no write of Chroma is under way once the interpreter
        runs its exit hooks, so the next process need not check the files."""
        with cls._guard:
            for lock, _client, _users in cls._open.values():
                lock.mark_clean()

    @classmethod
    def release(cls, path: Path) -> None:
        path = path.resolve()
        with cls._guard:
            entry = cls._open.get(path)
            if entry is None:
                return
            entry[2] -= 1
            if entry[2] > 0:
                return
            del cls._open[path]
        lock, client, _ = entry
        try:
            client.clear_system_cache()
        finally:
            lock.release()


class _DirectoryLock:
    """The lock on an index directory. ``left_by``: the pid a holder left in the lock file
    without releasing it cleanly (killed, or crashed), which may have died in the middle of
    a write to Chroma; None when the last holder released it."""

    def __init__(self, fd: int, path: Path, left_by: str | None = None) -> None:
        self.fd, self.path, self.left_by = fd, path, left_by

    def mark_clean(self) -> None:
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)

    def release(self, *, clean: bool = True) -> None:
        import fcntl

        try:
            if clean:
                self.mark_clean()
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)


def _lock_directory(path: Path) -> _DirectoryLock:
    """An exclusive, non-blocking lock; the holder's pid is written into the lock file and
    taken out again when it releases the lock, so a pid found there by the next holder is
    one that did not."""
    import fcntl

    lock_path = path / ".hyperlexicon.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise IndexBusyError(
            f"the index at {path} is in use by another process (pid {holder}); embedded "
            "Chroma allows one process: stop that one, or share a Chroma server "
            "(chroma run, then HYPERLEXICON_CHROMA_URL)"
        ) from None
    left_by = os.pread(fd, 32, 0).decode(errors="replace").strip() or None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return _DirectoryLock(fd, lock_path, left_by)


# --- after a crash: which collections a killed process left damaged --------------------------

DAMAGED_FILE = ".hyperlexicon.damaged"  # in the index directory: collections to rebuild
_PROBE = "from hyperlexicon.index import _probe; _probe()"


def _damaged(path: Path) -> dict[str, str]:
    """The collections of the index directory found damaged and not yet rebuilt, each with
    why."""
    try:
        return dict(json.loads((path / DAMAGED_FILE).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}
    except (ValueError, TypeError) as exc:
        raise IndexDamagedError(
            f"{path / DAMAGED_FILE}: not the list of damaged collections ({exc}); "
            "remove it and run 'hyperlexicon index rebuild'"
        ) from None


def _set_damaged(path: Path, damaged: dict[str, str]) -> None:
    target = path / DAMAGED_FILE
    if not damaged:
        target.unlink(missing_ok=True)
        return
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(damaged, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, target)


def _check_after_crash(path: Path, lock: _DirectoryLock) -> None:
    """Read every collection of the directory in a child process, and list those that
    failed in ``DAMAGED_FILE``.

    Embedded Chroma writes its HNSW files in place, so a process killed in the middle of a
    write (or of the backfill a read may run) can leave them torn. Some tears raise an error
    the index heals from (``Index._heal``); others crash the process that reads them (seen:
    a segmentation fault in ``count``, ``get`` and ``query`` alike, where no handler runs).
    Only a child can survive finding those, so one reads the collections in turn and says
    which it is reading; a collection it dies on is damaged, and another child goes on with
    the rest. Then one more child writes to each collection left (``_probe_write``): a
    torn graph can read well and crash the first process after that to write near the tear
    (seen: a header counting 1,024 nodes more than the files held, after a kill; the
    reader passed, and the next ``index sync`` died in Chroma's upsert, every time). The
    reader must come first: the process that first opens such files writes without
    crashing, and only a later one trips. This costs a second or two, and only after a
    holder died holding the lock. Each child holds the lock with us (it inherits the locked
    descriptor): if we are killed meanwhile, no other process opens Chroma while the child
    still uses it."""
    pid = lock.left_by
    log.warning(
        "the index at %s was left open by process %s, which did not close it: checking it",
        path,
        pid,
    )
    damaged = _damaged(path)
    for mode in ("read", "write"):
        _probe_in_children(path, lock, mode, damaged)
    _set_damaged(path, damaged)
    for name, why in damaged.items():
        log.warning("collection %s of the index at %s is damaged: %s", name, path, why)


_SEGMENT_DIR = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _sweep(path: Path) -> None:
    """Remove the directories of segments Chroma no longer lists.

    Embedded Chroma 1.x deletes a collection's rows but leaves its HNSW directory on disk
    (chroma-core/chroma#5259), and every rebuild or repair deletes a collection: about 2 KB
    a document, some 400 MB each time at 100k entries. Only a directory named like a segment
    and absent from Chroma's list of segments goes; if the list cannot be read (another
    layout of Chroma's files), nothing does."""
    import shutil
    import sqlite3

    db = path / "chroma.sqlite3"
    if not db.exists():
        return
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as con:
            live = {str(row[0]) for row in con.execute("SELECT id FROM segments")}
    except sqlite3.Error as exc:
        log.debug("not sweeping %s: %s", path, exc)
        return
    for child in path.iterdir():
        if _SEGMENT_DIR.fullmatch(child.name) and child.name not in live and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)


def _probe_in_children(
    path: Path, lock: _DirectoryLock, mode: str, damaged: dict[str, str]
) -> None:
    """Probe the collections not yet known ``damaged`` in children (``_probe``), a new child
    after each that crashed on one, and add those found damaged."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    doing = "reading" if mode == "read" else "writing to"
    for _ in range(64):  # a round for each collection that crashes the child
        run = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path), mode, *damaged],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            pass_fds=(lock.fd,),
        )
        probing = None
        for line in run.stdout.splitlines():
            verb, _, rest = line.partition(" ")
            name, _, why = rest.partition(" ")
            if verb == "probing":
                probing = name
            elif verb in ("ok", "damaged"):
                probing = None
                if verb == "damaged":
                    damaged[name] = why
        if run.returncode == 0:
            return
        if run.returncode < 0 and probing is not None:
            damaged[probing] = f"Chroma crashed {doing} it (signal {-run.returncode})"
            continue
        if run.returncode < 0:
            raise IndexDamagedError(
                f"the index at {path} is damaged: Chroma crashed opening it (signal "
                f"{-run.returncode}) after process {lock.left_by} died holding it; move the "
                "directory away and run 'hyperlexicon index rebuild'"
            )
        last = (run.stderr.strip().splitlines() or ["no message"])[-1]
        log.warning("could not check the index at %s: %s", path, last)
        return


def _probe() -> None:
    """The child of ``_check_after_crash``: reads each collection as queries and the doctor
    do, or writes to it as a drain does, and says on stdout which it is probing and what it
    found."""
    import sys

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    path, mode, skip = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    probe = _probe_read if mode == "read" else _probe_write
    client = chromadb.PersistentClient(
        path=path, settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )
    for listed in client.list_collections():
        if listed.name in skip:
            continue
        print("probing", listed.name, flush=True)
        try:
            probe(client.get_collection(listed.name, embedding_function=None))
        except Exception as exc:  # what it raises is the damage it found
            why = (str(exc).splitlines() or [type(exc).__name__])[0]
            print("damaged", listed.name, why, flush=True)
        else:
            print("ok", listed.name, flush=True)


# what the probes take of a collection: the vectors of ``PROBE_EACH`` documents from
# ``PROBE_BLOCKS`` places across it, and (the writing probe) of the last ``PROBE_TAIL``
PROBE_BLOCKS, PROBE_EACH, PROBE_TAIL = 8, 16, 64
PROBE_IDS = tuple(f"hyperlexicon-probe-{i}" for i in range(PROBE_BLOCKS * PROBE_EACH + PROBE_TAIL))


def _spread(col: Any, n: int) -> list[Any]:
    """The vectors of ``PROBE_EACH`` documents from ``PROBE_BLOCKS`` places across the
    collection of ``n`` documents."""
    vectors: list[Any] = []
    for offset in sorted({i * n // PROBE_BLOCKS for i in range(PROBE_BLOCKS)}):
        got = col.get(include=["embeddings"], limit=PROBE_EACH, offset=offset)
        vectors.extend(got["embeddings"])
    return vectors


def _probe_read(col: Any) -> None:
    """Read the collection as queries and the doctor do: its count, metadata, vectors from
    across it (``_spread``), and a query with them (which loads the HNSW graph).

    It raises or crashes where the files are torn; the answers are not judged. Judging
    them by whether documents are found by their own vectors flagged whole collections
    too: Chroma's HNSW is approximate, and did not find 0.8% of the documents of an
    undamaged 18k-document collection by their own vectors (the seed's, after thousands of
    near-duplicates were added), 9 of 128 sampled in one run of the crash test."""
    n = col.count()
    col.get(include=["metadatas"], limit=1)
    if n:
        col.query(query_embeddings=_spread(col, n), n_results=1, include=["distances"])


def _probe_write(col: Any) -> None:
    """Add documents to the collection and take them out again, as a drain does: copies of
    the vectors from across it (``_spread``) and of the last ``PROBE_TAIL``, under
    ``PROBE_IDS``, which no entry's document has. What was there before is there after (and
    no copy a child killed meanwhile left), but for the graph's marks of deleted nodes.

    Their vectors lie where Chroma last wrote, near any tear: in the index that crashed a
    drain, one copied vector never crashed, 16 of the last documents did."""
    n = col.count()
    if not n:
        return
    last = col.get(include=["embeddings"], limit=PROBE_TAIL, offset=max(0, n - PROBE_TAIL))
    vectors = [*_spread(col, n), *last["embeddings"]]
    col.upsert(ids=list(PROBE_IDS[: len(vectors)]), embeddings=vectors)
    col.delete(ids=list(PROBE_IDS))


def _damage_errors() -> tuple[type[BaseException], ...]:
    from chromadb.errors import InternalError

    return (InternalError,)


def http_client(url: str) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"HYPERLEXICON_CHROMA_URL: expected http(s)://host:port, got {url!r}")
    return chromadb.HttpClient(
        host=parsed.hostname,
        port=parsed.port or (443 if parsed.scheme == "https" else 8000),
        ssl=parsed.scheme == "https",
        settings=ChromaSettings(anonymized_telemetry=False),
    )


# --- snapshots ------------------------------------------------------------------------------


class Snapshot:
    """A collection's documents as arrays: their vectors and what queries filter on."""

    def __init__(
        self,
        meta: dict[str, Any],
        arrays: dict[str, Any],
        ids: list[str] | None = None,
        row: dict[str, int] | None = None,
    ) -> None:
        self.meta = meta
        self._arrays = arrays
        # (str elements of a U array; or given, as they are, by ``updated``)
        self.ids: list[str] = arrays["ids"].tolist() if ids is None else ids
        self.vectors = arrays["vectors"]
        self.entry_id = arrays["entry_id"]
        self.doc = arrays["doc"]
        self.kind = arrays["kind"]
        self.status = arrays["status"]
        self.lang = arrays["lang"]
        self.registers = {r: arrays[f"reg_{r}"] for r in REGISTERS if f"reg_{r}" in arrays}
        self._row = {doc_id: i for i, doc_id in enumerate(self.ids)} if row is None else row
        # the arrays with room to grow that this snapshot's columns are the first rows of, if
        # it was made by adding rows (``_Spare``)
        self._spare: _Spare | None = None
        # this process's count of Chroma writes to the collection when the snapshot was
        # taken (``Index._writes``); None for a snapshot read from a file
        self.writes: int | None = None
        # the vectors file this snapshot was saved to or loaded from, and its rows in it;
        # and for a snapshot ``updated`` from a saved one by adding rows only, the saved
        # one's, which ``save`` appends the new rows to
        self.stored: tuple[Path, int] | None = None
        self.grows: tuple[Path, int] | None = None

    @classmethod
    def of(
        cls, meta: dict[str, Any], ids: list[str], vectors: list[Any], metas: list[Any]
    ) -> Snapshot:
        import numpy as np

        def column(key: str) -> Any:
            return np.array([str(m.get(key, "")) for m in metas], dtype=str)

        arrays: dict[str, Any] = {
            "ids": np.array(ids, dtype=str),
            "vectors": (
                np.asarray(vectors, dtype=np.float32)
                if ids
                else np.zeros((0, meta["identity"]["dimension"]), dtype=np.float32)
            ),
            "entry_id": np.array([int(m["entry_id"]) for m in metas], dtype=np.int64),
            "doc": column("doc"),
            "kind": column("kind"),
            "status": column("status"),
            "lang": column("lang"),
        }
        for r in REGISTERS:
            arrays[f"reg_{r}"] = np.array([bool(m.get(f"reg_{r}")) for m in metas], dtype=bool)
        return cls(meta, arrays)

    def arrays(self) -> dict[str, Any]:
        return dict(self._arrays)

    def updated(self, meta: dict[str, Any], ids: list[str], fresh: Snapshot) -> Snapshot | None:
        """The snapshot of a collection that now holds ``ids`` (in Chroma's order), whose
        documents in ``fresh`` were written since this one was taken and the others not:
        what ``of`` gives from reading every document again, without reading them. None if
        an id is in neither (this snapshot is not the collection's past)."""
        import numpy as np

        old, new = self.arrays(), fresh.arrays()
        if old.keys() != new.keys():
            return None
        n = len(self.ids)
        if ids[:n] == self.ids and fresh._row.keys().isdisjoint(self._row.keys()):
            # documents only added (an import, a new entry): this snapshot's rows as they
            # are, then the new ones; without asking every id where it is (half of an added
            # entry's snapshot upkeep at 5k entries)
            tail = [fresh._row.get(doc_id) for doc_id in ids[n:]]
            if None in tail:
                return None
            added = ids[n:]
            spare = _Spare.after(self, {key: new[key][tail] for key in new})
            row = dict(self._row)
            row.update(zip(added, range(n, n + len(added)), strict=True))
            snapshot = Snapshot(meta, spare.rows(n + len(added)), [*self.ids, *added], row)
            snapshot._spare = spare
            snapshot.grows = self.stored
            return snapshot
        old_at: list[int] = []
        old_rows: list[int] = []
        new_at: list[int] = []
        new_rows: list[int] = []
        for at, doc_id in enumerate(ids):
            row = fresh._row.get(doc_id)
            if row is not None:
                new_at.append(at)
                new_rows.append(row)
                continue
            row = self._row.get(doc_id)
            if row is None:
                return None
            old_at.append(at)
            old_rows.append(row)
        # old rows dropped only at the end: the rest first and in their order, then the new
        kept = len(old_rows)
        in_place = old_rows == list(range(kept)) and old_at == old_rows
        merged: dict[str, Any] = {}
        for key, values in old.items():
            out = np.empty((len(ids), *values.shape[1:]), np.result_type(values, new[key]))
            if in_place:
                out[:kept] = values[:kept]
            else:
                out[old_at] = values[old_rows]
            out[new_at] = new[key][new_rows]
            if out.dtype.kind == "U":  # strings as ``of`` makes them: as wide as the longest
                out = out.astype(f"<U{max(1, int(np.char.str_len(out).max(initial=0)))}")
            merged[key] = out
        return Snapshot(meta, merged)

    def save(self, path: Path) -> None:
        """The small arrays in ``path`` (``<lexicon>.npz``), the vectors as raw float32 rows
        in a file of their own that it names with its count of rows. A snapshot that only
        adds documents to the one saved before (a drain of new entries) appends their rows
        to that file: rewriting every vector made a tenth of a bulk import's drains at 10k
        entries (40 MB a drain) and most of an added entry's, where the new rows are a few
        KB. A reader reads as many rows as its ``.npz`` says, so rows appended after it was
        written, or by a writer that died before writing it, are never read. A snapshot
        that changes or drops a saved row gets a new file; the others are removed once the
        ``.npz`` names it (a reader that opened one reads on; one that had not yet finds it
        gone and reads the ``.npz`` again: ``load``)."""
        import json

        import numpy as np

        vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        row = vectors.shape[1] * vectors.itemsize
        with _SNAPSHOT_FILES:
            file = None
            if self.grows is not None:
                base, rows = self.grows
                try:
                    if base.stat().st_size == rows * row:  # as that snapshot left it
                        with base.open("r+b") as f:
                            f.seek(rows * row)
                            _write_rows(f, vectors[rows:])
                        file = base
                except OSError:
                    file = None
            if file is None:
                path.parent.mkdir(parents=True, exist_ok=True)
                file = path.with_name(f"{path.stem}.{os.urandom(6).hex()}.vectors")
                with file.open("wb") as f:
                    _write_rows(f, vectors)
            arrays = self.arrays()
            del arrays["vectors"]
            place = {"file": file.name, "rows": len(self.ids)}
            _save_arrays(path, self.meta, {**arrays, "vectors_at": np.array(json.dumps(place))})
            self.stored, self.grows = (file, len(self.ids)), None
            _remove_vectors(path, keep=file)

    @classmethod
    def load(cls, path: Path) -> Snapshot | None:
        """The snapshot saved at ``path``, or None. A writer may replace the vectors file
        between our reading the ``.npz`` and opening the file it names: then the ``.npz``
        is read again, as the writer left it."""
        import json

        import numpy as np

        for _ in range(3):
            found = _load_arrays(path, SNAPSHOT_FORMAT)
            if found is None or "vectors_at" not in found[1]:
                return None
            meta, arrays = found
            try:
                place = json.loads(str(arrays.pop("vectors_at")))
                rows, dimension = int(place["rows"]), int(meta["identity"]["dimension"])
                file = path.with_name(str(place["file"]))
                if not _vectors_file(path).fullmatch(file.name) or rows != len(arrays["ids"]):
                    return None
                vectors = np.fromfile(file, dtype=np.float32, count=rows * dimension)
            except FileNotFoundError:
                continue
            except (OSError, ValueError, KeyError, TypeError):
                return None
            if vectors.size != rows * dimension:
                return None
            snapshot = cls(meta, {**arrays, "vectors": vectors.reshape(rows, dimension)})
            snapshot.stored = (file, rows)
            return snapshot
        return None

    def nearest(
        self,
        queries: Any,
        k: int,
        kind: str | None,
        register: str | None,
        lang: str | None,
        status: str | None,
    ) -> list[list[VectorHit]]:
        """Per query, the top-k entries by their best document, as ``_best_per_entry`` makes
        them of Chroma's answer for ``4 * k`` documents: by exact cosine distance over every
        document (vectors are unit length: 1 - dot), the documents of another status left
        out of those. Done in arrays: picking the entries out of each query's documents one
        by one in Python made the search 2.3 ms of a 13 ms encode at 1k entries (1.6 now)."""
        import numpy as np

        mask = np.ones(len(self.ids), dtype=bool)
        if kind:
            mask &= self.kind == kind
        if register:
            if register not in REGISTERS:
                raise ConfigError(f"unknown register {register!r}")
            mask &= self.registers[register]
        if lang:
            mask &= self.lang == lang
        from .embeddings import one_blas_thread

        rows = np.flatnonzero(mask)
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.vectors.shape[1])
        if not len(rows):
            return [[] for _ in range(len(queries))]
        # unfiltered, the matrix itself (a copy of it cost as much as the product); one BLAS
        # thread, as the embedder runs: a small product split over threads waits for a busy
        # core (29 ms instead of 4 for ten queries over 2,000 documents on a loaded machine).
        # The documents on the left: OpenBLAS multiplies a tall matrix by a few query columns
        # in 0.5-0.7 of the time it takes the same product the other way round (2 to 16
        # queries over 8,000 documents; bench/index_bench.py prints the pair)
        matrix = self.vectors if len(rows) == len(self.ids) else self.vectors[rows]
        with one_blas_thread():
            distances = np.ascontiguousarray((np.float32(1.0) - matrix @ queries.T).T)
        out = []
        for d in distances:
            top = _first(d, 4 * k)  # documents, nearest first (ties in document order)
            at = rows[top]
            if status:
                kept = self.status[at] == status
                top, at = top[kept], at[kept]
            # an entry's first document is its best
            entries = self.entry_id[at]
            _, first = np.unique(entries, return_index=True)
            scores = (1.0 - d[top[first]].astype(np.float64)).tolist()
            ids = entries[first].tolist()
            docs = self.doc[at[first]].tolist()
            best = sorted(zip(scores, ids, docs, strict=True), key=lambda h: (-h[0], h[1]))
            out.append([VectorHit(i, score, doc) for score, i, doc in best[:k]])
        return out

    def vectors_of(self, ids: Sequence[str]) -> dict[str, Any]:
        return {i: self.vectors[self._row[i]] for i in ids if i in self._row}


class Projections:
    """Each document's cosine with the embedder's common centre, for a collection too big for
    a snapshot (``<home>/snapshots/<lexicon>.centre.npz``, labelled as a snapshot is).

    Ranking a search from the centre (``Index._from_centre``) needs, of each hit, the plain
    cosine Chroma gives with it and where the document lies against the centre; with a unit
    query q, a unit document d and the centre c, the cosine from the centre is
    (q·d − q·c − d·c + c·c) / (|q − c| · √(1 − 2 d·c + c·c)). Keeping d·c, one number a
    document, spares reading every hit's vector back from Chroma: a ``get`` of about 40
    vectors an encode, 2 ms of a 14 ms warm encode at 100k entries (bench/bridge_bench.py)."""

    def __init__(self, meta: dict[str, Any], ids: Any, dots: Any) -> None:
        self.meta = meta
        self.ids = ids  # sorted
        self.dots = dots
        self.writes: int | None = None  # as ``Snapshot.writes``

    @classmethod
    def of(cls, meta: dict[str, Any], dots: dict[str, float]) -> Projections:
        import numpy as np

        ids = np.array(sorted(dots), dtype=str)
        return cls(meta, ids, np.array([dots[i] for i in ids.tolist()], dtype=np.float64))

    def updated(
        self, meta: dict[str, Any], dots: dict[str, float], removed: set[str]
    ) -> Projections:
        """These projections after a drain that wrote ``dots`` and deleted ``removed``."""
        import numpy as np

        keep = ~np.isin(self.ids, np.array([*dots, *removed], dtype=str))
        ids = np.concatenate([self.ids[keep], np.array(list(dots), dtype=str)])
        values = np.concatenate([self.dots[keep], np.array(list(dots.values()), np.float64)])
        order = np.argsort(ids, kind="stable")
        return Projections(meta, ids[order], values[order])

    def of_ids(self, ids: Sequence[str]) -> dict[str, float]:
        import numpy as np

        if not len(ids) or not len(self.ids):
            return {}
        asked = np.array(list(ids), dtype=str)
        at = np.minimum(np.searchsorted(self.ids, asked), len(self.ids) - 1)
        found = self.ids[at] == asked
        return dict(zip(asked[found].tolist(), self.dots[at[found]].tolist(), strict=True))

    def save(self, path: Path) -> None:
        _save_arrays(path, self.meta, {"ids": self.ids, "dots": self.dots})

    @classmethod
    def load(cls, path: Path) -> Projections | None:
        found = _load_arrays(path, PROJECTIONS_FORMAT)
        if found is None or not {"ids", "dots"} <= found[1].keys():
            return None
        return cls(found[0], found[1]["ids"], found[1]["dots"])


_SNAPSHOT_FILES = threading.Lock()  # one writer of snapshot files at a time in a process


class _Spare:
    """A snapshot's columns with room for more rows, so a drain that adds a few documents to
    a snapshot of thousands writes the new rows after the old instead of copying every
    column (the vectors are 20 MB at 10k documents: 4.7 of the 14 ms the snapshot's upkeep
    took after an added entry at 5k entries, under cProfile). A snapshot made from one is a
    view of its first rows; rows below ``used`` are never written again, so the snapshot
    that was extended, and any reader still holding it, see what they saw. Only the snapshot
    holding the last rows written may extend it in place; one made from an older snapshot,
    or a column that needs a wider type (a longer string), gets new arrays."""

    GROWTH = 1.5  # capacity for this many times the rows, when new arrays are made

    _lock = threading.Lock()

    def __init__(self, columns: dict[str, Any], used: int) -> None:
        self.columns = columns
        self.used = used

    @classmethod
    def after(cls, snapshot: Snapshot, new: dict[str, Any]) -> _Spare:
        """The spare arrays holding ``snapshot``'s rows and then ``new``'s."""
        import numpy as np

        n = len(snapshot.ids)
        m = len(new["ids"])
        old = snapshot._arrays
        with cls._lock:
            spare = snapshot._spare
            if spare is None or spare.used != n or len(spare.columns["ids"]) < n + m:
                spare = None
            capacity = len(spare.columns["ids"]) if spare else max(n + m, int(cls.GROWTH * (n + m)))
            columns: dict[str, Any] = {}
            for key, values in new.items():
                dtype = np.result_type(old[key], values)
                column = spare.columns[key] if spare else None
                if column is None or column.dtype != dtype:
                    column = np.empty((capacity, *values.shape[1:]), dtype)
                    column[:n] = old[key]
                column[n : n + m] = values
                columns[key] = column
            if spare is not None:
                spare.columns, spare.used = columns, n + m
                return spare
            return cls(columns, n + m)

    def rows(self, n: int) -> dict[str, Any]:
        return {key: column[:n] for key, column in self.columns.items()}


def _write_rows(f: Any, rows: Any) -> None:
    """A C-contiguous array's bytes, without copying them (a view of no rows has none)."""
    if rows.size:
        f.write(memoryview(rows).cast("B"))


def _vectors_file(path: Path) -> re.Pattern[str]:
    """The names of the vectors files of the snapshot at ``path`` (``<lexicon>.npz``)."""
    return re.compile(rf"{re.escape(path.stem)}\.[0-9a-f]{{12}}\.vectors")


def _remove_vectors(path: Path, keep: Path | None = None) -> None:
    """Remove the vectors files of the snapshot at ``path``, but ``keep``."""
    pattern = _vectors_file(path)
    with contextlib.suppress(FileNotFoundError):
        for file in path.parent.iterdir():
            if pattern.fullmatch(file.name) and file != keep:
                file.unlink(missing_ok=True)


def _save_arrays(path: Path, meta: dict[str, Any], arrays: dict[str, Any]) -> None:
    """Arrays and their label in one ``.npz``, written whole or not at all (a temporary
    file, then a rename): a reader in another process sees the old file or the new one."""
    import json

    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with temporary.open("wb") as f:
        np.savez(f, meta=np.array(json.dumps(meta)), **arrays)
    os.replace(temporary, path)


def _load_arrays(path: Path, form: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """What ``_save_arrays`` wrote, if it is there, readable and of this format."""
    import json

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != form:
                return None
            return meta, {k: z[k] for k in z.files if k != "meta"}
    except (OSError, ValueError, KeyError):
        return None


def _first(d: Any, n: int) -> Any:
    """``np.argsort(d, kind="stable")[:n]`` without sorting all of ``d``: every value below the
    n-th smallest, and those equal to it in index order, sorted stably (the same positions)."""
    import numpy as np

    if n >= len(d):
        return np.argsort(d, kind="stable")[:n]
    nth = np.partition(d, n - 1)[n - 1]
    candidates = np.flatnonzero(d <= nth)
    return candidates[np.argsort(d[candidates], kind="stable")[:n]]


# --- the index ----------------------------------------------------------------------------


_REBUILDS: dict[tuple[str, str], threading.Lock] = {}
_REBUILDS_GUARD = threading.Lock()


def _rebuild_lock(target: str, lexicon: str) -> threading.Lock:
    """One rebuild of a lexicon's collection at a time in this process: a second would delete
    the ``next`` collection the first is filling (two rebuild jobs on a server's workers)."""
    with _REBUILDS_GUARD:
        return _REBUILDS.setdefault((target, lexicon), threading.Lock())


class Index:
    """The Chroma side of one store, with one embedder."""

    # per (index target, lexicon): how many times any Index of this process wrote to the
    # collection (a batch of an apply, a rebuild, a repair). A snapshot remembers the count
    # it was taken at; a drain that finds it unchanged but for its own writes updates the
    # snapshot with what it wrote instead of reading every document again.
    _write_counts: ClassVar[dict[tuple[str, str], int]] = {}
    _write_guard = threading.Lock()

    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, store: Store | None = None
    ) -> None:
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        self.settings = settings
        self.store = store  # lets the index rebuild itself from SQL when Chroma is damaged
        self._embedder = embedder
        self._client: Any = None
        self.repairs: list[str] = []
        # per lexicon, its collection as checked against the embedder: a handle and a check
        # cost about a millisecond, on every query (forgotten when this index changes the
        # collection, and when Chroma says another process did)
        self._collections: dict[str, Any] = {}
        self._identity_of: dict[str, Any] | None = None
        # snapshots (see the module's docstring): what a caller vouched for, what is loaded,
        # and the revision at which a collection was found too big to snapshot
        self._vouched: dict[str, int] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self._too_big: dict[str, int] = {}
        # stored vectors read from Chroma (no snapshot), per lexicon, for the revision
        # vouched for: (revision, document id -> vector, or None for no such document)
        self._held: dict[str, tuple[int, dict[str, Any]]] = {}
        # a kind's documents as a snapshot of their own, per (lexicon, kind), for the revision
        # vouched for: (revision, snapshot, or None where the kind has too many documents)
        self._kinds: dict[tuple[str, str], tuple[int, Snapshot | None]] = {}
        # where each document lies against the common centre, per lexicon, for a collection
        # too big for a snapshot (``Projections``); and the centre's key, once computed
        self._projections: dict[str, Projections] = {}
        self._centre_key: str | None = None
        self._snapshot_lock = threading.Lock()
        self._translations: Translations | bool | None = False  # False: not looked up yet
        self._spoken: dict[str, tuple[int, dict[str, float]]] = {}  # gloss languages by lexicon

    def _heal(self, lexicon: str, store: Store | None, op: Callable[[], _T]) -> _T:
        """Run ``op``; if Chroma finds its own files damaged, rebuild the lexicon's collection
        from SQL (the source of truth) and run it once more.

        Embedded Chroma is not safe against a process killed in the middle of a write: its
        HNSW segment can be left unreadable ("Failed to apply logs to the hnsw segment
        writer"). The outbox keeps SQL's side whole; this makes the index whole again.
        """
        try:
            return op()
        except _damage_errors() as exc:
            store = store or self.store
            if store is None:
                raise IndexDamagedError(
                    f"the index of lexicon {lexicon!r} is damaged ({str(exc).splitlines()[0]}): "
                    "run 'hyperlexicon index rebuild'"
                ) from None
            self.repair(store, lexicon, str(exc).splitlines()[0])
            return op()

    def _writes(self, lexicon: str) -> int:
        return self._write_counts.get((self.target, lexicon), 0)

    def _wrote(self, lexicon: str) -> None:
        """Count a write to the lexicon's collection (before it is made: a snapshot taken
        meanwhile is then never updated as if it had seen it), and remove the snapshot's and
        the projections' files, which no longer tell what Chroma holds; a drain saves what it
        keeps in memory after it (``_snapshot_after``, ``_project``). So a file there when a
        drain starts is Chroma as it is, unless the store changed since (``_still_chromas``),
        even after a process that died between writing and saving."""
        with self._write_guard:
            key = (self.target, lexicon)
            self._write_counts[key] = self._write_counts.get(key, 0) + 1
        if not self.settings.chroma_url:
            self.snapshot_path(lexicon).unlink(missing_ok=True)
            self.projections_path(lexicon).unlink(missing_ok=True)

    def _mend(self, lexicon: str) -> None:
        """Rebuild the lexicon's collection from SQL if a check after a crash found it
        damaged (``_check_after_crash``; the client deleted it on opening)."""
        if self.settings.chroma_url:
            return
        self.client  # noqa: B018 (opening the client is what checks the files after a crash)
        found = self._damaged_of(lexicon)
        if not found:
            return
        reason = "; ".join(found.values())
        if self.store is None:
            raise IndexDamagedError(
                f"the index of lexicon {lexicon!r} is damaged ({reason}): "
                "run 'hyperlexicon index rebuild'"
            )
        self.repair(self.store, lexicon, reason)

    def _damaged_of(self, lexicon: str) -> dict[str, str]:
        """The lexicon's collections (its index and a rebuild's next) that a check after a
        crash listed as damaged and no rebuild has replaced yet, each with why."""
        if self.settings.chroma_url:
            return {}
        names = {self.collection_name(lexicon, suffix) for suffix in ("idx", "next")}
        return {n: why for n, why in _damaged(self.settings.index_dir).items() if n in names}

    def repair(self, store: Store, lexicon: str, reason: str = "") -> int:
        """Throw away a damaged collection and rebuild it from SQL."""
        log.warning("index of %r damaged (%s): rebuilding it from SQL", lexicon, reason)
        self._wrote(lexicon)
        self._collections.pop(lexicon, None)
        self.forget_snapshot(lexicon)
        for suffix in ("idx", "next"):
            # already gone, or too damaged to delete cleanly: either way it is not in the way
            with contextlib.suppress(Exception):
                self.client.delete_collection(self.collection_name(lexicon, suffix))
        count = self.rebuild(store, lexicon)
        self.repairs.append(
            f"the index of {lexicon!r} was damaged ({reason}) and was rebuilt from SQL"
        )
        return count

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from .embeddings import get_embedder

            embedder = get_embedder(self.settings.embedding_model)
            if self.settings.embed_threads and hasattr(embedder, "threads"):
                embedder.threads = self.settings.embed_threads  # bulk work's worker threads
            self._embedder = embedder
        return self._embedder

    @property
    def translations(self) -> Translations | None:
        """The bilingual dictionary queries are expanded with (``bilingual``), if any."""
        if self._translations is False:
            from .bilingual import translations_for

            self._translations = translations_for(self.settings.bilingual, self.settings.thesaurus)
        return self._translations  # type: ignore[return-value]

    def speaks(self, lexicon: str, lang: str) -> bool:
        """Whether at least ``SPOKEN`` of the lexicon's entries are glossed in ``lang``
        (one read per revision the caller vouches for)."""
        return self._languages(lexicon).get(lang, 0.0) >= SPOKEN

    def _languages(self, lexicon: str) -> dict[str, float]:
        """``Store.gloss_languages``, kept while the lexicon's revision stays the same: the
        one the caller vouches for, else the last as the store says (a search that no
        bridge vouched for read the shares again each time: 140 ms at 100k entries, against
        a fraction of a millisecond for the revision)."""
        if self.store is None:
            return {}
        cached = self._spoken.get(lexicon)
        if cached is not None:
            revision = self._vouched.get(lexicon)
            if revision is None:
                revision = self.store.last_revision(lexicon)
            if cached[0] == revision:
                return cached[1]
        revision, shares = self.store.gloss_languages(lexicon)
        self._spoken[lexicon] = (revision, shares)
        return shares

    @property
    def target(self) -> str:
        return self.settings.chroma_url or str(self.settings.index_dir)

    @property
    def client(self) -> Any:
        if self._client is None:
            if self.settings.chroma_url:
                self._client = http_client(self.settings.chroma_url)
            else:
                self._client = _Embedded.client(self.settings.index_dir)
        return self._client

    def close(self) -> None:
        if self._client is not None and not self.settings.chroma_url:
            _Embedded.release(self.settings.index_dir)
        self._client = None
        self._collections.clear()

    # --- collections ------------------------------------------------------------------

    @staticmethod
    def collection_name(lexicon: str, suffix: str = "idx") -> str:
        return f"hl.{lexicon}.{suffix}"

    def _identity(self) -> dict[str, Any]:
        if self._identity_of is None:
            e = self.embedder
            self._identity_of = {
                "embedder": e.name,
                "model": e.model,
                "dimension": int(e.dimension),
                "schema": SCHEMA,
            }
        return dict(self._identity_of)

    def _find(self, name: str) -> Any | None:
        from chromadb.errors import NotFoundError as ChromaNotFound

        try:
            return self.client.get_collection(name, embedding_function=None)
        except (ChromaNotFound, ValueError):
            return None

    def _create(self, name: str, lexicon: str, *, complete: bool) -> Any:
        return self.client.create_collection(
            name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={**self._identity(), "lexicon": lexicon, "complete": complete},
            embedding_function=None,
        )

    def collection(self, lexicon: str) -> Any:
        """The lexicon's collection, checked against the current embedder; created if absent.

        A rebuild interrupted after its new collection was complete but before the switch is
        finished here.
        """
        name = self.collection_name(lexicon)
        known = self._collections.get(lexicon)
        if known is not None and known.name == name:  # (not renamed by a rebuild meanwhile)
            return known
        self._mend(lexicon)
        col = self._find(name)
        if col is None:
            pending = self._find(self.collection_name(lexicon, "next"))
            if pending is not None and (pending.metadata or {}).get("complete"):
                pending.modify(name=name)
                col = self._find(name)
            else:
                # several processes may get here at once (a shared Chroma server): one
                # creates it, the others get that one
                col = self.client.get_or_create_collection(
                    name,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={**self._identity(), "lexicon": lexicon, "complete": True},
                    embedding_function=None,
                )
        self._check(col, lexicon)
        self._collections[lexicon] = col
        return col

    def _on_collection(self, lexicon: str, op: Callable[[Any], _T]) -> _T:
        """``op`` on the lexicon's collection; once more on a fresh handle if Chroma no longer
        knows the one this index kept (another process rebuilt it on a shared server)."""
        from chromadb.errors import NotFoundError as ChromaNotFound

        try:
            return op(self.collection(lexicon))
        except ChromaNotFound:
            self._collections.pop(lexicon, None)
            return op(self.collection(lexicon))

    def _check(self, col: Any, lexicon: str) -> None:
        meta = col.metadata or {}
        want = self._identity()
        got = {k: meta.get(k) for k in want}
        if got != want:
            raise IndexMismatchError(
                f"the index of lexicon {lexicon!r} was built with {got['embedder']} "
                f"({got['model']}, {got['dimension']} dims, schema {got['schema']}); the "
                f"current embedder is {want['embedder']} ({want['model']}, "
                f"{want['dimension']} dims, schema {want['schema']}): run "
                "'hyperlexicon index rebuild'"
            )

    # --- sync -------------------------------------------------------------------------

    def drain(
        self,
        store: Store,
        lexicon: str,
        *,
        batch: int = DRAIN_BATCH,
        progress: Callable[[int], None] | None = None,
    ) -> DrainReport:
        """Apply pending outbox rows to Chroma, then delete them. Idempotent."""
        writes = self._writes(lexicon)
        self._projection_basis(store, lexicon, writes)
        report = self._heal(lexicon, store, lambda: self._drain(store, lexicon, batch, progress))
        if report.rows:
            # only this drain wrote since ``writes``: the snapshot may be updated with that
            ours = self._writes(lexicon) == writes + report.applies
            self._snapshot_after(store, lexicon, since=(writes, report) if ours else None)
        return report

    def _drain(
        self,
        store: Store,
        lexicon: str,
        batch: int,
        progress: Callable[[int], None] | None,
    ) -> DrainReport:
        report = DrainReport()
        with store.read() as s:
            lx = store.lexicon_id(s, lexicon)
            if not s.scalar(select(M.Outbox.id).where(M.Outbox.lexicon_id == lx).limit(1)):
                return report
        # (only for a drain with rows to apply: the file is the collection's vectors)
        self._snapshot_basis(store, lexicon, self._writes(lexicon))
        col = self.collection(lexicon)
        claim = self._claimed if store.engine.dialect.name == "postgresql" else self._unclaimed
        while True:
            rows = claim(col, store, lexicon, lx, batch, report)
            if not rows:
                return report
            report.rows += rows
            if progress:
                progress(rows)

    def _unclaimed(
        self, col: Any, store: Store, lexicon: str, lx: int, batch: int, report: DrainReport
    ) -> int:
        """SQLite: one writer at a time (embedded Chroma even takes the whole directory), so
        the rows are read, applied, then deleted; a second drain at worst repeats the work."""
        with store.read() as s:
            rows = s.execute(
                select(M.Outbox.id, M.Outbox.entry_id)
                .where(M.Outbox.lexicon_id == lx)
                .order_by(M.Outbox.id)
                .limit(batch)
            ).all()
        if not rows:
            return 0
        self._apply(col, store, lexicon, sorted({r.entry_id for r in rows}), report)
        with store.write() as s:
            s.execute(delete(M.Outbox).where(M.Outbox.id.in_([r.id for r in rows])))
        return len(rows)

    def _claimed(
        self, col: Any, store: Store, lexicon: str, lx: int, batch: int, report: DrainReport
    ) -> int:
        """PostgreSQL, where several servers and CLI processes drain at once: a batch of rows
        is claimed (``FOR UPDATE SKIP LOCKED``: others take the next rows), applied to Chroma
        and deleted in the transaction that holds the claim. A process killed in between
        leaves the rows as they were (the dead connection's transaction rolls back) for the
        next drain; Chroma may hold part of the batch already, which the next apply finds
        in place and does not embed again. Two changes of one entry claimed by two processes
        are applied one after the other (an advisory lock per entry, taken in id order, held
        to the commit), each reading the entry as it is then: an older state is never written
        over a newer one."""
        with store.write() as s:
            rows = s.execute(
                select(M.Outbox.id, M.Outbox.entry_id)
                .where(M.Outbox.lexicon_id == lx)
                .order_by(M.Outbox.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            entry_ids = sorted({r.entry_id for r in rows})
            s.execute(
                sql(
                    "SELECT pg_advisory_xact_lock(:ns, e) FROM "
                    "(SELECT unnest(CAST(:ids AS integer[])) AS e ORDER BY 1) AS ordered"
                ),
                {"ns": OUTBOX_LOCKS, "ids": entry_ids},
            )
            self._apply(col, store, lexicon, entry_ids, report)
            s.execute(delete(M.Outbox).where(M.Outbox.id.in_([r.id for r in rows])))
        return len(rows)

    def _apply(
        self, col: Any, store: Store, lexicon: str, entry_ids: Sequence[int], report: DrainReport
    ) -> None:
        """Make Chroma hold exactly the current documents of these entries."""
        new = self._holds_none(lexicon, entry_ids)
        self._wrote(lexicon)
        report.applies += 1
        current = store.get_many(lexicon, entry_ids)
        existing = (
            {"ids": [], "metadatas": []}
            if new
            else col.get(where={"entry_id": {"$in": list(entry_ids)}}, include=["metadatas"])
        )
        have = dict(zip(existing["ids"], existing["metadatas"], strict=True))
        wanted: dict[str, tuple[str, dict[str, Any]]] = {}
        for entry_id, stored in current.items():
            for lang, text in documents(stored.data):
                wanted[f"{entry_id}:{lang}"] = (text, metadata(entry_id, stored.data, lang, text))
        gone = [i for i in have if i not in wanted]
        for i in (*gone, *have):  # written before in this drain: Chroma may have merged
            report.added.pop(i, None)
        if gone:
            col.delete(ids=gone)
            report.deleted += len(gone)
            report.removed.update(gone)
        embed = [
            i
            for i, (_, m) in wanted.items()
            if (have.get(i) or {}).get("text_hash") != m["text_hash"]
        ]
        embedding = set(embed)  # (a list: a drain of 1,000 documents made a million tests)
        relabel = [
            i
            for i, (_, m) in wanted.items()
            if i not in embedding and have[i].get("entry_hash") != m["entry_hash"]
        ]
        if relabel:  # same text, other metadata (status, weight, registers): no re-embedding
            report.written.update(relabel)
            col.update(ids=relabel, metadatas=[wanted[i][1] for i in relabel])
            report.updated += len(relabel)
        report.written.update(embed)
        report.removed.difference_update(embed)
        for chunk in _chunks(embed, UPSERT_BATCH):
            texts = [wanted[i][0] for i in chunk]
            vectors = self.embedder.encode(texts)
            col.upsert(ids=list(chunk), embeddings=vectors, metadatas=[wanted[i][1] for i in chunk])
            report.embedded += len(chunk)
            if len(report.added) + len(chunk) <= SNAPSHOT_MAX:
                from .embeddings import normalize

                units = normalize(vectors)
                report.added.update(
                    (i, (wanted[i][1], units[j])) for j, i in enumerate(chunk) if i not in have
                )

    def _holds_none(self, lexicon: str, entry_ids: Sequence[int]) -> bool:
        """Whether the collection holds no document of these entries, as the snapshot this
        process keeps says when nothing has written to the collection since it was taken or
        vouched for (``_snapshot_basis``: one read from a file says nothing until then, nor
        one taken before a write). Asking Chroma for the documents of entries just added,
        which it does not hold, was 2 of the 14 ms an added entry's drain spent beyond the
        embedder and Chroma's upsert at 5k entries (cProfile)."""
        known = self._snapshots.get(lexicon)
        if known is None or known.writes is None or known.writes != self._writes(lexicon):
            return False
        import numpy as np

        return not np.isin(np.asarray(entry_ids, dtype=np.int64), known.entry_id).any()

    def rebuild(
        self, store: Store, lexicon: str, *, progress: Callable[[int], None] | None = None
    ) -> int:
        """Embed every entry into a fresh collection, then switch to it. Returns documents."""
        with _rebuild_lock(self.target, lexicon):
            return self._rebuild(store, lexicon, progress)

    def _rebuild(self, store: Store, lexicon: str, progress: Callable[[int], None] | None) -> int:
        self._wrote(lexicon)
        next_name = self.collection_name(lexicon, "next")
        if self._find(next_name) is not None:
            self.client.delete_collection(next_name)
        col = self._create(next_name, lexicon, complete=False)
        count = 0
        batch: list[tuple[str, str, dict[str, Any]]] = []

        def flush() -> None:
            nonlocal count
            if not batch:
                return
            vectors = self.embedder.encode([t for _, t, _ in batch])
            col.add(
                ids=[i for i, _, _ in batch], embeddings=vectors, metadatas=[m for _, _, m in batch]
            )
            count += len(batch)
            batch.clear()

        for stored in store.iter_entries(lexicon):
            for lang, text in documents(stored.data):
                batch.append(
                    (
                        f"{stored.id}:{lang}",
                        text,
                        metadata(stored.id, stored.data, lang, text),
                    )
                )
            if len(batch) >= UPSERT_BATCH:
                flush()
            if progress:
                progress(1)
        flush()
        col.modify(metadata={**self._identity(), "lexicon": lexicon, "complete": True})
        name = self.collection_name(lexicon)
        self._collections.pop(lexicon, None)
        self.forget_snapshot(lexicon)
        if self._find(name) is not None:
            self.client.delete_collection(name)
        self._wrote(lexicon)
        col.modify(name=name)
        if not self.settings.chroma_url:  # whatever a crash damaged of it is gone now
            _sweep(self.settings.index_dir)
            mended = self._damaged_of(lexicon)
            if mended:
                damaged = _damaged(self.settings.index_dir)
                _set_damaged(
                    self.settings.index_dir, {n: w for n, w in damaged.items() if n not in mended}
                )
        # Changes made while we were building are still in the outbox, so the next drain
        # applies them; rows whose change the new collection already holds are harmless.
        return count

    # --- snapshots --------------------------------------------------------------------

    def note_synced(self, lexicon: str, revision: int) -> None:
        """The caller saw the lexicon's outbox empty at ``revision`` (``Store.state``): a
        snapshot of that revision may answer its queries (see the module's docstring)."""
        self._vouched[lexicon] = revision

    def snapshot_path(self, lexicon: str) -> Path:
        return self.settings.home / "snapshots" / f"{lexicon}.npz"

    def projections_path(self, lexicon: str) -> Path:
        return self.settings.home / "snapshots" / f"{lexicon}.centre.npz"

    def forget_snapshot(self, lexicon: str, *, projections: bool = True) -> None:
        """Drop the lexicon's snapshot (and, unless told not to, its projections): in memory
        and on disk."""
        with self._snapshot_lock:
            if projections:
                self._projections.pop(lexicon, None)
                self.projections_path(lexicon).unlink(missing_ok=True)
            self._snapshots.pop(lexicon, None)
            self._held.pop(lexicon, None)
            self._too_big.pop(lexicon, None)
            for key in [key for key in self._kinds if key[0] == lexicon]:
                self._kinds.pop(key, None)
            self.snapshot_path(lexicon).unlink(missing_ok=True)
            with _SNAPSHOT_FILES:
                _remove_vectors(self.snapshot_path(lexicon))

    def _usable_snapshot(self, lexicon: str) -> Snapshot | None:
        revision = self._vouched.get(lexicon)
        if revision is None or self.settings.chroma_url or self.store is None:
            return None
        snapshot = self._snapshots.get(lexicon)
        if snapshot is None or snapshot.meta["revision"] != revision:
            snapshot = Snapshot.load(self.snapshot_path(lexicon))
            if snapshot is None:
                return None
            self._snapshots[lexicon] = snapshot
        meta = snapshot.meta
        if meta["revision"] != revision or meta["lexicon_id"] != self.store.lexicon_key(lexicon):
            return None
        return snapshot if meta["identity"] == self._identity() else None

    def _snapshot_after(
        self, store: Store, lexicon: str, *, since: tuple[int, DrainReport] | None = None
    ) -> None:
        """Take a snapshot of the collection if the outbox is empty and it is small enough.
        The state is read first: what is read from Chroma after it is that revision or
        newer. Best effort: an index without a snapshot is only slower to open.

        ``since``: (count, report) when only the drain of ``report`` wrote to the collection
        since this process's write count was ``count``. If the snapshot in memory was taken
        at that count, it is updated: the collection's ids are listed (in Chroma's order),
        the documents the drain changed are read (not those it added: their metadata and
        vectors are what it wrote), instead of every document (a bulk import drained in
        chunks read the whole collection after each one)."""
        if self.settings.chroma_url:
            return
        state = store.state(lexicon)
        if state.pending or self._too_big.get(lexicon) == state.revision:
            return
        known = self._snapshots.get(lexicon)
        if known is not None and known.meta["revision"] == state.revision:
            return
        try:
            col = self.collection(lexicon)
            writes = self._writes(lexicon)  # before reading: a write meanwhile makes it stale
            meta = {
                "format": SNAPSHOT_FORMAT,
                "revision": state.revision,
                "lexicon_id": store.lexicon_key(lexicon),
                "identity": self._identity(),
            }
            snapshot = None
            if (
                since is not None
                and known is not None
                and known.writes == since[0]
                and known.meta["identity"] == meta["identity"]
                and known.meta["lexicon_id"] == meta["lexicon_id"]
            ):
                ids = _ids_after(col, known, since[1])
                if len(ids) > SNAPSHOT_MAX:
                    self._project(col, lexicon, meta, writes, since, known)
                    self.forget_snapshot(lexicon, projections=False)
                    self._too_big[lexicon] = state.revision
                    return
                held = set(ids)
                added = {i: v for i, v in since[1].added.items() if i in held}
                fresh = self._read_snapshot(
                    col, meta, sorted((since[1].written & held) - set(added)), added
                )
                snapshot = known.updated(meta, ids, fresh)
            if snapshot is None:
                if col.count() > SNAPSHOT_MAX:
                    if since is not None:  # (a drain's: a query never reads every vector)
                        basis = known if known is not None and known.writes == since[0] else None
                        self._project(col, lexicon, meta, writes, since, basis)
                    self.forget_snapshot(lexicon, projections=False)
                    self._too_big[lexicon] = state.revision
                    return
                snapshot = self._read_snapshot(col, meta, None)
            snapshot.writes = writes
            with self._snapshot_lock:
                snapshot.save(self.snapshot_path(lexicon))
                self._snapshots[lexicon] = snapshot
                # a collection that fits a snapshot again has no projections
                self._projections.pop(lexicon, None)
                self.projections_path(lexicon).unlink(missing_ok=True)
        except OSError as exc:
            log.info("no snapshot of %r's index (%s)", lexicon, exc)

    def _centre_id(self, centre: Any) -> str:
        if self._centre_key is None:
            self._centre_key = hashlib.sha256(centre.tobytes()).hexdigest()[:16]
        return self._centre_key

    def _projection_basis(self, store: Store, lexicon: str, writes: int) -> None:
        """Before a drain writes: the projections it will update, from memory, or else from
        the file a process left at the revision where the outbox was last empty (Chroma held
        exactly that revision's documents then, and every write since either is in the
        outbox still, for this drain to apply, or deleted the file before it was made:
        ``_apply``). Embedded Chroma has one process at a time (the directory lock)."""
        if self.settings.chroma_url:
            return
        known = self._projections.get(lexicon)
        if known is not None and known.writes == writes:
            return
        path = self.projections_path(lexicon)
        if not path.exists():
            return
        loaded = Projections.load(path)
        if loaded is not None and self._still_chromas(store, lexicon, loaded.meta):
            loaded.writes = writes
            self._projections[lexicon] = loaded

    def _snapshot_basis(self, store: Store, lexicon: str, writes: int) -> None:
        """Before a drain writes: the snapshot it will update, from memory, or else from the
        file a process left, on the same grounds as ``_projection_basis``. Without it a
        drain in a new process (``lex add``) read every document back from Chroma to make
        its snapshot: 0.9 of the 2.8 s an entry added to a 5k-entry lexicon took, under
        cProfile."""
        if self.settings.chroma_url:
            return
        known = self._snapshots.get(lexicon)
        if known is not None and known.writes == writes:
            return
        loaded = Snapshot.load(self.snapshot_path(lexicon))
        if loaded is not None and self._still_chromas(store, lexicon, loaded.meta):
            loaded.writes = writes
            self._snapshots[lexicon] = loaded

    def _still_chromas(self, store: Store, lexicon: str, meta: dict[str, Any]) -> bool:
        """Whether a snapshot's or projections' file, labelled ``meta``, still tells what
        Chroma holds: of this lexicon and embedder, and no entry changed since its revision
        but one the outbox still holds. (A drain removes the files before it writes; a
        writer that knew no such files, an older version, left them as they were, but its
        drain took the changes it applied out of the outbox.)"""
        if meta.get("lexicon_id") != store.lexicon_key(lexicon):
            return False
        if meta.get("identity") != self._identity():
            return False
        with store.read() as s:
            lx = store.lexicon_id(s, lexicon)
            changed = select(M.Revision.entry_id).where(
                M.Revision.lexicon_id == lx, M.Revision.id > int(meta["revision"])
            )
            pending = select(M.Outbox.entry_id).where(M.Outbox.lexicon_id == lx)
            return s.execute(changed.except_(pending).limit(1)).first() is None

    def _project(
        self,
        col: Any,
        lexicon: str,
        meta: dict[str, Any],
        writes: int,
        since: tuple[int, DrainReport],
        snapshot: Snapshot | None,
    ) -> None:
        """Keep the projections (``Projections``) of a collection too big for a snapshot
        after a drain that alone wrote to it since ``since``'s count: from the projections
        before it, or the snapshot the collection has just outgrown, and the documents it
        wrote (the vectors of those it added are in ``report``; the others are read); with no
        such basis, from every vector in the collection (a bulk import's first drain)."""
        import numpy as np

        from .embeddings import common_centre, normalize

        centre = common_centre(self.embedder)
        meta = {**meta, "format": PROJECTIONS_FORMAT, "centre": self._centre_id(centre)}
        report = since[1]

        def dots(vectors: Any) -> list[float]:
            units = normalize(np.asarray(vectors, dtype=np.float32))
            return (units.astype(np.float64) @ centre.astype(np.float64)).tolist()

        def read(ids: Sequence[str] | None) -> dict[str, float]:
            out: dict[str, float] = {}
            pages = (
                _scan(col, ["embeddings"])
                if ids is None
                else (
                    col.get(ids=list(c), include=["embeddings"]) for c in _chunks(list(ids), 5000)
                )
            )
            for got in pages:
                if len(got["ids"]):
                    out.update(zip(got["ids"], dots(got["embeddings"]), strict=True))
            return out

        known = self._projections.get(lexicon)
        if (
            known is not None
            and known.writes == since[0]
            and known.meta.get("identity") == meta["identity"]
            and known.meta.get("lexicon_id") == meta["lexicon_id"]
            and known.meta.get("centre") == meta["centre"]
        ):
            base: Projections | dict[str, float] | None = known
        elif snapshot is not None:
            base = dict(zip(snapshot.ids, dots(snapshot.vectors), strict=True))
        else:
            base = None
        if base is None:
            projections = Projections.of(meta, read(None))
        else:
            added = report.added
            written: dict[str, float] = {}
            if added:
                written = dict(zip(added, dots([v for _, v in added.values()]), strict=True))
            written.update(read(sorted(report.written - set(added) - report.removed)))
            if isinstance(base, Projections):
                projections = base.updated(meta, written, report.removed)
            else:
                for doc_id in report.removed:
                    base.pop(doc_id, None)
                projections = Projections.of(meta, {**base, **written})
        projections.writes = writes
        with self._snapshot_lock:
            projections.save(self.projections_path(lexicon))
            self._projections[lexicon] = projections

    def _usable_projections(self, lexicon: str, centre: Any) -> Projections | None:
        """The projections of the revision vouched for, from memory or the file."""
        revision = self._vouched.get(lexicon)
        if revision is None or self.settings.chroma_url or self.store is None:
            return None
        held = self._projections.get(lexicon)
        if held is None or held.meta["revision"] != revision:
            path = self.projections_path(lexicon)
            held = Projections.load(path) if path.exists() else None
            if held is None:
                return None
            self._projections[lexicon] = held
        meta = held.meta
        if (
            meta["revision"] != revision
            or meta["lexicon_id"] != self.store.lexicon_key(lexicon)
            or meta["identity"] != self._identity()
            or meta.get("centre") != self._centre_id(centre)
        ):
            return None
        return held

    @staticmethod
    def _read_snapshot(
        col: Any,
        meta: dict[str, Any],
        ids: list[str] | None,
        known: dict[str, tuple[dict[str, Any], Any]] | None = None,
    ) -> Snapshot:
        """A snapshot of the documents ``ids`` read from Chroma, and then of the ``known``
        ones (id: (metadata, unit vector) as written; not read back: Chroma's own unit
        vectors differ from numpy's in the last bits, below 1e-8, which no ranking sees but
        reading 10,000 of them back cost a bulk import 5% of its time); or of every
        document."""
        got_ids: list[str] = []
        vectors: list[Any] = []
        metas: list[Any] = []
        if ids is None:
            for got in _scan(col, ["embeddings", "metadatas"]):
                got_ids += got["ids"]
                vectors += list(got["embeddings"])
                metas += got["metadatas"]
            return Snapshot.of(meta, got_ids, vectors, metas)
        for chunk in _chunks(ids, 5000):
            got = col.get(ids=list(chunk), include=["embeddings", "metadatas"])
            at = {doc_id: j for j, doc_id in enumerate(got["ids"])}
            for doc_id in chunk:
                if doc_id in at:
                    got_ids.append(doc_id)
                    vectors.append(got["embeddings"][at[doc_id]])
                    metas.append(got["metadatas"][at[doc_id]])
        for doc_id, (written, vector) in (known or {}).items():
            got_ids.append(doc_id)
            vectors.append(vector)
            metas.append(written)
        return Snapshot.of(meta, got_ids, vectors, metas)

    # --- reading ----------------------------------------------------------------------

    def query(
        self,
        lexicon: str,
        text: str,
        *,
        k: int = 10,
        kind: str | None = None,
        register: str | None = None,
        status: str | None = None,
        lang: str | None = None,
        centred: bool = False,
    ) -> list[VectorHit]:
        [hits] = self.query_many(
            lexicon,
            [text],
            k=k,
            kind=kind,
            register=register,
            status=status,
            lang=lang,
            centred=centred,
        )
        return hits

    def query_vector(
        self,
        lexicon: str,
        vector: Any,
        *,
        k: int = 10,
        kind: str | None = None,
        register: str | None = None,
        status: str | None = None,
        lang: str | None = None,
    ) -> list[VectorHit]:
        """Top-k entries by their best document; one entry appears once."""
        return self._search(lexicon, vector, k, kind, register, status, lang)[0]

    def query_many(
        self,
        lexicon: str,
        texts: Sequence[str],
        *,
        k: int = 10,
        kind: str | None = None,
        register: str | None = None,
        status: str | None = None,
        lang: str | None = None,
        reads: Store | None = None,
        centred: bool = False,
    ) -> list[list[VectorHit]]:
        """Several queries in one embedding call and one Chroma call: what the bridge does.
        ``reads``: where a Chroma answer's statuses are read (the store by default; the
        bridge's reads of one request, which go on to read the nearest entries themselves).

        With a bilingual dictionary (``bilingual``), a query the lexicon answers from glosses
        of another language (none of its nearest entries is near by a gloss in the query's
        own) is asked again, followed by its words' translations, and each entry keeps its
        better score: the translated words reach glosses that the embedder alone places too
        far away. A lexicon that speaks the query's language is asked as before, since there
        a word-for-word translation adds mostly its wrong senses ("watched" as a wristwatch).

        ``centred``: each query's top-k are the nearest from the common centre among its
        ``RERANK`` times as many nearest by the plain cosine (``_from_centre``)."""
        if not texts:
            return []
        texts = list(texts)
        asked = k * RERANK if centred else k
        vectors = self.embedder.encode(texts)
        results = self._search(lexicon, vectors, asked, kind, register, status, lang, reads)
        asked_by = [[vector] for vector in vectors]
        results = self._translated(
            lexicon, texts, results, asked_by, asked, kind, register, status, lang, reads
        )
        return self._from_centre(lexicon, results, asked_by, k) if centred else results

    def _translated(
        self,
        lexicon: str,
        texts: list[str],
        results: list[list[VectorHit]],
        asked_by: list[list[Any]],
        k: int,
        kind: str | None,
        register: str | None,
        status: str | None,
        lang: str | None,
        reads: Store | None,
    ) -> list[list[VectorHit]]:
        """The queries the lexicon answered from another language's glosses asked again with
        their translations (see ``query_many``); each translated query's vector is added to
        its ``asked_by``."""
        # the dictionary loads (and a second query runs) only for a query the lexicon answered
        # from another language's glosses: never on a lexicon glossed in the query's language
        asked = [(i, dominant_script(t)) for i, t in enumerate(texts)]
        foreign = [i for i, own in asked if own and not _answered_in(results[i], own)]
        if foreign:  # and the lexicon does not speak the language (one read per revision)
            speaks = self._languages(lexicon)
            foreign = [i for i in foreign if speaks.get(asked[i][1] or "", 0.0) < SPOKEN]
        translations = self.translations if foreign else None
        if translations is None:
            return results
        extra = [(i, translations.expand(texts[i])) for i in foreign]
        extra = [(i, t) for i, t in extra if t]
        if not extra:
            return results
        vectors = self.embedder.encode([t for _, t in extra])
        more = self._search(lexicon, vectors, k, kind, register, status, lang, reads)
        for (i, _), hits, vector in zip(extra, more, vectors, strict=True):
            results[i] = _better_of(results[i], hits, k)
            asked_by[i].append(vector)
        return results

    def _search(
        self,
        lexicon: str,
        vectors: Any,
        k: int,
        kind: str | None,
        register: str | None,
        status: str | None,
        lang: str | None,
        reads: Store | None = None,
    ) -> list[list[VectorHit]]:
        """Top-k entries per query vector, by their best document.

        Status is filtered here, not in Chroma: nearly every entry is active, and a Chroma
        ``where`` costs about three times the unfiltered query (18 vs 60 ms on 20k vectors,
        four queries), so we over-fetch and drop the few inactive ones.
        """
        snapshot = self._usable_snapshot(lexicon)
        if snapshot is None and kind:
            snapshot = self._kind(lexicon, kind)
        if snapshot is not None:
            return snapshot.nearest(vectors, k, kind, register, lang, status)
        hits = self._heal(
            lexicon,
            None,
            lambda: self._search_once(lexicon, vectors, k, kind, register, status, lang, reads),
        )
        vouched = self._vouched.get(lexicon)
        if self.store is not None and vouched is not None and self._too_big.get(lexicon) != vouched:
            # (a collection found too big at the revision vouched for stays too big: not one
            # more statement per query to learn it again)
            self._snapshot_after(self.store, lexicon)
        return hits

    def _kind(self, lexicon: str, kind: str) -> Snapshot | None:
        """The documents of one kind, searched exactly in memory, on a collection too big for
        a snapshot, while the revision vouched for stays the same; None where the kind has
        more than ``KIND_MAX`` documents (or nothing was vouched for).

        Chroma answers a query filtered to a kind a few entries have (the Δ-codes the
        archetype layer falls back on) by reading the whole collection's metadata: 100-250 ms
        a query at 100k entries, where the same few hundred vectors take microseconds."""
        revision = self._vouched.get(lexicon)
        if revision is None or self.settings.chroma_url or self.store is None:
            return None
        held = self._kinds.get((lexicon, kind))
        if held is not None and held[0] == revision:
            return held[1]
        got = self._heal(
            lexicon,
            None,
            lambda: self._on_collection(
                lexicon,
                lambda col: col.get(
                    where={"kind": kind},
                    limit=KIND_MAX + 1,
                    include=["embeddings", "metadatas"],
                ),
            ),
        )
        subset = None
        if len(got["ids"]) <= KIND_MAX:
            meta = {"revision": revision, "identity": self._identity()}
            vectors = got["embeddings"] if got["ids"] else []
            subset = Snapshot.of(meta, list(got["ids"]), list(vectors), list(got["metadatas"]))
        self._kinds[(lexicon, kind)] = (revision, subset)
        return subset

    def _search_once(
        self,
        lexicon: str,
        vectors: Any,
        k: int,
        kind: str | None,
        register: str | None,
        status: str | None,
        lang: str | None,
        reads: Store | None = None,
    ) -> list[list[VectorHit]]:
        # no count() first: Chroma answers a short (or empty) collection with fewer results.
        # Only ids and distances: a document's id is "<entry id>:<doc>", and the status is
        # read from SQL. Chroma's metadata of the results (from its own SQLite) was most of
        # a query on a large collection: 24 of 33 ms for ten queries at 133k documents.
        if self.store is not None and (kind or register) and not lang:
            found = self._filtered_here(lexicon, vectors, k, kind, register, status, reads)
            if found is not None:
                return found
        result = self._on_collection(
            lexicon,
            lambda col: col.query(
                query_embeddings=vectors,
                n_results=k * 4,
                where=where(kind, register, None, lang),
                include=["distances"] if self.store is not None else ["metadatas", "distances"],
            ),
        )
        if self.store is None:
            return _best_per_entry(result, k, status)
        ranked = _best_of_ids(result["ids"], result["distances"], k * 4)
        return _of_status(
            ranked, k, status, lambda ids: (reads or self.store).statuses(lexicon, ids)
        )

    def _filtered_here(
        self,
        lexicon: str,
        vectors: Any,
        k: int,
        kind: str | None,
        register: str | None,
        status: str | None,
        reads: Store | None,
    ) -> list[list[VectorHit]] | None:
        """A query filtered by kind or register, asked of Chroma unfiltered for
        ``FILTER_HERE`` times the documents and filtered here by the entries' own kind and
        registers (read from SQL, as the status is); None when a query kept fewer than
        ``k`` entries and Chroma had more to give (then Chroma filters).

        A Chroma ``where`` reads the metadata of the whole collection: a register filter
        took 390 ms a query at 100k entries, a kind that most entries have 700 ms, against
        7 ms unfiltered. The documents kept are the nearest of those that pass: any
        document further down is further away than all of them."""
        where(kind, register)  # an unknown register is an error here as there
        n = k * 4 * FILTER_HERE
        result = self._on_collection(
            lexicon,
            lambda col: col.query(query_embeddings=vectors, n_results=n, include=["distances"]),
        )
        parsed = [[doc_id.split(":", 1) for doc_id in ids] for ids in result["ids"]]
        source = reads or self.store
        assert source is not None
        entries = source.get_many(lexicon, sorted({int(e) for ids in parsed for e, _ in ids}))

        def fits(entry_id: int) -> bool:
            stored = entries.get(entry_id)
            return (
                stored is not None
                and (not kind or stored.data.kind == kind)
                and (not register or register in stored.data.registers)
            )

        kept_ids: list[list[list[str]]] = []
        distances: list[list[float]] = []
        for ids, dists in zip(parsed, result["distances"], strict=True):
            kept = [(pair, d) for pair, d in zip(ids, dists, strict=True) if fits(int(pair[0]))]
            if len(ids) == n and len({pair[0] for pair, _ in kept}) < k:
                return None
            kept_ids.append([pair for pair, _ in kept])
            distances.append([d for _, d in kept])
        statuses = {i: stored.data.status for i, stored in entries.items()}
        return _best_per_entry(
            {"metadatas": _metadatas(kept_ids, statuses), "distances": distances}, k, status
        )

    def vectors(self, lexicon: str, ids: Sequence[str]) -> dict[str, Any]:
        snapshot = self._usable_snapshot(lexicon)
        if snapshot is not None:
            return snapshot.vectors_of(ids)

        def fetch(ids: Sequence[str]) -> dict[str, Any]:
            got = self._on_collection(
                lexicon, lambda col: col.get(ids=list(ids), include=["embeddings"])
            )
            return dict(zip(got["ids"], got["embeddings"], strict=True))

        revision = self._vouched.get(lexicon)
        if revision is None or self.settings.chroma_url:
            return self._heal(lexicon, None, lambda: fetch(ids))
        # A collection too big for a snapshot: the vectors read are kept while the revision
        # vouched for stays the same (a document's vector changes only with a revision). The
        # bridge asks for the same entries' vectors on every encode (the candidates of
        # common words), and a Chroma get was 10 ms each time at 133k documents.
        held_at, held = self._held.get(lexicon, (None, {}))
        if held_at != revision or len(held) > VECTORS_HELD:
            held = {}
            self._held[lexicon] = (revision, held)
        missing = [i for i in dict.fromkeys(ids) if i not in held]
        if missing:
            got = self._heal(lexicon, None, lambda: fetch(missing))
            held.update({i: got.get(i) for i in missing})
        return {i: held[i] for i in ids if held[i] is not None}

    def _from_centre(
        self, lexicon: str, results: list[list[VectorHit]], asked_by: list[list[Any]], k: int
    ) -> list[list[VectorHit]]:
        """Each query's top-k of ``results`` by their documents' cosine measured from the
        embedder's common centre (``embeddings.common_centre``): the nearer of the query's
        own vector and its translation's, kept as the hit's ``nearness``; its ``score``
        stays the plain cosine, which thresholds are set on.

        A plain cosine ranks first the documents near every text (short abstract glosses,
        the "hubs" of the space), so a query's own meaning loses to them; from the centre it
        does not: top-1 of the 1,054 labelled concepts of bench/data against the core+emoji
        lexicon 0.607 → 0.684, of the cross-lingual CLDR names 0.461 → 0.513 (docs/index.md)."""
        from .embeddings import common_centre, from_centre, projected

        # each hit's document id, made once (a warm encode ranks some 300 hits)
        keyed = [[(f"{h.entry_id}:{h.doc}", h) for h in hits] for hits in results]
        ids = list(dict.fromkeys(doc_id for pairs in keyed for doc_id, _ in pairs))
        if not ids:
            return [[] for _ in results]
        centre = common_centre(self.embedder)
        # a query asked once (not also in translation) is ranked by its hits' projections on
        # the centre, where a collection too big for a snapshot keeps them: no vector is read
        projections = None
        if self._usable_snapshot(lexicon) is None and any(len(a) == 1 for a in asked_by):
            projections = self._usable_projections(lexicon, centre)
        dots = projections.of_ids(ids) if projections is not None else {}
        by_dots = [
            len(a) == 1 and all(doc_id in dots for doc_id, _ in pairs)
            for pairs, a in zip(keyed, asked_by, strict=True)
        ]
        wanted = list(
            dict.fromkeys(
                doc_id
                for pairs, d in zip(keyed, by_dots, strict=True)
                if not d
                for doc_id, _ in pairs
            )
        )
        vectors = self.vectors(lexicon, wanted) if wanted else {}
        out = []
        for hits, pairs, asked, projected_ in zip(results, keyed, asked_by, by_dots, strict=True):
            if projected_ and hits:
                best = projected(
                    asked[0], [h.score for h in hits], [dots[d] for d, _ in pairs], centre
                ).tolist()
                kept = hits
            else:
                found = [(vectors[d], h) for d, h in pairs if d in vectors]
                if not found:  # (a document the index lost since it answered is no hit now)
                    out.append([])
                    continue
                kept = [h for _, h in found]
                near = from_centre(asked, [v for v, _ in found], centre)
                best = near.max(axis=0).tolist()
            ranked = sorted(zip(best, kept, strict=True), key=lambda p: (-p[0], p[1].entry_id))
            out.append([replace(h, nearness=n) for n, h in ranked[:k]])
        return out

    def translated(
        self, text: str, entries: Sequence[EntryData], name: float, keyword: float
    ) -> dict[int, tuple[float, str, str]]:
        """Which of ``entries`` have a gloss in another language than the text's as near the
        text, both alone, as a translation is: by position, (score, language, gloss), the
        score the nearness less how far the gloss's threshold is above ``name``'s (an entry's
        name at ``name``, a further gloss at ``keyword``).

        The embedder puts a word next to its translation when both stand alone (ноутбук and
        laptop 0.90, офис and office 0.91), where an entry's document, a dozen glosses in one
        text, stays far under any threshold; and a bilingual dictionary knows no modern word.
        The text's own language is not asked: its glosses are matched by their spelling,
        and the embedder puts words spelled alike near each other («тайм», «тайна»)."""
        own = script_language(text)
        said = [
            [
                (gloss, name if k == 0 else keyword, lang)
                for lang, glosses in data.glosses.items()
                if lang != own
                for k, gloss in enumerate(glosses[:TRANSLATED_GLOSSES])
            ]
            for data in entries
        ]
        return self.as_near(text, said, name)

    def as_near(
        self, text: str, said: Sequence[Sequence[tuple[str, float, str]]], base: float
    ) -> dict[int, tuple[float, str, str]]:
        """For each group of (text, threshold, label) in ``said``, by position, the one
        nearest ``text`` among those as near as their threshold (one embedding call): (its
        nearness less how far its threshold is above ``base``, its label, its text)."""
        flat = [(n, item) for n, group in enumerate(said) for item in group]
        if not flat:
            return {}
        vectors = self.embedder.encode([text, *(item[0] for _, item in flat)])
        sims = (vectors[1:] @ vectors[0]).tolist()
        best: dict[int, tuple[float, str, str]] = {}
        for (n, (other, floor, label)), sim in zip(flat, sims, strict=True):
            score = sim - (floor - base)
            if sim >= floor and (n not in best or score > best[n][0]):
                best[n] = (score, label, other)
        return best

    def closeness(
        self,
        lexicon: str,
        texts: Sequence[str],
        candidates: Sequence[Sequence[int]],
        langs: Sequence[str],
    ) -> list[dict[int, float]]:
        """For each text, its cosine with each of its candidate entries (their document in the
        first of ``langs`` the entry has): how the bridge tells which of several entries a
        word means in its context. One embedding call, one read of stored vectors."""
        import numpy as np

        ids = sorted({c for cs in candidates for c in cs})
        if not texts or not ids:
            return [{} for _ in texts]
        vectors = self.embedder.encode(list(texts))
        # each candidate's document in the first language it has, as one matrix: one product
        # for every text and candidate (a dot product each in Python was a fifth of an encode)
        documents = self._first_documents(lexicon, ids, langs)
        row = {c: n for n, c in enumerate(documents)}
        stored = list(documents.values())
        if not stored:
            return [{} for _ in texts]
        from .embeddings import one_blas_thread

        # one BLAS thread, as in ``search``: this product (40 texts by 150 candidates in a
        # 20-word sentence) took 20 ms on two threads with the other core busy, 0.2 ms on one
        with one_blas_thread():
            sims = (vectors @ np.asarray(stored, dtype=np.float32).T).tolist()
        return [{c: sims[t][row[c]] for c in cs if c in row} for t, cs in enumerate(candidates)]

    # names' vectors by (model, name), for every index of the process: an entry's name is
    # the same text whatever lexicon or revision holds it, so its vector never goes stale
    _names: ClassVar[dict[tuple[str, str], Any]] = {}
    _names_lock = threading.Lock()

    def name_closeness(
        self, texts: Sequence[str], names: Sequence[Sequence[str]]
    ) -> list[list[float]]:
        """For each text, its cosine with each of its names (entries' first glosses).

        An entry's document lists its name and all its keywords, so a word is as near to a
        document that only mentions it («молоко» of 🐄 "cow") as to one named for it (🥛
        «стакан молока»); its name alone says what the entry shows. The names of a
        lexicon's entries come back encode after encode, so their vectors are kept for the
        process (``NAMES_HELD``); the texts, a sentence's words, are the embedder's to keep."""
        import numpy as np

        from .embeddings import one_blas_thread

        if not texts:
            return []
        embedder = self.embedder
        model = f"{embedder.name}:{embedder.model}"
        wanted = list(dict.fromkeys(n for ns in names for n in ns))
        with self._names_lock:
            held = {n: v for n in wanted if (v := self._names.get((model, n))) is not None}
        missing = [n for n in wanted if n not in held]
        if missing:
            computed = embedder.encode(missing)
            with self._names_lock:
                if len(self._names) + len(missing) > NAMES_HELD:
                    self._names.clear()
                for n, vector in zip(missing, computed, strict=True):
                    held[n] = self._names[(model, n)] = np.asarray(vector, dtype=np.float32)
        vectors = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
        out = []
        with one_blas_thread():
            for vector, ns in zip(vectors, names, strict=True):
                rows = np.asarray([held[n] for n in ns], dtype=np.float32).reshape(len(ns), -1)
                out.append((rows @ vector).tolist())
        return out

    def hubness(self, lexicon: str, ids: Sequence[int], langs: Sequence[str]) -> dict[int, float]:
        """Each entry's hubness (``embeddings.hubness``), of its document in the first of
        ``langs`` it has, as ``closeness`` reads it: what a cosine with that document is
        measured against where the document's shape would otherwise decide."""
        from .embeddings import hubness

        found = self._first_documents(lexicon, ids, langs)
        if not found:
            return {}
        return dict(zip(found, hubness(self.embedder, list(found.values())).tolist(), strict=True))

    def _first_documents(
        self, lexicon: str, ids: Sequence[int], langs: Sequence[str]
    ) -> dict[int, Any]:
        """Each entry's stored vector of its document in the first of ``langs`` it has, in
        the order of ``ids`` (one read of the vectors for all of them)."""
        ids = list(dict.fromkeys(ids))
        langs = list(dict.fromkeys(langs))  # Chroma refuses an id asked for twice
        got = self.vectors(lexicon, [f"{i}:{lang}" for i in ids for lang in langs])
        found = {}
        for i in ids:
            vector = next((got[k] for lang in langs if (k := f"{i}:{lang}") in got), None)
            if vector is not None:
                found[i] = vector
        return found

    def status(self, store: Store, lexicon: str) -> dict[str, Any]:
        with store.read() as s:
            lx = store.lexicon_id(s, lexicon)
            pending = s.scalar(select(func.count()).where(M.Outbox.lexicon_id == lx)) or 0
        entries = store.count(lexicon)
        col = self._find(self.collection_name(lexicon))
        meta = (col.metadata or {}) if col is not None else {}
        built = {k: meta.get(k) for k in ("embedder", "model", "dimension", "schema")}
        damaged = self._damaged_of(lexicon)
        return {
            # found torn by the check after a crash, deleted, and not rebuilt yet (``_mend``)
            "damaged": "; ".join(damaged.values()) or None,
            "lexicon": lexicon,
            "target": self.target,
            "collection": self.collection_name(lexicon) if col is not None else None,
            "sql_entries": entries,
            "chroma_documents": col.count() if col is not None else 0,
            "pending_outbox": int(pending),
            "built_with": built if col is not None else None,
            "current_embedder": self._identity(),
            "matches_embedder": col is not None and built == self._identity(),
        }

    def doctor(self, store: Store, lexicon: str, *, fix: bool = False) -> DoctorReport:
        """Compare SQL and Chroma document by document (ids and content hashes); with
        ``fix``, repair. An entry is *missing* if any of its documents is absent, *stale* if
        any carries an old hash or it has documents it should not, *extra* if Chroma holds
        documents of an entry SQL does not have."""
        report = DoctorReport(lexicon)
        col = self.collection(lexicon)
        with store.read() as s:
            lx = store.lexicon_id(s, lexicon)
            report.pending = int(
                s.scalar(select(func.count()).where(M.Outbox.lexicon_id == lx)) or 0
            )
        expected: dict[int, tuple[str, set[str]]] = {
            e.id: (e.data.content_hash(), {f"{e.id}:{key}" for key, _ in documents(e.data)})
            for e in store.iter_entries(lexicon)
        }
        held: dict[int, dict[str, str]] = {}
        for got in _scan(col, ["metadatas"]):
            for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True):
                held.setdefault(int(meta["entry_id"]), {})[doc_id] = str(meta.get("entry_hash"))
        missing, stale = [], []
        for entry_id, (content_hash, doc_ids) in expected.items():
            docs = held.get(entry_id, {})
            if not doc_ids <= set(docs):
                missing.append(entry_id)
            elif set(docs) != doc_ids or any(h != content_hash for h in docs.values()):
                stale.append(entry_id)
        report.missing = [str(i) for i in sorted(missing)]
        report.stale = [str(i) for i in sorted(stale)]
        report.extra = [str(i) for i in sorted(set(held) - set(expected))]
        if fix and not report.clean:
            self._wrote(lexicon)
            self.forget_snapshot(lexicon)  # it may hold what is being fixed
            self.drain(store, lexicon)
            broken = [int(i) for i in (*report.missing, *report.extra, *report.stale)]
            for chunk in _chunks(broken, DRAIN_BATCH):
                self._apply(col, store, lexicon, chunk, DrainReport())
            report.fixed = True
        return report


# --- searching entries: SQL, the index, or both ------------------------------------------------

SEARCH_MODES = ("hybrid", "exact", "semantic")
RRF_K = 60  # reciprocal-rank fusion constant (Cormack et al. 2009)


def search(
    store: Store,
    index: Callable[[], Index],
    lexicon: str,
    query: str,
    *,
    mode: str = "exact",
    limit: int = 20,
    thresholds: Thresholds | None = None,
    **filters: Any,
) -> list[SearchHit]:
    """Search entries. ``exact``: SQL only (forms, glosses, components: exact, lemma,
    prefix, substring). ``semantic``: nearest documents in the vector index (``index`` opens
    it, synced, only for these modes). ``hybrid``: both, fused by reciprocal rank, so a lemma
    hit and a paraphrase both surface. ``thresholds``: the lexicon's (its calibration's), for
    a gloss as near the query as its translation (``_by_translation``); the defaults without."""
    if mode not in SEARCH_MODES:
        raise BadInputError(f"search mode {mode!r}: one of {', '.join(SEARCH_MODES)}")
    if mode == "exact":
        return store.search(lexicon, query, limit=limit, **filters)
    if not query.strip():
        raise BadInputError("search: empty query")
    hits = index().query(lexicon, query, k=limit, centred=True, **filters)
    entries = store.get_many(lexicon, [h.entry_id for h in hits])
    semantic = []
    for h in hits:
        stored = entries.get(h.entry_id)
        if stored is None:  # deleted since the index last heard; the outbox will catch up
            continue
        text = dict(documents(stored.data)).get(h.doc, "")
        semantic.append(SearchHit(stored, "semantic", f"doc:{h.doc}", text, h.score))
    lang = script_language(query)
    if lang is not None and not index().speaks(lexicon, lang):
        semantic = _by_translation(index(), query, semantic, thresholds or Thresholds())
    if mode == "semantic":
        return semantic
    exact = store.search(lexicon, query, limit=limit, **filters)
    return fuse([exact, semantic], limit=limit)


def _by_translation(
    index: Index, query: str, hits: list[SearchHit], t: Thresholds
) -> list[SearchHit]:
    """The hits with a gloss in another language as near the query as its translation is
    (``Index.translated``, at the bridge's thresholds ``t``) first, nearest first, each
    saying that gloss; the rest in the index's order. Asked where the lexicon hardly speaks
    the query's language, as the query's translation is (where it does, a gloss of the
    query's own language would not be asked, and an entry that has only that would fall
    behind). On the emoji glossed in English only, Russian queries found their emoji first
    0.673 of the time instead of 0.631 (``bench/encode_quality.py``)."""
    found = index.translated(
        query, [h.entry.data for h in hits], t.translated_name, t.translated_keyword
    )
    first = sorted(found, key=lambda n: (-found[n][0], n))
    return [
        *(
            SearchHit(hits[n].entry, "semantic", f"gloss:{found[n][1]}", found[n][2], found[n][0])
            for n in first
        ),
        *(h for n, h in enumerate(hits) if n not in found),
    ]


def fuse(rankings: list[list[SearchHit]], *, limit: int) -> list[SearchHit]:
    """Reciprocal-rank fusion: each list votes 1/(60 + rank) for its entries."""
    votes: dict[int, float] = {}
    best: dict[int, list[SearchHit]] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            votes[hit.entry.id] = votes.get(hit.entry.id, 0.0) + 1.0 / (RRF_K + rank)
            best.setdefault(hit.entry.id, []).append(hit)
    order = sorted(votes, key=lambda i: (-votes[i], -best[i][0].score))
    out = []
    for entry_id in order[:limit]:
        hits = best[entry_id]
        first = hits[0]
        out.append(
            SearchHit(
                first.entry,
                "+".join(h.match for h in hits),
                first.field,
                first.text,
                round(votes[entry_id], 6),
            )
        )
    return out


# the glosses per language of each entry compared with a text as its translation (``translated``)
TRANSLATED_GLOSSES = 8
ANSWERED_NEAR = 3  # how many of a query's nearest entries say whether its language is glossed
SPOKEN = 0.5  # a lexicon speaks a language when at least this share of its entries has it


def _answered_in(hits: list[VectorHit], lang: str) -> bool:
    """Did a gloss of the query's own language bring one of its nearest entries?"""
    return not hits or any(h.doc == lang for h in hits[:ANSWERED_NEAR])


def _better_of(hits: list[VectorHit], translated: list[VectorHit], k: int) -> list[VectorHit]:
    """A query's ranking merged with its translation's: per entry the better hit."""
    best = {h.entry_id: h for h in hits}
    for h in translated:
        if h.entry_id not in best or h.score > best[h.entry_id].score:
            best[h.entry_id] = h
    return sorted(best.values(), key=lambda h: -h.score)[:k]


def _best_per_entry(result: dict[str, Any], k: int, status: str | None) -> list[list[VectorHit]]:
    """Chroma's answer (documents nearest first, per query) as the top-k entries by their
    best document, leaving out entries of another status."""
    return [
        _top_entries(
            (
                (int(meta["entry_id"]), str(meta["doc"]), dist)
                for meta, dist in zip(metas, dists, strict=True)
                if not status or meta.get("status") == status
            ),
            k,
        )
        for metas, dists in zip(result["metadatas"], result["distances"], strict=True)
    ]


def _top_entries(docs: Iterable[tuple[int, str, float]], k: int) -> list[VectorHit]:
    """One query's documents, as (entry id, doc, cosine distance), as its top-k entries by
    their best document: nearest first, ties by entry id."""
    best: dict[int, tuple[float, str]] = {}
    for entry_id, doc, dist in docs:
        score = 1.0 - float(dist)
        held = best.get(entry_id)
        if held is None or held[0] < score:
            best[entry_id] = (score, doc)
    ranked = sorted(best.items(), key=lambda p: (-p[1][0], p[0]))[:k]
    return [VectorHit(entry_id, score, doc) for entry_id, (score, doc) in ranked]


def _of_status(
    ranked: list[list[VectorHit]],
    k: int,
    status: str | None,
    statuses: Callable[[list[int]], dict[int, str]],
) -> list[list[VectorHit]]:
    """Each query's first k entries of ``status`` among its ``ranked`` ones, reading the
    statuses of only about as many entries as that takes: the first k of each query and a
    quarter more (a few retired or proposed entries among the nearest cost no second read),
    then as many again for a query that still lacks some, and so on.

    Reading them for every document Chroma gave (four for each entry asked) read entries the
    answer never holds: with the bridge, whose statuses come with the entries themselves, a
    fifth of a warm encode at 100k entries once its queries asked for twice the hits."""
    if not status:
        return [hits[:k] for hits in ranked]
    known: dict[int, str] = {}
    seen = [0] * len(ranked)
    out: list[list[VectorHit]] = [[] for _ in ranked]
    while True:
        wanted: dict[int, None] = {}
        for q, hits in enumerate(ranked):
            if len(out[q]) < k and seen[q] < len(hits):
                more = hits[seen[q] : seen[q] + k - len(out[q]) + k // 4 + 1]
                wanted.update((h.entry_id, None) for h in more if h.entry_id not in known)
        if not wanted:
            break
        got = statuses(list(wanted))
        known.update({i: got.get(i, "") for i in wanted})  # no status: deleted since
        for q, hits in enumerate(ranked):
            while len(out[q]) < k and seen[q] < len(hits) and hits[seen[q]].entry_id in known:
                hit = hits[seen[q]]
                seen[q] += 1
                if known[hit.entry_id] == status:
                    out[q].append(hit)
    return out


def _best_of_ids(
    ids: list[list[str]], distances: list[list[float]], k: int
) -> list[list[VectorHit]]:
    """``_best_per_entry`` of Chroma's ids-and-distances answer, no status asked: the entry
    id and document read from each id (``<entry id>:<doc>``) straight into the ranking.
    ``_of_status`` reads the statuses of the entries an answer keeps. Making a metadata
    dict of each of the 40 documents a query returns first was 0.9 ms of a profiled 21 ms
    warm encode at 100k entries (cProfile of the quality sets' Russian sentences)."""
    return [
        _top_entries(
            (
                (int(entry), doc, dist)
                for (entry, _, doc), dist in zip(
                    (doc_id.partition(":") for doc_id in doc_ids), dists, strict=True
                )
            ),
            k,
        )
        for doc_ids, dists in zip(ids, distances, strict=True)
    ]


def _metadatas(parsed: list[list[list[str]]], statuses: dict[int, str]) -> list[list[dict]]:
    """Per query, what ``_best_per_entry`` reads of each document: from its id parsed into
    (entry id, doc), and the entry's status where one is known."""
    return [
        [{"entry_id": int(e), "doc": doc, "status": statuses.get(int(e))} for e, doc in ids]
        for ids in parsed
    ]


def _scan(col: Any, include: list[str], page: int = 5000) -> Iterator[dict[str, Any]]:
    """Every document of a collection, a page of ``get`` at a time, in Chroma's order."""
    offset = 0
    while True:
        got = col.get(include=include, limit=page, offset=offset)
        if not len(got["ids"]):
            return
        yield got
        offset += len(got["ids"])


def _ids(col: Any) -> list[str]:
    """Every document id of a collection, in Chroma's order (the order ``get`` pages in)."""
    return [doc_id for got in _scan(col, []) for doc_id in got["ids"]]


def _ids_after(col: Any, known: Snapshot, report: DrainReport) -> list[str]:
    """The collection's ids in Chroma's order after the drain of ``report``, when the
    snapshot ``known`` held them before it and nothing else wrote since. Chroma keeps a
    document where it was first written (an upsert of an id it holds leaves it in place, a
    delete takes it out, a new id comes last, in the order written:
    ``tests/test_index.py::test_chroma_keeps_documents_where_they_were_first_written``), so
    a drain that deleted nothing and wrote only new documents, all kept in ``report.added``,
    or documents the snapshot holds, leaves the old ids followed by the new; listing every
    id was most of the snapshot's upkeep after an added entry (24 of 56 ms at 5k entries).
    Anything else, or a count that disagrees, is listed from Chroma."""
    added = report.added
    if (
        not report.deleted
        and known._row.keys().isdisjoint(added)
        and all(i in added or i in known._row for i in report.written)
    ):
        ids = [*known.ids, *added]
        if len(ids) == col.count():
            return ids
    return _ids(col)


def _chunks(seq: Sequence[Any], n: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]
