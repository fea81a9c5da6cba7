"""HyperPrompt: the documented examples, both forms agreeing, exact round trips, exact errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hyperlexicon.errors import BadInputError
from hyperlexicon.prompt import FIELDS, HyperPrompt, parse

DOC = Path(__file__).resolve().parents[1] / "docs" / "hyperprompt.md"

# The ```hyperprompt blocks of docs/hyperprompt.md, in order, as the objects they must parse to.
DOC_EXAMPLES = [
    HyperPrompt(
        mode="encode",
        text="Что ты чувствуешь перед бурей?",
        register="poetic",
        keep=["⛈", "😨"],
        exclude=["🫀"],
        connectors=["claude", "lexicon"],
    ),
    HyperPrompt(
        mode="encode", text="What do you feel before a storm?", register="emotional", lang="en"
    ),
    HyperPrompt(
        mode="decode",
        text="⚡🜂🫁",
        register="poetic",
        style="poem",
        lang="en",
        keep=["🜂"],
        exclude=["🫁"],
        connectors=["claude", "lexicon"],
    ),
    HyperPrompt(mode="decode", text="🜂⧖🕯 → ⟁☰☉⚭", style="formula", lang="ru"),
    HyperPrompt(
        mode="ask",
        text="Что происходит с материей в огне?",
        register="philosophical",
        lang="ru",
        require=["🜂"],
        connectors=["openai", "lexicon"],
    ),
    HyperPrompt(
        mode="ask",
        text="What does time do to a candle?",
        register="logical",
        lang="en",
        require=["⧖", "🕯"],
        connectors=["gpt", "lexicon"],
    ),
    HyperPrompt(
        mode="compress",
        text="😨🤫\n🔥⏳\n🜂⧖🕯 → ⟁☰☉⚭",
        register="logical",
        keep=["😨"],
        connectors=["claude", "lexicon"],
    ),
    HyperPrompt(
        mode="encode",
        text="The candle burns: fire and time,\nand what was wax becomes light.",
        lang="en",
        keep=["🜂⧖🕯 → ⟁☰☉⚭", "Δ-threshold"],
    ),
]

# The JSON block of the docs is the first example.
DOC_JSON_EXAMPLE = DOC_EXAMPLES[0]


def _blocks(info: str) -> list[str]:
    return re.findall(rf"^```{info}\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.M | re.S)


def test_the_docs_examples_parse_to_the_expected_prompts() -> None:
    blocks = _blocks("hyperprompt")
    assert len(blocks) == len(DOC_EXAMPLES)
    for block, expected in zip(blocks, DOC_EXAMPLES, strict=True):
        assert parse(block, "docs") == expected, block


def test_the_docs_json_example_is_the_first_example() -> None:
    (block,) = _blocks("json")
    assert parse(block) == DOC_JSON_EXAMPLE
    assert json.loads(block) == DOC_JSON_EXAMPLE.to_dict()


def test_every_mode_and_both_languages_are_in_the_docs() -> None:
    assert {p.mode for p in DOC_EXAMPLES} == {"encode", "decode", "ask", "compress"}
    assert {p.lang for p in DOC_EXAMPLES} >= {"ru", "en"}


def test_the_brief_example_and_its_one_line_form_are_the_same_prompt() -> None:
    block = """
        # a comment, then blank lines, are skipped
        Encode: Что ты чувствуешь перед бурей?
        REGISTER: Poetic
        keep: ⛈, 😨
        without: 🫀
        via: claude, lexicon
    """
    one_line = "encode[poetic] =⛈,😨 -🫀 @claude,lexicon: Что ты чувствуешь перед бурей?"
    assert parse(block) == parse(one_line) == DOC_EXAMPLES[0]
    assert (
        parse("encode[poetic] =⛈ =😨 -🫀 @claude @lexicon: Что ты чувствуешь перед бурей?")
        == (DOC_EXAMPLES[0])
    )


def test_the_canonical_text_forms() -> None:
    p = DOC_EXAMPLES[2]
    assert p.to_text() == (
        "decode: ⚡🜂🫁\nregister: poetic\nstyle: poem\nlang: en\nkeep: 🜂\nexclude: 🫁\n"
        "via: claude, lexicon"
    )
    assert p.to_text(compact=True) == "decode[poetic, poem, en] =🜂 -🫁 @claude,lexicon: ⚡🜂🫁"
    multi = DOC_EXAMPLES[7]
    assert multi.to_text() == (
        'encode:\nlang: en\nkeep: "🜂⧖🕯 → ⟁☰☉⚭" Δ-threshold\n---\n'
        "The candle burns: fire and time,\nand what was wax becomes light."
    )


def test_text_and_json_forms_are_equivalent() -> None:
    for p in DOC_EXAMPLES:
        assert parse(p.to_json()) == parse(p.to_text()) == parse(p.to_text(compact=True)) == p
        assert parse(p.to_json(indent=None), "x.json") == p


def test_json_fields_may_be_left_out_or_null_and_names_are_case_insensitive() -> None:
    p = parse('{"mode": "ASK", "text": " Что такое время? ", "register": null, "style": "Essay"}')
    assert p == HyperPrompt(mode="ask", text="Что такое время?", style="essay")
    assert p.to_dict() == {
        "mode": "ask",
        "text": "Что такое время?",
        "register": None,
        "style": "essay",
        "lang": None,
        "keep": [],
        "require": [],
        "exclude": [],
        "connectors": [],
    }


def test_the_body_is_verbatim_and_only_the_first_marker_counts() -> None:
    p = parse("compress:\n---\n  🜂⧖🕯 → ⟁☰☉⚭\n---\n# not a comment\r\n😨🤫\n\n")
    assert p.text == "🜂⧖🕯 → ⟁☰☉⚭\n---\n# not a comment\n😨🤫"


def test_quoted_forms_carry_spaces_commas_colons_quotes_and_backslashes() -> None:
    p = parse(r'encode +"a, b: c" +"say \"hi\"" +"x\\y": text')
    assert p.require == ["a, b: c", 'say "hi"', "x\\y"]
    assert parse(p.to_text()) == parse(p.to_text(compact=True)) == p


def test_a_prompt_built_in_code_is_checked_where_it_is_made() -> None:
    with pytest.raises(BadInputError, match=r"^HyperPrompt: register: expected a register"):
        HyperPrompt(mode="encode", text="x", register="loud")
    assert HyperPrompt(mode="Decode", text=" 🜂\r\n⧖ ", keep=(" 🜂 ",)) == HyperPrompt(  # type: ignore[arg-type]
        mode="decode", text="🜂\n⧖", keep=["🜂"]
    )


# --- round trips over random valid prompts ---------------------------------------------------

TEXT_ALPHABET = (
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЯ"
    "abcdefxyzQW0123456789"
    "🜂⧖🕯⚡🫁⟁☰☉⚭😨🤫⛈🫀Δ"
    "→+-=@#:,;.!?\"'\\[]{}()«»—"
    " \t\n\r\u00a0"
)
FORM_ALPHABET = "абвгжзAbcxyz019🜂⧖🕯⚡🫁⟁☰☉⚭😨🤫Δ→-+=@#:,\"'\\[]«» \u00a0"
texts = st.text(alphabet=TEXT_ALPHABET, min_size=1, max_size=60).filter(lambda t: t.strip())
forms = st.text(alphabet=FORM_ALPHABET, min_size=1, max_size=12).filter(lambda t: t.strip())
names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,10}", fullmatch=True)


def _maybe(values: tuple[str, ...]) -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from(values)


@st.composite
def prompts(draw: st.DrawFn) -> HyperPrompt:
    values = {
        "mode": draw(st.sampled_from(["encode", "decode", "ask", "compress"])),
        "text": draw(texts),
        "register": draw(_maybe(("emotional", "logical", "poetic", "philosophical", "technical"))),
        "style": draw(_maybe(("narrative", "essay", "formula", "poem"))),
        "lang": draw(_maybe(("ru", "en"))),
        "keep": draw(st.lists(forms, max_size=3)),
        "require": draw(st.lists(forms, max_size=3)),
        "exclude": draw(st.lists(forms, max_size=3)),
        "connectors": draw(st.lists(names, max_size=3)),
    }
    try:
        return HyperPrompt(**values)
    except BadInputError:  # a form both excluded and required or kept
        assume(False)
        raise


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(prompts())
def test_text_round_trip(p: HyperPrompt) -> None:
    text = p.to_text()
    assert parse(text) == p
    assert parse(text).to_text() == text


@FAST
@given(prompts())
def test_compact_text_round_trip(p: HyperPrompt) -> None:
    text = p.to_text(compact=True)
    assert parse(text) == p
    assert parse(text).to_text(compact=True) == text
    if "\n" not in p.text:
        assert "\n" not in text


@FAST
@given(prompts())
def test_json_round_trip(p: HyperPrompt) -> None:
    d = p.to_dict()
    assert HyperPrompt.from_dict(d) == p
    assert HyperPrompt.from_dict(json.loads(json.dumps(d))).to_dict() == d
    assert parse(p.to_json()) == p
    assert parse(p.to_json()).to_json() == p.to_json()


@FAST
@given(prompts())
def test_the_forms_agree(p: HyperPrompt) -> None:
    assert parse(p.to_text()).to_dict() == parse(p.to_json()).to_dict()


# --- malformed prompts: exact place, exact expectation -----------------------------------------

REGS = "emotional, logical, poetic, philosophical, technical"
LINE_START = (
    "expected a mode (encode, decode, ask, compress) or a key "
    "(register, style, lang, keep, require, exclude, via)"
)
MALFORMED = [
    # (prompt, the whole message)
    (
        "encode: Что ты чувствуешь?\nregister: loud",
        f"<prompt>:2:11: expected a register ({REGS}), got 'loud'",
    ),
    ("Что ты чувствуешь?", f"<prompt>:1:1: {LINE_START}, got 'Что'"),
    (
        "register: poetic\nlang: ru",
        "<prompt>:1:1: expected a mode line (encode:, decode:, ask:, compress:) in the prompt, "
        "found none",
    ),
    (
        "",
        "<prompt>:1:1: expected a mode line (encode:, decode:, ask:, compress:) in the prompt, found none",
    ),
    (
        "register: poetic\n---\nтекст",
        "<prompt>:2:1: expected a mode line (encode:, decode:, ask:, compress:) before '---', "
        "found none",
    ),
    (
        "decode:",
        "<prompt>:1:8: expected the text after 'decode:' (or a line '---' and the text below it), "
        "got nothing",
    ),
    ("compress:\n---\n  \n", "<prompt>:3:1: expected the text after '---', got nothing"),
    (
        "ask: Что такое время?\n---\nещё текст",
        "<prompt>:2:1: expected the text once, got a '---' body after the text on line 1",
    ),
    (
        "encode: x\nregister: poetic\nRegister: logical",
        "<prompt>:3:1: expected each key once, got 'register' again (first given at 2:1)",
    ),
    (
        "encode: x\nask: y",
        "<prompt>:2:1: expected one mode line, got a second one ('ask'; the first, 'encode', is at 1:1)",
    ),
    (
        "decode[poem, essay]: 🜂",
        "<prompt>:1:14: expected each key once, got a style ('essay') again (first given at 1:8)",
    ),
    (
        "decode[poetic]: 🜂\nregister: logical",
        "<prompt>:2:1: expected each key once, got 'register' again (first given at 1:8)",
    ),
    (
        "encode =🜂: x\nkeep: ⧖",
        "<prompt>:2:1: expected each key once, got 'keep' again (first given at 1:8)",
    ),
    (
        "decode[loud]: 🜂",
        "<prompt>:1:8: expected a register, style or language (emotional, logical, poetic, "
        "philosophical, technical; narrative, essay, formula, poem; ru, en), got 'loud'",
    ),
    ("decode[poem: 🜂", "<prompt>:1:12: expected ',' or ']', got ':'"),
    (
        "encode Что ты?",
        "<prompt>:1:8: expected ':' or an option (=keep, +require, -exclude, @connector), got 'Что'",
    ),
    ("encode =: x", "<prompt>:1:9: expected a lexeme form after '=', got ':'"),
    ("encode - 🫁: x", "<prompt>:1:9: expected a lexeme form after '-', got a space"),
    ("encode =🜂, : x", "<prompt>:1:12: expected a lexeme form after ',', got ':'"),
    (
        'encode ="🜂⧖🕯 → ⟁: x',
        "<prompt>:1:9: expected a closing '\"' for this quoted form, got the end of the line",
    ),
    ('encode +"a\\b": x', "<prompt>:1:12: expected '\"' or '\\' after a backslash, got 'b'"),
    ('encode +"a"b: x', "<prompt>:1:12: expected a space, ',' or ':' after the form, got 'b'"),
    (
        "encode +🫁 -🫁: x",
        "<prompt>:1:12: expected a form not required, got '🫁' (required at 1:9)",
    ),
    (
        "encode: x\nexclude: Δ-threshold\nkeep: δ-THRESHOLD",
        "<prompt>:3:7: expected a form not excluded, got 'δ-THRESHOLD' (excluded at 2:10)",
    ),
    ("encode: x\nkeep: 🜂,,⧖", "<prompt>:2:9: expected a lexeme form, got ','"),
    (
        "encode: x\nkeep: 🜂,",
        "<prompt>:2:9: expected a lexeme form after ',', got the end of the line",
    ),
    ("encode: x\nkeep:", "<prompt>:2:6: expected a lexeme form, got nothing"),
    ('encode: x\nkeep: ""', "<prompt>:2:7: expected a lexeme form, got an empty string"),
    (
        "encode: x\nvia: claude, cl@ude",
        "<prompt>:2:14: expected a connector name (letters, digits, '_', '.', '-'), got 'cl@ude'",
    ),
    (
        "encode @claude,lex icon: x",
        "<prompt>:1:20: expected ':' or an option (=keep, +require, -exclude, @connector), got 'icon'",
    ),
    ("encode: x\nfoo: bar", f"<prompt>:2:1: {LINE_START}, got 'foo'"),
    (
        "encode: Что ты\n  чувствуешь?",
        f"<prompt>:2:3: {LINE_START}, got 'чувствуешь?' (a text on several lines goes below a "
        "line '---')",
    ),
    ("encode: x\nregister poetic", "<prompt>:2:10: expected ':' after 'register', got 'poetic'"),
    (
        "encode: x\nstyle:",
        "<prompt>:2:7: expected a style (narrative, essay, formula, poem), got nothing",
    ),
    ("encode: x\nlang: de", "<prompt>:2:7: expected a language (ru, en), got 'de'"),
]
JSON_MALFORMED = [
    (
        '{"mode": "encode", "text": "x"\n "keep": []}',
        "<prompt>:2:2: invalid JSON: Expecting ',' delimiter",
    ),
    ('{"mode": "encode",\n  "text": \'x\'}', "<prompt>:2:11: invalid JSON: Expecting value"),
    (
        '{"mode": "encode", "text": "x", "keep": ["🜂", 7]}',
        "<prompt>: keep[1]: expected a lexeme form (a string), got 7",
    ),
    (
        '{"mode": "encode", "text": "x", "mode": "ask"}',
        "<prompt>: mode: expected each field once, got it twice",
    ),
    (
        '{"mode": "encode", "text": "x", "via": ["claude"]}',
        "<prompt>: expected a field (mode, text, register, style, lang, keep, require, exclude, "
        "connectors), got 'via'",
    ),
    (
        '{"mode": "sing", "text": "x"}',
        "<prompt>: mode: expected a mode (encode, decode, ask, compress), got 'sing'",
    ),
    (
        '{"text": "x"}',
        "<prompt>: mode: expected a mode (encode, decode, ask, compress), got nothing",
    ),
    ('{"mode": "ask", "text": " \\n "}', "<prompt>: text: expected the text, got an empty string"),
    ('{"mode": "ask"}', "<prompt>: text: expected the text (a string), got nothing"),
    (
        '{"mode": "ask", "text": "x", "register": "loud"}',
        f"<prompt>: register: expected a register ({REGS}), got 'loud'",
    ),
    (
        '{"mode": "ask", "text": "x", "require": ["🫁"], "exclude": ["🜂", "🫁"]}',
        "<prompt>: exclude[1]: expected a form not in require, got '🫁' (it is require[0])",
    ),
    (
        '{"mode": "ask", "text": "x", "connectors": "claude,lexicon"}',
        "<prompt>: connectors: expected a list of strings, got 'claude,lexicon'",
    ),
    (
        '{"mode": "ask", "text": "x", "keep": ["a\\nb"]}',
        "<prompt>: keep[0]: expected a lexeme form on one line without control characters, "
        "got 'a\\nb'",
    ),
]


@pytest.mark.parametrize(("source", "message"), MALFORMED + JSON_MALFORMED)
def test_malformed_prompts_say_where_and_what_was_expected(source: str, message: str) -> None:
    with pytest.raises(BadInputError) as info:
        parse(source)
    assert str(info.value) == message
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 2


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet=TEXT_ALPHABET, max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner),
    max_leaves=8,
)


@FAST
@given(
    st.text(alphabet=TEXT_ALPHABET + "encodeaskregistrpoticvlang[]=+-@:\n---", max_size=80)
    | st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES).map(json.dumps)
)
def test_any_source_parses_or_fails_with_one_line_bad_input(source: str) -> None:
    try:
        p = parse(source)
    except BadInputError as exc:
        assert "\n" not in str(exc)
        assert str(exc).startswith("<prompt>")
    else:
        assert parse(p.to_text()) == p


def test_json_nested_too_deeply_is_bad_input() -> None:
    with pytest.raises(BadInputError, match=r"^<prompt>: invalid JSON: nested too deeply$"):
        parse('{"keep": ' + "[" * 100_000)


def test_where_names_the_source() -> None:
    with pytest.raises(BadInputError, match=r"^ask\.hp:1:1: "):
        parse("hello", "ask.hp")
    with pytest.raises(BadInputError, match=r"^prompt: expected a JSON object, got a list$"):
        HyperPrompt.from_dict([])  # type: ignore[arg-type]


def test_the_documented_error_messages_are_the_real_ones() -> None:
    doc = DOC.read_text(encoding="utf-8")
    documented = re.findall(r"`(<prompt>:[^`]*)`", doc)
    assert len(documented) >= 10
    real = {message for _, message in MALFORMED + JSON_MALFORMED}
    assert set(documented) <= real


# --- the CLI: hyperlexicon prompt FILE|- ------------------------------------------------------


@pytest.fixture
def prompt_cli(tmp_path: Path, _seeded_sqlite_template: Path) -> Any:
    """``hyperlexicon prompt`` on a copy of the seeded core lexicon, in ``tmp_path``."""
    import shutil

    from click.testing import CliRunner

    from hyperlexicon.cli import main

    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)

    def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
        result = CliRunner().invoke(
            main, ["--db", f"sqlite:///{db}", *args], input=input, catch_exceptions=False
        )
        return result.exit_code, result.stdout, result.stderr

    return run


def test_cli_runs_a_prompt_from_a_file_or_stdin_in_either_form(
    prompt_cli: Any, tmp_path: Path
) -> None:
    text = "encode[poetic] =⛈ -🫀: Что ты чувствуешь перед бурей?\n"
    (tmp_path / "storm.hp").write_text(text, "utf-8")
    (tmp_path / "storm.json").write_text(parse(text).to_json(), "utf-8")
    outputs = []
    for args, stdin in (((str(tmp_path / "storm.hp"),), None), (("-",), text)):
        code, out, err = prompt_cli("prompt", *args, "--json", input=stdin)
        assert code == 0, err
        outputs.append(json.loads(out))
    code, out, err = prompt_cli("prompt", str(tmp_path / "storm.json"), "--json")
    assert code == 0, err
    outputs.append(json.loads(out))
    hyperstrings = {o["hyperstring"] for o in outputs}
    assert len(hyperstrings) == 1  # the text form, stdin and the JSON form ask the same
    [hyperstring] = hyperstrings
    assert "⛈" in hyperstring and "🫀" not in hyperstring  # kept, and excluded
    # it was logged like any request, with its constraints
    code, out, _ = prompt_cli("log", "list", "--json")
    logged = json.loads(out)[0]
    assert logged["params"]["keep"] == ["⛈"] and logged["params"]["exclude"] == ["🫀"]


@pytest.mark.parametrize(
    "source, where",
    [
        ("encode[poetc]: x\n", "<stdin>:1:8: expected a register, style or language"),
        ("encode: x\nregister: loud\n", "<stdin>:2:"),
        ('{"mode": "encode", "text": 5}', "<stdin>: text: expected the text"),
    ],
)
def test_cli_names_the_line_and_column_of_a_malformed_prompt(
    prompt_cli: Any, source: str, where: str
) -> None:
    code, out, err = prompt_cli("prompt", "-", input=source)
    assert code == 2 and err.startswith(f"error: {where}"), err
    assert len(err.strip().splitlines()) == 1 and out == ""
    code, out, _ = prompt_cli("log", "list", "--json")
    assert json.loads(out) == []  # nothing ran
