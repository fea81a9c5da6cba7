"""Grammar for decoding: Russian phrases inflected and agreed with pymorphy3, English articles,
plurals and verb agreement, so that a decoded scene reads as language and not as a list.

Russian. A gloss is analysed once into a *phrase*: one noun phrase, or a coordination of noun
phrases (``страх, тишина, жар и ожидание``). A noun phrase is its head (the first noun in the
nominative whose preceding words are adjectives or participles agreeing with it: ``падающая
звезда``, ``песочные часы``; a lone adjective stands for a noun: ``живое``) and a fixed tail
(genitive words and a prepositional phrase: ``порядок неба``, ``чувство перед бурей``). To put
the phrase in a case, the head and the words agreeing with it change and the tail stays. A
gloss that does not parse this way (``вдох, как молния в тумане тела``, ``то, что остаётся``)
is not inflectable, and the renderers only place it where the nominative is right. The head
gives the gender and number that pronouns, past-tense verbs and adjectives agree with.

English. No inflection of the gloss itself; what changes around it is the article (``a``/``an``
by sound, ``the`` once a thing is known, none for mass nouns, plurals, proper and already
determined phrases), the verb (third person singular or plural) and the pronoun. Mass nouns are
decided by a documented heuristic: the seed's substances, elements, weather and states, the
common nouns used without a plural that ``scripts/mass_nouns.py`` derives from word
frequencies and WordNet, and the suffixes of abstract nouns (-ness, -ity, -tion, ...); see
``en_is_mass``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import regex

# one analyzer per process, and one cache of its readings: lemmas (morphology) and inflection
# (here) share them; a second analyzer loaded the dictionaries again (0.07 s and about 15 MB
# in every encode with its stability check)
from .morphology import EN_PREPOSITIONS, _parses

MASS_NOUNS = Path(__file__).resolve().parent / "data" / "en_mass_nouns.txt"
CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
_WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}'’-]*")
_LETTERS = regex.compile(r"^[\p{L}\p{M}\s'’-]+$")
_COORD = regex.compile(r"\s*,\s*|\s+и\s+")


def _keep_case(original: str, new: str) -> str:
    """The inflected word spelled like the original: a capital stays a capital."""
    if original[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


# --- Russian: noun phrases -----------------------------------------------------------------


@dataclass(frozen=True)
class _NounPhrase:
    """One noun phrase: words before the head agree with it, words after it stay."""

    words: tuple[str, ...]
    agree: tuple[Any, ...]  # parses of the agreeing words before the head
    head: Any  # the head's parse (a noun, or an adjective standing for one)
    tail: tuple[str, ...]
    forms: dict[tuple[str, str], str]  # (case, number) -> the phrase in that case

    @property
    def number(self) -> str:
        return "plur" if "plur" in self.head.tag else "sing"

    @property
    def gender(self) -> str | None:
        if self.number == "plur":
            return None
        return self.head.tag.gender if self.head.tag.gender in ("masc", "femn", "neut") else "neut"

    @property
    def animate(self) -> bool:
        return self.head.tag.animacy == "anim"


def _agrees(mod: Any, head: Any) -> bool:
    t, h = mod.tag, head.tag
    if "nomn" not in t or t.POS not in ("ADJF", "PRTF", "NUMR"):
        return False
    if "plur" in h:
        return "plur" in t
    return "sing" in t and (t.gender == h.gender or h.gender not in ("masc", "femn", "neut"))


def _modifies(word: str, rest: Sequence[str]) -> bool:
    """Whether ``word`` may be an adjective or participle agreeing with a noun of ``rest``
    that only adjectives stand before."""

    def modifier_readings(w: str) -> list[Any]:
        return [p for p in _parses(w) if p.tag.POS in ("ADJF", "PRTF") and "nomn" in p.tag]

    mods = modifier_readings(word)
    for later in rest:
        if any(_agrees(p, head) for p in mods for head in _head_candidates(later)):
            return True
        if not modifier_readings(later):
            return False
    return False


def _head_candidates(word: str) -> list[Any]:
    nouns = [p for p in _parses(word) if p.tag.POS == "NOUN" and "nomn" in p.tag]
    return sorted(nouns, key=lambda p: -p.score)


def _top(word: str) -> Any:
    return _parses(word)[0]


def _is_prep(word: str) -> bool:
    return _top(word).tag.POS == "PREP"


def _genitive(word: str) -> bool:
    """A plausible genitive (abbreviations and parses pymorphy3 itself finds unlikely aside:
    ``вода`` is not the genitive of a masculine ``вод``)."""
    return any(
        p.tag.POS in ("NOUN", "ADJF", "PRTF", "NPRO")
        and "gent" in p.tag
        and "Abbr" not in p.tag
        and p.score >= 0.05
        for p in _parses(word)
    )


def _tail_ok(words: tuple[str, ...]) -> bool:
    """Genitive words (``неба``, ``света и тьмы``), then at most one prepositional phrase
    with no verb in it (``перед бурей``; not ``через огонь проходит трансформацию``)."""
    lowered = [w.casefold() for w in words]
    i = 0
    while i < len(lowered):
        w = lowered[i]
        if _is_prep(w):
            rest = lowered[i + 1 :]
            return bool(rest) and all(
                _top(r).tag.POS not in ("VERB", "INFN", "PRTS", "CONJ") or r == "и" for r in rest
            )
        if w == "и" and 0 < i < len(lowered) - 1 and _genitive(lowered[i + 1]):
            i += 1
            continue
        if w != "и" and _genitive(w):
            i += 1
            continue
        return False
    return True


def _inflect_word(word: str, parse: Any, grammemes: set[str]) -> str | None:
    got = parse.inflect(grammemes)
    return _keep_case(word, got.word) if got is not None else None


def _build_np(words: tuple[str, ...]) -> _NounPhrase | None:
    lowered = [w.casefold() for w in words]
    for h in range(len(words)):
        heads = _head_candidates(lowered[h])
        if heads and _modifies(lowered[h], lowered[h + 1 :]):
            # a word that is a noun too (substantivized: «красное», «столовая») but agrees
            # with the noun after it is its adjective: «красное яблоко», «столовая ложка»,
            # «красный бумажный фонарик»
            heads = []
        if not heads and h == len(words) - 1 == 0:
            # a lone adjective used as a noun: ``живое``, ``новое``
            heads = [
                p
                for p in _parses(lowered[h])
                if p.tag.POS == "ADJF" and "nomn" in p.tag and "sing" in p.tag
            ]
        for head in heads:
            agree = []
            for j in range(h):
                mods = [p for p in _parses(lowered[j]) if _agrees(p, head)]
                if not mods:
                    break
                agree.append(max(mods, key=lambda p: p.score))
            else:
                tail = tuple(words[h + 1 :])
                if tail and not _tail_ok(tail):
                    continue
                np = _NounPhrase(tuple(words), tuple(agree), head, tail, {})
                if _fill_forms(np):
                    return np
        if heads:
            break  # the first noun is the head or there is none: no later word is tried
    return None


def _fill_forms(np: _NounPhrase) -> bool:
    """Every case in both numbers the phrase has (a plural-only head has no singular)."""
    numbers = ["plur"] if np.number == "plur" else ["sing", "plur"]
    if "Pltm" in np.head.tag or "Sgtm" in np.head.tag or np.head.tag.POS == "ADJF":
        numbers = [np.number]
    for number in numbers:
        for case in CASES:
            g = {case, number}
            head = _inflect_word(np.words[len(np.agree)], np.head, g)
            if head is None:
                if number == np.number:
                    return False
                break
            mods = []
            for word, mod in zip(np.words, np.agree, strict=False):
                mg = {case, number}
                if number == "sing" and np.gender:
                    mg.add(np.gender)
                if case == "accs" and (number == "plur" or np.gender == "masc"):
                    mg.add("anim" if np.animate else "inan")
                form = _inflect_word(word, mod, mg)
                if form is None:
                    return False
                mods.append(form)
            np.forms[(case, number)] = " ".join([*mods, head, *np.tail])
    return True


@dataclass(frozen=True)
class RuPhrase:
    """A Russian gloss as the renderers use it: its forms, gender, number and kind."""

    text: str
    conjuncts: tuple[_NounPhrase, ...]  # empty when the gloss is not inflectable
    separators: tuple[str, ...]  # between conjuncts: ", " or " и "
    pos: str  # "noun" | "connective" | "other"

    @property
    def inflectable(self) -> bool:
        return bool(self.conjuncts)

    @property
    def number(self) -> str:
        if len(self.conjuncts) > 1:
            return "plur"
        if self.conjuncts:
            return self.conjuncts[0].number
        return _guess_features(self.text)[1]

    @property
    def gender(self) -> str | None:
        if self.number == "plur":
            return None
        if self.conjuncts:
            return self.conjuncts[0].gender
        return _guess_features(self.text)[0]

    @property
    def animate(self) -> bool:
        return any(c.animate for c in self.conjuncts)

    def form(self, case: str = "nomn", number: str | None = None) -> str:
        """The phrase in ``case`` (and, for one noun phrase, ``number``). A gloss that is not
        inflectable has only its nominative: asking for another case is a bug in a
        construction, and raises."""
        if case == "nomn" and number is None:
            return self.text
        if not self.conjuncts:
            raise ValueError(f"{self.text!r} is not inflectable")
        out = []
        for i, np in enumerate(self.conjuncts):
            n = number or np.number
            form = np.forms.get((case, n)) or np.forms[(case, np.number)]
            out.append(form if i == 0 else self.separators[i - 1] + form)
        return "".join(out)

    def has_case(self, case: str) -> bool:
        return case == "nomn" or self.inflectable


def ru_label(text: str) -> bool:
    """Whether a gloss that is no noun phrase the grammar can inflect still names a thing, as
    a label does: one clause without a comma or colon, no finite verb, participle clause or
    infinitive, and a noun in the nominative at its core («стрелка влево-вверх», «знак
    зодиака Дева», «клавиша 3», «указывающий вверх палец»; not «закатывает глаза»,
    «обошлось», «жених: тон кожи»). The renderers place such a name where the nominative is
    right, as they do any gloss they cannot inflect."""
    if regex.search(r"[,:;!?()]", text):
        return False
    words = [w.casefold() for w in _WORD.findall(text)]
    if not words or len(words) > 4:
        return False
    tops = [_top(w) for w in words]
    if any(t.tag.POS in ("VERB", "INFN", "PRTS", "GRND") for t in tops):
        return False
    return any(t.tag.POS == "NOUN" and "nomn" in t.tag for t in tops)


def _guess_features(text: str) -> tuple[str | None, str]:
    """Gender and number of a phrase that is not inflectable, from its first word, for the
    agreement of a verb with it in the nominative (``то, что остаётся`` → neuter)."""
    m = _WORD.search(text)
    if m:
        for p in _parses(m.group().casefold()):
            if p.tag.POS in ("NOUN", "NPRO") and "nomn" in p.tag:
                if "plur" in p.tag:
                    return None, "plur"
                g = p.tag.gender if p.tag.gender in ("masc", "femn", "neut") else "neut"
                return g, "sing"
    return "neut", "sing"


@lru_cache(maxsize=20_000)
def ru_phrase(text: str) -> RuPhrase:
    """Analyse a Russian gloss (cached: glosses repeat across scenes)."""
    text = " ".join(text.split())
    words = _WORD.findall(text)
    if words and all(
        any(p.tag.POS in ("CONJ", "ADVB", "PRCL") for p in _parses(w.casefold())[:2])
        and not _head_candidates(w.casefold())
        for w in words
    ):
        return RuPhrase(text, (), (), "connective")
    if not words or not _LETTERS.match(text.replace(",", "")):
        return RuPhrase(text, (), (), "other")
    if "," not in text:  # one noun phrase first: ``борьба света и тьмы`` is not a list
        whole = _build_np(tuple(text.split()))
        if whole is not None:
            return RuPhrase(text, (whole,), (), "noun")
    parts = _COORD.split(text)
    seps = _COORD.findall(text)
    if any(not p for p in parts) or (seps and not regex.search(r"\sи\s", seps[-1])):
        return RuPhrase(text, (), (), "other")
    nps = []
    for part in parts:
        np = _build_np(tuple(part.split()))
        if np is None:
            return RuPhrase(text, (), (), "other")
        nps.append(np)
    seps = [", " if "," in s else " и " for s in seps]
    return RuPhrase(text, tuple(nps), tuple(seps), "noun")


def ru_coordinate(phrases: list[RuPhrase], case: str = "nomn") -> str:
    """``A, B и C`` with every member in ``case``."""
    forms = [p.form(case) for p in phrases]
    if len(forms) <= 1:
        return "".join(forms)
    return ", ".join(forms[:-1]) + " и " + forms[-1]


# --- Russian: words that agree -------------------------------------------------------------

_PRONOUNS = {
    # case: (masc, femn, neut, plur); after a preposition the н-forms are used
    "nomn": ("он", "она", "оно", "они"),
    "gent": ("его", "её", "его", "их"),
    "datv": ("ему", "ей", "ему", "им"),
    "accs": ("его", "её", "его", "их"),
    "ablt": ("им", "ей", "им", "ими"),
    "loct": ("нём", "ней", "нём", "них"),
}
_AFTER_PREP = {
    "его": "него",
    "её": "неё",
    "ему": "нему",
    "ей": "ней",
    "их": "них",
    "им": "ним",
    "ими": "ними",
}
_POSSESSIVE = {"masc": "его", "femn": "её", "neut": "его", None: "их"}
RU_PREPOSITIONS = frozenset(
    "без в во для до за из изо к ко между на над о об обо от перед по под при про с со у через"
    " сквозь среди вокруг внутри около возле после из-за из-под".split()
)


def _slot(gender: str | None, number: str) -> int:
    if number == "plur" or gender is None:
        return 3
    return {"masc": 0, "femn": 1, "neut": 2}.get(gender, 2)


def ru_pronoun(
    gender: str | None, number: str, case: str = "nomn", *, after_prep: bool = False
) -> str:
    """он/она/оно/они in a case; after a preposition the н-form (``с ней``, ``в нём``)."""
    word = _PRONOUNS[case][_slot(gender, number)]
    return _AFTER_PREP.get(word, word) if after_prep else word


def ru_possessive(gender: str | None, number: str) -> str:
    return _POSSESSIVE[gender if number == "sing" else None]


@lru_cache(maxsize=5_000)
def ru_verb(lemma: str, tense: str, gender: str | None, number: str) -> str:
    """A verb (given as its infinitive) agreeing with its subject: ``past`` by gender and
    number (``стала``), ``pres`` and ``futr`` in the third person by number (``становятся``)."""
    infn = [p for p in _parses(lemma) if p.tag.POS == "INFN"]
    if not infn:
        raise ValueError(f"not an infinitive: {lemma!r}")
    g: set[str] = {tense}
    if tense == "past":
        g |= {"plur"} if number == "plur" else {"sing", gender or "neut"}
    else:
        g |= {"3per", number}
    for p in infn:
        got = p.inflect(g)
        if got is not None:
            return got.word
    raise ValueError(f"cannot put {lemma!r} in {sorted(g)}")


@lru_cache(maxsize=5_000)
def ru_adjective(
    lemma: str,
    gender: str | None,
    number: str,
    case: str = "nomn",
    *,
    animate: bool = False,
    short: bool = False,
) -> str:
    """An adjective or participle (given in the masculine nominative) agreeing with a noun;
    ``short`` gives the short form (``связана``, ``полны``), which has no case."""
    pos = ("ADJS", "PRTS") if short else ("ADJF", "PRTF")
    g: set[str] = {number}
    if not short:
        g.add(case)
    if number == "sing":
        g.add(gender or "neut")
    if not short and case == "accs" and (number == "plur" or gender == "masc"):
        g.add("anim" if animate else "inan")
    parses = _parses(lemma)
    if short:  # a participle's short form (``смешаны``), not the adjective's (``смешанны``)
        parses = tuple(sorted(parses, key=lambda p: p.tag.POS not in ("PRTF", "PRTS")))
    for p in parses:
        if p.tag.POS not in ("ADJF", "PRTF", "ADJS", "PRTS"):
            continue
        want = set(g)
        if short:
            want.add("PRTS" if p.tag.POS in ("PRTF", "PRTS") else "ADJS")
        got = p.inflect(want)
        if got is not None and got.tag.POS in pos:
            return got.word
    raise ValueError(f"cannot agree {lemma!r} with {gender} {number} {case}")


def ru_fix_prepositions(words: list[str]) -> list[str]:
    """в/с/к/о before the words that want во/со/ко/об: ``со свечой``, ``во времени``,
    ``об огне``; the rules of the ordinary written norm, by the next word's first letters."""
    out = list(words)
    consonants = "бвгджзйклмнпрстфхцчшщ"
    for i in range(len(out) - 1):
        w, nxt = out[i], out[i + 1].casefold()
        low = w.casefold()
        if not nxt:
            continue
        two = nxt[:2]
        repl = None
        if low == "с" and (
            (nxt[0] in "сзшж" and len(nxt) > 1 and nxt[1] in consonants)
            or nxt[0] == "щ"
            or two in ("мн", "вс", "вт", "ль")
        ):
            repl = "со"
        elif low == "в" and nxt[0] in "вф" and len(nxt) > 1 and nxt[1] in consonants:
            repl = "во"
        elif low == "к" and two in ("мн", "вс", "вт"):
            repl = "ко"
        elif low == "о" and nxt[0] in "аиоуэ":
            repl = "об"
        if repl is not None:
            out[i] = _keep_case(w, repl)
    return out


