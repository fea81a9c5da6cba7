"""Calibration over time as an SVG plot, drawn on the server (no script, no library).

Two panels share one x axis, the stored calibrations in order: the semantic threshold of each
register (and the translated-gloss threshold, a name's, the related-word threshold, the
anchor threshold, and once a calibration fitted them a word's of a longer run, a face's, a
sentence template's and a noun's keyword threshold with its shift), and the
held-out precision (solid) and recall (dashed) each calibration measured for them. Colours
are the scene picture's register palette, so a register looks the same everywhere on the
page; the ``<desc>`` and the page's table say the same in words.
"""

from __future__ import annotations

import math
from typing import Any

from ..calibration import number
from ..entry import REGISTERS
from ..picture import ANCHOR_COLOR, FONT_STACK, NEUTRAL, PALETTE
from ..stability import REGISTER_DEFAULT

INK = "#111827"
SUBTLE = "#374151"
GRID = "#E5E7EB"
SERIES = (
    *REGISTERS,
    REGISTER_DEFAULT,
    "word",
    "feeling",
    "sentence",
    "translated",
    "related",
    "keyword",
    "anchor",
)
# the thresholds of lexemes matched by meaning but not held to the semantic one
# (``Lexeme.gate``), and the keyword thresholds' shift: drawn only once a calibration fitted
# them, since a lexicon whose users never judged such a lexeme has nothing to show for them
# but a flat default
APART = {"word": "#4D7C0F", "feeling": "#BE185D", "sentence": "#A16207", "keyword": "#1D4ED8"}
# the translated-gloss and related-word series: no register's colour (calibration fits them
# apart from the registers')
TRANSLATED_COLOR = "#0F766E"
RELATED_COLOR = "#7C2D12"


def _esc(text: object) -> str:
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def _color(series: str) -> str:
    if series == "anchor":
        return ANCHOR_COLOR
    if series == "translated":
        return TRANSLATED_COLOR
    if series == "related":
        return RELATED_COLOR
    return APART.get(series) or PALETTE.get(series, NEUTRAL)


def _n(value: float) -> str:
    s = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def series(history: list[dict[str, Any]]) -> dict[str, Any]:
    """The plot's data from ``calibration.history`` (newest first): per calibration, its label
    and, per series, the threshold and the held-out precision and recall (None when not
    measured)."""
    points = list(reversed(history))
    labels = [f"#{h['id']}" for h in points]
    dates = [str(h.get("created_at", ""))[:10] for h in points]
    thresholds: dict[str, list[float | None]] = {s: [] for s in SERIES}
    precision: dict[str, list[float | None]] = {s: [] for s in SERIES}
    recall: dict[str, list[float | None]] = {s: [] for s in SERIES}
    fitted = {s for s in APART for h in points if s in (h.get("metrics") or {})}
    for h in points:
        t = h.get("thresholds") or {}
        semantic = t.get("semantic") or {}
        metrics = h.get("metrics") or {}
        for s in SERIES:
            if s in APART:
                thresholds[s].append(_apart(s, t) if s in fitted else None)
                m = metrics.get(s) or {}
            elif s == "anchor":
                thresholds[s].append(number(t.get("anchor")))
                m = metrics.get("anchor") or {}
            elif s == "translated":
                thresholds[s].append(number(t.get("translated_name")))
                m = metrics.get("translated") or {}
            elif s == "related":
                thresholds[s].append(number(t.get("keyword_related")))
                m = metrics.get("related") or {}
            else:
                thresholds[s].append(number(semantic.get(s)))
                m = metrics.get(f"semantic:{s}") or {}
            held = m.get("held_out_after") or {}
            precision[s].append(number(held.get("precision")))
            recall[s].append(number(held.get("recall")))
    return {
        "labels": labels,
        "dates": dates,
        "thresholds": thresholds,
        "precision": precision,
        "recall": recall,
    }


def _apart(series: str, t: dict[str, Any]) -> float | None:
    """A threshold of ``APART`` as a stored calibration keeps it: a word's as the semantic
    threshold and its margin; the keyword thresholds' shift as a noun's keyword threshold
    with it (the shift alone is a signed offset off the panel's 0–1 scale, and moves every
    keyword threshold by as much: a noun's stands for them)."""
    if series == "word":
        base, plus = number((t.get("semantic") or {}).get(REGISTER_DEFAULT)), "word_margin"
    elif series == "keyword":
        base, plus = number(t.get("keyword_noun")), "keyword_shift"
    else:
        return number(t.get(series))
    margin = number(t.get(plus))
    return None if base is None or margin is None else round(base + margin, 6)


