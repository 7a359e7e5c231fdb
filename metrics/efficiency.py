"""Per-person efficiency (人效): business output per person before and after go-live, with an interval and a
difference-in-differences adjustment against accounts that were not yet live."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from metrics import privacy, trend
from metrics.accounts import Account, RowsByAccount, all_accounts, resolve
from metrics.period import add_months
from metrics.registry import define, metric
from metrics.store import DataError, query

BASELINE_MONTHS = 3
BOOTSTRAP_SAMPLES = 2000
CONFIDENCE = 0.90
BOOTSTRAP_METHOD = f"bootstrap over months ({BOOTSTRAP_SAMPLES} resamples, {CONFIDENCE:.0%} interval)"
OUTCOMES_BASIS = "outcomes: output_units / headcount"
USAGE_BASIS = "usage-based: work units per active user (no outcomes)"
NO_COMPARISON = f"fewer than {privacy.MIN_OTHERS} other accounts not yet live inform the trend over the windows"
NO_COMPARISON_USAGE = "usage-based figures are not trend-adjusted"


@dataclass(frozen=True)
class Efficiency:
    """Baseline and current output per person, their delta (a fraction) with a 90 % interval, and the
    difference-in-differences adjusted delta; `reason` says why figures are None."""

    basis: str
    baseline: float | None = None
    current: float | None = None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    adjusted_delta: float | None = None
    adjusted_ci_low: float | None = None
    adjusted_ci_high: float | None = None
    comparison_accounts: int = 0
    comparison_delta: float | None = None
    method: str | None = None
    baseline_months: list[date] = field(default_factory=list)
    current_months: list[date] = field(default_factory=list)
    reason: str | None = None
    adjusted_reason: str | None = None  # why the trend-adjusted figures are None while the delta is not


def seed_of(account_id: str) -> int:
    """The bootstrap seed of an account: from its id, not its integer key (which depends on import order), so an
    interval is the same whatever was imported before."""
    return int.from_bytes(hashlib.sha256(str(account_id).encode("utf-8")).digest()[:8], "little")


def monthly(con: duckdb.DuckDBPyConnection, account_key: int | None = None) -> pd.DataFrame:
    """Per account and month: output_units, headcount, output_per_person, units_per_active_user."""
    frame = query(con, "monthly_efficiency", account_key=account_key)
    frame["month"] = frame["month"].dt.date
    return frame


class SeriesIndex:
    """monthly() of every account, indexed for lookups: one account's months are a slice found by its key, so
    an account's windows and its comparison group's cost microseconds, not a scan of the whole frame. Build it once
    per period and data version (metrics.report.period_inputs, metrics.benchmarks.metric_table)."""

    def __init__(self, frame: pd.DataFrame, accounts: list[Account]) -> None:
        frame = frame.sort_values(["account_key", "month"], kind="stable").reset_index(drop=True)
        # each account's rows, found once (two binary searches per lookup were a fifth of the peer table's Python)
        self._by_account = RowsByAccount(frame)
        self.accounts = accounts
        self.by_id = {a.account_id: a for a in accounts}
        row_keys = frame["account_key"].to_numpy(dtype="int64")
        months = pd.to_datetime(frame["month"])
        self._months = (months.dt.year * 12 + months.dt.month - 1).to_numpy(dtype="int64")
        self._values = {c: frame[c].to_numpy(dtype=float) for c in ("output_per_person", "units_per_active_user")}
        with_outcomes = ~np.isnan(self._values["output_per_person"])
        self._with_outcomes = {int(k) for k in np.unique(row_keys[with_outcomes])}
        # go-live month of every account (no go-live date: never live), to find comparison accounts without a loop
        never = np.iinfo("int64").max
        self._live = np.array([_ordinal(a.go_live_date) if a.go_live_date else never for a in accounts], dtype="int64")
        self._row_keys = row_keys
        live_of = {a.key: int(v) for a, v in zip(accounts, self._live)}
        unknown = np.iinfo("int64").min  # rows of an account not in `accounts` never count as not yet live
        self._row_live = np.array([live_of.get(int(k), unknown) for k in row_keys], dtype="int64")
        self._trend: trend.MonthEffects | None | str = "unfitted"

    def trend(self) -> trend.MonthEffects | None:
        """The month effects of every not-yet-live account-month with outcomes (metrics.trend), fitted once."""
        if isinstance(self._trend, str):
            before = self._months < self._row_live  # months before the go-live month; never live: every month
            self._trend = trend.month_effects(self._row_keys[before], self._months[before],
                                              self._values["output_per_person"][before])
        return self._trend

    def not_yet_live(self, month: date, but: Account) -> list[Account]:
        """Accounts other than `but` whose go-live month is after `month` (or that have no go-live date)."""
        return [self.accounts[i] for i in np.flatnonzero(self._live > _ordinal(month))
                if self.accounts[i].key != but.key]

    def months_of(self, key: int) -> pd.DataFrame:
        """The account's rows of monthly() without its key, as monthly(con, key) reads them."""
        return self._by_account.of(int(key))

    def account(self, account_id: str) -> Account:
        """The account with this id; DataError when there is none (as get_account)."""
        if account_id not in self.by_id:
            raise DataError(f"unknown account '{account_id}'")
        return self.by_id[account_id]

    def values(self, key: int, months: list[date], column: str) -> np.ndarray:
        """The account's non-missing `column` values in `months`, in month order."""
        lo, hi = self._by_account.span(int(key))
        # an account's months are sorted and unique: each wanted month is found by binary search (np.isin cost
        # 14 % of the peer table at 10M events)
        have, wanted = self._months[lo:hi], np.array(sorted(_ordinal(m) for m in months), dtype="int64")
        at = np.searchsorted(have, wanted)
        at = at[at < len(have)]
        values = self._values[column][lo:hi][at[have[at] == wanted[:len(at)]]]
        return values[~np.isnan(values)]

    def month_values(self, key: int, months: list[date], column: str) -> tuple[list[int], np.ndarray]:
        """The account's `column` in `months` with their month ordinals, in month order, missing values left out."""
        lo, hi = self._by_account.span(int(key))
        have = self._months[lo:hi]
        wanted = np.array(sorted(_ordinal(m) for m in months), dtype="int64")
        at = np.searchsorted(have, wanted)
        ok = at < len(have)
        ok[ok] = have[at[ok]] == wanted[ok]
        values = self._values[column][lo:hi][at[ok]]
        present = ~np.isnan(values)
        return [int(m) for m in wanted[ok][present]], values[present]

    def has_outcomes(self, key: int) -> bool:
        return int(key) in self._with_outcomes


