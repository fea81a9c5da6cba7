"""Alembic on both backends: every step up and down keeps the rows it does not have to drop,
the models and migrations do not drift, and ``db check`` sees broken data."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text, update

from hyperlexicon import migrate
from hyperlexicon import models as M
from hyperlexicon.config import Settings
from hyperlexicon.engine import make_engine
from hyperlexicon.lexicon import Lexicon


def _revisions() -> list[str]:
    return [r["revision"] for r in reversed(migrate.history())]


def _fill_every_table(settings: Settings) -> None:
    """A seeded store with rows in every table the schema has."""
    from hyperlexicon import calibration

    lex, report = Lexicon.init(settings, seed="core")
    assert report is not None and report.created >= 100
    try:
        lex.edit("🜂", weight=0.1, reason="data present while migrating")
        scene = lex.encode("огонь и время", stability=False)
        for n in range(3):
            lex.encode(f"тишинастрах {n}", stability=False)  # a compound proposal
        lex.feedback(scene.query_id, "reject", lexeme=scene.lexemes[0].form)
        lex.feedback(scene.query_id, "rate", rating=4)
        calibration.set_setting(lex.workspace, "proposal_support", 3)
        lex.calibrate(dry_run=False)
        assert calibration.proposals(lex.workspace)
    finally:
        lex.close()
    engine = make_engine(settings.database_url)
    now = M.utcnow()
    dialogue = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            M.Job.__table__.insert(),
            [
                dict(
                    id=str(uuid.uuid4()),
                    lexicon="core",
                    kind="import",
                    state="done",
                    progress_done=3,
                    progress_total=3,
                    params={"path": "x.jsonl"},
                    result={"created": 3},
                    error=None,
                    author="tester",
                    cancel_requested=False,
                    created_at=now,
                    updated_at=now,
                    owner="server-a",
                    owner_process="host/1/2/boot.3",
                    heartbeat_at=now,
                    lease_until=now,
                )
            ],
        )
        conn.execute(
            M.RateBucket.__table__.insert(),
            [dict(key="reader-1", tokens=3.5, stamp=1.7e9, allowed=True)],
        )
        conn.execute(
            M.Dialogue.__table__.insert(),
            [dict(id=dialogue, lexicon="core", author="tester", created_at=now, updated_at=now)],
        )
        conn.execute(
            M.DialogueTurn.__table__.insert(),
            [
                dict(
                    dialogue_id=dialogue,
                    seq=1,
                    request={"type": "encode", "text": "огонь"},
                    result={"hyperstring": "🜂"},
                    query_id=None,
                    created_at=now,
                )
            ],
        )
    engine.dispose()


def _snapshot(url: str) -> dict[str, tuple[list[str], int, dict[str, str]]]:
    """Each table: its columns, its row count, and a hash of each column's values in key order
    (so two snapshots compare on the columns they share)."""
    engine = make_engine(url)
    out: dict[str, tuple[list[str], int, dict[str, str]]] = {}
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            for table in insp.get_table_names():
                if table == "alembic_version":
                    continue
                columns = [c["name"] for c in insp.get_columns(table)]
                key = insp.get_pk_constraint(table)["constrained_columns"] or columns
                order = ", ".join(f'"{k}"' for k in key)
                rows = (
                    conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}')).mappings().all()
                )
                hashes = {
                    col: hashlib.sha256(
                        json.dumps(
                            [_plain(r[col]) for r in rows], ensure_ascii=False, default=str
                        ).encode()
                    ).hexdigest()
                    for col in columns
                }
                out[table] = (columns, len(rows), hashes)
    finally:
        engine.dispose()
    return out


def _plain(value: object) -> object:
    if isinstance(value, str) and value[:1] in "[{":
        try:  # JSON columns read back as text on SQLite, as objects on PostgreSQL
            return json.loads(value)
        except ValueError:
            return value
    return value


def _kept(before: dict, after: dict, step: str) -> None:
    """Every table in both snapshots has the same rows in the columns both have."""
    for table in sorted(set(before) & set(after)):
        cols_b, count_b, hash_b = before[table]
        cols_a, count_a, hash_a = after[table]
        assert count_a == count_b, f"{step}: {table} had {count_b} rows, now {count_a}"
        for col in set(cols_b) & set(cols_a):
            assert hash_a[col] == hash_b[col], f"{step}: {table}.{col} changed"


def test_every_step_down_and_up_keeps_every_row_it_need_not_drop(
    db_url: str, tmp_path: Path
) -> None:
    settings = Settings.load(home=str(tmp_path / "home"), db_url=db_url)
    _fill_every_table(settings)
    head = _snapshot(db_url)
    empty = [t for t, (_, count, _) in head.items() if count == 0]
    assert empty == [], f"tables without rows in the fixture: {empty}"
    revisions = _revisions()
    snapshots = {revisions[-1]: head}
    # down one revision at a time to base, comparing each step with the one before
    for i in range(len(revisions) - 1, -1, -1):
        migrate.downgrade(db_url, "-1")
        now = _snapshot(db_url)
        step = f"downgrade {revisions[i]} -> {revisions[i - 1] if i else 'base'}"
        _kept(snapshots[revisions[i]], now, step)
        if i:
            snapshots[revisions[i - 1]] = now
            assert migrate.check_data(db_url) == [], step
    assert migrate.current(db_url) is None
    # and back up: each step keeps what the step below had
    for rev in revisions:
        below = _snapshot(db_url)
        migrate.upgrade(db_url, "+1")
        assert migrate.current(db_url) == rev
        _kept(below, _snapshot(db_url), f"upgrade to {rev}")
        assert migrate.check_data(db_url) == [], rev
    assert migrate.check(db_url) == []


def test_down_to_the_first_revision_and_up_loses_no_entry_data(db_url: str, tmp_path: Path) -> None:
    settings = Settings.load(home=str(tmp_path / "home"), db_url=db_url)
    _fill_every_table(settings)
    lex = Lexicon(settings)
    weight = lex.get("🜂").data.weight
    lex.close()
    before = _snapshot(db_url)
    first = _revisions()[0]
    migrate.downgrade(db_url, first)
    low = _snapshot(db_url)  # the columns the first schema has: those must come back intact
    migrate.upgrade(db_url)
    after = _snapshot(db_url)
    for table in ("lexicon", "entry", "gloss", "component", "entry_register", "example"):
        _kept({table: before[table]}, {table: low[table]}, f"down to {first}")
        _kept({table: low[table]}, {table: after[table]}, f"{first} and back")
    for table in ("revision", "version"):
        _kept({table: before[table]}, {table: after[table]}, f"{first} and back")
    assert migrate.check_data(db_url) == []
    lex = Lexicon(settings)
    try:
        assert lex.search("огонь", mode="exact", limit=3)[0].entry.form == "🜂"
        assert lex.get("🜂").data.weight == weight
    finally:
        lex.close()


def test_models_and_migrations_do_not_drift(db_url: str) -> None:
    migrate.upgrade(db_url)
    assert migrate.check(db_url) == []


def test_store_refuses_an_unmigrated_database(db_url: str) -> None:
    from hyperlexicon.store import NotInitializedError, Store

    with pytest.raises(NotInitializedError, match="run 'hyperlexicon init'"):
        Store(db_url)
    migrate.upgrade(db_url)
    migrate.downgrade(db_url, "base")
    with pytest.raises(NotInitializedError):
        Store(db_url)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERLEXICON_")}
    env["HYPERLEXICON_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "hyperlexicon", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_db_check_finds_entries_that_lost_their_rows_and_fix_rebuilds_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _cli(home, "init", "--seed", "core").returncode == 0
    assert _cli(home, "db", "check").returncode == 0
    url = f"sqlite:///{home / 'lexicon.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as conn:  # what the cascading rebuild once did
        entry_id = conn.execute(select(M.Entry.id).where(M.Entry.form == "🜂")).scalar_one()
        conn.execute(M.Gloss.__table__.delete().where(M.Gloss.entry_id == entry_id))
        conn.execute(M.Component.__table__.delete())
    engine.dispose()
    found = _cli(home, "db", "check")
    assert found.returncode == 1
    assert "whose glosses rows do not match the entry's record: 🜂" in found.stdout
    assert "whose components rows do not match" in found.stdout
    fixed = _cli(home, "db", "check", "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "rebuilt the derived rows" in fixed.stdout
    assert "🜂" in _cli(home, "lex", "search", "огонь", "--exact", "--json").stdout


def test_db_check_finds_name_heads_that_are_not_what_the_names_give(tmp_path: Path) -> None:
    """A head row lost, or one an older rule found, is a finding of ``db check`` naming the
    entry; ``--fix`` finds it again from the name, and the check is clean after."""
    home = tmp_path / "home"
    assert _cli(home, "init", "--seed", "core").returncode == 0
    url = f"sqlite:///{home / 'lexicon.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        heads = conn.execute(
            select(M.Entry.form, M.GlossHead.id, M.GlossHead.lemma)
            .join(M.GlossHead, M.GlossHead.entry_id == M.Entry.id)
            .order_by(M.GlossHead.id)
        ).all()
        (lost, lost_id, _) = heads[0]
        # a name of another entry (an entry has a name in each language)
        moved, moved_id, lemma = next(h for h in heads if h.form != lost)
        conn.execute(M.GlossHead.__table__.delete().where(M.GlossHead.id == lost_id))
        conn.execute(
            update(M.GlossHead).where(M.GlossHead.id == moved_id).values(lemma=lemma + "x")
        )
    engine.dispose()
    found = _cli(home, "db", "check")
    assert found.returncode == 1
    assert "2 entries whose name heads (gloss_head) do not match their names" in found.stdout
    assert lost in found.stdout and moved in found.stdout
    fixed = _cli(home, "db", "check", "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _cli(home, "db", "check").returncode == 0


def test_relative_revisions_and_bad_ones_on_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _cli(home, "init").returncode == 0
    head = _revisions()[-1]
    down = _cli(home, "db", "downgrade", "-1")
    assert down.returncode == 0, down.stderr
    assert down.stdout.strip() == f"schema at {_revisions()[-2]}"
    up = _cli(home, "db", "upgrade", "+1")
    assert up.returncode == 0 and up.stdout.strip() == f"schema at {head}"
    past = _cli(home, "db", "upgrade", "+1")
    assert past.returncode == 2 and past.stderr.count("\n") == 1
    assert "Traceback" not in past.stderr
    unknown = _cli(home, "db", "downgrade", "nope")
    assert (
        unknown.returncode == 2 and "'nope'" in unknown.stderr and unknown.stderr.count("\n") == 1
    )


@pytest.mark.parametrize(
    "url, says",
    [
        ("mysql://u@127.0.0.1/db", "driver 'MySQLdb' is not installed"),
        ("nosuchdb://x/y", "SQLAlchemy knows no database 'nosuchdb'"),
        ("not a url", "is not a URL"),
    ],
)
def test_a_database_url_this_install_cannot_use_is_one_line(
    tmp_path: Path, url: str, says: str
) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERLEXICON_")}
    env.update(HYPERLEXICON_HOME=str(tmp_path / "home"), HYPERLEXICON_DB_URL=url)
    out = subprocess.run(
        [sys.executable, "-m", "hyperlexicon", "lex", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert says in out.stderr and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_the_gloss_heads_migration_finds_the_heads_of_names_already_stored(
    db_url: str, tmp_path: Path
) -> None:
    """Upgrading a database from before ``gloss_head`` fills it for the names it already
    holds, as the store writes it for a new entry: the same rows, so an old lexicon finds
    "woman" in "old woman" as a new one does."""
    settings = Settings.load(home=str(tmp_path / "home"), db_url=db_url)
    lex, _ = Lexicon.init(settings, seed="core")
    try:
        from hyperlexicon.entry import EntryData

        lex.add(EntryData.from_dict({"form": "👵", "glosses": {"en": ["old woman"]}}))
        # a name too long to keep its things (a sentence, not a name) has no head row, and the
        # entry is written on either backend
        long = " ".join(["river stone"] * 80)
        lex.add(EntryData.from_dict({"form": "🪨", "glosses": {"en": [long]}}))
        assert lex.get("🪨").data.glosses["en"] == (long,)
    finally:
        lex.close()
    engine = make_engine(db_url)

    def heads() -> list[tuple[int, str, int, str]]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(M.GlossHead.entry_id, M.GlossHead.lang, M.GlossHead.position)
                .add_columns(M.GlossHead.lemma)
                .order_by(M.GlossHead.entry_id, M.GlossHead.lang)
            )
            return [tuple(r) for r in rows]

    try:
        written = heads()
        assert any(lemma == "woman" for *_, lemma in written)
        with engine.connect() as conn:
            stone = conn.scalar(select(M.Entry.id).where(M.Entry.form == "🪨"))
        assert stone not in {entry_id for entry_id, *_ in written}
        migrate.downgrade(db_url, "0007")
        assert "gloss_head" not in inspect(engine).get_table_names()
        migrate.upgrade(db_url)
        assert heads() == written
    finally:
        engine.dispose()


def test_the_gloss_heads_are_found_again_when_the_rule_that_finds_them_changes(
    db_url: str, tmp_path: Path
) -> None:
    """Migration 0009 finds the heads again by the current rule (a preposition of place ends
    an English name's head: "sun behind cloud" is a sun): a database whose rows an older rule
    wrote ("cloud") reads as a new one after the upgrade, and nothing else changes."""
    settings = Settings.load(home=str(tmp_path / "home"), db_url=db_url)
    lex, _ = Lexicon.init(settings, seed="core")
    try:
        from hyperlexicon.entry import EntryData

        lex.add(EntryData.from_dict({"form": "⛅", "glosses": {"en": ["sun behind cloud"]}}))
        lex.add(EntryData.from_dict({"form": "👵", "glosses": {"en": ["old woman"]}}))
    finally:
        lex.close()
    engine = make_engine(db_url)

    def heads() -> dict[str, str]:
        with engine.connect() as conn:
            rows = conn.execute(
                select(M.Entry.form, M.GlossHead.lemma).join(
                    M.GlossHead, M.GlossHead.entry_id == M.Entry.id
                )
            )
            return {form: lemma for form, lemma in rows if form in ("⛅", "👵")}

    try:
        assert heads() == {"⛅": "sun", "👵": "woman"}
        migrate.downgrade(db_url, "0008")
        with engine.begin() as conn:  # as the rule before 0009 found it
            conn.execute(
                update(M.GlossHead).where(M.GlossHead.lemma == "sun").values(lemma="cloud")
            )
        assert heads() == {"⛅": "cloud", "👵": "woman"}
        migrate.upgrade(db_url)
        assert heads() == {"⛅": "sun", "👵": "woman"}
    finally:
        engine.dispose()
