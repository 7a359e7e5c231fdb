"""The one confidentiality policy: which figures about other customers may leave a metric function.

Every surface (account page, benchmarks, exports, CLI) shows peer figures only as these functions let them
through, so the rule cannot drift between them (tests/test_privacy.py checks each surface):
- a figure computed from fewer than MIN_OTHERS other accounts is withheld, with a reason code;
- order statistics other than the median (quartiles) need at least MIN_OTHERS_FOR_QUARTILES others: over fewer,
  a quartile of a handful of accounts is one of them, or the midpoint of two;
- a median over MIN_OTHERS to MIN_OTHERS_FOR_QUARTILES - 1 others is rounded (ROUND_FRACTION_TO for fractions,
  ROUND_SIGNIFICANT significant digits otherwise), so it is not any one peer's exact value;
- a pooled sum (per-seat rates) is withheld when one account holds more than MAX_SHARE of it (dominance).
Never a minimum, a maximum, a name or a single other account's value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_OTHERS = 5
MIN_OTHERS_FOR_QUARTILES = 10
MAX_SHARE = 0.25
ROUND_FRACTION_TO = 0.05
ROUND_SIGNIFICANT = 2

TOO_FEW = "too_few"  # the reason code of a withheld figure (metrics.benchmarks.REASONS has its text)


@dataclass(frozen=True)
class PeerStat:
    """What may be shown of one figure over a group of other accounts: median and quartiles (None when
    withheld), how many accounts it pools, whether the median was rounded, and the reason for what is withheld."""

    others: int
    median: float | None
    p25: float | None = None
    p75: float | None = None
    rounded: bool = False
    reason: str | None = None


def may_show(others: int) -> bool:
    """True when a figure pooled over `others` other accounts may be shown at all."""
    return others >= MIN_OTHERS


def rounded(value: float, unit: str = "fraction") -> float:
    """A published figure made coarse: fractions to ROUND_FRACTION_TO, other units to ROUND_SIGNIFICANT digits."""
    if value is None or not math.isfinite(value) or value == 0:
        return value
    step = ROUND_FRACTION_TO if unit == "fraction" else 10.0 ** (math.floor(math.log10(abs(value)))
                                                                     - ROUND_SIGNIFICANT + 1)
    # half away from zero, with a little slack for binary fractions (0.175 / 0.05 is 3.4999999999999996)
    steps = math.floor(abs(value) / step + 0.5 + 1e-9)
    return math.copysign(round(steps * step, 10), value)


def peer_stat(values: np.ndarray | list[float], unit: str = "fraction") -> PeerStat:
    """The showable median and quartiles of `values`, one per other account (NaN values are not counted)."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if not may_show(len(data)):
        return PeerStat(len(data), None, reason=TOO_FEW)
    median = float(np.median(data))
    if len(data) < MIN_OTHERS_FOR_QUARTILES:
        return PeerStat(len(data), rounded(median, unit), rounded=True)
    p25, p75 = (float(q) for q in np.quantile(data, [0.25, 0.75]))
    return PeerStat(len(data), median, p25, p75)


def medians(matrix: np.ndarray, unit: str = "fraction") -> tuple[np.ndarray | None, bool]:
    """Column medians of `matrix` (one row per other account) as they may be shown: None when too few rows,
    rounded under MIN_OTHERS_FOR_QUARTILES rows; and whether they were rounded."""
    rows = matrix.shape[0]
    if not may_show(rows):
        return None, False
    result = np.median(matrix, axis=0)
    if rows < MIN_OTHERS_FOR_QUARTILES:
        return np.array([rounded(float(v), unit) for v in result]), True
    return result, False


def dominated(values: np.ndarray | list[float]) -> bool:
    """True when one account holds more than MAX_SHARE of the sum of `values`."""
    data = np.asarray(values, dtype=float)
    total = float(np.nansum(data))
    return total > 0 and float(np.nanmax(data)) / total > MAX_SHARE
