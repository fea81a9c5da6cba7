"""The one place SQLAlchemy engines are made: for the store, the migrations and the jobs.

It sits under everything that talks to the database, so ``store`` and ``migrate`` both use it
without importing each other.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.sql import ClauseElement

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


# --- the read fast path ---------------------------------------------------------------------


class Compiled:
    """A Core select compiled once for one dialect, to run on a plain DBAPI cursor.

    The lookups a user waits on (an entry by form, the bridge's lemma and gloss lookups) cost
    a few tens of microseconds in the database; through SQLAlchemy's ``execute`` each also
    pays for building the statement, walking it for a cache key, and the result machinery,
    which made a lookup by form six times a plain ``sqlite3`` select. Here the statement is
    built and compiled once (per shape: an ``IN`` list is compiled per size, see
    ``bucket``), parameters go to the DBAPI in the order the compiled SQL wants them, and
    each result column is converted by the processor SQLAlchemy itself would apply (JSON
    text, timestamps), so the rows are the same Python values a Core ``execute`` gives.
    """

    def __init__(self, statement: ClauseElement, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._order: tuple[str, ...] | None = (
            tuple(compiled.positiontup or ()) if compiled.positional else None
        )
        # values the statement carries itself (``status == "active"``); the rest are given
        self._defaults = {
            name: bind.effective_value
            for name, bind in compiled.binds.items()
            if not bind.required and bind.effective_value is not None
        }
        columns = getattr(statement, "selected_columns", ())
        self.processors: list[Any] = [
            _faster(c.type, c.type._cached_result_processor(dialect, None), dialect)
            for c in columns
        ]

    def parameters(self, values: Mapping[str, Any]) -> Any:
        merged = {**self._defaults, **values} if self._defaults else values
        if self._order is None:
            return merged
        return tuple(merged[name] for name in self._order)

    def convert(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Apply the column processors (a column without one is passed through)."""
        procs = self.processors
        if not any(procs):
            return [tuple(r) for r in rows]
        return [
            tuple(v if p is None or v is None else p(v) for p, v in zip(procs, r, strict=False))
            for r in rows
        ]


def _faster(type_: Any, processor: Any, dialect: Any) -> Any:
    """The same conversion as ``processor``, cheaper where an entry read spends its time.

    * A timestamp column: memoized by the stored value (SQLite keeps text, parsed by a
      regular expression each time; the entries of one import or edit share their instants).
    * JSON on SQLite (an entry's record): parsed by orjson (a dependency of chromadb), which
      builds the same values as ``json.loads`` in under half its time; whatever it refuses
      (NaN, integers beyond 64 bits, a lone surrogate) goes to SQLAlchemy's own processor.
    """
    from sqlalchemy.types import JSON, DateTime, TypeDecorator

    if processor is None:
        return None
    impl = type_.impl_instance if isinstance(type_, TypeDecorator) else type_
    if isinstance(impl, DateTime):
        return functools.lru_cache(maxsize=4096)(processor)
    if isinstance(impl, JSON) and dialect.name == "sqlite":
        try:
            import orjson
        except ImportError:  # pragma: no cover - chromadb requires it
            return processor
        loads, refused = orjson.loads, orjson.JSONDecodeError

        def process(value: Any) -> Any:
            if type(value) is str:
                try:
                    return loads(value)
                except refused:
                    pass
            return processor(value)

        return process
    return processor


def bucket(n: int, largest: int) -> int:
    """The size an ``IN`` list (or a union of per-key branches) of ``n`` values is compiled
    for: a power of two up to 8, then the next multiple of a quarter of the power of two
    below ``n`` (10, 12, 14, 16, 20, … 96, 112, 128, 160, …; capped at ``largest``), so 32
    compiled statements serve every length up to 1,024 and padding adds under a quarter.
    Multiples of 8 made 128 sizes: at 100k entries the bridge's reads kept meeting sizes not
    compiled yet (43 compiles in 100 encodes, 12 ms each for an ``IN`` list of 700). The list
    is padded by repeating its last value, which changes no ``IN`` test."""
    size = 1
    while size < n and size < 8:
        size *= 2
    if n > 8:
        step = 1 << ((n - 1).bit_length() - 3)  # a quarter of the power of two below n
        size = -(-n // step) * step
    return min(size, largest)


def padded(values: Sequence[Any], size: int, prefix: str) -> dict[str, Any]:
    """``{prefix0: v0, …}`` for an ``IN`` list compiled for ``size`` values."""
    last = values[-1]
    return {f"{prefix}{i}": values[i] if i < len(values) else last for i in range(size)}


class _Held:
    """A read connection owned by one thread; closed when the thread ends or the store closes."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __del__(self, _suppress: type[suppress] = suppress) -> None:
        # bound at definition: at interpreter exit the module's globals may already be None
        with _suppress(Exception):
            self.conn.close()


class ReadCursors:
    """Where the fast path gets a cursor.

    On a SQLite file, each thread keeps one read-only connection of its own, outside the
    engine's pool: a pool checkout costs about as much as the indexed select it serves, and
    a connection per thread never waits for another. Under WAL a single ``SELECT`` in
    autocommit mode sees one committed snapshot, and writers are never blocked. Anything
    else (PostgreSQL, an in-memory or URI-configured SQLite) checks a connection out of the
    engine's pool for each statement, so it sees exactly what the engine sees.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        url = engine.url
        database = url.database or ""
        self._path: str | None = None
        if (
            engine.dialect.name == "sqlite"
            and engine.dialect.driver == "pysqlite"
            and database not in ("", ":memory:")
            and not database.startswith("file:")
            and not url.query
        ):
            self._path = database
        self._local = threading.local()
        self._held: weakref.WeakSet[_Held] = weakref.WeakSet()
        self._closed = False

    def _connection(self) -> sqlite3.Connection:
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            assert self._path is not None
            conn = sqlite3.connect(
                self._path, timeout=60, check_same_thread=False, isolation_level=None
            )
            conn.execute("PRAGMA busy_timeout=60000")
            conn.execute("PRAGMA query_only=ON")
            held = _Held(conn)
            self._local.held = held
            self._held.add(held)
        return held.conn

    def rows(self, compiled: Compiled, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run a compiled select; its rows, converted.

        The engine's ``before_cursor_execute`` listeners (a benchmark's or a test's statement
        counter) hear these statements too, with no ``Connection`` or context (``None``):
        skipping SQLAlchemy must not hide a statement from whoever counts them."""
        params = compiled.parameters(values)
        listeners = self.engine.dispatch.before_cursor_execute
        if self._path is not None and not self._closed:
            cursor = self._connection().cursor()
            try:
                if listeners:
                    for listener in listeners:
                        listener(None, cursor, compiled.sql, params, None, False)
                cursor.execute(compiled.sql, params)
                return compiled.convert(cursor.fetchall())
            finally:
                cursor.close()
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                if listeners:
                    for listener in listeners:
                        listener(None, cursor, compiled.sql, params, None, False)
                cursor.execute(compiled.sql, params)
                return compiled.convert(cursor.fetchall())
            finally:
                cursor.close()
        finally:
            raw.close()

    def close(self) -> None:
        self._closed = True
        for held in list(self._held):
            held.conn.close()
        self._held = weakref.WeakSet()