def _measured(data: dict[str, Any]) -> bool:
    """Whether any calibration measured held-out precision or recall (a skipped one did not)."""
    return any(
        v is not None for key in ("precision", "recall") for s in SERIES for v in data[key][s]
    )


def render(history: list[dict[str, Any]], *, width: int = 880) -> str:
    """The plot as a standalone SVG document.

    Never an empty frame: with no calibration it is a sentence saying what to do; a panel with
    nothing to draw (held-out figures when every calibration was skipped for want of feedback)
    is a sentence in its place, not bare axes; and a single calibration's points carry their
    values, since there is no line to read them from."""
    data = series(history)
    n = len(data["labels"])
    width = max(480, int(width))
    margin_l, margin_r, panel_h, gap, top = 56, 150, 190, 70, 44
    plot_w = width - margin_l - margin_r
    panels = [
        (
            "Semantic threshold per register (and the translated-gloss, related-word, "
            "keyword and anchor thresholds)",
            "thresholds",
        )
    ]
    if _measured(data):
        panels.append(("Held-out precision (solid) and recall (dashed) per register", "metrics"))
    notes = []
    if n and not _measured(data):
        notes.append(
            "No held-out precision or recall yet: every calibration so far was skipped for "
            "want of judged lexemes."
        )
    if n == 1:
        notes.append("One calibration so far: its values are written by its points.")
    body_h = len(panels) * panel_h + (len(panels) - 1) * gap + 56 + 22 * len(notes)
    height = top + body_h if n else top + 50
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="calplot-title calplot-desc" '
        f'font-family="{_esc(FONT_STACK)}" class="calibration-plot" data-points="{n}">',
        '  <title id="calplot-title">Calibration over time</title>',
        f'  <desc id="calplot-desc">{_esc(describe(history))}</desc>',
        f'  <rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
    ]
    if n == 0:
        out.append(
            f'  <text x="{margin_l}" y="{top}" font-size="14" fill="{SUBTLE}" '
            'font-style="italic" class="empty">No calibrations yet: accept or reject lexemes of '
            "encoded scenes, then calibrate.</text>"
        )
        out.append("</svg>")
        return "\n".join(out)

    def x_at(i: int) -> float:
        return margin_l + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    for p, (title, kind) in enumerate(panels):
        y0 = top + p * (panel_h + gap)
        out.append(f'  <g class="panel" data-panel="{kind}">')
        out.append(
            f'    <text x="{margin_l}" y="{y0 - 14}" font-size="13" font-weight="bold" '
            f'fill="{INK}">{_esc(title)}</text>'
        )
        for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
            y = y0 + panel_h * (1 - tick)
            out.append(
                f'    <line x1="{margin_l}" x2="{margin_l + plot_w}" y1="{_n(y)}" y2="{_n(y)}" '
                f'stroke="{GRID}"/>'
            )
            out.append(
                f'    <text x="{margin_l - 8}" y="{_n(y + 4)}" font-size="11" fill="{SUBTLE}" '
                f'text-anchor="end">{tick:.2f}</text>'
            )
        for i, label in enumerate(data["labels"]):
            x = x_at(i)
            out.append(
                f'    <text x="{_n(x)}" y="{y0 + panel_h + 16}" font-size="11" fill="{SUBTLE}" '
                f'text-anchor="middle">{_esc(label)}</text>'
            )
            if p == len(panels) - 1:
                out.append(
                    f'    <text x="{_n(x)}" y="{y0 + panel_h + 30}" font-size="10" '
                    f'fill="{SUBTLE}" text-anchor="middle">{_esc(data["dates"][i])}</text>'
                )
        lines = (
            [("thresholds", "", s) for s in SERIES]
            if kind == "thresholds"
            else [("precision", "", s) for s in SERIES] + [("recall", "6 4", s) for s in SERIES]
        )
        for key, dash, s in lines:
            values = data[key][s]
            if all(v is None for v in values):
                continue
            color = _color(s)
            pts = [(x_at(i), y0 + panel_h * (1 - v)) for i, v in enumerate(values) if v is not None]
            what = {"thresholds": "threshold", "precision": "precision", "recall": "recall"}[key]
            out.append(f'    <g class="series" data-series="{s}" data-measure="{what}">')
            out.append(f"      <title>{_esc(s)} {what}</title>")
            if len(pts) > 1:
                path = " ".join(f"{_n(x)},{_n(y)}" for x, y in pts)
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                out.append(
                    f'      <polyline points="{path}" fill="none" stroke="{color}" '
                    f'stroke-width="2"{dash_attr}/>'
                )
            for (x, y), v in zip(pts, [v for v in values if v is not None], strict=True):
                out.append(
                    f'      <circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{color}">'
                    f"<title>{_esc(s)} {what}: {v:.2f}</title></circle>"
                )
            out.append("    </g>")
        if n == 1:
            out.extend(_single_values(data, kind, x_at(0) + 10, y0, panel_h))
        out.append("  </g>")
    y = top + len(panels) * panel_h + (len(panels) - 1) * gap + 56
    for note in notes:
        out.append(
            f'  <text x="{margin_l}" y="{y}" font-size="13" fill="{SUBTLE}" font-style="italic" '
            f'class="note">{_esc(note)}</text>'
        )
        y += 22
    # the legend: every series drawn, in palette order
    drawn = [
        s
        for s in SERIES
        if any(v is not None for key in ("thresholds", "precision", "recall") for v in data[key][s])
    ]
    lx, ly = width - margin_r + 16, top
    out.append('  <g class="legend">')
    for i, s in enumerate(drawn):
        y = ly + i * 20
        out.append(
            f'    <rect x="{lx}" y="{y}" width="12" height="12" rx="2" fill="{_color(s)}"/>'
            f'<text x="{lx + 18}" y="{y + 11}" font-size="12" fill="{SUBTLE}">{_esc(s)}</text>'
        )
    out.append("  </g>")
    out.append("</svg>")
    return "\n".join(out)


