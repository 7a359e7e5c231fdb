"""One account's value report: every figure a QBR shows, assembled from the metric functions."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb

from metrics import adoption, cost, efficiency
from metrics.accounts import all_accounts
from metrics.period import Period
from metrics.registry import Kpi, kpi


def _num(value: object, digits: int | None = None) -> float | int | None:
    """A JSON-safe number: NaN -> None, numpy -> Python, money rounded to `digits`."""
    if value is None:
        return None
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and math.isnan(value):
        return None
    return round(value, digits) if digits is not None and isinstance(value, float) else value


def _records(frame, money: tuple[str, ...] = ()) -> list[dict[str, object]]:
    columns = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in frame.columns]  # Python scalars, column by column (to_dict is slower)
    return [{k: (_num(v, 2 if k in money else None) if not isinstance(v, (str, bool, date)) else
                 v.isoformat() if isinstance(v, date) else v)
             for k, v in zip(columns, row)} for row in zip(*values)]


@dataclass(frozen=True)
class PeriodInputs:
    """What every account's report of one period reads about all accounts: the peer adoption grid and the monthly
    efficiency series with the account list, indexed for lookups. Build it once per period and data version, like
    the peer table; a report given it reads only its own account's rollups."""

    peers: adoption.PeerGrid
    series: efficiency.SeriesIndex
    catalog: list[tuple]  # adoption.feature_catalog


def period_inputs(con: duckdb.DuckDBPyConnection, period: Period) -> PeriodInputs:
    """The all-accounts inputs of the period's reports (see PeriodInputs)."""
    accounts = all_accounts(con)
    return PeriodInputs(adoption.peer_grid(adoption.adoption_table(con, start=period.start, end=period.end), accounts),
                        efficiency.SeriesIndex(efficiency.monthly(con), accounts), adoption.feature_catalog(con))


def account_report(con: duckdb.DuckDBPyConnection, *, account_id: str, period: Period,
                   inputs: PeriodInputs | None = None) -> dict[str, object]:
    """The full report as plain JSON-ready data: fractions stay fractions, money keeps two decimals.

    `inputs` (period_inputs of the same period and data) saves recomputing the all-accounts parts; same result.
    Everything about the account itself comes from one read of its rollups (adoption.usage).
    """
    inputs = inputs or period_inputs(con, period)
    account = inputs.series.account(account_id)
    start, end = period.start, period.end
    use = adoption.usage(con, account, start, end, inputs.catalog)
    eff = efficiency.efficiency(con, account_id=account_id, start=start, end=end, series=inputs.series)
    money = cost.cost_of(account, use, period)
    features = adoption.feature_adoption_of(use)
    underused = adoption.underused_of(account, inputs.peers)
    return {
        "account_id": account.account_id,
        "account_name": account.name,
        "industry": account.industry,
        "go_live_date": account.go_live_date.isoformat() if account.go_live_date else None,
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "adoption": {
            "mau": _records(adoption.mau_of(use)),
            "features": _records(features[["feature", "adopters", "adoption_rate", "depth", "has_value_driver"]]),
            "key_feature_adoption": _num(adoption.key_feature_adoption(features)),
            "breadth": _num(adoption.breadth_of(use)),
            "seat_utilization": _num(adoption.seat_utilization_of(account, use)),
            "stickiness": _num(adoption.stickiness_of(use)),
            "underused_features": _records(underused, money=("value_left",)),
        },
        "efficiency": {
            "basis": eff.basis,
            "baseline": _num(eff.baseline), "current": _num(eff.current), "delta": _num(eff.delta),
            "ci_low": _num(eff.ci_low), "ci_high": _num(eff.ci_high),
            "adjusted_delta": _num(eff.adjusted_delta), "adjusted_ci_low": _num(eff.adjusted_ci_low),
            "adjusted_ci_high": _num(eff.adjusted_ci_high), "comparison_accounts": eff.comparison_accounts,
            "comparison_delta": _num(eff.comparison_delta),
            "method": eff.method,
            "baseline_months": [m.isoformat() for m in eff.baseline_months],
            "current_months": [m.isoformat() for m in eff.current_months],
            "reason": eff.reason,
            "adjusted_reason": eff.adjusted_reason,
        },
        "cost": {
            "hours_saved": _num(money.hours_saved), "value": _num(money.value, 2), "currency": money.currency,
            "fte_equivalent": _num(money.fte_equivalent), "roi": _num(money.roi),
            "payback_months": _num(money.payback_months),
            "by_feature": _records(money.by_feature, money=("value",)),
            "reason": money.reason,
        },
    }


def headline_kpis(report: dict[str, object]) -> list[Kpi]:
    """The report's headline figures as KPI records, in the order a QBR shows them."""
    eff, money, use = report["efficiency"], report["cost"], report["adoption"]
    return [
        kpi("value", money["value"], reason=money["reason"]),
        kpi("hours_saved", money["hours_saved"]),
        kpi("fte_equivalent", money["fte_equivalent"]),
        kpi("efficiency_delta", eff["delta"], reason=eff["reason"]),
        kpi("adjusted_delta", eff["adjusted_delta"], reason=eff["reason"] or eff["adjusted_reason"]),
        kpi("key_feature_adoption", use["key_feature_adoption"], reason="no active users or no value model"),
        kpi("seat_utilization", use["seat_utilization"], reason="no seat count"),
        kpi("roi", money["roi"], reason=money["reason"]),
        kpi("payback_months", money["payback_months"], reason=money["reason"]),
    ]

