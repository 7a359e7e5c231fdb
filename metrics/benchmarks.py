"""Peer benchmarks: where one account stands among the anonymous peers of a predefined cohort.

`benchmark` is the one function the Benchmarks page, the account report's peer section and the QBR exports call.
It returns the account's own figures and cohort aggregates only: no peer name, id or single peer value, and
no minimum or maximum. What is published follows metrics.privacy, the one policy: a cohort figure needs at least
privacy.MIN_OTHERS other accounts (else the cohort widens to all accounts, and failing that the figure is
suppressed with the reason), quartiles need at least privacy.MIN_OTHERS_FOR_QUARTILES and a median over fewer is
rounded, and a pooled sum is withheld when one account holds more than privacy.MAX_SHARE of it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from metrics import adoption, cost, efficiency, privacy
from metrics.accounts import Account, all_accounts, resolve
from metrics.registry import METRICS, define, metric
from metrics.store import DataError

COHORTS = ("industry", "region", "segment", "seat_band", "all")
SEAT_BANDS: tuple[tuple[int, int | None], ...] = ((1, 49), (50, 199), (200, 499), (500, None))
FIGURES = ("key_feature_adoption", "breadth", "efficiency_delta", "hours_saved_per_seat", "value_per_seat")
# per-seat figures also publish a pooled rate (sum over peers / their seats): the sums the dominance rule guards
SUMMED = {"hours_saved_per_seat": "hours_saved", "value_per_seat": "value"}

REASONS = {
    "no_attribute": "the account has no {cohort}",
    "too_few": f"fewer than {privacy.MIN_OTHERS} other accounts in the cohort have this figure",
    "dominated": f"one account would contribute more than {privacy.MAX_SHARE:.0%} of the peers' summed figure",
    "no_currency": "the account has no currency, so no peer's value is comparable",
}

_TABLE_FUNCTION = "metrics.benchmarks.metric_table"
define("hours_saved_per_seat", unit="hours per seat", higher_is_better=True, function=_TABLE_FUNCTION,
       description="Hours saved in the period per licensed seat; None without seats or without activity in the "
                   "period.",
       formula="hours_saved / seats, in [start, end)")
define("value_per_seat", unit="currency per seat", higher_is_better=True, function=_TABLE_FUNCTION,
       description="Money value of the hours saved per licensed seat, in the account's currency; only ever "
                   "compared with accounts of the same currency.",
       formula="value / seats = hours_saved x hourly_cost / seats, in [start, end)")
define("peer_median", unit="as the figure", higher_is_better=None, function="metrics.benchmarks.benchmark",
       description="Median and quartiles of a figure over the other accounts of the cohort; published only when "
                   f"at least {privacy.MIN_OTHERS} other accounts have the figure, quartiles only from "
                   f"{privacy.MIN_OTHERS_FOR_QUARTILES} "
                   "(never their minimum or maximum).",
       formula="25th, 50th and 75th percentile (linear interpolation) of the figure over the cohort's other "
               f"accounts; >= {privacy.MIN_OTHERS} of them, else widen to all accounts, else suppress; quartiles need "
               f">= {privacy.MIN_OTHERS_FOR_QUARTILES}, and a median over fewer is rounded (fractions to "
               f"{privacy.ROUND_FRACTION_TO}, other units to {privacy.ROUND_SIGNIFICANT} significant digits)")
define("peer_pooled", unit="as the figure", higher_is_better=None, function="metrics.benchmarks.benchmark",
       description="The cohort's other accounts taken together for a per-seat figure: their summed hours (or value) "
                   f"over their summed seats; suppressed when one of them holds more than {privacy.MAX_SHARE:.0%} of "
                   "either sum.",
       formula=f"sum(hours_saved or value over peers) / sum(seats over peers); each peer's share of both sums <= "
               f"{privacy.MAX_SHARE:.0%}, >= {privacy.MIN_OTHERS} peers, else widen to all accounts, else suppress")


@dataclass(frozen=True)
class BenchmarkFigure:
    """One figure of the account against its cohort: its own value, its percentile among the peers, the peers'
    quartiles and (per-seat figures) their pooled rate. `cohort` is the cohort used (None when suppressed),
    `reasons` hold (cohort, reason code) for each cohort that could not be used, and `pooled_reason` the code of
    a pooled rate withheld by the dominance rule; REASONS has the codes' text."""

    metric: str
    unit: str
    value: float | None
    currency: str | None = None
    basis: str | None = None
    cohort: str | None = None
    cohort_label: str | None = None
    peers: int | None = None
    percentile: float | None = None
    p25: float | None = None
    median: float | None = None
    p75: float | None = None
    pooled: float | None = None
    pooled_reason: str | None = None
    reasons: tuple[tuple[str, str], ...] = ()

    @property
    def widened(self) -> bool:
        """True when the figure is shown against a wider cohort than the one asked for."""
        return self.cohort is not None and bool(self.reasons)

    @property
    def reason(self) -> str | None:
        """Why the asked-for cohort (and the wider one) could not be used, for people; None when it was used."""
        if not self.reasons:
            return None
        parts = [f"{scope}: {REASONS[code].format(cohort=scope.replace('_', ' '))}" for scope, code in self.reasons]
        return "; ".join(parts) + ("; widened to all accounts" if self.cohort else "; suppressed")


