"""Lemmas for Russian (pymorphy3 with its bundled dictionaries) and English (simplemma).

Both work offline. Lemmas let ``страха`` and ``страхом`` find ``страх``, and ``storms`` find
``storm``. The analyzers load on first use (about 0.1 s), never at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .text import script_language, words

# words that carry grammar, not a meaning a glyph could stand for (bridge's content words are
# the others; bilingual never translates them)
FUNCTION_WORDS = frozenset(
    """
    а без бы в во вот вы да для до же за и из или им их к как ко ли мы на над не ни но о об
    он она они оно от перед по под при про с со та так те то ты у уж что чтобы это эта этот я
    мой твой свой его ее её мне меня тебя тебе себя нас вас был была было были есть быть
    a an and are as at be but by do does did for from had has have he her his i if in into is
    it its me my no not of on or our she so that the their them they this to was we were what
    when where which who why will with you your
    """.split()
)


# words that point, count, link or hedge rather than name (pronouns, determiners and
# quantifiers, auxiliaries and modals, adverbs of degree, frequency and sequence, numerals):
# no glyph stands for them by meaning, though a lexicon may name one (core's ∵ "because")
_ENGLISH_FUNCTION = frozenset(
    """
    about above after again against all almost already also although always am among another
    any anybody anyone anything anyway anywhere around away been before being below beneath
    beside besides between both can cannot could down during each either else enough even ever
    every everybody everyone everything everywhere few fifty first five forty four further
    hardly her hers herself here him himself how however just least less many may maybe might
    mine more most much must myself neither never nevertheless nine nobody none nor nothing now
    nowhere off often once one only onto other others otherwise ought ours ourselves out over
    own perhaps quite rather really same second seldom seven several shall should since six
    some somebody someone something sometimes somewhat somewhere soon still such ten than then
    there therefore these thirty those though three through thus till too toward towards twenty
    twice two under unless until up upon us very via whatever whenever wherever whether while
    whilst whoever whole whom whose within without would yet yours yourself yourselves
    """.split()
)
# pymorphy3's parts of speech that never name: pronouns, prepositions, conjunctions,
# particles, interjections, numerals, predicatives (можно, нельзя)
_RUSSIAN_FUNCTION_POS = frozenset({"NPRO", "PREP", "CONJ", "PRCL", "INTJ", "NUMR", "PRED"})
# and the adverbs of degree, frequency and sequence, which pymorphy3 tags as any adverb
_RUSSIAN_FUNCTION_ADVERBS = frozenset(
    """
    почти очень уже еще тоже также потом затем снова опять сразу совсем лишь только даже
    вообще иногда всегда никогда часто редко дважды трижды вдруг ведь зато поэтому поскольку
    пока едва чуть слишком весьма довольно совершенно вполне
    """.split()
)


@lru_cache(maxsize=200_000)
def function_word(word: str, lang: str | None = None) -> bool:
    """Does this word point, count, link or hedge rather than name («всей», «него», «будет»,
    «почти», «два»; "all", "still", "yet", "while")? ``FUNCTION_WORDS`` lists the commonest
    forms; this asks the word's likeliest reading. The bridge never asks such a word by
    meaning, nor by the broader words of a noun it may spell ("while", a period of time):
    its nearest entries are the vaguest ones (😐 "neutral face" for "all", "still" and
    «почти» alike)."""
    word, lang = _judged(word, lang)
    if word in FUNCTION_WORDS:
        return True
    if lang == "en":
        return word in _ENGLISH_FUNCTION
    if lang == "ru":
        parse = _parses(word)[0]
        tag = parse.tag
        if tag.POS in _RUSSIAN_FUNCTION_POS or "Apro" in tag:
            return True
        if parse.normal_form == "быть":
            return True
        return tag.POS == "ADVB" and parse.normal_form.replace("ё", "е") in (
            _RUSSIAN_FUNCTION_ADVERBS
        )
    return False


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str | None = None) -> str:
    """The dictionary form of one word, lower-cased; unknown words come back lower-cased."""
    word = word.casefold().replace("ё", "е")
    lang = lang if lang in ("ru", "en") else script_language(word)
    if lang == "ru" and script_language(word) == "ru":
        return _parses(word)[0].normal_form.replace("ё", "е")
    if lang == "en" and script_language(word) == "en":
        import simplemma

        return simplemma.lemmatize(word, lang="en").casefold()
    return word


def _judged(word: str, lang: str | None) -> tuple[str, str | None]:
    """The word as the analyzers read it, and the language to judge it in: None when its
    script is not the language asked for (or neither Russian nor English)."""
    word = word.casefold().replace("ё", "е")
    script = script_language(word)
    lang = lang if lang in ("ru", "en") else script
    return word, (lang if lang == script and lang in ("ru", "en") else None)


@lru_cache(maxsize=200_000)
def known(word: str, lang: str | None = None) -> bool:
    """Is this a word of the language's dictionary (pymorphy3's for Russian, simplemma's for
    English)? A word outside it (a coinage like «квазиглифовость», a typo) has no meaning the
    embedder can be trusted with: its nearest entries are as near as a random string's, so
    the bridge leaves it unexplained for growth to see. Words of other scripts count as known
    (there is nothing to judge them by)."""
    word, lang = _judged(word, lang)
    if lang is None:
        return True
    if lang == "ru":
        return _morph().word_is_known(word)
    if lang == "en":
        import simplemma

        return simplemma.is_known(word, lang="en")
    return True


@lru_cache(maxsize=200_000)
def can_be_noun(word: str, lang: str | None = None) -> bool:
    """Can this word name a thing (a noun reading of pymorphy3's for Russian that is not a
    curiosity, a noun reading of lemminflect's for English with no adjective or adverb one)?
    Things are what glyphs mostly stand for: a noun that is one of an entry's keywords means
    the entry far more often than a verb, an adverb or a conjunction does («вечер» of 🌆, but
    «когда» of 🙄)."""
    word, lang = _judged(word, lang)
    if lang is None:
        return True
    if lang == "ru":
        return any(p.tag.POS == "NOUN" and p.score >= READING_FLOOR for p in _parses(word))
    if lang == "en":
        # lemminflect lists readings without their frequencies: a word that can also be an
        # adjective or an adverb ("old", "last", "small") is one far more often than a noun
        readings = dict(english_readings(word))
        return "NOUN" in readings and not {"ADJ", "ADV"} & set(readings)
    return True


READING_FLOOR = 0.05  # a reading pymorphy3 gives less than this is a curiosity («стали»: сталь)


@lru_cache(maxsize=65_536)
def phrase_fragment(gloss: str) -> bool:
    """Whether a Russian gloss of one word is a piece of a phrase, a noun or an adjective in
    no reading nominative: CLDR splits its keywords into words («рот на замке» → «замке»,
    «слава богу» → «богу», «сошёл с ума» → «ума»), and such a piece means what its phrase
    does only beside it, never as its lemma (the castle of «замок», God of «бог»)."""
    word = gloss.casefold().replace("ё", "е")
    if " " in word or script_language(word) != "ru" or not known(word, "ru"):
        return False  # a word pymorphy3 only guesses at («санта», «коп») is no such piece
    readings = _parses(word)  # every reading, however unlikely: «пар» is steam too
    return bool(readings) and all(
        p.tag.POS in ("NOUN", "ADJF") and p.tag.case not in (None, "nomn") for p in readings
    )


def governed(word: str) -> bool:
    """Whether a Russian word is, in its likeliest reading, a noun in the genitive, the
    complement another noun governs («рождения» of «день рождения»)."""
    low = word.casefold().replace("ё", "е")
    if script_language(low) != "ru":
        return False
    tag = _parses(low)[0].tag
    return tag.POS == "NOUN" and tag.case in ("gent", "gen2")


def numeral(word: str) -> bool:
    """Whether a Russian word is a numeral in its likeliest reading («два», «трёх», «семи»)."""
    low = word.casefold().replace("ё", "е")
    return script_language(low) == "ru" and _parses(low)[0].tag.POS == "NUMR"


@lru_cache(maxsize=200_000)
def only_noun(word: str, lang: str | None = None) -> bool:
    """Is a noun the only thing this word can be («дымка», "physician"; not "start", which
    is a verb too)? A word looked up through its translations should be: every other part of
    speech brings its own translations, and their senses."""
    word, lang = _judged(word, lang)
    if lang == "ru":
        readings = [p for p in _parses(word) if p.score >= READING_FLOOR]
        return bool(readings) and all(p.tag.POS == "NOUN" for p in readings)
    if lang == "en":
        readings = dict(english_readings(word))
        return "NOUN" in readings and set(readings) <= {"NOUN", "PROPN"}
    return False


@lru_cache(maxsize=200_000)
def other_lemmas(word: str, lang: str | None = None) -> tuple[str, ...]:
    """The lemmas of a word's other readings than the likeliest: «утром» is an adverb first and
    the noun утро after it, «leaves» the verb leave and the noun leaf. The bridge asks them
    only when the likeliest lemma names nothing."""
    low, lang = _judged(word, lang)
    if lang is None:
        return ()
    first = lemma(word, lang)
    if lang == "ru":
        found = [p.normal_form.replace("ё", "е") for p in _parses(low) if p.score >= READING_FLOOR]
    else:  # English
        found = [lemma_ for _, lemma_ in english_readings(low)]
        found += [x for xs in _lemminflect().getAllLemmas(low).values() for x in xs]
    return tuple(x for x in dict.fromkeys(found) if x != first)


@lru_cache(maxsize=200_000)
def readings(word: str) -> tuple[str, ...]:
    """Every lemma pymorphy3 reads a Russian word as, likeliest first, however unlikely (no
    ``READING_FLOOR``): two inflections of one word («падающую», «падающая») share one of
    them whichever reading each ranks first. Empty for a word not in Cyrillic."""
    low = word.casefold().replace("ё", "е")
    if script_language(low) != "ru":
        return ()
    return tuple(dict.fromkeys(p.normal_form.replace("ё", "е") for p in _parses(low)))


_ADJECTIVE_ENDINGS = (
    "енный", "анный", "яный", "аный", "еный", "ный", "ной", "ний", "ской", "ский", "цкий",
    "овый", "евый", "ый", "ий", "ой",
)  # fmt: skip
# consonants that alternate between a noun and its adjective: яблоко → яблочный, снег → снежный
_ALTERNATIONS = {"ч": ("к", "ц", "т"), "ж": ("г", "з", "д"), "ш": ("х", "с"), "щ": ("ст", "ск")}


@lru_cache(maxsize=50_000)
def modifies(word: str, noun: str, lang: str | None = None) -> bool:
    """Is a Russian ``word`` an adjective (or a participle) that describes ``noun``, the word
    after it («старой церкви», «горячий чай»): does one of its adjective readings agree with
    one of the noun's readings in case and number (and gender, in the singular)? Such a word
    says what its noun is like: a glyph of its own meaning (👵 "old woman", 🥵 "hot face") is
    not what the text shows. English has no agreement to read: the tagger says it
    (``english_parts``)."""
    word, lang = _judged(word, lang)
    noun_word, noun_lang = _judged(noun, lang)
    if lang != "ru" or noun_lang != "ru":
        return False
    nouns = [p.tag for p in _parses(noun_word) if p.tag.POS == "NOUN"]
    for parse in _parses(word):
        tag = parse.tag
        if tag.POS not in ("ADJF", "PRTF"):
            continue
        for n in nouns:
            if tag.case != n.case or tag.number != n.number:
                continue
            if tag.number == "sing" and tag.gender and n.gender and tag.gender != n.gender:
                continue
            return True
    return False


@lru_cache(maxsize=50_000)
def derived_nouns(word: str, lang: str | None = None) -> tuple[str, ...]:
    """The nouns a Russian adjective may be made from («яблочный» → яблоко, «лесной» → лес,
    «солнечный» → солнце): its stem, with the consonant alternations and the fleeting vowel
    of Russian word formation, completed to a noun pymorphy3 knows in its dictionary form.
    A guess, and noisy for qualitative adjectives («красный» → краса): the bridge keeps what
    it finds only when the entry is near the adjective in meaning."""
    low = word.casefold().replace("ё", "е")
    if (lang or script_language(low)) != "ru" or script_language(low) != "ru":
        return ()
    parsed = _parses(low)[0]
    if parsed.tag.POS not in ("ADJF", "ADJS"):
        return ()
    adjective = parsed.normal_form.replace("ё", "е")
    ending = next((e for e in _ADJECTIVE_ENDINGS if adjective.endswith(e)), None)
    if ending is None or len(adjective) - len(ending) < 3:
        return ()
    stem = adjective[: -len(ending)]
    stems = {stem} | {stem[:-1] + a for a in _ALTERNATIONS.get(stem[-1], ())}
    stems |= {s[:-2] + s[-1] for s in stems if len(s) >= 4 and s[-2] in "ео"}
    out: list[str] = []
    for s in sorted(stems, key=lambda x: (x != stem, x)):
        for suffix in ("", "а", "о", "е", "ь", "я", "и", "й"):
            noun = s + suffix
            if noun in out or not _morph().word_is_known(noun):
                continue
            if any(
                p.tag.POS == "NOUN" and p.normal_form.replace("ё", "е") == noun and p.score >= 0.1
                for p in _parses(noun)
            ):
                out.append(noun)
    return tuple(out)


_VOWELS = frozenset("aeiou")


@lru_cache(maxsize=50_000)
def english_forms(base: str) -> frozenset[str]:
    """A base-form English word (a dictionary headword) and its regular inflections — plural
    and third person, past, -ing: what a gloss may show it as ("cry" → cries, cried, crying;
    "knife" → knives; "run" → running). Comparing a headword with a gloss's words this way
    needs no English lemmatizer, whose dictionary is a third of a cold Russian encode."""
    w = base.casefold()
    forms = {w, w + "s", w + "es", w + "ed", w + "d", w + "ing"}
    if len(w) > 2 and w.endswith("y") and w[-2] not in _VOWELS:
        forms |= {w[:-1] + "ies", w[:-1] + "ied"}
    if w.endswith("ie"):
        forms.add(w[:-2] + "ying")  # lying, dying, tying
    elif w.endswith("e"):
        forms.add(w[:-1] + "ing")
    if w.endswith("fe"):
        forms.add(w[:-2] + "ves")
    elif w.endswith("f"):
        forms.add(w[:-1] + "ves")
    # a short final syllable doubles its consonant: running, stopped
    short = len(w) > 2 and w[-3] not in _VOWELS and w[-2] in _VOWELS
    if short and w[-1] not in _VOWELS | {"w", "x", "y"}:
        forms |= {w + w[-1] + "ing", w + w[-1] + "ed"}
    return frozenset(forms)


def lemmas(text: str, lang: str | None = None) -> list[str]:
    """Lemmas of every word in ``text``, in order."""
    return [lemma(w, lang) for w in words(text)]


def lemma_key(text: str, lang: str | None = None) -> str:
    """One string per text for indexed equality: its lemmas joined by single spaces."""
    return " ".join(lemmas(text, lang))


# --- Russian verbs spelled like nouns: «она пила чай» is no saw ---------------------------------

_RU_SUBJECT_CASES = frozenset({"nomn"})


def russian_verb(word: str) -> bool:
    """Whether a Russian word's likeliest reading is a verb (a finite form, an infinitive or
    a gerund): «улыбнулась», «танцевать», «смеясь»."""
    parses = _parses(word.casefold().replace("ё", "е"))
    return bool(parses) and parses[0].tag.POS in ("VERB", "INFN", "GRND")


@lru_cache(maxsize=20_000)
def verb_lemmas(word: str) -> frozenset[str]:
    """The Russian verbs a word can be a form of, a participle or a gerund included
    («спит» → спать, «плачущий» → плакать, «бегущий» → бежать); empty for a word that
    cannot be one, or is a noun first («мыло» is soap before it is the past of мыть)."""
    return _verbs_read(word, lambda tag: tag.POS in ("VERB", "INFN", "PRTF", "PRTS", "GRND"))


def acts_shown(word: str) -> frozenset[str]:
    """The Russian verbs a word of a picture's name shows being done: a present-tense verb
    of the third person («плачет», «человек бежит») or an active present participle
    («танцующий мужчина»); not a passive participle (an «открытая книга» is a book), a first
    person («не вижу зла») or an imperative («позвони мне»)."""
    return _verbs_read(
        word,
        lambda tag: (
            (tag.POS == "VERB" and "pres" in tag and "3per" in tag)
            or (tag.POS == "PRTF" and "actv" in tag and "pres" in tag)
        ),
    )


def _verbs_read(word: str, keep: Callable[[Any], bool]) -> frozenset[str]:
    """The verbs of a word's likely readings whose tag ``keep`` accepts; none for a word that
    is a noun first."""
    parses = _parses(word.casefold().replace("ё", "е"))
    if not parses or parses[0].tag.POS == "NOUN":
        return frozenset()
    return frozenset(
        p.normal_form.replace("ё", "е") for p in parses if p.score >= READING_FLOOR and keep(p.tag)
    )


@lru_cache(maxsize=20_000)
def nominatives(words: tuple[str, ...]) -> tuple[str, ...]:
    """A Russian noun phrase as a dictionary writes it: in the nominative, singular and
    plural, its adjectives agreeing with its last word («летучие мыши» → летучая мышь,
    летучие мыши; «падающую звезду» → падающая звезда). Empty where the last word is no
    noun, or a word before it will not agree."""
    parses = [_parses(w.casefold().replace("ё", "е")) for w in words]
    if not parses or not all(parses):
        return ()
    out: list[str] = []
    # a noun and its genitive («колесе обозрения» → колесо обозрения)
    first = next((p for p in parses[0] if p.tag.POS == "NOUN"), None)
    if (
        first is not None
        and len(words) > 1
        and all(any(p.tag.POS == "NOUN" and "gent" in p.tag for p in found) for found in parses[1:])
    ):
        head = _inflected(
            words[0].casefold().replace("ё", "е"), ("NOUN",), ("nomn", first.tag.number or "sing")
        )
        if head is not None:
            out.append(" ".join([head.word, *(w.casefold() for w in words[1:])]))
    if not any(p.tag.POS == "NOUN" for p in parses[-1]):
        return tuple(dict.fromkeys(o.replace("ё", "е") for o in out))
    keys = [w.casefold().replace("ё", "е") for w in words]
    for number in ("sing", "plur"):
        head = _inflected(keys[-1], ("NOUN",), ("nomn", number))
        if head is None:
            continue
        said: list[str] = []
        for key in keys[:-1]:
            gender = head.tag.gender if number == "sing" else None
            grammemes = ("nomn", number, gender) if gender else ("nomn", number)
            agreed = _inflected(key, ("ADJF", "PRTF"), grammemes)
            if agreed is None:
                break
            said.append(agreed.word)
        else:
            out.append(" ".join([*said, head.word]))
    return tuple(dict.fromkeys(o.replace("ё", "е") for o in out))


@lru_cache(maxsize=50_000)
def _inflected(word: str, pos: tuple[str, ...], grammemes: tuple[str, ...]) -> Any:
    """The word's likeliest reading of one of these parts of speech, put in these
    grammemes (None if it has no such reading or form). Kept per word: a phrase is new far
    more often than its words are, and inflecting is most of what ``nominatives`` costs."""
    parse = next((p for p in _parses(word) if p.tag.POS in pos), None)
    return parse.inflect(set(grammemes)) if parse is not None else None


# perfective prefixes, longest first: «за|плакать», «по|смотреть», «вы|пить»
_PERFECTIVE = sorted(
    "за по у на с со вы про от ото при под подо пере раз рас из ис о об обо в во до недо"
    " вз вс".split(),
    key=len,
    reverse=True,
)


@lru_cache(maxsize=20_000)
def imperfectives(infinitive: str) -> tuple[str, ...]:
    """The imperfective verbs a Russian perfective one may be made from, as pymorphy3
    knows them: its prefix taken off («заплакать» → плакать, «задремать» → дремать) and
    a single act's -ну- made durative («улыбнуться» → улыбаться). A dictionary mostly
    translates the imperfective one."""
    word = infinitive.casefold().replace("ё", "е")
    bases = [word]
    for prefix in _PERFECTIVE:
        if word.startswith(prefix) and len(word) - len(prefix) >= 4:
            bases.append(word[len(prefix) :])
    out: list[str] = []
    for base in bases:
        for candidate in (base, base.replace("нуть", "ать", 1) if "нуть" in base else ""):
            if candidate and candidate != word and candidate not in out:
                infinitive_ = any(
                    p.tag.POS == "INFN" and p.normal_form == candidate for p in _parses(candidate)
                )
                if infinitive_ and _morph().word_is_known(candidate):
                    out.append(candidate)
    return tuple(out)


def russian_verb_forms(sentence: list[str]) -> list[str | None]:
    """For each word of a Russian sentence: the verb it is here, where its likeliest reading
    is something else («пила» a saw, «мыла» soap, «стекло» glass) but the sentence makes it
    a verb; else None. pymorphy3 reads a word alone, by frequency; the context decides here:
    a verb agreeing with the subject right before it («она пила», «мама мыла») or following
    an adverb («медленно стекло»), and not a noun an adjective before it agrees with
    («старую пилу»)."""
    out: list[str | None] = []
    for i, word in enumerate(sentence):
        low = word.casefold().replace("ё", "е")
        if script_language(low) != "ru" or i == 0:
            out.append(None)
            continue
        parses = _parses(low)
        if parses[0].tag.POS in ("VERB", "INFN"):
            out.append(None)  # read as a verb already
            continue
        verb = next((p for p in parses if p.tag.POS == "VERB" and "indc" in p.tag), None)
        if verb is None:
            out.append(None)
            continue
        before = _parses(sentence[i - 1].casefold().replace("ё", "е"))
        top = before[0]
        if top.tag.POS == "ADVB":
            out.append(verb.normal_form.replace("ё", "е"))
            continue
        subject = any(
            p.tag.POS in ("NOUN", "NPRO") and p.tag.case in _RU_SUBJECT_CASES and _agrees(p, verb)
            for p in before
            if p.score >= 0.1 or p is top
        )
        out.append(verb.normal_form.replace("ё", "е") if subject else None)
    return out


# a Russian pronoun as a subject (``russian_subject``): those that stand for a person, and
# those that stand for a thing
_RU_PERSONS = frozenset("я ты он она мы вы они кто".split())
_RU_THINGS = frozenset("оно это что".split())


def russian_subject(sentence: list[str], i: int) -> tuple[str, bool | None] | None:
    """The subject of the verb at ``i`` in a Russian sentence, nearest first, before the verb
    or after it («В пруду плавали утки»): a noun or pronoun in the nominative that agrees
    with it. Given as its lemma and whether it is a person: True for a personal pronoun or a
    name, False for «оно» or «это», None for any other noun (pymorphy3's animacy does not
    tell a person from an animal, and a group of people, «семья», «команда», is
    inanimate). None where no word is the subject."""
    verb = next((p for p in _parses(_ru_key(sentence[i])) if p.tag.POS == "VERB"), None)
    if verb is None:
        return None
    order = sorted((j for j in range(len(sentence)) if j != i), key=lambda j: (abs(j - i), j))
    for j in order:
        parses = _parses(_ru_key(sentence[j]))
        before = _parses(_ru_key(sentence[j - 1])) if j else ()
        if not parses or (before and before[0].tag.POS == "PREP"):
            continue  # «в море»: a preposition's object
        top = parses[0]
        likely = [p for p in parses if p.score >= 0.1 or p is top]
        # after the verb, a form that is also the accusative is its object: «танцевал вальс»
        # (the subject unsaid), not «плавали утки»
        object_ = j > i and any(p.tag.case == "accs" for p in likely)
        for p in likely:
            if p.tag.POS not in ("NOUN", "NPRO") or object_:
                continue
            if p.tag.case not in _RU_SUBJECT_CASES or not _agrees(p, verb):
                continue
            lemma_ = p.normal_form.replace("ё", "е")
            if p.tag.POS == "NPRO":
                if lemma_ in _RU_PERSONS:
                    return lemma_, True
                if lemma_ in _RU_THINGS:
                    return lemma_, False
                continue
            if {"Name", "Surn", "Patr"} & set(p.tag.grammemes):
                return lemma_, True
            return lemma_, None
    return None


def _ru_key(word: str) -> str:
    return word.casefold().replace("ё", "е")


@lru_cache(maxsize=200_000)
def _parses(word: str) -> tuple[Any, ...]:
    """pymorphy3's readings of a word, likeliest first: one cache for every question asked of
    a word (its lemma, whether it can be a noun, its other readings, …), so that a word is
    parsed once, not once a question (a fifth of a warm Russian encode went to parsing the
    same words again)."""
    return tuple(_morph().parse(word))


def _agrees(subject: object, verb: object) -> bool:
    """A past-tense verb agrees in gender or number; a present one in person and number."""
    s, v = subject.tag, verb.tag  # type: ignore[attr-defined]
    if v.number and s.number and v.number != s.number:
        return False
    if "past" in v:
        return v.number == "plur" or v.gender is None or s.gender in (None, v.gender)
    person = s.person or "3per"
    return v.person in (None, person)


# --- English readings in context: a verb form is not the noun spelled the same -------------------

_EN_DETERMINERS = frozenset(
    "a an the this that these those my your his her its our their some any no every each "
    "another such what which whose".split()
)


@lru_cache(maxsize=1)
def _lemminflect():
    import lemminflect

    return lemminflect


@lru_cache(maxsize=50_000)
def english_readings(word: str) -> tuple[tuple[str, str], ...]:
    """Every (part of speech, lemma) lemminflect knows for a word (its bundled data: offline)."""
    found = _lemminflect().getAllLemmas(word.casefold())
    return tuple((pos, lemmas[0]) for pos, lemmas in found.items() if lemmas)


def english_verb_forms(sentence: list[str]) -> list[bool]:
    """For each word of an English sentence: is it a verb here (a tense, a participle, a base
    form, a modal)? The perceptron tagger decides ("We *watch* the
    birds", "Birds *fly* south", "My watch stopped"), on the words as its training corpus split
    them ("don't" is "do" + "n't"); a word right after a determiner is a thing whatever its
    commonest tag ("the *can* of beans", "a red *rose*")."""
    return [verb for verb, _, _ in english_parts(sentence)]


NOUN_TAGS = frozenset({"NN", "NNS", "NNP", "NNPS"})
ADJECTIVE_TAGS = frozenset({"JJ", "JJR", "JJS"})
_VERB_BEFORE_OBJECT = frozenset({"VB", "VBD", "VBP", "VBZ"})  # finite or base forms


def english_parts(sentence: list[str]) -> list[tuple[bool, bool | None, bool]]:
    """For each word of an English sentence: (a verb here, a noun here, an adjective here:
    tagged one, and no verb). The verb as
    ``english_verb_forms`` judges it; a noun is what the tagger tags one in this sentence
    and is no verb: "my *daughter*", "the *party*" are things though lemminflect also lists
    an adjective reading of both (``can_be_noun`` judges a word out of context). None
    where the tagger does not read a noun: its other tags are no verdict on one."""
    from .tagging import VERB_TAGS, tag

    pieces: list[str] = []
    owner: list[int] = []  # the sentence word each piece comes from
    for i, word in enumerate(sentence):
        for piece in _treebank_pieces(word):
            pieces.append(piece)
            owner.append(i)
    tags = tag(pieces)
    out: list[tuple[bool, bool | None, bool]] = [(False, None, False)] * len(sentence)
    first: dict[int, int] = {}
    for k, i in enumerate(owner):
        first.setdefault(i, k)
    for i, k in first.items():
        before = pieces[k - 1].casefold() if k else ""
        # after a determiner or an adjective it names a thing: the weights were trained on
        # financial news, where "rose" and "can" are nearly always verbs ("a red rose")
        before2 = pieces[k - 2].casefold() if k > 1 else ""
        after_modifier = (
            before in _EN_DETERMINERS
            or (k > 0 and tags[k - 1] in ("JJ", "PRP$"))
            or ("ADJ" in dict(english_readings(before)) and before2 in _EN_DETERMINERS)
        )
        readings = dict(english_readings(pieces[k]))
        # a form that can only be an inflected verb is one, whatever the tag ("the bell
        # *rang*": news rarely rang)
        only_verb = bool(readings) and set(readings) <= {"VERB", "AUX"}
        inflected = only_verb and readings.get("VERB", "") != pieces[k].casefold()
        # an -s form right after a verb is its object, a plural ("keeps *chickens*", "sold
        # *apples*"): English has no two finite verbs side by side, and news text, where
        # "chickens" and "apples" are rare, made the tagger read a second verb
        plural_object = (
            tags[k] == "VBZ" and k > 0 and tags[k - 1] in _VERB_BEFORE_OBJECT and "NOUN" in readings
        )
        # and a word that can be no verb is none, whatever the tag: after ", and" the tagger
        # read "grandpa brought" as two verbs
        no_verb = bool(readings) and not {"VERB", "AUX"} & set(readings)
        # a base form needs what calls for one: a modal, "to", another verb of its clause
        # ("let it *burn*", "light the candle and *pray*"), or the clause's start (an
        # imperative, after "please" or an adverb). A thing after things is none: the tagger
        # read "fire time *candle*" as a verb, where with commas it reads a list
        unasked = tags[k] == "VB" and "NOUN" in readings and not _base_form_asked(pieces, tags, k)
        verb = (
            tags[k] in VERB_TAGS
            and not after_modifier
            and not plural_object
            and not no_verb
            and not unasked
        ) or inflected
        if unasked:  # a noun reading, so no verb by inflection either
            out[i] = (False, True, False)
            continue
        if plural_object and not verb:
            out[i] = (False, True, False)
            continue
        # a tag other than a noun's is no verdict: trained on news, the tagger reads "The
        # *puppy* wagged" as an adjective; None leaves the word's readings to judge
        out[i] = (
            verb,
            True if not verb and tags[k] in NOUN_TAGS else None,
            not verb and tags[k] in ADJECTIVE_TAGS,
        )
    return out


_CLAUSE_ENDS = frozenset(".!?;:")
_OPENING_TAGS = frozenset({"RB", "UH", ","})  # "Never *fear*", "Oh, *look*"
_VERB_CALLERS = frozenset({"MD", "TO", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ"})


def _base_form_asked(pieces: list[str], tags: list[str], k: int) -> bool:
    """Whether the base form at ``k`` has what calls for one in its clause: a modal, "to" or
    another verb before it, or nothing before it but an adverb, an interjection or "please"
    (an imperative). The tagger, trained on news, reads a clause's capitalized first word
    as a name or an adjective ("*Do* not fear", "*Light* the candle"), so a first word that
    can be a verb and is not tagged a thing, and any auxiliary, call for one too."""
    start = k
    while start and pieces[start - 1] not in _CLAUSE_ENDS:
        start -= 1
    before = range(start, k)
    for j in before:
        readings = dict(english_readings(pieces[j]))
        if tags[j] in _VERB_CALLERS or "AUX" in readings:
            return True
        if j == start and "VERB" in readings and tags[j] not in ("NN", "NNS"):
            return True
    return all(tags[j] in _OPENING_TAGS or pieces[j].casefold() == "please" for j in before)


_CLITICS = ("n't", "'s", "'re", "'ll", "'ve", "'d", "'m")


def _treebank_pieces(word: str) -> list[str]:
    """A word as the Penn Treebank splits it: "don't" → "do" "n't", "it's" → "it" "'s"."""
    low = word.casefold().replace("’", "'")
    for clitic in _CLITICS:
        if low.endswith(clitic) and len(low) > len(clitic):
            cut = len(word) - len(clitic)  # "can't" → "ca" "n't", "won't" → "wo" "n't"
            return [word[:cut], word[cut:]]
    return [word]


# English prepositions: where a phrase's head ends ("night *with* stars", "time *to* go")
# and what says a place or a relation rather than a thing ("*behind* the house")
EN_PREPOSITIONS = frozenset(
    """
    of before after like in as between against into through about from with without under
    over within beyond across toward towards on at by near to for behind above below around
    during upon inside outside along among onto past beside beneath
    """.split()
)
# what ends an English name's head phrase: a preposition, a conjunction ("salt *and*
# pepper") or a particle ("time *out*")
_NAME_BREAKS = EN_PREPOSITIONS | frozenset("and or out up".split())


def name_parts(
    lemma_key_: str, text: str, lang: str | None
) -> tuple[str, tuple[frozenset[str], ...]] | None:
    """A name of several words as its head and the other things it says besides.

    The head is the lemma of the word the name is a kind of ("old *woman*", "*night* with
    stars", «пожилая *женщина*», «*бокал* вина»). English: the last word before a
    preposition or a participle ("*person* rowing boat", "office *building*"); Russian: the
    first noun. The things are the other nouns, each as the lemmas that say it ("*birthday*
    cake", "*bento* box", «бокал *вина*»), not the qualities an adjective gives ("*old*
    woman", «*горячий* напиток»): such a name is a kind of its head of its own (a moon cake,
    not any cake), which a sentence that says only the head does not mean.

    None for a name of one word, one whose words its lemma key does not match one for one
    (a hyphen, a number), or one with no head. Kept in ``gloss_head`` as found when a name is
    written: a change here needs a migration that finds them again, as 0009 does."""
    lemmas_, words_ = _name_words(lemma_key_, text)
    if len(lemmas_) < 2:
        return None
    head = _head_at(words_, lang)
    if head is None:
        return None
    things = []
    for k, word in enumerate(words_):
        if k == head or word in _NAME_BREAKS:
            continue
        if lang == "en":
            readings = english_readings(word)
            # a word lemminflect does not know is a name or a noun ("bento", "men's")
            if not readings or readings[0][0] in ("NOUN", "PROPN"):
                things.append(frozenset({lemmas_[k], word}))
        elif lang == "ru" and _first_noun(word):
            things.append(frozenset({lemmas_[k]}))
    return lemmas_[head], tuple(things)


def _name_words(lemma_key_: str, text: str) -> tuple[list[str], list[str]]:
    """A name's lemmas and words, one for one; none where they do not pair up, or for a name
    with a qualifier after a colon (CLDR's "old woman: light skin tone", "flag: Russia"): a
    variant of a plain name the lexicon has too, or a kind the head alone never means."""
    lemmas_, words_ = lemma_key_.split(), text.casefold().replace("-", " ").split()
    if len(words_) != len(lemmas_) or ":" in text:
        return [], []
    return lemmas_, words_


def _head_at(words_: list[str], lang: str | None) -> int | None:
    if lang == "en":
        last = None
        for k, word in enumerate(words_):
            if word in _NAME_BREAKS or (k and _participle(word)):
                break
            last = k
        return last
    if lang == "ru":
        return next((k for k, word in enumerate(words_) if _first_noun(word)), None)
    return None


def _first_noun(word: str) -> bool:
    """A Russian word whose likeliest reading is a noun."""
    parses = _parses(word)
    return bool(parses) and parses[0].tag.POS == "NOUN"


def _participle(word: str) -> bool:
    """An -ing word that is first a verb ("person *rowing* boat"), not a noun of its own
    ("office *building*", "wedding *ring*")."""
    if not word.endswith("ing"):
        return False
    readings = english_readings(word)
    return not readings or readings[0][0] == "VERB"
