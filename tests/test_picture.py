"""The scene as a picture: the SVG parses, says what the scene says, and says it in words too."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from hyperlexicon.entry import REGISTERS
from hyperlexicon.picture import (
    FONT_STACK,
    NEUTRAL,
    PALETTE,
    WARNING_COLOR,
    describe,
    render_svg,
)
from hyperlexicon.scene import Diagnostic, Lexeme, Scene, Unmatched

SVG_NS = "http://www.w3.org/2000/svg"
NS = {"s": SVG_NS}


def _lx(form: str, meaning: str = "", **kw: object) -> Lexeme:
    kw.setdefault("how", "exact")
    kw.setdefault("score", 0.9)
    return Lexeme(entry_id=None, form=form, meaning=meaning, **kw)  # type: ignore[arg-type]


def _scene() -> Scene:
    return Scene(
        lexemes=[
            _lx("🜂", "огонь", registers=("emotional", "poetic"), weight=0.9, anchor=True),
            _lx("⧖", "время", how="lemma", score=0.8, registers=("philosophical",)),
            _lx("🕯", "свеча", how="semantic", score=0.6, weight=0.2),
            _lx("⟁", "рост", registers=("logical",), weight=0.7, phase=1),
            _lx("☰", "закон", registers=("technical",), phase=1, anchor=True),
            _lx("страхтишинажарожидание", "страх перед бурей", how="semantic", phase=1),
            _lx("Δ-threshold", 'a<b & "c"', how="archetype", score=0.5, phase=2),
        ],
        unmatched=[
            Unmatched("квартира", (0, 8)),
            Unmatched("банк", (9, 13)),
            Unmatched("тишинастрах", (14, 25), ["тишина", "страх"]),
        ],
        coverage=0.72,
        diagnostics=[
            Diagnostic("low_coverage", "coverage is below the threshold", 0.42, 0.6),
            Diagnostic("no_anchor", "nothing reaches the anchor threshold", forms=["⧖"]),
        ],
    )


LINKS = [("🜂", "⧖", "share «время»"), ("⟁", "☰", "component"), ("🜂", "☰", "cross-phase")]


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{{{SVG_NS}}}svg"
    return root


def _nodes(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{{{SVG_NS}}}g") if "lexeme" in g.get("class", "").split()]


def _shape(node: ET.Element) -> ET.Element:
    shape = node.find("s:rect[@class='node-shape']", NS)
    assert shape is not None
    return shape


def _centre(node: ET.Element) -> tuple[float, float]:
    s = _shape(node)
    return (
        float(s.get("x")) + float(s.get("width")) / 2,
        float(s.get("y")) + float(s.get("height")) / 2,
    )


def _all_text(el: ET.Element) -> str:
    return " ".join(t.strip() for t in el.itertext() if t.strip())


def _by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in e.get("class", "").split()]


def _contrast(hex_color: str) -> float:
    """WCAG contrast of a colour against white."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(hex_color[i : i + 2], 16)) for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (lum + 0.05)


def test_well_formed_and_accessible() -> None:
    root = _parse(render_svg(_scene(), links=LINKS, title="Перед бурей"))
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    title, desc = (root.find(f".//*[@id='{i}']") for i in ids)
    assert title.tag == f"{{{SVG_NS}}}title" and title.text == "Перед бурей"
    assert desc.tag == f"{{{SVG_NS}}}desc"
    # title and desc come first, so assistive tech finds them as the picture's name
    assert [c.tag for c in root[:2]] == [f"{{{SVG_NS}}}title", f"{{{SVG_NS}}}desc"]
    assert root.get("font-family") == FONT_STACK
    for family in ("Noto Sans Symbols 2", "Noto Color Emoji", "Symbola", "DejaVu Sans"):
        assert family in FONT_STACK
    float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"


def test_default_title_is_the_hyperstring() -> None:
    scene = _scene()
    root = _parse(render_svg(scene))
    assert root.find("s:title", NS).text == f"Hyperscene: {scene.hyperstring}"


