"""The command line: every command through click, exit codes, JSON output, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hyperlexicon.cli import COMMANDS, load_commands, main

from .fixtures import DATA


@pytest.fixture
def cli(db_url: str, tmp_path: Path):
    """Run the CLI against a fresh database on each backend; returns (exit code, stdout, stderr)."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
        result = runner.invoke(main, ["--db", db_url, *args], input=input, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    code, _, err = run("init", "--seed", "core")
    assert code == 0, err
    return run


def test_show_and_json(cli) -> None:
    code, out, _ = cli("lex", "show", "🜂")
    assert code == 0 and "огонь" in out and "fire" in out
    code, out, _ = cli("lex", "show", "🜂", "--json")
    data = json.loads(out)
    assert data["form"] == "🜂" and data["glosses"]["ru"][0] == "огонь" and data["row_version"] == 1


def test_not_found_is_exit_1(cli) -> None:
    code, out, err = cli("lex", "show", "🆕")
    assert code == 1 and err.startswith("error: no entry '🆕'") and out == ""


def test_add_edit_rm_and_history(cli) -> None:
    code, out, err = cli(
        "lex", "add", "🜅", "-g", "ru:вода", "-g", "en:water", "-r", "poetic", "--reason", "element"
    )
    assert code == 0, err
    code, out, _ = cli(
        "lex", "edit", "🜅", "--add-gloss", "en:flow", "--weight", "0.9", "--expect-version", "1"
    )
    assert code == 0 and "version 2" in out
    code, _, err = cli("lex", "edit", "🜅", "--weight", "0.1", "--expect-version", "1")
    assert code == 1 and "stale edit refused" in err
    code, out, _ = cli("lex", "show", "🜅", "--json")
    assert json.loads(out)["weight"] == 0.9 and json.loads(out)["glosses"]["en"] == [
        "water",
        "flow",
    ]
    code, out, _ = cli("lex", "history", "🜅", "--json")
    revs = json.loads(out)
    assert [r["op"] for r in revs] == ["update", "create"] and revs[1]["reason"] == "element"
    assert revs[0]["author"]
    assert cli("lex", "rm", "🜅")[0] == 0
    assert cli("lex", "show", "🜅")[0] == 1


def test_author_flag_is_recorded(cli) -> None:
    cli("--author", "alice", "lex", "edit", "🜂", "--weight", "0.5")
    code, out, _ = cli("lex", "history", "🜂", "--json")
    assert json.loads(out)[0]["author"] == "alice"


@pytest.mark.parametrize(
    "args, message",
    [
        (["lex", "add", "🜅", "-g", "water"], "expected LANG:TEXT"),
        (["lex", "add", "🜅", "--weight", "7"], "weight: must be between 0 and 1"),
        (["lex", "add", "   "], "form: is empty"),
        (["lex", "add", "🜅", "-r", "angry"], "Invalid value for '-r'"),
        (["lex", "edit", "🜂"], "nothing to change"),
        (["lex", "edit", "🜂", "--rm-gloss", "en:nope"], "has no en gloss 'nope'"),
        (["lex", "search", " "], "empty query"),
        (["version", "create", "working"], "version name 'working'"),
        (["import", "-"], "needs --format"),
        (["export", "x.docx"], "cannot tell the format"),
        (["-l", "Bad Name", "lex", "add", "🜅"], "lexicon name"),
    ],
)
def test_bad_input_is_exit_2_and_changes_nothing(cli, args: list[str], message: str) -> None:
    before = cli("stats", "--json")[1]
    code, _, err = cli(*args)
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) <= 3  # a short message, no traceback
    assert "Traceback" not in err
    assert cli("stats", "--json")[1] == before


def test_list_and_search(cli) -> None:
    code, out, _ = cli("lex", "list", "--kind", "delta", "--json")
    assert code == 0 and all(e["kind"] == "delta" for e in json.loads(out))
    code, out, _ = cli("lex", "search", "страха", "--json")
    hits = json.loads(out)
    assert hits[0]["form"] == "😨" and "lemma" in hits[0]["match"]
    code, out, _ = cli("lex", "search", "огонь")
    assert code == 0 and "🜂" in out


