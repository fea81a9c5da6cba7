"""The bilingual dictionary: reading dictd articles, both directions of translation, the compiled
cache, the setting, and what it does to search on a lexicon glossed in one language only (the
real embedder and the real Chroma index)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hyperlexicon import bilingual, calibration
from hyperlexicon import lexicon as lexicon_module
from hyperlexicon.bilingual import SYSTEM_DICTIONARIES, compile_translations, read_dictd
from hyperlexicon.bridge import PIVOTS, Bridge, _own_senses, _reciprocals
from hyperlexicon.cli import main
from hyperlexicon.config import Settings
from hyperlexicon.entry import EntryData
from hyperlexicon.errors import ConfigError
from hyperlexicon.lexicon import Lexicon
from hyperlexicon.morphology import acts_shown, nominatives, verb_lemmas
from hyperlexicon.thesaurus import source_for as thesaurus_source

from .fixtures import log_scene

# articles in the layout of Mueller's dictionary (Debian's mueller7-dict)
ARTICLES = {
    "fire": (
        "fire\n   [faɪɜ]\n   1. _n.\n      1) огонь, пламя; to strike fire высечь огонь\n"
        "      2) пожар; to catch fire загореться\n   2. _v.\n      1) зажигать, поджигать\n"
    ),
    "ingle": "ingle\n   [ɪŋgl] _n. огонь (в камине); очаг\n",
    "smile": (
        "smile\n   [smaɪl]\n   1. _n.\n      1) улыбка; to be all smiles иметь довольный вид\n"
        "   2. _v.\n      1) улыбаться\n      2) выражать улыбкой (согласие и т.п.)\n"
    ),
    "tide": "tide\n   [taɪd] _n.\n   1) прилив и отлив; high tide прилив\n   2) _перен. поток\n",
    "lighthouse": "lighthouse\n   [ˈlaɪthaʊs] _n. маяк\n",
}


def write_dictd(directory: Path, articles: dict[str, str] = ARTICLES) -> Path:
    """A dictd dictionary: the articles in ``.dict``, their base-64 offsets in ``.index``."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    def b64(n: int) -> str:
        out = ""
        while True:
            out = alphabet[n % 64] + out
            n //= 64
            if not n:
                return out

    body, lines = b"", ["00databaseshort\tA\tB"]
    for head, text in sorted(articles.items()):
        raw = text.encode()
        lines.append(f"{head}\t{b64(len(body))}\t{b64(len(raw))}")
        body += raw
    (directory / "tiny.dict").write_bytes(body)
    index = directory / "tiny.index"
    index.write_text("\n".join(lines) + "\n", "utf-8")
    return index


def from_pairs(tmp_path: Path, pairs: str) -> bilingual.Translations:
    """A dictionary of ``english<TAB>russian`` lines, compiled and read as Mueller's is."""
    path = tmp_path / "pairs.tsv"
    path.write_text(pairs, "utf-8")
    tr = bilingual.translations_for(str(path))
    assert tr is not None
    return tr


def test_an_article_gives_its_senses_in_order_without_examples_or_notes(tmp_path: Path) -> None:
    articles = dict(read_dictd(write_dictd(tmp_path)))
    assert articles["fire"] == [
        ("огонь", "n", 0),
        ("пламя", "n", 1),
        ("пожар", "n", 2),
        ("зажигать", "v", 0),
        ("поджигать", "v", 1),
    ]
    assert articles["ingle"] == [("огонь", "n", 0), ("очаг", "n", 1)]  # «(в камине)»: a note
    assert [t for t, _, _ in articles["smile"]] == ["улыбка", "улыбаться", "выражать улыбкой"]
    assert "00databaseshort" not in articles


def test_an_article_that_refers_to_another_has_its_translations(tmp_path: Path) -> None:
    """Mueller gives a spelling or a short form only as a reference ("grandma = grandmamma",
    a thousand such articles): it means what the word it names means. A reference to a word
    with no article of its own, or to another reference, has none."""
    articles = {
        **ARTICLES,
        "grandmamma": "grandmamma\n   [grænmɜmɑ:] _n. _разг. бабушка\n",
        "grandma": "grandma\n   [grænmɑ:] = grandmamma\n",
        "lightouse": "lightouse\n   = lighthouse.\n",
        "nowhere": "nowhere\n   [nɜʊwɛɜ] = nothere\n",
        "loop": "loop\n   = lightouse\n",
    }
    found = dict(read_dictd(write_dictd(tmp_path, articles)))
    assert found["grandma"] == found["grandmamma"] == [("бабушка", "n", 0)]
    assert found["lightouse"] == [("маяк", "n", 0)]
    assert "nowhere" not in found and "loop" not in found
    tr = compile_translations("tiny", iter(found.items()))
    assert tr.of("grandma")[0][0] == "бабушка"
    assert "grandma" in [w for w, _ in tr.of("бабушка")]


def test_both_directions_rank_by_the_dictionary(tmp_path: Path) -> None:
    tr = compile_translations("tiny", read_dictd(write_dictd(tmp_path)))
    # «огонь» is first in both fire and ingle; fire's longer article makes it the common word
    assert tr.of("огонь")[0][0] == "fire"
    assert tr.of("улыбается")[0][0] == "smile"  # any inflection: by its lemma
    assert tr.of("fires")[0][0] == "огонь"
    assert tr.of("маяк") == [("lighthouse", pytest.approx(tr.of("маяк")[0][1]))]
    assert tr.of("неизвестное") == []


def test_a_translation_keeps_content_words_in_order(tmp_path: Path) -> None:
    tr = compile_translations("tiny", read_dictd(write_dictd(tmp_path)))
    # «она», «у»: function words; ingle is said beside fire, its score nearly as high
    assert tr.translate("Она улыбается у огня") == "smile fire ingle"
    assert tr.translate("the fire and the lighthouse") == "огонь маяк"
    assert tr.expand("маяк вдали") == "маяк вдали lighthouse"
    assert tr.expand("вдали") is None


def test_homographs_are_words_of_their_own(tmp_path: Path) -> None:
    """``_I``, ``_II`` start another word of the same spelling: its senses are its own, counted
    from its first, and never run into the last sense of the word before."""
    articles = {
        "mamma": (
            "mamma\n   _I  [mɜˈmɑ:] _n. _детск. мама\n"
            "   _II [ˈmæmɜ] _n. (_pl. -mae) _анат. грудная (или молочная) железа\n"
        ),
        "mummy": (
            "mummy\n   _I  [ˈmʌmɪ] _n.\n      1) мумия\n      2) коричневая краска, мумия\n"
            "   _II [ˈmʌmɪ] _n. _детск. мама\n"
        ),
    }
    found = dict(read_dictd(write_dictd(tmp_path, articles)))
    assert found["mamma"] == [("мама", "n", 0), ("грудная железа", "n", 0)]
    assert found["mummy"] == [
        ("мумия", "n", 0),
        ("коричневая краска", "n", 1),
        ("мумия", "n", 2),
        ("мама", "n", 0),
    ]
    tr = compile_translations("tiny", found.items())
    assert sorted(w for w, _ in tr.of("мама")) == ["mamma", "mummy"]


