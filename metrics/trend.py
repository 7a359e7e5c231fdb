"""The market trend in per-person output, month by month: a two-way fixed-effects panel regression over every
account-month not yet live (the months before an account's go-live month, and every month of an account never
live), so that staggered go-lives compare each account with whoever was not live yet, month by month.

    log(output_per_person[a, m]) = account_effect[a] + month_effect[m] + noise,  on not-yet-live account-months

fitted by ordinary least squares (statsmodels, https://www.statsmodels.org/stable/regression.html) on the
account-demeaned data (Frisch-Waugh-Lovell: the account effects absorbed, the month effects exact), with a
cluster-robust covariance by account (an account's months are not independent). An account's trend-adjusted change
is then the imputation estimator of staggered difference-in-differences (Borusyak, Jaravel and Spiess 2024;
Gardner's two-stage DiD): its own log output per person net of the month effects, current months against baseline
months. metrics.efficiency reads it; the figures it shows of others are the month effects: aggregates over at least
privacy.MIN_OTHERS accounts or nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MonthEffects:
    """The fitted month effects (log output per person, the first month 0) with their cluster-robust covariance,
    and every account's not-yet-live months with outcomes, which say who informs which months."""

    months: np.ndarray  # month ordinals (year * 12 + month - 1) with an effect, ascending
    effects: np.ndarray  # one per month
    cov: np.ndarray  # months x months
    rows: tuple[np.ndarray, np.ndarray]  # (account key, month ordinal) of every not-yet-live month with outcomes,
    # each pair once

    def effect_of(self, ordinals: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """The positions (in `ordinals`) of the months that have an effect, and those effects."""
        at = np.searchsorted(self.months, ordinals)
        inside = at < len(self.months)
        found = np.zeros(len(ordinals), dtype=bool)
        found[inside] = self.months[at[inside]] == np.asarray(ordinals)[inside]
        return np.flatnonzero(found), self.effects[at[found]]

    def variance(self, weights: dict[int, float]) -> float:
        """The variance of a weighted sum of month effects (month ordinal -> weight)."""
        at = np.searchsorted(self.months, list(weights))
        w = np.zeros(len(self.months))
        w[at] = list(weights.values())
        return float(w @ self.cov @ w)

    def informing(self, months: list[int], but: int) -> int:
        """How many accounts other than `but` have a not-yet-live month among `months` (a window's informants)."""
        keys = self.rows[0][np.isin(self.rows[1], np.asarray(months)) & (self.rows[0] != but)]
        return len(np.unique(keys))

    def contributors(self, first: int, last: int, but: int) -> int:
        """How many accounts other than `but` have two or more not-yet-live months in [first, last]: the accounts
        whose months inform the trend over that span (over every not-yet-live row at once: a loop over accounts
        was most of a report's time at 2,000 accounts)."""
        keys, months = self.rows
        inside = keys[(months >= first) & (months <= last) & (keys != but)]
        counts = np.unique(inside, return_counts=True)[1]
        return int((counts >= 2).sum())


def month_effects(keys: np.ndarray, months: np.ndarray, values: np.ndarray) -> MonthEffects | None:
    """Fit the month effects on not-yet-live account-months (`keys`, month ordinals, output per person > 0); None
    with fewer than two months or accounts to fit them on."""
    keep = np.isfinite(values) & (values > 0)
    keys, months, y = keys[keep], months[keep], np.log(values[keep])
    pairs = np.unique(np.stack([keys.astype("int64"), months.astype("int64")]), axis=1)
    grid = np.unique(months)
    if len(grid) < 2 or len(np.unique(keys)) < 2:
        return None
    column = np.searchsorted(grid, months)
    dummies = np.zeros((len(y), len(grid)))
    dummies[np.arange(len(y)), column] = 1.0
    # within each account: y and the month dummies minus the account's means (the account effects absorbed)
    groups = np.unique(keys, return_inverse=True)[1]
    counts = np.bincount(groups)
    y_dm = y - (np.bincount(groups, weights=y) / counts)[groups]
    means = np.zeros((len(counts), len(grid)))
    np.add.at(means, groups, dummies)
    x_dm = dummies - (means / counts[:, None])[groups]
    x_dm = x_dm[:, 1:]  # the first month is the reference: its effect is 0
    import statsmodels.api as sm  # here, not at the top: loading it costs a second every CLI call would pay
    informed = np.abs(x_dm).sum(axis=0) > 1e-12  # a month only one account saw, alone, tells nothing
    fit = sm.OLS(y_dm, x_dm[:, informed]).fit(cov_type="cluster", cov_kwds={"groups": groups})
    effects = np.zeros(len(grid))
    cov = np.zeros((len(grid), len(grid)))
    shown = np.concatenate(([True], informed))
    index = np.flatnonzero(shown)[1:]
    effects[index] = fit.params
    cov[np.ix_(index, index)] = fit.cov_params()
    return MonthEffects(grid[shown], effects[shown], cov[np.ix_(shown, shown)], (pairs[0], pairs[1]))
