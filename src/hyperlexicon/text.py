"""Text normalization for forms and glosses, grapheme clusters, and mojibake repair.

A form is compared by its *key*: NFC, emoji presentation selectors folded (``⚠️`` is ``⚠``),
the increment sign folded into Greek delta (``∆-x`` is ``Δ-x``), whitespace collapsed,
case folded. The displayed form keeps what the author wrote (after NFC).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex

from .errors import BadInputError

# Variation selectors 15 and 16 choose text or emoji presentation; they do not change meaning.
_PRESENTATION = dict.fromkeys(map(ord, "\ufe0e\ufe0f"))
_KEY_FOLDS = {ord("∆"): "Δ"}
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


def fold_presentation(text: str) -> str:
    return text.translate(_PRESENTATION)


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
    form = clean_text(form, where, max_len=MAX_FORM)
    if not any(unicodedata.category(ch)[0] not in "ZC" for ch in fold_presentation(form)):
        raise BadInputError(f"{where}: has no visible characters")
    return form


def form_key(form: str) -> str:
    """The comparison key of a form: unique per lexicon."""
    text = fold_presentation(nfc(form)).translate(_KEY_FOLDS)
    return _WS.sub(" ", text).strip().casefold()


def words(text: str) -> list[str]:
    """Letter tokens of a text, in order (glyphs and punctuation are not words)."""
    return _WORD.findall(text)


def word_spans(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


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

    def describe(self) -> str:
        before, after = self.before[:40], self.after[:40]
        return f"{self.where}: repaired mojibake ({self.how}): {before!r} -> {after!r}"


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
