"""Remote use: with HYPERLEXICON_SERVER_URL the CLI talks to a running server, with the same
output as on the local store.

Two homes start from the same seeded lexicon: one is served by a real ``hyperlexicon serve``
subprocess, the other is used directly. The same command sequence runs against each, and
every command's exit code, stdout and stderr must match (timestamps and timings aside).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from hyperlexicon.cli import main

from .fixtures import DATA
from .live_server import LiveServer, free_port, init_home, make_home

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home made by ``hyperlexicon init --seed core``, copied for each server and client."""
    home = tmp_path_factory.mktemp("remote-template") / "home"
    init_home(home)
    return home


@pytest.fixture
def served(template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """A served copy of the seeded core lexicon (no tokens, loopback)."""
    server = LiveServer(make_home(template, tmp_path / "served")).start()
    yield server
    server.stop()


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(\+00:00| UTC)?")
TIMING = re.compile(r'("latency_ms": )[\d.]+|\b\d+ ms\b')


DATABASE = re.compile(r"sqlite:///\S+/lexicon\.sqlite3")  # the store's, wherever it is


def normal(text: str) -> str:
    text = DATABASE.sub("<database>", TIMESTAMP.sub("<time>", text))
    return TIMING.sub(lambda m: (m.group(1) or "") + "<ms>", text)


# Each step runs locally and remotely; a step may name a file written into the cwd.
STEPS: list[tuple[str, ...]] = [
    ("lex", "show", "🜂"),
    ("lex", "show", "🜂", "--json"),
    ("lex", "list", "--kind", "glyph", "--limit", "7"),
    ("lex", "list", "--register", "poetic", "--json"),
    ("lex", "search", "огонь", "--exact"),
    ("lex", "search", "fire", "--json", "--exact"),
    ("lex", "search", "пламя свечи", "--semantic", "-n", "5"),
    ("lex", "search", "гроза", "--hybrid", "-n", "5", "--json"),
    ("lex", "add", "✺", "-g", "ru:звезда", "-g", "en:star", "-r", "poetic", "--reason", "r1"),
    ("lex", "add", "✺", "-g", "ru:звезда"),  # already there: 1, same message
    ("lex", "edit", "✺", "--add-gloss", "ru:светило", "--weight", "0.7", "--reason", "r2"),
    ("lex", "edit", "✺", "--expect-version", "1", "--notes", "stale"),  # refused
    ("lex", "show", "✺", "--json"),
    ("lex", "history", "✺"),
    ("lex", "history", "✺", "--json"),
    ("lex", "show", "🜁"),  # no such entry
    ("version", "create", "v1", "-m", "with a star"),
    ("version", "list"),
    ("version", "show", "v1"),
    ("lex", "rm", "✺", "--reason", "r3"),
    ("version", "diff", "v1"),
    ("version", "diff", "seed-core-1", "v1", "--json"),
    ("version", "rollback", "v1"),
    ("lex", "show", "✺"),
    ("encode", "Что ты чувствуешь перед бурей?"),
    ("encode", "fire + time + candle", "--json"),
    ("encode", "Вдох, как молния", "--register", "poetic", "--no-stability"),
    ("decode", "⚡🜂🫁", "--style", "poem"),
    ("decode", "🜂⧖🕯", "--style", "formula", "--lang", "en", "--json"),
    ("decode", "🜂⧖🕯 → ⟁☰☉⚭", "--style", "essay", "--register", "philosophical"),
    ("compress", "😨🤫", "🔥⏳"),
    ("compress", "🜂⧖🕯", "⟁☰☉⚭", "🜂", "--max", "4", "--json"),
    ("ask", "Как найти дорогу домой?"),
    ("ask", "What is home?", "--json"),
    ("encode", "Что ты чувствуешь?", "--connector", "keywords,lexicon"),
    ("log", "list", "-n", "5", "--json"),  # (the table's ms column sets its width)
    ("log", "show", "1"),
    ("log", "show", "2", "--json"),
    ("feedback", "1", "accept"),
    ("feedback", "1", "reject", "--lexeme", "🫀"),
    ("feedback", "3", "rate", "4", "--register", "poetic"),
    ("feedback", "999", "accept"),  # no such query
    ("proposals", "list"),
    ("proposals", "rule"),
    ("proposals", "rule", "--support", "2", "--json"),
    ("calibrate", "--dry-run", "--json"),
    ("calibrate",),
    ("calibrate", "--history", "--json"),
    ("stats",),
    ("stats", "--json"),
    ("stats", "--calibration"),
    ("lexicons", "create", "mine", "-d", "my own"),
    ("lexicons", "list"),
    ("lexicons", "create", "mine"),  # exists
    ("-l", "mine", "lex", "add", "✷", "-g", "en:spark"),
    ("-l", "mine", "lex", "list", "--json"),
    ("lexicons", "rm", "mine", "--yes"),
    ("export", "-", "--format", "csv"),
    ("export", "-", "--format", "jsonl", "--version", "seed-core-1"),
    ("export", "out.yaml"),
    ("import", "extra.jsonl"),
    ("import", "extra.jsonl"),  # conflicts: nothing stored
    ("import", "extra.jsonl", "--on-conflict", "update", "--json"),
    ("import", "bad.jsonl"),
    ("-l", "terms", "import", "termbase.tbx", "--strict"),  # a status no picklist has: refused
    ("-l", "terms", "import", "termbase.tbx"),  # or imported, with a warning line
    ("lex", "show", "☄"),
    ("prompt", "request.hp"),
    ("prompt", "request.hp", "--json"),
    ("encode", "Что ты чувствуешь перед бурей?", "--svg", "storm.svg"),
    ("decode", "🜂⧖🕯 → ⟁☰☉⚭", "--svg", "formula.svg", "--style", "formula"),
    ("decode", "🜂🜁🜃"),  # unknown glyphs are reported
    ("encode", ""),  # empty: bad input
]

EXTRA = [
    {"form": "☄", "glosses": {"ru": ["комета"], "en": ["comet"]}, "registers": ["poetic"]},
    {"form": "🌠", "glosses": {"ru": ["падающая звезда"], "en": ["shooting star"]}},
]
PROMPT = "encode[poetic] =🜂 -🫀: Что ты чувствуешь перед бурей?\n"


def _files(cwd: Path) -> None:
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / "extra.jsonl").write_text(
        "\n".join(json.dumps(e, ensure_ascii=False) for e in EXTRA) + "\n", "utf-8"
    )
    (cwd / "bad.jsonl").write_text('{"form": "☄☄", "glosses": {"ru": ["x"]}}\n{"form": \n')
    (cwd / "request.hp").write_text(PROMPT, "utf-8")
    (cwd / "termbase.tbx").write_bytes((DATA / "tbx-v2-ntig.tbx").read_bytes())


