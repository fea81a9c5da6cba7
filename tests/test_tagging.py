"""The English tagger: the compiled weights tag as the weights themselves do, the weights are
checked before they are read, and a verb is told from the thing it spells in context."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from hyperlexicon import tagging
from hyperlexicon.errors import ConfigError
from hyperlexicon.morphology import english_verb_forms

SENTENCES = [
    "We watch the birds at the feeder every morning .",
    "My watch stopped at noon .",
    "Birds fly south before winter comes .",
    "A fly landed on the soup , and everyone laughed .",
    "Prices rose sharply after the 2008 storm .",
    "He struck a match to light the well-worn candle .",
    "I can't bear the music from next door any longer !",
]


def _reference(words: list[str]) -> list[str]:
    """The averaged perceptron as trained, on the weights in memory (no SQLite)."""
    weights, tagdict, classes = tagging._read_weights()
    context = [*tagging.START, *(tagging._normalize(w) for w in words), *tagging.END]
    prev, prev2 = tagging.START
    out = []
    for i, word in enumerate(words):
        found = tagdict.get(word)
        if not found:
            scores = dict.fromkeys(classes, 0.0)
            for feature in tagging._features(i + 2, word, context, prev, prev2):
                for label, weight in weights.get(feature, {}).items():
                    scores[label] += weight
            found = max(classes, key=lambda label: (scores[label], label))
        out.append(found)
        prev2, prev = prev, found
    return out


@pytest.mark.parametrize("sentence", SENTENCES)
def test_the_compiled_tagger_tags_as_the_weights_do(sentence: str) -> None:
    words = sentence.split()
    assert tagging.tag(words) == _reference(words)


def test_it_is_compiled_once_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLEXICON_CACHE_DIR", str(tmp_path))
    tagging._model.cache_clear()
    try:
        assert tagging.tag(["We", "watch", "birds"])[1] == "VBP"
        [compiled] = (tmp_path / "tagger").glob("*.sqlite3")
        tagging._model.cache_clear()
        monkeypatch.setattr(tagging, "_read_weights", lambda: pytest.fail("read again"))
        assert tagging.tag(["My", "watch", "stopped"])[1] == "NN"
        compiled.write_bytes(b"not a database")  # damaged: compiled again, not trusted
        tagging._model.cache_clear()
        monkeypatch.undo()
        monkeypatch.setenv("HYPERLEXICON_CACHE_DIR", str(tmp_path))
        assert tagging.tag(["Birds", "fly", "south"])[1] == "VBP"
    finally:
        tagging._model.cache_clear()


def test_weights_of_another_digest_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HYPERLEXICON_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tagging, "SHA256", "0" * 64)
    tagging._model.cache_clear()
    try:
        with pytest.raises(tagging.TaggerUnavailable, match="unexpected weights"):
            tagging.tag(["a", "test"])
        with pytest.raises(ConfigError):  # one line and exit 2 from the command line
            tagging.tag(["a", "test"])
    finally:
        tagging._model.cache_clear()


def test_the_weights_may_build_nothing_but_sets() -> None:
    import io

    evil = pickle.dumps(print)  # a global other than set
    with pytest.raises(pickle.UnpicklingError, match="not allowed"):
        tagging._OnlySets(io.BytesIO(evil)).load()
    assert tagging._OnlySets(io.BytesIO(pickle.dumps({"a", "b"}))).load() == {"a", "b"}


@pytest.mark.parametrize(
    "sentence, verbs",
    [
        ("The tide rose quickly", [False, False, True, False]),
        ("She gave me a red rose", [False, True, False, False, False, False]),
        ("We watch the birds", [False, True, False, False]),
        ("My watch stopped", [False, False, True]),
        ("Birds fly south", [False, True, False]),
        ("a can of beans", [False, False, False, False]),
        ("Don't cry", [True, True]),
        ("I can't sleep", [False, True, True]),
        ("The church bell rang at noon", [False, False, False, True, False, False]),
        # the tagger reads a noun after ", and" as a verb; a word with no verb reading is none
        (
            "jam on the table , and grandpa brought pickles",
            [False, False, False, False, False, False, False, True, False],
        ),
        # a base form nothing calls for is a thing among things; a modal, "to", another
        # verb, an auxiliary or the clause's start call for one
        ("fire time candle", [False, False, False]),
        ("rain and snow fall", [False, False, False, False]),
        ("You must rest", [False, True, True]),
        ("Please rest", [False, True]),
        ("Don't fear the storm", [True, True, False, False]),
        ("I want to dance", [False, True, False, True]),
    ],
)
def test_a_verb_in_context(sentence: str, verbs: list[bool]) -> None:
    assert english_verb_forms(sentence.split()) == verbs