def test_one_node_per_lexeme_in_order_with_its_own_title() -> None:
    scene = _scene()
    nodes = _nodes(_parse(render_svg(scene)))
    assert [n.get("data-form") for n in nodes] == scene.forms
    assert [int(n.get("data-index")) for n in nodes] == list(range(len(scene.lexemes)))
    assert [int(n.get("data-phase")) for n in nodes] == [1, 1, 1, 2, 2, 2, 3]
    for node, lx in zip(nodes, scene.lexemes, strict=True):
        title = node.find("s:title", NS).text
        assert lx.form in title and lx.meaning in title and lx.how in title
        assert node.find("s:text[@class='form']", NS).text == lx.form
    for phase in (1, 2, 3):
        xs = [_centre(n)[0] for n in nodes if n.get("data-phase") == str(phase)]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)


def test_phases_are_separated_by_arrows() -> None:
    root = _parse(render_svg(_scene()))
    nodes = _nodes(root)
    arrows = _by_class(root, "phase-arrow")
    assert [a.get("data-phase") for a in arrows] == ["2", "3"]
    # the first arrow sits between the last node of phase 1 and the first of phase 2
    path = arrows[0].find("s:path", NS).get("d")
    x0 = float(re.match(r"M ([\d.]+)", path).group(1))
    last1 = _shape(nodes[2])
    first2 = _shape(nodes[3])
    assert float(last1.get("x")) + float(last1.get("width")) < x0 < float(first2.get("x"))
    assert [b.get("data-phase") for b in _by_class(root, "phase")] == ["1", "2", "3"]


def test_rows_wrap_when_the_width_runs_out() -> None:
    scene = Scene(lexemes=[_lx(g, f"m{i}") for i, g in enumerate("🜂⧖🕯⟁☰☉⚭⚗🔥♁🜍⚡")])
    root = _parse(render_svg(scene, width=400))
    centres = [_centre(n) for n in _nodes(root)]
    rows = sorted({y for _, y in centres})
    assert len(rows) > 1
    for y in rows:  # left to right within a row, and rows go down
        xs = [x for x, cy in centres if cy == y]
        assert xs == sorted(xs)
    assert [y for _, y in centres] == sorted(y for _, y in centres)
    width = float(root.get("width"))
    for node in _nodes(root):
        shape = _shape(node)
        assert (
            float(shape.get("x")) >= 0
            and float(shape.get("x")) + float(shape.get("width")) <= width
        )


def test_a_long_form_is_cut_to_fit_but_named_in_full() -> None:
    form = "страх" * 60
    root = _parse(render_svg(Scene(lexemes=[_lx(form, "много страха")]), width=400))
    (node,) = _nodes(root)
    shape = _shape(node)
    assert float(shape.get("x")) + float(shape.get("width")) <= 400
    assert node.find("s:text[@class='form']", NS).text.endswith("…")
    assert form in node.find("s:title", NS).text


def test_a_larger_weight_gives_a_larger_node() -> None:
    scene = Scene(
        lexemes=[
            _lx("🜂", "a", weight=0.1, score=0.8),
            _lx("⧖", "b", weight=0.5, score=0.8),
            _lx("🕯", "c", weight=1.0, score=0.8),
            _lx("⟁", "d", weight=1.0, score=0.2),
        ]
    )
    sizes = [float(_shape(n).get("height")) for n in _nodes(_parse(render_svg(scene)))]
    assert sizes[0] < sizes[1] < sizes[2]
    assert sizes[3] < sizes[2]  # score counts too, less than weight


def test_broken_numbers_do_not_break_the_picture() -> None:
    scene = Scene(
        lexemes=[_lx("🜂", "a", weight=math.nan, score=7.0), _lx("⧖", "b", weight=-1)],
        coverage=math.nan,
    )
    root = _parse(render_svg(scene))
    assert len(_nodes(root)) == 2
    assert not re.search(r"\bnan\b|\binf\b", render_svg(scene), re.IGNORECASE)