# --- English -------------------------------------------------------------------------------

# Nouns used without an article when they name the thing in general: substances, elements,
# weather, states and feelings. Abstract suffixes (below) cover most of the rest.
EN_MASS = frozenset(
    """
    air ash blood calm chaos cold darkness dust earth fear fire fog frost gloom gold heat
    heaviness hush lead life light lightning love matter mercury mist peace rain salt silence
    silver speech substance thought work foresight time water will wisdom winter meaning sense
    order law justice measure growth truth death rebirth breath chance expectation waiting
    memory tradition heritage kinship drive insight vision tenderness dread turmoil feeling
    fright unity harmony equilibrium exchange direction support perfection fullness
    infinity nothingness emptiness solitude fate history nature
    """.split()
)
# Count nouns that name the one such thing there is: "the sun".
EN_UNIQUE = frozenset("sun moon cosmos universe world sky heavens dawn daybreak".split())
EN_ABSTRACT_SUFFIXES = (
    "ness",
    "ity",
    "ty",
    "tion",
    "sion",
    "ment",
    "ence",
    "ance",
    "dom",
    "hood",
    "ship",
    "ism",
    "th",
    "ing",
)
# Count nouns the suffixes would wrongly make mass.
EN_COUNT = frozenset(
    """
    question answer station nation ship hardship month path bath beginning being ring
    string thing king wing spring offering building crossing painting teeth moth cloth
    mechanism fragment entrance hearth instrument moment element segment
    """.split()
)
EN_PARTICLES = frozenset("out up down off away over".split())
EN_DETERMINERS = frozenset(
    "a an the this that these those my your his her its our their what which whose some any"
    " no every each all".split()
)
# Vowel letters that sound as a consonant ("a unicorn", "a one") and silent h ("an hour").
_EN_YOU = regex.compile(r"^(?:uni|use|usu|usa|ura|ure|uro|utop|eu|ewe|one|once|uk)", regex.I)
_EN_SILENT_H = regex.compile(r"^(?:hour|honest|honou?r|heir)", regex.I)
EN_IRREGULAR_PLURALS = {
    "child": "children",
    "man": "men",
    "woman": "women",
    "foot": "feet",
    "tooth": "teeth",
    "mouse": "mice",
    "person": "people",
    "leaf": "leaves",
    "life": "lives",
    "knife": "knives",
    "wolf": "wolves",
    "half": "halves",
    "self": "selves",
    "thief": "thieves",
}
_EN_PLURAL_ONLY = frozenset("lungs footsteps scissors opposites waters ashes".split())


