"""The thesaurus: WordNet's database files read by binary search and byte offset (a tiny
database written here in WordNet's own format, and Debian's wordnet-base where installed),
the setting, and the bridge reaching an entry through a noun's broader word."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hyperlexicon.bridge import Bridge
from hyperlexicon.cli import main
from hyperlexicon.config import Settings
from hyperlexicon.entry import EntryData
from hyperlexicon.errors import ConfigError
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.thesaurus import (
    SYSTEM_WORDNETS,
    Thesaurus,
    source_for,
    thesaurus_for,
    word_counts,
)

LICENCE = "  1 This software and database is being provided to you, the LICENSEE, by\n"
# (id, words, pointers as (symbol, target id)), nouns only
SYNSETS = [
    ("horse", ["horse", "Equus_caballus"], [("@", "equine")]),
    ("equine", ["equine", "equid"], []),
    ("stallion", ["stallion", "entire"], [("@", "male_horse")]),
    ("male_horse", ["male_horse"], [("@", "horse")]),
    ("twister", ["tornado", "twister"], [("@", "windstorm")]),
    ("windstorm", ["windstorm"], []),
    ("cake", ["cruller", "twister"], []),
    ("sedan", ["sedan", "saloon"], [("@", "car")]),
    ("car", ["car", "automobile"], []),
]
SENSES = {  # lemma → its synsets, most used first
    "horse": ["horse"],
    "equus_caballus": ["horse"],
    "equine": ["equine"],
    "equid": ["equine"],
    "stallion": ["stallion"],
    "entire": ["stallion"],
    "male_horse": ["male_horse"],
    "tornado": ["twister"],
    "twister": ["twister", "cake"],
    "windstorm": ["windstorm"],
    "cruller": ["cake"],
    "sedan": ["sedan"],
    "saloon": ["sedan"],
    "car": ["car"],
    "automobile": ["car"],
}


def write_wordnet(root: Path) -> Path:
    """A database in WordNet 3.0's format: the data file's offsets are byte positions."""
    root.mkdir(parents=True, exist_ok=True)
    offsets: dict[str, int] = {}
    at = len(LICENCE.encode())
    for sid, words, pointers in SYNSETS:  # the line's length does not depend on offsets
        offsets[sid] = at
        at += len(_line(sid, words, pointers, {s: 0 for s, _, _ in SYNSETS}).encode())
    data = LICENCE + "".join(_line(sid, w, p, offsets) for sid, w, p in SYNSETS)
    (root / "data.noun").write_text(data, encoding="utf-8")
    index = LICENCE + "".join(
        f"{lemma} n {len(ids)} 1 @ {len(ids)} 0 {' '.join(f'{offsets[i]:08d}' for i in ids)}  \n"
        for lemma, ids in sorted(SENSES.items())
    )
    (root / "index.noun").write_text(index, encoding="utf-8")
    return root


def _line(sid: str, words: list[str], pointers: list, offsets: dict[str, int]) -> str:
    ws = " ".join(f"{w} 0" for w in words)
    ps = " ".join(f"{sym} {offsets[to]:08d} n 0000" for sym, to in pointers)
    return f"{offsets[sid]:08d} 05 n {len(words):02x} {ws} {len(pointers):03d} {ps} | {sid}  \n"


def test_related_words_by_sense_and_breadth(tmp_path: Path) -> None:
    th = Thesaurus(write_wordnet(tmp_path / "wn"))
    # a synonym first, then the broader word, then the broader word's own broader word
    assert th.related("stallion", ("n",)) == [
        ("entire", 1.0),
        ("male horse", 0.6),
        ("equus caballus", 0.3),
        ("horse", 0.3),
    ]
    # the second sense weighs half the first
    assert th.related("Twister", ("n",)) == [
        ("tornado", 1.0),
        ("windstorm", 0.6),
        ("cruller", 0.5),
    ]
    assert th.related("male horse", ("n",))[0] == ("equus caballus", 0.6)
    # the first and the last word of the index, and words that are not there
    assert th.related("cruller", ("n",)) == [("twister", 1.0)]
    assert th.related("windstorm", ("n",)) == []
    assert th.related("aardvark", ("n",)) == [] and th.related("zebra", ("n",)) == []


def test_word_counts_per_part_of_speech(tmp_path: Path) -> None:
    (tmp_path / "cntlist.rev").write_text(
        "girl%1:18:00:: 1 60\ngirl%1:18:02:: 3 96\nbest_friend%1:18:00:: 1 2\n"
        "run%2:38:00:: 1 40\nfast%5:00:00:quick:00 1 7\nfast%4:02:00:: 1 3\n"
        "not a line\nodd%9:00:00:: 1 5\nbad%1:00:00:: 1 x\n",
        "utf-8",
    )
    assert word_counts(tmp_path) == {
        "girl": {"n": 156},
        "best friend": {"n": 2},
        "run": {"v": 40},
        "fast": {"a": 7, "adv": 3},
    }
    assert word_counts(tmp_path / "elsewhere") == {}


@pytest.mark.skipif(
    not any((p / "data.noun").is_file() for p in SYSTEM_WORDNETS),
    reason="Debian's wordnet-base is not installed (./scripts/test installs it)",
)
def test_princeton_wordnet_as_debian_ships_it() -> None:
    th = thesaurus_for("auto")
    assert th is not None
    assert ("car", 0.6) in th.related("sedan", ("n",))
    assert th.related("cellphone", ("n",))[:4] == [
        ("cell", 1.0),
        ("cellular phone", 1.0),
        ("cellular telephone", 1.0),
        ("mobile phone", 1.0),
    ]
    assert ("enraged", 0.5) in th.related("furious", ("a",))  # its second sense
    assert th.related("sob", ("v",)) == [("cry", 0.6), ("weep", 0.6)]
    assert th.related("happily", ("r",))[0][0] == "blithely"


def test_the_setting(tmp_path: Path) -> None:
    assert source_for("off") is None
    assert source_for("auto") == next(
        (p for p in SYSTEM_WORDNETS if (p / "data.noun").is_file()), None
    )
    with pytest.raises(ConfigError, match="HYPERLEXICON_THESAURUS: no WordNet database"):
        Settings.load(thesaurus=str(tmp_path))
    assert Settings.load(thesaurus=str(write_wordnet(tmp_path / "wn"))).thesaurus == str(
        tmp_path / "wn"
    )


def test_a_bad_setting_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLEXICON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HYPERLEXICON_THESAURUS", str(tmp_path / "nowhere"))
    out = CliRunner().invoke(main, ["encode", "the stallion ran"])
    assert out.exit_code == 2
    assert out.output.strip().count("\n") == 0 and "HYPERLEXICON_THESAURUS" in out.output


def test_a_noun_no_gloss_names_reaches_its_broader_words_entry(
    indexed_sqlite: Lexicon, tmp_path: Path
) -> None:
    """ "sedan" names no gloss; its broader word "car" names 🚗, which is near it in meaning:
    the scene holds 🚗, said to be "related"; "twister" finds 🌪️ by its synonym. Without the
    thesaurus nothing is related (meaning alone may still reach 🚗); a word only the broader word's broader word names is not
    asked (its weight is under ``RELATED_WEIGHT``)."""
    lex = indexed_sqlite
    lex.add(EntryData.from_dict({"form": "🚗", "glosses": {"en": ["car"], "ru": ["машина"]}}))
    lex.add(EntryData.from_dict({"form": "🌪️", "glosses": {"en": ["tornado"], "ru": ["смерч"]}}))
    lex.add(EntryData.from_dict({"form": "🐎", "glosses": {"en": ["horse"], "ru": ["лошадь"]}}))
    wn = str(write_wordnet(tmp_path / "wn"))
    with_wn = Lexicon(lex.settings.with_(thesaurus=wn, bilingual="off"), store=lex.store)
    without = Lexicon(lex.settings.with_(thesaurus="off", bilingual="off"), store=lex.store)
    sedan = "He bought a shiny new sedan"
    try:
        scene = with_wn.encode(sedan, stability=False, log=False)
        by_form = {lx.form: lx for lx in scene.lexemes}
        assert "🚗" in by_form and by_form["🚗"].how == "related", scene.lexemes
        assert by_form["🚗"].source == "sedan"
        plain = without.encode(sedan, stability=False, log=False)
        assert not any(lx.how == "related" for lx in plain.lexemes)
        assert "🌪️" in with_wn.encode("A twister touched down", stability=False, log=False).forms
        stallion = with_wn.encode("The stallion jumped over the fence", stability=False, log=False)
        assert "🐎" not in stallion.forms  # horse is stallion's hypernym's hypernym here
        # a threshold like the others: far enough up, the broader word's entry is not taken
        strict = Bridge(with_wn.workspace, with_wn.bridge.thresholds.with_(keyword_related=0.99))
        assert not any(lx.how == "related" for lx in strict.encode(sedan, stability=False).lexemes)
    finally:
        with_wn.close()
        without.close()
