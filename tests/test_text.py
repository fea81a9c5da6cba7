from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hyperlexicon import text as T
from hyperlexicon.errors import BadInputError

CYRILLIC = st.text(
    alphabet="абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ ",
    min_size=3,
    max_size=40,
)


def test_presentation_selectors_fold_in_the_key() -> None:
    assert T.form_key("⚠️") == T.form_key("⚠")
    assert T.form_key("⚡️🜂🫁") == T.form_key("⚡🜂🫁")


def test_nfc_and_case_and_space_fold_in_the_key() -> None:
    decomposed = "е\u0308ж"  # е + combining diaeresis
    assert T.form_key(decomposed) == T.form_key("ёж")
    assert T.form_key("  Огонь   Время ") == "огонь время"
    assert T.form_key("∆-threshold") == T.form_key("Δ-threshold")


def test_graphemes_keep_clusters_whole() -> None:
    assert T.graphemes("⚠️⚡🜂🫁👨\u200d👩\u200d👧Ꙩ") == [
        "⚠️",
        "⚡",
        "🜂",
        "🫁",
        "👨\u200d👩\u200d👧",
        "Ꙩ",
    ]


@pytest.mark.parametrize("bad", ["", "   ", "\u200b", "fi\x00re", "a\x1bb", "\ufe0f"])
def test_bad_forms_are_refused(bad: str) -> None:
    with pytest.raises(BadInputError, match="form"):
        T.clean_form(bad, "form")


def test_long_text_is_refused() -> None:
    with pytest.raises(BadInputError, match="longer than"):
        T.clean_text("x" * 2000, "gloss")


@pytest.mark.parametrize("encoding", ["cp1251", "latin-1", "mac_roman"])
@pytest.mark.parametrize(
    "original",
    [
        "страхтишинажарожидание",
        "Вдох, как молния в тумане тела",
        "огонь 🜂 и время ⧖",
        "café déjà vu",
    ],
)
def test_mojibake_is_detected_and_repaired(encoding: str, original: str) -> None:
    try:
        garbled = original.encode("utf-8").decode(encoding)
    except UnicodeDecodeError:
        pytest.skip(f"{encoding} cannot decode every UTF-8 byte of this sample")
    found = T.detect_mojibake(garbled)
    assert found is not None
    fixed, how = found
    assert fixed == original
    assert "UTF-8 read as" in how


@pytest.mark.parametrize(
    "clean",
    [
        "огонь",
        "страхтишинажарожидание",
        "fire and time",
        "café",
        "🜂⧖🕯 → ⟁☰☉⚭",
        "naïve — «ёлка»",
        "Δ-threshold",
    ],
)
def test_clean_text_is_not_touched(clean: str) -> None:
    assert T.detect_mojibake(clean) is None


def test_repair_off_refuses_with_the_place() -> None:
    garbled = "огонь".encode().decode("cp1251")
    with pytest.raises(BadInputError, match=r"line 3: gloss: looks like mojibake"):
        T.repair_text(garbled, "line 3: gloss", repair=False, repairs=[])


@given(CYRILLIC.filter(lambda s: s.strip()))
def test_cp1251_mojibake_of_any_russian_text_round_trips(original: str) -> None:
    garbled = original.encode("utf-8").decode("cp1251", errors="replace")
    if "\ufffd" in garbled:  # byte 0x98 has no cp1251 character: not the mojibake we meet
        return
    repairs: list[T.Repair] = []
    assert T.repair_text(garbled, "x", repair=True, repairs=repairs) == original


KEY_ALPHABET = st.sampled_from(
    [*"aZ ёЁжΔ∆⚠🜂\u0308\u200d\ufe0e\ufe0f\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u3000"]
)


@given(st.lists(KEY_ALPHABET, max_size=80).map("".join))
def test_form_key_is_its_definition(s: str) -> None:
    """The key as it is defined (NFC; presentation selectors dropped; ∆ as Δ; every run of
    whitespace one space, none at the ends; case folded), short forms (kept) and long ones
    alike: the fast path takes ``str.split``'s whitespace, which holds four separators that
    the definition's ``\\s`` does not."""
    import unicodedata

    import regex

    text = unicodedata.normalize("NFC", s).replace("\ufe0e", "").replace("\ufe0f", "")
    expected = regex.sub(r"\s+", " ", text.replace("∆", "Δ")).strip().casefold()
    assert T.form_key(s) == expected
    assert T.form_key(s) == expected  # and again, from what was kept


@given(st.text(max_size=30))
def test_form_key_is_idempotent(s: str) -> None:
    assert T.form_key(T.form_key(s)) == T.form_key(s)


@given(st.text(min_size=1, max_size=50))
def test_clean_text_is_idempotent_or_refuses(s: str) -> None:
    try:
        once = T.clean_text(s, "x")
    except BadInputError:
        return
    assert T.clean_text(once, "x") == once
    assert once == T.nfc(once)