def test_anchors_carry_the_marker() -> None:
    scene = _scene()
    for node, lx in zip(_nodes(_parse(render_svg(scene))), scene.lexemes, strict=True):
        rings = node.findall("s:rect[@class='anchor-ring']", NS)
        badges = node.findall("s:g[@class='anchor-badge']", NS)
        assert node.get("data-anchor") == str(lx.anchor).lower()
        assert ("anchor" in node.get("class").split()) is lx.anchor
        if lx.anchor:
            assert len(rings) == 1 and float(rings[0].get("stroke-width")) >= 3
            assert len(badges) == 1 and "⚓" in _all_text(badges[0])
            assert "anchor" in node.find("s:title", NS).text
        else:
            assert not rings and not badges


def test_palette_is_fixed_complete_and_readable() -> None:
    assert tuple(PALETTE) == REGISTERS
    colors = [*PALETTE.values(), NEUTRAL]
    assert len(set(colors)) == len(colors)
    for color in colors:
        assert re.fullmatch(r"#[0-9A-F]{6}", color)
        assert _contrast(color) >= 3.0, color  # WCAG 1.4.11 for graphics
    assert _contrast(WARNING_COLOR) >= 4.5  # it colours text


def test_register_colours() -> None:
    scene = _scene()
    nodes = _nodes(_parse(render_svg(scene)))
    by_form = {n.get("data-form"): n for n in nodes}
    assert _shape(by_form["⧖"]).get("stroke") == PALETTE["philosophical"]
    assert _shape(by_form["⟁"]).get("stroke") == PALETTE["logical"]
    assert _shape(by_form["☰"]).get("stroke") == PALETTE["technical"]
    assert _shape(by_form["🕯"]).get("stroke") == NEUTRAL
    assert not by_form["⧖"].findall("s:rect[@class='register-segment']", NS)
    segments = by_form["🜂"].findall("s:rect[@class='register-segment']", NS)
    assert [s.get("stroke") for s in segments] == [PALETTE["emotional"], PALETTE["poetic"]]
    assert [s.get("data-register") for s in segments] == ["emotional", "poetic"]


def test_legend_lists_the_registers_present() -> None:
    scene = _scene()
    items = _by_class(_parse(render_svg(scene)), "legend-item")
    keys = [i.get("data-register") for i in items]
    # REGISTERS order (poetic only on the two-register 🜂), then "no register", then the anchor
    assert keys == [
        "emotional",
        "logical",
        "poetic",
        "philosophical",
        "technical",
        "none",
        "anchor",
    ]
    for item in items[:5]:
        swatch = item.find("s:rect[@class='swatch']", NS)
        assert swatch.get("fill") == PALETTE[item.get("data-register")]
        assert item.get("data-register") in _all_text(item)
    assert items[5].find("s:rect", NS).get("fill") == NEUTRAL
    assert "⚓" in _all_text(items[6])
    only_logical = Scene(lexemes=[_lx("⟁", "рост", registers=("logical",))])
    keys = [
        i.get("data-register") for i in _by_class(_parse(render_svg(only_logical)), "legend-item")
    ]
    assert keys == ["logical"]


def test_links_join_the_right_nodes() -> None:
    scene = _scene()
    links = [*LINKS, ("🜂", "нет такого", "skipped"), ("⧖", "⧖", "self")]
    root = _parse(render_svg(scene, links=links))
    ids = {n.get("data-form"): n.get("id") for n in _nodes(root)}
    centres = {n.get("data-form"): _centre(n) for n in _nodes(root)}
    drawn = _by_class(root, "link")
    assert [(d.get("data-from"), d.get("data-to")) for d in drawn] == [
        (ids[a], ids[b]) for a, b, _ in LINKS
    ]
    for d, (a, b, label) in zip(drawn, LINKS, strict=True):
        assert label in d.find("s:title", NS).text
        nums = [float(v) for v in re.findall(r"-?[\d.]+", d.find("s:path", NS).get("d"))]
        assert (nums[0], nums[1]) == pytest.approx(centres[a], abs=0.02)
        assert (nums[-2], nums[-1]) == pytest.approx(centres[b], abs=0.02)
    # links are drawn under the nodes
    order = [e for e in root.iter() if e.get("class") in ("links", "lexemes")]
    assert [e.get("class") for e in order] == ["links", "lexemes"]


