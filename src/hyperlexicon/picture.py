"""The scene as a picture: a standalone, accessible SVG of a hyperscene.

A hyperstring (``🜂⧖🕯 → ⟁☰☉⚭``) says what a scene is but hides how sure, how heavy and how
connected each part is. The picture shows that at a glance, with nothing but the stdlib:

* each lexeme is a node (a circle, or a pill for a long form) showing its form large and its
  meaning small; its size grows with its weight (and, less, its score);
* nodes run left to right in the scene's order — its rhythm; each phase sits on its own light
  band and phases are separated by an arrow; rows wrap when the width runs out;
* anchors carry a thick outer ring and a small ⚓ badge;
* the ring colour is the lexeme's register (:data:`PALETTE`); a lexeme with several registers
  gets one ring segment per register; a legend lists the registers present;
* caller-supplied links (two lexemes sharing a component meaning, one a component of the
  other…) are curves between nodes, labelled by their ``<title>``;
* the spans nothing explained are dashed boxes, diagnostics are warning-coloured lines, and a
  small bar shows the coverage.

The SVG is self-contained (no scripts, no external references, no images) and deterministic:
the same scene, links, title and width give byte-identical output, so it can be cached,
diffed and snapshot-tested. Its ``<desc>`` carries :func:`describe`, a complete text
equivalent for screen readers and for anyone who cannot see the glyphs.
"""

from __future__ import annotations

import hashlib
import math
import textwrap
import unicodedata
from dataclasses import dataclass

from .entry import REGISTERS
from .scene import Diagnostic, Lexeme, Scene, Unmatched

__all__ = [
    "ANCHOR_COLOR",
    "FONT_STACK",
    "NEUTRAL",
    "PALETTE",
    "WARNING_COLOR",
    "describe",
    "render_svg",
]

# Alchemical symbols (🜂 🜍), Misc Technical (⧖ is Misc Math B), Geometric, Cyrillic extended
# (Ꙩ) and emoji (🕯 🔥 🫁) live in different fonts; list the ones that cover them, most
# specific first, so a browser or a rasterizer finds every glyph without fetching anything.
FONT_STACK = (
    '"Noto Sans Symbols", "Noto Sans Symbols 2", "Noto Sans Math", "Noto Color Emoji", '
    '"Symbola", "DejaVu Sans", "Segoe UI Symbol", sans-serif'
)

# One colour per register. Chosen from the Okabe–Ito and Paul Tol colour-blind-safe sets,
# each at least 3:1 against white (WCAG 1.4.11 for graphics) and distinct in lightness, so
# rings stay apart for the common colour-vision deficiencies. Colour is never the only cue:
# every node's <title> and the <desc> name the registers in words.
PALETTE: dict[str, str] = {
    "emotional": "#D55E00",  # vermillion
    "logical": "#0072B2",  # blue
    "poetic": "#AA4499",  # purple
    "philosophical": "#117733",  # green
    "technical": "#332288",  # indigo
}
NEUTRAL = "#767676"  # no register, or one outside REGISTERS (4.5:1 on white)
WARNING_COLOR = "#9A3412"  # diagnostics: dark orange, 7.3:1 on white
ANCHOR_COLOR = "#1F2937"
INK = "#111827"  # forms
SUBTLE = "#374151"  # meanings, arrows
FAINT = "#4B5563"  # how/score, phase labels (≥ 4.5:1 on the phase band)
LINK_COLOR = "#4B5563"
BAND_FILL = "#F5F5F7"
BAND_STROKE = "#E5E7EB"

_MIN_WIDTH = 320
_MARGIN = 20
_R_MIN = 16.0
_R_MAX = 40.0
_GAP = 14.0  # between cells
_MIN_CELL = 84.0  # room for the meaning under a small node
_ARROW_W = 36.0  # the column gap that carries a phase arrow
_BAND_PAD = 6.0
_ROW_H = 160.0
_ROW_CY = 70.0  # node centre from the row top
_MEANING_FS = 11.0
_HOW_FS = 10.0


