"""One account's value report: every figure a QBR shows, assembled from the metric functions."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import TypeVar, cast

import duckdb
import pandas as pd

from metrics import adoption, benchmarks, cost, efficiency, lifecycle, objectives, people
from metrics.accounts import all_accounts
from metrics.health import Health, health, weights_of
from metrics.objectives import Projection
from metrics.period import Period
from metrics.registry import Kpi, kpi
from metrics.store import sql

R = TypeVar("R")


def _num(value: object, money: bool = False) -> float | int | None:
    """A JSON-safe number: NaN -> None, numpy -> Python, money to the cent as a spreadsheet rounds it."""
    if value is None:
        return None
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and math.isnan(value):
        return None
    if money and isinstance(value, float):
        return cost.cents(value)
    return cast(float | int, value)  # an int or a float by now


def _plain(value: object, money: bool) -> object:
    """A cell of a metric frame as a Python value: numbers as _num (money to the cent), text and dates as they are."""
    if isinstance(value, (str, bool, date)) or value is None:
        return value
    return _num(value, money)


def _rows(cls: type[R], frame: pd.DataFrame, money: tuple[str, ...] = ()) -> tuple[R, ...]:
    """A metric frame as typed rows of `cls`, one field a column."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    columns = [frame[n].tolist() if n in frame.columns else [None] * len(frame) for n in names]
    return tuple(cls(*(_plain(v, n in money) for n, v in zip(names, row))) for row in zip(*columns))


@dataclass(frozen=True)
class MonthlyActiveUsers:
    """Users active in one month (any event)."""

    month: date
    active_users: int


@dataclass(frozen=True)
class FeatureAdoption:
    """One feature's adoption in the period: adopters, their share of active users, events per adopter."""

    feature: str
    adopters: int
    adoption_rate: float | None
    depth: float | None
    has_value_driver: bool


@dataclass(frozen=True)
class UnderusedFeature:
    """A feature the account adopts less than its peers' median, with the hours and value left on the table."""

    feature: str
    adoption_rate: float
    peer_median: float
    peer_group: str
    peers: int
    non_adopters: int
    hours_per_adopter: float | None
    hours_left: float | None
    value_left: float | None


@dataclass(frozen=True)
class FeatureValue:
    """Hours saved and their value by one value-model feature."""

    feature: str
    events: float
    units: float
    minutes_saved: float
    basis: str
    hours_saved: float
    value: float | None


@dataclass(frozen=True)
class ReportPeriod:
    """The report's months, [start, end)."""

    start: date
    end: date


@dataclass(frozen=True)
class AdoptionFigures:
    """Adoption: monthly active users, per-feature adoption, the adoption ratios and the underused features."""

    mau: tuple[MonthlyActiveUsers, ...]
    features: tuple[FeatureAdoption, ...]
    key_feature_adoption: float | None
    breadth: float | None
    seat_utilization: float | None
    stickiness: float | None
    underused_features: tuple[UnderusedFeature, ...]


@dataclass(frozen=True)
class EfficiencyFigures:
    """Per-person efficiency before and after go-live, with its interval and the trend-adjusted delta."""

    basis: str | None
    baseline: float | None
    current: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    adjusted_delta: float | None
    adjusted_ci_low: float | None
    adjusted_ci_high: float | None
    comparison_accounts: int
    comparison_delta: float | None
    method: str | None
    baseline_months: tuple[date, ...]
    current_months: tuple[date, ...]
    reason: str | None
    adjusted_reason: str | None


@dataclass(frozen=True)
class CostFigures:
    """Hours saved, their value in the account's currency, FTE equivalent, ROI and payback."""

    hours_saved: float | None
    value: float | None
    currency: str | None
    fte_equivalent: float | None
    roi: float | None
    payback_months: float | None
    by_feature: tuple[FeatureValue, ...]
    reason: str | None


@dataclass(frozen=True)
class LifecycleFigures:
    """Where the account stands on the value path at the period's end (metrics.lifecycle)."""

    stage: str
    since: date
    months_in_stage: int
    days_to_activation: int | None
    months_by_stage: dict[str, int] | None = None  # months spent in each stage over the 24 months to the period's end


@dataclass(frozen=True)
class AccountReport:
    """One account's value report for a period: what the page, the exports and `cli.py report --json` show."""

    account_id: str
    account_name: str
    industry: str | None
    go_live_date: date | None
    period: ReportPeriod
    adoption: AdoptionFigures
    efficiency: EfficiencyFigures
    cost: CostFigures
    lifecycle: LifecycleFigures | None = None
    health: Health | None = None
    objectives: tuple[objectives.Objective, ...] = ()
    value_delivered: float | None = None  # mean capped progress of the objectives
    projection: Projection | None = None  # the business case against the realized value, by month

    def to_json(self) -> dict[str, object]:
        """The report as JSON-ready data: dates as ISO text, fractions stay fractions, money keeps two decimals."""
        return _jsonable(asdict(self))  # type: ignore[return-value]


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


