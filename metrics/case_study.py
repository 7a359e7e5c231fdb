"""Benchmark case studies (标杆案例): rank the accounts whose numbers tell the strongest story, and assemble one
account's case study from the metric functions. The text is drafted from this record by exports/case_study.py."""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from metrics import adoption, cost, efficiency
from metrics.accounts import all_accounts, get_account
from metrics.benchmarks import metric_table
from metrics.registry import metric
from metrics.store import query

CANDIDATES = 20
SIGNIFICANT_DIGITS = 2
SEAT_DIGITS = 1


@metric("time_to_value", unit="days", higher_is_better=False,
        description="Days from go-live to the account's first use of any feature priced in the value model "
                    "(negative: used in a pilot before go-live).",
        formula="min over value-model features f of time_to_first_use(f)")
def time_to_value(con: duckdb.DuckDBPyConnection, *, account_id: str) -> float | None:
    """Days from go-live to the first use of a value-model feature; None without a go-live date or such use."""
    first = adoption.time_to_first_use(con, account_id=account_id)
    days = first.loc[first["feature"].isin(_value_features(con)), "days_from_go_live"].dropna()
    return float(days.min()) if len(days) else None


def _value_features(con: duckdb.DuckDBPyConnection) -> list[str]:
    return list(query(con, "value_model_features")["feature"])


@metric("case_study_score", unit="score (0-1)", higher_is_better=True,
        description="How strong an account's story is among the live accounts with hours saved in the period: "
                    "realized value (hours saved, comparable across currencies) and depth of adoption "
                    "(key feature adoption), each as a rank among the candidates.",
        formula="(percentile rank of hours_saved + percentile rank of key_feature_adoption) / 2, over accounts live "
                "before the period's end with hours_saved > 0; ties by hours saved, then account id")
def case_study_candidates(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                          limit: int = CANDIDATES) -> pd.DataFrame:
    """The best `limit` candidates, best first, with their evidence: hours and value saved, ROI, key feature
    adoption, features adopted, efficiency delta and its interval, time to value."""
    # one efficiency series for the table's deltas and the candidates' intervals (it was built once for each)
    series = efficiency.SeriesIndex(efficiency.monthly(con), all_accounts(con))
    table = metric_table(con, start=start, end=end, series=series)
    live = table["go_live_date"].map(lambda d: d is not None and not pd.isna(d) and d < end)
    frame = table[live & (table["hours_saved"] > 0)].copy()
    frame["score"] = (frame["hours_saved"].rank(pct=True) + frame["key_feature_adoption"].rank(pct=True)) / 2
    frame = frame.sort_values(["score", "hours_saved", "account_id"], ascending=[False, False, True]).head(limit)
    frame["time_to_value_days"] = [time_to_value(con, account_id=a) for a in frame["account_id"]]
    # the delta's interval for the few candidates shown (the peer table holds the delta alone)
    found = [efficiency.efficiency(con, account_id=a, start=start, end=end, series=series) for a in frame["account_id"]]
    frame["efficiency_ci_low"] = [e.ci_low for e in found]
    frame["efficiency_ci_high"] = [e.ci_high for e in found]
    columns = ["account_id", "account_name", "industry", "region", "seats", "score", "hours_saved", "value",
               "currency", "roi", "key_feature_adoption", "features_adopted", "efficiency_delta",
               "efficiency_ci_low", "efficiency_ci_high", "time_to_value_days"]
    return frame[columns].reset_index(drop=True)


@metric("adoption_curve", unit="fraction", higher_is_better=True,
        description="Each month's adoption rate of a feature: the share of that month's active users who used it.",
        formula="distinct users of f in month m / distinct active users in month m, for each month with activity")
