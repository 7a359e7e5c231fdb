"""The whole portfolio for executives: value and adoption per account, and the value at risk before renewal."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from metrics import adoption, cost
from metrics.registry import metric
from metrics.store import query

RENEWAL_WINDOW_DAYS = 180  # a renewal this many days after the period end or sooner is near
RENEWAL_OVERDUE_DAYS = 30  # ... and one up to this many days overdue still is (not yet renewed)
NEAR_WEIGHT, FAR_WEIGHT = 1.0, 0.5


@metric("value_at_risk", unit="currency", higher_is_better=False,
        description="Contract value exposed by weak adoption, weighted up when the renewal is near; accounts are "
                    "ranked by the currency-free risk score, since money in different currencies is not comparable.",
        formula=f"risk_score = (1 - key_feature_adoption) x ({NEAR_WEIGHT:g} if the renewal is between "
                f"{RENEWAL_OVERDUE_DAYS} days before and {RENEWAL_WINDOW_DAYS} days after the period end, else "
                f"{FAR_WEIGHT:g}), adoption 0 without activity; value_at_risk = annual_contract_value x risk_score, "
                "in the account's currency")
def portfolio_table(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """One row per account: attributes, hours_saved, value, fte_equivalent, roi, key_feature_adoption,
    days_to_renewal, risk_score and value_at_risk, ranked by risk_score (largest first)."""
    hours = adoption.hours_table(con, start=start, end=end)  # read once for the value and the adoption grid
    frame = cost.portfolio_value(con, start=start, end=end, hours=hours)
    frame = frame.merge(adoption.key_adoption_by_account(con, start=start, end=end, hours=hours), on="account_key",
                        how="left")
    renewal = query(con, "renewal_dates")
    frame = frame.merge(renewal, on="account_key")
    frame["days_to_renewal"] = (pd.to_datetime(frame["renewal_date"]) - pd.Timestamp(end)).dt.days
    near = frame["days_to_renewal"].between(-RENEWAL_OVERDUE_DAYS, RENEWAL_WINDOW_DAYS)
    weight = near.map({True: NEAR_WEIGHT, False: FAR_WEIGHT})
    frame["risk_score"] = (1 - frame["key_feature_adoption"].fillna(0)) * weight
    frame["value_at_risk"] = frame["annual_contract_value"] * frame["risk_score"]
    return frame.sort_values(["risk_score", "account_id"], ascending=[False, True]).reset_index(drop=True)


def filter_accounts(table: pd.DataFrame, **selected: list[str]) -> pd.DataFrame:
    """Rows of a per-account table whose industry/region/segment is among the selected values (all when empty)."""
    for column, values in selected.items():
        if values:
            table = table[table[column].isin(values)]
    return table


@metric("portfolio_totals", unit="hours; currency", higher_is_better=True,
        description="Hours and value delivered summed over the accounts an executive selects (industry, region, "
                    "segment filters); money is summed per currency, never across currencies.",
        formula="sum of hours_saved and of value over the selected accounts, per currency; the mean "
                "key_feature_adoption")
def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Totals of a per-account table, one row per currency: accounts, hours_saved, value, fte_equivalent and the
    mean key_feature_adoption. Money is never added across currencies."""
    frame = table.assign(currency=table["currency"].fillna("(none)"))
    return frame.groupby("currency", as_index=False).agg(
        accounts=("account_key", "count"), hours_saved=("hours_saved", "sum"),
        value=("value", lambda v: v.sum(min_count=1)), fte_equivalent=("fte_equivalent", "sum"),
        key_feature_adoption=("key_feature_adoption", "mean"))


def hours_trend(con: duckdb.DuckDBPyConnection, *, start: date, end: date, account_keys: list[int]) -> pd.DataFrame:
    """Hours saved per month over the given accounts."""
    frame = cost.monthly_hours(con, start=start, end=end)
    frame = frame[frame["account_key"].isin(account_keys)]
    return frame.groupby("month", as_index=False)["hours_saved"].sum()


DELIVERED_BANDS = (0.0, 0.25, 0.5, 0.75, 1.0)


def delivered_bands(shares: pd.Series) -> pd.DataFrame:
    """How many accounts fall in each band of value delivered (low, high, accounts): [0, 25 %), [25 %, 50 %),
    [50 %, 75 %), [75 %, 100 %]; accounts without a figure are left out."""
    values = shares.dropna().astype(float)
    rows = []
    for lo, hi in zip(DELIVERED_BANDS, DELIVERED_BANDS[1:]):
        inside = (values >= lo) & ((values < hi) if hi < 1 else (values <= hi))
        rows.append({"low": lo, "high": hi, "accounts": int(inside.sum())})
    return pd.DataFrame(rows)
