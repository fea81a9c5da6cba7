"""The SQL store: engines, lexicons, entries and their history, in one place.

Writes go through a handful of set-based helpers (insert, replace children, record a
revision and an outbox row) so that adding one entry from the CLI and importing a million
from a file take the same path. Every write happens in one transaction: the entry rows, the
revision that records the change and the outbox row that tells the index about it commit or
roll back together.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Text,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from . import models as M
from .engine import Compiled, ReadCursors, bucket, make_engine, padded
from .entry import STATUSES, EntryData
from .errors import BadInputError, ConflictError, NotFoundError, NotInitializedError
from .morphology import lemma_key
from .text import LookAlike, form_key, look_alikes

BATCH = 1000
# keys per statement of the bridge's lemma lookup: on SQLite one statement for a whole batch
# (a 20-word sentence asks ~200 keys, its decoded text ~300); elsewhere a union of two LIMITed
# branches per key, 128 keys a statement
LEMMA_KEYS = {"sqlite": BATCH}
LEMMA_KEYS_UNION = 128
# lower-case letters, digits, '-', '_', and '.' only between them: the name is part of its
# Chroma collection's name (``hl.<name>.idx``), which Chroma refuses with two periods together
# (the API's schema states the same pattern)
LEXICON_NAME = r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$"
LEXICON_NAME_MAX = 100


@dataclass(frozen=True)
class StoredEntry:
    """An entry as it is now in the store: its data plus identity and bookkeeping."""

    id: int
    lexicon: str
    data: EntryData
    row_version: int
    created_at: datetime
    updated_at: datetime

    @property
    def form(self) -> str:
        return self.data.form

    def to_dict(self) -> dict[str, Any]:
        out = self.data.to_dict()
        out.update(
            id=self.id,
            lexicon=self.lexicon,
            row_version=self.row_version,
            created_at=self.created_at.isoformat(),
            updated_at=self.updated_at.isoformat(),
        )
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StoredEntry:
        """The inverse of ``to_dict`` (what a server sends back)."""
        record = {k: v for k, v in d.items() if k not in _BOOKKEEPING}
        return cls(
            int(d["id"]),
            str(d["lexicon"]),
            EntryData.from_dict(record, where="entry"),
            int(d["row_version"]),
            datetime.fromisoformat(d["created_at"]),
            datetime.fromisoformat(d["updated_at"]),
        )


_BOOKKEEPING = ("id", "lexicon", "row_version", "created_at", "updated_at")


@dataclass(frozen=True)
class RevisionRecord:
    id: int
    entry_id: int
    form_key: str
    op: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    author: str
    reason: str | None
    created_at: datetime

    @property
    def form(self) -> str:
        snap = self.after or self.before or {}
        return str(snap.get("form", self.form_key))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "entry_id": self.entry_id,
            "form": self.form,
            "op": self.op,
            "before": self.before,
            "after": self.after,
            "author": self.author,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RevisionRecord:
        snap = d.get("after") or d.get("before") or {}
        return cls(
            int(d["id"]),
            int(d["entry_id"]),
            str(snap.get("form", d.get("form", ""))),
            d["op"],
            d.get("before"),
            d.get("after"),
            d["author"],
            d.get("reason"),
            datetime.fromisoformat(d["created_at"]),
        )


@dataclass
class ImportReport:
    """What an import did. ``repairs``: mojibake repaired, one line each; ``warnings``: what
    the reader kept but could not map as the file meant it (``--strict`` refuses those)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    repairs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "repairs": self.repairs,
            "warnings": self.warnings,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImportReport:
        return cls(
            int(d.get("created", 0)),
            int(d.get("updated", 0)),
            int(d.get("unchanged", 0)),
            int(d.get("skipped", 0)),
            list(d.get("repairs", ())),
            list(d.get("warnings", ())),
        )


@dataclass(frozen=True)
class QueryRecord:
    id: int
    mode: str
    input: str
    params: dict[str, Any]
    result: dict[str, Any]
    output: str
    revision: int
    latency_ms: float
    author: str
    connector: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mode": self.mode,
            "input": self.input,
            "params": self.params,
            "result": self.result,
            "output": self.output,
            "revision": self.revision,
            "latency_ms": self.latency_ms,
            "author": self.author,
            "connector": self.connector,
            "created_at": self.created_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> QueryRecord:
        return cls(
            int(d["id"]),
            d["mode"],
            d["input"],
            dict(d.get("params") or {}),
            dict(d.get("result") or {}),
            d.get("output") or "",
            int(d.get("revision") or 0),
            float(d.get("latency_ms") or 0.0),
            d.get("author") or "",
            d.get("connector"),
            datetime.fromisoformat(d["created_at"]),
        )


@dataclass(frozen=True)
class LexiconState:
    """A lexicon's change counters (``Store.state``): equal states, equal lexicon."""

    revision: int  # the last revision id
    calibration: int  # the last calibration id (thresholds)
    pending: bool  # outbox rows the index has not applied yet


@dataclass(frozen=True)
class LemmaHit:
    lemma: str
    entry_id: int
    field: str  # gloss | component | gloss_head (the head of a name of several words)
    position: int
    lang: str | None
    # of a head: what else its name says, as JSON lists of lemmas (``gloss_heads``)
    things: str | None = None


@dataclass(frozen=True)
class SearchHit:
    entry: StoredEntry
    match: str  # exact | gloss | lemma | prefix | substring
    field: str  # form | gloss:<lang> | component
    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "form": self.entry.form,
            "match": self.match,
            "field": self.field,
            "text": self.text,
            "score": self.score,
            "entry": self.entry.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SearchHit:
        return cls(
            StoredEntry.from_dict(d["entry"]), d["match"], d["field"], d["text"], float(d["score"])
        )


# --- the store ----------------------------------------------------------------------------


