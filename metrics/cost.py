"""Cost reduction and return: hours saved by the value model, their money value, FTE, ROI and payback."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd

from metrics import adoption
from metrics.accounts import Account, get_account
from metrics.period import Period
from metrics.registry import define, metric
from metrics.store import query

HOURS_PER_YEAR = 2000
Number = TypeVar("Number", float, pd.Series)


def cents(value: float) -> float:
    """Money to the cent as a spreadsheet rounds it: half away from zero on the value's 15 significant digits, as
    Excel's ROUND and a 0.00 cell format do, so the app, the CLI and a recalculated workbook show the same cents
    (Python's round(3726.165, 2) gives 3726.16: the float is 3726.16499...)."""
    return float(Decimal(f"{value:.15g}").quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# The formulas, once: for one account (floats) and for every account of the portfolio (Series) alike.
def hours_from_volume(basis: Any, events: Any, units: Any, minutes_saved: Any) -> Any:
    """Hours the value model credits: units x minutes / 60 for a `unit` driver, else events x minutes / 60 (the
    SQL macro hours_saved_of in schema.sql is the same formula; a test keeps them equal)."""
    return np.where(basis == "unit", units, events) * minutes_saved / 60


def fte_equivalent_of(hours: Number, months: int, hours_per_year: float = HOURS_PER_YEAR) -> Number:
    """Hours saved as full-time people over `months` months."""
    return hours / (months * hours_per_year / 12)


def roi_of(value: Number, months: int, annual_contract_value: Number) -> Number:
    """Annualised value net of the contract, over the contract."""
    return (value * 12 / months - annual_contract_value) / annual_contract_value


def value_of(account: Account, hours: float) -> float | None:
    """The money value of `hours` saved at the account's loaded hourly cost; None without one."""
    return None if account.hourly_cost is None else hours * account.hourly_cost


def payback_months_of(value: float, months: int, annual_contract_value: float) -> float | None:
    """Months of delivered value that pay for a year of the contract; None without value."""
    return annual_contract_value / (value / months) if value > 0 else None


@dataclass(frozen=True)
class Cost:
    """Hours and money saved in a period, and what they return on the contract; None where an input is missing."""

    hours_saved: float
    value: float | None
    currency: str | None
    fte_equivalent: float
    roi: float | None
    payback_months: float | None
    by_feature: pd.DataFrame
    months: int
    reason: str | None = None


@metric("hours_saved", unit="hours", higher_is_better=True,
        description="Hours the value model credits to feature use in the period.",
        formula="sum over features of events x minutes_saved / 60 (basis use) or units x minutes_saved / 60 "
                "(basis unit), in [start, end)")
def hours_saved_of(use: adoption.Usage) -> pd.DataFrame:
    """hours_saved from an account's Usage (the same arithmetic as hours_saved.sql for all accounts)."""
    return use.hours.copy()


_COST = "metrics.cost.cost"
define("value", unit="currency", higher_is_better=True, function=_COST,
       description="Money value of the hours saved, at the account's loaded hourly cost, in its currency.",
       formula="hours_saved x hourly_cost")
define("fte_equivalent", unit="FTE", higher_is_better=True, function=_COST,
       description="Hours saved expressed as full-time people over the period.",
       formula=f"hours_saved / (months in period x {HOURS_PER_YEAR} / 12); working hours a year configurable")
define("roi", unit="fraction", higher_is_better=True, function=_COST,
       description="Return on the annual contract: annualised value net of the contract, over the contract.",
       formula="(value x 12 / months in period - annual_contract_value) / annual_contract_value")
define("payback_months", unit="months", higher_is_better=False, function=_COST,
       description="Months of delivered value it takes to pay for one year of the contract.",
       formula="annual_contract_value / (value / months in period)")


def cost(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date,
         hours_per_year: float = HOURS_PER_YEAR) -> Cost:
    """Hours saved, value, FTE equivalent, ROI and payback for one account and period."""
    account = get_account(con, account_id)
    return cost_of(account, adoption.usage(con, account, start, end), Period(start, end), hours_per_year)


def cost_of(account: Account, use: adoption.Usage, period: Period, hours_per_year: float = HOURS_PER_YEAR) -> Cost:
    """cost from the account and its Usage in the period."""
    by_feature = hours_saved_of(use)
    months = len(period.months)
    hours = float(by_feature["hours_saved"].sum())
    reasons = []
    value = value_of(account, hours)
    if value is None:
        reasons.append("no hourly cost for the account")
    by_feature["value"] = by_feature["hours_saved"] * account.hourly_cost if value is not None else None
    acv = account.annual_contract_value
    roi = payback = None
    if not acv:
        reasons.append("no annual contract value")
    elif value is not None:
        roi = roi_of(value, months, acv)
        payback = payback_months_of(value, months, acv)
    fte = fte_equivalent_of(hours, months, hours_per_year)
    return Cost(hours, value, account.currency, fte, roi, payback, by_feature, months,
                "; ".join(reasons) or None)


def portfolio_value(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                    hours_per_year: float = HOURS_PER_YEAR, hours: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per account: hours_saved, value and currency, fte_equivalent, roi (for executives' totals); `hours`:
    the period's adoption.hours_table, when already read."""
    hours = adoption.hours_table(con, start=start, end=end) if hours is None else hours
    per_account = hours.groupby("account_key", as_index=False)["hours_saved"].sum()
    accounts = query(con, "all_accounts").drop(columns=["go_live_date", "renewal_date"])
    frame = accounts.merge(per_account, on="account_key", how="left")
    frame["hours_saved"] = frame["hours_saved"].fillna(0.0)
    months = len(Period(start, end).months)
    frame["value"] = frame["hours_saved"] * frame["hourly_cost"]
    frame["fte_equivalent"] = fte_equivalent_of(frame["hours_saved"], months, hours_per_year)
    frame["roi"] = roi_of(frame["value"], months,
                          frame["annual_contract_value"].where(frame["annual_contract_value"] > 0))
    return frame.sort_values("account_id").reset_index(drop=True)


def monthly_hours(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                  account_key: int | None = None) -> pd.DataFrame:
    """Hours saved per account (every account, or one) and month of the period (portfolio trends, the business
    case's realized value)."""
    frame = query(con, "monthly_hours", start=start, end=end, account_key=account_key)
    frame["month"] = frame["month"].dt.date
    return frame
