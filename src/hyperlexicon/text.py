"""Text normalization for forms and glosses, grapheme clusters, and mojibake repair.

A form is compared by its *key*: NFC, emoji presentation selectors folded (``⚠️`` is ``⚠``),
the increment sign folded into Greek delta (``∆-x`` is ``Δ-x``), whitespace collapsed,
case folded. The displayed form keeps what the author wrote (after NFC).

What a form may hold is judged with the Unicode tables of the ``regex`` package, not the
running Python's ``unicodedata``: regex follows each Unicode release within weeks, while
Python 3.11 stays at Unicode 14 and called every emoji of the years since "unassigned". A form
may not hold an invisible character (a look-alike of another form); see ``invisible_in``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

from .errors import BadInputError

_WS = regex.compile(r"\s+")
_GRAPHEME = regex.compile(r"\X")
_WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}\p{Nd}'’-]*")
_CYRILLIC = regex.compile(r"\p{Cyrillic}")
_LATIN = regex.compile(r"\p{Latin}")

MAX_FORM = 200
MAX_TEXT = 1000
MAX_NOTES = 10_000


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def graphemes(text: str) -> list[str]:
    """Split into user-perceived characters, so ``👨‍👩‍👧`` and ``⚠️`` stay whole."""
    return _GRAPHEME.findall(text)


# --- invisible characters -----------------------------------------------------------------
#
# Unicode's invisible characters are its Default_Ignorable_Code_Point set (DerivedCoreProperties:
# ZWSP, ZWJ, ZWNJ, word joiner, LRM/RLM/ALM, the bidi embeddings, overrides and isolates,
# invisible operators, BOM, soft hyphen, CGJ, variation selectors, tag characters, Hangul
# fillers, ...) and the other format characters (Cf: interlinear annotation marks, ...), less
# the prepended concatenation marks (U+0600 ARABIC NUMBER SIGN, ...), which are drawn. The
# tables are regex's, of the Unicode version it was built with.
_INVISIBLE = regex.compile(
    r"[[\p{Default_Ignorable_Code_Point}\p{Cf}]--\p{Prepended_Concatenation_Mark}]",
    regex.VERSION1,
)
# Where one is part of what is written, it is kept:
# - VS15/VS16 anywhere (they choose text or emoji presentation, and fold in the key);
_SELECTORS = regex.compile(r"[\ufe0e\ufe0f]")
# - a ZWJ between two pictographs: an emoji ZWJ sequence (UTS #51), 👨‍👩‍👧, 🏳️‍🌈, 🧑🏽‍🚀;
_EMOJI_ZWJ = regex.compile(
    r"(?<=\p{Extended_Pictographic}[\ufe0e\ufe0f]?\p{Emoji_Modifier}?)\u200d"
    r"(?=\p{Extended_Pictographic})"
)
# - tag characters of an emoji tag sequence (UTS #51): a pictograph, tags, CANCEL TAG (🏴󠁧󠁢󠁳󠁣󠁴󠁿);
_EMOJI_TAGS = regex.compile(
    r"(?<=\p{Extended_Pictographic}[\ufe0f\p{Emoji_Modifier}]?)"
    r"[\U000e0020-\U000e007e]+\U000e007f"
)
# - ZWJ and ZWNJ where they shape a script, as IDNA allows them (RFC 5892, appendix A.1, A.2):
#   after a virama, and ZWNJ between letters that would otherwise join (Persian, Arabic, ...).
_AFTER_VIRAMA = regex.compile(r"(?<=\p{Canonical_Combining_Class=Virama})[\u200c\u200d]")
_ZWNJ_JOINING = regex.compile(
    r"(?<=[\p{Joining_Type=Left_Joining}\p{Joining_Type=Dual_Joining}]"
    r"\p{Joining_Type=Transparent}*)\u200c"
    r"(?=\p{Joining_Type=Transparent}*[\p{Joining_Type=Right_Joining}\p{Joining_Type=Dual_Joining}])"
)
_KEPT = (_SELECTORS, _EMOJI_ZWJ, _EMOJI_TAGS, _AFTER_VIRAMA, _ZWNJ_JOINING)
_BIDI = regex.compile(r"\p{Bidi_Control}")
_VARIATION = regex.compile(r"\p{Variation_Selector}")
_NONCHARACTER = regex.compile(r"\p{Noncharacter_Code_Point}")
_SURROGATE = regex.compile(r"[\ud800-\udfff]")
# a character something is drawn for: not a separator, control, format, surrogate or ignorable
# (private-use characters are drawn by the font that gives them; an unassigned code point may
# be a character newer than the tables, and is not taken for invisible)
_VISIBLE = regex.compile(
    r"[[^\p{Z}\p{Cc}\p{Cf}\p{Cs}\p{Default_Ignorable_Code_Point}]"
    r"||\p{Prepended_Concatenation_Mark}]",
    regex.VERSION1,
)


def surrogate_problem(text: str) -> str | None:
    """``holds U+D83D, a lone surrogate``, or None. JSON can escape half a pair ("\\ud83d");
    no database or file can store one, so every way in refuses it with this one rule."""
    found = _SURROGATE.search(text)
    return f"holds {char_name(found.group())}, a lone surrogate" if found else None


def char_name(ch: str) -> str:
    """``U+200B ZERO WIDTH SPACE``: the code point and, where the tables know it, its name."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def _kept_positions(text: str) -> set[int]:
    kept: set[int] = set()
    for pattern in _KEPT:
        for m in pattern.finditer(text):
            kept.update(range(m.start(), m.end()))
    return kept


