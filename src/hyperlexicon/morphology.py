"""Lemmas for Russian (pymorphy3 with its bundled dictionaries) and English (simplemma).

Both work offline. Lemmas let ``страха`` and ``страхом`` find ``страх``, and ``storms`` find
``storm``. The analyzers load on first use (about 0.1 s), never at import time.
"""

from __future__ import annotations

from functools import lru_cache

from .text import script_language, words


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
        return _morph().parse(word)[0].normal_form.replace("ё", "е")
    if lang == "en" and script_language(word) == "en":
        import simplemma

        return simplemma.lemmatize(word, lang="en").casefold()
    return word


def lemmas(text: str, lang: str | None = None) -> list[str]:
    """Lemmas of every word in ``text``, in order."""
    return [lemma(w, lang) for w in words(text)]


def lemma_key(text: str, lang: str | None = None) -> str:
    """One string per text for indexed equality: its lemmas joined by single spaces."""
    return " ".join(lemmas(text, lang))