def en_indefinite(word: str) -> str:
    """``a`` or ``an`` by the sound of ``word``: vowel letters take ``an`` except where they
    sound as /j/ or /w/ (``a unicorn``, ``a one``); ``h`` takes ``a`` except when silent
    (``an hour``, ``an honest``)."""
    w = word.strip().lstrip("«\"'(")
    if not w:
        return "a"
    if _EN_SILENT_H.match(w):
        return "an"
    if _EN_YOU.match(w):
        return "a"
    return "an" if w[0].lower() in "aeiou" else "a"


@dataclass(frozen=True)
class EnPhrase:
    """An English gloss as the renderers use it."""

    text: str
    head: str
    plural: bool
    mass: bool
    unique: bool
    determined: bool  # begins with its own determiner ("the living", "a breath like ...")
    pos: str  # "noun" | "connective" | "other"

    @property
    def number(self) -> str:
        return "plur" if self.plural else "sing"

    def with_article(self, definite: bool) -> str:
        """The phrase with the article it takes: none for mass nouns, plurals and phrases
        that bring their own; ``the`` for a known or unique thing; else ``a``/``an``."""
        if self.determined or self.pos != "noun":
            return self.text
        if self.unique:
            return "the " + self.text
        if self.mass or self.plural:
            return self.text
        if definite:
            return "the " + self.text
        return f"{en_indefinite(self.text)} {self.text}"