# -- text helpers -------------------------------------------------------------------------


def _clean(text: object) -> str:
    """Drop what XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/F)."""
    out = []
    for ch in str(text):
        o = ord(ch)
        if o in (0x9, 0xA, 0xD) or (
            0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or 0x10000 <= o <= 0x10FFFF
        ):
            out.append(ch)
        else:
            out.append("\ufffd")
    return "".join(out)


def _esc(text: object) -> str:
    """Escape text content: forms and meanings may hold ``<``, ``&`` and quotes."""
    return _clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ATTR_ESCAPES = str.maketrans({'"': "&quot;", "\n": "&#10;", "\t": "&#9;", "\r": "&#13;"})


def _attr(text: object) -> str:
    """Escape an attribute value (always written in double quotes; newlines survive parsing)."""
    return _esc(text).translate(_ATTR_ESCAPES)


def _n(value: float) -> str:
    """A coordinate with at most two decimals: short, stable output."""
    s = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _unit(value: float | None) -> float:
    """Clamp to 0..1; NaN and None count as 0 (a broken number must not break the picture)."""
    if value is None or not isinstance(value, int | float) or math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def _char_em(ch: str) -> float:
    """An estimate of a character's advance in ems: the layout needs widths without fonts."""
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Me", "Cf"):  # combining marks, variation selectors, ZWJ
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F") or cat in ("So", "Sm", "Sk"):
        return 1.05
    if ch == " ":
        return 0.3
    if cat == "Lu":
        return 0.7
    if cat.startswith("L"):
        return 0.6
    if cat.startswith("N"):
        return 0.58
    return 0.4


def _text_w(text: str, fs: float) -> float:
    return sum(_char_em(ch) for ch in text) * fs


def _fit(text: str, max_px: float, fs: float) -> str:
    """Cut ``text`` to ``max_px`` wide with an ellipsis; the full text stays in a <title>."""
    if _text_w(text, fs) <= max_px:
        return text
    budget = max_px - _char_em("…") * fs
    out, used = [], 0.0
    for ch in text:
        w = _char_em(ch) * fs
        if used + w > budget:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + "…"


def _visible_len(text: str) -> int:
    return sum(1 for ch in text if _char_em(ch) > 0)


def _glyphish(form: str) -> bool:
    """Glyphs (and 1–2 character forms like Ꙩ) are drawn large; words and Δ-codes smaller."""
    if _visible_len(form) <= 2:
        return True
    return not any(unicodedata.category(ch)[0] in "LN" for ch in form)


def _tint(color: str, keep: float = 0.16) -> str:
    """The colour mixed with white: an opaque, light fill that keeps dark text readable."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 - (255 - c) * keep) for c in rgb]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def _register_color(register: str) -> str:
    return PALETTE.get(register, NEUTRAL)


def _pct(value: float) -> str:
    return f"{round(_unit(value) * 100)}%"


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}"


# -- the text equivalent ------------------------------------------------------------------


def _ordered(scene: Scene) -> list[tuple[int, Lexeme]]:
    """Lexemes in drawing order, each with its displayed (1-based, non-empty) phase."""
    out: list[tuple[int, Lexeme]] = []
    for number, phase in enumerate((p for p in scene.phases if p), start=1):
        out.extend((number, lx) for lx in phase)
    return out


def _resolve_links(
    forms: list[str], links: list[tuple[str, str, str]] | None
) -> list[tuple[int, int, str, str, str]]:
    """Map ``(form_a, form_b, label)`` to node indexes (first occurrence of each form).

    A link naming a form the scene does not hold, or a form with itself, has nothing to
    connect: it is left out of both the picture and its text equivalent.
    """
    first: dict[str, int] = {}
    for i, form in enumerate(forms):
        first.setdefault(form, i)
    out = []
    for link in links or ():
        a, b, label = (str(x) for x in link)
        if a in first and b in first and first[a] != first[b]:
            out.append((first[a], first[b], a, b, label))
    return out


def _lexeme_line(lx: Lexeme) -> str:
    """One lexeme in words: what the node's <title> says and the <desc> lists."""
    meaning = lx.meaning or "no meaning given"
    parts = [
        f"{lx.how} match, score {_unit(lx.score):.2f}, weight {_unit(lx.weight):.2f}",
        "registers: " + (", ".join(lx.registers) if lx.registers else "none"),
    ]
    if lx.anchor:
        parts.append("anchor")
    if lx.source:
        parts.append(f"from «{lx.source}»")
    return f"{lx.form} — {meaning}: " + "; ".join(parts)