COMMON = {
    "girl": "girl\n   [gɜ:l] _n.\n   1) девочка\n   2) девушка\n   3) _разг. женщина\n",
    "wench": "wench\n   [wentʃ] _n. девушка, девка\n",
    "lass": "lass\n   [læs] _n. девушка, девочка\n",
}


def test_common_english_words_come_first_by_their_counts(tmp_path: Path) -> None:
    """A reversed dictionary puts the rare words whose first sense «девушка» is ahead of girl,
    whose second sense it is; how often each English word is used puts girl first."""
    articles = list(read_dictd(write_dictd(tmp_path, COMMON)))
    plain = compile_translations("tiny", articles)
    assert plain.of("девушка")[0][0] != "girl"
    counted = compile_translations(
        "tiny", articles, {"girl": {"n": 156}, "lass": {"v": 40}, "wench": {}}
    )
    assert [w for w, _ in counted.of("девушка")] == ["girl", "lass", "wench"]
    # the count of the sense's own part of speech: lass as a verb says nothing of the noun
    assert dict(counted.of("девушка"))["lass"] == dict(plain.of("девушка"))["lass"]
    # an English word's own translations keep the dictionary's order
    assert [w for w, _ in counted.of("girl")] == [w for w, _ in plain.of("girl")]


def write_counts(root: Path, counts: str) -> Path:
    """A WordNet directory with nothing but its sense-tagged counts (``cntlist.rev``)."""
    root.mkdir()
    (root / "data.noun").write_text("", "utf-8")
    (root / "cntlist.rev").write_text(counts, "utf-8")
    return root


def test_the_counts_come_from_the_wordnet_the_setting_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLEXICON_CACHE_DIR", str(tmp_path / "cache"))
    index = write_dictd(tmp_path, COMMON)
    wordnet = write_counts(tmp_path / "wn", "girl%1:18:00:: 1 60\ngirl%1:18:01:: 2 96\n")
    counted = bilingual.translations_for(str(index), str(wordnet))
    plain = bilingual.translations_for(str(index), "off")
    assert counted is not None and plain is not None
    assert counted.of("девушка")[0][0] == "girl" != plain.of("девушка")[0][0]
    from hyperlexicon.config import cache_dir

    assert len(list((cache_dir() / "bilingual").glob("tiny-*.sqlite3"))) == 2
    with pytest.raises(ConfigError, match="HYPERLEXICON_THESAURUS"):
        bilingual.translations_for(str(index), str(tmp_path / "no-wordnet"))


def test_the_bridge_and_the_index_rank_by_the_wordnet_of_their_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLEXICON_CACHE_DIR", str(tmp_path / "cache"))
    index = write_dictd(tmp_path, COMMON)
    wordnet = write_counts(tmp_path / "wn", "girl%1:18:00:: 1 156\n")
    settings = Settings.load(home=str(tmp_path / "home"), bilingual=str(index), thesaurus="off")
    lex, _ = Lexicon.init(settings)
    counted = Lexicon(settings.with_(thesaurus=str(wordnet)), store=lex.store)
    try:
        for lexicon, first in ((lex, "lass"), (counted, "girl")):
            bridged = lexicon.bridge._translations()
            indexed = lexicon.workspace.index().translations
            assert bridged is not None and indexed is not None
            assert bridged.of("девушка")[0][0] == indexed.of("девушка")[0][0] == first
    finally:
        counted.close()
        lex.close()