# Finite verbs that make a gloss a clause rather than a noun phrase ("matter passes through
# fire into transformation"): a small list is enough for glosses, which are mostly nouns.
EN_CLAUSE_VERBS = frozenset(
    "is are was were passes pass turn turns grows grow becomes become remains remain comes"
    " goes gives makes holds answered".split()
)
_EN_CONNECTIVES = frozenset("because therefore thus hence so since consequently".split())
_EN_WH = frozenset("what who which where when why how whether".split())


def en_is_mass(word: str) -> bool:
    """The documented heuristic: listed mass nouns (the seed's own, then the common nouns
    ``data/en_mass_nouns.txt`` holds: milk, honey, rice), else abstract suffixes, minus the
    listed count nouns."""
    w = word.casefold()
    if w in EN_COUNT:
        return False
    if w in EN_MASS or w in _mass_nouns():
        return True
    return len(w) > 4 and w.endswith(EN_ABSTRACT_SUFFIXES)


@cache
def _mass_nouns() -> frozenset[str]:
    """Common English nouns used without a plural, derived from word frequencies and WordNet
    by ``scripts/mass_nouns.py`` (never typed by hand; a test rebuilds and compares)."""
    text = MASS_NOUNS.read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _en_plural_word(w: str) -> bool:
    w = w.casefold()
    if w in _EN_PLURAL_ONLY:
        return True
    if not w.endswith("s") or w.endswith(("ss", "us", "is", "os")) or en_is_mass(w):
        return False
    import simplemma

    return simplemma.lemmatize(w, lang="en").casefold() != w


