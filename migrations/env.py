"""Alembic environment for hyperlexicon.

Imports only the models (never the whole application), reuses a connection handed in through
``config.attributes["connection"]`` and does not call ``fileConfig``, so running migrations
from the library leaves the host's logging alone.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from hyperlexicon.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
        render_as_batch=(config.get_main_option("sqlalchemy.url") or "").startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from hyperlexicon.engine import migrating

    # the alembic command line: the same guarded connection the library uses
    with migrating(config.get_main_option("sqlalchemy.url") or "") as conn:
        _configure(conn)
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