def invisible_in(text: str) -> list[tuple[int, str]]:
    """The invisible characters of ``text`` (index, character) that are not part of an emoji
    sequence or of a script's shaping: what makes ``🜂\\u200b`` a look-alike of ``🜂``."""
    if not _INVISIBLE.search(text):
        return []
    kept = _kept_positions(text)
    return [(m.start(), m.group()) for m in _INVISIBLE.finditer(text) if m.start() not in kept]


def _what(ch: str) -> str:
    if _BIDI.match(ch):
        return "a bidirectional control"
    if "\U000e0000" <= ch <= "\U000e007f":
        return "a tag character outside an emoji tag sequence"
    if ch == "\u200d":
        return "an invisible character outside an emoji ZWJ sequence"
    if ch == "\u200c":
        return "an invisible character outside a joining script"
    if _VARIATION.match(ch):
        return "a variation selector other than VS15/VS16"
    return "an invisible character"


def form_problem(form: str) -> str | None:
    """Why ``form`` may not be a form (``holds U+200B ZERO WIDTH SPACE, an invisible
    character``), or None. The one rule, for new forms and for ``doctor`` on stored ones."""
    if not isinstance(form, str) or not form:
        return "is empty"
    for pattern, what in (
        (_SURROGATE, "a lone surrogate"),
        (_NONCHARACTER, "a noncharacter"),
    ):
        found = pattern.search(form)
        if found:
            return f"holds {char_name(found.group())}, {what}"
    if has_control(form):
        return "contains a control character"
    hidden = invisible_in(form)
    if hidden:
        at, ch = hidden[0]
        where = f" (character {at + 1})" if len(form) > 1 else ""
        return f"holds {char_name(ch)}{where}, {_what(ch)}"
    if not _VISIBLE.search(form):
        return "has no visible characters"
    return None


def without_invisible(text: str) -> str:
    """``text`` less the invisible characters ``invisible_in`` finds."""
    hidden = {i for i, _ in invisible_in(text)}
    return "".join(ch for i, ch in enumerate(text) if i not in hidden) if hidden else text


def strip_invisible(
    text: str, where: str, *, repair: bool, repairs: list[Repair], allow_newlines: bool = False
) -> str:
    """Remove invisible characters from a text field (a gloss, a meaning, an example), where
    Unicode says they are ignorable: recorded as a repair; refused when repair is off. A form
    is never repaired so: ``clean_form`` refuses them."""
    hidden = invisible_in(text)
    if not hidden:
        return text
    names = ", ".join(dict.fromkeys(char_name(ch) for _, ch in hidden))
    if not repair:
        raise BadInputError(f"{where}: holds {names}, invisible")
    fixed = without_invisible(text)
    fixed = fixed.strip() if allow_newlines else _WS.sub(" ", fixed).strip()
    if not fixed:
        raise BadInputError(f"{where}: has only invisible characters ({names})")
    repairs.append(Repair(where, text, fixed, names, kind="invisible"))
    return fixed


