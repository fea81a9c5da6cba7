"""Alembic, driven from code, so an installed wheel can migrate its own database.

The migration scripts live in the top-level ``migrations/`` folder of the repository and are
copied into the wheel as ``hyperlexicon/migrations``; an editable install finds the top-level
folder, a wheel install the packaged one.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import HyperlexiconError


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
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(str(migrations_dir())).get_heads()
    if len(heads) != 1:
        raise HyperlexiconError(f"migrations have {len(heads)} heads; expected one")
    return heads[0]


def _run(command_name: str, url: str, *args: Any, **kwargs: Any) -> None:
    from alembic import command

    from .store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            getattr(command, command_name)(alembic_config(url, conn), *args, **kwargs)
            conn.commit()
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    _run("upgrade", url, revision)


def downgrade(url: str, revision: str) -> None:
    _run("downgrade", url, revision)


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from .store import make_engine

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

    from .models import Base
    from .store import make_engine

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
