"""English part-of-speech tags: which words of a sentence are verbs here ("We *watch* the
birds", "Birds *fly* south") and which the things they also spell.

The tagger is Matthew Honnibal's greedy averaged perceptron (about 97% on the Wall Street
Journal), with the weights the ``textblob-aptagger`` distribution ships: the only trained
English tagger found that installs from the package registry with its weights (spaCy's and
NLTK's models download from elsewhere at run time). Its code is not imported (it would import
TextBlob and NLTK): the weights file is read once, checked against its known digest,
unpickled allowing nothing but the builtin ``set``, and compiled into a small SQLite file in
the cache directory, so later processes open it in a millisecond instead of unpickling 94,000
features (0.16 s) and read only the features of the words they tag.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import sqlite3
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigError

log = logging.getLogger(__name__)

DISTRIBUTION = "textblob-aptagger"
WEIGHTS = "textblob_aptagger/trontagger-0.1.0.pickle"
SHA256 = "1109164b3d28dce58f96b763128bab2fd8754c3921fd3330de2724ac6d1ada7c"
FORMAT = 1  # of the compiled file: change it when its tables change

START = ("-START-", "-START2-")
END = ("-END-", "-END2-")
KEPT_FEATURES = 50_000  # the features' weights a process keeps once read
VERB_TAGS = frozenset({"VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "MD"})


class TaggerUnavailable(ConfigError):
    """The weights are not installed or not the ones this module knows: an installation
    that cannot work, said in one line like any other."""


def tag(words: Sequence[str]) -> list[str]:
    """Penn Treebank tags of one sentence's words (tokens as the bridge splits them)."""
    if not words:
        return []
    return _model().tag(list(words))


def _normalize(word: str) -> str:
    # as the weights were trained: hyphenated words, years and numbers are one feature each
    if "-" in word and word[0] != "-":
        return "!HYPHEN"
    if word.isdigit() and len(word) == 4:
        return "!YEAR"
    if word[:1].isdigit():
        return "!DIGITS"
    return word.lower()


def _features(i: int, word: str, context: Sequence[str], prev: str, prev2: str) -> list[str]:
    """The trained model's features of the word at ``context[i]`` (after the two starts)."""
    return [
        "bias",
        f"i suffix {word[-3:]}",
        f"i pref1 {word[:1]}",
        f"i-1 tag {prev}",
        f"i-2 tag {prev2}",
        f"i tag+i-2 tag {prev} {prev2}",
        f"i word {context[i]}",
        f"i-1 tag+i word {prev} {context[i]}",
        f"i-1 word {context[i - 1]}",
        f"i-1 suffix {context[i - 1][-3:]}",
        f"i-2 word {context[i - 2]}",
        f"i+1 word {context[i + 1]}",
        f"i+1 suffix {context[i + 1][-3:]}",
        f"i+2 word {context[i + 2]}",
    ]


class _Model:
    """The compiled weights, read feature by feature."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con
        self._lock = threading.Lock()
        # a feature's weights as the positions of their labels in ``_order`` and the weights
        self._kept: dict[str, tuple[Any, Any]] = {}
        with self._lock:
            self.classes = sorted(t for (t,) in con.execute("SELECT tag FROM classes"))
        # the labels alphabetically last first: the first of equal scores is the one training
        # chose (ties go to the last label)
        self._order = self.classes[::-1]
        self._position = {label: k for k, label in enumerate(self._order)}

    def tag(self, words: list[str]) -> list[str]:
        context = [*START, *(_normalize(w) for w in words), *END]
        with self._lock:
            marks = ",".join("?" * len(words))
            known = dict(
                self._con.execute(f"SELECT word, tag FROM tagdict WHERE word IN ({marks})", words)
            )
        prev, prev2 = START
        tags: list[str] = []
        for i, word in enumerate(words):
            found = known.get(word)
            if found is None:
                found = self._predict(_features(i + len(START), word, context, prev, prev2))
            tags.append(found)
            prev2, prev = prev, found
        return tags

    def _predict(self, features: list[str]) -> str:
        """The label of the highest score, the features' weights summed per label in the
        features' order, as in training (and as floats add there: a label a feature has no
        weight for gets 0.0 added, which changes no sum), as arrays: summed label by label in
        Python, the labelled set's English sentences took 0.41 ms each to tag, 0.29 so."""
        import numpy as np

        scores = np.zeros(len(self._order))
        for feature in features:  # each once: the names differ by their prefix
            positions, weights = self._weights(feature, features)
            scores[positions] += weights
        return self._order[int(scores.argmax())]

    def _weights(self, feature: str, batch: list[str]) -> tuple[Any, Any]:
        """A feature's weights, from the features this process has read before (the common
        ones — the bias, the previous tag, frequent words — come up in every sentence), else
        read from the file together with the rest of ``batch`` it has not read yet."""
        found = self._kept.get(feature)
        if found is not None:
            return found
        missing = [f for f in dict.fromkeys(batch) if f not in self._kept]
        marks = ",".join("?" * len(missing))
        read: dict[str, list[tuple[str, float]]] = {f: [] for f in missing}
        with self._lock:
            for f, label, weight in self._con.execute(
                f"SELECT feature, tag, weight FROM weights WHERE feature IN ({marks})", missing
            ):
                read[f].append((label, weight))
        if len(self._kept) + len(read) > KEPT_FEATURES:
            self._kept.clear()
        import numpy as np

        for f, weights in read.items():
            self._kept[f] = (
                np.array([self._position[label] for label, _ in weights], dtype=np.intp),
                np.array([w for _, w in weights], dtype=np.float64),
            )
        return self._kept[feature]