def _unmatched_line(u: Unmatched) -> str:
    return u.text + (f" (split: {' + '.join(u.split)})" if u.split else "")


def _diagnostic_line(d: Diagnostic) -> str:
    extra = []
    if d.value is not None:
        extra.append(f"value {_num(d.value)}")
    if d.threshold is not None:
        extra.append(f"threshold {_num(d.threshold)}")
    if d.forms:
        extra.append("forms: " + ", ".join(d.forms))
    return f"{d.code}: {d.message}" + (f" ({'; '.join(extra)})" if extra else "")


def describe(scene: Scene, *, links: list[tuple[str, str, str]] | None = None) -> str:
    """The picture in plain text: the <desc> of the SVG, and a fallback wherever it can't show.

    It says everything the picture draws — the hyperstring, each lexeme with its meaning, how
    it matched, its score, weight, registers and whether it anchors the scene, phase by phase;
    the links; the coverage; the unexplained spans; the diagnostics — so a screen-reader user
    (or someone whose fonts lack the alchemical block) loses nothing.
    """
    ordered = _ordered(scene)
    lines: list[str] = []
    if ordered:
        lines.append(f"Hyperscene: {scene.hyperstring}")
        phases = ordered[-1][0]
        lines.append(
            f"{len(ordered)} lexeme{'s' if len(ordered) != 1 else ''} "
            f"in {phases} phase{'s' if phases != 1 else ''}; coverage {_pct(scene.coverage)}."
        )
        current = 0
        for i, (number, lx) in enumerate(ordered, start=1):
            if number != current:
                current = number
                lines.append(f"Phase {number}:")
            lines.append(f"  {i}. {_lexeme_line(lx)}.")
        anchors = [lx.form for _, lx in ordered if lx.anchor]
        lines.append("Anchors: " + (", ".join(anchors) if anchors else "none") + ".")
        shares = scene.field["registers"]
        if shares:
            lines.append(
                "Registers: " + ", ".join(f"{r} {_pct(v)}" for r, v in shares.items()) + "."
            )
    else:
        lines.append("Hyperscene: empty — no hyperlexemes.")
        lines.append(f"Coverage {_pct(scene.coverage)}.")
    resolved = _resolve_links([lx.form for _, lx in ordered], links)
    if resolved:
        lines.append("Links:")
        lines.extend(f"  {a} — {b}: {label}" for _, _, a, b, label in resolved)
    if scene.unmatched:
        lines.append("Unexplained: " + "; ".join(_unmatched_line(u) for u in scene.unmatched))
    if scene.diagnostics:
        lines.append("Diagnostics:")
        lines.extend(f"  {_diagnostic_line(d)}" for d in scene.diagnostics)
    return "\n".join(lines)


# -- layout -------------------------------------------------------------------------------


@dataclass
class _Node:
    index: int
    phase_no: int
    lx: Lexeme
    r: float
    w: float
    fs: float
    label: str  # the visible form (cut if it cannot fit)
    cell: float  # the cell width, without the gap
    row: int = 0
    x0: float = 0.0  # the cell's left edge
    cx: float = 0.0
    cy: float = 0.0


def _radius(lx: Lexeme) -> float:
    """Weight sets the size; score adds a little, so a heavy but doubtful match stays modest."""
    size = 0.7 * _unit(lx.weight) + 0.3 * _unit(lx.score)
    return _R_MIN + (_R_MAX - _R_MIN) * size