@dataclass(frozen=True)
class Benchmark:
    """An account's benchmark against one predefined cohort: its own figures and cohort aggregates only."""

    account_id: str
    cohort: str
    cohort_label: str | None
    start: date
    end: date
    figures: tuple[BenchmarkFigure, ...]

    def figure(self, name: str) -> BenchmarkFigure:
        """The figure of metric `name`."""
        return next(f for f in self.figures if f.metric == name)

    def frame(self) -> pd.DataFrame:
        """One row per figure (for tables and exports)."""
        rows = [{"metric": f.metric, "unit": f.unit, "value": f.value, "currency": f.currency, "basis": f.basis,
                 "cohort": f.cohort, "cohort_label": f.cohort_label, "peers": f.peers, "percentile": f.percentile,
                 "p25": f.p25, "median": f.median, "p75": f.p75, "pooled": f.pooled,
                 "pooled_reason": f.pooled_reason, "reason": f.reason}
                for f in self.figures]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready data: NaN as None, dates as ISO strings."""
        return {"account_id": self.account_id, "cohort": self.cohort, "cohort_label": self.cohort_label,
                "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
                "figures": [{**{k: _plain(v) for k, v in row.items()},
                             "reasons": [list(r) for r in f.reasons]}
                            for row, f in zip(self.frame().to_dict("records"), self.figures)]}


def _plain(value: object) -> object:
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def seat_band(seats: int | float | None) -> str | None:
    """The seat band label of a seat count ('1-49', '50-199', '200-499', '500+'); None without seats."""
    if seats is None or pd.isna(seats) or seats < 1:
        return None
    for low, high in SEAT_BANDS:
        if high is None or seats <= high:
            return f"{low}+" if high is None else f"{low}-{high}"
    return None


def metric_table(con: duckdb.DuckDBPyConnection, *, start: date, end: date, grid: pd.DataFrame | None = None,
                 series: efficiency.SeriesIndex | None = None, hours: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every account with its benchmark figures and case-study evidence for the period, computed in one pass.
    It names every account: an input to computations only, never to be shown, exported or cached by a page.
    `grid` and `series`: the period's adoption table and efficiency series when already built (the report inputs,
    metrics.report.period_inputs, hold both; a quarter of the first view of a period was building them twice);
    `hours`: its adoption.hours_table (the inputs hold it too)."""
    accounts = series.accounts if series is not None else all_accounts(con)
    hours = adoption.hours_table(con, start=start, end=end) if hours is None else hours
    grid = adoption.adoption_table(con, start=start, end=end, hours=hours) if grid is None else grid
    series = efficiency.SeriesIndex(efficiency.monthly(con), accounts) if series is None else series
    frame = cost.portfolio_value(con, start=start, end=end, hours=hours)
    frame = frame.merge(adoption.key_adoption_by_account(con, start=start, end=end, grid=grid),
                        on="account_key", how="left")
    adopted = grid[grid["adopters"] > 0].groupby("account_key").size().rename("features_adopted")
    frame = frame.merge(adopted, on="account_key", how="left")
    per_account = grid.groupby("account_key")[["active_users", "user_features"]].first()
    # metrics.adoption.breadth of every account, by its formula, from the pairs the grid already counted
    breadth = {key: adoption.pairs_per_user(int(pairs), int(users))
               for key, users, pairs in per_account.itertuples(name=None)}
    frame["breadth"] = frame["account_key"].map(breadth).astype("float64")
    frame["active_users"] = frame["account_key"].map(per_account["active_users"]).fillna(0).astype("int64")
    frame["features_adopted"] = frame["features_adopted"].fillna(0).astype("int64")
    go_live = {a.key: a.go_live_date for a in accounts}
    frame["go_live_date"] = frame["account_key"].map(go_live)
    frame["seat_band"] = frame["seats"].map(seat_band)
    results = {a.key: efficiency.efficiency(con, account_id=a.account_id, start=start, end=end, series=series,
                                            delta_only=True) for a in accounts}
    for column, attribute in (("efficiency_delta", "delta"), ("efficiency_basis", "basis")):
        frame[column] = frame["account_key"].map({k: getattr(r, attribute) for k, r in results.items()})
    seats = frame["seats"].where((frame["seats"] > 0) & (frame["active_users"] > 0))
    frame["hours_saved_per_seat"] = frame["hours_saved"] / seats
    frame["value_per_seat"] = frame["value"] / seats
    return frame