class Store:
    """Typed access to the SQL tables. Thread-safe; one per database URL and process."""

    def __init__(self, url: str, *, engine: Engine | None = None, check: bool = True) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self._read_engine = self.engine.execution_options(hl_readonly=True)
        self._lexicon_ids: dict[str, int] = {}
        self._lock = threading.Lock()
        # the read fast path: statements compiled once per shape, run on plain cursors
        self._cursors = ReadCursors(self.engine)
        self._compiled: dict[tuple[Any, ...], Compiled] = {}
        self.writes = 0  # write transactions this process has run here (``Bridge`` asks)
        # what callers keep of a lexicon as it stood at one revision (``memo``)
        self._memos: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}
        if check:
            self.check_schema()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self._cursors.close()
        self.engine.dispose()

    def _rows(
        self, shape: tuple[Any, ...], build: Callable[[], Any], values: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        """Rows of a read statement, built and compiled once per ``shape`` (see
        ``engine.Compiled``): the hot reads pay for the database, not for SQLAlchemy."""
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = Compiled(build(), self.engine.dialect)
            with self._lock:
                self._compiled[shape] = compiled
        return self._cursors.rows(compiled, values)

    def lexicon_key(self, name: str) -> int:
        """The lexicon's id (no session needed: from the cache or one compiled select)."""
        return self._lexicon(name)

    def _lexicon(self, name: str) -> int:
        """The lexicon's id, from the cache or one compiled select."""
        cached = self._lexicon_ids.get(name)
        if cached is not None:
            return cached
        rows = self._rows(
            ("lexicon_id",),
            lambda: select(M.Lexicon.id).where(M.Lexicon.name == bindparam("name")),
            {"name": name},
        )
        if not rows:
            raise NotFoundError(f"no lexicon named {name!r}")
        with self._lock:
            self._lexicon_ids[name] = rows[0][0]
        return int(rows[0][0])

    def check_schema(self) -> None:
        """Refuse to work on a database that is not migrated to this code's schema."""
        from .migrate import head_revision

        # a read (plain BEGIN on SQLite): a running import's write lock must not hold up
        # every process that opens the store, nor the server's /ready
        with self._read_engine.connect() as conn:  # an unreachable server is not "uninitialized"
            try:
                current = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
            except (OperationalError, ProgrammingError):
                raise NotInitializedError(
                    f"database {self.safe_url} is not initialized: run 'hyperlexicon init'"
                ) from None
        head = head_revision()
        if current != head:
            raise NotInitializedError(
                f"database {self.safe_url} is at schema {current}, this version needs {head}: "
                "run 'hyperlexicon db upgrade'"
            )

    @property
    def safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def write(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as s, s.begin():
                yield s
        finally:
            # counted whatever the outcome: what a reader cached before may be stale
            self.writes += 1

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self._read_engine, expire_on_commit=False) as s, s.begin():
            yield s

    # --- lexicons ---------------------------------------------------------------------

    def lexicons(self) -> list[dict[str, Any]]:
        with self.read() as s:
            counts: dict[int, int] = {
                lx_id: n
                for lx_id, n in s.execute(
                    select(M.Entry.lexicon_id, func.count()).group_by(M.Entry.lexicon_id)
                )
            }
            return [
                {
                    "name": lx.name,
                    "description": lx.description,
                    "entries": counts.get(lx.id, 0),
                    "created_at": lx.created_at.isoformat(),
                }
                for lx in s.scalars(select(M.Lexicon).order_by(M.Lexicon.name))
            ]

    def lexicon_description(self, name: str) -> str:
        with self.read() as s:
            self.lexicon_id(s, name)  # a lexicon that is not there is an error, not ""
            return s.scalar(select(M.Lexicon.description).where(M.Lexicon.name == name)) or ""

    def create_lexicon(self, name: str, description: str = "") -> None:
        validate_lexicon_name(name)
        try:
            with self.write() as s:
                s.add(M.Lexicon(name=name, description=description))
        except IntegrityError:
            raise ConflictError(f"lexicon {name!r} already exists") from None

    def delete_lexicon(self, name: str) -> None:
        with self.write() as s:
            lx_id = self.lexicon_id(s, name)
            s.execute(delete(M.Lexicon).where(M.Lexicon.id == lx_id))
        self._lexicon_ids.pop(name, None)
        self.forget_memo(name)

    def memo(self, lexicon: str, revision: int) -> dict[str, Any]:
        """A dict in which a reader keeps what it read of ``lexicon`` at ``revision`` (its
        last revision, as the reader has just read it), for later readers of the same
        revision in this process: the bridge's lemma hits and entries, which repeat from
        one encode to the next for every common word.

        Every write of an entry makes a revision, so equal revisions mean equal entries,
        whichever process wrote them; a new revision gets a new, empty dict and the old one
        is let go (a request under way keeps reading its own). Keyed with the lexicon's id,
        since a lexicon deleted and made again can reach the same revision id."""
        key = (self._lexicon(lexicon), revision)
        with self._lock:
            held = self._memos.get(lexicon)
            if held is None or held[0] != key:
                held = (key, {})
                self._memos[lexicon] = held
            return held[1]

    def forget_memo(self, lexicon: str) -> None:
        """Let the lexicon's memo go (the next reader starts an empty one): what its owner
        does when it has grown too big, never clearing it in place under other readers."""
        with self._lock:
            self._memos.pop(lexicon, None)

    def lexicon_id(self, s: Session | Connection, name: str, *, create: bool = False) -> int:
        cached = self._lexicon_ids.get(name)
        if cached is not None:
            return cached
        lx_id = s.scalar(select(M.Lexicon.id).where(M.Lexicon.name == name))
        if lx_id is None:
            if not create:
                raise NotFoundError(f"no lexicon named {name!r}")
            validate_lexicon_name(name)
            lx_id = s.scalar(
                insert(M.Lexicon).values(name=name, description="").returning(M.Lexicon.id)
            )
            assert lx_id is not None
            return lx_id  # not cached until committed
        with self._lock:
            self._lexicon_ids[name] = lx_id
        return lx_id

    # --- reading entries --------------------------------------------------------------

    def get(self, lexicon: str, form: str) -> StoredEntry | None:
        """One entry by form: one indexed select, compiled once (the hot path of lookups)."""
        rows = self._rows(
            ("get",),
            lambda: _entry_columns().where(
                M.Entry.lexicon_id == bindparam("lx"), M.Entry.form_key == bindparam("key")
            ),
            {"lx": self._lexicon(lexicon), "key": form_key(form)},
        )
        return _stored_row(rows[0], lexicon) if rows else None

    def require(self, lexicon: str, form: str) -> StoredEntry:
        found = self.get(lexicon, form)
        if found is None:
            raise NotFoundError(f"no entry {form!r} in lexicon {lexicon!r}")
        return found

    def get_many(self, lexicon: str, ids: Sequence[int]) -> dict[int, StoredEntry]:
        """Entries of the lexicon by id (one compiled select per 1,000 ids; an id of another
        lexicon, or none, is left out). The lexicon is tested here, as in ``statuses``."""
        out: dict[int, StoredEntry] = {}
        lx = self._lexicon(lexicon)
        for chunk in _chunks(list(ids), BATCH):
            size = bucket(len(chunk), 1024)
            rows = self._rows(
                ("get_many", size),
                lambda size=size: _entry_columns(M.Entry.lexicon_id).where(
                    M.Entry.id.in_(_binds("i", size))
                ),
                padded(chunk, size, "i"),
            )
            out.update({row[0]: _stored_row(row, lexicon) for row in rows if row[6] == lx})
        return out

    def statuses(self, lexicon: str, ids: Sequence[int]) -> dict[int, str]:
        """The status of each of these entries of the lexicon (an id it does not have is
        left out): what a vector search filters its nearest documents on, by primary key
        (one compiled select per 1,000 ids). The lexicon is tested here, not in SQL: given
        it, SQLite's planner reads the whole (lexicon_id, status, kind) index (16 ms at 100k
        entries) instead of probing the primary key (0.7 ms for 200 ids)."""
        out: dict[int, str] = {}
        lx = self._lexicon(lexicon)
        for chunk in _chunks(list(ids), BATCH):
            size = bucket(len(chunk), 1024)
            rows = self._rows(
                ("statuses", size),
                lambda size=size: select(M.Entry.id, M.Entry.status, M.Entry.lexicon_id).where(
                    M.Entry.id.in_(_binds("i", size))
                ),
                padded(chunk, size, "i"),
            )
            out.update({row[0]: row[1] for row in rows if row[2] == lx})
        return out

    def other_statuses(self, lexicon: str, status: str, limit: int) -> dict[int, str] | None:
        """The entries of the lexicon whose status is not ``status``, with theirs; None where
        there are more than ``limit``. Nearly every entry of a lexicon in use is active, so
        a vector search filtered to the active ones can judge every entry it meets from
        this (one statement per revision) instead of reading each entry (half the entries a
        100k encode read). Asked as an ``IN`` over the other statuses, so the (lexicon,
        status, kind) index is probed for those alone."""
        others = [s for s in STATUSES if s != status]
        rows = self._rows(
            ("other_statuses", len(others)),
            lambda: (
                select(M.Entry.id, M.Entry.status)
                .where(
                    M.Entry.lexicon_id == bindparam("lx"),
                    M.Entry.status.in_(_binds("s", len(others))),
                )
                .limit(bindparam("n"))
            ),
            {"lx": self._lexicon(lexicon), "n": limit + 1, **padded(others, len(others), "s")},
        )
        return None if len(rows) > limit else {row[0]: row[1] for row in rows}

    def list(
        self,
        lexicon: str,
        *,
        kind: str | None = None,
        register: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        sort: str = "form",
        order: str = "asc",
    ) -> list[StoredEntry]:
        return list(
            self.iter_entries(
                lexicon,
                kind=kind,
                register=register,
                status=status,
                limit=limit,
                offset=offset,
                sort=sort,
                order=order,
            )
        )

    def iter_entries(
        self,
        lexicon: str,
        *,
        kind: str | None = None,
        register: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        sort: str = "form",
        order: str = "asc",
    ) -> Iterator[StoredEntry]:
        """Entries in form order (or by ``sort``, one of ``SORTS``, ties in form order),
        fetched in batches so a million do not sit in memory."""
        keys = _order_by(sort, order)
        with self.read() as s:
            lx = self.lexicon_id(s, lexicon)
            q = _filtered(select(M.Entry.id), lx, kind, register, status).order_by(*keys)
            if limit is not None:
                q = q.limit(limit)
            if offset:
                q = q.offset(offset)
            ids = list(s.scalars(q))
            for i in range(0, len(ids), BATCH):
                chunk = ids[i : i + BATCH]
                rows = {r.id: r for r in s.scalars(_entry_query().where(M.Entry.id.in_(chunk)))}
                for entry_id in chunk:
                    yield _stored(rows[entry_id], lexicon)

    def look_alikes(self, lexicon: str) -> list[LookAlike]:
        """Forms stored before today's rules that hold invisible characters, and forms that
        are one once those are removed (``doctor``): one read of (id, form), no index."""
        with self.read() as s:
            lx = self.lexicon_id(s, lexicon)
            rows = s.execute(
                select(M.Entry.id, M.Entry.form)
                .where(M.Entry.lexicon_id == lx)
                .order_by(M.Entry.id)
            ).all()
        return look_alikes((row.id, row.form) for row in rows)

    def count(self, lexicon: str, **filters: Any) -> int:
        with self.read() as s:
            lx = self.lexicon_id(s, lexicon)
            q = _filtered(select(func.count(M.Entry.id)), lx, **filters)
            return int(s.scalar(q) or 0)

    def facets(
        self,
        lexicon: str,
        *,
        kind: str | None = None,
        register: str | None = None,
        status: str | None = None,
    ) -> dict[str, dict[str, int]]:
        """How many entries have each kind, register and status: three GROUP BYs, each under
        the other two filters (not its own, so every choice it offers shows its count)."""
        with self.read() as s:
            lx = self.lexicon_id(s, lexicon)
            by_kind = _filtered(select(M.Entry.kind, func.count()), lx, None, register, status)
            by_status = _filtered(select(M.Entry.status, func.count()), lx, kind, register, None)
            by_register = select(M.EntryRegister.register, func.count())
            alone = kind is None and status is None
            if not alone or s.scalar(select(func.count(M.Entry.id))) != s.scalar(
                select(func.count(M.Entry.id)).where(M.Entry.lexicon_id == lx)
            ):
                # the join to the entry's lexicon is the costly part (a probe per entry):
                # needed only when the store holds other lexicons' entries, or under filters
                by_register = _filtered(
                    by_register.join(M.Entry, M.Entry.id == M.EntryRegister.entry_id),
                    lx,
                    kind,
                    None,
                    status,
                )
            return {
                name: {str(k): int(n) for k, n in s.execute(q.group_by(col)).all()}
                for name, q, col in (
                    ("kind", by_kind, M.Entry.kind),
                    ("register", by_register, M.EntryRegister.register),
                    ("status", by_status, M.Entry.status),
                )
            }

    def search(
        self,
        lexicon: str,
        query: str,
        *,
        kind: str | None = None,
        register: str | None = None,
        status: str | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Exact, gloss, lemma, prefix and substring matches over forms, glosses, components.

        Ranked by how strong the match is, then by weight.
        """
        q_key = form_key(query)
        if not q_key:
            raise BadInputError("search: empty query")
        q_lemma = lemma_key(query)
        like = _like_escape(q_key)
        hits: dict[int, tuple[float, str, str, str]] = {}

        def offer(entry_id: int, score: float, match: str, where: str, text: str) -> None:
            if entry_id not in hits or hits[entry_id][0] < score:
                hits[entry_id] = (score, match, where, text)

        with self.read() as s:
            lx = self.lexicon_id(s, lexicon)
            base = _filtered(select(M.Entry.id, M.Entry.form), lx, kind, register, status)
            for entry_id, form in s.execute(base.where(M.Entry.form_key == q_key)):
                offer(entry_id, 1.0, "exact", "form", form)
            # (exact, lemma) scores per field: a first gloss says most about an entry
            for table, text_col, label, exact, lemma in (
                (M.Gloss, M.Gloss.text, "gloss", 0.95, 0.9),
                (M.Component, M.Component.meaning, "component", 0.85, 0.8),
            ):
                q = _filtered(
                    select(M.Entry.id, text_col, table.lang, table.position),
                    lx,
                    kind,
                    register,
                    status,
                ).join(table, table.entry_id == M.Entry.id)

                def where_of(row: Any, label: str = label) -> str:
                    return f"gloss:{row[2]}" if label == "gloss" else "component"

                def first(row: Any) -> float:
                    return 0.02 if row[3] == 0 else 0.0

                for row in s.execute(q.where(table.norm == q_key)):
                    offer(row[0], exact + first(row), label, where_of(row), row[1])
                if q_lemma:
                    for row in s.execute(q.where(table.lemma == q_lemma)):
                        offer(row[0], lemma + first(row), "lemma", where_of(row), row[1])
                prefix = q.where(table.norm.like(like + "%", escape="\\"))
                for row in s.execute(prefix.limit(limit * 5)):
                    offer(row[0], 0.7, "prefix", where_of(row), row[1])
                if q_lemma:  # the query's lemmas as whole words inside a longer gloss
                    ql = _like_escape(q_lemma)
                    in_phrase = or_(
                        *(
                            table.lemma.like(pattern, escape="\\")
                            for pattern in (ql + " %", "% " + ql, "% " + ql + " %")
                        )
                    )
                    for row in s.execute(q.where(in_phrase).limit(limit * 5)):
                        offer(row[0], 0.6, "lemma", where_of(row), row[1])
                substring = q.where(table.norm.like("%" + like + "%", escape="\\"))
                for row in s.execute(substring.limit(limit * 5)):
                    offer(row[0], 0.5, "substring", where_of(row), row[1])
            for entry_id, form in s.execute(
                base.where(M.Entry.form_key.like(like + "%", escape="\\")).limit(limit * 5)
            ):
                offer(entry_id, 0.75, "prefix", "form", form)
            for entry_id, form in s.execute(
                base.where(M.Entry.form_key.like("%" + like + "%", escape="\\")).limit(limit * 5)
            ):
                offer(entry_id, 0.55, "substring", "form", form)
        entries = self.get_many(lexicon, list(hits))
        ranked = sorted(
            hits.items(),
            key=lambda kv: (-kv[1][0], -entries[kv[0]].data.weight, entries[kv[0]].data.key),
        )
        return [
            SearchHit(entries[i], match, where, text, score)
            for i, (score, match, where, text) in ranked[:limit]
        ]

    def history(
        self, lexicon: str, form: str | None = None, *, limit: int | None = None
    ) -> list[RevisionRecord]:
        """Revisions, newest first; for one form, every revision of every entry that had it."""
        with self.read() as s:
            lx = self.lexicon_id(s, lexicon)
            q = select(M.Revision).where(M.Revision.lexicon_id == lx)
            if form is not None:
                key = form_key(form)
                ids = select(M.Revision.entry_id).where(
                    M.Revision.lexicon_id == lx, M.Revision.form_key == key
                )
                q = q.where(or_(M.Revision.form_key == key, M.Revision.entry_id.in_(ids)))
            q = q.order_by(M.Revision.id.desc())
            if limit:
                q = q.limit(limit)
            return [_revision(r) for r in s.scalars(q)]

    def last_revision_id(self, s: Session, lexicon_id: int) -> int:
        return int(
            s.scalar(select(func.max(M.Revision.id)).where(M.Revision.lexicon_id == lexicon_id))
            or 0
        )

    # --- queries for the bridge (read-only; active entries unless told otherwise) -------

    def last_revision(self, lexicon: str) -> int:
        """The lexicon's version as a number: its last revision id (0 when empty)."""
        rows = self._rows(
            ("last_revision",),
            lambda: sql_text(f"SELECT {LAST_REVISION}"),
            {"lx": self._lexicon(lexicon)},
        )
        return int(rows[0][0] or 0)

    def longest_key(self, lexicon: str) -> int:
        """The length of the lexicon's longest form key, in characters (0 when empty): no
        longer window of a hyperstring can be a form (``Bridge.parse``). One pass over the
        lexicon's (lexicon_id, form_key) index."""
        rows = self._rows(
            ("longest_key",),
            lambda: select(func.max(func.length(M.Entry.form_key))).where(
                M.Entry.lexicon_id == bindparam("lx")
            ),
            {"lx": self._lexicon(lexicon)},
        )
        return int(rows[0][0] or 0)

    def gloss_languages(self, lexicon: str) -> tuple[int, dict[str, float]]:
        """The lexicon's last revision, and for each language the share of its active
        entries glossed in it: whether the lexicon speaks a query's language (``Index`` asks
        a query in translation only where it does not)."""
        rows = self._rows(
            ("gloss_languages",),
            lambda: sql_text(
                f"SELECT {LAST_REVISION}, g.lang, count(DISTINCT g.entry_id), "
                "(SELECT count(*) FROM entry WHERE lexicon_id = :lx AND status = 'active') "
                "FROM gloss g JOIN entry e ON e.id = g.entry_id "
                "WHERE e.lexicon_id = :lx AND e.status = 'active' GROUP BY g.lang"
            ),
            {"lx": self._lexicon(lexicon)},
        )
        if not rows:
            return self.last_revision(lexicon), {}
        return int(rows[0][0] or 0), {lang: n / total for _, lang, n, total in rows if total}

    def state(self, lexicon: str) -> LexiconState:
        """What per-process caches of this lexicon are keyed on, in one statement: the last
        revision (every entry write makes one), the last calibration (thresholds) and whether
        the outbox holds changes the index has not heard of."""
        rows = self._rows(
            ("state",),
            lambda: sql_text(
                f"SELECT {LAST_REVISION}, "
                "(SELECT max(id) FROM calibration WHERE lexicon_id = :lx), "
                "(SELECT id FROM outbox WHERE lexicon_id = :lx LIMIT 1)"
            ),
            {"lx": self._lexicon(lexicon)},
        )
        revision, calibration, pending = rows[0]
        return LexiconState(int(revision or 0), int(calibration or 0), pending is not None)

    def by_keys(
        self, lexicon: str, keys: Iterable[str], *, status: str | None = "active"
    ) -> dict[str, StoredEntry]:
        """Entries whose form key is one of ``keys``."""
        keys = sorted(set(keys))
        out: dict[str, StoredEntry] = {}
        if not keys:
            return out
        lx = self._lexicon(lexicon)
        for chunk in _chunks(keys, BATCH):
            size = bucket(len(chunk), 1024)
            # status is tested here, not in SQL: given a status, SQLite's planner prefers the
            # (lexicon_id, status, kind) index and reads every active entry (87 ms at 100k
            # entries) instead of probing the unique (lexicon_id, form_key) one (0.03 ms)
            rows = self._rows(
                ("by_keys", size),
                lambda size=size: _entry_columns(M.Entry.status, M.Entry.form_key).where(
                    M.Entry.lexicon_id == bindparam("lx"), M.Entry.form_key.in_(_binds("k", size))
                ),
                padded(chunk, size, "k") | {"lx": lx},
            )
            for row in rows:
                if not status or row[-2] == status:
                    out[row[-1]] = _stored_row(row, lexicon)
        return out

    def by_lemmas(
        self,
        lexicon: str,
        lemma_keys: Iterable[str],
        *,
        status: str | None = "active",
        per_key: int = 5,
    ) -> list[LemmaHit]:
        """Glosses and components whose lemma key is one of ``lemma_keys``: for each key and
        field, the first ``per_key`` (first glosses first), in a fixed order.

        The cap matters: a common meaning ("огонь") can be a component of thousands of
        entries, and the bridge only ever wants the best few. So each key and field is a
        small ``LIMIT``ed select walking the (lemma, position, entry_id) index, and all of
        them go to the database as one statement (see ``_lemma_sql``),
        compiled once per size. Ranking every match instead (``ROW_NUMBER() OVER
        (PARTITION BY lemma …)``) reads thousands of rows for a common meaning: 1.1 s
        against 2 ms for 40 keys at 100k entries (bench/store_bench.py has the figures).
        """
        lemma_keys = sorted(set(lemma_keys))
        if not lemma_keys:
            return []
        lx = self._lexicon(lexicon)
        found: set[tuple[str, int, str, int, str | None]] = set()
        dialect = self.engine.dialect.name
        largest = LEMMA_KEYS.get(dialect, LEMMA_KEYS_UNION)
        for chunk in _chunks(lemma_keys, largest):
            size = bucket(len(chunk), largest)
            values = padded(chunk, size, "k") | {"lx": lx, "status": status, "n": per_key}
            rows = self._rows(
                ("by_lemmas", size, bool(status)),
                lambda size=size: _lemma_sql(size, bool(status), dialect),
                values,
            )
            # a key repeated to fill the statement repeats its rows: a set keeps one of each
            found.update((r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows)
        hits = [LemmaHit(*row) for row in ((r[1], r[2], r[0], r[3], r[4], r[5]) for r in found)]
        hits.sort(key=lambda h: (h.lemma, h.field, h.position, h.entry_id))
        return hits

    def known_meanings(self, lexicon: str, norms: Iterable[str]) -> set[str]:
        """Which of ``norms`` are a gloss or a component meaning of an active entry (an
        existence test per candidate: it stops at the first match)."""
        norms = sorted(set(norms))
        found: set[str] = set()
        if not norms:
            return found
        lx = self._lexicon(lexicon)
        for chunk in _chunks(norms, BATCH):
            size = bucket(len(chunk), 1024)
            rows = self._rows(
                ("known_meanings", size),
                lambda size=size: _known_meanings_sql(size),
                padded(chunk, size, "p") | {"lx": lx},
            )
            found.update(r[0] for r in rows)
        return found

    def with_component_refs(self, lexicon: str, ref_keys: Iterable[str]) -> dict[int, list[str]]:
        """Active entries having a component that links to one of ``ref_keys``: their whole
        ordered list of component links (a missing link is an empty string)."""
        ref_keys = sorted(set(ref_keys))
        if not ref_keys:
            return {}
        lx = self._lexicon(lexicon)
        out: dict[int, list[str]] = {}
        for chunk in _chunks(ref_keys, BATCH):
            size = bucket(len(chunk), 1024)

            def build(size: int = size) -> Any:
                ids = select(M.Component.entry_id).where(M.Component.ref_key.in_(_binds("r", size)))
                return (
                    select(M.Component.entry_id, M.Component.position, M.Component.ref_key)
                    .join(M.Entry, M.Entry.id == M.Component.entry_id)
                    .where(
                        M.Entry.lexicon_id == bindparam("lx"),
                        M.Entry.status == "active",
                        M.Component.entry_id.in_(ids),
                    )
                    .order_by(M.Component.entry_id, M.Component.position)
                )

            done = set(out)  # an entry linking to keys of two chunks is read twice
            for entry_id, _pos, ref_key in self._rows(
                ("with_component_refs", size), build, padded(chunk, size, "r") | {"lx": lx}
            ):
                if entry_id not in done:
                    out.setdefault(entry_id, []).append(ref_key or "")
        return out

    def with_component_norms(self, lexicon: str, norms: Sequence[str]) -> list[int]:
        """Active entries whose components, in order, have exactly these normalized meanings."""
        if not norms:
            return []
        values: dict[str, Any] = {f"n{i}": norm for i, norm in enumerate(norms)}
        values["lx"] = self._lexicon(lexicon)
        values["end"] = len(norms)
        rows = self._rows(
            ("with_component_norms", len(norms)),
            lambda: _component_sequence(len(norms)),
            values,
        )
        return sorted(row[0] for row in rows)

    def first_glosses(self, lexicon: str, lang: str, norms: Iterable[str]) -> dict[str, list[int]]:
        """For each normalized text, the active entries whose first ``lang`` gloss it is."""
        return self.first_glosses_in(lexicon, [lang], norms)[lang]

    def first_glosses_in(
        self, lexicon: str, langs: Sequence[str], norms: Iterable[str]
    ) -> dict[str, dict[str, list[int]]]:
        """``first_glosses`` for several languages in one statement: per language, for each
        normalized text, the active entries whose first gloss in that language it is (in
        entry id order)."""
        langs = list(dict.fromkeys(langs))
        norms = sorted(set(norms))
        out: dict[str, dict[str, list[int]]] = {lg: {} for lg in langs}
        if not norms or not langs:
            return out
        lx = self._lexicon(lexicon)
        for chunk in _chunks(norms, BATCH):
            size = bucket(len(chunk), 1024)

            def build(size: int = size, n_langs: int = len(langs)) -> Any:
                return (
                    select(M.Gloss.norm, M.Gloss.entry_id, M.Gloss.lang)
                    .join(M.Entry, M.Entry.id == M.Gloss.entry_id)
                    .where(
                        M.Entry.lexicon_id == bindparam("lx"),
                        M.Entry.status == "active",
                        M.Gloss.lang.in_(_binds("lang", n_langs)),
                        M.Gloss.position == 0,
                        M.Gloss.norm.in_(_binds("n", size)),
                    )
                    .order_by(M.Gloss.entry_id)
                )

            values = padded(chunk, size, "n") | padded(langs, len(langs), "lang") | {"lx": lx}
            rows = self._rows(("first_glosses_in", size, len(langs)), build, values)
            for norm, entry_id, lang in rows:
                out[lang].setdefault(norm, []).append(entry_id)
        return out

    # --- the query log --------------------------------------------------------------------

    def insert_query(
        self,
        s: Session,
        lexicon: str,
        *,
        mode: str,
        input: str,
        params: dict[str, Any],
        result: dict[str, Any],
        output: str,
        revision: int,
        latency_ms: float,
        author: str,
        connector: str | None = None,
    ) -> int:
        """Log one query in the write transaction ``s`` (an encode writes its growth
        evidence in the same one)."""
        lx = self.lexicon_id(s, lexicon)
        return int(
            s.scalar(
                insert(M.QueryLog)
                .values(
                    lexicon_id=lx,
                    mode=mode,
                    input=input,
                    params=params,
                    result=result,
                    output=output,
                    revision=revision,
                    latency_ms=round(latency_ms, 3),
                    author=author,
                    connector=connector,
                    created_at=M.utcnow(),
                )
                .returning(M.QueryLog.id)
            )
        )

    def queries(
        self, lexicon: str, *, mode: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[QueryRecord]:
        """Logged queries, newest first."""
        with self.read() as s:
            lx = self.lexicon_id(s, lexicon)
            q = select(M.QueryLog).where(M.QueryLog.lexicon_id == lx)
            if mode:
                q = q.where(M.QueryLog.mode == mode)
            q = q.order_by(M.QueryLog.id.desc()).limit(limit).offset(offset)
            return [_query(r) for r in s.scalars(q)]

    def query(self, lexicon: str, query_id: int) -> QueryRecord:
        with self.read() as s:
            lx = self.lexicon_id(s, lexicon)
            row = s.scalar(
                select(M.QueryLog).where(M.QueryLog.lexicon_id == lx, M.QueryLog.id == query_id)
            )
            if row is None:
                raise NotFoundError(f"no logged query {query_id} in lexicon {lexicon!r}")
            return _query(row)

    # --- writing entries --------------------------------------------------------------

    def add(
        self, lexicon: str, data: EntryData, *, author: str, reason: str | None = None
    ) -> StoredEntry:
        with self.write() as s:
            lx = self.lexicon_id(s, lexicon, create=True)
            if s.scalar(
                select(M.Entry.id).where(M.Entry.lexicon_id == lx, M.Entry.form_key == data.key)
            ):
                raise ConflictError(f"entry {data.form!r} already exists in lexicon {lexicon!r}")
            (entry_id,) = self._create(s, lx, [data], author=author, reason=reason)
        found = self.get_many(lexicon, [entry_id])
        return found[entry_id]

    def update(
        self,
        lexicon: str,
        form: str,
        change: Callable[[EntryData], EntryData] | EntryData,
        *,
        author: str,
        reason: str | None = None,
        expect_version: int | None = None,
    ) -> StoredEntry:
        """Replace an entry's data; refuse if ``expect_version`` is stale. No-op if unchanged."""
        with self.write() as s:
            lx = self.lexicon_id(s, lexicon)
            row = s.scalars(
                _entry_query()
                .where(M.Entry.lexicon_id == lx, M.Entry.form_key == form_key(form))
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"no entry {form!r} in lexicon {lexicon!r}")
            if expect_version is not None and row.row_version != expect_version:
                raise ConflictError(stale_edit(row.form, row.row_version, expect_version))
            before = _data(row)
            after = change(before) if callable(change) else change
            if after == before:
                entry_id = row.id
            else:
                if after.key != before.key and s.scalar(
                    select(M.Entry.id).where(
                        M.Entry.lexicon_id == lx, M.Entry.form_key == after.key
                    )
                ):
                    raise ConflictError(f"entry {after.form!r} already exists in {lexicon!r}")
                self._replace(s, lx, [(row.id, row.row_version, before, after)], author, reason)
                entry_id = row.id
        return self.get_many(lexicon, [entry_id])[entry_id]

    def remove(
        self,
        lexicon: str,
        form: str,
        *,
        author: str,
        reason: str | None = None,
        expect_version: int | None = None,
    ) -> EntryData:
        with self.write() as s:
            lx = self.lexicon_id(s, lexicon)
            row = s.scalars(
                _entry_query()
                .where(M.Entry.lexicon_id == lx, M.Entry.form_key == form_key(form))
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"no entry {form!r} in lexicon {lexicon!r}")
            if expect_version is not None and row.row_version != expect_version:
                raise ConflictError(
                    f"stale delete refused: entry {row.form!r} is at version {row.row_version}, "
                    f"not {expect_version}; nothing was changed"
                )
            data = _data(row)
            self._delete(s, lx, [(row.id, data)], author, reason)
            return data

    def import_entries(
        self,
        lexicon: str,
        items: Iterable[tuple[str, EntryData]],
        *,
        author: str,
        reason: str | None = None,
        on_conflict: str = "fail",
        description: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import ``(where, entry)`` pairs in one transaction: all of them or none.

        ``on_conflict``: ``fail`` refuses the whole file at the first existing form, ``skip``
        keeps what is stored, ``update`` replaces it (recording a revision when it differs).
        """
        if on_conflict not in ("fail", "skip", "update"):
            raise BadInputError(f"--on-conflict: {on_conflict!r} is not one of fail, skip, update")
        report = ImportReport()
        seen: dict[str, str] = {}
        with self.write() as s:
            lx = self.lexicon_id(s, lexicon, create=True)
            if description:
                s.execute(
                    update(M.Lexicon)
                    .where(M.Lexicon.id == lx, M.Lexicon.description == "")
                    .values(description=description)
                )
            for batch in _batches(items, BATCH):
                for where, data in batch:
                    if data.key in seen:
                        raise BadInputError(
                            f"{where}: duplicate form {data.form!r} (first at {seen[data.key]})"
                        )
                    seen[data.key] = where
                keys = [d.key for _, d in batch]
                existing = {
                    row.form_key: row
                    for row in s.scalars(
                        _entry_query().where(M.Entry.lexicon_id == lx, M.Entry.form_key.in_(keys))
                    )
                }
                new = [d for _, d in batch if d.key not in existing]
                changed = []
                for where, d in batch:
                    row = existing.get(d.key)
                    if row is None:
                        continue
                    if on_conflict == "fail":
                        raise ConflictError(
                            f"{where}: entry {d.form!r} already exists in lexicon {lexicon!r} "
                            "(use --on-conflict skip or update); nothing was imported"
                        )
                    before = _data(row)
                    if on_conflict == "skip":
                        report.skipped += 1
                    elif before == d:
                        report.unchanged += 1
                    else:
                        changed.append((row.id, row.row_version, before, d))
                if new:
                    self._create(s, lx, new, author=author, reason=reason)
                    report.created += len(new)
                if changed:
                    self._replace(s, lx, changed, author, reason)
                    report.updated += len(changed)
                if progress:
                    progress(len(batch))
        return report

    def apply_state(
        self,
        s: Session,
        lexicon_id: int,
        target: dict[str, EntryData],
        *,
        author: str,
        reason: str,
    ) -> dict[str, int]:
        """Make the live entries equal ``target`` (form key -> data) with new revisions."""
        rows = {
            row.form_key: row
            for row in s.scalars(_entry_query().where(M.Entry.lexicon_id == lexicon_id))
        }
        removed = [(row.id, _data(row)) for key, row in rows.items() if key not in target]
        changed = []
        for key, data in target.items():
            row = rows.get(key)
            if row is not None:
                before = _data(row)
                if before != data:
                    changed.append((row.id, row.row_version, before, data))
        created = [data for key, data in target.items() if key not in rows]
        if removed:
            self._delete(s, lexicon_id, removed, author, reason)
        if changed:
            self._replace(s, lexicon_id, changed, author, reason)
        if created:
            self._create(s, lexicon_id, created, author=author, reason=reason)
        return {"created": len(created), "updated": len(changed), "deleted": len(removed)}

    def set_entry(
        self,
        s: Session,
        lexicon_id: int,
        entry_id: int | None,
        data: EntryData | None,
        *,
        author: str,
        reason: str | None,
    ) -> int | None:
        """Inside a write transaction: make one entry hold ``data``, with its revision and
        outbox row. ``entry_id`` None creates it; ``data`` None deletes it. Returns the
        entry's id (None once deleted). Refuses a form another entry holds."""
        row = None
        if entry_id is not None:
            row = s.scalars(
                _entry_query()
                .where(M.Entry.lexicon_id == lexicon_id, M.Entry.id == entry_id)
                .with_for_update()
            ).one_or_none()
            if row is None:
                raise NotFoundError(f"no entry with id {entry_id}")
        if data is not None and (row is None or row.form_key != data.key):
            taken = s.scalar(
                select(M.Entry.form).where(
                    M.Entry.lexicon_id == lexicon_id, M.Entry.form_key == data.key
                )
            )
            if taken is not None:
                raise ConflictError(f"entry {taken!r} exists; nothing was changed")
        if row is None:
            if data is None:
                return None
            (new_id,) = self._create(s, lexicon_id, [data], author=author, reason=reason)
            return new_id
        before = _data(row)
        if data is None:
            self._delete(s, lexicon_id, [(row.id, before)], author, reason)
            return None
        if data != before:
            self._replace(s, lexicon_id, [(row.id, row.row_version, before, data)], author, reason)
        return int(row.id)

    def revisions_of(
        self, s: Session, lexicon_id: int, entry_id: int, *, after: int = 0
    ) -> list[RevisionRecord]:
        """One entry's revisions with ids above ``after``, oldest first (its id, not its form:
        a form given up and taken by another entry is another story)."""
        rows = s.scalars(
            select(M.Revision)
            .where(
                M.Revision.lexicon_id == lexicon_id,
                M.Revision.entry_id == entry_id,
                M.Revision.id > after,
            )
            .order_by(M.Revision.id)
        )
        return [_revision(r) for r in rows]

    def revision(self, lexicon: str, revision_id: int) -> RevisionRecord:
        with self.read() as s:
            lx = self.lexicon_id(s, lexicon)
            row = s.scalar(
                select(M.Revision).where(M.Revision.lexicon_id == lx, M.Revision.id == revision_id)
            )
            if row is None:
                raise NotFoundError(f"no revision {revision_id} in lexicon {lexicon!r}")
            return _revision(row)

    def set_weights(
        self,
        lexicon: str,
        weights: dict[int, float],
        *,
        author: str,
        reason: str,
    ) -> int:
        """Write learned weights (entry id -> weight) as revisions; returns how many changed."""
        changed = 0
        with self.write() as s:
            lx = self.lexicon_id(s, lexicon)
            for chunk in _chunks(sorted(weights), BATCH):
                rows = s.scalars(
                    _entry_query().where(M.Entry.lexicon_id == lx, M.Entry.id.in_(chunk))
                )
                batch = []
                for row in rows:
                    before = _data(row)
                    new = round(weights[row.id], 6)
                    if new != before.weight:
                        batch.append((row.id, row.row_version, before, before.evolve(weight=new)))
                if batch:
                    self._replace(s, lx, batch, author, reason, learned=True)
                    changed += len(batch)
        return changed

    def prior_weights(self, lexicon: str, ids: Iterable[int]) -> dict[int, float]:
        ids = sorted(set(ids))
        out: dict[int, float] = {}
        with self.read() as s:
            for chunk in _chunks(ids, BATCH):
                for row in s.execute(
                    select(M.Entry.id, M.Entry.prior_weight, M.Entry.weight).where(
                        M.Entry.id.in_(chunk)
                    )
                ):
                    out[row.id] = row.prior_weight if row.prior_weight is not None else row.weight
        return out

    def rebuild_derived(self, entry_ids: Iterable[int]) -> int:
        """Rewrite the glosses, components, registers and examples rows of these entries from
        their stored records (the truth), without a revision: the entries' data is unchanged,
        only rows derived from it are repaired (``db check --fix``). Returns how many."""
        ids = sorted(set(entry_ids))
        with self.write() as s:
            for chunk in _chunks(ids, BATCH):
                rows = s.execute(select(M.Entry.id, M.Entry.data).where(M.Entry.id.in_(chunk)))
                pairs = [(row.id, EntryData.from_record(row.data)) for row in rows]
                self._delete_children(s, [i for i, _ in pairs])
                self._insert_children(s, pairs)
        return len(ids)

    def stale_heads(self) -> list[tuple[int, str]]:
        """The entries (id, form) whose ``gloss_head`` rows are not what their names give
        now (``gloss_heads``): rows lost, or found by a rule a migration has not caught up
        with. ``db check`` reports them; ``rebuild_derived`` writes them again. A thousand
        entries at a time along the primary key."""
        gloss, head = M.Gloss.__table__, M.GlossHead.__table__
        stale: list[tuple[int, str]] = []
        last = 0
        with self.engine.connect() as conn:
            while True:
                entries = conn.execute(
                    select(M.Entry.id, M.Entry.form)
                    .where(M.Entry.id > last)
                    .order_by(M.Entry.id)
                    .limit(BATCH)
                ).all()
                if not entries:
                    return stale
                first, last = entries[0].id, entries[-1].id
                span = (first, last)
                names = conn.execute(_names_of_words().where(gloss.c.entry_id.between(*span))).all()
                want: dict[int, list[tuple[str, str, str]]] = {}
                for h in gloss_heads([r._asdict() for r in names]):
                    want.setdefault(h["entry_id"], []).append((h["lang"], h["lemma"], h["things"]))
                have: dict[int, list[tuple[str, str, str]]] = {}
                for r in conn.execute(
                    select(head.c.entry_id, head.c.lang, head.c.lemma, head.c.things).where(
                        head.c.entry_id.between(*span)
                    )
                ):
                    have.setdefault(r.entry_id, []).append((r.lang, r.lemma, r.things))
                stale += [
                    (e.id, e.form)
                    for e in entries
                    if sorted(want.get(e.id, ())) != sorted(have.get(e.id, ()))
                ]

    # --- set-based write helpers (inside a write transaction) ----------------------------

    def _create(
        self,
        s: Session,
        lexicon_id: int,
        items: Sequence[EntryData],
        *,
        author: str,
        reason: str | None,
    ) -> list[int]:
        now = M.utcnow()
        rows = [
            _entry_row(lexicon_id, d, now)
            | {"created_at": now, "row_version": 1, "prior_weight": d.weight}
            for d in items
        ]
        # Core statements on the tables: the ORM's bulk layer costs more than the database
        table = M.Entry.__table__
        ids = list(
            s.connection().scalars(
                table.insert().returning(table.c.id, sort_by_parameter_order=True), rows
            )
        )
        self._insert_children(s, list(zip(ids, items, strict=True)))
        self._record(
            s,
            lexicon_id,
            [(i, "create", None, d) for i, d in zip(ids, items, strict=True)],
            author,
            reason,
            now,
        )
        return ids

    def _replace(
        self,
        s: Session,
        lexicon_id: int,
        changes: Sequence[tuple[int, int, EntryData, EntryData]],
        author: str,
        reason: str | None,
        *,
        learned: bool = False,
    ) -> None:
        """Write new data for entries. A weight a person changes becomes the entry's prior
        weight; a ``learned`` weight (calibration) leaves the prior alone."""
        now = M.utcnow()
        for entry_id, version, before, after in changes:
            values = _entry_row(lexicon_id, after, now)
            if not learned and after.weight != before.weight:
                values["prior_weight"] = after.weight
            result = s.execute(
                update(M.Entry)
                .where(M.Entry.id == entry_id, M.Entry.row_version == version)
                .values(**values, row_version=version + 1)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(
                    f"entry {after.form!r} changed while it was being written; nothing was changed"
                )
        ids = [c[0] for c in changes]
        self._delete_children(s, ids)
        self._insert_children(s, [(c[0], c[3]) for c in changes])
        self._record(
            s, lexicon_id, [(c[0], "update", c[2], c[3]) for c in changes], author, reason, now
        )

    def _delete(
        self,
        s: Session,
        lexicon_id: int,
        items: Sequence[tuple[int, EntryData]],
        author: str,
        reason: str | None,
    ) -> None:
        now = M.utcnow()
        ids = [i for i, _ in items]
        self._delete_children(s, ids)
        for chunk in _chunks(ids, BATCH):
            s.execute(
                delete(M.Entry)
                .where(M.Entry.id.in_(chunk))
                .execution_options(synchronize_session=False)
            )
        self._record(s, lexicon_id, [(i, "delete", d, None) for i, d in items], author, reason, now)

    def _delete_children(self, s: Session, ids: Sequence[int]) -> None:
        for chunk in _chunks(ids, BATCH):
            for table in (M.Gloss, M.GlossHead, M.Component, M.EntryRegister, M.Example):
                s.execute(
                    delete(table)
                    .where(table.entry_id.in_(chunk))
                    .execution_options(synchronize_session=False)
                )

    def _insert_children(self, s: Session, pairs: Sequence[tuple[int, EntryData]]) -> None:
        glosses, comps, regs, examples = [], [], [], []
        for entry_id, d in pairs:
            for lang, items in d.glosses.items():
                for pos, text in enumerate(items):
                    glosses.append(
                        {
                            "entry_id": entry_id,
                            "lang": lang,
                            "position": pos,
                            "text": text,
                            "norm": form_key(text),
                            "lemma": lemma_key(text, lang),
                        }
                    )
            for pos, c in enumerate(d.components):
                comps.append(
                    {
                        "entry_id": entry_id,
                        "position": pos,
                        "meaning": c.meaning,
                        "lang": c.lang,
                        "ref": c.ref,
                        "ref_key": form_key(c.ref) if c.ref else None,
                        "norm": form_key(c.meaning),
                        "lemma": lemma_key(c.meaning, c.lang),
                    }
                )
            regs.extend({"entry_id": entry_id, "register": r} for r in d.registers)
            examples.extend(
                {"entry_id": entry_id, "position": pos, "text": e}
                for pos, e in enumerate(d.examples)
            )
        for table, rows in (
            (M.Gloss, glosses),
            (M.GlossHead, gloss_heads(glosses)),
            (M.Component, comps),
            (M.EntryRegister, regs),
            (M.Example, examples),
        ):
            if rows:
                s.connection().execute(table.__table__.insert(), rows)

    def _record(
        self,
        s: Session,
        lexicon_id: int,
        changes: Sequence[tuple[int, str, EntryData | None, EntryData | None]],
        author: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        revisions = []
        outbox = []
        for entry_id, op, before, after in changes:
            key = (after or before).key  # type: ignore[union-attr]
            revisions.append(
                {
                    "lexicon_id": lexicon_id,
                    "entry_id": entry_id,
                    "form_key": key,
                    "op": op,
                    "before": before.record if before else None,
                    "after": after.record if after else None,
                    "author": author,
                    "reason": reason,
                    "created_at": now,
                }
            )
            outbox.append(
                {
                    "lexicon_id": lexicon_id,
                    "entry_id": entry_id,
                    "op": "delete" if op == "delete" else "upsert",
                    "created_at": now,
                }
            )
        conn = s.connection()
        conn.execute(M.Revision.__table__.insert(), revisions)
        conn.execute(M.Outbox.__table__.insert(), outbox)

    # --- figures ----------------------------------------------------------------------

    def stats(self, lexicon: str | None = None) -> dict[str, Any]:
        with self.read() as s:
            names = {i: n for i, n in s.execute(select(M.Lexicon.id, M.Lexicon.name))}
            out: dict[str, Any] = {"database": self.safe_url, "lexicons": {}}
            for lx_id, name in sorted(names.items(), key=lambda kv: kv[1]):
                if lexicon and name != lexicon:
                    continue

                def grouped(col: Any, lx_id: int = lx_id) -> dict[str, int]:
                    q = (
                        select(col, func.count())
                        .where(M.Entry.lexicon_id == lx_id)
                        .group_by(col)
                        .order_by(col)
                    )
                    return {k: v for k, v in s.execute(q)}

                regs = s.execute(
                    select(M.EntryRegister.register, func.count())
                    .join(M.Entry, M.Entry.id == M.EntryRegister.entry_id)
                    .where(M.Entry.lexicon_id == lx_id)
                    .group_by(M.EntryRegister.register)
                    .order_by(M.EntryRegister.register)
                ).all()
                langs = s.execute(
                    select(M.Gloss.lang, func.count())
                    .join(M.Entry, M.Entry.id == M.Gloss.entry_id)
                    .where(M.Entry.lexicon_id == lx_id)
                    .group_by(M.Gloss.lang)
                    .order_by(M.Gloss.lang)
                ).all()
                out["lexicons"][name] = {
                    "entries": sum(grouped(M.Entry.kind).values()),
                    "by_kind": grouped(M.Entry.kind),
                    "by_status": grouped(M.Entry.status),
                    "by_register": {k: v for k, v in regs},
                    "glosses_by_language": {k: v for k, v in langs},
                    "revisions": s.scalar(
                        select(func.count()).where(M.Revision.lexicon_id == lx_id)
                    ),
                    "versions": s.scalar(select(func.count()).where(M.Version.lexicon_id == lx_id)),
                    "outbox_pending": s.scalar(
                        select(func.count()).where(M.Outbox.lexicon_id == lx_id)
                    ),
                }
            if lexicon and lexicon not in out["lexicons"]:
                raise NotFoundError(f"no lexicon named {lexicon!r}")
            return out


# --- helpers ------------------------------------------------------------------------------


def validate_lexicon_name(name: str) -> None:
    if len(name) > LEXICON_NAME_MAX or not re.fullmatch(LEXICON_NAME, name):
        raise BadInputError(
            f"lexicon name {name!r}: use lower-case letters, digits, '-', '_' or '.' (1-100), "
            "with no '.' at either end or two together"
        )


def stale_edit(form: str, at: int, based_on: int) -> str:
    """What a refused stale edit says, here and over HTTP (412)."""
    return (
        f"stale edit refused: entry {form!r} is at version {at}, "
        f"the edit was based on version {based_on}; nothing was changed"
    )


def _entry_query() -> Any:
    return select(M.Entry)


def _entry_columns(*extra: Any) -> Any:
    """What a ``StoredEntry`` is made of (``_stored_row``), then ``extra`` columns. The record
    and the two instants come as the database keeps them (on SQLite, text): see
    ``_stored_row``."""
    E = M.Entry
    raw = [type_coerce(c, Text) for c in (E.data, E.created_at, E.updated_at)]
    return select(E.id, raw[0], E.row_version, raw[1], raw[2], E.content_hash, *extra)


# Entries made from rows, by the row: the bridge reads the same few hundred candidate entries
# of common words on every encode (at 100k entries, about 750 for a 20-word text), and making
# them (decoding the JSON record, building EntryData, parsing two instants) was a third of a
# warm encode. The same row (id, record text, version, instants) is the same entry, so nothing
# here goes stale; entries are immutable, so one instance may be shared.
ENTRIES_KEPT = 8192


@functools.lru_cache(maxsize=ENTRIES_KEPT)
def _stored_text(
    lexicon: str,
    entry_id: int,
    record: str,
    version: int,
    created: str,
    updated: str,
    content_hash: str,
) -> StoredEntry:
    data = EntryData.from_record(json.loads(record), content_hash)
    return StoredEntry(entry_id, lexicon, data, version, _instant(created), _instant(updated))


def _instant(value: Any) -> datetime:
    """A stored instant, timezone-aware UTC (what ``models.UTCDateTime`` gives): SQLite keeps
    naive ISO text, PostgreSQL's driver gives a datetime."""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _stored_row(row: Sequence[Any], lexicon: str) -> StoredEntry:
    entry_id, record, version, created, updated, content_hash = row[:6]
    if isinstance(record, str) and isinstance(created, str) and isinstance(updated, str):
        return _stored_text(lexicon, entry_id, record, version, created, updated, content_hash)
    # a driver that decodes JSON and instants itself (PostgreSQL)
    record = json.loads(record) if isinstance(record, str) else record
    data = EntryData.from_record(record, content_hash)
    return StoredEntry(entry_id, lexicon, data, version, _instant(created), _instant(updated))


def _binds(prefix: str, size: int) -> list[Any]:
    return [bindparam(f"{prefix}{i}") for i in range(size)]


# what a lemma key is looked up in: glosses, component meanings and the heads of names of
# several words (``gloss_heads``), each a table with the same columns
LEMMA_FIELDS = ("gloss", "component", "gloss_head")
# each field's ``LemmaHit.things``: a head's, and nothing (as text, so that the union's column
# has one type on every backend) for the others
_THINGS = {"gloss": "CAST(NULL AS VARCHAR(1000))", "component": "CAST(NULL AS VARCHAR(1000))"}
_THINGS["gloss_head"] = "t.things"
THINGS_SIZE = 1000  # the column's size (``models.GlossHead.things``)


def gloss_heads(glosses: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``gloss_head`` rows of gloss rows: the head of each name of several words (its
    first gloss in a language) and what else the name says (``morphology.name_parts``),
    found when the name is written, so that reading them asks
    for no lemmatizer of the name's language. A keyword of several words is left out: a
    partial match of one already stands for a related thing."""
    from .morphology import name_parts

    out = []
    for g in glosses:
        if g["position"] != 0 or " " not in g["lemma"]:
            continue
        parts = name_parts(g["lemma"], g["text"], g["lang"])
        if parts is None:
            continue
        head, things = parts
        said = json.dumps([sorted(t) for t in things], ensure_ascii=False)
        if len(said) > THINGS_SIZE:  # a sentence, not a name: nothing to find by its head
            continue
        out.append(
            {
                "entry_id": g["entry_id"],
                "lang": g["lang"],
                "position": 0,
                "lemma": head,
                "things": said,
            }
        )
    return out


def _names_of_words() -> Any:
    """The gloss rows ``gloss_heads`` reads: each entry's names (first glosses) of several
    words."""
    gloss = M.Gloss.__table__
    return select(
        gloss.c.id, gloss.c.entry_id, gloss.c.lang, gloss.c.position, gloss.c.text, gloss.c.lemma
    ).where(gloss.c.position == 0, gloss.c.lemma.like("% %"))


def fill_gloss_heads(conn: Any, batch: int = BATCH) -> int:
    """Find the heads of every name stored again, as ``gloss_heads`` finds them now, in place
    of the rows there: for a migration that brings the table or changes how a head is found
    (``morphology.name_parts``). A batch of names at a time along the primary key, so a large
    store's names are never all in memory. Returns the rows written."""
    gloss = M.Gloss.__table__
    head = M.GlossHead.__table__
    conn.execute(head.delete())
    names = _names_of_words()
    last, written = 0, 0
    while True:
        rows = conn.execute(
            names.where(gloss.c.id > last).order_by(gloss.c.id).limit(batch)
        ).fetchall()
        if not rows:
            return written
        last = rows[-1].id
        heads = gloss_heads([r._asdict() for r in rows])
        if heads:
            conn.execute(head.insert(), heads)
            written += len(heads)


def _lemma_sql(size: int, by_status: bool, dialect: str = "sqlite") -> Any:
    """One statement for ``size`` lemma keys: per key and field, the first ``:n`` matches
    walking the (lemma, position, entry_id) index. Written as SQL text: SQLAlchemy takes
    0.3 s to compile the same statement built from Core constructs for 64 keys, a cost every
    short-lived process would pay.

    On SQLite the keys are a ``VALUES`` table and each key's first matches a correlated
    ``IN (… LIMIT :n)``: two selects, whatever the number of keys. The union of a LIMITed
    branch per key and field that it replaces grew worse than linearly in SQLite (248 keys:
    30 ms, against 1.5 ms here, the same rows). Elsewhere that union is kept; each branch is
    wrapped in a subquery (SQLite takes no ``LIMIT`` on a bare member of a compound select)."""
    if dialect == "sqlite":
        status = "AND e.status = :status " if by_status else ""
        keys = ", ".join(f"(:k{i})" for i in range(size))
        parts = [
            f"SELECT '{field}' AS field, t.lemma, t.entry_id, t.position, t.lang, "
            f"{_THINGS[field]} AS things "
            f"FROM keys JOIN {field} AS t ON t.id IN (SELECT g.id FROM {field} AS g "
            f"JOIN entry AS e ON e.id = g.entry_id WHERE g.lemma = keys.k "
            f"AND e.lexicon_id = :lx {status}ORDER BY g.position, g.entry_id LIMIT :n)"
            for field in LEMMA_FIELDS
        ]
        return sql_text(f"WITH keys(k) AS (VALUES {keys}) " + " UNION ALL ".join(parts))
    status = "AND entry.status = :status " if by_status else ""
    branches = [
        f"SELECT * FROM (SELECT '{field}' AS field, t.lemma, t.entry_id, t.position, t.lang, "
        f"{_THINGS[field]} AS things FROM {field} AS t JOIN entry ON entry.id = t.entry_id "
        f"WHERE t.lemma = :k{i} AND entry.lexicon_id = :lx {status}"
        f"ORDER BY t.position, t.entry_id LIMIT :n) AS b{i}_{field}"
        for i in range(size)
        for field in LEMMA_FIELDS
    ]
    return sql_text(" UNION ALL ".join(branches))


# The lexicon's last revision id: one seek along the (lexicon, id) index (migration 0010;
# before it, ``max(id)`` of one lexicon read all its revisions, 0.34 ms at 4k entries)
LAST_REVISION = "(SELECT max(id) FROM revision WHERE lexicon_id = :lx)"


def _component_sequence(n: int) -> Any:
    """Active entries whose component ``i`` has the normalized meaning ``:n<i>`` for each
    ``i < n``, and that have no component ``n``: the sequence, exactly, in one statement
    driven from the first meaning's index (not from every active entry of the lexicon)."""
    first = M.Component.__table__.alias("c0")
    q = select(first.c.entry_id).join(M.Entry, M.Entry.id == first.c.entry_id)
    for i in range(1, n):
        part = M.Component.__table__.alias(f"c{i}")
        q = q.join(
            part,
            (part.c.entry_id == first.c.entry_id)
            & (part.c.position == i)
            & (part.c.norm == bindparam(f"n{i}")),
        )
    beyond = M.Component.__table__.alias("beyond")
    return q.where(
        first.c.norm == bindparam("n0"),
        first.c.position == 0,
        M.Entry.lexicon_id == bindparam("lx"),
        M.Entry.status == "active",
        ~select(beyond.c.id)
        .where(beyond.c.entry_id == first.c.entry_id, beyond.c.position == bindparam("end"))
        .exists(),
    )


def _known_meanings_sql(size: int) -> Any:
    """Which of ``size`` candidate pieces are a gloss or component meaning of an active
    entry: a ``VALUES`` list of the pieces, each tested with ``EXISTS`` (it stops at the
    first match). Unnamed ``VALUES`` columns are ``column1`` on SQLite and PostgreSQL alike."""
    pieces = ", ".join(f"(:p{i})" for i in range(size))
    exists_in = (
        "EXISTS (SELECT 1 FROM {t} JOIN entry ON entry.id = {t}.entry_id "
        "WHERE {t}.norm = pieces.column1 AND entry.lexicon_id = :lx "
        "AND entry.status = 'active')"
    )
    return sql_text(
        f"SELECT pieces.column1 FROM (VALUES {pieces}) AS pieces "
        f"WHERE {exists_in.format(t='gloss')} OR {exists_in.format(t='component')}"
    )


def _filtered(
    q: Any,
    lexicon_id: int,
    kind: str | None = None,
    register: str | None = None,
    status: str | None = None,
) -> Any:
    q = q.where(M.Entry.lexicon_id == lexicon_id)
    if kind:
        q = q.where(M.Entry.kind == kind)
    if status:
        q = q.where(M.Entry.status == status)
    if register:
        q = q.where(
            M.Entry.id.in_(
                select(M.EntryRegister.entry_id).where(M.EntryRegister.register == register)
            )
        )
    return q


# what entries may be listed by (a whitelist: never a column named by the caller); "kind"
# puts glyphs first and Δ-codes last, the order a person browsing expects
SORTS: dict[str, Any] = {
    "form": M.Entry.form_key,
    "kind": case(
        {k: n for n, k in enumerate(("glyph", "compound", "phrase", "delta"))},
        value=M.Entry.kind,
        else_=4,
    ),
    "weight": M.Entry.weight,
    "status": M.Entry.status,
    "updated": M.Entry.updated_at,
}


def _order_by(sort: str, order: str) -> list[Any]:
    if sort not in SORTS:
        raise BadInputError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
    if order not in ("asc", "desc"):
        raise BadInputError(f"order: {order!r} is not one of asc, desc")
    key = SORTS[sort]
    first = key.desc() if order == "desc" else key.asc()
    return [first] if sort == "form" else [first, M.Entry.form_key.asc()]


def _entry_row(lexicon_id: int, d: EntryData, now: datetime) -> dict[str, Any]:
    return {
        "lexicon_id": lexicon_id,
        "form": d.form,
        "form_key": d.key,
        "kind": d.kind,
        "weight": d.weight,
        "status": d.status,
        "provenance": d.provenance,
        "notes": d.notes,
        "content_hash": d.content_hash(),
        "data": d.record,
        "updated_at": now,
    }


def _data(row: Any) -> EntryData:
    return EntryData.from_record(row.data, row.content_hash)


def _stored(row: Any, lexicon: str) -> StoredEntry:
    return StoredEntry(
        id=row.id,
        lexicon=lexicon,
        data=_data(row),
        row_version=row.row_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _revision(r: M.Revision) -> RevisionRecord:
    return RevisionRecord(
        id=r.id,
        entry_id=r.entry_id,
        form_key=r.form_key,
        op=r.op,
        before=r.before,
        after=r.after,
        author=r.author,
        reason=r.reason,
        created_at=r.created_at,
    )


def _query(r: M.QueryLog) -> QueryRecord:
    return QueryRecord(
        id=r.id,
        mode=r.mode,
        input=r.input,
        params=r.params,
        result=r.result,
        output=r.output,
        revision=r.revision,
        latency_ms=r.latency_ms,
        author=r.author,
        connector=r.connector,
        created_at=r.created_at,
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _chunks(seq: Sequence[Any], n: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _batches(items: Iterable[Any], n: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= n:
            yield batch
            batch = []
    if batch:
        yield batch
