"""The one place SQLAlchemy engines are made: for the store, the migrations and the jobs.

It sits under everything that talks to the database, so ``store`` and ``migrate`` both use it
without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from .errors import ConfigError

# a driver the URL names, and what installs it
DRIVERS = {
    "psycopg": "hyperlexicon[postgres]",
    "psycopg2": "psycopg2-binary (or use postgresql+psycopg:// with hyperlexicon[postgres])",
    "MySQLdb": "mysqlclient",
    "pymysql": "pymysql",
    "asyncpg": "asyncpg",
    "pg8000": "pg8000",
    "oracledb": "oracledb",
    "pyodbc": "pyodbc",
}


def make_engine(url: str) -> Engine:
    """An engine tuned for this store's use: on SQLite, WAL and immediate write transactions.

    SQLite allows one writer at a time; a write transaction that starts as a reader and later
    upgrades fails at once with "database is locked" instead of waiting. ``BEGIN IMMEDIATE``
    takes the write lock up front, where ``busy_timeout`` makes concurrent writers queue.
    Readers use a plain deferred ``BEGIN`` and never block writers under WAL.

    A URL that names a database or driver this installation cannot use is a ``ConfigError``
    (one line, naming what to install), not an import traceback.
    """
    if not url.startswith("sqlite"):
        return _create(url, pool_pre_ping=True)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = _create(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("hl_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _create(url: str, **kwargs: Any) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"database URL {url!r} is not a URL (dialect://user@host/db)") from None
    safe = parsed.render_as_string(hide_password=True)
    try:
        return create_engine(parsed, **kwargs)
    except NoSuchModuleError:
        raise ConfigError(
            f"database URL {safe}: SQLAlchemy knows no database {parsed.drivername!r}"
        ) from None
    except ImportError as exc:
        module = (getattr(exc, "name", None) or str(exc)).split(".")[0]
        hint = DRIVERS.get(module, module)
        raise ConfigError(
            f"database URL {safe}: its driver {module!r} is not installed: pip install {hint!r}"
        ) from None


@contextmanager
def migrating(url: str) -> Iterator[Connection]:
    """A connection for schema migrations, committed only if they leave every row in place.

    On SQLite, Alembic's batch mode rebuilds a table (copy, drop, rename); with foreign keys
    on, dropping the old ``entry`` table cascades to every gloss, component, register and
    example. So foreign keys are off while migrations run (set outside a transaction, where
    SQLite honours it), and checked with ``PRAGMA foreign_key_check`` before the commit.
    """
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            raw: Any = conn.connection.driver_connection
            if sqlite:
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                # one transaction around every step: Alembic sees it and runs inside it
                with conn.begin():
                    yield conn
                    if sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            tables = sorted({row[0] for row in broken})
                            raise ConfigError(
                                f"the migration would leave {len(broken)} row(s) pointing at "
                                f"missing rows (in {', '.join(tables)}); nothing was changed"
                            )
            finally:
                if sqlite:
                    raw.execute("PRAGMA foreign_keys=ON")
    finally:
        engine.dispose()
