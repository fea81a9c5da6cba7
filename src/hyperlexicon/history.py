"""Versions: named points in a lexicon's history, and what is derived from them.

A version is the id of the last revision it includes. The lexicon as of a version is, for
every entry, the snapshot of its latest revision up to that id (absent if that revision is a
delete). Diff, export and rollback all read that, so none of them needs stored copies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import regex
from sqlalchemy import and_, func, select

from . import models as M
from .entry import EntryData
from .errors import BadInputError, ConflictError, NotFoundError
from .store import RevisionRecord, Store

WORKING = "working"
# an entry's fields, in the order a revision's diff shows them
FIELDS = tuple(f.name for f in dataclasses.fields(EntryData))
# what a snapshot leaves out when a field is empty (EntryData.to_dict)
_EMPTY: dict[str, Any] = {"components": [], "notes": "", "examples": []}
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


# --- one revision: what it changed, and undoing it ---------------------------------------------


def _values(snapshot: dict[str, Any] | None) -> dict[str, Any]:
    if snapshot is None:
        return {}
    return {f: snapshot.get(f, _EMPTY.get(f)) for f in FIELDS}


def changes(revision: RevisionRecord) -> dict[str, tuple[Any, Any]]:
    """Field by field, what one revision changed: ``field -> (before, after)``, in the record
    notation of exports. A create or a delete gives the fields that hold something, with None
    on the side where the entry did not exist."""
    before, after = _values(revision.before), _values(revision.after)
    out = {}
    for name in FIELDS:
        a, b = before.get(name), after.get(name)
        if a == b or (revision.op != "update" and (b if a is None else a) in ([], "", {})):
            continue
        out[name] = (a, b)
    return out


def revert(
    store: Store, lexicon: str, revision_id: int, *, author: str, reason: str | None = None
) -> RevisionRecord:
    """Undo one revision, as a new revision whose reason names it: an update's fields go back
    to what they were before it, a create is deleted, a delete is restored.

    Refused (``ConflictError``, nothing changed) when a later revision of the entry changed
    one of the same fields, or deleted it: undoing this one would undo that one too, unseen.
    Revert the later one first, or edit the entry. Other fields' later changes stay."""
    rev = store.revision(lexicon, revision_id)
    changed = changes(rev)
    why = f"revert revision {rev.id}" + (f": {reason}" if reason else "")
    with store.write() as s:
        lx = store.lexicon_id(s, lexicon)
        mark = store.last_revision_id(s, lx)
        later = store.revisions_of(s, lx, rev.entry_id, after=rev.id)
        refused = f"revision {rev.id} of {rev.form!r} cannot be reverted"
        for other in later:
            if other.op == "delete":
                raise ConflictError(
                    f"{refused}: revision {other.id} deleted the entry after it; nothing was "
                    "changed (revert that one first)"
                )
            overlap = [name for name in changes(other) if name in changed]
            if overlap:
                raise ConflictError(
                    f"{refused}: revision {other.id} changed {', '.join(overlap)} after it; "
                    "nothing was changed (revert that one first, or edit the entry)"
                )
        entry_id: int | None = rev.entry_id
        try:
            if rev.op == "create":
                store.set_entry(s, lx, rev.entry_id, None, author=author, reason=why)
            elif rev.op == "delete":
                assert rev.before is not None
                restored = EntryData.from_record(rev.before)
                entry_id = store.set_entry(s, lx, None, restored, author=author, reason=why)
            else:
                row = s.scalar(select(M.Entry.data).where(M.Entry.id == rev.entry_id))
                assert row is not None  # a later delete was refused above
                current = EntryData.from_record(row)
                back = current.evolve(**{name: before for name, (before, _) in changed.items()})
                entry_id = store.set_entry(s, lx, rev.entry_id, back, author=author, reason=why)
        except ConflictError as exc:  # the form it would take back is another entry's now
            raise ConflictError(f"{refused}: {exc}") from None
        assert entry_id is not None
        made = store.revisions_of(s, lx, entry_id, after=mark)
        if not made:
            raise ConflictError(
                f"revision {rev.id} of {rev.form!r}: the entry already holds what it held "
                "before it; nothing was changed"
            )
        return made[-1]
