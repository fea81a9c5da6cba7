"""The thesaurus: WordNet's database files read by binary search and byte offset (a tiny
database written here in WordNet's own format, and Debian's wordnet-base where installed);
the Russian thesaurus compiled from wiki-ru-wordnet's file (a tiny one written here in its
format, and the package's own); the settings; and the bridge reaching an entry through a
noun's synonym or broader word."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

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
    compile_russian,
    real_path,
    russian_source_for,
    russian_thesaurus_for,
    source_for,
    thesaurus_for,
    word_counts,
)


@pytest.fixture(scope="module")
def wordnet() -> Thesaurus:
    """Princeton WordNet as Debian ships it (``./scripts/test`` installs it)."""
    found = thesaurus_for("auto")
    assert found is not None, "Debian's wordnet-base is missing: ./scripts/test installs it"
    return found


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
    ("airplane", ["airplane", "aeroplane", "plane"], []),
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
    "airplane": ["airplane"],
    "aeroplane": ["airplane"],
    "plane": ["airplane"],
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


@pytest.mark.parametrize(
    "setting, text",
    [("HYPERLEXICON_THESAURUS", "the stallion ran"), ("HYPERLEXICON_THESAURUS_RU", "выла метель")],
)
def test_a_bad_setting_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, text: str
) -> None:
    monkeypatch.setenv("HYPERLEXICON_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(setting, str(tmp_path / "nowhere"))
    out = CliRunner().invoke(main, ["encode", text])
    assert out.exit_code == 2
    assert out.output.strip().count("\n") == 0 and setting in out.output


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


# --- Russian ------------------------------------------------------------------------------

# (synset id, words, its broader synsets), as wiki-ru-wordnet's file holds them
RU_SYNSETS = [
    (1, ["метель", "вьюга", "буран"], [2]),
    (2, ["снегопад", "снѣгопадъ"], []),  # a pre-reform spelling beside the modern one
    (3, ["метель", "круговерть"], []),  # the word's second sense weighs half
    (4, ["ливень"], [5]),
    (5, ["дождь"], []),
    (6, ["ёлка", "ель"], []),
]


def write_ru_thesaurus(path: Path, synsets: list = RU_SYNSETS) -> Path:
    """A thesaurus file in wiki-ru-wordnet's format (its connector's schema)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE synsets(synset_id INTEGER NOT NULL, lemma TEXT NOT NULL,"
        " definition TEXT NOT NULL, UNIQUE(synset_id, lemma, definition))"
    )
    con.execute(
        "CREATE TABLE hypernyms(sid INTEGER NOT NULL, hypersid INTEGER NOT NULL,"
        " UNIQUE(sid, hypersid))"
    )
    for sid, words, broader, *labels in synsets:
        definition = f"{words[0]}~ru~{words[0]}~ru~{''.join(labels)} sense {sid}"
        con.executemany(
            "INSERT INTO synsets VALUES (?, ?, ?)", [(sid, w, definition) for w in words]
        )
        con.executemany("INSERT INTO hypernyms VALUES (?, ?)", [(sid, b) for b in broader])
    con.commit()
    con.close()
    return path