def _run(
    args: tuple[str, ...], env: dict[str, str], cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, normal(result.stdout), normal(result.stderr)


def _difference(
    args: tuple[str, ...], local: tuple[int, str, str], remote: tuple[int, str, str]
) -> str:
    import difflib

    lines = [f"hyperlexicon {' '.join(args)}: exit {local[0]} locally, {remote[0]} remotely"]
    for name, a, b in (("stdout", local[1], remote[1]), ("stderr", local[2], remote[2])):
        lines += difflib.unified_diff(
            a.splitlines(), b.splitlines(), f"local {name}", f"remote {name}", lineterm=""
        )
    return "\n".join(lines)


def test_every_command_gives_the_same_output_remotely(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_home = make_home(template, tmp_path / "local")
    server = LiveServer(make_home(template, tmp_path / "served")).start()
    local_env = {
        "HYPERLEXICON_HOME": str(local_home),
        "HYPERLEXICON_AUTHOR": "tester",
        "HYPERLEXICON_AUTO_INDEX": "1",  # as the server keeps its index in step
    }
    remote_env = {
        "HYPERLEXICON_HOME": str(tmp_path / "client-home"),
        "HYPERLEXICON_SERVER_URL": server.url,
        "HYPERLEXICON_AUTHOR": "tester",
    }
    for cwd in (tmp_path / "local-cwd", tmp_path / "remote-cwd"):
        _files(cwd)
    try:
        for step in STEPS:
            args = (step,) if isinstance(step, str) else step
            local = _run(args, local_env, tmp_path / "local-cwd", monkeypatch)
            remote = _run(args, remote_env, tmp_path / "remote-cwd", monkeypatch)
            assert remote == local, _difference(args, local, remote)
        for name in ("out.yaml", "storm.svg", "formula.svg"):
            local, remote = (
                (tmp_path / d / name).read_text("utf-8") for d in ("local-cwd", "remote-cwd")
            )
            assert remote == local and ("🜂" in local if name != "storm.svg" else "⛈" in local)
    finally:
        server.stop()


def test_remote_jobs_and_local_only_commands(
    served: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "HYPERLEXICON_HOME": str(tmp_path / "client"),
        "HYPERLEXICON_SERVER_URL": served.url,
    }
    _files(tmp_path)
    code, out, err = _run(("import", "extra.jsonl"), env, tmp_path, monkeypatch)
    assert code == 0, err
    code, out, err = _run(("jobs", "list", "--json"), env, tmp_path, monkeypatch)
    jobs = json.loads(out)
    assert jobs[0]["kind"] == "import" and jobs[0]["state"] == "done"
    assert jobs[0]["result"]["created"] == 2
    code, out, _ = _run(("jobs", "show", jobs[0]["id"]), env, tmp_path, monkeypatch)
    assert code == 0 and "state: done" in out
    code, out, err = _run(("index", "sync"), env, tmp_path, monkeypatch)
    assert (
        code == 2 and "not offered through the server" in err and "HYPERLEXICON_SERVER_URL" in err
    )


def test_unreachable_server_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"HYPERLEXICON_SERVER_URL": f"http://127.0.0.1:{free_port()}"}
    code, out, err = _run(("lex", "show", "🜂"), env, tmp_path, monkeypatch)
    assert code == 1 and err.startswith("error: cannot reach the server at http://127.0.0.1:")
    assert len(err.strip().splitlines()) == 1 and out == ""


def test_a_server_url_that_is_not_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {"HYPERLEXICON_SERVER_URL": "127.0.0.1:8765"}
    code, out, err = _run(("lex", "show", "🜂"), env, tmp_path, monkeypatch)
    assert code == 2 and out == ""
    assert (
        err
        == "error: HYPERLEXICON_SERVER_URL: expected http://host:port or https://…, got '127.0.0.1:8765'\n"
    )


def test_python_api_goes_remote(served: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import hyperlexicon
    from hyperlexicon.remote import RemoteLexicon
    from hyperlexicon.scene import Scene

    monkeypatch.setenv("HYPERLEXICON_SERVER_URL", served.url)
    with hyperlexicon.open() as lex:
        assert isinstance(lex, RemoteLexicon)
        scene = lex.encode("огонь и время", stability=False)
        assert isinstance(scene, Scene) and scene.hyperstring.startswith("🜂")
        assert lex.get("🜂").data.glosses["en"][0] == "fire"
        assert lex.query(scene.query_id).mode == "encode"


def test_tokens_reach_the_server(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, editor = "r" * 20, "e" * 20
    server = LiveServer(
        make_home(template, tmp_path / "served"),
        HYPERLEXICON_API_TOKENS=f"{reader}=reader:rita,{editor}=editor:ed",
    ).start()
    try:
        base = {
            "HYPERLEXICON_HOME": str(tmp_path / "client"),
            "HYPERLEXICON_SERVER_URL": server.url,
        }
        code, _, err = _run(("lex", "show", "🜂"), base, tmp_path, monkeypatch)
        assert code == 2 and "token" in err
        as_reader = {**base, "HYPERLEXICON_SERVER_TOKEN": reader}
        assert _run(("lex", "show", "🜂"), as_reader, tmp_path, monkeypatch)[0] == 0
        code, _, err = _run(("lex", "add", "✺", "-g", "en:star"), as_reader, tmp_path, monkeypatch)
        assert code == 2 and "editor role" in err
        as_editor = {**base, "HYPERLEXICON_SERVER_TOKEN": editor, "HYPERLEXICON_AUTHOR": "mallory"}
        code, _, err = _run(("lex", "add", "✺", "-g", "en:star"), as_editor, tmp_path, monkeypatch)
        assert code == 0, err
        code, out, _ = _run(("lex", "history", "✺", "--json"), as_editor, tmp_path, monkeypatch)
        assert json.loads(out)[0]["author"] == "ed"  # the token's name, not what the client says
    finally:
        server.stop()


def test_a_port_another_server_answers_on_is_given_up(
    served: LiveServer, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A free port may be taken by another server before ours binds it (servers started at
    once): ours exits on the bind while the other answers /ready. The helper must notice the
    answer is not its server's and start again elsewhere, or one server's requests reach the
    other (a job "run by s2" that was sent to s1)."""
    import tests.live_server as live

    ports = iter([served.port])
    monkeypatch.setattr(live, "free_port", lambda: next(ports, None) or free_port())
    second = LiveServer(make_home(template, tmp_path / "second"))
    second.start()
    try:
        assert second.starts == 2 and second.port != served.port
        assert second.get("/ready").json()["server"] == second.server_id != served.server_id
    finally:
        second.stop()