@dataclass(frozen=True)
class LookAlike:
    """A stored form that the rules of today refuse, or stored forms that are one form once
    their invisible characters are removed (``🜂`` and ``🜂\\u200b``): ``doctor``'s findings."""

    ids: tuple[int, ...]
    forms: tuple[str, ...]
    problem: str

    def describe(self) -> str:
        shown = " and ".join(
            f"{f!r} (entry {i})" for i, f in zip(self.ids, self.forms, strict=True)
        )
        return (
            f"form {shown}: {self.problem}"
            if len(self.ids) == 1
            else f"forms {shown}: {self.problem}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {"ids": list(self.ids), "forms": list(self.forms), "problem": self.problem}


def look_alikes(forms: Iterable[tuple[int, str]]) -> list[LookAlike]:
    """Check stored ``(id, form)`` pairs: each form that ``form_problem`` refuses, then each
    group of forms whose keys are equal once invisible characters are removed."""
    found: list[LookAlike] = []
    groups: dict[str, list[tuple[int, str]]] = {}
    for entry_id, form in forms:
        problem = form_problem(form)
        if problem:
            found.append(LookAlike((entry_id,), (form,), problem))
        groups.setdefault(form_key(without_invisible(form)), []).append((entry_id, form))
    for group in groups.values():
        if len(group) > 1:
            ids, texts = zip(*group, strict=True)
            found.append(
                LookAlike(ids, texts, "the same form once invisible characters are removed")
            )
    return found


def has_control(text: str, *, allow_newlines: bool = False) -> bool:
    for ch in text:
        if unicodedata.category(ch) == "Cc" and not (allow_newlines and ch in "\n\t\r"):
            return True
    return False


def clean_text(
    text: object,
    where: str,
    *,
    max_len: int = MAX_TEXT,
    allow_newlines: bool = False,
    allow_empty: bool = False,
) -> str:
    """NFC, trimmed, inner whitespace collapsed (unless newlines are allowed); refuse junk."""
    if not isinstance(text, str):
        raise BadInputError(f"{where}: expected text, got {type(text).__name__}")
    surrogate = surrogate_problem(text)
    if surrogate:
        raise BadInputError(f"{where}: {surrogate}")
    text = nfc(text)
    if has_control(text, allow_newlines=allow_newlines):
        raise BadInputError(f"{where}: contains a control character")
    text = text.strip() if allow_newlines else _WS.sub(" ", text).strip()
    if not text and not allow_empty:
        raise BadInputError(f"{where}: is empty")
    if len(text) > max_len:
        raise BadInputError(f"{where}: longer than {max_len} characters ({len(text)})")
    return text


def clean_form(form: object, where: str = "form") -> str:
    """A form as stored: ``clean_text``, then refused if it holds a noncharacter or an
    invisible character outside an emoji sequence (``form_problem``), or nothing visible."""
    form = clean_text(form, where, max_len=MAX_FORM)
    problem = form_problem(form)
    if problem:
        raise BadInputError(f"{where}: {problem}")
    return form


def form_key(form: str) -> str:
    """The comparison key of a form: unique per lexicon.

    A short form's key is kept: an encode asks the keys of every n-gram of its text (150 for a
    20-word sentence), mostly the same words as the encode before. Made afresh, a key takes
    1.8 microseconds (10 with ``str.translate`` tables and a ``regex`` substitution, which
    are slow on text outside ASCII); kept, 0.3."""
    if len(form) <= KEY_KEPT_LENGTH:
        return _kept_form_key(form)
    return _form_key(form)


KEY_KEPT_LENGTH = 64  # longer forms (a text's windows, a whole hyperstring) are not kept


def _form_key(form: str) -> str:
    text = nfc(form)
    # variation selectors 15 and 16 choose text or emoji presentation, which does not change
    # meaning: dropped; the increment sign is Δ. (No translation table: slow outside ASCII.)
    if "\ufe0e" in text or "\ufe0f" in text:
        text = text.replace("\ufe0e", "").replace("\ufe0f", "")
    if "∆" in text:
        text = text.replace("∆", "Δ")
    if "\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text:
        # the information separators: whitespace to ``str.split``, not to ``\s``
        return _WS.sub(" ", text).strip().casefold()
    return " ".join(text.split()).casefold()


_kept_form_key = lru_cache(maxsize=65_536)(_form_key)


def words(text: str) -> list[str]:
    """Letter tokens of a text, in order (glyphs and punctuation are not words)."""
    return _WORD.findall(text)


def word_spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def dominant_script(text: str) -> str | None:
    """The language most of a text's words are written in, by script (ru or en); Δ-codes
    are names, not words of a language."""
    counts: dict[str, int] = {}
    for word in words(text):
        lang = None if word[0] in "Δ∆" else script_language(word)
        if lang:
            counts[lang] = counts.get(lang, 0) + 1
    return max(sorted(counts), key=lambda lang: counts[lang]) if counts else None


def script_language(word: str) -> str | None:
    """Guess the language of one word from its script: Cyrillic is ru, Latin is en."""
    if _CYRILLIC.search(word):
        return "ru"
    if _LATIN.search(word):
        return "en"
    return None


# --- mojibake -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Repair:
    where: str
    before: str
    after: str
    how: str
    kind: str = "mojibake"  # or "invisible": invisible characters removed from a text

    def describe(self) -> str:
        before, after = self.before[:40], self.after[:40]
        what = "repaired mojibake" if self.kind == "mojibake" else "removed invisible characters"
        return f"{self.where}: {what} ({self.how}): {before!r} -> {after!r}"


@lru_cache(maxsize=1)
def _ftfy_config():
    import ftfy

    # Only undo encoding mix-ups; every other "fix" of ftfy would change legitimate text.
    return ftfy.TextFixerConfig(
        unescape_html=False,
        remove_terminal_escapes=False,
        fix_encoding=True,
        restore_byte_a0=True,
        replace_lossy_sequences=False,
        decode_inconsistent_utf8=True,
        fix_c1_controls=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        uncurl_quotes=False,
        fix_line_breaks=False,
        fix_surrogates=False,
        remove_control_chars=False,
        normalization=None,
        explain=True,
    )


_SUSPECT = regex.compile(r"[\u0080-\u00ff\u0400-\u045f\u2018-\u203a\u0152-\u02dc√∂ƒ∆«»…–—]")


_ENCODINGS = (("cp1251", "cp1251"), ("mac_roman", "Mac Roman"), ("latin-1", "latin-1"))


def detect_mojibake(text: str) -> tuple[str, str] | None:
    """If ``text`` is UTF-8 read as cp1251, latin-1 or Mac Roman, return (repaired, how).

    Clean text is decided without loading ftfy: mojibake of UTF-8 always contains characters
    from the Latin-1 / Cyrillic / typographic ranges. ftfy's heuristics catch the sloppy cases
    (bytes a codec has no character for); a strict round trip through each codec catches the
    ones its heuristics miss (Cyrillic read as Mac Roman, for one). A legitimate text almost
    never survives ``encode(codec).decode("utf-8")`` unchanged in meaning, so success there
    is strong evidence.
    """
    if text.isascii() or not _SUSPECT.search(text):
        return None
    import ftfy

    fixed = ftfy.fix_and_explain(text, config=_ftfy_config())
    steps = [step for step in (fixed.explanation or []) if step[0] in ("encode", "decode")]
    if steps and fixed.text != text:
        encodings = [name for op, name in steps if op == "encode"]
        return nfc(fixed.text), "UTF-8 read as " + "/".join(
            e.replace("sloppy-windows-", "cp") for e in encodings
        )
    current, hows = text, []
    for _ in range(2):  # text garbled twice is garbled twice
        for codec, label in _ENCODINGS:
            try:
                candidate = current.encode(codec).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if candidate != current:
                current = candidate
                hows.append(label)
                break
        else:
            break
    if not hows:
        return None
    return nfc(current), "UTF-8 read as " + "/".join(hows)


def repair_text(text: str, where: str, *, repair: bool, repairs: list[Repair]) -> str:
    """Repair mojibake in place (recording it), or refuse it when repair is off."""
    found = detect_mojibake(text)
    if found is None:
        return text
    fixed, how = found
    if not repair:
        raise BadInputError(f"{where}: looks like mojibake ({how}): {text[:40]!r}")
    repairs.append(Repair(where, text, fixed, how))
    return fixed
