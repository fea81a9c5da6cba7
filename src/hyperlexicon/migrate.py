"""Alembic, driven from code, so an installed wheel can migrate its own database.

The migration scripts live in the top-level ``migrations/`` folder of the repository and are
copied into the wheel as ``hyperlexicon/migrations``; an editable install finds the top-level
folder, a wheel install the packaged one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import BadInputError, HyperlexiconError


def migrations_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "migrations", here.parent.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise HyperlexiconError("the migrations folder is missing from this installation")


def alembic_config(url: str, connection: Any = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    # ConfigParser would read '%' in URL-encoded passwords as interpolation
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration. Every process that opens a store checks its schema against it,
    so it is read from the scripts' ``revision`` and ``down_revision`` lines (1 ms), not by
    importing Alembic (0.2 s); a script those lines do not describe plainly is left to
    Alembic's own reading (``alembic_head``, which the tests compare with this)."""
    heads = _heads_from_scripts()
    if heads is None:
        return alembic_head()
    if len(heads) != 1:
        raise HyperlexiconError(f"migrations have {len(heads)} heads; expected one")
    return heads[0]


def alembic_head() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(str(migrations_dir())).get_heads()
    if len(heads) != 1:
        raise HyperlexiconError(f"migrations have {len(heads)} heads; expected one")
    return heads[0]


_REVISION = re.compile(r"^revision(?:\s*:[^=]*)?\s*=\s*(['\"])([^'\"]+)\1\s*$", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=]*)?\s*=\s*(.+?)\s*$", re.M)
_NAME = re.compile(r"(['\"])([^'\"]+)\1")


def _heads_from_scripts() -> list[str] | None:
    """Revisions no script names as its ``down_revision``; None if a script is not plain."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in sorted((migrations_dir() / "versions").glob("*.py")):
        body = script.read_text("utf-8")
        revision, down = _REVISION.findall(body), _DOWN.findall(body)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0][1])
        value = down[0]
        names = [m[1] for m in _NAME.findall(value)]
        if value != "None" and not names:
            return None
        parents.update(names)
    return sorted(revisions - parents) if revisions else None


def _run(command_name: str, url: str, *args: Any, **kwargs: Any) -> None:
    from alembic import command
    from alembic.util.exc import CommandError

    from .engine import migrating

    try:
        with migrating(url) as conn:
            getattr(command, command_name)(alembic_config(url, conn), *args, **kwargs)
    except CommandError as exc:  # an unknown revision, or a step past either end
        raise BadInputError(f"db {command_name}: {exc}") from None


def upgrade(url: str, revision: str = "head") -> None:
    _run("upgrade", url, revision)


def downgrade(url: str, revision: str) -> None:
    _run("downgrade", url, revision)


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from .engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def history() -> list[dict[str, Any]]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations_dir()))
    return [
        {
            "revision": rev.revision,
            "down_revision": rev.down_revision,
            "message": rev.doc,
        }
        for rev in script.walk_revisions()
    ]


def check(url: str) -> list[Any]:
    """Differences between the models and the migrated database (empty means no drift)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from .engine import make_engine
    from .models import Base

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn,
                opts={"compare_type": True, "render_as_batch": conn.dialect.name == "sqlite"},
            )
            return compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Finding:
    """A data invariant that does not hold, and the entries it concerns (if any)."""

    message: str
    entry_ids: tuple[int, ...] = ()


def entries_finding(found: Sequence[tuple[int, str]], what: str, fix: str) -> Finding:
    """A finding about entries (id, form): how many, ``what`` of them, the first five forms,
    and what ``db check --fix`` does about it."""
    forms = [form for _, form in found]
    more = f" and {len(forms) - 5} more" if len(forms) > 5 else ""
    return Finding(
        f"{len(forms)} entr{'y' if len(forms) == 1 else 'ies'} {what}: "
        f"{', '.join(forms[:5])}{more} ('hyperlexicon db check --fix' {fix})",
        tuple(entry_id for entry_id, _ in found),
    )


def check_data(url: str) -> list[Finding]:
    """Data invariants a migration must keep, as findings (empty means none):

    every entry's glosses, components, registers and examples rows match its stored record
    (the record is the truth; those rows are derived from it), and on SQLite no row points at
    a row that is gone. A table rebuilt with foreign keys on once emptied them silently.
    """
    from sqlalchemy import func, select

    from . import models as M
    from .engine import make_engine

    findings: list[Finding] = []
    engine = make_engine(url)
    children = {
        "glosses": M.Gloss,
        "components": M.Component,
        "registers": M.EntryRegister,
        "examples": M.Example,
    }
    try:
        with engine.connect() as conn:
            have: dict[str, dict[int, int]] = {
                name: dict(
                    conn.execute(
                        select(table.entry_id, func.count()).group_by(table.entry_id)
                    ).all()
                )
                for name, table in children.items()
            }
            missing: dict[str, list[tuple[int, str]]] = {}
            for entry_id, form, data in conn.execute(
                select(M.Entry.id, M.Entry.form, M.Entry.data).order_by(M.Entry.id)
            ).yield_per(1000):
                for name in children:
                    value = data.get(name) or ()
                    want = sum(len(v) for v in value.values()) if name == "glosses" else len(value)
                    if have[name].get(entry_id, 0) != want:
                        missing.setdefault(name, []).append((entry_id, form))
            for name, found in missing.items():
                findings.append(
                    entries_finding(
                        found,
                        f"whose {name} rows do not match the entry's record",
                        "rebuilds them from the records",
                    )
                )
            if conn.dialect.name == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                for table in sorted({row[0] for row in broken}):
                    n = sum(row[0] == table for row in broken)
                    findings.append(Finding(f"{n} row(s) of {table} point at rows that are gone"))
    finally:
        engine.dispose()
    return findings
