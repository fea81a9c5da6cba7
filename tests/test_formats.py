"""Import and export: native formats are lossless, the others map what they can; bad files
are refused whole, with the place that is wrong."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hyperlexicon.errors import BadInputError, ConflictError
from hyperlexicon.lexicon import Lexicon

from .fixtures import DATA
from .test_entry import entries


def _state(lex: Lexicon) -> dict:
    return {k: v.to_dict() for k, v in lex.at("working").items()}


@pytest.mark.parametrize("fmt", ["jsonl", "yaml"])
def test_native_round_trip_of_the_seed_is_identical(
    seeded: Lexicon, fmt: str, tmp_path: Path
) -> None:
    path = tmp_path / f"core.{fmt}"
    count = seeded.export_file(path)
    assert count >= 100
    other = seeded.using("copy")
    report = other.import_file(path)
    assert report.created == count
    assert _state(other) == _state(seeded)
    # and exporting the copy gives the same bytes, but for the lexicon name
    path2 = tmp_path / f"copy.{fmt}"
    other.export_file(path2)
    assert path2.read_text().replace("copy", "core") == path.read_text()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    items=st.lists(entries(), max_size=8, unique_by=lambda d: d.key),
    fmt=st.sampled_from(["jsonl", "yaml"]),
)
def test_native_round_trip_property(sqlite_url: str, tmp_path: Path, items: list, fmt: str) -> None:
    from hyperlexicon.config import Settings

    lex, _ = Lexicon.init(Settings.load(db_url=sqlite_url), name="p")
    try:
        lex.store.import_entries(
            "p", [(str(i), d) for i, d in enumerate(items)], author="t", on_conflict="update"
        )
        buf = io.BytesIO()
        lex.export_stream(buf, format=fmt)
        copy = lex.using("q")
        copy.import_stream(io.BytesIO(buf.getvalue()), f"x.{fmt}", format=fmt)
        assert _state(copy) == _state(lex)
        lex.store.delete_lexicon(copy.name)
        lex.store.delete_lexicon("p")
    finally:
        lex.close()


def test_csv_round_trip_keeps_what_csv_can_hold(seeded: Lexicon, tmp_path: Path) -> None:
    path = tmp_path / "core.csv"
    seeded.export_file(path)
    header = path.read_text().splitlines()[0]
    assert header.startswith("form,kind,gloss_en,gloss_ru,components,registers")
    copy = seeded.using("fromcsv")
    copy.import_file(path)
    assert _state(copy) == _state(seeded)  # the seed has no '|' or ';' inside a value


def test_tbx_v3_round_trip(seeded: Lexicon, tmp_path: Path) -> None:
    path = tmp_path / "core.tbx"
    seeded.export_file(path)
    text = path.read_text()
    assert '<tbx xmlns="urn:iso:std:iso:30042:ed-2"' in text and 'xml:lang="zxx"' in text
    copy = seeded.using("fromtbx")
    copy.import_file(path)
    assert _state(copy) == _state(seeded)


def test_tbx_v2_martif_is_read(lexicon: Lexicon) -> None:
    report = lexicon.import_file(DATA / "martif.tbx")
    assert report.created == 3
    fire = lexicon.get("🜂").data
    assert fire.glosses == {"en": ("fire",), "ru": ("огонь", "пламя")}
    assert fire.status == "active" and fire.provenance == "import"
    # a subject field that is not a register is kept as data, not dropped
    assert fire.notes == 'Alchemical fire.\n[TBX] subjectField: "chemistry"'
    assert fire.registers == ("poetic",)
    old = lexicon.get("🜃").data
    assert old.status == "deprecated"
    # a termbase without a zxx section: its first term is the form
    assert lexicon.get("threshold").data.glosses["ru"] == ("порог",)


def test_tbx_v3_from_another_tool_is_read(lexicon: Lexicon) -> None:
    report = lexicon.import_file(DATA / "basic-v3.tbx")
    assert report.created == 2
    assert lexicon.get("⧖").data.glosses == {"en": ("time",), "ru": ("время",)}
    assert lexicon.get("☿").data.status == "deprecated"


BAD_FILES = [
    ("bad.jsonl", b'{"form": "\xf0\x9f\x9c\x82"}\n{"form": \n', r"bad.jsonl:2: invalid JSON"),
    ("bad.jsonl", b'{"form": "a", "kind": "rune"}\n', r"bad.jsonl:1: kind: 'rune' is not one of"),
    ("bad.jsonl", b"[1, 2]\n", r"bad.jsonl:1: expected a JSON object"),
    ("bad.jsonl", b'{"form": "\xcf\xee\xf0\xee\xe3"}\n', r"bad.jsonl:1: not valid UTF-8"),
    ("bad.yaml", b"entries:\n  - form: a\n  - form: [\n", r"bad.yaml:4:\d+: invalid YAML"),
    (
        "bad.yaml",
        b"entries:\n  - form: a\n  - kind: glyph\n",
        r"bad.yaml:3 \(entry 2\): missing field 'form'",
    ),
    ("bad.csv", b"form,colour\na,red\n", r"bad.csv:1: unknown column 'colour'"),
    ("bad.csv", b"form,weight\na,0.5\nb,9\n", r"bad.csv:3: weight: must be between 0 and 1"),
    ("bad.csv", b"form,weight\na,0.5,1\n", r"bad.csv:2: 3 cells, the header has 2 columns"),
    (
        "bad.csv",
        b'form,gloss_en\n"a,x\nb,y\nc,"z"\nd,w\n',
        r"bad.csv:2: unterminated quote: .* runs on to line 4",
    ),
    ("bad.csv", b'form,gloss_en\na,"x"y\n', r"bad.csv:2: text after a closing quote"),
    (
        "bad.csv",
        b'form,gloss_en\na,"x\nb,y\nc",z\n',
        r"bad.csv:2: 3 cells, the header has 2 columns \(unterminated quote\? the record "
        r"starting on line 2 runs on to line 4\)",
    ),
    (
        "bad.yaml",
        b"hyperlexicon: 1\nauthor: me\nentries: []\n",
        r"bad.yaml: unknown key\(s\) 'author'",
    ),
    (
        "bad.jsonl",
        b'{"hyperlexicon": 1, "lexcon": "x"}\n',
        r"bad.jsonl:1: unknown key\(s\) 'lexcon'",
    ),
    ("bad.tbx", b"<martif><text><body><termEntry>", r"bad.tbx:1:\d+: invalid XML"),
    ("bad.tbx", b"<html/>", r"root element <html> is neither"),
    ("bad.tbx", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><martif>&a;</martif>', r"refused unsafe XML"),
]


@pytest.mark.parametrize("name, content, message", BAD_FILES)
def test_bad_files_are_refused_whole(
    lexicon: Lexicon, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=message):
        lexicon.import_file(path)
    assert lexicon.entries() == []
    assert lexicon.history() == []


@pytest.mark.parametrize(
    "name, content",
    [
        ("empty.jsonl", b'{"hyperlexicon": 1, "lexicon": "core"}\n'),
        ("empty.yaml", b"hyperlexicon: 1\nlexicon: core\nentries:\n"),
        ("empty.csv", b"form,kind,gloss_en\n"),
        ("empty.tbx", b"<tbx><text><body/></text></tbx>"),
    ],
)
def test_an_empty_lexicon_is_a_header_without_entries(
    lexicon: Lexicon, tmp_path: Path, name: str, content: bytes
) -> None:
    """A file with nothing in it is refused (a failed download, a redirect that wrote
    nothing); a header without entries, what export writes for an empty lexicon, is one."""
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(BadInputError, match=f"{name}: the file holds nothing"):
        lexicon.import_file(path)
    path.write_bytes(content)
    assert lexicon.import_file(path).total == 0
    lexicon.create_lexicon("nothing")
    empty = lexicon.using("nothing")
    out = tmp_path / f"out.{name.split('.')[1]}"
    empty.export_file(out)
    assert empty.import_file(out).total == 0


def test_a_late_error_rolls_back_the_early_entries(lexicon: Lexicon, tmp_path: Path) -> None:
    lines = [
        f'{{"form": "w{i}", "kind": "phrase", "glosses": {{"en": ["w{i}"]}}}}' for i in range(2500)
    ]
    lines.append('{"form": "🜂", "weight": -1}')
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines))
    with pytest.raises(BadInputError, match=r"big.jsonl:2501: weight"):
        lexicon.import_file(path)
    assert lexicon.store.count("core") == 0


def test_mojibake_is_repaired_on_import_and_reported(lexicon: Lexicon, tmp_path: Path) -> None:
    garbled_ru = "огонь".encode().decode("cp1251")
    garbled_en = "café".encode().decode("latin-1")
    garbled_form = "страхтишина".encode().decode("mac_roman")
    path = tmp_path / "moji.jsonl"
    path.write_text(
        f'{{"form": "🜂", "glosses": {{"ru": ["{garbled_ru}"], "en": ["{garbled_en}"]}}}}\n'
        f'{{"form": "{garbled_form}", "glosses": {{"ru": ["страх и тишина"]}}}}\n'
    )
    report = lexicon.import_file(path)
    assert lexicon.get("🜂").data.glosses == {"en": ("café",), "ru": ("огонь",)}
    assert lexicon.find("страхтишина") is not None
    assert len(report.repairs) == 3
    assert any(
        "moji.jsonl:1: glosses.ru[0]: repaired mojibake (UTF-8 read as cp1251)" in r
        for r in report.repairs
    )
    assert any("Mac Roman" in r for r in report.repairs)


def test_no_repair_refuses_mojibake(lexicon: Lexicon, tmp_path: Path) -> None:
    path = tmp_path / "moji.csv"
    path.write_text("form,gloss_ru\n🜂,огонь\n⧖," + "время".encode().decode("cp1251") + "\n")
    with pytest.raises(BadInputError, match=r"moji.csv:3: glosses.ru\[0\]: looks like mojibake"):
        lexicon.import_file(path, repair=False)
    assert lexicon.entries() == []


def test_conflict_policy_on_import(seeded: Lexicon, tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(
        '{"form": "🜂", "glosses": {"en": ["FIRE"]}}\n{"form": "🆕", "glosses": {"en": ["new"]}}\n'
    )
    with pytest.raises(ConflictError, match=r"one\.jsonl:1: entry '🜂' already exists"):
        seeded.import_file(path)
    assert seeded.find("🆕") is None
    assert seeded.import_file(path, on_conflict="skip").skipped == 1
    assert seeded.get("🜂").data.glosses["en"] == ("fire", "flame")
    assert seeded.import_file(path, on_conflict="update").updated == 1
    assert seeded.get("🜂").data.glosses == {"en": ("FIRE",)}


def test_unknown_format(lexicon: Lexicon, tmp_path: Path) -> None:
    path = tmp_path / "x.docx"
    path.write_bytes(b"")
    with pytest.raises(BadInputError, match="cannot tell the format"):
        lexicon.import_file(path)
    with pytest.raises(BadInputError, match="unknown format 'docx'"):
        lexicon.import_file(path, format="docx")
