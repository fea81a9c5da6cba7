"""What a form may hold: no invisible look-alikes, every emoji sequence and every new emoji.

Forms are judged with the regex package's Unicode tables, so emoji newer than the running
Python's ``unicodedata`` are accepted; invisible characters are refused in forms, removed
(with a repair line) from glosses; ``doctor`` finds look-alikes already stored.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import regex
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from hyperlexicon import text as T
from hyperlexicon.cli import main
from hyperlexicon.config import Settings
from hyperlexicon.entry import EntryData
from hyperlexicon.errors import BadInputError
from hyperlexicon.lexicon import Lexicon

# one of each kind of character that made a copy of 🜂 look like 🜂
INVISIBLE = {
    "\u200b": "ZERO WIDTH SPACE",
    "\u200c": "ZERO WIDTH NON-JOINER",
    "\u200d": "ZERO WIDTH JOINER",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",  # the BOM
    "\u00ad": "SOFT HYPHEN",
    "\u034f": "COMBINING GRAPHEME JOINER",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u061c": "ARABIC LETTER MARK",
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u202b": "RIGHT-TO-LEFT EMBEDDING",
    "\u202c": "POP DIRECTIONAL FORMATTING",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2068": "FIRST STRONG ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
    "\u2062": "INVISIBLE TIMES",
    "\u180e": "MONGOLIAN VOWEL SEPARATOR",
    "\u3164": "HANGUL FILLER",
    "\ufe00": "VARIATION SELECTOR-1",
    "\U000e0041": "TAG LATIN CAPITAL LETTER A",
    "\ufff9": "INTERLINEAR ANNOTATION ANCHOR",  # a format character that is not ignorable
}
BIDI = set("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

ACCEPTED = [
    "👨\u200d👩\u200d👧",  # ZWJ sequence
    "🏳\ufe0f\u200d🌈",  # ZWJ after a presentation selector
    "🧑🏽\u200d🚀",  # ZWJ after a skin tone
    "🧑🏻\u200d🤝\u200d🧑🏿",
    "👁\ufe0f\u200d🗨\ufe0f",
    "❤\ufe0f\u200d🔥",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland: tag sequence
    "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # England
    "🇩🇪",  # regional indicators
    "#\ufe0f\u20e3",  # keycaps
    "7\u20e3",
    "👋🏻",  # skin tones
    "👩\u200d🦰",  # hair component
    "⚠\ufe0f",
    "⚠\ufe0e",
    "🜂⧖🕯 → ⟁☰☉⚭",
    "страх\u0301тишина",  # a stress mark is a visible mark
    "می\u200cخواهم",  # Persian: ZWNJ between joining letters (RFC 5892 A.1)
    "क्\u200dष",  # Devanagari: ZWJ after a virama (RFC 5892 A.2)
    "\ue000",  # private use: drawn by the font that gives it
]

# Unicode 15-17 emoji: unassigned for Python 3.11's unicodedata (Unicode 14)
NEW_EMOJI = {
    "\U0001fae8": "15.0 shaking face",
    "\U0001fae9": "16.0 face with bags under eyes",
    "\U0001fa89": "16.0 harp",
    "\U0001faea": "17.0 distorted face",
    "\U0001faeb": "18.0 cracking face",
    "\U0001f6d8": "17.0 landslide",
    "\U0001faf8\U0001f3fd": "15.0 rightwards pushing hand, medium skin tone",
}


def _hex(ch: str) -> str:
    return f"U+{ord(ch):04X}"


@pytest.mark.parametrize("ch", list(INVISIBLE), ids=[_hex(c) for c in INVISIBLE])
@pytest.mark.parametrize("place", ["after", "before", "inside"])
def test_an_invisible_character_in_a_form_is_refused_by_name(ch: str, place: str) -> None:
    form = {"after": f"🜂{ch}", "before": f"{ch}🜂", "inside": f"ог{ch}онь"}[place]
    with pytest.raises(BadInputError) as caught:
        EntryData.create(form, glosses={"en": ["fire"]}, where="line 4")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("line 4: form: holds ")
    assert f"{_hex(ch)} {INVISIBLE[ch]}" in message
    if ch in BIDI:
        assert "a bidirectional control" in message


@pytest.mark.parametrize(
    "form, what",
    [
        ("x\ufdd0", "U+FDD0, a noncharacter"),
        ("x\ufffe", "U+FFFE, a noncharacter"),
        ("\U0001ffff", "U+1FFFF, a noncharacter"),
        ("x\ud800", "U+D800, a lone surrogate"),
        ("fi\x00re", "control character"),
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\ufe0f", "has no visible characters"),
        ("\u3000\u00a0", "is empty"),  # whitespace only
    ],
)
def test_noncharacters_controls_and_blank_forms_are_refused(form: str, what: str) -> None:
    with pytest.raises(BadInputError, match="form: .*" + what.replace("+", r"\+")):
        T.clean_form(form, "form")


@pytest.mark.parametrize("form", ACCEPTED)
def test_emoji_sequences_and_joining_scripts_are_accepted(form: str) -> None:
    assert T.form_problem(form) is None
    data = EntryData.create(form, glosses={"en": ["x"]})
    assert data.form == T.nfc(form)


def test_presentation_selectors_still_fold() -> None:
    assert EntryData.create("⚠\ufe0f").key == EntryData.create("⚠").key


@pytest.mark.parametrize("form", list(NEW_EMOJI), ids=list(NEW_EMOJI.values()))
def test_emoji_newer_than_python_are_accepted(form: str) -> None:
    if unicodedata.unidata_version == "14.0.0":  # Python 3.11: the case of the issue
        assert any(unicodedata.category(ch) == "Cn" for ch in form)
    data = EntryData.create(form, glosses={"en": [NEW_EMOJI[form]]})
    assert data.form == form and data.kind == "glyph"


def test_the_tables_forms_are_judged_by_know_the_emoji_seed() -> None:
    """regex's tables, not unicodedata's, know Emoji 17 (the emoji seed's newest) as
    assigned pictographs: what the ZWJ and tag rules rest on (pyproject pins regex>=2026.9)."""
    for ch in ("\U0001fae9", "\U0001fa89", "\U0001faea", "\U0001f6d8"):
        assert regex.match(r"[\p{Emoji}&&\p{Extended_Pictographic}&&\P{Cn}]", ch, regex.V1), ch
    assert T.form_problem("\U0001faea\u200d🔥") is None  # a ZWJ sequence of a new emoji


def test_an_emoji_sequence_broken_by_an_invisible_is_refused() -> None:
    broken = "👨\u200d\u200b👩"  # the joiner no longer joins two pictographs
    assert T.invisible_in(broken) == [(1, "\u200d"), (2, "\u200b")]
    with pytest.raises(BadInputError, match=r"U\+200D ZERO WIDTH JOINER \(character 2\)"):
        T.clean_form(broken, "form")
    with pytest.raises(BadInputError, match=r"U\+200D ZERO WIDTH JOINER .* ZWJ sequence"):
        T.clean_form("fi\u200dre", "form")  # ZWJ between letters that do not join
    with pytest.raises(BadInputError, match="tag character outside an emoji tag sequence"):
        T.clean_form("🏴\U000e0067\U000e0062", "form")  # no CANCEL TAG


def test_a_gloss_loses_ignorable_characters_with_a_repair_line() -> None:
    repairs: list[T.Repair] = []
    data = EntryData.create(
        "🜂",
        glosses={"ru": ["ог\u00adонь", "пла\u200bмя"], "en": ["fire\u2060"]},
        examples=["🜂\u200b и 👨\u200d👩\u200d👧"],
        repairs=repairs,
        where="line 2",
    )
    assert data.glosses == {"en": ("fire",), "ru": ("огонь", "пламя")}
    assert data.examples == ("🜂 и 👨\u200d👩\u200d👧",)  # the family keeps its joiners
    lines = [r.describe() for r in repairs]
    assert lines[0] == (
        "line 2: glosses.en[0]: removed invisible characters (U+2060 WORD JOINER): "
        "'fire\\u2060' -> 'fire'"
    )
    assert any("U+00AD SOFT HYPHEN" in line and "glosses.ru[0]" in line for line in lines)
    assert len(lines) == 4


def test_a_gloss_with_invisibles_is_refused_when_repair_is_off() -> None:
    with pytest.raises(BadInputError, match=r"line 2: glosses.ru\[0\]: holds U\+00AD SOFT HYPHEN"):
        EntryData.create("🜂", glosses={"ru": ["ог\u00adонь"]}, repair=False, where="line 2")


# --- through the command line ---------------------------------------------------------------


@pytest.fixture
def cli(sqlite_url: str):
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(main, ["--db", sqlite_url, *args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    assert run("init", "--seed", "core")[0] == 0
    return run


@pytest.mark.parametrize(
    "ch", ["\u200b", "\u202e", "\u2066", "\u200e", "\ufeff", "\u00ad", "\u034f"]
)
def test_lex_add_refuses_a_look_alike_in_one_line(cli, ch: str) -> None:
    code, out, err = cli("lex", "add", f"🜂{ch}", "-g", "en:fire")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"error: entry: form: holds {_hex(ch)} {INVISIBLE[ch]} (character 2), "
        + ("a bidirectional control" if ch in BIDI else "an invisible character")
    ]
    code, out, _ = cli("stats", "--json")
    assert json.loads(out)["lexicons"]["core"]["entries"] == 146  # nothing stored


def test_lex_add_takes_a_new_emoji_and_a_zwj_sequence(cli) -> None:
    for form in (
        "\U0001faea",
        "🧑🏽\u200d🚀",
        "🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",
    ):
        code, out, err = cli("lex", "add", form, "-g", "en:new")
        assert code == 0, err
    code, out, _ = cli("lex", "show", "\U0001faea", "--json")
    assert json.loads(out)["form"] == "\U0001faea"


def test_import_of_six_invisible_copies_stores_nothing(cli, tmp_path: Path) -> None:
    lines = [json.dumps({"form": f"🜂{ch}", "glosses": {"en": ["fire"]}}) for ch in INVISIBLE]
    path = tmp_path / "copies.jsonl"
    path.write_text("\n".join(lines[:6]) + "\n", encoding="utf-8")
    code, out, err = cli("import", str(path))
    assert code == 2
    assert err.strip().splitlines()[-1].startswith("error: ")
    assert f"{path}:1: form: holds U+200B ZERO WIDTH SPACE" in err
    code, out, _ = cli("stats", "--json")
    assert json.loads(out)["lexicons"]["core"]["entries"] == 146


# --- doctor ----------------------------------------------------------------------------------


def _plant(url: str, lexicon: Lexicon, pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Store entries, then give them look-alike forms behind the library's back (as a store
    written before the rules would hold them)."""
    ids = {}
    for placeholder, form in pairs:
        stored = lexicon.add(EntryData.create(placeholder, glosses={"en": ["copy"]}))
        ids[form] = stored.id
    engine = create_engine(url)
    with engine.begin() as conn:
        for _, form in pairs:
            conn.execute(
                text("UPDATE entry SET form = :form, form_key = :key WHERE id = :id"),
                {"form": form, "key": T.form_key(form), "id": ids[form]},
            )
    engine.dispose()
    return ids


def test_doctor_finds_look_alikes_stored_in_sql(seeded: Lexicon, db_url: str) -> None:
    assert seeded.store.look_alikes(seeded.name) == []  # the core seed is clean
    fire = seeded.get("🜂").id
    ids = _plant(
        db_url, seeded, [("copy-a", "🜂\u200b"), ("copy-b", "\u202e🜂"), ("copy-c", "Δ-\u2060x")]
    )
    found = seeded.store.look_alikes(seeded.name)
    singles = {f.forms[0]: f.problem for f in found if len(f.ids) == 1}
    assert singles == {
        "🜂\u200b": "holds U+200B ZERO WIDTH SPACE (character 2), an invisible character",
        "\u202e🜂": "holds U+202E RIGHT-TO-LEFT OVERRIDE (character 1), a bidirectional control",
        "Δ-\u2060x": "holds U+2060 WORD JOINER (character 3), an invisible character",
    }
    groups = [set(f.ids) for f in found if len(f.ids) > 1]
    assert groups == [{fire, ids["🜂\u200b"], ids["\u202e🜂"]}]


def test_doctor_command_reports_each_look_alike_and_exits_1(cli, sqlite_url: str) -> None:
    code, out, _ = cli("doctor", "--forms-only")
    assert code == 0 and out.strip() == "core: no look-alike forms"
    lexicon = Lexicon(Settings.load(db_url=sqlite_url))
    _plant(sqlite_url, lexicon, [("copy-a", "🜂\ufeff")])
    lexicon.close()
    code, out, _ = cli("doctor", "--forms-only")
    assert code == 1
    assert out.strip().splitlines() == [
        "form '🜂\\ufeff' (entry 147): holds U+FEFF ZERO WIDTH NO-BREAK SPACE (character 2), "
        "an invisible character",
        "forms '🜂' (entry 1) and '🜂\\ufeff' (entry 147): the same form once invisible "
        "characters are removed",
    ]
    code, out, _ = cli("doctor", "--forms-only", "--json")
    report = json.loads(out)
    assert code == 1 and report["clean"] is False and len(report["look_alikes"]) == 2


def test_doctor_checks_forms_without_the_index(
    cli, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forms are SQL's: with no Chroma to reach, --forms-only still answers."""
    lexicon = Lexicon(Settings.load(db_url=sqlite_url))
    _plant(sqlite_url, lexicon, [("copy-a", "🜂\u00ad")])
    lexicon.close()
    monkeypatch.setenv("HYPERLEXICON_CHROMA_URL", "http://127.0.0.1:9")
    code, out, _ = cli("doctor", "--forms-only")
    assert code == 1 and "U+00AD SOFT HYPHEN" in out
    # without --forms-only the index cannot be reached; the forms were told before that
    result = CliRunner().invoke(main, ["--db", sqlite_url, "doctor"])
    assert result.exit_code != 0
    assert "U+00AD SOFT HYPHEN" in result.stdout.splitlines()[0]