@dataclass(frozen=True)
class PeriodInputs:
    """What every account's report of one period reads about all accounts: the peer adoption grid and the monthly
    efficiency series with the account list, indexed for lookups. Build it once per period and data version, like
    the peer table; a report given it reads only its own account's rollups."""

    peers: adoption.PeerGrid
    series: efficiency.SeriesIndex
    catalog: list[tuple]  # adoption.feature_catalog
    weights: dict[str, float] | None = None  # the health score's weights in force (metrics.health.weights_of)
    grid: pd.DataFrame | None = None  # adoption.adoption_table of the period, which `peers` was built from
    lifecycle: lifecycle.MonthsIndex | None = None  # lifecycle.period_index
    hours: pd.DataFrame | None = None  # adoption.hours_table of the period, which `grid` was built from
    usage: adoption.UsageRows | None = None  # every account's usage in the period and the months before it


def period_inputs(con: duckdb.DuckDBPyConnection, period: Period, *, many: bool = True,
                  every_account: bool = False) -> PeriodInputs:
    """The all-accounts inputs of the period's reports (see PeriodInputs); `many=False` for one report alone (the CLI,
    a report without inputs): without the lifecycle index, which only pays off over many reports; `every_account`
    for a file of every account (a portfolio export): with every account's usage in the period and in as many
    months before it (adoption.usage_rows, what each report and story reads of its own account)."""
    accounts = all_accounts(con)
    hours = adoption.hours_table(con, start=period.start, end=period.end)
    grid = adoption.adoption_table(con, start=period.start, end=period.end, hours=hours)
    return PeriodInputs(adoption.peer_grid(grid, accounts), efficiency.SeriesIndex(efficiency.monthly(con), accounts),
                        adoption.feature_catalog(con), weights_of(con), grid,
                        lifecycle.period_index(con, period) if many else None, hours,
                        adoption.usage_rows(con, [period, period.before()]) if every_account else None)


def peer_figures(con: duckdb.DuckDBPyConnection, period: Period, inputs: PeriodInputs) -> pd.DataFrame:
    """The period's peer table (benchmarks.metric_table) from its report inputs: the adoption grid, the efficiency
    series and the hours saved per account and feature are not read again."""
    return benchmarks.metric_table(con, start=period.start, end=period.end, grid=inputs.grid, series=inputs.series,
                                   hours=inputs.hours)


def _measured(con: duckdb.DuckDBPyConnection, account_id: str, period: Period, inputs: PeriodInputs) -> tuple:
    """What a report measures of the account itself: its usage, efficiency, cost, feature adoption, and the figures
    an objective can name (metrics.objectives.METRICS), from one read of its rollups."""
    account = inputs.series.account(account_id)
    use = adoption.usage(con, account, period.start, period.end, inputs.catalog, inputs.usage)
    eff = efficiency.efficiency(con, account_id=account_id, start=period.start, end=period.end, series=inputs.series)
    money = cost.cost_of(account, use, period)
    features = adoption.feature_adoption_of(use)
    figures = {"efficiency_delta": _num(eff.delta), "hours_saved": _num(money.hours_saved), "value": _num(money.value),
               "key_feature_adoption": _num(adoption.key_feature_adoption(features)),
               "seat_utilization": _num(adoption.seat_utilization_of(account, use))}
    return use, eff, money, features, figures


