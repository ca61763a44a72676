"""A paired comparison of two methods' times and the rule that decides it against its target.

A comparison is *met* or *missed* only when the confidence interval of its paired ratio lies
entirely on one side of the target, clear of it by a margin; otherwise it is *undecided*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tokensel.core.stats import RatioEstimate

MET, MISSED, UNDECIDED, NOT_MEASURED = "met", "missed", "undecided", "not measured"


@dataclass(frozen=True)
class Comparison:
    """A ratio numerator / denominator of two methods' times at one length, timed in pairs.

    Each member is (method, passes timed as one); ``rule`` is ">=" or "<=" against ``threshold``,
    or "≈" for the control (within a factor 1 + tolerance of ``threshold``)."""

    name: str
    description: str
    numerator: tuple[str, int]
    denominator: tuple[str, int]
    seq_len: int
    rule: str
    threshold: float


def decide(estimate: RatioEstimate, comparison: Comparison, tolerance: float, margin: float) -> str:
    """met / missed when the interval lies on one side of the target and clear of it by a factor
    1 + ``margin``, else undecided; the control is met when its interval lies within a factor
    1 + ``tolerance`` of its known answer."""
    low, high = estimate.ci_low, estimate.ci_high
    if not math.isfinite(estimate.ratio):
        return NOT_MEASURED
    if not (math.isfinite(low) and math.isfinite(high)):
        return UNDECIDED
    below, above = comparison.threshold / (1 + margin), comparison.threshold * (1 + margin)
    if comparison.rule == ">=":
        met, missed = low >= above, high < below
    elif comparison.rule == "<=":
        met, missed = high <= below, low > above
    else:
        band_low, band_high = comparison.threshold / (1 + tolerance), comparison.threshold * (1 + tolerance)
        met, missed = band_low <= low and high <= band_high, high < band_low or low > band_high
    return MET if met else MISSED if missed else UNDECIDED
