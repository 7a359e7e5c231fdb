"""The value model CS operations maintain: minutes saved per feature and hourly cost per account, validated,
previewed against the portfolio before saving, versioned with who and when, and revertible."""
from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from metrics.cost import hours_from_volume
from metrics.ingest import identifier_problem, is_total
from metrics.store import DataError, query, run, write_transaction

BASES = ("use", "unit")
CATEGORIES = ("cost", "efficiency", "revenue", "risk")
DRIVER_COLUMNS = ["feature", "minutes_saved", "basis", "category", "description", "name_en", "name_zh"]


def current_model(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored value drivers (feature, minutes_saved, basis, category, description, name_en, name_zh: the
    feature's display name in each language) and hourly costs
    (account_id, account_name, currency, hourly_cost)."""
    return query(con, "list_value_drivers"), query(con, "hourly_costs")


def validate(drivers: pd.DataFrame, hourly: pd.DataFrame) -> list[str]:
    """Problems that block a save, each naming the row and column; empty when the model is valid."""
    problems = []
    for i, row in enumerate(drivers.itertuples(index=False), start=1):
        if not isinstance(row.feature, str) or not row.feature.strip():
            problems.append(f"value drivers row {i}, feature: missing")
        elif is_total(row.feature.strip()):
            problems.append(f"value drivers row {i}, feature: a total or subtotal row, not a feature")
        elif identifier_problem(row.feature.strip()):
            problems.append(f"value drivers row {i}, feature: invisible or look-alike characters "
                            f"(did you mean '{identifier_problem(row.feature.strip())}'?)")
        if not _finite(row.minutes_saved) or row.minutes_saved < 0:
            problems.append(f"value drivers row {i}, minutes_saved: must be a number >= 0")
        if row.basis not in BASES:
            problems.append(f"value drivers row {i}, basis: must be use or unit")
        if isinstance(row.category, str) and row.category and row.category not in CATEGORIES:
            problems.append(f"value drivers row {i}, category: must be one of {', '.join(CATEGORIES)}")
    duplicated = drivers["feature"].dropna().str.strip()
    for feature in sorted(set(duplicated[duplicated.duplicated()])):
        problems.append(f"value drivers, feature: '{feature}' appears more than once")
    for row in hourly.itertuples(index=False):
        if row.hourly_cost is not None and not pd.isna(row.hourly_cost) and (
                not _finite(row.hourly_cost) or row.hourly_cost < 0):
            problems.append(f"hourly costs {row.account_id}, hourly_cost: must be a number >= 0")
    return problems


def _finite(value: Any) -> bool:
    """A real, finite number (NaN, infinity and text are not)."""
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _value_by_currency(volume: pd.DataFrame, drivers: pd.DataFrame, hourly: pd.DataFrame) -> pd.DataFrame:
    priced = volume.merge(drivers[["feature", "minutes_saved", "basis"]], on="feature")
    priced["hours_saved"] = hours_from_volume(priced["basis"], priced["events"], priced["units"],
                                              priced["minutes_saved"])
    per_account = priced.groupby("account_id", as_index=False)["hours_saved"].sum()
    frame = hourly.merge(per_account, on="account_id", how="left").fillna({"hours_saved": 0.0})
    frame["value"] = frame["hours_saved"] * frame["hourly_cost"]
    frame["currency"] = frame["currency"].fillna("(none)")
    return frame.groupby("currency").agg(hours_saved=("hours_saved", "sum"),
                                         value=("value", lambda v: v.sum(min_count=1)))


def effect(con: duckdb.DuckDBPyConnection, drivers: pd.DataFrame, hourly: pd.DataFrame, *, start: date,
           end: date) -> pd.DataFrame:
    """Portfolio hours and value per currency in [start, end) under the stored model and under the proposed one."""
    volume = query(con, "feature_volume", start=start, end=end).merge(
        query(con, "account_ids"), on="account_key")
    stored_drivers, stored_hourly = current_model(con)
    before = _value_by_currency(volume, stored_drivers, stored_hourly)
    after = _value_by_currency(volume, drivers, hourly)
    frame = before.merge(after, left_index=True, right_index=True, how="outer",
                         suffixes=("_before", "_after")).reset_index()
    frame["value_change"] = frame["value_after"] - frame["value_before"]
    return frame


def versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Saved versions, newest first."""
    return query(con, "value_model_versions")


def _snapshot(con, version: int, user: str, note: str, at: datetime | None = None) -> None:
    run(con, "value_model_save.snapshot", {"v": version, "at": at or datetime.now(), "by": user, "note": note})


def save(con: duckdb.DuckDBPyConnection, drivers: pd.DataFrame, hourly: pd.DataFrame, *, user: str,
         note: str = "") -> int:
    """Replace the value model in one transaction and record it as a new version; returns the version."""
    problems = validate(drivers, hourly)
    if problems:
        raise DataError("; ".join(problems))
    with write_transaction(con.cursor()) as cur:  # new feature keys are max + 1: one writer at a time
        last = run(cur, "value_model_save.last_version").fetchall()[0][0]
        if last == 0:  # keep the imported model so the first edit can be reverted
            last = 1
            # stamped with the import that made it, not with this first save
            imported_at = run(cur, "value_model_save.imported_at").fetchall()[0][0]
            _snapshot(cur, last, "import", "value model as imported", imported_at)
        named = drivers.reindex(columns=DRIVER_COLUMNS)  # a model saved before the names: none
        for column in ("name_en", "name_zh"):  # text or nothing (an empty grid cell is NaN, never 'nan')
            named[column] = [v if isinstance(v, str) else None for v in named[column]]
        cur.register("vl_drivers", named.assign(feature=drivers["feature"].str.strip()))
        cur.register("vl_hourly", hourly[["account_id", "hourly_cost"]])
        run(cur, "value_model_save.new_features")
        run(cur, "value_model_save.replace_drivers")
        _snapshot(cur, last + 1, user, note)
    return last + 1


def revert(con: duckdb.DuckDBPyConnection, version: int, *, user: str) -> int:
    """Save the model of an earlier version again, as a new version."""
    drivers = query(con, "value_model_of_version", version=version)
    hourly = query(con, "hourly_costs_of_version", version=version)
    if hourly.empty:
        raise DataError(f"no value model version {version}")
    return save(con, drivers, hourly, user=user, note=f"reverted to version {version}")