def test_import_export_versions(cli, tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text('{"form": "🆕", "glosses": {"en": ["new"], "ru": ["новое"]}}\n')
    code, out, err = cli("import", str(path), "--json")
    assert code == 0, err and json.loads(out)["created"] == 1
    code, out, _ = cli("version", "create", "v2", "-m", "with new")
    assert code == 0
    code, out, _ = cli("version", "diff", "seed-core-1", "v2", "--json")
    assert [e["form"] for e in json.loads(out)["added"]] == ["🆕"]
    code, out, _ = cli("version", "list", "--json")
    assert [v["name"] for v in json.loads(out)] == ["seed-core-1", "v2"]
    code, out, _ = cli("version", "show", "seed-core-1", "--json")
    assert "🆕" not in [e["form"] for e in json.loads(out)["entries"]]
    out_file = tmp_path / "seed.yaml"
    assert cli("export", str(out_file), "--version", "seed-core-1")[0] == 0
    assert "🆕" not in out_file.read_text() and "🜂" in out_file.read_text()
    code, out, _ = cli("version", "rollback", "seed-core-1")
    assert code == 0 and "undo with" in out
    assert cli("lex", "show", "🆕")[0] == 1
    code, out, _ = cli("export", "-", "--format", "csv")
    assert out.startswith("form,kind,")


def test_import_conflict_exit_code(cli, tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("entries:\n  - form: 🜂\n    glosses: {en: [FIRE]}\n")
    code, _, err = cli("import", str(path))
    assert code == 1 and "already exists" in err
    assert cli("import", str(path), "--on-conflict", "update")[0] == 0


def test_tbx_import_warns_and_strict_refuses(cli) -> None:
    path = DATA / "tbx-v2-ntig.tbx"
    before = cli("lexicons", "list", "--json")[1]
    code, out, err = cli("-l", "terms", "import", str(path), "--strict")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: {path}:42: <termEntry> #2 (id=n2): zxx term '🜍': unknown administrativeStatus "
        "'forbidden' (refused by --strict; nothing was imported)"
    ]
    assert cli("lexicons", "list", "--json")[1] == before
    code, out, err = cli("-l", "terms", "import", str(path))
    assert code == 0, err
    assert err.splitlines() == [
        f"warning: {path}:42: <termEntry> #2 (id=n2): zxx term '🜍': unknown administrativeStatus "
        "'forbidden'; kept in the notes, the entry imported as proposed"
    ]
    assert out.strip() == "terms: 3 created, 0 updated, 0 unchanged, 0 skipped, 1 warning"
    code, out, _ = cli("-l", "terms", "lex", "show", "🜍", "--json")
    assert json.loads(out)["status"] == "proposed"
    code, out, _ = cli("-l", "terms", "import", str(path), "--on-conflict", "skip", "--json")
    assert code == 0 and len(json.loads(out)["warnings"]) == 1


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("foo.yaml", "foo: bar\n", "foo.yaml: not a lexicon: a mapping without 'entries'"),
        (
            "named.yaml",
            "hyperlexicon: 1\nlexicon: mine\n",
            "named.yaml: not a lexicon: a mapping without 'entries'",
        ),
        ("list.yaml", "[]\n", "list.yaml: not a lexicon: an empty list"),
        ("empty.yaml", "", "empty.yaml: the file holds nothing"),
        ("blank.jsonl", "\n  \n", "blank.jsonl: the file holds nothing"),
        ("empty.csv", "", "empty.csv: the file holds nothing"),
        ("quote.csv", 'form,gloss_en\n🜂,"fire\n⧖,time\n', "quote.csv:2: unterminated quote"),
        (
            "closed.csv",
            'form,gloss_en\n🆕,"new\n⧖,time"\n',
            "closed.csv:2: the 'gloss_en' cell holds a line break, which only notes may "
            "(unterminated quote? the record starting on line 2 runs on to line 3)",
        ),
        ("body.tbx", "<martif/>", "body.tbx: <martif> has no <text><body>: not a termbase"),
    ],
)
def test_a_file_that_is_not_a_lexicon_is_exit_2_one_line(
    cli, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    before = cli("stats", "--json")[1]
    code, out, err = cli("import", str(path))
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {tmp_path}/")
    assert message in err
    assert cli("stats", "--json")[1] == before


def test_stdin_import(cli) -> None:
    code, out, err = cli("import", "-", "--format", "jsonl", input='{"form": "🆕"}\n')
    assert code == 0, err


def test_db_commands(cli) -> None:
    code, out, _ = cli("db", "current", "--json")
    assert code == 0 and json.loads(out)["current"] == json.loads(out)["head"]
    code, out, _ = cli("db", "history", "--json")
    assert json.loads(out)[-1]["down_revision"] is None
    code, out, _ = cli("db", "check")
    assert code == 0 and "agree" in out


def test_lexicons_commands(cli) -> None:
    assert cli("lexicons", "create", "mine", "-d", "my glyphs")[0] == 0
    assert cli("lexicons", "create", "mine")[0] == 1
    assert cli("-l", "mine", "lex", "add", "✶", "-g", "en:star")[0] == 0
    code, out, _ = cli("lexicons", "list", "--json")
    assert {x["name"]: x["entries"] for x in json.loads(out)}["mine"] == 1
    assert cli("lexicons", "rm", "mine", "--yes")[0] == 0


def test_uninitialized_database_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'new.db'}", "lex", "list"])
    assert result.exit_code == 1 and "run 'hyperlexicon init'" in result.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "lex", "list"]
    )
    assert result.exit_code == 1 and result.stderr.startswith("error: database error")


