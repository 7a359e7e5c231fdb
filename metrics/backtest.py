"""Does the health score tell renewals apart? A back-test against the renewal outcomes that were imported.

Each renewal (the `renewals` kind) is scored as a CSM would have seen it: the account's report of the SCORE_MONTHS
months ending with the last month that starts at least HORIZON_DAYS before the renewal, its health score recomputed
with the days from that period's end to this renewal (the accounts file's next renewal date is not this one). A
renewal is good when it was renewed or expanded, bad when contracted or churned. Renewals whose score is withheld
(not live then, too few components) are counted, not scored.

- auc: the chance that a good renewal scored higher than a bad one (ties count half), the area under the ROC curve;
  0.5 is a coin, 1 a perfect ranking;
- lowest-decile lift: the share of bad renewals among the lowest-scored tenth (at least one renewal) over the share
  among all; above 1 means the lowest scores find the bad renewals;
- each component alone: the same AUC of the component's 0-1 value over the same renewals (a component that could
  not be measured counts as 0.5, the middle of its scale), so the weights can be judged against each part;
- its own uncertainty: a 90 % bootstrap interval of the AUC (the scored renewals resampled BOOTSTRAP_SAMPLES times,
  scikit-learn's roc_auc_score on each draw with both outcomes), and `judged` false, "too few renewals to judge",
  below MIN_EACH renewals of either outcome (18 renewals, 5 lost, say little whatever their AUC).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
from scipy.stats import rankdata

from metrics import lifecycle, report
from metrics.accounts import all_accounts
from metrics.health import WEIGHTS, health, weights_of
from metrics.period import Period, add_months
from metrics.registry import metric

HORIZON_DAYS = 90
SCORE_MONTHS = 3
GOOD = ("renewed", "expanded")
BOOTSTRAP_SAMPLES = 2000
CONFIDENCE = 0.90
MIN_EACH = 10  # renewals of each outcome (good, and contracted or churned) before the AUC is a judgement


@dataclass(frozen=True)
class Sample:
    """One renewal, scored before it: the months scored, the score (None: withheld) and each component's 0-1 value."""

    account_id: str
    renewal_date: date
    outcome: str
    period: Period
    score: float | None
    components: dict[str, float | None]

    @property
    def good(self) -> bool:
        return self.outcome in GOOD


@dataclass(frozen=True)
class Backtest:
    """The back-test's figures over the scored samples (see the module)."""

    samples: tuple[Sample, ...]
    scored: int
    bad: int
    auc: float | None
    lowest_decile: int
    lowest_decile_bad_share: float | None
    bad_share: float | None
    lowest_decile_lift: float | None
    component_auc: dict[str, float | None]
    weights: dict[str, float]
    auc_low: float | None = None   # the AUC's 90 % bootstrap interval
    auc_high: float | None = None
    judged: bool = False           # MIN_EACH renewals or more of each outcome

    @property
    def good(self) -> int:
        return self.scored - self.bad


def scoring_period(renewal: date) -> Period:
    """The SCORE_MONTHS months ending with the last month that starts HORIZON_DAYS or more before `renewal`."""
    last = renewal - timedelta(days=HORIZON_DAYS)
    end = add_months(date(last.year, last.month, 1), 1)
    if end > last + timedelta(days=1):  # that month starts too late: end at its start
        end = add_months(end, -1)
    return Period(add_months(end, -SCORE_MONTHS), end)


def auc(scores: list[float], good: list[bool]) -> float | None:
    """The area under the ROC curve of `scores` for telling good (True) from bad: the share of (good, bad) pairs the
    score orders right, ties half; None without both."""
    goods = [s for s, g in zip(scores, good) if g]
    bads = [s for s, g in zip(scores, good) if not g]
    if not goods or not bads:
        return None
    wins = sum(1.0 if g > b else 0.5 if g == b else 0.0 for g in goods for b in bads)
    return wins / (len(goods) * len(bads))


