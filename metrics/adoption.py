"""Feature adoption: who uses what, how broadly, how deeply, and which valuable features are left unused."""
from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from metrics.accounts import Account, all_accounts, get_account
from metrics.registry import metric
from metrics.store import query

MIN_INDUSTRY_PEERS = 5


def _params(account: Account | None, start: date, end: date) -> dict[str, object]:
    return {"account_key": account.key if account else None, "start": start, "end": end}


@metric("mau", unit="users", higher_is_better=True,
        description="Monthly active users: distinct users with at least one event in the month.",
        formula="count(distinct user with >= 1 event in month m), for each month of the period")
def mau(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> pd.DataFrame:
    """Every month of [start, end) with its active users (0 for a month without usage)."""
    frame = query(con, "mau", **_params(get_account(con, account_id), start, end))
    frame["month"] = frame["month"].dt.date
    return frame[["month", "active_users"]].astype({"active_users": "int64"})


@metric("adoption_rate", unit="fraction", higher_is_better=True,
        description="Share of the period's active users who used the feature at least once in the period.",
        formula="distinct users of f in [start, end) / distinct active users in [start, end)")
def feature_adoption(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> pd.DataFrame:
    """Per feature used in the period or priced in the value model: adopters, adoption_rate, events, depth."""
    account = get_account(con, account_id)
    used = query(con, "adoption_matrix", **_params(account, start, end))
    active = int(used["active_users"].iloc[0]) if len(used) else 0
    features = con.execute(
        """SELECT f.feature_key, f.feature, d.feature_key IS NOT NULL AS has_value_driver
           FROM feature AS f LEFT JOIN value_drivers AS d USING (feature_key)""").df()
    frame = features.merge(used[["feature_key", "adopters", "events"]], on="feature_key", how="left")
    frame = frame[frame["has_value_driver"] | frame["adopters"].notna()].copy()
    frame["adopters"] = frame["adopters"].fillna(0).astype("int64")
    frame["events"] = frame["events"].fillna(0).astype("int64")
    frame["adoption_rate"] = frame["adopters"] / active if active else np.nan
    frame["depth"] = (frame["events"] / frame["adopters"]).where(frame["adopters"] > 0)
    frame = frame.sort_values(["adopters", "feature"], ascending=[False, True])
    return frame[["feature", "adopters", "adoption_rate", "events", "depth", "has_value_driver"]].reset_index(drop=True)


@metric("key_feature_adoption", unit="fraction", higher_is_better=True,
        description="Mean adoption rate over the features priced in the value model: how much of the valuable "
                    "product the account's active users actually use.",
        formula="mean over value-model features f of adoption_rate(f)")
def key_feature_adoption(features: pd.DataFrame) -> float | None:
    """From feature_adoption's result; None without active users or value drivers."""
    rates = features.loc[features["has_value_driver"], "adoption_rate"].dropna()
    return float(rates.mean()) if len(rates) else None


@metric("depth", unit="events per adopter", higher_is_better=True,
        description="How intensively a feature's adopters use it in the period.",
        formula="events of f in [start, end) / distinct users of f in [start, end)")
def depth(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> dict[str, float]:
    """Depth of every adopted feature, by feature."""
    frame = feature_adoption(con, account_id=account_id, start=start, end=end).dropna(subset=["depth"])
    return dict(zip(frame["feature"], frame["depth"]))


@metric("breadth", unit="features per user", higher_is_better=True,
        description="Mean number of distinct features each active user used in the period.",
        formula="mean over the period's active users of count(distinct features used in [start, end))")
def breadth(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> float | None:
    """Mean distinct features per active user; None without active users."""
    frame = query(con, "breadth", **_params(get_account(con, account_id), start, end))
    return float(frame["breadth"].iloc[0]) if len(frame) else None


@metric("seat_utilization", unit="fraction", higher_is_better=True,
        description="How much of the licensed seats is actively used, on average over the period's months.",
        formula="mean over months of MAU / seats; None without seats")
def seat_utilization(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> float | None:
    """Mean monthly MAU over seats; None when the account has no seat count."""
    account = get_account(con, account_id)
    if not account.seats:
        return None
    return float(mau(con, account_id=account_id, start=start, end=end)["active_users"].mean() / account.seats)


@metric("stickiness", unit="fraction", higher_is_better=True,
        description="How many days a month active users come back: mean daily active users over MAU.",
        formula="mean over months with MAU > 0 of (user-active-days / days in month) / MAU")
def stickiness(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> float | None:
    """DAU/MAU averaged over the period's months with activity; None without activity."""
    frame = query(con, "mau", **_params(get_account(con, account_id), start, end))
    frame = frame[frame["active_users"] > 0]
    if frame.empty:
        return None
    ratio = frame["active_user_days"] / frame["days_in_month"] / frame["active_users"]
    return float(ratio.mean())


@metric("time_to_first_use", unit="days", higher_is_better=False,
        description="Days from go-live to the account's first use of each feature (negative: used in a pilot).",
        formula="date(first event of f) - go_live_date")
def time_to_first_use(con: duckdb.DuckDBPyConnection, *, account_id: str) -> pd.DataFrame:
    """Per feature ever used: first_used_at and days from go-live (NaN without a go-live date)."""
    account = get_account(con, account_id)
    frame = query(con, "first_use", account_key=account.key)
    go_live = pd.Timestamp(account.go_live_date) if account.go_live_date else None
    frame["days_from_go_live"] = (frame["first_used_at"].dt.normalize() - go_live).dt.days if go_live else np.nan
    return frame


def adoption_table(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """Every account with activity x every value-model feature: adopters, active users, adoption_rate, hours_saved."""
    used = query(con, "adoption_matrix", account_key=None, start=start, end=end)
    hours = query(con, "hours_saved", account_key=None, start=start, end=end)
    active = used.groupby("account_key", as_index=False)["active_users"].first()
    drivers = con.execute("SELECT feature_key, feature FROM value_drivers JOIN feature USING (feature_key)").df()
    grid = active.merge(drivers, how="cross")
    grid = grid.merge(used[["account_key", "feature_key", "adopters"]], on=["account_key", "feature_key"], how="left")
    grid = grid.merge(hours[["account_key", "feature", "hours_saved"]], on=["account_key", "feature"], how="left")
    grid[["adopters", "hours_saved"]] = grid[["adopters", "hours_saved"]].fillna(0)
    grid["adoption_rate"] = grid["adopters"] / grid["active_users"]
    return grid


def peer_adoption(con: duckdb.DuckDBPyConnection, account: Account, grid: pd.DataFrame,
                  accounts: list[Account] | None = None) -> pd.DataFrame:
    """Per value-model feature: the median adoption rate of the account's peers (the other accounts active in the
    period: its industry's when there are at least 5, else all), the group used and its size. Aggregates only."""
    others = grid[grid["account_key"] != account.key]
    industry = {a.key: a.industry for a in (all_accounts(con) if accounts is None else accounts)}
    same = others[others["account_key"].map(industry) == account.industry] if account.industry else others.iloc[:0]
    group, peers = ("industry", same) if same["account_key"].nunique() >= MIN_INDUSTRY_PEERS else ("all", others)
    if peers.empty:
        return pd.DataFrame(columns=["feature", "peer_median", "peer_group", "peers"])
    frame = peers.groupby("feature", as_index=False)["adoption_rate"].median().rename(
        columns={"adoption_rate": "peer_median"})
    frame["peer_group"] = group
    frame["peers"] = peers["account_key"].nunique()
    return frame


@metric("underused_features", unit="hours", higher_is_better=False,
        description="Value-model features this account adopts less than its peers do, ranked by the hours its "
                    "non-adopting active users leave on the table.",
        formula="features with adoption_rate < median adoption_rate of other accounts in the same industry "
                "(>= 5 such accounts, else all other accounts); hours_left = (active users - adopters) x "
                "(hours saved by f / adopters of f, over all accounts in the period)")
def underused_features(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date,
                       grid: pd.DataFrame | None = None, accounts: list[Account] | None = None) -> pd.DataFrame:
    """Underused features with peer median, peer group, non-adopters, hours and value left; biggest first."""
    account = get_account(con, account_id)
    grid = adoption_table(con, start=start, end=end) if grid is None else grid
    columns = ["feature", "adoption_rate", "peer_median", "peer_group", "peers", "non_adopters",
               "hours_per_adopter", "hours_left", "value_left"]
    own = grid[grid["account_key"] == account.key]
    peers = peer_adoption(con, account, grid, accounts)
    if own.empty or peers.empty:
        return pd.DataFrame(columns=columns)
    totals = grid.groupby("feature")[["hours_saved", "adopters"]].sum()
    per_adopter = (totals["hours_saved"] / totals["adopters"]).where(totals["adopters"] > 0)
    frame = own.set_index("feature")[["adoption_rate", "adopters", "active_users"]].join(peers.set_index("feature"))
    frame = frame[frame["adoption_rate"] < frame["peer_median"]].copy()
    frame["non_adopters"] = (frame["active_users"] - frame["adopters"]).astype("int64")
    frame["hours_per_adopter"] = per_adopter.reindex(frame.index)
    frame["hours_left"] = frame["non_adopters"] * frame["hours_per_adopter"]
    frame["value_left"] = frame["hours_left"] * account.hourly_cost if account.hourly_cost is not None else np.nan
    frame = frame.reset_index().sort_values(["hours_left", "feature"], ascending=[False, True])
    return frame[columns].reset_index(drop=True)


def key_adoption_by_account(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                            grid: pd.DataFrame | None = None) -> pd.DataFrame:
    """key_feature_adoption for every account active in the period: account_key, key_feature_adoption."""
    grid = adoption_table(con, start=start, end=end) if grid is None else grid
    return grid.groupby("account_key", as_index=False)["adoption_rate"].mean().rename(
        columns={"adoption_rate": "key_feature_adoption"})


def industry_heatmap(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                     grid: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean adoption rate of each value-model feature (rows) in each industry (columns)."""
    grid = adoption_table(con, start=start, end=end) if grid is None else grid
    industry = {a.key: a.industry or "(none)" for a in all_accounts(con)}
    grid = grid.assign(industry=grid["account_key"].map(industry))
    return grid.pivot_table(index="feature", columns="industry", values="adoption_rate", aggfunc="mean")


def feature_trend(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """Per feature and month, across the portfolio: users, active users and adoption_rate."""
    frame = query(con, "feature_trend", start=start, end=end)
    frame["month"] = frame["month"].dt.date
    return frame


def cohort_curves(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Seat utilization by months since go-live, one curve per go-live quarter."""
    return query(con, "cohort_curves")


def breadth_distribution(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """Number of active users by count of distinct features used in the period."""
    return query(con, "breadth_distribution", start=start, end=end)


def adoption_vs_peers(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> pd.DataFrame:
    """The account's adoption rate of each value-model feature beside its peers' median (aggregates only)."""
    account = get_account(con, account_id)
    grid = adoption_table(con, start=start, end=end)
    own = grid.loc[grid["account_key"] == account.key, ["feature", "adoption_rate"]]
    return own.merge(peer_adoption(con, account, grid), on="feature", how="left").sort_values(
        "adoption_rate", ascending=False).reset_index(drop=True)