def account_report(con: duckdb.DuckDBPyConnection, *, account_id: str, period: Period,
                   inputs: PeriodInputs | None = None) -> AccountReport:
    """The full report of one account and period (see AccountReport).

    `inputs` (period_inputs of the same period and data) saves recomputing the all-accounts parts; same result.
    Everything about the account itself comes from one read of its rollups (adoption.usage).
    """
    inputs = inputs or period_inputs(con, period, many=False)
    account = inputs.series.account(account_id)
    start, end = period.start, period.end
    use, eff, money, features, figures = _measured(con, account_id, period, inputs)
    stage = lifecycle.lifecycle(con, account=account, period=period, index=inputs.lifecycle)
    key_adoption, seat_use = figures["key_feature_adoption"], figures["seat_utilization"]
    promised = objectives.objectives_of(con, account, period, figures)
    delivered = objectives.value_delivered(promised)
    top_user = None
    if (inputs.weights or {}).get("concentration", 0) > 0:  # weighted: the account's people are read for it
        top_user = people.concentration(people.people(con, account, period)).top1_share
    return AccountReport(
        account_id=account.account_id, account_name=account.name, industry=account.industry,
        go_live_date=account.go_live_date, period=ReportPeriod(start, end),
        adoption=AdoptionFigures(
            mau=_rows(MonthlyActiveUsers, adoption.mau_of(use)),
            features=_rows(FeatureAdoption, features),
            key_feature_adoption=key_adoption,
            breadth=_num(adoption.breadth_of(use)),
            seat_utilization=seat_use,
            stickiness=_num(adoption.stickiness_of(use)),
            underused_features=_rows(UnderusedFeature, adoption.underused_of(account, inputs.peers),
                                     money=("value_left",))),
        efficiency=EfficiencyFigures(
            basis=eff.basis, baseline=_num(eff.baseline), current=_num(eff.current), delta=_num(eff.delta),
            ci_low=_num(eff.ci_low), ci_high=_num(eff.ci_high), adjusted_delta=_num(eff.adjusted_delta),
            adjusted_ci_low=_num(eff.adjusted_ci_low), adjusted_ci_high=_num(eff.adjusted_ci_high),
            comparison_accounts=eff.comparison_accounts, comparison_delta=_num(eff.comparison_delta),
            method=eff.method, baseline_months=tuple(eff.baseline_months), current_months=tuple(eff.current_months),
            reason=eff.reason, adjusted_reason=eff.adjusted_reason),
        cost=CostFigures(
            hours_saved=_num(money.hours_saved), value=_num(money.value, money=True), currency=money.currency,
            fte_equivalent=_num(money.fte_equivalent), roi=_num(money.roi), payback_months=_num(money.payback_months),
            by_feature=_rows(FeatureValue, money.by_feature, money=("value",)), reason=money.reason),
        lifecycle=None if stage is None else LifecycleFigures(stage.stage, stage.since, stage.months_in_stage,
                                                              stage.days_to_activation, stage.months_by_stage),
        objectives=promised, value_delivered=delivered, projection=objectives.projection(con, account, period),
        health=health(live=account.go_live_date is not None and account.go_live_date < end, adoption=key_adoption,
                      efficiency=_num(eff.delta), seats=seat_use, value_delivered=delivered,
                      usage_trend=usage_trend(stage, len(period.months)) if stage is not None else None,
                      days_to_renewal=(account.renewal_date - end).days if account.renewal_date else None,
                      weights=inputs.weights, top_user_share=top_user))


def value_delivered_table(con: duckdb.DuckDBPyConnection, period: Period, inputs: PeriodInputs | None = None,
                          account_ids: list[str] | None = None) -> pd.DataFrame:
    """Every account with objectives (or those of `account_ids`) and its value delivered for `period` (None when
    none of its objectives could be measured): account_id, value_delivered."""
    ids = [row[0] for row in con.execute(sql("objective_accounts")).fetchall()
           if account_ids is None or row[0] in account_ids]
    if ids and inputs is None:
        inputs = period_inputs(con, period, many=False)  # no stage is read here
    shares = []
    for account_id in ids:  # the report's own figures and objectives, without the rest of the report
        figures = _measured(con, account_id, period, inputs)[-1]  # type: ignore[arg-type]
        account = inputs.series.account(account_id)  # type: ignore[union-attr]
        shares.append(objectives.value_delivered(objectives.objectives_of(con, account, period, figures)))
    return pd.DataFrame({"account_id": ids, "value_delivered": shares}, columns=["account_id", "value_delivered"])


def usage_trend(stage: lifecycle.Stage, months: int) -> float | None:
    """Mean active users of the last `months` months against the `months` before; None without the months before
    or without users then."""
    users = stage.active_users
    if len(users) < 2 * months:
        return None
    now, before = sum(users[-months:]), sum(users[-2 * months:-months])
    return now / before - 1 if before else None


def headline_kpis(report: AccountReport) -> list[Kpi]:
    """The report's headline figures as KPI records, in the order a QBR shows them; the trend-adjusted change only
    where it could be computed (without it, the efficiency change's caption says why)."""
    eff, money, use = report.efficiency, report.cost, report.adoption
    adjusted = [kpi("adjusted_delta", eff.adjusted_delta)] if eff.adjusted_delta is not None else []
    return [
        kpi("value", money.value, reason=money.reason),
        kpi("hours_saved", money.hours_saved),
        kpi("fte_equivalent", money.fte_equivalent),
        kpi("efficiency_delta", eff.delta, reason=eff.reason),
        *adjusted,
        kpi("key_feature_adoption", use.key_feature_adoption, reason="no active users or no value model"),
        kpi("seat_utilization", use.seat_utilization, reason="no seat count"),
        kpi("roi", money.roi, reason=money.reason),
        kpi("payback_months", money.payback_months, reason=money.reason),
    ]
