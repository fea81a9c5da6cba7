"""HyperPrompt: a request to meaning (seed section 7.7.4), as a person types it or as JSON.

A HyperBridge request is more than a text: it says what to do with it (encode, decode, ask,
compress), in which register, style and language, which anchors must survive, which lexemes
must or must not appear, and which connectors to try. Flags on a command line carry that badly
(they do not travel in a file, a chat or a log), so a HyperPrompt is one value with two
spellings that round-trip exactly:

* the **text form**, short enough to type::

      decode[poetic, poem, en] =🜂 -🫁 @claude,lexicon: ⚡🜂🫁

  or, with one key per line and a long text after a ``---`` line::

      compress:
      register: logical
      via: claude, lexicon
      ---
      🜂⧖🕯 → ⟁☰☉⚭
      😨🤫

* the **JSON form**, for programs: ``HyperPrompt.to_dict`` / ``HyperPrompt.from_dict``.

``parse`` reads either. Every error is a ``BadInputError`` on one line that says where
(``<prompt>:2:11:`` in the text form, the JSON line and column or the field path in the JSON
form) and what was expected there. The grammar and the field table are in
``docs/hyperprompt.md``.

Every ``HyperPrompt`` is valid and canonical once built (``__post_init__`` checks it): names in
lower case, the text and forms trimmed, line breaks as ``\\n``. That is what makes
``parse(p.to_text()) == p`` and ``HyperPrompt.from_dict(p.to_dict()) == p`` hold for every
prompt, not just for the ones a parser produced.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from .connectors import MODES
from .entry import REGISTERS
from .errors import BadInputError
from .styles import LANGS, STYLES
from .text import MAX_FORM, form_key

__all__ = ["FIELDS", "HyperPrompt", "parse"]

FIELDS = ("mode", "text", "register", "style", "lang", "keep", "require", "exclude", "connectors")
LIST_FIELDS = ("keep", "require", "exclude")
CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    # field: (what it is called in a message, its allowed values)
    "register": ("a register", REGISTERS),
    "style": ("a style", STYLES),
    "lang": ("a language", LANGS),
}

# Header keys of the text form (case-insensitive) -> the field they set. The first key of each
# field is the one to_text writes; the others are accepted because people write them.
KEYS = {
    "register": "register",
    "style": "style",
    "lang": "lang",
    "language": "lang",
    "keep": "keep",
    "require": "require",
    "exclude": "exclude",
    "without": "exclude",
    "via": "connectors",
    "connectors": "connectors",
}
CANONICAL_KEY = {
    "register": "register",
    "style": "style",
    "lang": "lang",
    "keep": "keep",
    "require": "require",
    "exclude": "exclude",
    "connectors": "via",
}
# One-line options after the mode: =keep +require -exclude @connector.
SIGILS = {"=": "keep", "+": "require", "-": "exclude", "@": "connectors"}

BODY_MARK = "---"
_KEY_WORD = re.compile(r"\w+")
_CONNECTOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*\Z")
_QUOTE_IF = frozenset(',":\\')  # besides whitespace: what ends a bare form somewhere
_SHOW_MAX = 40
_MISSING = object()  # a field the JSON form left out: "got nothing", not "got null"

_MODE_LIST = ", ".join(MODES)
_EXPECT_LINE = (
    f"a mode ({_MODE_LIST}) or a key ({', '.join(k for k in KEYS if k in CANONICAL_KEY.values())})"
)
_EXPECT_HOW = (
    "a register, style or language ("
    + "; ".join(", ".join(v) for v in (REGISTERS, STYLES, LANGS))
    + ")"
)
_EXPECT_OPTION = "':' or an option (=keep, +require, -exclude, @connector)"
_EXPECT_CONNECTOR = "a connector name (letters, digits, '_', '.', '-')"


@dataclass
class HyperPrompt:
    """One request to meaning: what to do, with which text, how, and under which constraints.

    ``text`` is the text (encode), the hyperstring (decode), the question (ask) or the scenes,
    one per line (compress). ``keep`` names anchors or forms that must survive the translation,
    ``require`` lexemes that must appear in the result, ``exclude`` lexemes that must not.
    ``connectors`` is the failover chain; empty means the lexicon alone.
    """

    mode: str
    text: str
    register: str | None = None
    style: str | None = None
    lang: str | None = None
    keep: list[str] = field(default_factory=list)
    require: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    connectors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Checked here, not only in the parsers, so that a prompt built in code can always be
        # written out and read back: an invalid value fails where it is made.
        values = _checked({name: getattr(self, name) for name in FIELDS}, "HyperPrompt")
        for name, value in values.items():
            setattr(self, name, value)

    # --- the JSON form ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The JSON form. Every field is present (null or [] when unset): a fixed shape needs
        no defaults on the reading side."""
        return {
            "mode": self.mode,
            "text": self.text,
            "register": self.register,
            "style": self.style,
            "lang": self.lang,
            "keep": list(self.keep),
            "require": list(self.require),
            "exclude": list(self.exclude),
            "connectors": list(self.connectors),
        }

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict`` as JSON text, non-ASCII kept readable (glyphs stay glyphs)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "prompt") -> HyperPrompt:
        """Read the JSON form. ``mode`` and ``text`` are required; the rest may be missing or
        null. Errors name the field path, since a dict has no lines to point at:
        ``prompt: keep[1]: expected a lexeme form (a string), got 7``."""
        if not isinstance(d, Mapping):
            raise BadInputError(f"{where}: expected a JSON object, got {_show(d)}")
        for key in d:
            if key not in FIELDS:
                raise BadInputError(
                    f"{where}: expected a field ({', '.join(FIELDS)}), got {_show(key)}"
                )
        return cls(**_checked(dict(d), where))

    # --- the text form ----------------------------------------------------------------------

    def to_text(self, *, compact: bool = False) -> str:
        """The text form: one key per line, or (``compact``) everything on the mode line.

        A text with a line break goes below a ``---`` line in both layouts; any other text
        follows the mode's colon. ``parse`` reads both back to an equal prompt.
        """
        if compact:
            head = self.mode
            how = [v for v in (self.register, self.style, self.lang) if v]
            if how:
                head += "[" + ", ".join(how) + "]"
            for sigil, name in SIGILS.items():
                items = getattr(self, name)
                if items:
                    head += " " + sigil + ",".join(_quoted(i) for i in items)
            lines = [head + ":"]
        else:
            lines = [self.mode + ":"]
            for name in ("register", "style", "lang"):
                value = getattr(self, name)
                if value:
                    lines.append(f"{CANONICAL_KEY[name]}: {value}")
            for name in LIST_FIELDS:
                items = getattr(self, name)
                if items:
                    lines.append(f"{CANONICAL_KEY[name]}: " + " ".join(_quoted(i) for i in items))
            if self.connectors:
                lines.append(f"{CANONICAL_KEY['connectors']}: " + ", ".join(self.connectors))
        if "\n" in self.text:
            lines += [BODY_MARK, self.text]
        else:
            lines[0] += " " + self.text
        return "\n".join(lines)