@lru_cache(maxsize=20_000)
def en_phrase(text: str) -> EnPhrase:
    text = " ".join(text.split())
    words = [w.casefold() for w in _WORD.findall(text)]
    if not words:
        return EnPhrase(text, "", False, False, False, True, "other")
    if all(w in _EN_CONNECTIVES for w in words):
        return EnPhrase(text, words[0], False, False, False, True, "connective")
    if any(ch in text for ch in ",?:;!") or words[0] in _EN_WH:
        return EnPhrase(text, words[0], False, False, False, True, "other")
    if any(w in EN_CLAUSE_VERBS for w in words[1:]):
        return EnPhrase(text, words[0], False, False, False, True, "other")
    cut = next((i for i, w in enumerate(words) if i > 0 and w in EN_PREPOSITIONS), len(words))
    core = words[:cut]
    if "and" in core[1:-1]:
        return EnPhrase(text, core[-1], True, False, False, False, "noun")
    head = core[-1]
    if len(core) > 1 and (head in EN_PARTICLES or head.endswith("ed")):
        head = core[-2] if head.endswith("ed") else core[0]  # "time run out", "thought carried"
    determined = words[0] in EN_DETERMINERS
    plural = _en_plural_word(head)
    return EnPhrase(
        text,
        head,
        plural,
        en_is_mass(head),
        head in EN_UNIQUE and len(core) == 1,
        determined,
        "noun",
    )