def test_an_encode_looks_wordnet_up_once(
    indexed_sqlite: Lexicon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding the WordNet a setting names stats and resolves its files; the layers that ask
    for it (verbs' acts, related nouns, persons, feelings) share one lookup a request."""
    from hyperlexicon import bridge as bridge_module

    asked: list[str] = []
    real = bridge_module.thesaurus_for
    monkeypatch.setattr(
        bridge_module, "thesaurus_for", lambda setting: asked.append(setting) or real(setting)
    )
    wn = str(write_wordnet(tmp_path / "wn"))
    lex = Lexicon(indexed_sqlite.settings.with_(thesaurus=wn), store=indexed_sqlite.store)
    try:
        lex.encode("My sister cried when the sedan rolled away", stability=False, log=False)
        assert asked == [wn]
        lex.encode("Она плакала, и кошка спала", stability=False, log=False)
        assert asked == [wn, wn]
    finally:
        lex.close()


def test_a_source_reached_through_a_link_is_the_links_target_now(tmp_path: Path) -> None:
    """A source's resolved path is kept per file: a link pointed at another file is resolved
    again, not answered with the file it named before."""
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("one")
    second.write_text("two")
    link = tmp_path / "dictionary"
    link.symlink_to(first)
    assert real_path(link, link.stat()) == str(first.resolve())
    assert real_path(link, link.stat()) == str(first.resolve())  # kept
    link.unlink()
    link.symlink_to(second)
    assert real_path(link, link.stat()) == str(second.resolve())


def test_russian_related_words_by_sense_and_breadth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLEXICON_CACHE_DIR", str(tmp_path / "cache"))
    source = write_ru_thesaurus(tmp_path / "ru.db")
    compiled = compile_russian(source)
    # synonyms of the first sense, its broader word, then the second sense's synonyms
    assert compiled["метель"] == [
        ("буран", 1.0),
        ("вьюга", 1.0),
        ("снегопад", 0.6),
        ("круговерть", 0.5),
    ]
    assert "снѣгопадъ" not in compiled and compiled["ливень"] == [("дождь", 0.6)]
    th = russian_thesaurus_for(str(source))
    assert th is not None
    assert th.related("Метель") == compiled["метель"]
    assert th.related("ёлка") == th.related("елка") == [("ель", 1.0)]  # ё is е
    assert th.related("метель", ("v",)) == [] and th.related("слон") == []
    # compiled once into the cache directory, a word's answers in one row
    [cached] = (tmp_path / "cache" / "thesaurus").iterdir()
    row = sqlite3.connect(cached).execute("SELECT words FROM related WHERE word = 'ливень'")
    assert row.fetchone() == ("дождь\t0.6",)


def test_a_russian_words_plain_senses_and_loose_rows(tmp_path: Path) -> None:
    """Wiktionary's synset ids do not follow a word's senses: «конец» has its euphemism
    first. Senses labelled figurative, dated, vulgar, euphemistic or jargon are left out;
    a synset of many words is a loose row of near words, which weighs too little to use."""
    loose = ["итог", "вывод", "исход", "плод", "результат", "окончание", "финал", "развязка"]
    source = write_ru_thesaurus(
        tmp_path / "ru.db",
        [
            (1, ["конец", "член"], [], "{{эвф.|ru}}, {{разг.|ru}}"),
            (2, ["конец", *loose], [3]),
            (3, ["этап"], []),
            (4, ["конец", "край", "граница"], [], "{{разг.|ru}}"),
            (5, ["конец", "смерть"], [], "{{п.|ru}}"),
            (6, ["конец", "канат"], [], "{{спец.}}, {{морск.}}"),
            (7, ["конец", "путь"], [], "{{комп.жарг.|ru}}"),
        ],
    )
    related = dict(compile_russian(source)["конец"])
    assert "член" not in related and "смерть" not in related and "путь" not in related
    assert related["край"] == related["граница"] == 0.5  # the second plain sense
    assert related["канат"] == 0.3333  # a domain is no aside
    assert related["итог"] == 0.4 and related["этап"] == 0.24


def test_the_russian_thesaurus_the_package_ships() -> None:
    """wiki-ru-wordnet, installed with the ``ru-thesaurus`` extra (./scripts/test does)."""
    path = russian_source_for("auto")
    assert path is not None and path.name == "wikiwordnet.db"
    th = russian_thesaurus_for("auto")
    assert th is not None
    assert {("вьюга", 1.0), ("снегопад", 0.6)} <= set(th.related("метель"))
    assert ("дождь", 0.6) in th.related("ливень")
    assert ("мать", 1.0) in th.related("мама")


def test_the_russian_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYPERLEXICON_CACHE_DIR", str(tmp_path / "cache"))
    assert russian_source_for("off") is None and russian_thesaurus_for("off") is None
    with pytest.raises(ConfigError, match="HYPERLEXICON_THESAURUS_RU: no thesaurus file at"):
        Settings.load(thesaurus_ru=str(tmp_path / "nowhere.db"))
    source = write_ru_thesaurus(tmp_path / "ru.db")
    assert Settings.load(thesaurus_ru=str(source)).thesaurus_ru == str(source)
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is no database" * 100)
    with pytest.raises(ConfigError, match="not a thesaurus file"):
        russian_thesaurus_for(str(garbage))


def test_a_russian_noun_reaches_the_entry_its_synonym_names(
    indexed_sqlite: Lexicon, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """«ливень» names no gloss. When the thesaurus gives дождь as its synonym, 🌦️, which
    дождь names, may stand for it at the word's own keyword threshold; when дождь is only its
    broader word, the entry must be as near as ``keyword_related`` asks, and is not (0.43
    here). Without the thesaurus nothing is related."""
    monkeypatch.setenv("HYPERLEXICON_CACHE_DIR", str(tmp_path / "cache"))
    lex = indexed_sqlite
    lex.add(EntryData.from_dict({"form": "🌦️", "glosses": {"ru": ["дождь", "облако с дождём"]}}))
    synonym = write_ru_thesaurus(tmp_path / "syn.db", [(1, ["ливень", "дождь"], [])])
    broader = write_ru_thesaurus(tmp_path / "broad.db", [(1, ["ливень"], [2]), (2, ["дождь"], [])])
    text = "Вечером начался сильный ливень"
    opened = []
    try:
        for thesaurus_ru in (str(synonym), str(broader), "off"):
            settings = lex.settings.with_(
                thesaurus="off", bilingual="off", thesaurus_ru=thesaurus_ru
            )
            opened.append(Lexicon(settings, store=lex.store))
        by_synonym, by_broader, without = (
            {
                form: lx.how
                for lx in o.encode(text, stability=False, log=False).lexemes
                if lx.source == "ливень"
                for form in (lx.form, *(f for f, _ in lx.alternatives))
            }
            for o in opened
        )
        # core's 🌧, named дождь too, is near enough for a broader word's entry (0.62)
        assert by_synonym.get("🌦️") == "related"  # 0.43: a synonym names it
        assert "🌦️" not in by_broader and by_broader.get("🌧") == "related"
        assert without == {}
    finally:
        for o in opened:
            o.close()


def test_a_synonym_that_names_an_entry_ranks_it_first(
    indexed_sqlite: Lexicon, tmp_path: Path
) -> None:
    """ "plane" is a keyword of both entries; a synonym of its first sense, airplane, is 🛫's
    name: 🛫 stands for it though 🛬's glosses are nearer the word."""
    lex = indexed_sqlite
    lex.add(
        EntryData.from_dict(
            {"form": "🛫", "glosses": {"en": ["airplane", "travel", "vacation", "plane"]}}
        )
    )
    lex.add(EntryData.from_dict({"form": "🛬", "glosses": {"en": ["plane arrival", "plane"]}}))
    wn = str(write_wordnet(tmp_path / "wn"))
    text = "The plane landed"
    with_wn = Lexicon(lex.settings.with_(thesaurus=wn, bilingual="off"), store=lex.store)
    without = Lexicon(lex.settings.with_(thesaurus="off", bilingual="off"), store=lex.store)
    try:
        ids = {e.data.form: e.id for e in lex.store.by_keys(lex.name, ["🛫", "🛬"]).values()}
        near = with_wn.workspace.index().closeness(
            lex.name, ["plane", text], [list(ids.values())] * 2, ["en"]
        )
        assert all(c[ids["🛬"]] > c[ids["🛫"]] for c in near)  # nearness alone says 🛬
        assert "🛫" in with_wn.encode(text, stability=False, log=False).forms
        assert "🛬" in without.encode(text, stability=False, log=False).forms
    finally:
        with_wn.close()
        without.close()


@pytest.mark.parametrize(
    "word, person",
    [
        ("mother", "woman"),  # by its definition: a woman who has given birth
        ("mom", "woman"),  # informally a mother
        ("father", "man"),
        ("sister", "woman"),
        ("uncle", "man"),  # a kinsman, though its definition names father and mother
        ("aunt", "woman"),
        ("husband", "man"),
        ("daughter", "girl"),  # a female offspring: a child
        ("son", "boy"),
        ("grandchild", "child"),
        ("kid", "child"),  # a young person, no relative
        ("toddler", "child"),
        ("schoolgirl", "girl"),
        ("puppy", None),  # a young mammal, no person
        ("friend", None),  # a person, no relative
        ("teacher", None),
        ("queen", None),  # its commonest sense is an insect's
        ("cousin", None),  # a relative of neither sex said
        ("grandmother", None),  # the mother of a father or a mother: both said
        ("xylophone", None),
        ("zzzq", None),
    ],
)
def test_a_word_of_kinship_is_a_person_of_its_sex_and_age(
    word: str, person: str | None, wordnet: Thesaurus
) -> None:
    assert wordnet.person_of(word) == person


def test_what_a_collection_is_made_of(wordnet: Thesaurus) -> None:
    assert "tree" in wordnet.members_of("forest")
    assert wordnet.members_of("woods") == wordnet.members_of("forest")  # one sense
    assert set(wordnet.members_of("herd")) >= {"cattle", "sheep"}
    assert wordnet.members_of("tree") == () and wordnet.members_of("zzzq") == ()


@pytest.mark.parametrize(
    "word, time",
    [
        ("morning", True),
        ("evening", True),
        ("night", True),
        ("noon", True),  # an hour
        ("dusk", True),
        ("summer", True),
        ("day", False),  # a unit of time: "three times a day"
        ("hour", False),
        ("forest", False),
        ("zzzq", False),
    ],
)
def test_a_time_of_day_or_year(word: str, time: bool, wordnet: Thesaurus) -> None:
    assert wordnet.is_time(word) is time


@pytest.mark.parametrize(
    "word, feeling",
    [
        ("delight", "delight"),  # a noun whose commonest sense is a feeling
        ("fear", "fear"),
        ("angry", "anger"),  # an adjective, the quality of a feeling
        ("furious", "anger"),  # its second sense (the first is fierce)
        ("terrified", "fear"),  # a satellite, through the head it is like: afraid
        ("happily", "joy"),  # an adverb, through the adjective it pertains to
        ("tired", None),  # a state of the body, filed apart
        ("cold", None),
        ("table", None),
        ("like", None),  # a verb: what one prefers as often as what one feels
        ("zzzq", None),
    ],
)
def test_the_feelings_a_word_says(word: str, feeling: str | None, wordnet: Thesaurus) -> None:
    found = wordnet.feelings(word)
    assert (feeling in found) if feeling else found == ()


def test_a_participle_is_asked_as_an_adjective_only(wordnet: Thesaurus) -> None:
    assert "fear" in wordnet.feelings("terrified", ("a",))
    assert wordnet.feelings("delight", ("a",)) == ()  # the noun is not asked


@pytest.mark.parametrize(
    "verb, act",
    [
        ("sob", "cry"),
        ("doze", "sleep"),  # two steps up: doze → nap → sleep
        ("giggle", "laugh"),
        ("rise", None),  # no act of the body
        ("bring", None),
        ("zzzq", None),
    ],
)
def test_the_acts_of_the_body_a_verb_is_a_kind_of(
    verb: str, act: str | None, wordnet: Thesaurus
) -> None:
    found = wordnet.body_acts(verb)
    assert (act in found and verb not in found) if act else found == ()


@pytest.mark.parametrize(
    "compound, head, kind",
    [
        ("spider web", "web", True),  # web's second sense, an entanglement
        ("polar bear", "bear", True),
        ("christmas tree", "tree", True),
        ("hot spring", "spring", False),  # a fountain; spring is first a season
        ("teddy bear", "bear", False),  # a toy
        ("shooting star", "star", False),  # a meteor
        ("bubble tea", "tea", None),  # no such noun in WordNet
    ],
)
def test_a_compound_noun_is_or_is_not_a_kind_of_its_head(
    compound: str, head: str, kind: bool | None, wordnet: Thesaurus
) -> None:
    assert wordnet.kind_of(compound, head) is kind


@pytest.mark.parametrize(
    "verb, weather",
    [
        ("snow", "snow"),
        ("drizzle", "rain"),  # by the broader verb: to drizzle is to rain
        ("sleet", "sleet"),
        ("pour", None),  # no verb of weather
        ("shine", None),  # one, but a light is no phenomenon of weather
        ("zzzq", None),
    ],
)
def test_the_weather_a_verb_makes(verb: str, weather: str | None, wordnet: Thesaurus) -> None:
    found = wordnet.weather_of(verb)
    assert (weather in found) if weather else found == ()


@pytest.mark.parametrize(
    "noun, defined, not_defined",
    [
        # "a large thick pad … used as a bed or part of a bed"
        ("mattress", {"pad", "bed"}, {"large", "thick", "part", "a"}),
        ("cocoa", {"beverage"}, {"cocoa", "made"}),  # not the word itself
        ("surfboard", {"board"}, {"narrow", "riding"}),
        ("sedan", {"car"}, {"two", "four"}),  # numbers are adjectives more than nouns
    ],
)
def test_the_nouns_a_noun_is_defined_by(
    noun: str, defined: set[str], not_defined: set[str], wordnet: Thesaurus
) -> None:
    found = wordnet.defined_by(noun)
    assert defined <= set(found) and not not_defined & set(found), found
    assert found.index(min(defined, key=found.index)) == min(found.index(d) for d in defined)


def test_words_too_general_to_picture_define_nothing(wordnet: Thesaurus) -> None:
    """A definition's nouns near WordNet's top ("person", "object", "part", "group") are
    left out: a museum, "a depository for collecting and displaying objects", is pictured by
    none of them. A noun the corpus uses as a verb too defines nothing ("a storm floods in":
    flood is defined by body, water, land)."""
    assert wordnet.defined_by("zzzq") == ()
    for noun in ("museum", "roof", "mattress", "sedan"):
        assert not {"object", "part", "group", "thing"} & set(wordnet.defined_by(noun))
    assert wordnet.defined_by("flood") == () and wordnet.defined_by("box") == ()


def test_a_noun_no_gloss_names_reaches_the_entry_of_what_defines_it(
    indexed_sqlite: Lexicon,
) -> None:
    """ "mattress" names no gloss, and neither do its synonyms or broader words (a pad, a
    cushion); WordNet defines it as a pad "used as a bed", and "bed" names 🛏️: the scene holds
    🛏️, said to be "related". A word defined by nothing an entry names stays unmatched."""
    lex = indexed_sqlite
    lex.add(EntryData.from_dict({"form": "🛏️", "glosses": {"en": ["bed"], "ru": ["кровать"]}}))
    lex.add(EntryData.from_dict({"form": "🚗", "glosses": {"en": ["car"], "ru": ["машина"]}}))
    wn = Lexicon(lex.settings.with_(thesaurus="auto", bilingual="off"), store=lex.store)
    try:
        assert "bed" in wn.bridge._wordnet().defined_by("mattress")
        assert "bed" not in [w for w, _ in wn.bridge._wordnet().related("mattress", ("n",))]
        scene = wn.encode("The old mattress squeaked all night", stability=False, log=False)
        by_form = {lx.form: lx for lx in scene.lexemes}
        assert "🛏️" in by_form and by_form["🛏️"].how == "related", scene.lexemes
        assert by_form["🛏️"].source == "mattress"
        lamp = wn.encode("The old lamp squeaked all night", stability=False, log=False)
        assert "🛏️" not in lamp.forms and "lamp" in [u.text for u in lamp.unmatched]
    finally:
        wn.close()


def test_an_idiom_is_an_adverb_and_no_noun(wordnet: Thesaurus) -> None:
    for idiom in ("next door", "by heart", "on time", "of course", "at first sight"):
        assert wordnet.is_adverb_only(idiom), idiom
    for phrase in ("fire engine", "at home", "at night", "all night", "zzzq zzzq"):
        assert not wordnet.is_adverb_only(phrase), phrase


def test_a_broader_or_defining_words_entry_is_held_to_its_hubness(
    indexed_sqlite: Lexicon, wordnet: Thesaurus
) -> None:
    """On a lexicon of names alone, 🜄 "water" is a hub: near every word of its field, "tea"
    (WordNet: a beverage made by steeping leaves in water) as much as "lake". Reached through
    a word of the definition, it is held to its hubness (``related_hub``) and does not stand
    for tea; 🛏️ "bed", reached by "mattress" the same way, is no hub and does. With the
    check off, tea gives 🜄: the check, not the relation, is what refuses it."""
    lex = indexed_sqlite
    lex.create_lexicon("names", "one name an entry")
    names = lex.using("names")
    for form, en, ru in (("🜄", "water", "вода"), ("🛏️", "bed", "кровать"), ("🍯", "honey", "мёд")):
        names.add(EntryData.from_dict({"form": form, "glosses": {"en": [en], "ru": [ru]}}))
    names.sync()
    with_wn = Lexicon(
        lex.settings.with_(thesaurus=wordnet.source, bilingual="off", lexicon="names"),
        store=lex.store,
    )
    tea, mattress = "We had tea with honey", "The old mattress squeaked all night"
    try:
        t = with_wn.bridge.thresholds

        def related(thresholds: Any, text: str) -> dict[str, str]:
            scene = Bridge(with_wn.workspace, thresholds).encode(text, stability=False)
            return {lx.source: lx.form for lx in scene.lexemes if lx.how == "related"}

        assert related(t, tea) == {}
        assert related(t.with_(related_hub=-1.0), tea) == {"tea": "🜄"}
        assert related(t, mattress) == {"mattress": "🛏️"}
    finally:
        with_wn.close()


def test_a_noun_finds_a_name_its_broader_word_heads(
    indexed_sqlite: Lexicon, wordnet: Thesaurus
) -> None:
    """A lexicon of names alone calls ☕ "hot beverage": "coffee" is no word of it, but a
    broader word of coffee (a beverage) heads the name, so coffee finds it as a partial match
    (``Bridge._partial``), held as a broader word's entry is. Without the thesaurus, nothing."""
    lex = indexed_sqlite
    lex.create_lexicon("drinks", "one name an entry")
    names = lex.using("drinks")
    for form, en in (("☕", "hot beverage"), ("🍯", "honey"), ("🪑", "chair")):
        names.add(EntryData.from_dict({"form": form, "glosses": {"en": [en]}}))
    names.sync()
    with_wn = Lexicon(
        lex.settings.with_(thesaurus=wordnet.source, bilingual="off", lexicon="drinks"),
        store=lex.store,
    )
    text = "Would you like coffee with honey?"
    try:
        scene = with_wn.encode(text, stability=False)
        got = {lx.source: (lx.form, lx.how) for lx in scene.lexemes}
        assert got.get("coffee") == ("☕", "partial"), got
        assert got.get("honey") == ("🍯", "lemma"), got
        without = Lexicon(
            lex.settings.with_(thesaurus="off", bilingual="off", lexicon="drinks"),
            store=lex.store,
        )
        try:
            plain = without.encode(text, stability=False)
        finally:
            without.close()
        assert all(lx.how != "partial" for lx in plain.lexemes)
    finally:
        with_wn.close()
