"""Stability diagnostics (seed section 12), each a measured value against a threshold.

=====================  =====================================================================
coupling_error         12.2.1: the scene's lexemes do not hold together: the mean pairwise
                       cosine of their vectors is under ``coupling``
decompression_error    12.2.2: decoded in a register other than the one asked: the share of
                       the decoded lexemes that carry the asked register is under
                       ``decompression``
anchor_loss            12.2.3: no lexeme scores at or above ``anchor``
parasitic_metaphor     12.2.4: for some span the best two candidates are within ``margin``
unstable_scene         12.3.2: encode → decode → encode returns a scene whose Jaccard overlap
                       (of entries) with the first is under ``stability``
low_density            12.6.2: the lexemes explain less than ``density`` of the text's content
=====================  =====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .scene import Diagnostic, Scene

REGISTER_DEFAULT = "default"


@dataclass(frozen=True)
class Thresholds:
    """Every threshold the bridge uses. Calibration (from feedback) replaces the defaults."""

    semantic: dict[str, float] = field(
        default_factory=lambda: {
            REGISTER_DEFAULT: 0.6,
            "emotional": 0.6,
            "logical": 0.6,
            "poetic": 0.6,
            "philosophical": 0.6,
            "technical": 0.6,
        }
    )
    sentence: float = 0.8  # a whole sentence close to an entry (its example: a template)
    anchor: float = 0.75
    # the 5th percentile of random glyph triples of the core seed (USE, ru): see docs/bridge.md
    coupling: float = 0.15
    margin: float = 0.02
    stability: float = 0.5
    density: float = 0.5
    decompression: float = 0.34
    weight_floor: float = 0.0  # entries under it are filtered out (the adaptive filter)
    # the least similarity for a Δ-code to anchor a scene that falls apart: a farther one
    # says nothing about the text, and the scene says so instead of reading one aloud
    archetype: float = 0.28
    # how much nearer than the semantic threshold a word picked out of a longer unexplained run
    # must be to its entry (a word alone is the run, at the threshold itself)
    word_margin: float = 0.2
    # the least closeness of an entry to a word that is only one of its further glosses (a
    # keyword) or a component meaning, alone or in its context, for the word to stand for it:
    # a noun (a thing, what glyphs mostly show), and any other part of speech
    keyword_noun: float = 0.2
    keyword: float = 0.55
    # a noun that names nothing in its language, by its translations into the other: a
    # translation brings its other senses too («ключ» → key as well as spring)
    keyword_translation: float = 0.45
    # ... and by its first translation where that is the word's own sense (its own first
    # translation is the word): 0.4 against 0.45 found 16 more of 786 concepts on the
    # lexicon glossed in Russian only for 4 more spurious lexemes, 6 for 4 on the English-only
    # one (bench/encode_quality.py), and more on both held-out sets
    keyword_sense: float = 0.4
    # a verb, for an entry whose English name shows the act («sleeps»: 😴 "sleeping face")
    keyword_act: float = 0.35
    # and the least closeness of that entry to the keyword's whole sentence: the sentence
    # tells a keyword's sense better than the word and its neighbours do ("day" of 🌞 in a
    # sentence about pills), see docs/bridge.md
    keyword_sentence: float = 0.1
    # added to a keyword's threshold when the bilingual dictionary knows the word and none of
    # its translations is among the entry's glosses in the other language: the lexicon's two
    # languages disagree that the word names the entry («река» is a Russian keyword of 😭,
    # "tears in a river", but river is none of its English ones), see docs/bridge.md
    keyword_unshared: float = 0.15
    # added to every keyword threshold above: what calibration fits from verdicts on keyword
    # matches (``how`` "keyword"), each judged by how far its closeness passed its own
    # threshold, so that one number moves a noun's, a translation's and the others' together
    keyword_shift: float = 0.0
    # a word no gloss names, by a synonym or broader word the thesaurus gives ("sedan" → car)
    keyword_related: float = 0.45
    # ... and, for a broader word or a word of its definition (not a synonym), the least that
    # the word's closeness to the entry may fall short of the entry's hubness (the mean
    # closeness of its document to its ten nearest common words): a one-word document such
    # as core's 🜄 "water" is near every word of its field, "tea" and "lake" alike, at 0.5 or
    # more (see docs/bridge.md, "Stop 54")
    related_hub: float = -0.22
    # a noun no gloss of its language names, by a gloss of a nearest entry in the other
    # language as near the word alone as its translation is (ноутбук, laptop: 0.90): an
    # entry's name, or one of its further glosses (0.85 against 0.8 for both, on the
    # lexicons glossed in one language: the held-out sets 3 spurious lexemes fewer and 1
    # concept more; the main set 3 spurious fewer for 6 concepts fewer, see docs/bridge.md)
    translated_name: float = 0.8
    translated_keyword: float = 0.85
    # and a verb no translation showed the act of, by the act an entry's name in the other
    # language shows, as near: cry and плакать 0.86, but get and входить 0.81 (0.85 against
    # 0.8: 4 spurious lexemes fewer for 1 concept fewer on the main set, see docs/bridge.md)
    translated_act: float = 0.85
    # a word of feeling no gloss names, by the nearest face ("terrified": 😨 "fearful face"),
    # see docs/bridge.md
    feeling: float = 0.4

    def semantic_for(self, register: str | None) -> float:
        return self.semantic.get(register or REGISTER_DEFAULT, self.semantic[REGISTER_DEFAULT])

    def with_(self, **changes: Any) -> Thresholds:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "semantic": dict(self.semantic),
            "sentence": self.sentence,
            "anchor": self.anchor,
            "coupling": self.coupling,
            "margin": self.margin,
            "stability": self.stability,
            "density": self.density,
            "decompression": self.decompression,
            "weight_floor": self.weight_floor,
            "archetype": self.archetype,
            "word_margin": self.word_margin,
            "keyword_noun": self.keyword_noun,
            "keyword": self.keyword,
            "keyword_translation": self.keyword_translation,
            "keyword_sense": self.keyword_sense,
            "keyword_act": self.keyword_act,
            "keyword_sentence": self.keyword_sentence,
            "keyword_unshared": self.keyword_unshared,
            "keyword_shift": self.keyword_shift,
            "keyword_related": self.keyword_related,
            "related_hub": self.related_hub,
            "translated_name": self.translated_name,
            "translated_keyword": self.translated_keyword,
            "translated_act": self.translated_act,
            "feeling": self.feeling,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Thresholds:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in d.items() if k in known}
        if "semantic" in values:
            values["semantic"] = {k: float(v) for k, v in values["semantic"].items()}
        return cls(**values)


def coupling(scene: Scene, vectors: dict[int, Any], t: Thresholds) -> Diagnostic | None:
    """Mean pairwise cosine of the distinct lexemes' vectors (unit vectors: dot product)."""
    ids = list(dict.fromkeys(lx.entry_id for lx in scene.lexemes if lx.entry_id in vectors))
    if len(ids) < 2:
        return None
    import numpy as np

    matrix = np.asarray([vectors[i] for i in ids], dtype=np.float32)
    sims = matrix @ matrix.T
    n = len(ids)
    mean = float((sims.sum() - np.trace(sims)) / (n * (n - 1)))
    if mean >= t.coupling:
        return None
    return Diagnostic(
        "coupling_error",
        f"the lexemes do not hold together (mean similarity {mean:.2f} < {t.coupling:.2f})",
        round(mean, 4),
        t.coupling,
        [lx.form for lx in scene.lexemes],
    )