def _ordinal(month: date) -> int:
    return month.year * 12 + month.month - 1


@metric("output_per_person", unit="output units per person per month", higher_is_better=True,
        description="Monthly business output per person, from the outcomes the customer reports.",
        formula="output_units / headcount, per month")
def output_per_person(con: duckdb.DuckDBPyConnection, *, account_id: str, account: Account | None = None,
                      series: SeriesIndex | None = None) -> pd.DataFrame:
    """The account's monthly series: month, output_units, headcount, output_per_person, units_per_active_user;
    `account`: its record, when the caller holds it (accounts.resolve); `series`: every account's, when a period's
    reports share it (metrics.report.period_inputs)."""
    account = resolve(con, account_id, account)
    if series is not None:
        return series.months_of(account.key)
    return monthly(con, account.key).drop(columns="account_key")


def windows(account: Account, start: date, end: date) -> tuple[list[date], list[date]] | str:
    """Baseline months (the 3 before the go-live month) and current months (the period's, after the go-live
    month); a reason string when there are none."""
    if account.go_live_date is None:
        return "no go-live date"
    live = date(account.go_live_date.year, account.go_live_date.month, 1)
    baseline = [add_months(live, -n) for n in range(BASELINE_MONTHS, 0, -1)]
    current, month = [], start
    while month < end:
        if month > live:
            current.append(month)
        month = add_months(month, 1)
    return (baseline, current) if current else "the period has no full month after the go-live month"