def test_a_file_of_pairs(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# mine\nlighthouse\tмаяк\nbeacon\tмаяк\nbeacon\tсигнальный огонь\n")
    tr = bilingual.translations_for(str(pairs))
    assert tr is not None
    # both give «маяк» first; beacon's article is the longer, the commoner word
    assert [w for w, _ in tr.of("маяк")] == ["beacon", "lighthouse"]
    assert tr.of("beacon")[0][0] == "маяк"
    bad = tmp_path / "bad.tsv"
    bad.write_text("lighthouse маяк\n")
    with pytest.raises(ConfigError, match=r"bad.tsv line 1: expected english<TAB>russian"):
        bilingual.translations_for(str(bad))


def test_a_dictionary_is_compiled_once_then_read_from_the_cache(tmp_path: Path) -> None:
    index = write_dictd(tmp_path)
    first = bilingual.translations_for(str(index))
    from hyperlexicon.config import cache_dir

    [compiled] = (cache_dir() / "bilingual").glob("tiny-*.sqlite3")
    with sqlite3.connect(compiled) as con:
        assert con.execute("SELECT translation FROM tr WHERE word = 'огонь'").fetchone() == (
            "fire",
        )
    bilingual._load.cache_clear()
    (tmp_path / "tiny.dict").unlink()  # the source's articles are no longer needed
    again = bilingual.translations_for(str(index))
    assert again is not None and first is not None
    assert dict(again.ru) == dict(first.ru) and dict(again.en) == dict(first.en)
    assert again.of("улыбается") == first.of("улыбается") and again.of("нет такого") == []


def test_a_words_answer_is_read_from_the_file_once(tmp_path: Path) -> None:
    """Encode after encode asks the same common words: their answers (none included) are kept,
    and a caller changing the list it got changes nothing kept."""
    translations = bilingual.translations_for(str(write_dictd(tmp_path)))
    assert translations is not None
    table = translations.ru
    asked: list[str] = []
    table._con.set_trace_callback(asked.append)
    try:
        first = translations.of("огонь")
        first.append(("water", 0.0))
        assert translations.of("огня") == translations.of("огонь") != first
        assert translations.of("нет такого") == [] and translations.of("нет такого") == []
    finally:
        table._con.set_trace_callback(None)
    assert len([q for q in asked if q.startswith("SELECT translation")]) == 2


def test_a_compiled_table_answers_as_a_mapping_does(tmp_path: Path) -> None:
    """``get`` and ``in`` read the table without a ``KeyError`` for a missing word; what
    they answer is what ``Mapping``'s own methods answer."""
    from collections.abc import Mapping

    translations = bilingual.translations_for(str(write_dictd(tmp_path)))
    assert translations is not None
    table = translations.ru
    for word in ("огонь", "нет такого", ""):
        assert table.get(word) == Mapping.get(table, word)
        assert table.get(word, []) == Mapping.get(table, word, [])
        assert (word in table) == Mapping.__contains__(table, word)
    assert table.get("огонь") == table["огонь"] and "огонь" in table
    assert table.get("нет такого", "none") == "none" and "нет такого" not in table
    assert 1 not in table  # type: ignore[comparison-overlap]
    got = table.get("огонь")
    got.append(("water", 0.0))  # the caller's copy: nothing kept changes
    assert ("water", 0.0) not in table["огонь"]


def test_the_setting(tmp_path: Path) -> None:
    assert bilingual.source_for("off") is None
    auto = bilingual.source_for("auto")
    assert auto == next((p for p in SYSTEM_DICTIONARIES if p.is_file()), None)
    with pytest.raises(ConfigError, match="HYPERLEXICON_BILINGUAL: no dictionary at"):
        bilingual.source_for(str(tmp_path / "missing.index"))
    with pytest.raises(ConfigError, match="HYPERLEXICON_BILINGUAL: no dictionary at"):
        Settings.load(bilingual=str(tmp_path / "missing.index"))
    other = tmp_path / "words.txt"
    other.write_text("x")
    with pytest.raises(ConfigError, match=r"neither a dictd \.index nor a \.tsv"):
        Settings.load(bilingual=str(other))
    assert Settings.load(bilingual=" off ").bilingual == "off"


def test_a_bad_setting_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    monkeypatch.setenv("HYPERLEXICON_BILINGUAL", str(tmp_path / "nope.index"))
    result = runner.invoke(main, ["lex", "search", "огонь", "--semantic"])
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "HYPERLEXICON_BILINGUAL: no dictionary at" in lines[0]


@pytest.mark.skipif(
    not SYSTEM_DICTIONARIES[0].is_file(), reason="Debian's mueller7-dict is not installed"
)
def test_muellers_dictionary_translates_everyday_words() -> None:
    tr = bilingual.translations_for("auto", "off")
    assert tr is not None
    for ru, en in [("огонь", "fire"), ("ветер", "wind"), ("улыбается", "smile"), ("море", "sea")]:
        assert en in [w for w, _ in tr.of(ru)], (ru, tr.of(ru))
    for en, ru in [("bell", "колокол"), ("candle", "свеча"), ("stars", "звезда")]:
        assert ru in [w for w, _ in tr.of(en)], (en, tr.of(en))
    # a homograph's own word: mamma _I мама, mummy _II мама
    assert {"mamma", "mummy"} <= {w for w, _ in tr.of("мама")}


@pytest.mark.skipif(
    not SYSTEM_DICTIONARIES[0].is_file() or thesaurus_source("auto") is None,
    reason="Debian's mueller7-dict or wordnet-base is not installed",
)
def test_muellers_dictionary_with_wordnets_counts_puts_the_common_word_first() -> None:
    tr = bilingual.translations_for("auto", "auto")
    assert tr is not None
    for ru, en in [("девушка", "girl"), ("бабушка", "grandmother"), ("мальчик", "boy")]:
        assert tr.of(ru)[0][0] == en, (ru, tr.of(ru))


ENGLISH_ONLY = [
    ("🗼", ["lighthouse", "beacon", "coast"]),
    ("🔥", ["fire", "flame", "hot"]),
    ("🌊", ["water wave", "ocean", "surf"]),
    ("⛵", ["sailboat", "yacht", "sea"]),
    ("🕯", ["candle", "light"]),
    ("🚗", ["automobile", "car"]),
]


def test_search_reaches_glosses_of_the_other_language(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("lighthouse\tмаяк\nsailboat\tпарусник\ncandle\tсвеча\n")
    settings = Settings.load(home=str(tmp_path / "home"), bilingual="off")
    lex, _ = Lexicon.init(settings)
    expanded = Lexicon(settings.with_(bilingual=str(pairs)), store=lex.store)
    try:
        for form, glosses in ENGLISH_ONLY:
            lex.add(EntryData.from_dict({"form": form, "glosses": {"en": glosses}}))
        lex.sync()
        for query, form in [("маяк", "🗼"), ("парусник", "⛵"), ("свеча", "🕯")]:
            plain = {h.entry.data.form: h.score for h in lex.search(query, mode="semantic")}
            hits = expanded.search(query, mode="semantic", limit=3)
            assert hits[0].entry.data.form == form, (query, [h.entry.data.form for h in hits])
            # the translated words lift the entry above what the embedder alone gives it
            assert hits[0].score > plain.get(form, 0.0) + 0.05, (query, hits[0].score, plain)
        # a query with nothing to translate is asked as before
        assert [h.entry.id for h in expanded.search("автомобиль", mode="semantic")] == [
            h.entry.id for h in lex.search("автомобиль", mode="semantic")
        ]
    finally:
        expanded.close()
        lex.close()


def test_a_lexicon_glossed_in_the_querys_language_is_asked_as_before(tmp_path: Path) -> None:
    """The translation is asked only where the lexicon answers from another language's glosses:
    elsewhere the dictionary is not even loaded, and results are those without it."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("fire\tогонь\nwatch\tчасы\n")
    settings = Settings.load(home=str(tmp_path / "home"), bilingual=str(pairs))
    lex, _ = Lexicon.init(settings)
    plain = Lexicon(settings.with_(bilingual="off"), store=lex.store)
    try:
        for form, ru, en in [
            ("🔥", "огонь", "fire"),
            ("⌚", "часы", "watch"),
            ("🌊", "волна", "wave"),
        ]:
            lex.add(EntryData.from_dict({"form": form, "glosses": {"ru": [ru], "en": [en]}}))
        lex.sync()
        for query in ("огонь в камине", "we watched the sea"):
            assert [(h.entry.id, h.score) for h in lex.search(query, mode="semantic")] == [
                (h.entry.id, h.score) for h in plain.search(query, mode="semantic")
            ]
        assert lex.index._translations is False  # never looked up
    finally:
        plain.close()
        lex.close()


def test_which_languages_a_lexicon_speaks(lexicon: Lexicon) -> None:
    """SQLite and PostgreSQL: the share of active entries glossed in each language."""
    for record in (
        {"form": "🔥", "glosses": {"ru": ["огонь"], "en": ["fire"]}},
        {"form": "🌊", "glosses": {"ru": ["волна"], "en": ["wave", "surf"]}},
        {"form": "🗼", "glosses": {"en": ["lighthouse"]}},
        {"form": "🕯", "glosses": {"ru": ["свеча"]}, "status": "deprecated"},
    ):
        lexicon.add(EntryData.from_dict(record))
    revision, shares = lexicon.store.gloss_languages(lexicon.name)
    assert revision == lexicon.store.last_revision(lexicon.name) > 0
    assert shares == {"en": 1.0, "ru": pytest.approx(2 / 3)}
    lexicon.create_lexicon("empty")
    assert lexicon.store.gloss_languages("empty") == (0, {})


@contextmanager
def _glossed(
    tmp_path: Path, dictionary: Path, lang: str, entries: list[tuple[str, list[str]]]
) -> Iterator[Lexicon]:
    """A lexicon of these entries glossed in one language, indexed, with this dictionary."""
    settings = Settings.load(home=str(tmp_path / "home"), bilingual=str(dictionary))
    lex, _ = Lexicon.init(settings)
    try:
        for form, glosses in entries:
            lex.add(EntryData.from_dict({"form": form, "glosses": {lang: glosses}}))
        lex.sync()
        yield lex
    finally:
        lex.close()


def test_an_english_lexicon_encodes_russian_nouns_by_their_translations(tmp_path: Path) -> None:
    """On a lexicon glossed in English only, a Russian noun reaches an entry through the
    dictionary. An entry the word's first translation names stands for it, as an entry the
    word itself names would, though cross-lingual nearness alone falls under
    ``keyword_translation``; a hyphenated translation (water-melon) also finds the gloss
    written solid (watermelon) or open (alarm clock)."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "owl\tсова\nwater-melon\tарбуз\nalarm-clock\tбудильник\nbranch\tветка\n"
        "fire\tогонь\nthunder\tгром\n",
        "utf-8",
    )
    with _glossed(
        tmp_path,
        pairs,
        "en",
        [
            ("🦉", ["owl", "bird", "wise"]),
            ("🍉", ["watermelon", "fruit", "melon"]),
            ("⏰", ["alarm clock", "alarm", "clock"]),
            ("🌿", ["herb", "leaf", "branch"]),
            ("🐦", ["bird", "feather"]),
            ("🔥", ["fire", "flame", "hot"]),
            ("⛈", ["cloud with lightning and rain", "cloud", "thunder", "rain"]),
        ],
    ) as lex:
        owl = lex.find("🦉")
        assert owl is not None
        near = lex.workspace.index().closeness(lex.name, ["Сова"], [[owl.id]], ["ru", "en"])
        assert near[0][owl.id] < lex.bridge.thresholds.keyword_translation  # alone: too far
        for text, form in [
            ("Сова сидела на ветке.", "🦉"),
            ("Мы купили большой арбуз.", "🍉"),
            ("Будильник зазвонил в семь.", "⏰"),
        ]:
            scene = lex.encode(text, stability=False, log=False)
            found = {lx.form: lx.how for lx in scene.lexemes}
            assert found.get(form) == "lemma", (text, found)
        # a fused word is split by the dictionary's nouns, no Russian gloss having any, and
        # each part is said by its translation: by name (🔥 fire, 🦉 owl), or as the entry
        # nearest the part among those its translation is a keyword of (⛈ thunder), if it
        # is near enough, as a word of a sentence must be (``keyword_translation``)
        thunder = lex.workspace.index().closeness(
            lex.name,
            ["гром"],
            [[lex.find("⛈").id]],
            ["ru", "en"],  # type: ignore[union-attr]
        )
        assert thunder[0][lex.find("⛈").id] < lex.bridge.thresholds.keyword_translation  # type: ignore[union-attr]
        scene = lex.encode("огоньгромсова", stability=False, log=False)
        assert [(lx.form, lx.how) for lx in scene.lexemes] == [
            ("🔥", "compound"),
            ("🦉", "compound"),
        ]
        assert scene.fused[0]["parts"] == ["огонь", "гром", "сова"]
        loose = Bridge(lex.workspace, lex.bridge.thresholds.with_(keyword_translation=-1.0))
        scene = loose.encode("огоньгромсова", stability=False)
        assert [(lx.form, lx.how) for lx in scene.lexemes] == [
            ("🔥", "compound"),
            ("⛈", "compound"),
            ("🦉", "compound"),
        ]
        # a word made up is no fused word: it stays unexplained, for growth to see
        scene = lex.encode("огонь и квазиглифовость", stability=False, log=False)
        assert [u.text for u in scene.unmatched] == ["квазиглифовость"]


def test_a_first_translation_names_an_entry_only_if_it_translates_back(tmp_path: Path) -> None:
    """A dictionary ranks a word's translations by how common each is in its own language:
    «песня» comes first as air (an aria), whose own first senses are воздух and атмосфера.
    Only a first translation that gives the word back among its first two stands for the
    word's sense and names an entry outright; air does not, so 🌬 "air" is not the song."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("air\tвоздух\nair\tатмосфера\nair\tветер\nair\tпесня\nowl\tсова\n", "utf-8")
    tr = bilingual.translations_for(str(pairs))
    assert tr is not None and tr.of("песня")[0][0] == "air"
    with _glossed(
        tmp_path, pairs, "en", [("🌬", ["air", "wind", "blow"]), ("🦉", ["owl", "bird"])]
    ) as lex:
        assert "🌬" not in lex.encode("Тихая песня.", stability=False, log=False).forms
        assert "🦉" in lex.encode("Тихая сова.", stability=False, log=False).forms


def test_a_keyword_split_from_a_phrase_with_its_genitive_names_its_entry_only_beside_it(
    tmp_path: Path,
) -> None:
    """CLDR gives 🥳 «день» and «рождения», the words of «день рождения» (birthday): a day
    alone is no party, and neither word stands for the entry without the other. A noun and
    its adjective («футбольный мяч») are no such pair: a ball is still a ball."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "birthday\tдень рождения\nday\tдень\nfootball\tфутбольный мяч\nball\tмяч\n", "utf-8"
    )
    entries = [
        ("🥳", ["вечеринка", "день", "рождения", "праздник", "колпак"]),
        ("⚽", ["футбольный мяч", "футбольный", "мяч", "футбол"]),
    ]
    with _glossed(tmp_path, pairs, "ru", entries) as lex:
        assert "🥳" not in lex.encode("Днём мы гуляли в парке.", stability=False).forms
        assert "🥳" in lex.encode("Завтра у брата день рождения!", stability=False).forms
        assert "⚽" in lex.encode("Мальчик пнул мяч.", stability=False).forms