def _single_values(data: dict[str, Any], kind: str, x: float, y0: float, panel_h: int) -> list[str]:
    """The values of a lone calibration, written beside its points, top to bottom. Series that
    share a value share a label (registers often keep one threshold, and their labels would
    otherwise stack into a column that reads like values further down), wrapped to a few
    names a line."""
    keys = ("thresholds",) if kind == "thresholds" else ("precision", "recall")
    groups: dict[tuple[float, str], list[str]] = {}
    for key in keys:
        for s in SERIES:
            v = data[key][s][0]
            if v is not None:
                groups.setdefault((round(v, 2), key), []).append(s)
    out = []
    last = -math.inf
    for (v, key), names in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        what = "" if key == "thresholds" else f" {key}"
        lines = [", ".join(names[i : i + 3]) for i in range(0, len(names), 3)]
        lines[-1] += f"{what} {v:.2f}"
        y = max(y0 + panel_h * (1 - v) + 4, last + 13)
        for i, line in enumerate(lines):
            more = "," if i < len(lines) - 1 else ""
            out.append(
                f'    <text x="{_n(x)}" y="{_n(y)}" font-size="11" fill="{SUBTLE}" class="value">'
                f"{_esc(line)}{more}</text>"
            )
            last = y
            y += 13
    return out


def describe(history: list[dict[str, Any]]) -> str:
    """The plot in words: each calibration's thresholds and held-out figures."""
    data = series(history)
    if not data["labels"]:
        return "No calibrations yet."
    lines = [f"{len(data['labels'])} calibration(s), oldest first."]
    for i, label in enumerate(data["labels"]):
        parts = []
        for s in SERIES:
            t = data["thresholds"][s][i]
            p, r = data["precision"][s][i], data["recall"][s][i]
            if t is None and p is None:
                continue
            part = f"{s} threshold {t:.2f}" if t is not None else f"{s}"
            if p is not None and r is not None:
                part += f" (precision {p:.2f}, recall {r:.2f})"
            parts.append(part)
        lines.append(f"{label} ({data['dates'][i]}): " + "; ".join(parts) + ".")
    return "\n".join(lines)
