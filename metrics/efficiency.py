"""Per-person efficiency (人效): business output per person before and after go-live, with an interval and a
difference-in-differences adjustment against accounts that were not yet live."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from metrics import privacy
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
NO_COMPARISON = f"fewer than {privacy.MIN_OTHERS} comparable accounts not yet live in both windows"
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


def _comparison_windows(account: Account, series: SeriesIndex, baseline: list[date],
                        current: list[date]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Baseline and current output per person of the comparison group: accounts of the same industry not yet live
    in either window (else all such accounts), each with outcomes in both windows and a positive baseline; empty
    when fewer than privacy.MIN_OTHERS such accounts exist (their mean change would be one customer's own)."""

    def windows_of(a: Account) -> tuple[np.ndarray, np.ndarray] | None:
        base = series.values(a.key, baseline, "output_per_person")
        cur = series.values(a.key, current, "output_per_person")
        return (base, cur) if len(base) and len(cur) and base.mean() > 0 else None

    candidates = series.not_yet_live(max(current), but=account)
    same = [a for a in candidates if account.industry and a.industry == account.industry]
    for group in (same, candidates):
        found = [w for w in map(windows_of, group) if w is not None]
        if privacy.may_show(len(found)):  # the group's mean change is shown: never one or two accounts' own
            return found
    return []


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
    group = _comparison_windows(account, series, baseline_months, current_months) if has_outcomes else []
    if not group:
        return Efficiency(basis, baseline, current, delta, ci_low, ci_high, method=BOOTSTRAP_METHOD,
                          baseline_months=baseline_months, current_months=current_months,
                          adjusted_reason=NO_COMPARISON if has_outcomes else NO_COMPARISON_USAGE)
    comparison_delta = float(np.mean([c.mean() / b.mean() - 1 for b, c in group]))
    comparison_draws = np.mean([_resampled_ratios(b, c, rng) - 1 for b, c in group], axis=0)
    adjusted = (1 + delta) / (1 + comparison_delta) - 1
    adjusted_low, adjusted_high = _interval(own_draws / (1 + comparison_draws) - 1)
    return Efficiency(basis, baseline, current, delta, ci_low, ci_high, adjusted, adjusted_low, adjusted_high,
                      len(group), comparison_delta, BOOTSTRAP_METHOD, baseline_months, current_months)


define("adjusted_delta", unit="fraction", higher_is_better=True,
       description="Efficiency delta net of the market trend: difference-in-differences against comparable "
                   "accounts (same industry, else all) that were not yet live in either window; withheld with "
                   f"the reason when fewer than {privacy.MIN_OTHERS} such accounts exist.",
       formula="(1 + efficiency_delta) / (1 + mean efficiency change of the comparison accounts over the same "
               "windows) - 1; its 90 % interval resamples the months of the account and of every comparison account",
       function="metrics.efficiency.efficiency")