def test_unmatched_and_diagnostics_are_shown() -> None:
    root = _parse(render_svg(_scene()))
    boxes = _by_class(root, "unmatched")
    assert [b.get("data-text") for b in boxes] == ["квартира", "банк", "тишинастрах"]
    assert "тишинастрах (split: тишина + страх)" in _all_text(boxes[2])
    assert boxes[0].find("s:rect", NS).get("stroke-dasharray")
    assert "unexplained:" in _all_text(_by_class(root, "unmatched-row")[0])
    (group,) = _by_class(root, "diagnostics")
    assert group.get("fill") == WARNING_COLOR
    diags = _by_class(root, "diagnostic")
    assert [d.get("data-code") for d in diags] == ["low_coverage", "no_anchor"]
    assert "low_coverage: coverage is below the threshold" in _all_text(diags[0])
    assert "threshold 0.60" in _all_text(diags[0])
    (cov,) = _by_class(root, "coverage")
    assert cov.get("data-value") == "0.72" and "72%" in _all_text(cov)


def test_a_long_diagnostic_wraps() -> None:
    scene = Scene(lexemes=[_lx("🜂")], diagnostics=[Diagnostic("drift", "слово " * 80)])
    (diag,) = _by_class(_parse(render_svg(scene, width=400)), "diagnostic")
    assert len(diag.findall(".//s:tspan", NS)) > 3


def test_desc_is_a_text_equivalent() -> None:
    scene = _scene()
    root = _parse(render_svg(scene, links=LINKS))
    desc = root.find("s:desc", NS).text
    assert desc == describe(scene, links=LINKS)
    assert scene.hyperstring in desc
    for lx in scene.lexemes:
        assert lx.form in desc and lx.meaning in desc
        assert f"{lx.how} match, score {lx.score:.2f}" in desc
    for d in scene.diagnostics:
        assert d.code in desc
    for u in scene.unmatched:
        assert u.text in desc
    assert "тишина + страх" in desc
    assert "Anchors: 🜂, ☰." in desc
    assert "🜂 — ⧖: share «время»" in desc
    assert "coverage 72%" in desc
    assert "Phase 3:" in desc


def test_describe_without_links() -> None:
    text = describe(_scene())
    assert "Links" not in text and "Hyperscene: 🜂⧖🕯 → ⟁☰" in text


def test_escaping() -> None:
    scene = Scene(
        lexemes=[
            _lx("<&>", 'a<b & "c"', source="x'y"),
            _lx("⧖", "bad\x00control\x1b"),
            _lx('q"\n<r>', "newline in a form"),
        ],
        unmatched=[Unmatched('"<u>"', (0, 5), ["a&b"])],
        diagnostics=[Diagnostic("x<y", "1 < 2 & 'q'", forms=["<&>"])],
    )
    svg = render_svg(scene, links=[("<&>", "⧖", "</title><script>")], title="<T & T>")
    root = _parse(svg)
    assert "a&lt;b &amp; " in svg and "<script" not in svg
    nodes = _nodes(root)
    assert nodes[0].get("data-form") == "<&>"
    assert nodes[2].get("data-form") == 'q"\n<r>'  # attributes keep quotes and newlines
    assert nodes[0].find("s:text[@class='meaning']", NS).text == 'a<b & "c"'
    assert root.find("s:title", NS).text == "<T & T>"
    assert "</title><script>" in _by_class(root, "link")[0].find("s:title", NS).text
    assert '"<u>" (split: a&b)' in _all_text(_by_class(root, "unmatched")[0])
    assert "x<y: 1 < 2 & 'q'" in root.find("s:desc", NS).text