def _resampled_ratios(base: np.ndarray, cur: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """BOOTSTRAP_SAMPLES draws of mean(current) / mean(baseline), resampling each window's months with replacement."""
    b = base[rng.integers(0, len(base), (BOOTSTRAP_SAMPLES, len(base)))].mean(axis=1)
    c = cur[rng.integers(0, len(cur), (BOOTSTRAP_SAMPLES, len(cur)))].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, c / b, np.nan)


def _interval(draws: np.ndarray) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(draws[np.isfinite(draws)], [tail, 1 - tail])
    return float(low), float(high)


TREND_DRAWS = BOOTSTRAP_SAMPLES


@dataclass(frozen=True)
class Adjusted:
    """An account's change net of the market trend (metrics.trend): the point, its interval, how many other accounts'
    not-yet-live months informed the trend over its windows, and the trend itself over them."""

    delta: float
    low: float
    high: float
    accounts: int
    trend: float


def _trend_adjusted(account: Account, series: SeriesIndex, baseline: list[date], current: list[date],
                    rng: np.random.Generator) -> Adjusted | None:
    """The imputation estimator of staggered difference-in-differences: mean over current months of (log output per
    person - month effect) minus the same over baseline months. Its interval resamples the account's months (as the
    delta's does) and adds the month effects' own error: t with n - 1 degrees of freedom (n: the fewer of the other
    accounts not yet live in the baseline window and in the current window) times the cluster-robust standard error
    of the windows' effect difference, so it widens with fewer accounts. None when fewer than privacy.MIN_OTHERS
    other accounts inform the trend over the windows, or a window has no month with an effect."""
    effects = series.trend()
    if effects is None:
        return None
    span = (_ordinal(baseline[0]), _ordinal(current[-1]))
    k = effects.contributors(*span, but=account.key)
    if not privacy.may_show(k):  # the trend over the windows is never fewer than MIN_OTHERS accounts' own
        return None
    net = {}
    for name, months in (("base", baseline), ("cur", current)):
        ordinals, values = series.month_values(account.key, months, "output_per_person")
        at, month_effects = effects.effect_of(ordinals)
        kept = values[at] > 0
        if not kept.any():
            return None
        net[name] = (np.asarray(ordinals)[at][kept], np.log(values[at][kept]) - month_effects[kept])
    base_months, base = net["base"]
    cur_months, cur = net["cur"]
    point = cur.mean() - base.mean()
    own = cur[rng.integers(0, len(cur), (TREND_DRAWS, len(cur)))].mean(axis=1) - \
        base[rng.integers(0, len(base), (TREND_DRAWS, len(base)))].mean(axis=1)
    weights = {int(m): 1 / len(cur_months) for m in cur_months}
    for m in base_months:
        weights[int(m)] = weights.get(int(m), 0.0) - 1 / len(base_months)
    spread = np.sqrt(max(effects.variance(weights), 0.0))
    # the thinner window sets the degrees of freedom: a trend into months few accounts saw is uncertain
    thinnest = min(effects.informing([int(m) for m in base_months], account.key),
                   effects.informing([int(m) for m in cur_months], account.key))
    draws = own + spread * rng.standard_t(max(1, min(k, thinnest) - 1), TREND_DRAWS)
    low, high = np.quantile(draws, [(1 - CONFIDENCE) / 2, 1 - (1 - CONFIDENCE) / 2])
    shift = float(np.mean([effects.effects[np.searchsorted(effects.months, m)] for m in cur_months]) -
                  np.mean([effects.effects[np.searchsorted(effects.months, m)] for m in base_months]))
    return Adjusted(float(np.expm1(point)), float(np.expm1(low)), float(np.expm1(high)), k, float(np.expm1(shift)))