def test_a_hyphenated_headword_is_found_solid_and_open(tmp_path: Path) -> None:
    tr = from_pairs(tmp_path, "window-sill\tподоконник\nwindowsill\tсвой\n")
    assert tr.of("window sill")[0][0] == "подоконник"
    # an article of its own comes before the alias
    assert tr.of("windowsill")[0][0] == "свой"


def test_a_second_translation_nearly_as_good_as_the_first_is_said_too(tmp_path: Path) -> None:
    """лама is a monk and an animal, equally: a query says both. огонь is fire far more than
    it is hearth (fire's long article, a common word): hearth is not said."""
    fire = "".join(f"fire\t{w}\n" for w in ("огонь", "пламя", "пожар", "жар", "костёр", "обстрел"))
    tr = from_pairs(tmp_path, f"lama\tлама\nllama\tлама\nhearth\tогонь\n{fire}")
    assert sorted(tr.translate("лама").split()) == ["lama", "llama"]
    assert [w for w, _ in tr.of("огонь")] == ["fire", "hearth"]
    assert tr.translate("огонь") == "fire"
    assert tr.expand("лама и огонь") in (
        "лама и огонь lama llama fire",
        "лама и огонь llama lama fire",
    )


def test_a_phrase_the_dictionary_has_is_translated_whole(tmp_path: Path) -> None:
    """A query's words that make a headword («летучие мыши»: летучая мышь) are said as its
    translation, not word by word (a volatile mouse); the words around it are said as
    before, and an English headword is found with its last word's lemma."""
    tr = from_pairs(
        tmp_path,
        "bat\tлетучая мышь\nvolatile\tлетучий\nmouse\tмышь\ncave\tпещера\n"
        "teddy bear\tплюшевый мишка\nbear\tмедведь\n",
    )
    assert tr.translate("летучие мыши в пещере") == "bat cave"
    assert tr.translate("летучий голос мыши") == "volatile mouse"
    assert tr.translate("two teddy bears") == "плюшевый мишка"
    assert tr.translate("bears") == "медведь"