def parse(source: str, where: str = "<prompt>") -> HyperPrompt:
    """Read a HyperPrompt in either form: JSON if it starts with ``{``, the text form otherwise.

    ``where`` names the source in error messages (a file name, ``<stdin>``).
    """
    if not isinstance(source, str):
        raise BadInputError(f"{where}: expected text, got {type(source).__name__}")
    source = source.removeprefix("\ufeff")
    if source.lstrip().startswith("{"):
        try:
            data = json.loads(source, object_pairs_hook=lambda pairs: _unique(pairs, where))
        except json.JSONDecodeError as exc:
            raise BadInputError(
                f"{where}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
            ) from None
        except RecursionError:  # '[[[[…' deep enough to exhaust the stack
            raise BadInputError(f"{where}: invalid JSON: nested too deeply") from None
        return HyperPrompt.from_dict(data, where)
    return _TextParser(source, where).parse()


# --- checking fields (both forms, and prompts built in code) -----------------------------------


def _checked(values: dict[str, Any], where: str) -> dict[str, Any]:
    """Every field validated and in its canonical spelling; errors name the field path."""

    def fail(path: str, message: str) -> NoReturn:
        raise BadInputError(f"{where}: {path}: {message}")

    out: dict[str, Any] = {}
    mode = values.get("mode", _MISSING)
    if not isinstance(mode, str) or mode.strip().lower() not in MODES:
        fail("mode", f"expected a mode ({_MODE_LIST}), got {_show(mode)}")
    out["mode"] = mode.strip().lower()

    text = values.get("text", _MISSING)
    if not isinstance(text, str):
        fail("text", f"expected the text (a string), got {_show(text)}")
    out["text"] = _canonical_text(text)
    if not out["text"]:
        fail("text", "expected the text, got an empty string")

    for name, (what, allowed) in CHOICES.items():
        value = values.get(name)
        if value is not None:
            canonical = value.strip().lower() if isinstance(value, str) else None
            if canonical not in allowed:
                fail(name, _expected_choice(what, allowed, _show(value)))
            value = canonical
        out[name] = value

    for name in (*LIST_FIELDS, "connectors"):
        items = values.get(name)
        if items is None:
            items = []
        if not isinstance(items, list | tuple):
            fail(name, f"expected a list of strings, got {_show(items)}")
        checked = []
        for i, item in enumerate(items):
            problem, value = (
                _connector_problem(item) if name == "connectors" else _form_problem(item)
            )
            if problem:
                fail(f"{name}[{i}]", problem)
            checked.append(value)
        out[name] = checked

    keys = {n: [form_key(f) for f in out[n]] for n in LIST_FIELDS}
    for i, key in enumerate(keys["exclude"]):
        for other in ("require", "keep"):
            if key in keys[other]:
                j = keys[other].index(key)
                fail(
                    f"exclude[{i}]",
                    f"expected a form not in {other}, got {_show(out['exclude'][i])} "
                    f"(it is {other}[{j}])",
                )
    return out