def en_coordinate(items: list[str]) -> str:
    """``a, b and c`` (no serial comma: the seed's own glosses write it so)."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def en_verb(lemma: str, plural: bool) -> str:
    """Third person present agreeing in number: ``becomes``/``become``, ``is``/``are``.
    A phrasal verb agrees on its first word (``turns into``)."""
    first, _, rest = lemma.partition(" ")
    if plural:
        word = {"be": "are"}.get(first, first)
    else:
        word = {"be": "is", "have": "has", "do": "does", "go": "goes"}.get(first)
        if word is None:
            if first.endswith(("s", "x", "z", "ch", "sh", "o")):
                word = first + "es"
            elif first.endswith("y") and len(first) > 1 and first[-2] not in "aeiou":
                word = first[:-1] + "ies"
            else:
                word = first + "s"
    return f"{word} {rest}".strip()


def en_pronoun(plural: bool, role: str = "subj") -> str:
    """it/they, it/them, its/their, itself/themselves."""
    table = {
        "subj": ("it", "they"),
        "obj": ("it", "them"),
        "poss": ("its", "their"),
        "self": ("itself", "themselves"),
    }
    return table[role][1 if plural else 0]


def en_plural(noun: str) -> str:
    if noun in EN_IRREGULAR_PLURALS:
        return EN_IRREGULAR_PLURALS[noun]
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


# --- both ----------------------------------------------------------------------------------


def syllables(text: str) -> int:
    """Vowel letters: the syllable count of Russian exactly, of English roughly (a silent final
    e and vowel pairs are folded). Enough to keep a poem's lines near one length."""
    low = text.casefold()
    ru = len(regex.findall(r"[аеёиоуыэюя]", low))
    en_words = regex.findall(r"[a-z]+", low)
    en = 0
    for w in en_words:
        groups = regex.findall(r"[aeiouy]+", w)
        n = len(groups)
        if w.endswith("e") and n > 1 and not w.endswith(("le", "ee")):
            n -= 1
        en += max(1, n)
    return ru + en
