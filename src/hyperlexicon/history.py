"""Versions: named points in a lexicon's history, and what is derived from them.

A version is the id of the last revision it includes. The lexicon as of a version is, for
every entry, the snapshot of its latest revision up to that id (absent if that revision is a
delete). Diff, export and rollback all read that, so none of them needs stored copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import regex
from sqlalchemy import and_, func, select

from . import models as M
from .entry import EntryData
from .errors import BadInputError, ConflictError, NotFoundError
from .store import Store

WORKING = "working"
_NAME = regex.compile(r"^[\p{L}\p{N}][\p{L}\p{N}._+-]{0,99}$")


@dataclass(frozen=True)
class VersionInfo:
    name: str
    message: str
    author: str
    revision_id: int
    created_at: datetime
    entries: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "message": self.message,
            "author": self.author,
            "revision": self.revision_id,
            "created_at": self.created_at.isoformat(),
            "entries": self.entries,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VersionInfo:
        return cls(
            d["name"],
            d.get("message") or "",
            d["author"],
            int(d["revision"]),
            datetime.fromisoformat(d["created_at"]),
            d.get("entries"),
        )


@dataclass
class Diff:
    a: str
    b: str
    added: list[EntryData] = field(default_factory=list)
    removed: list[EntryData] = field(default_factory=list)
    changed: list[tuple[EntryData, EntryData, dict[str, tuple[Any, Any]]]] = field(
        default_factory=list
    )

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "added": [d.to_dict() for d in self.added],
            "removed": [d.to_dict() for d in self.removed],
            "changed": [
                {
                    "form": new.form,
                    "fields": {k: {"a": va, "b": vb} for k, (va, vb) in fields.items()},
                    "before": old.to_dict(),
                    "after": new.to_dict(),
                }
                for old, new, fields in self.changed
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Diff:
        def entry(x: dict[str, Any], where: str) -> EntryData:
            return EntryData.from_dict(x, where=where, repair=False)

        return cls(
            d["a"],
            d["b"],
            [entry(x, "added") for x in d.get("added", ())],
            [entry(x, "removed") for x in d.get("removed", ())],
            [
                (
                    entry(c["before"], "changed"),
                    entry(c["after"], "changed"),
                    {k: (v["a"], v["b"]) for k, v in c["fields"].items()},
                )
                for c in d.get("changed", ())
            ],
        )


def validate_name(name: str) -> str:
    if name == WORKING or name.startswith("@") or not _NAME.match(name):
        raise BadInputError(
            f"version name {name!r}: letters, digits, '.', '_', '+', '-' (not 'working' or '@…')"
        )
    return name


def create(store: Store, lexicon: str, name: str, *, message: str, author: str) -> VersionInfo:
    validate_name(name)
    with store.write() as s:
        lx = store.lexicon_id(s, lexicon)
        return _create(s, store, lx, name, message=message, author=author)


def _create(
    s: Any, store: Store, lexicon_id: int, name: str, *, message: str, author: str
) -> VersionInfo:
    if s.scalar(
        select(M.Version.id).where(M.Version.lexicon_id == lexicon_id, M.Version.name == name)
    ):
        raise ConflictError(f"version {name!r} already exists")
    row = M.Version(
        lexicon_id=lexicon_id,
        name=name,
        message=message,
        author=author,
        revision_id=store.last_revision_id(s, lexicon_id),
        created_at=M.utcnow(),
    )
    s.add(row)
    s.flush()
    return VersionInfo(name, message, author, row.revision_id, row.created_at)


def list_versions(store: Store, lexicon: str) -> list[VersionInfo]:
    with store.read() as s:
        lx = store.lexicon_id(s, lexicon)
        rows = list(
            s.scalars(select(M.Version).where(M.Version.lexicon_id == lx).order_by(M.Version.id))
        )
        return [
            VersionInfo(
                r.name,
                r.message,
                r.author,
                r.revision_id,
                r.created_at,
                entries=_count_at(s, lx, r.revision_id),
            )
            for r in rows
        ]


def resolve(store: Store, lexicon: str, ref: str) -> int | None:
    """A version name, ``@<revision id>``, or ``working`` (None: the live entries)."""
    if ref == WORKING:
        return None
    with store.read() as s:
        lx = store.lexicon_id(s, lexicon)
        if ref.startswith("@"):
            try:
                rev = int(ref[1:])
            except ValueError:
                raise BadInputError(f"{ref!r}: expected @<revision number>") from None
            if rev < 0:
                raise BadInputError(f"{ref!r}: revision numbers are not negative")
            return rev
        mark = s.scalar(
            select(M.Version.revision_id).where(M.Version.lexicon_id == lx, M.Version.name == ref)
        )
        if mark is None:
            raise NotFoundError(f"no version {ref!r} in lexicon {lexicon!r}")
        return int(mark)


def state(store: Store, lexicon: str, ref: str) -> dict[str, EntryData]:
    """The lexicon as of ``ref``: form key -> entry, in form-key order."""
    mark = resolve(store, lexicon, ref)
    if mark is None:
        return {e.data.key: e.data for e in store.iter_entries(lexicon)}
    with store.read() as s:
        lx = store.lexicon_id(s, lexicon)
        latest = _latest_revisions(lx, mark)
        rows = s.execute(
            select(M.Revision.after)
            .join(latest, M.Revision.id == latest.c.rid)
            .where(M.Revision.op != "delete")
        ).scalars()
        out = {}
        for snap in rows:
            data = EntryData.from_record(snap)
            out[data.key] = data
    return dict(sorted(out.items()))


def diff(store: Store, lexicon: str, a: str, b: str = WORKING) -> Diff:
    sa, sb = state(store, lexicon, a), state(store, lexicon, b)
    return diff_states(sa, sb, a, b)


def diff_states(sa: dict[str, EntryData], sb: dict[str, EntryData], a: str, b: str) -> Diff:
    out = Diff(a, b)
    for key in sorted(set(sa) | set(sb)):
        old, new = sa.get(key), sb.get(key)
        if old is None and new is not None:
            out.added.append(new)
        elif new is None and old is not None:
            out.removed.append(old)
        elif old is not None and new is not None and old != new:
            da, db = old.to_dict(), new.to_dict()
            fields = {
                k: (da.get(k), db.get(k))
                for k in dict.fromkeys([*da, *db])
                if da.get(k) != db.get(k)
            }
            out.changed.append((old, new, fields))
    return out


def rollback(
    store: Store, lexicon: str, name: str, *, author: str, reason: str | None = None
) -> tuple[str, dict[str, int]]:
    """Make the working state equal version ``name``, with new revisions.

    The state before the rollback is tagged first (``before-rollback-…``), so the rollback can
    itself be rolled back by rolling back to that tag.
    """
    target = state(store, lexicon, name)
    with store.write() as s:
        lx = store.lexicon_id(s, lexicon)
        base = f"before-rollback-to-{name.lstrip('@')}"
        existing = set(
            s.scalars(
                select(M.Version.name).where(
                    M.Version.lexicon_id == lx, M.Version.name.like(base + "%")
                )
            )
        )
        tag, n = base, 1
        while tag in existing:
            n += 1
            tag = f"{base}-{n}"
        _create(
            s,
            store,
            lx,
            tag,
            message=f"state before rolling back to {name}",
            author=author,
        )
        counts = store.apply_state(
            s, lx, target, author=author, reason=reason or f"rollback to {name}"
        )
    return tag, counts


def _latest_revisions(lexicon_id: int, mark: int) -> Any:
    return (
        select(func.max(M.Revision.id).label("rid"))
        .where(and_(M.Revision.lexicon_id == lexicon_id, M.Revision.id <= mark))
        .group_by(M.Revision.entry_id)
        .subquery()
    )


def _count_at(s: Any, lexicon_id: int, mark: int) -> int:
    latest = _latest_revisions(lexicon_id, mark)
    return int(
        s.scalar(
            select(func.count())
            .select_from(M.Revision)
            .join(latest, M.Revision.id == latest.c.rid)
            .where(M.Revision.op != "delete")
        )
        or 0
    )