def _canonical_text(text: str) -> str:
    """One spelling per text: line breaks as ``\\n``, no whitespace around it."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _form_problem(item: object) -> tuple[str | None, str]:
    """(what is wrong, or None; the canonical form) for one entry of keep/require/exclude."""
    if not isinstance(item, str):
        return f"expected a lexeme form (a string), got {_show(item)}", ""
    form = item.strip()
    if not form:
        return "expected a lexeme form, got an empty string", form
    if any(unicodedata.category(ch) == "Cc" for ch in form):
        return (
            f"expected a lexeme form on one line without control characters, got {_show(form)}",
            form,
        )
    if len(form) > MAX_FORM:
        return f"expected a lexeme form of at most {MAX_FORM} characters, got {len(form)}", form
    return None, form


def _connector_problem(item: object) -> tuple[str | None, str]:
    if not isinstance(item, str) or not _CONNECTOR.match(item):
        return f"expected {_EXPECT_CONNECTOR}, got {_show(item)}", ""
    return None, item


def _what(name: str) -> tuple[str, str]:
    """How messages call an item of a list field: (what is expected, its noun)."""
    if name == "connectors":
        return _EXPECT_CONNECTOR, "connector name"
    return "a lexeme form", "form"


def _expected_choice(what: str, allowed: tuple[str, ...], got: str) -> str:
    return f"expected {what} ({', '.join(allowed)}), got {got}"


def _show(value: object) -> str:
    """A value as a message shows it: strings quoted and on one line, JSON spelling otherwise."""
    if value is _MISSING:
        return "nothing"
    if isinstance(value, str):
        if len(value) > _SHOW_MAX:
            value = value[: _SHOW_MAX - 1] + "…"
        return repr(value)
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def _quoted(form: str) -> str:
    """A form as the text form writes it: bare when nothing in it could end it early."""
    if any(ch.isspace() or ch in _QUOTE_IF for ch in form):
        return '"' + form.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return form


def _unique(pairs: list[tuple[str, Any]], where: str) -> dict[str, Any]:
    """JSON objects without repeated keys: json.loads would silently keep the last one."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BadInputError(f"{where}: {key}: expected each field once, got it twice")
        out[key] = value
    return out