def _attribute(account: Account, cohort: str) -> str | None:
    if cohort == "all":
        return "all"
    if cohort == "seat_band":
        return seat_band(account.seats)
    return getattr(account, cohort)


def _same(column: np.ndarray, value: object) -> np.ndarray:
    """Rows whose `column` equals `value`; none for a missing value (NULL matches nothing, as in SQL)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return np.zeros(len(column), dtype=bool)
    return column == value


def _aggregates(own: float | None, values: np.ndarray, unit: str) -> dict[str, Any]:
    stat = privacy.peer_stat(values, "fraction" if unit == "fraction" else "number")
    percentile = None
    if own is not None:
        percentile = float(100 * ((values < own).sum() + 0.5 * (values == own).sum()) / len(values))
    return {"percentile": percentile, "p25": stat.p25, "median": stat.median, "p75": stat.p75}


def _figure(table: pd.DataFrame, account: Account, name: str, cohort: str) -> BenchmarkFigure:
    # numpy arrays of the table's columns: a benchmark filters 2,000 rows a dozen times, which pandas made 11 ms
    keys = table["account_key"].to_numpy()
    own_at = int(np.flatnonzero(keys == account.key)[0])
    values = table[name].to_numpy(dtype=float)
    own = None if np.isnan(values[own_at]) else float(values[own_at])
    base: dict[str, Any] = {"metric": name, "unit": METRICS[name].unit, "value": own}
    pool = (keys != account.key) & ~np.isnan(values)
    if name == "value_per_seat":
        base["currency"] = account.currency
        if not account.currency:
            return BenchmarkFigure(**base, reasons=((cohort, "no_currency"),))
        pool &= _same(table["currency"].to_numpy(), account.currency)
    if name == "efficiency_delta":
        basis = table["efficiency_basis"].to_numpy()
        base["basis"] = basis[own_at]
        pool &= _same(basis, basis[own_at])
    reasons: list[tuple[str, str]] = []
    for scope in dict.fromkeys((cohort, "all")):
        label = _attribute(account, scope)
        if label is None:
            reasons.append((scope, "no_attribute"))
            continue
        peers = pool if scope == "all" else pool & _same(table[scope].to_numpy(), label)
        count = int(peers.sum())
        if not privacy.may_show(count):
            reasons.append((scope, "too_few"))
            continue
        pooled, pooled_reason = None, None
        if name in SUMMED:
            summed, seats = (table[c].to_numpy(dtype=float)[peers] for c in (SUMMED[name], "seats"))
            # one peer holding more than privacy.MAX_SHARE of the peers' sum would show through a pooled rate
            if privacy.dominated(summed) or privacy.dominated(seats):
                pooled_reason = "dominated"
            else:
                pooled = float(np.nansum(summed) / np.nansum(seats))
        return BenchmarkFigure(**base, cohort=scope, cohort_label=None if scope == "all" else label,
                               peers=count, pooled=pooled, pooled_reason=pooled_reason, reasons=tuple(reasons),
                               **_aggregates(own, values[peers], METRICS[name].unit))
    return BenchmarkFigure(**base, reasons=tuple(reasons))


@metric("peer_percentile", unit="percentile (0-100)", higher_is_better=True,
        description="Where the account stands among the other accounts of a predefined cohort (industry, region, "
                    "segment, seat band or all): the share of peers below it, ties counting half.",
        formula=f"100 x (peers below + 0.5 x peers equal) / peers, over the cohort's other accounts with the "
                f"figure (value per seat: same currency; efficiency: same basis); >= {privacy.MIN_OTHERS} peers, else "
                "widen to all accounts, else suppress")
def benchmark(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date,
              cohort: str = "industry", table: pd.DataFrame | None = None,
              account: Account | None = None) -> Benchmark:
    """The account's figures against its cohort: own value, percentile, peer quartiles, pooled per-seat rates;
    anonymous aggregates only. `account`: its record, when the caller holds it (accounts.resolve)."""
    if cohort not in COHORTS:
        raise DataError(f"unknown cohort '{cohort}' (use one of {', '.join(COHORTS)})")
    account = resolve(con, account_id, account)
    # `table`: metric_table for the same period, when the caller computes it once for many accounts
    table = metric_table(con, start=start, end=end) if table is None else table
    label = _attribute(account, cohort)
    return Benchmark(account.account_id, cohort, None if cohort == "all" else label, start, end,
                     tuple(_figure(table, account, name, cohort) for name in FIGURES))