def test_a_compound_the_dictionary_lacks_is_translated_part_by_part(tmp_path: Path) -> None:
    """«мужчина-пожарный» has no article: the query is expanded with each part's translation,
    in order; a compound with an article of its own keeps it (the compiled table, as Mueller's
    is read)."""
    tr = from_pairs(
        tmp_path, "man\tмужчина\nfireman\tпожарный\nrocker\tкресло-качалка\nchair\tкресло\n"
    )
    assert tr.translate("мужчина-пожарный") == "man fireman"
    assert tr.expand("мужчину-пожарного") == "мужчину-пожарного man fireman"
    assert tr.translate("кресло-качалка у окна") == "rocker"
    # a part the dictionary does not know is left out, as a word of its own would be
    assert tr.translate("интернет-кресло") == "chair"
    assert tr.expand("интернет-магазин") is None


def test_a_russian_lexicon_encodes_english_nouns_the_tagger_reads_as_nouns(
    tmp_path: Path,
) -> None:
    """On a lexicon glossed in Russian only, an English noun reaches its entry through the
    dictionary even where the word could also be a verb ("dog", "milk"): the tagger has read
    it in its sentence. Where it reads the word as a verb, the noun's entry is not taken."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "dog\tсобака\nrabbit\tкролик\nmilk\tмолоко\nwindow-sill\tподоконник\n", "utf-8"
    )
    with _glossed(
        tmp_path,
        pairs,
        "ru",
        [
            ("🐕", ["собака", "пёс", "животное"]),
            ("🐇", ["кролик", "заяц", "животное"]),
            ("🥛", ["стакан молока", "молоко", "напиток"]),
            ("🪟", ["окно", "подоконник", "рама"]),
        ],
    ) as lex:
        index = lex.workspace.index()
        assert index.speaks(lex.name, "ru") and not index.speaks(lex.name, "en")
        for text, forms in [
            ("The dog chased a rabbit across the field.", {"🐕", "🐇"}),
            ("She bought fresh milk.", {"🥛"}),
            ("The cat slept on the windowsill.", {"🪟"}),
        ]:
            scene = lex.encode(text, stability=False, log=False)
            # (by a keyword: молоко is one of 🥛's further glosses)
            found = {lx.form for lx in scene.lexemes if lx.how in ("lemma", "keyword")}
            assert forms <= found, (text, found)
        scene = lex.encode("Reporters dog the minister everywhere.", stability=False, log=False)
        assert "🐕" not in scene.forms
        # once the lexicon speaks English, a word its English glosses do not name is not
        # asked in translation unless it can be nothing but a noun
        for form, word in [("🐄", "cow"), ("🐖", "pig"), ("🐑", "sheep"), ("🐐", "goat")]:
            lex.add(EntryData.from_dict({"form": form, "glosses": {"en": [word]}}))
        lex.add(EntryData.from_dict({"form": "🐓", "glosses": {"en": ["rooster"]}}))
        lex.sync()
        scene = lex.encode("The dog barked.", stability=False, log=False)
        assert "🐕" not in scene.forms
        assert lex.workspace.index().speaks(lex.name, "en")  # as this encode vouched


def test_a_verb_stands_for_an_entry_whose_russian_name_shows_the_act(tmp_path: Path) -> None:
    """An English verb on a lexicon glossed in Russian: its article's verbs (спать, not the
    nouns сон and спячка that come first) reach an entry whose Russian name is a form of
    one («спит»), never the thing a noun names (🛌 «сон»). A name that is a noun first is no
    act: «мыло» is soap, though it is also the past of мыть."""
    articles = {
        "sleep": (
            "sleep\n   [sliːp]\n   1. _n.\n      1) сон\n      2) спячка\n      3) покой\n"
            "   2. _v.\n      1) спать\n      2) засыпать\n"
        ),
        "wash": "wash\n   [wɒʃ]\n   1. _n.\n      1) мытьё\n   2. _v.\n      1) мыть\n",
    }
    assert "спать" in verb_lemmas("спит") and verb_lemmas("плачущий") == {"плакать"}
    assert verb_lemmas("мыло") == frozenset()
    index = write_dictd(tmp_path, articles)
    tr = bilingual.translations_for(str(index))
    assert tr is not None
    assert [t for t, _ in tr.of("sleeps", "en")] == ["сон", "спячка", "покой"]
    assert [t for t, _ in tr.verb("sleeps")] == ["спать", "засыпать"]
    with _glossed(
        tmp_path,
        index,
        "ru",
        [
            ("😴", ["спит", "храп", "зевота"]),
            ("🛌", ["человек в постели", "кровать", "сон"]),
            ("🧼", ["мыло", "пена"]),
            ("🪟", ["окно"]),
            ("😢", ["плачет", "слеза", "грусть"]),
        ],
    ) as lex:
        # the verb names no entry; it is kept, as a keyword is, by the act a name shows
        scene = lex.encode("The old dog sleeps all day.", stability=False, log=False)
        assert [(lx.form, lx.how) for lx in scene.lexemes] == [("😴", "keyword")]
        # a Russian perfective verb by the imperfective it is made from, which the name shows
        scene = lex.encode("Тут он заплакал.", stability=False, log=False)
        assert [(lx.form, lx.how) for lx in scene.lexemes] == [("😢", "keyword")]
        scene = lex.encode("Мама мыла окна.", stability=False, log=False)
        assert "🧼" not in scene.forms and "🪟" in scene.forms


def test_a_phrase_the_dictionary_knows_names_the_entry_its_translation_names(
    tmp_path: Path,
) -> None:
    """On a lexicon glossed in Russian only, "shooting star" is one thing: the dictionary has
    the phrase, and one of its translations is 🌠's whole name, so the phrase stands for it,
    not "star" for 🌟. A translation that is only a keyword names nothing this way."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "shooting star\tметеор\nshooting star\tпадающая звезда\nstar\tзвезда\n"
        "fire engine\tпожарная машина\nfire\tогонь\n",
        "utf-8",
    )
    with _glossed(
        tmp_path,
        pairs,
        "ru",
        [
            ("🌠", ["падающая звезда", "метеор"]),
            ("🌟", ["звезда", "сияние"]),
            ("🔥", ["огонь", "пламя"]),
            ("🚒", ["машина", "пожарная машина", "спасатели"]),
        ],
    ) as lex:
        scene = lex.encode("Make a wish when you see a shooting star.", stability=False, log=False)
        assert [(lx.form, lx.how) for lx in scene.lexemes] == [("🌠", "lemma")]
        # «пожарная машина» is a keyword of 🚒, not its name: the phrase does not stand for it
        scene = lex.encode("A fire engine raced past.", stability=False, log=False)
        assert ("🚒", "fire engine") not in {(lx.form, lx.source) for lx in scene.lexemes}