def coupling_value(vectors: Sequence[Any]) -> float:
    import numpy as np

    matrix = np.asarray(vectors, dtype=np.float32)
    n = len(matrix)
    sims = matrix @ matrix.T
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1)))


def anchor_loss(scene: Scene, t: Thresholds) -> Diagnostic | None:
    best = max((lx.score for lx in scene.lexemes), default=0.0)
    if best >= t.anchor:
        return None
    return Diagnostic(
        "anchor_loss",
        f"no lexeme holds the scene (best score {best:.2f} < {t.anchor:.2f})",
        round(best, 4),
        t.anchor,
    )


def parasitic(scene: Scene, t: Thresholds) -> Diagnostic | None:
    close = [
        (lx, alt)
        for lx in scene.lexemes
        for alt in lx.alternatives[:1]
        if lx.score - alt[1] <= t.margin
    ]
    if not close:
        return None
    gap = min(lx.score - alt[1] for lx, alt in close)
    pairs = ", ".join(f"{lx.source or lx.form}: {lx.form} or {alt[0]}" for lx, alt in close)
    return Diagnostic(
        "parasitic_metaphor",
        f"another meaning competes ({pairs})",
        round(gap, 4),
        t.margin,
        [lx.form for lx, _ in close],
    )


def low_density(scene: Scene, t: Thresholds) -> Diagnostic | None:
    if scene.coverage >= t.density:
        return None
    return Diagnostic(
        "low_density",
        f"little of the text is explained (coverage {scene.coverage:.2f} < {t.density:.2f})",
        round(scene.coverage, 4),
        t.density,
    )


def decompression(scene: Scene, register: str | None, t: Thresholds) -> Diagnostic | None:
    if not register or not scene.lexemes:
        return None
    share = sum(register in lx.registers for lx in scene.lexemes) / len(scene.lexemes)
    if share >= t.decompression:
        return None
    return Diagnostic(
        "decompression_error",
        f"asked for the {register} register, but only {share:.0%} of the lexemes carry it",
        round(share, 4),
        t.decompression,
        [lx.form for lx in scene.lexemes if register not in lx.registers],
    )


def jaccard(a: Sequence[Any], b: Sequence[Any]) -> float:
    sa, sb = set(a), set(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def unstable(
    first: Scene, second: Scene, t: Thresholds, atoms_first: set[str], atoms_second: set[str]
) -> Diagnostic | None:
    overlap = jaccard(sorted(atoms_first), sorted(atoms_second))
    if overlap >= t.stability:
        return None
    return Diagnostic(
        "unstable_scene",
        f"encode → decode → encode drifts (overlap {overlap:.2f} < {t.stability:.2f}): "
        f"{first.hyperstring} became {second.hyperstring}",
        round(overlap, 4),
        t.stability,
    )