def _commands(
    group: click.Group, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        out.append(((*prefix, name), cmd))
        if isinstance(cmd, click.Group):
            # a group's own arguments (feedback QUERY_ID) come before its subcommand
            args = tuple("1" for p in cmd.params if isinstance(p, click.Argument))
            out.extend(_commands(cmd, (*prefix, name, *args)))
    return out


load_commands()  # the command modules are imported when a command is asked for: all, here


def test_the_command_table_is_the_commands() -> None:
    """``--help`` lists the built-in commands from ``COMMANDS`` without importing them: the
    table must name each command's module and give the help its short text comes from."""
    real = {
        name: command
        for name, command in main.commands.items()
        if command.callback and command.callback.__module__.startswith("hyperlexicon.cli.")
    }
    assert set(real) == set(COMMANDS)
    for name, command in real.items():
        module, summary = COMMANDS[name]
        assert command.callback.__module__ == f"hyperlexicon.cli.{module}", name
        first = " ".join((command.help or "").split("\n\n")[0].split())
        assert summary == first, f"COMMANDS[{name!r}] is not the first paragraph of its help"
        listed = click.Command(name, help=summary)
        for limit in (30, 45, 60, 200):
            assert listed.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_help_is_the_same_listed_or_loaded() -> None:
    code = (
        "import sys\nfrom hyperlexicon.cli import main, load_commands\n"
        "if sys.argv[1] == 'load': load_commands()\n"
        "main(['--help'], prog_name='hyperlexicon')\n"
    )
    outs = [
        subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True).stdout
        for arg in ("listed", "load")
    ]
    assert "encode" in outs[0] and outs[0] == outs[1]


@pytest.mark.parametrize(
    "path, command", _commands(main), ids=lambda x: " ".join(x) if isinstance(x, tuple) else ""
)
def test_every_command_has_help_with_an_example(
    path: tuple[str, ...], command: click.Command
) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    if not isinstance(command, click.Group):
        assert "Example" in result.output, f"{' '.join(path)} --help has no example"


def test_read_commands_have_json(cli) -> None:
    for path, command in _commands(main):
        if path[-1] in ("show", "list", "search", "history", "current", "diff") or path == (
            "stats",
        ):
            assert any(p.name == "as_json" for p in command.params), path


def test_real_binary_exit_codes(tmp_path: Path) -> None:
    exe = [sys.executable, "-m", "hyperlexicon"]
    env_db = ["--db", f"sqlite:///{tmp_path / 'x.db'}"]
    assert subprocess.run([*exe, *env_db, "init"], capture_output=True).returncode == 0
    r = subprocess.run([*exe, *env_db, "lex", "show", "🜂"], capture_output=True, text=True)
    assert r.returncode == 1 and "no entry" in r.stderr
    r = subprocess.run(
        [*exe, *env_db, "lex", "add", "🜂", "--weight", "x"], capture_output=True, text=True
    )
    assert r.returncode == 2