def test_a_word_that_begins_no_headword_is_not_asked_for_phrases(tmp_path: Path) -> None:
    """Which words may begin a headword of several words: as they stand, and a Russian one
    in any inflection (an adjective agreeing with another noun, a noun in another case). The
    compiled file and the same dictionary held in memory answer alike."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "shooting star\tпадающая звезда\nbat\tлетучая мышь\nstar\tзвезда\n"
        "Ferris wheel\tколесо обозрения\n",
        "utf-8",
    )
    compiled = bilingual.translations_for(str(pairs))
    assert compiled is not None and isinstance(compiled.ru, bilingual._Table)
    in_memory = compile_translations(str(pairs), bilingual.read_pairs(pairs))
    begins = {
        ("shooting", "en"): True,
        ("Ferris", "en"): True,
        ("star", "en"): False,  # a headword, but of one word
        ("падающую", "ru"): True,  # падающая звезда, the accusative
        ("Летучих", "ru"): True,  # летучая мышь, the genitive plural
        ("колесе", "ru"): True,  # колесо обозрения, the prepositional
        ("звезда", "ru"): False,
        ("мышь", "ru"): False,
    }
    for (word, lang), expected in begins.items():
        assert compiled.begins_phrase(word, lang) is expected, word
        assert in_memory.begins_phrase(word, lang) is expected, word
    # and by its first two words, the second also as its lemma ("shooting stars")
    continues = {
        ("shooting", "stars", "star", "en"): True,
        ("Ferris", "wheel", "wheel", "en"): True,
        ("shooting", "range", "range", "en"): False,
        ("падающую", "звезду", "звезда", "ru"): True,
        ("Летучих", "мышей", "мышь", "ru"): True,
        ("колесе", "обозрения", "обозрение", "ru"): True,
        ("падающую", "комету", "комета", "ru"): False,
        ("звезда", "падающая", "падающий", "ru"): False,  # the words in another order
    }
    for (first, second, lemma_, lang), expected in continues.items():
        assert compiled.continues_phrase(first, second, lemma_, lang) is expected, first
        assert in_memory.continues_phrase(first, second, lemma_, lang) is expected, first


def test_a_noun_is_translated_by_its_articles_noun_senses(tmp_path: Path) -> None:
    """An article may give its verbs first (train: воспитывать, учить); a word the tagger
    reads as a noun is looked up by the article's noun senses (поезд)."""
    articles = {
        "train": (
            "train\n   [treɪn]\n   1. _v.\n      1) воспитывать\n      2) учить\n"
            "      3) тренировать\n   2. _n.\n      1) поезд\n      2) состав\n"
        ),
    }
    index = write_dictd(tmp_path, articles)
    tr = bilingual.translations_for(str(index))
    assert tr is not None
    assert tr.of("train", "en")[0][0] == "воспитывать"
    assert [t for t, _ in tr.noun("trains")] == ["поезд", "состав"]
    with _glossed(
        tmp_path, index, "ru", [("🚆", ["поезд", "транспорт"]), ("🎓", ["учить", "школа"])]
    ) as lex:
        scene = lex.encode("The train arrived two hours late.", stability=False, log=False)
        assert [lx.form for lx in scene.lexemes] == ["🚆"]


