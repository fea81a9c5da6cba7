"""Shared fixtures: a migrated store on SQLite and on the real PostgreSQL, and lexicons on it.

PostgreSQL tests use the server at 127.0.0.1:5432 (database ``test``), each test in a schema
of its own, dropped afterwards. Set HYPERLEXICON_TEST_PG_URL to point elsewhere. The server
being unreachable is an error, not a skip: the suite promises both backends.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hyperlexicon import migrate
from hyperlexicon.config import Settings
from hyperlexicon.lexicon import Lexicon

PG_URL = os.environ.get(
    "HYPERLEXICON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's real home, config or plugins."""
    for key in list(os.environ):
        if key.startswith("HYPERLEXICON_") and key != "HYPERLEXICON_TEST_PG_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("HYPERLEXICON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HYPERLEXICON_AUTHOR", "tester")


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
