"""Alembic on both backends: every step up and down with data present, and no drift."""

from __future__ import annotations

from hyperlexicon import migrate
from hyperlexicon.config import Settings
from hyperlexicon.lexicon import Lexicon


def _revisions() -> list[str]:
    return [r["revision"] for r in reversed(migrate.history())]


def test_upgrade_downgrade_upgrade_with_data(db_url: str) -> None:
    settings = Settings.load(db_url=db_url)
    lex, report = Lexicon.init(settings, seed="core")
    assert report is not None and report.created >= 100
    lex.edit("🜂", weight=0.1, reason="data present while migrating")
    lex.close()
    revisions = _revisions()
    # step down one revision at a time to base, then back up one at a time
    for _ in revisions:
        migrate.downgrade(db_url, "-1")
    assert migrate.current(db_url) is None
    for rev in revisions:
        migrate.upgrade(db_url, "+1")
        assert migrate.current(db_url) == rev
    lex, report = Lexicon.init(settings, seed="core")
    assert lex.get("🜂").data.weight == 0.8
    lex.close()


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    migrate.upgrade(db_url)
    assert migrate.check(db_url) == []


def test_store_refuses_an_unmigrated_database(db_url: str) -> None:
    import pytest

    from hyperlexicon.store import NotInitializedError, Store

    with pytest.raises(NotInitializedError, match="run 'hyperlexicon init'"):
        Store(db_url)
    migrate.upgrade(db_url)
    migrate.downgrade(db_url, "base")
    with pytest.raises(NotInitializedError):
        Store(db_url)
