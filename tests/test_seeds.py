"""The core seed: every glyph and scene of the documents, consistent, and installable."""

from __future__ import annotations

import json
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
    assert "hyperlexicon/seeds/emoji.yaml" in names
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


# --- the emoji seed -------------------------------------------------------------------------

EMOJI_DATA = ROOT / "scripts" / "emoji-data" / "node_modules"


@pytest.fixture(scope="module")
def emoji_seed() -> list[EntryData]:
    """Every entry of the shipped emoji seed, validated as an import would (no repairs)."""
    with (seeds_dir() / "emoji.yaml").open("rb") as f:
        header, records = native.read_yaml(f, "emoji.yaml")
        assert header.lexicon == "emoji"
        return [EntryData.from_dict(r, where, repair=False) for where, r in records]


def _emoji_version(data: EntryData) -> float:
    """The Emoji version the script notes (``U+1F600; E1.0; smileys-emotion/face-smiling``)."""
    return float(data.notes.split("; ")[1].removeprefix("E"))


def test_emoji_seed_is_every_fully_qualified_emoji(emoji_seed: list[EntryData]) -> None:
    """The same set as the emoji package's (an independent reading of emoji-test.txt), up to
    the newest Emoji version CLDR has names for."""
    emoji = pytest.importorskip("emoji")
    newest = max(_emoji_version(d) for d in emoji_seed)
    assert newest >= 17.0
    expected = {
        form
        for form, info in emoji.EMOJI_DATA.items()
        if info["status"] == emoji.STATUS["fully_qualified"] and info["E"] <= newest
    }
    forms = [d.form for d in emoji_seed]
    assert len(forms) == len(set(forms))
    assert set(forms) == expected
    assert len({d.key for d in emoji_seed}) == len(forms)  # no two share a key


def test_emoji_seed_entries_carry_names_and_keywords(emoji_seed: list[EntryData]) -> None:
    by_form = {d.form: d for d in emoji_seed}
    grin = by_form["😀"]
    assert grin.glosses["en"][0] == "grinning face" and "smile" in grin.glosses["en"]
    assert grin.glosses["ru"][0] == "широко улыбается" and "улыбка" in grin.glosses["ru"]
    assert grin.registers == ("emotional",) and grin.kind == "glyph"
    assert by_form["➕"].registers == ("logical",)
    assert by_form["🔬"].registers == ("technical",)
    assert by_form["🍎"].registers == ()  # no register where the subgroup makes none clear
    assert by_form["🫪"].glosses["ru"][0]  # an Emoji 17 face, named in Russian
    assert by_form["👋🏽"].glosses["ru"][0] == "машет рукой: средний тон кожи"
    assert by_form["🏴󠁧󠁢󠁳󠁣󠁴󠁿"].glosses["en"][0] == "flag: Scotland"
    assert by_form["#️⃣"].glosses["en"][0] == "keycap: #"
    for d in emoji_seed:
        assert d.glosses["ru"] and d.glosses["en"], d.form
        assert d.provenance == "seed" and d.status == "active", d.form
        assert d.weight < 0.8  # under the core seed's entries: core wins a tie
    for lang in ("ru", "en"):  # formula decoding names an entry by its first gloss
        firsts = [d.glosses[lang][0] for d in emoji_seed]
        assert len(firsts) == len(set(firsts)), lang


@pytest.mark.skipif(
    not (EMOJI_DATA / "emojibase-data").is_dir(),
    reason="npm ci --prefix scripts/emoji-data (scripts/test does) to rebuild the seed",
)
def test_emoji_seed_is_what_the_script_builds_from_the_pinned_data(tmp_path: Path) -> None:
    out = tmp_path / "emoji.yaml"
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_emoji_seed.py"), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert out.read_bytes() == (seeds_dir() / "emoji.yaml").read_bytes()


def test_init_loads_core_and_emoji_and_tags_both(settings) -> None:
    lex, report = Lexicon.init(settings, seed="emoji,core")  # core loads first all the same
    try:
        versions = {v.name: v for v in lex.versions()}
        assert list(versions) == ["seed-core-1", "seed-emoji-1"]
        assert versions["seed-core-1"].entries == 146
        assert report is not None and report.created == versions["seed-emoji-1"].entries
        assert report.skipped == 0 and report.repairs == []
        # the 64 forms both seeds have: core's entry takes the emoji's name where it lacks it
        assert (report.updated, report.unchanged) == (58, 6)
        assert report.created + report.updated + report.unchanged == 146 + 3944
        # a form both seeds have keeps core's entry, and takes the emoji seed's everyday
        # name after its own glosses; not the emoji's further keywords
        fire = lex.get("🔥").data
        assert fire.glosses["en"][0] == "heat" and fire.weight == 0.8
        assert fire.glosses == {"en": ("heat", "blaze", "fire"), "ru": ("жар", "пыл", "огонь")}
        tree = lex.get("🌳").data
        assert tree.glosses["ru"] == ("древо", "дерево")
        assert lex.get("\U0001faea").data.glosses["en"][0] == "distorted face"
        again = lex.load_seeds("core,emoji")
        assert [(r.seed, r.tag, r.report) for r in again] == [
            ("core", "seed-core-1", None),
            ("emoji", "seed-emoji-1", None),
        ]
    finally:
        lex.close()


def test_a_seed_skips_a_persons_forms_and_adds_its_glosses_to_another_seeds(
    lexicon: Lexicon,
) -> None:
    lexicon.add(EntryData.create("🍎", glosses={"ru": ["яблоко"], "en": ["apple"]}))
    before = lexicon.get("🍎")
    [core, emoji] = lexicon.load_seeds(["emoji", "core"])
    assert core.seed == "core" and core.kept == [] and core.merged == []
    assert emoji.kept == [("🍎", "🍎")]  # a person's entry is theirs: left as it is
    assert lexicon.get("🍎") == before
    merged = dict(emoji.merged)
    assert merged["🔥"] == "🔥" and merged["🕯️"] == "🕯" and "🍎" not in merged
    assert emoji.report is not None and emoji.report.skipped == 1
    assert emoji.report.updated + emoji.report.unchanged == len(emoji.merged)
    tree = lexicon.get("🌳").data
    assert tree.glosses["ru"] == ("древо", "дерево") and tree.glosses["en"][-1] == "deciduous tree"
    # each change is a revision of its own, by the seed
    [last] = lexicon.history("🔥", limit=1)
    assert "seed emoji" in (last.reason or "")


def test_init_with_an_unknown_seed_changes_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hyperlexicon.cli import main

    db = tmp_path / "new.sqlite3"
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{db}", "init", "--seed", "core,nope"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --seed: no seed named 'nope' (available: core, emoji)"
    assert not db.exists()


def test_init_command_reports_each_seed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hyperlexicon.cli import main

    db = f"sqlite:///{tmp_path / 'lex.sqlite3'}"
    result = CliRunner().invoke(main, ["--db", db, "init", "--seed", "core,emoji"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "seed 'core': 146 entries loaded into 'core', tagged seed-core-1"
    assert lines[2].startswith("seed 'emoji': ") and "tagged seed-emoji-1; " in lines[2]
    assert "; 64 held already by another seed's entry took its names: 🤫, 😨, " in lines[2]
    assert "skipped" not in lines[2]
    result = CliRunner().invoke(main, ["--db", db, "init", "--seed", "emoji", "--json"])
    [load] = json.loads(result.stdout)["seeds"]
    assert load == {
        "seed": "emoji",
        "tag": "seed-emoji-1",
        "loaded": False,
        "import": None,
        "kept": [],
        "merged": [],
    }
