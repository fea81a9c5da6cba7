"""Paired timing: ours and its baseline alternate in small chunks in one run.

On a shared machine, timing one side for a minute and then the other compares two different
machines: whatever else ran in between lands on one side only (three runs of the old index
benchmark read 121%, 59% and 21% overhead). Here each round runs every arm once, in an
order that alternates from round to round (ABBA), so both sides of a round see the same
machine; the ratio is taken per round, and we report the median of the per-round ratios
with their interquartile range — the spread says how far to trust it.

    from paired import compare
    result = compare({"ours": ours_chunk, "raw": raw_chunk}, rounds=30)
    print(result.line("ours", "raw", unit=1000, label="ms per chunk"))
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """(Q1, median, Q3) by linear interpolation; a single value is all three."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


@dataclass
class Paired:
    times: dict[str, list[float]] = field(default_factory=dict)  # seconds per chunk, per arm
    rounds: int = 0

    def ratios(self, a: str, b: str) -> list[float]:
        """Per round: time of ``a`` over time of ``b`` (the same round, the same machine)."""
        return [x / y for x, y in zip(self.times[a], self.times[b], strict=True)]

    def ratio(self, a: str, b: str) -> tuple[float, float, float]:
        """Median ratio of ``a`` to ``b`` and its IQR, as (median, Q1, Q3)."""
        q1, med, q3 = quartiles(self.ratios(a, b))
        return med, q1, q3

    def median(self, arm: str) -> float:
        return statistics.median(self.times[arm])

    def line(self, a: str, b: str, *, scale: float = 1e3, unit: str = "ms") -> str:
        med, q1, q3 = self.ratio(a, b)
        return (
            f"{a} {self.median(a) * scale:,.3f} {unit}, {b} {self.median(b) * scale:,.3f} {unit} "
            f"(medians per chunk); {a}/{b} = {med:.2f}x (IQR {q1:.2f}-{q3:.2f}, "
            f"{self.rounds} paired rounds)"
        )


def compare(
    arms: dict[str, Callable[[], Any]],
    *,
    rounds: int,
    warmup: int = 1,
    between: Callable[[], Any] | None = None,
) -> Paired:
    """Run every arm ``rounds`` times, alternating their order each round; ``warmup`` rounds
    first, untimed. ``between`` runs untimed after every chunk (e.g. to reset state)."""
    names = list(arms)
    for _ in range(warmup):
        for name in names:
            arms[name]()
            if between:
                between()
    out = Paired({name: [] for name in names}, rounds)
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            t = time.perf_counter()
            arms[name]()
            out.times[name].append(time.perf_counter() - t)
            if between:
                between()
    return out