@lru_cache(maxsize=1)
def _model() -> _Model:
    from .config import cache_dir

    compiled = cache_dir() / "tagger" / f"perceptron-{SHA256[:16]}-f{FORMAT}.sqlite3"
    try:
        return _Model(_open(compiled))
    except (OSError, sqlite3.Error):
        pass  # not compiled yet, or damaged: compile it again
    weights, tagdict, classes = _read_weights()
    try:
        _write(compiled, weights, tagdict, classes)
        return _Model(_open(compiled))
    except (OSError, sqlite3.Error) as exc:  # a read-only cache: keep it in memory
        log.warning("English tagger not cached at %s (%s)", compiled, exc)
        con = sqlite3.connect(":memory:", check_same_thread=False)
        _fill(con, weights, tagdict, classes)
        return _Model(con)


def _open(compiled: Path) -> sqlite3.Connection:
    if not compiled.is_file():
        raise FileNotFoundError(compiled)
    con = sqlite3.connect(f"{compiled.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    con.execute("SELECT 1 FROM weights LIMIT 1").fetchall()  # a damaged file fails here
    return con


class _OnlySets(pickle.Unpickler):
    """The weights are dicts, strings, floats and sets: nothing else may be built."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in (("__builtin__", "set"), ("builtins", "set")):
            return set
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in the tagger's weights")


def _read_weights() -> tuple[dict[str, dict[str, float]], dict[str, str], set[str]]:
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        path = Path(str(distribution(DISTRIBUTION).locate_file(WEIGHTS)))
        raw = path.read_bytes()
    except (PackageNotFoundError, OSError) as exc:
        raise TaggerUnavailable(f"{DISTRIBUTION} is not installed ({exc})") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        raise TaggerUnavailable(f"{path}: unexpected weights (sha256 {digest[:16]}…)")
    weights, tagdict, classes = _OnlySets(io.BytesIO(raw), encoding="latin1").load()
    return weights, tagdict, classes


def _write(
    compiled: Path,
    weights: dict[str, dict[str, float]],
    tagdict: dict[str, str],
    classes: set[str],
) -> None:
    compiled.parent.mkdir(parents=True, exist_ok=True)
    tmp = compiled.with_name(f"{compiled.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        _fill(con, weights, tagdict, classes)
    finally:
        con.close()
    tmp.replace(compiled)


def _fill(
    con: sqlite3.Connection,
    weights: dict[str, dict[str, float]],
    tagdict: dict[str, str],
    classes: set[str],
) -> None:
    con.execute(
        "CREATE TABLE weights (feature TEXT, tag TEXT, weight REAL, PRIMARY KEY (feature, tag))"
        " WITHOUT ROWID"
    )
    con.execute("CREATE TABLE tagdict (word TEXT PRIMARY KEY, tag TEXT) WITHOUT ROWID")
    con.execute("CREATE TABLE classes (tag TEXT PRIMARY KEY) WITHOUT ROWID")
    con.executemany(
        "INSERT INTO weights VALUES (?, ?, ?)",
        ((f, t, w) for f, by_tag in weights.items() for t, w in by_tag.items() if w),
    )
    con.executemany("INSERT INTO tagdict VALUES (?, ?)", tagdict.items())
    con.executemany("INSERT INTO classes VALUES (?)", ((c,) for c in classes))
    con.commit()