# --- the text form ------------------------------------------------------------------------------


class _Line:
    """A cursor over one line of the text form; errors carry its line and column."""

    def __init__(self, where: str, number: int, text: str) -> None:
        self.where = where
        self.number = number
        self.s = text
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def at_end(self) -> bool:
        return self.i >= len(self.s)

    def skip_space(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def pos(self, i: int | None = None) -> tuple[int, int]:
        return self.number, (self.i if i is None else i) + 1

    def fail(self, message: str, i: int | None = None) -> NoReturn:
        line, col = self.pos(i)
        raise BadInputError(f"{self.where}:{line}:{col}: {message}")

    def got(self, i: int | None = None) -> str:
        """What stands at ``i``, for 'expected X, got Y': a word, a mark, a space or the end."""
        i = self.i if i is None else i
        if i >= len(self.s):
            return "the end of the line"
        if self.s[i].isspace():
            return "a space"
        j = i
        while j < len(self.s) and not self.s[j].isspace() and self.s[j] not in ',:[]"':
            j += 1
        return _show(self.s[i : max(j, i + 1)])


class _TextParser:
    """The text form, line by line: header lines until ``---``, then the text verbatim."""

    def __init__(self, source: str, where: str) -> None:
        self.where = where
        self.lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.values: dict[str, Any] = {n: [] for n in (*LIST_FIELDS, "connectors")}
        self.given: dict[str, tuple[int, int]] = {}  # field -> where it was first given
        self.forms: dict[str, list[tuple[str, tuple[int, int]]]] = {n: [] for n in LIST_FIELDS}
        self.text_at: tuple[int, int] | None = None  # where the text ends up being expected

    def parse(self) -> HyperPrompt:
        body_line = None
        for number, raw in enumerate(self.lines, 1):
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped == BODY_MARK:
                body_line = number
                break
            self.header_line(_Line(self.where, number, raw))
        if "mode" not in self.given:
            where = f"before '{BODY_MARK}'" if body_line else "in the prompt"
            self.fail(
                (body_line or 1, 1),
                f"expected a mode line ({', '.join(m + ':' for m in MODES)}) {where}, found none",
            )
        inline = self.values.get("text", "")
        if body_line is not None:
            if inline:
                self.fail(
                    (body_line, 1),
                    f"expected the text once, got a '{BODY_MARK}' body after the text on line "
                    f"{self.given['text'][0]}",
                )
            text = _canonical_text("\n".join(self.lines[body_line:]))
            if not text:
                self.fail((body_line + 1, 1), f"expected the text after '{BODY_MARK}', got nothing")
            self.values["text"] = text
        elif not inline:
            assert self.text_at is not None
            self.fail(
                self.text_at,
                f"expected the text after '{self.values['mode']}:' "
                f"(or a line '{BODY_MARK}' and the text below it), got nothing",
            )
        self.check_conflicts()
        return HyperPrompt(**self.values)

    def fail(self, pos: tuple[int, int], message: str) -> NoReturn:
        raise BadInputError(f"{self.where}:{pos[0]}:{pos[1]}: {message}")

    def claim(self, line: _Line, name: str, i: int, label: str) -> None:
        """Record that ``name`` is given at (line, i); a second time is an error."""
        if name in self.given:
            first = self.given[name]
            line.fail(
                f"expected each key once, got {label} again (first given at {first[0]}:{first[1]})",
                i,
            )
        self.given[name] = line.pos(i)

    # --- header lines -------------------------------------------------------------------------

    def header_line(self, line: _Line) -> None:
        line.skip_space()
        start = line.i
        m = _KEY_WORD.match(line.s, start)
        word = m.group().lower() if m else ""
        if word not in MODES and word not in KEYS:
            hint = ""
            looks_like_key = m is not None and line.s[m.end() :].lstrip().startswith(":")
            if "mode" in self.given and not looks_like_key:
                hint = f" (a text on several lines goes below a line '{BODY_MARK}')"
            line.fail(f"expected {_EXPECT_LINE}, got {line.got()}{hint}")
        assert m is not None
        line.i = m.end()
        if word in MODES:
            self.mode_line(line, word, start)
            return
        name = KEYS[word]
        line.skip_space()
        if line.peek() != ":":
            line.fail(f"expected ':' after '{m.group()}', got {line.got()}")
        line.i += 1
        self.claim(line, name, start, f"'{word}'")
        line.skip_space()
        if name in CHOICES:
            self.choice_value(line, name)
        else:
            self.list_value(line, name)

    def choice_value(self, line: _Line, name: str) -> None:
        what, allowed = CHOICES[name]
        value = line.s[line.i :].rstrip()
        if value.lower() not in allowed:
            got = _show(value) if value else "nothing"
            line.fail(_expected_choice(what, allowed, got))
        self.values[name] = value.lower()

    def list_value(self, line: _Line, name: str) -> None:
        """``keep: ⛈ 😨`` or ``via: claude, lexicon``: items apart by spaces and/or a comma."""
        what, noun = _what(name)
        count = 0
        after_comma = False
        while True:
            line.skip_space()
            if line.at_end():
                if after_comma:
                    line.fail(f"expected {what} after ',', got the end of the line")
                if not count:
                    line.fail(f"expected {what}, got nothing")
                return
            if line.peek() == ",":
                if after_comma or not count:
                    line.fail(f"expected {what}, got ','")
                after_comma = True
                line.i += 1
                continue
            self.item(line, name, stops='",')
            count += 1
            after_comma = False
            if not (line.at_end() or line.peek().isspace() or line.peek() == ","):
                line.fail(f"expected a space or ',' after the {noun}, got {line.got()}")

    def item(self, line: _Line, name: str, stops: str) -> None:
        """One form (bare or quoted) or one connector name, checked and recorded."""
        start = line.i
        if name == "connectors":
            while not line.at_end() and not line.peek().isspace() and line.peek() not in stops:
                line.i += 1
            raw = line.s[start : line.i]
            problem, value = _connector_problem(raw)
            if problem:
                got = _show(raw) if raw else line.got(start)
                line.fail(f"expected {_EXPECT_CONNECTOR}, got {got}", start)
            self.values[name].append(value)
            return
        if line.peek() == '"':
            raw = self.quoted(line)
        else:
            while not line.at_end() and not line.peek().isspace() and line.peek() not in stops:
                line.i += 1
            raw = line.s[start : line.i]
            if not raw:
                line.fail(f"expected a lexeme form, got {line.got()}")
        problem, form = _form_problem(raw)
        if problem:
            line.fail(problem, start)
        self.values[name].append(form)
        self.forms[name].append((form, line.pos(start)))

    def quoted(self, line: _Line) -> str:
        """``"…"`` with ``\\"`` and ``\\\\``: a form with spaces, commas or colons."""
        start = line.i
        line.i += 1
        out = []
        while True:
            if line.at_end():
                line.fail(
                    "expected a closing '\"' for this quoted form, got the end of the line", start
                )
            ch = line.peek()
            if ch == "\\":
                nxt = line.s[line.i + 1 : line.i + 2]
                if nxt not in ('"', "\\"):
                    line.fail(
                        f"expected '\"' or '\\' after a backslash, got {line.got(line.i + 1)}",
                        line.i + 1,
                    )
                out.append(nxt)
                line.i += 2
                continue
            line.i += 1
            if ch == '"':
                return "".join(out)
            out.append(ch)

    # --- the mode line: mode[how] options: text ---------------------------------------------------

    def mode_line(self, line: _Line, mode: str, start: int) -> None:
        if "mode" in self.given:
            first = self.given["mode"]
            line.fail(
                f"expected one mode line, got a second one ({mode!r}; the first, "
                f"{self.values['mode']!r}, is at {first[0]}:{first[1]})",
                start,
            )
        self.given["mode"] = line.pos(start)
        self.values["mode"] = mode
        line.skip_space()
        if line.peek() == "[":
            line.i += 1
            self.how(line)
        while True:
            line.skip_space()
            ch = line.peek()
            if ch == ":":
                line.i += 1
                break
            if ch and ch in SIGILS:
                self.option(line)
                continue
            line.fail(f"expected {_EXPECT_OPTION}, got {line.got()}")
        rest = line.s[line.i :]
        text = rest.strip()
        if text:
            self.given["text"] = line.pos()
            self.values["text"] = text
        else:
            self.text_at = line.pos()

    def how(self, line: _Line) -> None:
        """``[poetic, poem, en]``: register, style and language in any order, each at most once."""
        while True:
            line.skip_space()
            start = line.i
            m = _KEY_WORD.match(line.s, start)
            word = m.group().lower() if m else ""
            name = next((n for n, (_, allowed) in CHOICES.items() if word in allowed), None)
            if name is None:
                line.fail(f"expected {_EXPECT_HOW}, got {line.got()}")
            assert m is not None
            line.i = m.end()
            self.claim(line, name, start, f"a {name} ({word!r})")
            self.values[name] = word
            line.skip_space()
            ch = line.peek()
            line.i += 1
            if ch == "]":
                return
            if ch != ",":
                line.fail(f"expected ',' or ']', got {line.got(line.i - 1)}", line.i - 1)

    def option(self, line: _Line) -> None:
        """``=a,b`` keep, ``+a`` require, ``-a`` exclude, ``@x,y`` connectors; repeatable."""
        sigil_at = line.i
        name = SIGILS[line.peek()]
        first = self.given.get(name)
        if first is None:
            self.given[name] = line.pos(sigil_at)
        elif first[0] != line.number:  # '=a =b' on the mode line extend one list
            self.claim(line, name, sigil_at, f"'{CANONICAL_KEY[name]}'")
        after = line.peek()
        line.i += 1
        what, noun = _what(name)
        while True:
            if line.at_end() or line.peek().isspace() or line.peek() in ",:":
                line.fail(f"expected {what} after '{after}', got {line.got()}")
            self.item(line, name, stops='",:')
            if line.peek() == ",":
                line.i += 1
                line.skip_space()
                after = ","
                continue
            break
        if not (line.at_end() or line.peek().isspace() or line.peek() == ":"):
            line.fail(f"expected a space, ',' or ':' after the {noun}, got {line.got()}")

    def check_conflicts(self) -> None:
        """A form both excluded and required (or kept) is a contradiction: point at the later."""
        done = {"require": "required", "keep": "kept"}
        seen = {o: {form_key(f): (pos, f) for f, pos in self.forms[o]} for o in done}
        for form, pos in self.forms["exclude"]:
            for other, participle in done.items():
                other_pos, other_form = seen[other].get(form_key(form), (None, ""))
                if other_pos is None:
                    continue
                if pos > other_pos:
                    message = f"expected a form not {participle}, got {_show(form)}"
                    self.fail(pos, f"{message} ({participle} at {other_pos[0]}:{other_pos[1]})")
                message = f"expected a form not excluded, got {_show(other_form)}"
                self.fail(other_pos, f"{message} (excluded at {pos[0]}:{pos[1]})")
