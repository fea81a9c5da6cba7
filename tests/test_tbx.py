"""TBX as termbase tools export it: TBX-Basic v2, TBX v2 with ntig, TBX v3 in DCA and DCT
style. Known statuses are mapped, unknown ones kept with a warning (``strict`` refuses
them), regional language tags become the base language with the region kept, and an export
puts all of that back."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hyperlexicon.errors import BadInputError
from hyperlexicon.formats.tbx import language, read_tbx, status_of
from hyperlexicon.lexicon import Lexicon

from .fixtures import DATA

# each shape, and a regional language tag it holds
SHAPES = {
    "tbx-basic-v2.tbx": "en-US",
    "tbx-v2-ntig.tbx": "en-US",
    "tbx-v3-dca.tbx": "en-US",
    "tbx-v3-dct.tbx": "en-GB",
}


def _line(name: str, concept_id: str) -> int:
    """The line a concept entry starts on, read from the fixture itself."""
    lines = (DATA / name).read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if f'id="{concept_id}"' in line)


def _state(lex: Lexicon) -> dict:
    return {k: v.to_dict() for k, v in lex.at("working").items()}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_tbx_basic_v2_regions_and_the_basic_picklist(
    lexicon: Lexicon, tmp_path: Path, encoding: str
) -> None:
    """TBX-Basic v2 with a DOCTYPE, as CAT tools export it (some in UTF-16)."""
    text = (DATA / "tbx-basic-v2.tbx").read_text()
    path = tmp_path / "basic.tbx"
    path.write_bytes(text.replace('encoding="UTF-8"', f'encoding="{encoding}"').encode(encoding))
    report = lexicon.import_file(path)
    assert (report.created, report.warnings) == (3, [])
    fire = lexicon.get("🜂").data
    # en-US and ru-RU are glosses in en and ru, what the bridge looks up
    assert fire.glosses == {"en": ("fire", "blaze"), "ru": ("огонь",)}
    assert fire.status == "active" and fire.provenance == "import"
    assert fire.registers == ("poetic",)
    assert fire.examples == ("The fire burned all night.",)
    assert fire.notes.splitlines() == [
        "The alchemical sign of the element fire.",
        '[TBX] en-US: "fire"',
        '[TBX] en-US: "blaze" administrativeStatus="notRecommendedTerm-admn-sts"',
        '[TBX] ru-RU: "огонь"',
        '[TBX] subjectField: "Alchemy"',
    ]
    salt = lexicon.get("🜔").data
    assert salt.status == "deprecated"  # obsoleteTerm-admn-sts
    assert salt.notes == '[TBX] en-GB: "salt"'
    # no zxx section: the first term is the form (admittedTerm: active)
    threshold = lexicon.get("threshold").data
    assert threshold.glosses == {"en": ("threshold",), "ru": ("порог",)}
    assert threshold.status == "active" and threshold.registers == ("philosophical",)


def test_tbx_v2_ntig_terms_are_read(lexicon: Lexicon) -> None:
    report = lexicon.import_file(DATA / "tbx-v2-ntig.tbx")
    assert report.created == 3
    bolt = lexicon.get("⚡").data
    assert bolt.glosses == {"en": ("lightning", "thunderbolt"), "ru": ("молния",)}
    assert bolt.status == "active" and bolt.notes.splitlines() == [
        "Lightning: a sudden discharge in a storm.",
        '[TBX] en-US: "lightning"',
        '[TBX] en-US: "thunderbolt" normativeAuthorization="supersededTerm"',
    ]
    assert bolt.examples == ("Lightning struck the old oak.",)
    assert lexicon.get("🜍").data.glosses == {"en": ("sulfur",)}
    # normativeAuthorization when there is no administrativeStatus
    assert lexicon.get("🜏").data.status == "active"


def test_an_unknown_status_is_kept_with_a_warning(lexicon: Lexicon) -> None:
    path = DATA / "tbx-v2-ntig.tbx"
    report = lexicon.import_file(path)
    sulfur = lexicon.get("🜍").data
    assert sulfur.status == "proposed"  # for a person to decide, not used by the bridge
    assert sulfur.notes == '[TBX] zxx: "🜍" administrativeStatus="forbidden"'
    assert report.warnings == [
        f"{path}:{_line(path.name, 'n2')}: <termEntry> #2 (id=n2): zxx term '🜍': unknown "
        "administrativeStatus 'forbidden'; kept in the notes, the entry imported as proposed"
    ]


def test_strict_refuses_an_unknown_status_and_keeps_nothing(lexicon: Lexicon) -> None:
    path = DATA / "tbx-v2-ntig.tbx"
    with pytest.raises(BadInputError) as caught:
        lexicon.import_file(path, strict=True)
    assert str(caught.value) == (
        f"{path}:{_line(path.name, 'n2')}: <termEntry> #2 (id=n2): zxx term '🜍': unknown "
        "administrativeStatus 'forbidden' (refused by --strict; nothing was imported)"
    )
    assert lexicon.entries() == [] and lexicon.history() == []
    # a file without unknown values imports the same with or without strict
    assert lexicon.import_file(DATA / "tbx-v3-dct.tbx", strict=True).created == 2


def test_an_unknown_status_of_a_gloss_leaves_the_entry_status_alone(lexicon: Lexicon) -> None:
    tbx = """<martif type="TBX"><text><body><termEntry id="x">
      <langSet xml:lang="zxx"><tig><term>🜄</term></tig></langSet>
      <langSet xml:lang="en">
        <tig><term>drop</term><termNote type="administrativeStatus">Verboten / Forbidden</termNote></tig>
        <tig><term>water</term></tig>
      </langSet></termEntry></body></text></martif>"""
    report = lexicon.import_stream(io.BytesIO(tbx.encode()), "w.tbx", format="tbx")
    water = lexicon.get("🜄").data
    assert water.status == "active"
    assert water.glosses == {"en": ("water", "drop")}  # the usable gloss first
    assert water.notes == '[TBX] en: "drop" administrativeStatus="Verboten / Forbidden"'
    assert report.warnings == [
        "w.tbx:1: <termEntry> #1 (id=x): en term 'drop': unknown administrativeStatus "
        "'Verboten / Forbidden'; kept in the notes"
    ]


def test_tbx_v3_dca(lexicon: Lexicon) -> None:
    report = lexicon.import_file(DATA / "tbx-v3-dca.tbx")
    assert (report.created, report.warnings) == (2, [])
    time = lexicon.get("⧖").data
    assert time.glosses == {"en": ("time", "hourglass"), "ru": ("время",)}
    assert time.registers == ("logical",) and time.status == "active"
    assert time.examples == ("Sand ran through the hourglass.",)
    # the definitions of each language section, then the regions
    assert time.notes.splitlines() == [
        "Time as it runs out, as in an hourglass.",
        "Время, которое истекает, как в песочных часах.",
        '[TBX] en-US: "time"',
        '[TBX] en-US: "hourglass"',
        '[TBX] ru-RU: "время"',
    ]
    candle = lexicon.get("🕯").data
    assert candle.status == "deprecated"  # notRecommendedTerm-admn-sts
    assert candle.glosses == {"en": ("candle",)} and candle.notes == ""  # xml:lang="EN"


def test_tbx_v3_dct_namespaced_categories(lexicon: Lexicon) -> None:
    report = lexicon.import_file(DATA / "tbx-v3-dct.tbx")
    assert (report.created, report.warnings) == (2, [])
    breath = lexicon.get("🫁").data
    # the deprecated term comes first in the file; a decode writes the usable one
    assert breath.glosses == {"en": ("breath", "inhalation"), "ru": ("вдох",)}
    assert breath.registers == ("emotional",) and breath.status == "active"
    assert breath.examples == ("She held her breath.",)
    assert breath.notes.splitlines() == [
        "Breath: the air drawn in, the first act of a life.",
        '[TBX] en-GB: "breath"',
        '[TBX] en-GB: "inhalation" administrativeStatus="deprecatedTerm-admn-sts"',
        '[TBX] subjectField: "Physiology"',
    ]
    assert lexicon.get("🜁").data.status == "deprecated"  # supersededTerm-admn-sts


@pytest.mark.parametrize("name", SHAPES)
def test_export_puts_back_what_the_import_kept(lexicon: Lexicon, tmp_path: Path, name: str) -> None:
    first = lexicon.import_file(DATA / name)
    out = tmp_path / "out.tbx"
    lexicon.export_file(out)
    copy = lexicon.using("copy")
    again = copy.import_file(out)
    assert _state(copy) == _state(lexicon)
    assert len(again.warnings) == len(first.warnings)
    text = out.read_text()
    assert "[TBX]" not in text  # the kept lines went back into the XML
    assert f'<langSec xml:lang="{SHAPES[name]}">' in text  # the region, as the file had it
    assert all("-" not in lang for e in copy.entries() for lang in e.data.glosses)
    if name == "tbx-basic-v2.tbx":
        assert '<langSec xml:lang="en-US"><termSec><term>fire</term></termSec><termSec>' in text
        assert (
            '<term>blaze</term><termNote type="administrativeStatus">'
            "notRecommendedTerm-admn-sts</termNote>"
        ) in text
        assert '<descrip type="subjectField">poetic; Alchemy</descrip>' in text
    if name == "tbx-v2-ntig.tbx":
        assert '<term>🜍</term><termNote type="administrativeStatus">forbidden</termNote>' in text


def test_a_kept_status_that_no_longer_holds_is_not_written_back(
    lexicon: Lexicon, tmp_path: Path
) -> None:
    """Someone made the 'forbidden' entry active: the export says preferred, and the stale
    line stays in the definition rather than contradicting the status."""
    lexicon.import_file(DATA / "tbx-v2-ntig.tbx")
    lexicon.edit("🜍", lambda d: d.evolve(status="active"))
    out = tmp_path / "out.tbx"
    lexicon.export_file(out)
    text = out.read_text()
    assert '<term>🜍</term><termNote type="administrativeStatus">preferredTerm-admn-sts' in text
    copy = lexicon.using("copy")
    assert copy.import_file(out).warnings == []
    assert copy.get("🜍").data == lexicon.get("🜍").data


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("en", ("en", "en")),
        ("en-us", ("en", "en-US")),
        ("EN_gb", ("en", "en-GB")),
        ("zh-hant-tw", ("zh", "zh-Hant-TW")),
        ("es-419", ("es", "es-419")),
        ("zxx", ("zxx", "zxx")),
    ],
)
def test_language_tags_are_normalised_to_the_base_language(raw: str, expected: tuple) -> None:
    assert language(raw, "x") == expected


@pytest.mark.parametrize("raw", ["english", "x-klingon", "en--us", "", "1en"])
def test_a_bad_language_tag_is_named(raw: str) -> None:
    with pytest.raises(BadInputError, match=r"x: (no xml:lang|xml:lang .* is not a language tag)"):
        language(raw, "x")


@pytest.mark.parametrize(
    "value, status",
    [
        ("preferredTerm-admn-sts", "active"),
        ("admittedTerm-admn-sts", "active"),
        ("standardizedTerm-admn-sts", "active"),
        ("legalTerm-admn-sts", "active"),
        ("regulatedTerm-admn-sts", "active"),
        ("deprecatedTerm-admn-sts", "deprecated"),
        ("supersededTerm-admn-sts", "deprecated"),
        ("notRecommendedTerm-admn-sts", "deprecated"),
        ("obsoleteTerm-admn-sts", "deprecated"),
        ("preferredTerm", "active"),  # normativeAuthorization
        ("supersededTerm", "deprecated"),
        ("preferred", "active"),  # TBX-Min
        ("notRecommended", "deprecated"),
        ("obsolete", "deprecated"),
        ("forbidden", None),
        ("Verboten / Forbidden", None),
        ("admn-sts", None),
    ],
)
def test_the_status_picklists(value: str, status: str | None) -> None:
    assert status_of(value) == status


@pytest.mark.parametrize(
    "content, message",
    [
        (b"<martif/>", r"^t.tbx: <martif> has no <text><body>: not a termbase$"),
        (
            b'<tbx xmlns="urn:iso:std:iso:30042:ed-2"><text><body>\n<p>hello</p></body></text></tbx>',
            r"^t.tbx:2: <body> holds <p>, not a concept entry",
        ),
        (
            b'<martif><text><body><termEntry id="a"><langSet xml:lang="English">'
            b"<tig><term>x</term></tig></langSet></termEntry></body></text></martif>",
            r"^t.tbx:1: <termEntry> #1 \(id=a\): <langSet>: xml:lang 'English' is not a language",
        ),
        (b"  \n", r"^t.tbx: the file holds nothing"),
    ],
)
def test_a_file_that_is_not_a_termbase_is_refused(content: bytes, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        _, records = read_tbx(io.BytesIO(content), "t.tbx")
        list(records)