def _make_node(index: int, phase_no: int, lx: Lexeme, max_w: float) -> _Node:
    r = _radius(lx)
    form = _clean(lx.form)
    fs = r * 0.95 if _glyphish(form) else min(18.0, max(11.0, r * 0.5))
    pad = r * 0.9 + 4
    label = _fit(form, max_w - pad, fs)
    w = min(max_w, max(2 * r, _text_w(label, fs) + pad))
    return _Node(index, phase_no, lx, r, w, fs, label, max(w, _MIN_CELL))


@dataclass
class _Layout:
    nodes: list[_Node]
    arrows: list[tuple[int, float, float, int]]  # row, x from, x to, phase it leads into
    bands: list[list[float]]  # row, phase number, x from, x to
    rows: int


def _layout(ordered: list[tuple[int, Lexeme]], width: int) -> _Layout:
    """Place cells left to right, an arrow column before each new phase, wrapping rows."""
    left = _MARGIN + _BAND_PAD
    right = width - _MARGIN - _BAND_PAD
    max_w = right - left - _ARROW_W
    nodes = [_make_node(i, p, lx, max_w) for i, (p, lx) in enumerate(ordered)]
    arrows: list[tuple[int, float, float, int]] = []
    bands: list[list[float]] = []
    x, row, row_used, prev_phase = left, 0, False, 0
    for node in nodes:
        new_phase = node.phase_no != prev_phase
        if new_phase and node.phase_no > 1:
            if row_used and x + _ARROW_W + node.cell > right:
                row, x, row_used = row + 1, left, False
            start = x - _GAP / 2 if row_used else x - _BAND_PAD
            arrows.append((row, start + 2, x + _ARROW_W - _BAND_PAD - 4, node.phase_no))
            x += _ARROW_W
        elif row_used and x + node.cell > right:
            row, x, row_used = row + 1, left, False
        node.row, node.x0 = row, x
        node.cx = x + node.cell / 2
        if new_phase or not bands or bands[-1][0] != row:
            bands.append([row, node.phase_no, x - _BAND_PAD, x + node.cell + _BAND_PAD])
        else:
            bands[-1][3] = x + node.cell + _BAND_PAD
        x += node.cell + _GAP
        row_used, prev_phase = True, node.phase_no
    return _Layout(nodes, arrows, bands, row + 1 if nodes else 0)


# -- drawing ------------------------------------------------------------------------------