def test_a_russian_phrase_names_the_entry_its_english_translation_names(
    tmp_path: Path,
) -> None:
    """On a lexicon glossed in English only, «падающая звезда» is the dictionary's shooting
    star, 🌠's name as its gloss is keyed (shoot star), not «звезда» alone (⭐); so is
    «метеор», one word translated by the same phrase."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "shooting star\tпадающая звезда\nshooting star\tметеор\nstar\tзвезда\n", "utf-8"
    )
    with _glossed(
        tmp_path, pairs, "en", [("🌠", ["shooting star", "meteor"]), ("⭐", ["star", "glow"])]
    ) as lex:
        scene = lex.encode("Падающая звезда прочертила небо.", stability=False, log=False)
        assert [(lx.form, lx.source) for lx in scene.lexemes] == [("🌠", "Падающая звезда")]
        # inflected, the phrase is looked up in the nominative, as the dictionary has it
        scene = lex.encode("Я увидел падающую звезду.", stability=False, log=False)
        assert [(lx.form, lx.source) for lx in scene.lexemes] == [("🌠", "падающую звезду")]
        # a single word whose translation is such a phrase is keyed the same way
        scene = lex.encode("Ночью пролетел метеор.", stability=False, log=False)
        assert ("🌠", "метеор") in [(lx.form, lx.source) for lx in scene.lexemes]


@pytest.mark.parametrize(
    "words, said",
    [
        ("летучие мыши", ("летучая мышь", "летучие мыши")),
        ("падающую звезду", ("падающая звезда", "падающие звезды")),
        ("колесе обозрения", ("колесо обозрения",)),
        ("очень быстро", ()),
    ],
)
def test_a_russian_phrase_in_the_nominative(words: str, said: tuple[str, ...]) -> None:
    assert nominatives(tuple(words.split())) == said


def test_a_later_translation_that_gives_the_word_back_first_is_one_of_its_senses(
    tmp_path: Path,
) -> None:
    """A reversed dictionary ranks «радуга» first as arc (arc's own first sense is дуга) and
    only then as rainbow, whose first sense is радуга. Such a later translation is a sense of
    the word as a reciprocal first one is: an entry it names, the word names (🌈 "rainbow",
    however far the Russian word is from its English gloss). A first translation that gives
    the word back first (вино → wine) also judges the word's other candidates in its own
    language, where the embedder puts it nearer its meaning than the Russian word, at
    ``keyword_sense``; a later one, a rarer sense of the word, does not."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("arc\tдуга\narc\tрадуга\nrainbow\tрадуга\nwine\tвино\n", "utf-8")
    tr = bilingual.translations_for(str(pairs))
    assert tr is not None and [w for w, _ in tr.of("радуга")] == ["arc", "rainbow"]
    with _glossed(tmp_path / "named", pairs, "en", [("🌈", ["rainbow", "rain"])]) as lex:
        strict = Bridge(lex.workspace, lex.bridge.thresholds.with_(keyword_translation=1.1))
        assert "🌈" in strict.encode("На небе появилась радуга.", stability=False).forms
    entries = [("🌈", ["spectrum", "rainbow", "rain"]), ("🍷", ["wine glass", "wine", "bar"])]
    with _glossed(tmp_path / "keyword", pairs, "en", entries) as lex:
        bow, glass = lex.find("🌈"), lex.find("🍷")
        assert bow is not None and glass is not None
        near = lex.workspace.index().closeness(
            lex.name, ["вино", "wine", "радуга", "rainbow"], [[glass.id, bow.id]] * 4, ["ru", "en"]
        )
        # each Russian word is further from its entry than its translation is
        floor = (near[0][glass.id] + near[1][glass.id]) / 2
        assert near[0][glass.id] < floor < near[1][glass.id]

        def by_lemma(t: Any, text: str) -> list[str]:
            scene = Bridge(lex.workspace, t).encode(text, stability=False)
            return [lx.form for lx in scene.lexemes if lx.how in ("lemma", "keyword")]

        t = lex.bridge.thresholds.with_(keyword_translation=floor, keyword_sense=floor)
        assert by_lemma(t, "Мы пили вино.") == ["🍷"]
        # what it reaches is held to ``keyword_sense``, not to a translation's threshold
        for sense, kept in ((near[1][glass.id] - 0.01, ["🍷"]), (near[1][glass.id] + 0.01, [])):
            t = lex.bridge.thresholds.with_(keyword_translation=1.1, keyword_sense=sense)
            assert by_lemma(t, "Мы пили вино.") == kept, sense
        # rainbow, радуга's second translation, judges nothing
        floor = (near[2][bow.id] + near[3][bow.id]) / 2
        assert near[2][bow.id] < floor < near[3][bow.id]
        t = lex.bridge.thresholds.with_(keyword_translation=floor, keyword_sense=floor)
        assert by_lemma(t, "На небе появилась радуга.") == []


def test_a_word_with_one_translation_has_it_as_its_sense(tmp_path: Path) -> None:
    """grandma has one translation, бабушка, whose first translation back is grandmother:
    no translation gives grandma back first, yet бабушка is all the word can mean. A word
    with two translations, neither giving it back first, has no sense the dictionary vouches
    for, and neither has a Russian word that one English article happens to give."""
    tr = from_pairs(
        tmp_path,
        "grandmother\tбабушка\ngrandma\tбабушка\nwench\tдевушка\nwench\tслужанка\n"
        "girl\tдевушка\ngirl\tдочь\nmaid\tслужанка\nmaid\tдевица\n",
    )
    assert tr.of("бабушка")[0][0] == "grandmother"
    assert _reciprocals(tr, "grandma", PIVOTS, 1) == ()
    assert _own_senses(tr, "grandma") == (0,)
    assert _own_senses(tr, "grandmother") == (0,)  # and gives it back first
    assert [w for w, _ in tr.of("wench")] == ["девушка", "служанка"]
    assert tr.of("девушка")[0][0] == "girl" and tr.of("служанка")[0][0] == "maid"
    assert _own_senses(tr, "wench") == ()
    # a Russian word one article gives: maid is девица's only translation, and maid's first
    # is служанка
    assert [w for w, _ in tr.of("девица")] == ["maid"] and _own_senses(tr, "девица") == ()


def _own_sense_articles() -> list[tuple[str, list[tuple[str, str | None, int]]]]:
    """Three long articles that give самолёт among later senses, a short one that gives it
    first (airplane), and one that gives it second after a word of its own (bird)."""

    def article(*words: str) -> list[tuple[str, str | None, int]]:
        return [(w, "n", k) for k, w in enumerate(words)]

    fillers = ("уровень", "грань", "проекция", "разрез", "срез", "стадия")
    return [
        ("plane", article("плоскость", "самолёт", *fillers)),
        ("ship", article("корабль", "самолёт", *fillers)),
        ("craft", article("ремесло", "самолёт", *fillers)),
        ("airplane", article("самолёт")),
        ("bird", article("птица", "самолёт")),
    ]


def test_a_rarer_headword_whose_first_sense_is_the_word_is_kept(tmp_path: Path) -> None:
    """A reversed dictionary keeps a Russian word's three best-scored headwords, and long
    articles that give it as a later sense outscore the short one that gives it first:
    самолёт came out as aircraft, plane, ship, and airplane, the one emoji's name, was lost.
    Up to ``OWN_SENSES`` headwords whose first translation the word is are kept after them;
    one that gives it later (bird) is not."""
    tr = compile_translations("test", _own_sense_articles())
    said = [w for w, _ in tr.of("самолёт", "ru")]
    assert said[:3] == ["craft", "plane", "ship"]  # equal scores: by spelling
    assert said[3:] == ["airplane"]
    assert [w for w, _ in tr.of("плоскость", "ru")] == ["plane"]
    # at most OWN_SENSES of them
    many = [(f"jet{c}", [("самолёт", "n", 0)]) for c in "abcd"]
    kept = [
        w for w, _ in compile_translations("test", [*_own_sense_articles(), *many]).ru["самолет"]
    ]
    assert len(kept) == bilingual.TOP + bilingual.OWN_SENSES
    assert kept[3:] == ["airplane", "jeta"]  # equal scores again


def test_a_kept_own_sense_names_what_it_names(tmp_path: Path) -> None:
    """On a lexicon glossed in English only, самолёт reaches ✈️ "airplane" through the
    headword kept for being its own sense, though none of its three best translations names
    an entry and nothing passes by closeness (``keyword_translation`` above 1)."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "".join(f"{head}\t{ru}\n" for head, found in _own_sense_articles() for ru, _, _ in found),
        "utf-8",
    )
    tr = bilingual.translations_for(str(pairs))
    assert tr is not None
    said = [w for w, _ in tr.of("самолёт")]
    assert "airplane" in said and said.index("airplane") >= PIVOTS, said
    entries = [("✈️", ["airplane", "jet"]), ("🧑‍✈️", ["pilot", "plane"])]
    with _glossed(tmp_path / "lex", pairs, "en", entries) as lex:
        strict = Bridge(lex.workspace, lex.bridge.thresholds.with_(keyword_translation=1.1))
        assert strict.encode("Мы сели в самолёт.", stability=False).forms == ["✈️"]
    # it names what it names and brings no keyword of its own (a rarer sense's keywords are
    # that sense's things: «предупреждение» → premonition, a keyword of 🔮)
    with _glossed(tmp_path / "kw", pairs, "en", [("🛫", ["departure", "airplane"])]) as lex:
        t = lex.bridge.thresholds  # (every other way to it shut)
        t = t.with_(
            keyword_translation=-1.0,
            keyword_sentence=-1.0,
            translated_keyword=1.1,
            keyword_related=1.1,
            semantic=dict.fromkeys(t.semantic, 1.1),
        )
        assert Bridge(lex.workspace, t).encode("Мы сели в самолёт.", stability=False).forms == []


def test_a_noun_the_dictionary_lacks_finds_its_translation_among_the_glosses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mueller knows no laptop and no office: on a lexicon glossed in English only, ноутбук
    and офис reach 💻 and 🏢 by the gloss of a nearest entry that the embedder puts as near
    the word as a translation is (a name at ``translated_name``, a further gloss at
    ``translated_keyword``), though no entry's whole document passes the semantic threshold.
    A word whose own translation gave the lemma layer a candidate that its context turned
    down («рынок» → market of 💹) is not brought back this way."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("market\tрынок\nforest\tлес\n", "utf-8")
    entries = [
        ("💻", ["laptop", "computer", "pc"]),
        ("🏢", ["office building", "office", "building"]),
        ("💹", ["chart increasing with yen", "market", "growth"]),
        ("🌲", ["evergreen tree", "tree"]),
    ]
    with _glossed(tmp_path / "lex", pairs, "en", entries) as lex:
        t = lex.bridge.thresholds
        t = t.with_(semantic=dict.fromkeys(t.semantic, 0.99), keyword_translation=1.1)
        emb = lex.workspace.index().embedder
        vectors = emb.encode(["ноутбук", "laptop", "офис", "office", "рынок", "market"])
        near = [float(vectors[k] @ vectors[k + 1]) for k in (0, 2, 4)]
        assert min(near) > 0.8, near  # each as near its translation as a translation is

        def found(t: Any, text: str) -> list[tuple[str, str]]:
            scene = Bridge(lex.workspace, t).encode(text, stability=False)
            return [(lx.form, lx.how) for lx in scene.lexemes]

        laptop, office = near[0], near[1]
        assert found(t, "Я забыл ноутбук.") == [("💻", "translated")]
        # a user's verdict on it is a translated pair, which calibration fits apart from the
        # semantic threshold (a word's cosine with one gloss, not a text's with a document)
        scene = Bridge(lex.workspace, t).encode("Я забыл ноутбук.", stability=False)
        qid = log_scene(lex, "Я забыл ноутбук.", scene)
        lex.feedback(qid, "accept", lexeme="💻")
        assert calibration.pairs(lex.workspace) == [
            calibration.Pair(scene.lexemes[0].score, True, "default", "translated")
        ]
        assert found(t.with_(translated_name=laptop + 0.01), "Я забыл ноутбук.") == []
        # and its sentence must not be far from the entry, as a keyword's must not
        pc = lex.find("💻")
        assert pc is not None
        index = lex.workspace.index()
        whole = index.closeness(lex.name, ["Я забыл ноутбук"], [[pc.id]], ["ru", "en"])[0][pc.id]
        assert found(t.with_(keyword_sentence=whole + 0.01), "Я забыл ноутбук.") == []
        assert found(t.with_(keyword_sentence=whole - 0.01), "Я забыл ноутбук.") == [
            ("💻", "translated")
        ]
        assert found(t, "Мы пришли в офис.") == [("🏢", "translated")]
        # "office" is a further gloss of 🏢: its threshold, not a name's, holds it
        assert found(t.with_(translated_keyword=office + 0.01), "Мы пришли в офис.") == []
        assert found(t.with_(translated_name=office + 0.01), "Мы пришли в офис.") == [
            ("🏢", "translated")
        ]
        # рынок has market by the dictionary: its context's verdict stands
        assert found(t, "Мы пошли на рынок.") == []
        assert found(t.with_(keyword_translation=0.0), "Мы пошли на рынок.") == [("💹", "keyword")]
        # a semantic search puts such entries first and says the gloss
        hits = lex.search("ноутбук", mode="semantic", limit=4)
        first, *rest = hits
        assert (first.entry.form, first.field, first.text) == ("💻", "gloss:en", "laptop")
        assert first.score == pytest.approx(laptop, abs=1e-4)
        assert rest and all(h.field.startswith("doc:") for h in rest)
        # at the lexicon's thresholds (its calibration's), as the bridge's
        strict = t.with_(translated_name=laptop + 0.01, translated_keyword=1.1)
        monkeypatch.setattr(lexicon_module, "_thresholds", lambda ws, state: strict)
        hits = lex.search("ноутбук", mode="semantic", limit=4)
        assert hits and all(h.field.startswith("doc:") for h in hits)
        monkeypatch.undo()
        # a lexicon that speaks Russian names a Russian word by its spelling only
        for form, word in [("🐄", "корова"), ("🐖", "свинья"), ("🐑", "овца"), ("🐐", "коза")]:
            lex.add(EntryData.from_dict({"form": form, "glosses": {"ru": [word]}}))
        lex.sync()
        assert lex.workspace.index().speaks(lex.name, "ru")
        assert found(t, "Я забыл ноутбук.") == []


def test_a_verb_finds_the_act_a_name_in_the_other_language_shows(tmp_path: Path) -> None:
    """Mueller gives cry as кричать, вопить, восклицать, and no name shows those: on a lexicon
    glossed in Russian only, "crying" reaches 😢 «плачет» by the act the name shows, плакать,
    which the embedder puts as near cry as a translation (``translated_act``). A passive
    participle shows no act being done (an «открытая книга» is a book), so "opened" is no 📖
    however near open and открыть are."""
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("cry\tкрик\ncry\tкричать\ncry\tвопить\nbook\tкнига\n", "utf-8")
    entries = [
        ("😢", ["плачет", "слеза"]),
        ("🕺", ["танцующий мужчина", "танец"]),
        ("📖", ["открытая книга", "чтение"]),
    ]
    with _glossed(tmp_path / "lex", pairs, "ru", entries) as lex:
        t = lex.bridge.thresholds
        t = t.with_(semantic=dict.fromkeys(t.semantic, 0.99))
        vectors = lex.workspace.index().embedder.encode(["cry", "плакать", "open", "открыть"])
        cry, opened = float(vectors[0] @ vectors[1]), float(vectors[2] @ vectors[3])
        assert cry > t.translated_act and opened > 0.8, (cry, opened)

        def found(t: Any, text: str) -> list[tuple[str, str]]:
            scene = Bridge(lex.workspace, t).encode(text, stability=False)
            return [(lx.form, lx.how) for lx in scene.lexemes]

        assert found(t, "The baby was crying.") == [("😢", "translated")]
        assert found(t.with_(translated_act=cry + 0.01), "The baby was crying.") == []
        assert ("🕺", "translated") in found(t, "He danced all night.")
        loose = t.with_(translated_act=0.8)
        assert "📖" not in [form for form, _ in found(loose, "She opened the window.")]


@pytest.mark.parametrize(
    "word, acts",
    [
        ("плачет", {"плакать"}),
        ("бежит", {"бежать"}),
        ("танцующий", {"танцевать"}),
        ("открытая", set()),  # passive: the book is open
        ("вижу", set()),  # first person: «не вижу зла» says, it pictures no one seeing
        ("позвони", set()),  # imperative
        ("мужчина", set()),
    ],
)
def test_the_acts_a_russian_name_shows(word: str, acts: set[str]) -> None:
    assert acts_shown(word) == acts