def test_deterministic() -> None:
    a = render_svg(_scene(), links=LINKS, title="t")
    assert a == render_svg(_scene(), links=LINKS, title="t")
    assert a == render_svg(Scene.from_dict(_scene().to_dict()), links=LINKS, title="t")
    assert a != render_svg(_scene(), links=LINKS, title="u")


def test_self_contained() -> None:
    svg = render_svg(_scene(), links=LINKS)
    assert re.findall(r"https?://[^\s\"']+", svg) == ["http://www.w3.org/2000/svg"]
    for banned in ("<script", "<image", "href", "<foreignObject", "@import", "url("):
        assert banned not in svg


def test_ids_are_unique_and_prefixed() -> None:
    root = _parse(render_svg(_scene(), links=LINKS))
    ids = [e.get("id") for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids))
    prefix = ids[0].rsplit("-", 1)[0]
    assert all(i.startswith(prefix + "-") for i in ids)


def test_empty_scene() -> None:
    svg = render_svg(Scene())
    root = _parse(svg)
    assert not _nodes(root)
    assert float(root.get("height")) < 120
    assert "empty" in _all_text(_by_class(root, "empty")[0])
    assert "empty" in root.find("s:desc", NS).text
    assert root.get("role") == "img"
    assert render_svg(Scene()) == svg


def test_no_lexemes_but_unexplained_text() -> None:
    scene = Scene(
        unmatched=[Unmatched("квартира", (0, 8))],
        diagnostics=[Diagnostic("low_coverage", "nothing matched", 0.0, 0.6)],
    )
    root = _parse(render_svg(scene, links=LINKS))
    assert _by_class(root, "empty") and not _by_class(root, "link")
    assert _by_class(root, "unmatched") and _by_class(root, "diagnostic")
    desc = root.find("s:desc", NS).text
    assert "квартира" in desc and "low_coverage" in desc


def test_width_too_small() -> None:
    with pytest.raises(ValueError, match="width"):
        render_svg(_scene(), width=100)


# --- from the CLI: encode|decode ... --svg FILE ------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path, _seeded_sqlite_template: Path) -> Any:
    import shutil

    from click.testing import CliRunner

    from hyperlexicon.cli import main

    db = tmp_path / "lexicon.sqlite3"
    shutil.copy(_seeded_sqlite_template, db)

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, ["--db", f"sqlite:///{db}", *args])
        return result.exit_code, result.stdout, result.stderr

    return run


def test_encode_and_decode_write_the_scene_picture(cli: Any, tmp_path: Path) -> None:
    storm, formula = tmp_path / "storm.svg", tmp_path / "formula.svg"
    code, _, err = cli("encode", "Что ты чувствуешь перед бурей?", "--svg", str(storm))
    assert code == 0 and f"picture written to {storm}" in err
    root = _parse(storm.read_text("utf-8"))
    assert "⛈" in "".join(root.itertext())
    code, _, err = cli("decode", "🜂⧖🕯 → ⟁☰☉⚭", "--style", "formula", "--svg", str(formula))
    assert code == 0, err
    text = "".join(_parse(formula.read_text("utf-8")).itertext())
    assert all(glyph in text for glyph in "🜂⧖🕯⟁☰☉⚭")


@pytest.mark.parametrize("where", ["{tmp}/missing/x.svg", "{tmp}"])
def test_a_picture_that_cannot_be_written_is_refused_before_any_work(
    cli: Any, tmp_path: Path, where: str
) -> None:
    code, out, err = cli("encode", "огонь", "--svg", where.format(tmp=tmp_path))
    assert code == 2 and err.startswith("error: Invalid value for '--svg'"), err
    assert len(err.strip().splitlines()) == 1 and out == ""
    code, out, _ = cli("log", "list", "--json")
    assert json.loads(out) == []  # nothing was encoded, nothing logged