@metric("efficiency_delta", unit="fraction", higher_is_better=True,
        description="Change in output per person after go-live: the report period's months against the 3 months "
                    "before the go-live month, with a 90 % bootstrap interval over months. Without outcomes, "
                    "work units per active user (labelled usage-based).",
        formula="mean(output_per_person over current months) / mean(output_per_person over the 3 months before "
                "the go-live month) - 1; the go-live month itself is excluded")
def efficiency(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date,
               series: SeriesIndex | None = None, delta_only: bool = False) -> Efficiency:
    """Per-person efficiency before and after go-live; None figures with a reason when data is too thin.
    `series`: SeriesIndex of monthly() and every account, when already built (same result). `delta_only`: the
    baseline, current and delta without their bootstrap intervals and the trend-adjusted figures (the same delta;
    the peer table needs no more, and the intervals of 2,000 accounts were two thirds of its time at 10M events)."""
    series = SeriesIndex(monthly(con), all_accounts(con)) if series is None else series
    account = series.account(account_id)
    has_outcomes = series.has_outcomes(account.key)
    column, basis = ("output_per_person", OUTCOMES_BASIS) if has_outcomes else ("units_per_active_user", USAGE_BASIS)
    spans = windows(account, start, end)
    if isinstance(spans, str):
        return Efficiency(basis, reason=spans)
    baseline_months, current_months = spans
    base, cur = series.values(account.key, baseline_months, column), series.values(account.key, current_months, column)
    if not len(base):
        return Efficiency(basis, baseline_months=baseline_months, current_months=current_months,
                          reason="no data in the 3 months before the go-live month")
    if not len(cur):
        return Efficiency(basis, baseline_months=baseline_months, current_months=current_months,
                          reason="no data in the period's months after go-live")
    baseline, current = float(base.mean()), float(cur.mean())
    if baseline == 0:
        return Efficiency(basis, baseline, current, baseline_months=baseline_months, current_months=current_months,
                          reason="zero baseline")
    delta = current / baseline - 1
    if delta_only:
        return Efficiency(basis, baseline, current, delta, baseline_months=baseline_months,
                          current_months=current_months)
    rng = np.random.default_rng(seed_of(account.account_id))
    own_draws = _resampled_ratios(base, cur, rng)
    ci_low, ci_high = _interval(own_draws - 1)
    adjusted = _trend_adjusted(account, series, baseline_months, current_months, rng) if has_outcomes else None
    if adjusted is None:
        return Efficiency(basis, baseline, current, delta, ci_low, ci_high, method=BOOTSTRAP_METHOD,
                          baseline_months=baseline_months, current_months=current_months,
                          adjusted_reason=NO_COMPARISON if has_outcomes else NO_COMPARISON_USAGE)
    return Efficiency(basis, baseline, current, delta, ci_low, ci_high, adjusted.delta, adjusted.low, adjusted.high,
                      adjusted.accounts, adjusted.trend, BOOTSTRAP_METHOD, baseline_months, current_months)


define("adjusted_delta", unit="fraction", higher_is_better=True,
       description="Efficiency change net of the market trend: a staggered difference-in-differences whose "
                   "comparison is every account-month not yet live (the months before each account's go-live "
                   "month, and every month of accounts never live), through month effects from a two-way "
                   "fixed-effects panel regression (metrics.trend); withheld with the reason when fewer than "
                   f"{privacy.MIN_OTHERS} other accounts inform the trend over the account's windows.",
       formula="month_effect[m] from log(output_per_person[a, m]) = account_effect[a] + month_effect[m] on "
               "not-yet-live account-months (OLS, cluster-robust by account); adjusted_delta = exp(mean over "
               "current months of (log output_per_person - month_effect) - mean over baseline months of the same) "
               "- 1; its 90 % interval resamples the account's months and adds the month effects' error as t with "
               "k - 1 degrees of freedom, k the other accounts with two or more not-yet-live months in the windows' "
               "span; comparison_delta = exp(mean current month effect - mean baseline month effect) - 1",
       function="metrics.efficiency.efficiency")
