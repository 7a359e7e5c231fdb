"""The whole portfolio for executives: value and adoption per account, and the value at risk before renewal."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from metrics import adoption, cost
from metrics.registry import metric

RENEWAL_WINDOW_DAYS = 180


@metric("value_at_risk", unit="currency", higher_is_better=False,
        description="Contract value exposed by weak adoption, weighted up when the renewal is near.",
        formula=f"annual_contract_value x (1 - key_feature_adoption) x (1 if the renewal is within "
                f"{RENEWAL_WINDOW_DAYS} days of the period end, else 0.5); accounts without activity count as "
                "adoption 0")
def portfolio_table(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """One row per account: attributes, hours_saved, value, fte_equivalent, roi, key_feature_adoption,
    days_to_renewal and value_at_risk, ranked by value_at_risk (largest first)."""
    frame = cost.portfolio_value(con, start=start, end=end)
    frame = frame.merge(adoption.key_adoption_by_account(con, start=start, end=end), on="account_key", how="left")
    renewal = con.execute("SELECT account_key, renewal_date FROM account").df()
    frame = frame.merge(renewal, on="account_key")
    frame["days_to_renewal"] = (pd.to_datetime(frame["renewal_date"]) - pd.Timestamp(end)).dt.days
    near = frame["days_to_renewal"].between(-30, RENEWAL_WINDOW_DAYS)
    weight = near.map({True: 1.0, False: 0.5})
    frame["value_at_risk"] = frame["annual_contract_value"] * (1 - frame["key_feature_adoption"].fillna(0)) * weight
    return frame.sort_values(["value_at_risk", "account_id"], ascending=[False, True]).reset_index(drop=True)