class _Svg:
    """A tiny writer: indentation and escaping in one place."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, line: str, depth: int = 1) -> None:
        self.parts.append("  " * depth + line)

    def text(self, x: float, y: float, content: str, depth: int = 1, **attrs: str | float) -> None:
        extra = "".join(
            f' {k.rstrip("_").replace("_", "-")}="{_attr(v if isinstance(v, str) else _n(v))}"'
            for k, v in attrs.items()
        )
        self.add(f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{_esc(content)}</text>', depth)


def _header(svg: _Svg, scene: Scene, heading: str, width: int, y: float) -> float:
    svg.add(
        f'<text class="heading" x="{_MARGIN}" y="{_n(y + 16)}" font-size="16" '
        f'font-weight="bold" fill="{INK}">{_esc(_fit(heading, width - 2 * _MARGIN - 240, 16))}'
        "</text>"
    )
    # the coverage bar, top right
    bar_w, bar_x = 120.0, width - _MARGIN - 120.0
    cov = _unit(scene.coverage)
    svg.add(f'<g class="coverage" data-value="{_n(cov)}">')
    svg.add(f"<title>coverage {_pct(cov)}: the share of the text a lexeme explains</title>", 2)
    svg.text(
        bar_x - 8, y + 15, f"coverage {_pct(cov)}", 2, font_size=12, fill=SUBTLE, text_anchor="end"
    )
    svg.add(
        f'<rect x="{_n(bar_x)}" y="{_n(y + 6)}" width="{_n(bar_w)}" height="10" rx="3" '
        f'fill="{BAND_STROKE}" stroke="{FAINT}" stroke-width="0.5"/>',
        2,
    )
    svg.add(
        f'<rect class="coverage-fill" x="{_n(bar_x)}" y="{_n(y + 6)}" '
        f'width="{_n(bar_w * cov)}" height="10" rx="3" fill="{SUBTLE}"/>',
        2,
    )
    svg.add("</g>")
    y += 24
    if scene.lexemes:
        line = _fit(scene.hyperstring, width - 2 * _MARGIN, 22)
        svg.add(
            f'<text class="hyperstring" x="{_MARGIN}" y="{_n(y + 24)}" font-size="22" '
            f'fill="{INK}">{_esc(line)}</text>'
        )
        y += 34
    return y + 6


def _legend(svg: _Svg, scene: Scene, width: int, y: float) -> float:
    """Registers present (with their share of the field), 'no register' and the anchor key."""
    present = {r for lx in scene.lexemes for r in lx.registers}
    known = [r for r in REGISTERS if r in present]
    unknown = sorted(present - set(REGISTERS))
    shares = scene.field["registers"]
    items: list[tuple[str, str, str]] = []  # key, colour, label
    for r in [*known, *unknown]:
        share = f" {_pct(shares[r])}" if r in shares else ""
        items.append((r, _register_color(r), f"{r}{share}"))
    if any(not lx.registers for lx in scene.lexemes):
        items.append(("none", NEUTRAL, "no register"))
    svg.add('<g class="legend">')
    x, line_h, fs = float(_MARGIN), 20.0, 12.0
    for key, color, label in items:
        w = 18 + _text_w(label, fs) + 16
        if x + w > width - _MARGIN and x > _MARGIN:
            x, y = float(_MARGIN), y + line_h
        svg.add(f'<g class="legend-item" data-register="{_attr(key)}">', 2)
        svg.add(
            f'<rect class="swatch" x="{_n(x)}" y="{_n(y + 3)}" width="12" height="12" rx="2" '
            f'fill="{color}"/>',
            3,
        )
        svg.text(x + 18, y + 13, label, 3, font_size=fs, fill=SUBTLE)
        svg.add("</g>", 2)
        x += w
    if any(lx.anchor for lx in scene.lexemes):
        label = "anchor"
        w = 22 + _text_w(label, fs) + 16
        if x + w > width - _MARGIN and x > _MARGIN:
            x, y = float(_MARGIN), y + line_h
        svg.add('<g class="legend-item" data-register="anchor">', 2)
        svg.add(
            f'<circle cx="{_n(x + 8)}" cy="{_n(y + 9)}" r="7" fill="#FFFFFF" '
            f'stroke="{ANCHOR_COLOR}" stroke-width="2.5"/>',
            3,
        )
        svg.text(x + 22, y + 13, f"⚓ {label}", 3, font_size=fs, fill=SUBTLE)
        svg.add("</g>", 2)
    svg.add("</g>")
    return y + line_h + 6


def _shape(x: float, y: float, w: float, h: float, rx: float, attrs: str) -> str:
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
        f'rx="{_n(rx)}" ry="{_n(rx)}" {attrs}/>'
    )


def _draw_node(svg: _Svg, node: _Node, prefix: str, top: float) -> None:
    lx, r, w = node.lx, node.r, node.w
    node.cy = top + node.row * _ROW_H + _ROW_CY
    x, y = node.cx - w / 2, node.cy - r
    regs = list(lx.registers)
    colors = [_register_color(reg) for reg in regs] or [NEUTRAL]
    svg.add(
        f'<g class="lexeme{" anchor" if lx.anchor else ""}" id="{prefix}-n{node.index}" '
        f'data-index="{node.index}" data-form="{_attr(lx.form)}" data-phase="{node.phase_no}" '
        f'data-registers="{_attr(" ".join(regs))}" data-anchor="{str(lx.anchor).lower()}" '
        f'data-weight="{_n(_unit(lx.weight))}" data-score="{_n(_unit(lx.score))}">',
        2,
    )
    svg.add(f"<title>{_esc(_lexeme_line(lx))}</title>", 3)
    if lx.anchor:
        ring = 5.0
        svg.add(
            _shape(
                x - ring,
                y - ring,
                w + 2 * ring,
                2 * (r + ring),
                r + ring,
                f'class="anchor-ring" fill="none" stroke="{ANCHOR_COLOR}" stroke-width="3.5"',
            ),
            3,
        )
    svg.add(
        _shape(
            x,
            y,
            w,
            2 * r,
            r,
            f'class="node-shape" fill="{_tint(colors[0])}" stroke="{colors[0]}" stroke-width="3"',
        ),
        3,
    )
    if len(colors) > 1:
        # one ring segment per register, along the outline (a rect's outline starts top left)
        perimeter = 2 * (w - 2 * r) + 2 * math.pi * r
        seg = perimeter / len(colors)
        for i, (reg, color) in enumerate(zip(regs, colors, strict=True)):
            svg.add(
                _shape(
                    x,
                    y,
                    w,
                    2 * r,
                    r,
                    f'class="register-segment" data-register="{_attr(reg)}" fill="none" '
                    f'stroke="{color}" stroke-width="3" '
                    f'stroke-dasharray="{_n(seg)} {_n(perimeter - seg)}" '
                    f'stroke-dashoffset="{_n(-i * seg)}"',
                ),
                3,
            )
    svg.text(
        node.cx,
        node.cy,
        node.label,
        3,
        class_="form",
        font_size=node.fs,
        fill=INK,
        text_anchor="middle",
        dominant_baseline="central",
    )
    if lx.anchor:
        bx, by = node.cx + w / 2 - r * 0.29, node.cy - r * 0.71
        if w > 2 * r:  # a pill: put the badge on its right end
            bx, by = node.cx + w / 2 - 4, node.cy - r + 2
        svg.add('<g class="anchor-badge">', 3)
        svg.add(
            f'<circle cx="{_n(bx)}" cy="{_n(by)}" r="9" fill="#FFFFFF" '
            f'stroke="{ANCHOR_COLOR}" stroke-width="1.5"/>',
            4,
        )
        svg.text(
            bx,
            by,
            "⚓",
            4,
            font_size=11,
            fill=ANCHOR_COLOR,
            text_anchor="middle",
            dominant_baseline="central",
        )
        svg.add("</g>", 3)
    label_y = node.cy + _R_MAX + 20
    meaning = _fit(_clean(lx.meaning), node.cell + _GAP - 4, _MEANING_FS) if lx.meaning else ""
    if meaning:
        svg.text(
            node.cx,
            label_y,
            meaning,
            3,
            class_="meaning",
            font_size=_MEANING_FS,
            fill=SUBTLE,
            text_anchor="middle",
        )
    svg.text(
        node.cx,
        label_y + 15,
        f"{lx.how} · {_unit(lx.score):.2f}",
        3,
        class_="how",
        font_size=_HOW_FS,
        fill=FAINT,
        text_anchor="middle",
    )
    svg.add("</g>", 2)


def _draw_links(
    svg: _Svg, nodes: list[_Node], resolved: list[tuple[int, int, str, str, str]], prefix: str
) -> None:
    """Curves from centre to centre, drawn under the nodes so only the span between shows."""
    svg.add('<g class="links" fill="none">')
    for ia, ib, a, b, label in resolved:
        na, nb = nodes[ia], nodes[ib]
        x1, y1, x2, y2 = na.cx, na.cy, nb.cx, nb.cy
        if na.row == nb.row:
            # an arch over the row, high enough to clear the larger node
            lift = min(2 * (_ROW_CY - 4), 2 * (max(na.r, nb.r) + 14) + 0.1 * abs(x2 - x1))
            d = f"M {_n(x1)} {_n(y1)} Q {_n((x1 + x2) / 2)} {_n(y1 - lift)} {_n(x2)} {_n(y2)}"
        else:
            mid = (y1 + y2) / 2
            d = f"M {_n(x1)} {_n(y1)} C {_n(x1)} {_n(mid)} {_n(x2)} {_n(mid)} {_n(x2)} {_n(y2)}"
        svg.add(
            f'<g class="link" data-from="{prefix}-n{ia}" data-to="{prefix}-n{ib}" '
            f'data-label="{_attr(label)}">',
            2,
        )
        svg.add(f"<title>{_esc(f'{a} — {b}: {label}')}</title>", 3)
        svg.add(
            f'<path d="{d}" stroke="{LINK_COLOR}" stroke-width="1.6" stroke-opacity="0.85" '
            f'stroke-linecap="round"/>',
            3,
        )
        svg.add("</g>", 2)
    svg.add("</g>")


def _draw_scene(
    svg: _Svg,
    layout: _Layout,
    resolved: list[tuple[int, int, str, str, str]],
    prefix: str,
    y: float,
) -> float:
    svg.add('<g class="phases">')
    for row, phase_no, x0, x1 in layout.bands:
        top = y + row * _ROW_H
        svg.add(f'<g class="phase" data-phase="{int(phase_no)}">', 2)
        svg.text(x0 + 2, top + 11, f"phase {int(phase_no)}", 3, font_size=10, fill=FAINT)
        svg.add(
            f'<rect x="{_n(x0)}" y="{_n(top + 16)}" width="{_n(x1 - x0)}" '
            f'height="{_n(_ROW_H - 22)}" rx="10" fill="{BAND_FILL}" stroke="{BAND_STROKE}"/>',
            3,
        )
        svg.add("</g>", 2)
    for row, xa, xb, phase_no in layout.arrows:
        cy = y + row * _ROW_H + _ROW_CY
        svg.add(f'<g class="phase-arrow" data-phase="{phase_no}">', 2)
        svg.add(f"<title>then phase {phase_no}</title>", 3)
        svg.add(
            f'<path d="M {_n(xa)} {_n(cy)} H {_n(xb - 6)}" stroke="{SUBTLE}" stroke-width="2" '
            f'fill="none"/>',
            3,
        )
        svg.add(
            f'<path d="M {_n(xb)} {_n(cy)} L {_n(xb - 8)} {_n(cy - 5)} '
            f'L {_n(xb - 8)} {_n(cy + 5)} Z" fill="{SUBTLE}"/>',
            3,
        )
        svg.add("</g>", 2)
    svg.add("</g>")
    for node in layout.nodes:  # centres are needed by the links, drawn first (underneath)
        node.cy = y + node.row * _ROW_H + _ROW_CY
    _draw_links(svg, layout.nodes, resolved, prefix)
    svg.add('<g class="lexemes">')
    for node in layout.nodes:
        _draw_node(svg, node, prefix, y)
    svg.add("</g>")
    return y + layout.rows * _ROW_H + 4


def _draw_unmatched(svg: _Svg, scene: Scene, width: int, y: float) -> float:
    """Dashed boxes, one per unexplained span: what the lexicon could not say (yet)."""
    fs, h = 12.0, 22.0
    svg.add('<g class="unmatched-row">')
    svg.text(_MARGIN, y + 15, "unexplained:", 2, font_size=fs, fill=SUBTLE, font_style="italic")
    x = _MARGIN + _text_w("unexplained:", fs) + 10
    limit = width - _MARGIN
    for u in scene.unmatched:
        full = _clean(_unmatched_line(u))
        label = _fit(full, limit - _MARGIN - 12, fs)
        w = _text_w(label, fs) + 12
        if x + w > limit and x > _MARGIN:
            x, y = float(_MARGIN), y + h + 6
        start, end = u.span
        svg.add(f'<g class="unmatched" data-text="{_attr(u.text)}">', 2)
        svg.add(f"<title>{_esc(f'{full} — characters {start}–{end}')}</title>", 3)
        svg.add(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="4" '
            f'fill="#FAFAFA" stroke="{NEUTRAL}" stroke-width="1.2" stroke-dasharray="4 3"/>',
            3,
        )
        svg.text(x + 6, y + 15, label, 3, font_size=fs, fill=INK)
        svg.add("</g>", 2)
        x += w + 8
    svg.add("</g>")
    return y + h + 10


def _draw_diagnostics(svg: _Svg, scene: Scene, width: int, y: float) -> float:
    """Warning-coloured lines, wrapped to the width: what the stability checks found."""
    fs, line_h = 12.0, 16.0
    chars = max(20, int((width - 2 * _MARGIN - 16) / (fs * 0.6)))
    svg.add(f'<g class="diagnostics" fill="{WARNING_COLOR}">')
    for d in scene.diagnostics:
        lines = textwrap.wrap(_clean(_diagnostic_line(d)), chars) or [_clean(d.code)]
        svg.add(f'<g class="diagnostic" data-code="{_attr(d.code)}">', 2)
        svg.add(f"<title>{_esc(_diagnostic_line(d))}</title>", 3)
        svg.add(f'<text x="{_MARGIN}" y="{_n(y + 13)}" font-size="{_n(fs)}">', 3)
        svg.add(f'<tspan x="{_MARGIN}" dy="0">⚠</tspan>', 4)
        for i, line in enumerate(lines):
            dy = "0" if i == 0 else _n(line_h)
            svg.add(f'<tspan x="{_MARGIN + 16}" dy="{dy}">{_esc(line)}</tspan>', 4)
        svg.add("</text>", 3)
        svg.add("</g>", 2)
        y += line_h * len(lines) + 4
    svg.add("</g>")
    return y + 6


def render_svg(
    scene: Scene,
    *,
    links: list[tuple[str, str, str]] | None = None,
    title: str | None = None,
    width: int = 880,
) -> str:
    """Draw ``scene`` as a standalone SVG document (a string).

    ``links`` are ``(form_a, form_b, label)`` triples from the caller — the scene itself does
    not know which lexemes share a component; each joins the first node of each form, and a
    link to a form not in the scene is skipped. ``title`` heads the picture (default: the
    hyperstring). ``width`` is in pixels; the height follows from the content.
    """
    if width < _MIN_WIDTH:
        raise ValueError(f"width must be at least {_MIN_WIDTH} pixels, got {width}")
    width = int(width)
    ordered = _ordered(scene)
    resolved = _resolve_links([lx.form for _, lx in ordered], links)
    text_equivalent = describe(scene, links=links)
    if title is not None:
        heading = title
    elif ordered:
        heading = f"Hyperscene: {scene.hyperstring}"
    else:
        heading = "Hyperscene: empty"
    # ids must be unique on a page that inlines several pictures, and stable for one scene
    digest = hashlib.sha1(
        "\x1f".join([heading, text_equivalent, str(width)]).encode("utf-8", "surrogatepass")
    ).hexdigest()[:10]
    prefix = f"hl-{digest}"

    body = _Svg()
    y = float(_MARGIN) - 4
    y = _header(body, scene, heading, width, y)
    if ordered:
        y = _legend(body, scene, width, y)
        y = _draw_scene(body, _layout(ordered, width), resolved, prefix, y)
    else:
        body.text(
            _MARGIN,
            y + 18,
            "This scene is empty: no hyperlexemes.",
            1,
            class_="empty",
            font_size=14,
            fill=SUBTLE,
            font_style="italic",
        )
        y += 32
    if scene.unmatched:
        y = _draw_unmatched(body, scene, width, y)
    if scene.diagnostics:
        y = _draw_diagnostics(body, scene, width, y)
    height = math.ceil(y + _MARGIN - 8)

    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" font-family="{_attr(FONT_STACK)}" '
        f'class="hyperscene">',
        f'  <title id="{prefix}-title">{_esc(heading)}</title>',
        f'  <desc id="{prefix}-desc">{_esc(text_equivalent)}</desc>',
        f'  <rect class="background" x="0" y="0" width="{width}" height="{height}" '
        f'fill="#FFFFFF"/>',
    ]
    return "\n".join([*head, *body.parts, "</svg>", ""])