def auc_interval(scores: list[float], good: list[bool], seed: int = 0) -> tuple[float | None, float | None]:
    """The AUC's CONFIDENCE bootstrap interval: the renewals resampled with replacement BOOTSTRAP_SAMPLES times
    (seeded: the same data gives the same interval), the AUC of each draw holding both outcomes; None without both
    outcomes. Each draw's AUC is the Mann-Whitney statistic over SciPy's average ranks (ties half), what
    scikit-learn's roc_auc_score computes, for all draws at once (roc_auc_score one draw at a time took 4.6 s)."""
    y, x = np.array(good, dtype=bool), np.array(scores, dtype=float)
    if y.all() or not y.any():
        return None, None
    draws = np.random.default_rng(seed).integers(0, len(y), (BOOTSTRAP_SAMPLES, len(y)))
    labels, values = y[draws], x[draws]
    n_good = labels.sum(axis=1)
    n_bad = len(y) - n_good
    both = (n_good > 0) & (n_bad > 0)
    ranks = rankdata(values[both], axis=1, method="average")
    good_ranks = (ranks * labels[both]).sum(axis=1)
    aucs = (good_ranks - n_good[both] * (n_good[both] + 1) / 2) / (n_good[both] * n_bad[both])
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(aucs, [tail, 1 - tail])
    return float(low), float(high)


def samples(con: duckdb.DuckDBPyConnection, weights: dict[str, float] | None = None) -> list[Sample]:
    """Every imported renewal scored before it (see the module), with `weights` (default: those in force)."""
    weights = weights or weights_of(con)
    accounts = {a.key: a for a in all_accounts(con)}
    inputs: dict[Period, report.PeriodInputs] = {}
    out = []
    for key, renewals in sorted(lifecycle.renewals(con).items()):
        account = accounts[key]
        for day, outcome in renewals:
            period = scoring_period(day)
            if period not in inputs:
                inputs[period] = report.period_inputs(con, period)
            rep = report.account_report(con, account_id=account.account_id, period=period, inputs=inputs[period])
            figures = {c.name: c.figure for c in rep.health.components} if rep.health else {}
            scored = health(live=account.go_live_date is not None and account.go_live_date < period.end,
                            adoption=figures.get("adoption"), efficiency=figures.get("efficiency"),
                            seats=figures.get("seats"), usage_trend=figures.get("usage_trend"),
                            days_to_renewal=(day - period.end).days, value_delivered=figures.get("value_delivered"),
                            weights=weights, top_user_share=figures.get("concentration"))
            out.append(Sample(account.account_id, day, outcome, period, scored.score,
                              {c.name: c.value for c in scored.components}))
    return out


@metric("health_backtest", unit="fraction", higher_is_better=True,
        description="How well the health score, taken before each imported renewal, told the renewals that were "
                    "renewed or expanded from those that contracted or churned.",
        formula=f"per renewal: the health score of the {SCORE_MONTHS} months ending with the last month that starts "
                f"{HORIZON_DAYS} days or more before it; auc = share of (good, bad) pairs with the good one scored "
                "higher (ties 1/2); lowest-decile lift = bad share among the lowest-scored ceil(n / 10) / bad share "
                "among all; each component's auc alike, an unmeasured component counting 0.5; the auc's 90 % interval "
                f"from {BOOTSTRAP_SAMPLES} bootstrap resamples of the renewals; too few to judge under {MIN_EACH} "
                "renewals of either outcome")
def backtest(con: duckdb.DuckDBPyConnection, weights: dict[str, float] | None = None) -> Backtest:
    """The Backtest of the health score with `weights` (default: those in force) on the imported renewals."""
    weights = weights or weights_of(con)
    every = samples(con, weights)
    scored = [s for s in every if s.score is not None]
    good = [s.good for s in scored]
    bad = sum(not g for g in good)
    n_low = math.ceil(len(scored) / 10) if scored else 0
    lowest = sorted(scored, key=lambda s: (s.score, s.account_id))[:n_low]
    bad_share = bad / len(scored) if scored else None
    low_share = sum(not s.good for s in lowest) / n_low if n_low else None
    lift = low_share / bad_share if low_share is not None and bad_share else None
    parts = {name: auc([0.5 if s.components[name] is None else float(s.components[name])  # type: ignore[arg-type]
                        for s in scored], good) for name in WEIGHTS}
    values = [float(s.score) for s in scored]  # type: ignore[arg-type]
    low, high = auc_interval(values, good)
    return Backtest(tuple(every), len(scored), bad, auc(values, good), n_low, low_share, bad_share, lift, parts,
                    dict(weights), low, high, min(bad, len(scored) - bad) >= MIN_EACH)