def adoption_curves(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> pd.DataFrame:
    """Per feature used in [start, end) and month with activity: month, feature, users, active_users,
    adoption_rate."""
    account = get_account(con, account_id)
    frame = query(con, "adoption_curves", account_key=account.key, start=start, end=end)
    frame["month"] = frame["month"].dt.date
    return frame


@dataclass(frozen=True)
class Step:
    """A value-model feature in the order the account took it up; `first_used` is None once anonymized."""

    feature: str
    first_used: date | None
    days_from_go_live: float | None
    adoption_rate: float | None
    hours_saved: float | None


@dataclass(frozen=True)
class CaseStudy:
    """Everything a case study says, from the metric functions: profile, challenge (baseline), solution (features
    in order of first use, adoption curves), results. Anonymized: no name, id or dates, figures rounded."""

    account_id: str | None
    name: str | None
    industry: str | None
    region: str | None
    segment: str | None
    seats: int | None
    go_live_date: date | None
    start: date | None
    end: date | None
    months_after_go_live: tuple[int, int] | None
    currency: str | None
    efficiency: efficiency.Efficiency
    hours_saved: float | None
    value: float | None
    fte_equivalent: float | None
    roi: float | None
    payback_months: float | None
    cost_reason: str | None
    key_feature_adoption: float | None
    breadth: float | None
    time_to_value_days: float | None
    steps: tuple[Step, ...]
    curves: pd.DataFrame = field(repr=False)
    anonymized: bool = False


def _months_between(first: date, later: date) -> int:
    return (later.year - first.year) * 12 + later.month - first.month


def case_study(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> CaseStudy:
    """One account's case study for the period, every figure from its metric function."""
    account = get_account(con, account_id)
    eff = efficiency.efficiency(con, account_id=account_id, start=start, end=end)
    money = cost.cost(con, account_id=account_id, start=start, end=end)
    features = adoption.feature_adoption(con, account_id=account_id, start=start, end=end)
    valued = set(_value_features(con))
    first = adoption.time_to_first_use(con, account_id=account_id)
    first = first[first["feature"].isin(valued) & (first["first_used_at"] < pd.Timestamp(end))]
    rates = dict(zip(features["feature"], features["adoption_rate"]))
    hours = dict(zip(money.by_feature["feature"], money.by_feature["hours_saved"]))
    steps = tuple(Step(row.feature, row.first_used_at.date(), _maybe(row.days_from_go_live),
                       _maybe(rates.get(row.feature)), float(hours.get(row.feature, 0.0)))
                  for row in first.itertuples(index=False))
    go_live = account.go_live_date
    live = date(go_live.year, go_live.month, 1) if go_live else None
    starts = [m for m in (live, *(date(s.first_used.year, s.first_used.month, 1) for s in steps if s.first_used))
              if m]
    curves = adoption_curves(con, account_id=account_id, start=min(starts or [start]), end=end)
    curves = curves[curves["feature"].isin([s.feature for s in steps])].reset_index(drop=True)
    curves.insert(1, "months_since_go_live", [_months_between(live, m) if live else None for m in curves["month"]])
    offsets = (_months_between(live, eff.current_months[0]), _months_between(live, eff.current_months[-1])) \
        if live and eff.current_months else None
    return CaseStudy(account.account_id, account.name, account.industry, account.region, account.segment,
                     account.seats, account.go_live_date, start, end, offsets, money.currency, eff,
                     money.hours_saved, money.value, money.fte_equivalent, money.roi, money.payback_months,
                     money.reason, adoption.key_feature_adoption(features),
                     adoption.breadth(con, account_id=account_id, start=start, end=end),
                     time_to_value(con, account_id=account_id), steps, curves)


def _maybe(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def round_sig(value: float | None, digits: int = SIGNIFICANT_DIGITS) -> float | None:
    """`value` rounded to `digits` significant digits (1234.5 -> 1200.0); None stays None."""
    if value is None or value == 0:
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def round_fraction(value: float | None) -> float | None:
    """A fraction rounded to a whole percent (0.4213 -> 0.42); None stays None."""
    return None if value is None else round(value, 2)


def anonymize(study: CaseStudy) -> CaseStudy:
    """The study without name, id or calendar dates, seats to 1 and figures to 2 significant digits, fractions to
    whole percents, so the customer cannot be recognised from its numbers."""
    eff = study.efficiency
    eff = replace(eff, baseline=round_sig(eff.baseline), current=round_sig(eff.current),
                  delta=round_fraction(eff.delta), ci_low=round_fraction(eff.ci_low),
                  ci_high=round_fraction(eff.ci_high), adjusted_delta=round_fraction(eff.adjusted_delta),
                  adjusted_ci_low=round_fraction(eff.adjusted_ci_low),
                  adjusted_ci_high=round_fraction(eff.adjusted_ci_high),
                  comparison_delta=round_fraction(eff.comparison_delta), baseline_months=[], current_months=[])
    steps = tuple(Step(s.feature, None, round_sig(s.days_from_go_live), round_fraction(s.adoption_rate),
                       round_sig(s.hours_saved)) for s in study.steps)
    curves = study.curves.drop(columns=["month", "users", "active_users"]).assign(
        adoption_rate=study.curves["adoption_rate"].round(2))
    seats = int(round_sig(study.seats, SEAT_DIGITS) or 0) if study.seats else None
    return replace(study, account_id=None, name=None, seats=seats, go_live_date=None, start=None, end=None,
                   efficiency=eff, hours_saved=round_sig(study.hours_saved), value=round_sig(study.value),
                   fte_equivalent=round_sig(study.fte_equivalent), roi=round_fraction(study.roi),
                   payback_months=round_sig(study.payback_months),
                   key_feature_adoption=round_fraction(study.key_feature_adoption),
                   breadth=round_sig(study.breadth), time_to_value_days=round_sig(study.time_to_value_days),
                   steps=steps, curves=curves, anonymized=True)
