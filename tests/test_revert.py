"""Undoing one revision (``history.revert``, ``Lexicon.revert``, ``lex revert``) on SQLite and
PostgreSQL: an update's fields go back, a create is deleted, a delete is restored, each as a
new revision whose reason names the one it undoes; a later change to the same field refuses
it and changes nothing. And ``history.changes``, each revision's before and after, field by
field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hyperlexicon.cli import main
from hyperlexicon.entry import EntryData
from hyperlexicon.errors import ConflictError, NotFoundError
from hyperlexicon.history import changes
from hyperlexicon.lexicon import Lexicon


def _latest(lex: Lexicon, form: str) -> int:
    return lex.history(form, limit=1)[0].id


def _count(lex: Lexicon) -> int:
    return len(lex.history())


def test_changes_field_by_field(seeded: Lexicon) -> None:
    seeded.edit("🜂", weight=0.31, notes="hot", reason="warmer")
    update = seeded.history("🜂", limit=1)[0]
    assert set(changes(update)) == {"weight", "notes"}
    assert changes(update)["notes"][1] == "hot"
    assert changes(update)["weight"][1] == 0.31
    seeded.add(EntryData.create("🜅", glosses={"en": ["acid"]}))
    create = seeded.history("🜅", limit=1)[0]
    made = changes(create)
    assert made["form"] == (None, "🜅") and made["glosses"] == (None, {"en": ["acid"]})
    assert "components" not in made and "notes" not in made  # empty fields are left out
    seeded.remove("🜅")
    removed = changes(seeded.history("🜅", limit=1)[0])
    assert removed["form"] == ("🜅", None)


def test_revert_an_update_puts_its_fields_back(seeded: Lexicon) -> None:
    before = seeded.get("🜂").data
    seeded.edit("🜂", weight=0.11, registers=["technical"], reason="a mistake")
    target = _latest(seeded, "🜂")
    seeded.edit("🜂", notes="kept after the revert", reason="another field")
    made = seeded.revert(target, reason="the weight was right")
    now = seeded.get("🜂").data
    assert (now.weight, now.registers) == (before.weight, before.registers)
    assert now.notes == "kept after the revert"  # a later change to another field stays
    assert made.op == "update" and made.id > target
    assert made.reason == f"revert revision {target}: the weight was right"
    assert set(changes(made)) == {"weight", "registers"}
    assert seeded.history("🜂", limit=1)[0].id == made.id


def test_a_later_change_to_the_same_field_refuses_the_revert(seeded: Lexicon) -> None:
    seeded.edit("🜂", weight=0.11)
    target = _latest(seeded, "🜂")
    seeded.edit("🜂", weight=0.22, reason="on top")
    later = _latest(seeded, "🜂")
    count, stored = _count(seeded), seeded.get("🜂")
    with pytest.raises(ConflictError) as refused:
        seeded.revert(target)
    message = str(refused.value)
    assert f"revision {target}" in message and f"revision {later} changed weight" in message
    assert "nothing was changed" in message
    assert _count(seeded) == count and seeded.get("🜂") == stored
    # undoing the later one first, then the earlier one, walks back to the start
    seeded.revert(later)
    assert seeded.get("🜂").data.weight == 0.11
    with pytest.raises(ConflictError):  # the revert of `later` changed the weight since
        seeded.revert(target)


def test_revert_a_create_and_a_delete(seeded: Lexicon) -> None:
    seeded.add(EntryData.create("🜅", glosses={"en": ["acid"]}), reason="new")
    created = _latest(seeded, "🜅")
    seeded.revert(created)
    assert seeded.find("🜅") is None
    gone = seeded.history("🜅", limit=1)[0]
    assert gone.op == "delete" and gone.reason == f"revert revision {created}"
    # reverting that delete brings the entry back as it was
    restored = seeded.revert(gone.id, reason="it was fine")
    assert restored.op == "create" and seeded.get("🜅").data.glosses == {"en": ("acid",)}
    # a create with later edits is not undone behind their back
    seeded.edit("🜅", weight=0.7)
    with pytest.raises(ConflictError, match="changed"):
        seeded.revert(restored.id)
    assert seeded.get("🜅").data.weight == 0.7


def test_a_delete_whose_form_is_taken_again_is_refused(seeded: Lexicon) -> None:
    seeded.remove("⚗", reason="gone")
    deleted = _latest(seeded, "⚗")
    seeded.add(EntryData.create("⚗", glosses={"en": ["a new still"]}))
    count = _count(seeded)
    with pytest.raises(ConflictError, match="exists"):
        seeded.revert(deleted)
    assert _count(seeded) == count
    assert seeded.get("⚗").data.glosses == {"en": ("a new still",)}


def test_an_unknown_revision_is_not_found(seeded: Lexicon) -> None:
    with pytest.raises(NotFoundError, match="no revision 99999"):
        seeded.revert(99999)


def test_the_cli_reverts_and_says_what_changed(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        r = runner.invoke(main, ["--db", db_url, *args], catch_exceptions=False)
        return r.exit_code, r.stdout, r.stderr

    assert run("init", "--seed", "core")[0] == 0
    assert run("lex", "edit", "☉", "--weight", "0.2", "--reason", "dimmer")[0] == 0
    code, out, _ = run("lex", "history", "☉", "--json")
    target = json.loads(out)[0]["id"]
    assert run("lex", "edit", "☉", "--weight", "0.3")[0] == 0
    code, out, err = run("lex", "revert", str(target))
    assert code == 1 and out == "" and err.startswith("error: revision") and "weight" in err
    newer = json.loads(run("lex", "history", "☉", "--json")[1])[0]["id"]
    code, out, err = run("lex", "revert", str(newer), "--reason", "back to 0.2")
    assert code == 0, err
    assert out.startswith(f"reverted revision {newer} of ☉ as revision ")
    assert "weight: 0.3 → 0.2" in out
    code, out, _ = run("lex", "revert", str(newer), "--json")
    assert code == 1  # the revert itself changed the weight since
    assert run("lex", "edit", "☉", "--notes", "a note")[0] == 0
    noted = json.loads(run("lex", "history", "☉", "--json")[1])[0]["id"]
    code, out, err = run("lex", "revert", str(noted), "--json")
    assert code == 0, err
    made = json.loads(out)
    assert made["reverted"] == noted and made["reason"] == f"revert revision {noted}"
    code, out, err = run("lex", "revert", "0")
    assert code == 2 and "error:" in err
