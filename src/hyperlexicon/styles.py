"""Rendering a scene as text, without an LLM: narrative, essay, formula, poem; ru and en.

The renderers work from each lexeme's meaning (its first gloss in the language) and, when the
whole hyperstring or a single lexeme is itself a lexicon entry with a phrase for a gloss
(``⚡🜂🫁`` → «вдох, как молния в тумане тела»), from that phrase: the lexicon's own words are
better than any template. Constructions keep every meaning in the nominative (lists, dashes,
colons), so Russian needs no declension.

``formula`` is the lossless style: ``fire + time + candle → growth + law + sun + unity``, each
name resolving back to exactly one entry (the bridge qualifies a name as ``name⟨form⟩``
whenever the bare name would not).
"""

from __future__ import annotations

from collections.abc import Sequence

STYLES = ("narrative", "essay", "formula", "poem")
LANGS = ("ru", "en")

_AND = {"ru": "и", "en": "and"}
_REGISTER_NAMES = {
    "ru": {
        "emotional": "эмоциональный",
        "logical": "логический",
        "poetic": "поэтический",
        "philosophical": "философский",
        "technical": "технический",
    },
    "en": {r: r for r in ("emotional", "logical", "poetic", "philosophical", "technical")},
}


def join_list(items: Sequence[str], lang: str) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    comma = "," if lang == "en" and len(items) > 2 else ""
    return f"{', '.join(items[:-1])}{comma} {_AND[lang]} {items[-1]}"


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def sentence(text: str) -> str:
    text = capitalize(text.strip())
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def narrative(
    phases: list[list[str]], lang: str, register: str | None, template: str | None
) -> str:
    if template:
        return sentence(template)
    parts = [join_list(p, lang) for p in phases if p]
    if not parts:
        return ""
    if len(parts) == 1:
        if register in ("logical", "technical"):
            return sentence(("Сцена: " if lang == "ru" else "The scene: ") + ", ".join(phases[0]))
        return sentence(parts[0])
    if register in ("logical", "technical"):
        lead = "Сцена: " if lang == "ru" else "The scene: "
        return sentence(lead + " → ".join(", ".join(p) for p in phases if p))
    if register == "emotional":
        tail = " … и вот — " if lang == "ru" else " … and then — "
        return sentence(parts[0] + tail + tail.join(parts[1:]))
    if register == "philosophical":
        first, then = ("Сначала — ", "; затем — ") if lang == "ru" else ("First, ", "; then ")
        return sentence(first + parts[0] + then + then.join(parts[1:]))
    link = " — а затем " if lang == "ru" else " — and then "
    return sentence(parts[0] + link + link.join(parts[1:]))


def essay(
    phases: list[list[str]],
    lang: str,
    register: str | None,
    template: str | None,
    anchors: Sequence[str],
    field_registers: Sequence[str],
) -> str:
    flat = [m for p in phases for m in p]
    if not flat:
        return ""
    center = anchors[0] if anchors else flat[0]
    others = [m for m in flat if m != center]
    out: list[str] = []
    if lang == "ru":
        out.append(f"{capitalize(center)} — средоточие этой сцены.")
        if template:
            out.append(sentence(template))
        if others and len(phases) <= 1:
            out.append(f"Рядом с ним — {join_list(others, lang)}.")
        for n, phase in enumerate(phases[1:], start=2):
            out.append(f"Затем, в {n}-й фазе, сцена переходит: {join_list(phase, lang)}.")
        if len(phases) > 1 and phases[0]:
            out.insert(1, f"Начало — {join_list(phases[0], lang)}.")
        reg = register or (field_registers[0] if field_registers else None)
        if reg:
            out.append(f"Регистр сцены — {_REGISTER_NAMES['ru'][reg]}.")
    else:
        out.append(f"{capitalize(center)} is the center of this scene.")
        if template:
            out.append(sentence(template))
        if others and len(phases) <= 1:
            out.append(f"Beside it: {join_list(others, lang)}.")
        for n, phase in enumerate(phases[1:], start=2):
            out.append(f"Then, in phase {n}, the scene turns: {join_list(phase, lang)}.")
        if len(phases) > 1 and phases[0]:
            out.insert(1, f"It begins with {join_list(phases[0], lang)}.")
        reg = register or (field_registers[0] if field_registers else None)
        if reg:
            out.append(f"Its register is {reg}.")
    return " ".join(out)


def poem(phases: list[list[str]], lang: str, register: str | None, template: str | None) -> str:
    if template:
        segments = [seg.strip() for seg in template.split(",") if seg.strip()]
        lines: list[str] = []
        for n, seg in enumerate(segments):
            broken = _break(seg)
            broken[-1] += "." if n == len(segments) - 1 else ","
            lines.extend(broken)
        lines[0] = capitalize(lines[0])
        body = "\n".join(lines)
        names = [m for p in phases for m in p]
        if len(names) > 1:
            body += "\n\n" + " · ".join(names)
        return body
    stanzas = []
    mark = " —" if register in ("emotional", "poetic", "philosophical", None) else ";"
    for phase in phases:
        if phase:
            lines = [capitalize(m) + mark for m in phase[:-1]] + [capitalize(phase[-1]) + "."]
            stanzas.append("\n".join(lines))
    return "\n\n".join(stanzas)


def _break(line: str, width: int = 18) -> list[str]:
    """Break a long line in two at the space nearest its middle, never right after a short
    word (a line does not end on «в» or «a»)."""
    if len(line) <= width:
        return [line]
    words = line.split(" ")
    cuts = [i for i in range(1, len(words)) if len(words[i - 1]) > 2]
    if not cuts:
        return [line]
    middle = len(line) / 2
    cut = min(cuts, key=lambda i: abs(len(" ".join(words[:i])) - middle))
    return [" ".join(words[:cut]), " ".join(words[cut:])]


def formula(phases: list[list[str]]) -> str:
    return " → ".join(" + ".join(p) for p in phases if p)
