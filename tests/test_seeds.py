"""The core seed: every glyph and scene of the documents, consistent, and installable."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hyperlexicon.entry import EntryData
from hyperlexicon.formats import native
from hyperlexicon.lexicon import Lexicon, seeds_dir
from hyperlexicon.text import form_key

from .fixtures import ROOT

REQUIRED = [
    "🜂",
    "⧖",
    "🕯",
    "⟁",
    "☰",
    "☉",
    "⚭",
    "⚗",
    "🔥",
    "♁",
    "🜍",
    "⚡",
    "🫁",
    "🜁",
    "Ꙩ",
    "страхтишинажарожидание",
    "пепелвспышкажизньтишина",
    "🜂⧖🕯 → ⟁☰☉⚭",
    "⚗⟁🔥 → ♁🜂🜍",
    "⚡🜂🫁",
    "🜂⧖🕯",
    "⟁☰☉⚭",
    "⚗⟁🔥",
    "♁🜂🜍",
]


@pytest.fixture(scope="module")
def seed() -> dict[str, EntryData]:
    with (seeds_dir() / "core.yaml").open("rb") as f:
        header, records = native.read_yaml(f, "core.yaml")
        out = {}
        for where, record in records:
            repairs: list = []
            data = EntryData.from_dict(record, where, repair=False, repairs=repairs)
            out[data.key] = data
    return out


def test_the_documents_glyphs_and_scenes_are_there(seed: dict[str, EntryData]) -> None:
    missing = [f for f in REQUIRED if form_key(f) not in seed]
    assert missing == []
    assert len(seed) >= 100
    assert sum(d.kind == "delta" for d in seed.values()) >= 20


def test_scene_glosses_match_the_documents(seed: dict[str, EntryData]) -> None:
    assert seed[form_key("🜂⧖🕯")].glosses["ru"][0] == "огонь, время и свеча"
    assert seed[form_key("⟁☰☉⚭")].glosses["ru"][0] == "рост, закон, солнце и единство"
    assert seed[form_key("♁🜂🜍")].glosses["ru"][0] == "материя через огонь проходит трансформацию"
    assert seed[form_key("⚡🜂🫁")].glosses["ru"][0] == "вдох, как молния в тумане тела"
    fused = seed[form_key("страхтишинажарожидание")]
    assert [c.meaning for c in fused.components] == ["страх", "тишина", "жар", "ожидание"]
    ash = seed[form_key("пепелвспышкажизньтишина")]
    assert [c.meaning for c in ash.components] == ["пепел", "вспышка", "жизнь", "тишина"]


def test_every_entry_is_consistent(seed: dict[str, EntryData]) -> None:
    for data in seed.values():
        assert data.glosses.get("ru") and data.glosses.get("en"), data.form
        assert data.registers, data.form
        assert data.provenance == "seed" and data.status == "active"
        for c in data.components:
            if c.ref:
                assert form_key(c.ref) in seed, (data.form, c.ref)
        if data.kind == "compound":
            assert len(data.components) >= 2, data.form
            assert (
                data.form == "".join(c.meaning for c in data.components)
                or len(data.components) >= 2
            )


def test_first_glosses_name_one_entry_each(seed: dict[str, EntryData]) -> None:
    """Formula decoding writes an entry by its first gloss; two entries must not share one."""
    for lang in ("ru", "en"):
        firsts = [d.glosses[lang][0] for d in seed.values()]
        assert len(firsts) == len(set(firsts)), lang


def test_init_seed_tags_a_version(seeded: Lexicon) -> None:
    assert [v.name for v in seeded.versions()] == ["seed-core-1"]
    assert seeded.get("🜂").data.glosses["ru"][0] == "огонь"


@pytest.mark.slow
def test_wheel_ships_migrations_and_seeds_and_runs_from_them(tmp_path: Path) -> None:
    """A plain (non-editable) install can migrate and seed: build the wheel, install it alone
    into a directory that shadows the checkout, and run init from it."""
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("hyperlexicon-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "hyperlexicon/migrations/env.py" in names
    assert any(n.startswith("hyperlexicon/migrations/versions/0001") for n in names)
    assert "hyperlexicon/seeds/core.yaml" in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import hyperlexicon.migrate as m, hyperlexicon.lexicon as l;"
        "print(m.migrations_dir()); print(l.seeds_dir())"
    )
    env = {
        "PYTHONPATH": str(target),
        "PATH": "/usr/bin:/bin",
        "HYPERLEXICON_HOME": str(tmp_path / "h"),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == [
        str(target / "hyperlexicon/migrations"),
        str(target / "hyperlexicon/seeds"),
    ]
    run = subprocess.run(
        [sys.executable, "-m", "hyperlexicon", "init", "--seed", "core"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "146 entries" in run.stdout or "entries loaded" in run.stdout
    # the web page comes with it: its templates and static files are package data
    assert "hyperlexicon/server/web/templates/index.html" in names
    assert "hyperlexicon/server/web/static/app.js" in names
    page = (
        "from fastapi.testclient import TestClient;"
        "from hyperlexicon.server import create_app;"
        "import hyperlexicon.server.web as w; print(w.__file__);"
        "c = TestClient(create_app());"
        "r = c.get('/'); s = c.get('/static/app.js');"
        "print(r.status_code, s.status_code, 'hyperlexicon' in r.text)"
    )
    out = subprocess.run(
        [sys.executable, "-c", page], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0].startswith(str(target)) and out[-1] == "200 200 True", out
