"""Feature adoption: who uses what, how broadly, how deeply, and which valuable features are left unused."""
from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from metrics import privacy
from metrics.accounts import Account, RowsByAccount, all_accounts, get_account, resolve
from metrics.period import Period
from metrics.registry import define, metric
from metrics.store import query, sql


def _params(account: Account | None, start: date, end: date) -> dict[str, object]:
    return {"account_key": account.key if account else None, "start": start, "end": end}


@dataclass(frozen=True)
class Usage:
    """One account's usage in [start, end), read by a few small queries on its own rollup rows (usage_*.sql), whose
    cost does not grow with the raw events. The per-account adoption metrics and hours saved are pure functions of it,
    so a report reads the rollups once."""

    active_users: int  # distinct users active in the period
    user_features: int  # distinct (user, feature) pairs in the period
    months: pd.DataFrame  # month, active_users, active_user_days, days_in_month: every month of the period
    features: pd.DataFrame  # feature_adoption's columns, most adopted first
    hours: pd.DataFrame  # hours_saved's columns, largest first


def feature_catalog(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Every feature: (feature_key, feature, has_value_driver)."""
    return con.execute(sql("feature_catalog")).fetchall()


@dataclass(frozen=True)
class FeatureUse:
    """What one statement (usage_features.sql) tells of an account's use of each feature in [start, end): the part
    of a Usage that needs no active users, enough for the value and the adopters of a period a story compares with."""

    rows: list[tuple]  # usage_features' rows: feature_key, adopters, events, units, priced, minutes, basis, hours
    names: dict[int, str]  # every feature's name by key
    listed: list[tuple[int, str, bool]]  # (key, name, has_driver) of the features a Usage lists: used, or priced

    @property
    def adopters(self) -> dict[str, int]:
        """Distinct users of each listed feature (0 for a value-model feature nobody used)."""
        by_key = {key: n for key, n, *_ in self.rows}
        return {name: int(by_key.get(key) or 0) for key, name, _ in self.listed}

    def _priced(self) -> list[tuple]:
        """hours_saved's columns for the priced features, priced by hours_saved_of, the formula hours_saved.sql
        applies to every account, largest first as it sorts."""
        return sorted(((self.names[key], float(events), float(units), minutes, basis, hours_saved)
                       for key, _, events, units, priced, minutes, basis, hours_saved in self.rows if priced),
                      key=lambda row: (-row[5], row[0]))

    @property
    def hours(self) -> pd.DataFrame:
        """hours_saved's frame: feature, events, units, minutes_saved, basis, hours_saved; largest first."""
        return pd.DataFrame(self._priced(),
                            columns=["feature", "events", "units", "minutes_saved", "basis", "hours_saved"])

    @property
    def hours_saved(self) -> float:
        """The total of `hours`, added in its order as its column's sum adds (numpy's), without building the frame."""
        return float(np.sum(np.array([row[5] for row in self._priced()], dtype=np.float64)))


@dataclass(frozen=True)
class UsageRows:
    """Every account's rows of the usage_*.sql statements in some windows [start, end), each read by one statement
    for all accounts: what a portfolio of reports reads instead of three statements per account and window
    (usage, feature_use). Rows as the one-account statements return them, without the account key."""

    features: dict[tuple[date, date, int], list[tuple]]  # (start, end, account_key) -> usage_features rows
    active_users: dict[tuple[date, date, int], int]  # an account without usage in the window has none
    months: dict[tuple[date, date, int], list[tuple]]  # -> usage_months rows: month, active_users, days
    windows: frozenset[tuple[date, date]]  # the windows read

    def covers(self, start: date, end: date) -> bool:
        return (start, end) in self.windows


def usage_rows(con: duckdb.DuckDBPyConnection, windows: list[Period]) -> UsageRows:
    """UsageRows of every account in `windows` (a portfolio's period and the months before it)."""
    features: dict[tuple[date, date, int], list[tuple]] = {}
    active: dict[tuple[date, date, int], int] = {}
    months: dict[tuple[date, date, int], list[tuple]] = {}
    for window in windows:
        params = _params(None, window.start, window.end)
        at = (window.start, window.end)
        for key, *row in con.execute(sql("usage_features"), params).fetchall():
            features.setdefault((*at, key), []).append(tuple(row))
        for key, users in con.execute(sql("usage_active_users"), params).fetchall():
            active[(*at, key)] = users
        for key, *row in con.execute(sql("usage_months"), params).fetchall():
            months.setdefault((*at, key), []).append(tuple(row))
    return UsageRows(features, active, months, frozenset((w.start, w.end) for w in windows))


def feature_use(con: duckdb.DuckDBPyConnection, account: Account, start: date, end: date,
                catalog: list[tuple] | None = None, rows: UsageRows | None = None) -> FeatureUse:
    """The account's FeatureUse in [start, end); `catalog`: feature_catalog, `rows`: usage_rows, when already read
    (a window they do not cover is read here)."""
    if rows is not None and rows.covers(start, end):
        used = rows.features.get((start, end, account.key), [])
    else:
        used = [tuple(row[1:]) for row in con.execute(sql("usage_features"), _params(account, start, end)).fetchall()]
    volume = {key for key, *_ in used}
    names, listed = {}, []
    for key, name, has_driver in feature_catalog(con) if catalog is None else catalog:
        names[key] = name
        if has_driver or key in volume:
            listed.append((key, name, has_driver))
    return FeatureUse(used, names, listed)


def usage(con: duckdb.DuckDBPyConnection, account: Account, start: date, end: date,
          catalog: list[tuple] | None = None, rows: UsageRows | None = None) -> Usage:
    """The account's usage in [start, end) (see Usage); `catalog`: feature_catalog, `rows`: usage_rows, when already
    read (a window they do not cover is read here)."""
    params = _params(account, start, end)
    use = feature_use(con, account, start, end, catalog, rows)
    adopters = {key: n for key, n, *_ in use.rows if n}
    events_of = {key: int(events) for key, _, events, *_ in use.rows}
    if rows is not None and rows.covers(start, end):
        active = int(rows.active_users.get((start, end, account.key), 0))
        in_months = rows.months.get((start, end, account.key), [])
    else:
        active = int(sum(users for _, users in con.execute(sql("usage_active_users"), params).fetchall()))
        in_months = [tuple(row[1:]) for row in con.execute(sql("usage_months"), params).fetchall()]
    by_month = {month: (users, days) for month, users, days in in_months}
    months = [(m, *by_month.get(m, (0, 0)), calendar.monthrange(m.year, m.month)[1]) for m in Period(start, end).months]
    features = []
    for key, name, has_driver in use.listed:
        n, events = adopters.get(key, 0), events_of.get(key, 0)
        features.append((name, n, n / active if active else math.nan, events, events / n if n else math.nan,
                         has_driver))
    features.sort(key=lambda row: (-row[1], row[0]))
    return Usage(active, sum(adopters.values()),
                 pd.DataFrame(months, columns=["month", "active_users", "active_user_days", "days_in_month"]),
                 pd.DataFrame(features, columns=["feature", "adopters", "adoption_rate", "events", "depth",
                                                 "has_value_driver"]),
                 use.hours)


@metric("mau", unit="users", higher_is_better=True,
        description="Monthly active users: distinct users with at least one event in the month.",
        formula="count(distinct user with >= 1 event in month m), for each month of the period")
def mau_of(use: Usage) -> pd.DataFrame:
    """mau from a Usage."""
    return use.months[["month", "active_users"]].copy()


def mau(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date,
        account: Account | None = None) -> pd.DataFrame:
    """Every month of [start, end) with its active users (0 for a month without usage); `account`: its record, when
    the caller holds it (accounts.resolve)."""
    frame = query(con, "mau", **_params(resolve(con, account_id, account), start, end))
    frame["month"] = frame["month"].dt.date
    return frame[["month", "active_users"]].astype({"active_users": "int64"})


@metric("adoption_rate", unit="fraction", higher_is_better=True,
        description="Share of the period's active users who used the feature at least once in the period.",
        formula="distinct users of f in [start, end) / distinct active users in [start, end)")
def feature_adoption_of(use: Usage) -> pd.DataFrame:
    """feature_adoption from a Usage."""
    return use.features.copy()


def feature_adoption(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> pd.DataFrame:
    """Per feature used in the period or priced in the value model: adopters, adoption_rate, events, depth."""
    return feature_adoption_of(usage(con, get_account(con, account_id), start, end))


@metric("key_feature_adoption", unit="fraction", higher_is_better=True,
        description="Mean adoption rate over the features priced in the value model: how much of the valuable "
                    "product the account's active users actually use.",
        formula="mean over value-model features f of adoption_rate(f)")
def key_feature_adoption(features: pd.DataFrame) -> float | None:
    """From feature_adoption's result; None without active users or value drivers."""
    rates = features.loc[features["has_value_driver"], "adoption_rate"].dropna()
    return float(rates.mean()) if len(rates) else None


define("depth", unit="events per adopter", higher_is_better=True,
       description="How intensively a feature's adopters use it in the period.",
       formula="events of f in [start, end) / distinct users of f in [start, end)",
       function="metrics.adoption.feature_adoption_of")


def depth(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> dict[str, float]:
    """Depth of every adopted feature, by feature."""
    frame = feature_adoption(con, account_id=account_id, start=start, end=end).dropna(subset=["depth"])
    return dict(zip(frame["feature"], frame["depth"]))


@metric("breadth", unit="features per user", higher_is_better=True,
        description="Mean number of distinct features each active user used in the period.",
        formula="mean over the period's active users of count(distinct features used in [start, end))")
def breadth_of(use: Usage) -> float | None:
    """breadth from a Usage: the mean of each user's distinct features is the pairs over the users."""
    return pairs_per_user(use.user_features, use.active_users)


def pairs_per_user(user_features: int, active_users: int) -> float | None:
    """breadth's formula: distinct (user, feature) pairs over distinct active users; None without active users. The
    one place it is computed, for one account (breadth_of) and for every account (benchmarks.metric_table)."""
    return user_features / active_users if active_users else None


def breadth(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> float | None:
    """Mean distinct features per active user; None without active users."""
    return breadth_of(usage(con, get_account(con, account_id), start, end))


@metric("seat_utilization", unit="fraction", higher_is_better=True,
        description="How much of the licensed seats is actively used, on average over the period's months.",
        formula="mean over months of MAU / seats; None without seats")
def seat_utilization_of(account: Account, use: Usage) -> float | None:
    """seat_utilization from a Usage."""
    if not account.seats:
        return None
    return float(use.months["active_users"].astype(float).mean() / account.seats)


def seat_utilization(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> float | None:
    """Mean monthly MAU over seats; None when the account has no seat count."""
    account = get_account(con, account_id)
    return seat_utilization_of(account, usage(con, account, start, end)) if account.seats else None


@metric("stickiness", unit="fraction", higher_is_better=True,
        description="How many days a month active users come back: mean daily active users over MAU.",
        formula="mean over months with MAU > 0 of (user-active-days / days in month) / MAU")
def stickiness_of(use: Usage) -> float | None:
    """stickiness from a Usage."""
    months = use.months
    users = months["active_users"].to_numpy(dtype=float)
    active = users > 0
    if not active.any():
        return None
    days = months["active_user_days"].to_numpy(dtype=float)[active]
    return float(np.mean(days / months["days_in_month"].to_numpy(dtype=float)[active] / users[active]))


def stickiness(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date) -> float | None:
    """DAU/MAU averaged over the period's months with activity; None without activity."""
    return stickiness_of(usage(con, get_account(con, account_id), start, end))


def first_uses(con: duckdb.DuckDBPyConnection) -> RowsByAccount:
    """Every account's first use of each feature (first_use.sql), for time_to_first_use over many accounts."""
    return RowsByAccount(query(con, "first_use", account_key=None))


@metric("time_to_first_use", unit="days", higher_is_better=False,
        description="Days from go-live to the account's first use of each feature (negative: used in a pilot).",
        formula="date(first event of f) - go_live_date")
def time_to_first_use(con: duckdb.DuckDBPyConnection, *, account_id: str, account: Account | None = None,
                      every: RowsByAccount | None = None) -> pd.DataFrame:
    """Per feature ever used: first_used_at and days from go-live (NaN without a go-live date); `account`: its
    record, when the caller holds it (accounts.resolve); `every`: first_uses, when many accounts' are wanted."""
    account = resolve(con, account_id, account)
    if every is not None:
        frame = every.of(account.key)
    else:
        frame = query(con, "first_use", account_key=account.key).drop(columns="account_key")
    go_live = pd.Timestamp(account.go_live_date) if account.go_live_date else None
    frame["days_from_go_live"] = (frame["first_used_at"].dt.normalize() - go_live).dt.days if go_live else np.nan
    return frame


def hours_table(con: duckdb.DuckDBPyConnection, *, start: date, end: date) -> pd.DataFrame:
    """Every account's hours saved per value-model feature in [start, end) (hours_saved.sql): what the adoption
    grid and the portfolio's value per account (cost.portfolio_value) both read, so that a period's inputs build it
    once (report.PeriodInputs.hours)."""
    return query(con, "hours_saved", account_key=None, start=start, end=end)


def adoption_table(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                   hours: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every account with activity x every value-model feature: adopters, active users, adoption_rate, hours_saved,
    and the account's distinct (user, feature) pairs over all the features it used (`user_features`: breadth's
    numerator, pairs_per_user, so that the peer table does not count the period's pairs a second time). `hours`:
    the period's hours_table, when already read."""
    used = query(con, "adoption_matrix", account_key=None, start=start, end=end)
    hours = hours_table(con, start=start, end=end) if hours is None else hours
    active = used.groupby("account_key", as_index=False).agg(active_users=("active_users", "first"),
                                                             user_features=("adopters", "sum"))
    drivers = query(con, "value_model_features")
    grid = active.merge(drivers, how="cross")
    grid = grid.merge(used[["account_key", "feature_key", "adopters"]], on=["account_key", "feature_key"], how="left")
    grid = grid.merge(hours[["account_key", "feature", "hours_saved"]], on=["account_key", "feature"], how="left")
    grid[["adopters", "hours_saved"]] = grid[["adopters", "hours_saved"]].fillna(0)
    grid["adoption_rate"] = grid["adopters"] / grid["active_users"]
    return grid


@dataclass(frozen=True)
class PeerGrid:
    """adoption_table as arrays: the period's active accounts (rows) x value-model features (columns), so that an
    account's peer medians are a few array operations. Build it once per period with peer_grid."""

    features: list[str]
    rows: dict[int, int]  # account_key -> row
    industries: np.ndarray  # per row
    rates: np.ndarray  # adoption_rate, rows x features
    adopters: np.ndarray  # rows x features
    active_users: np.ndarray  # per row
    hours_per_adopter: np.ndarray  # per feature, over all accounts in the period; NaN without adopters


def peer_grid(grid: pd.DataFrame, accounts: list[Account]) -> PeerGrid:
    """PeerGrid from adoption_table's result and every account (for industries)."""
    rates = grid.pivot(index="account_key", columns="feature", values="adoption_rate")
    adopters = grid.pivot(index="account_key", columns="feature", values="adopters").reindex_like(rates)
    totals = grid.groupby("feature")[["hours_saved", "adopters"]].sum().reindex(rates.columns)
    per_adopter = (totals["hours_saved"] / totals["adopters"]).where(totals["adopters"] > 0)
    industry = {a.key: a.industry for a in accounts}
    active = grid.groupby("account_key")["active_users"].first().reindex(rates.index)
    return PeerGrid(list(rates.columns), {int(k): i for i, k in enumerate(rates.index)},
                    np.array([industry.get(k) for k in rates.index], dtype=object), rates.to_numpy(dtype=float),
                    adopters.to_numpy(dtype=float), active.to_numpy(dtype=float), per_adopter.to_numpy(dtype=float))


def _peers_of(account: Account, peers: PeerGrid) -> tuple[str, np.ndarray]:
    """The peer group's name and row mask: other active accounts of the account's industry when there are at least
    privacy.MIN_OTHERS, else all other active accounts (the policy may still withhold their figures)."""
    others = np.ones(len(peers.industries), dtype=bool)
    if account.key in peers.rows:
        others[peers.rows[account.key]] = False
    same = others & (peers.industries == account.industry) if account.industry else np.zeros_like(others)
    return ("industry", same) if privacy.may_show(int(same.sum())) else ("all", others)


def peer_adoption(con: duckdb.DuckDBPyConnection, account: Account, grid: pd.DataFrame | PeerGrid,
                  accounts: list[Account] | None = None) -> pd.DataFrame:
    """Per value-model feature: the median adoption rate of the account's peers (the other accounts active in the
    period: its industry's when there are at least 5, else all), the group used, its size and whether the median
    was rounded, as metrics.privacy lets it through (NaN medians when withheld). Aggregates only."""
    peers = grid if isinstance(grid, PeerGrid) else peer_grid(grid, all_accounts(con) if accounts is None else accounts)
    group, mask = _peers_of(account, peers)
    if not mask.any():
        return pd.DataFrame(columns=["feature", "peer_median", "peer_group", "peers", "peer_rounded"])
    medians, was_rounded = privacy.medians(peers.rates[mask])
    return pd.DataFrame({"feature": peers.features,
                         "peer_median": medians if medians is not None else np.full(len(peers.features), np.nan),
                         "peer_group": group, "peers": int(mask.sum()), "peer_rounded": was_rounded})


@metric("underused_features", unit="hours", higher_is_better=False,
        description="Value-model features this account adopts less than its peers do, ranked by the hours its "
                    "non-adopting active users leave on the table.",
        formula="features with adoption_rate < median adoption_rate of other accounts in the same industry "
                f"(>= {privacy.MIN_OTHERS} such accounts, else all other accounts; the median as metrics.privacy "
                f"publishes it: withheld under {privacy.MIN_OTHERS}, rounded to {privacy.ROUND_FRACTION_TO:g} under "
                f"{privacy.MIN_OTHERS_FOR_QUARTILES}); hours_left = (active users - adopters) x "
                f"(hours saved by f / adopters of f, over all accounts in the period; withheld when fewer than "
                f"{privacy.MIN_OTHERS} "
                "other accounts adopt f)")
def underused_of(account: Account, peers: PeerGrid) -> pd.DataFrame:
    """underused_features from the period's PeerGrid; empty when the policy withholds the peer medians."""
    columns = ["feature", "adoption_rate", "peer_median", "peer_group", "peers", "non_adopters",
               "hours_per_adopter", "hours_left", "value_left"]
    row = peers.rows.get(account.key)
    group, mask = _peers_of(account, peers)
    median = privacy.medians(peers.rates[mask])[0] if row is not None else None
    if median is None:
        return pd.DataFrame(columns=columns)
    rate = peers.rates[row]
    # hours per adopter pools every account adopting the feature: shown only when enough others adopt it
    other_adopters = (peers.adopters[mask] > 0).sum(axis=0)
    hourly = account.hourly_cost
    rows = []
    for i in np.flatnonzero(rate < median):
        non_adopters = int(peers.active_users[row] - peers.adopters[row, i])
        per_adopter = float(peers.hours_per_adopter[i]) if privacy.may_show(int(other_adopters[i])) else math.nan
        hours_left = non_adopters * per_adopter
        rows.append((peers.features[i], float(rate[i]), float(median[i]), group, int(mask.sum()), non_adopters,
                     per_adopter, hours_left, hours_left * hourly if hourly is not None else math.nan))
    rows.sort(key=lambda r: (-r[7] if not math.isnan(r[7]) else math.inf, r[0]))  # NaN last, as sort_values
    return pd.DataFrame(rows, columns=columns)


def underused_features(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date,
                       peers: PeerGrid | None = None) -> pd.DataFrame:
    """Underused features with peer median, peer group, non-adopters, hours and value left; biggest first.
    `peers`: the period's peer_grid, when already built."""
    if peers is None:
        peers = peer_grid(adoption_table(con, start=start, end=end), all_accounts(con))
    return underused_of(get_account(con, account_id), peers)


def key_adoption_by_account(con: duckdb.DuckDBPyConnection, *, start: date, end: date,
                            grid: pd.DataFrame | None = None, hours: pd.DataFrame | None = None) -> pd.DataFrame:
    """key_feature_adoption for every account active in the period: account_key, key_feature_adoption (`grid`: the
    period's adoption_table, `hours`: its hours_table, when already built)."""
    grid = adoption_table(con, start=start, end=end, hours=hours) if grid is None else grid
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


def adoption_vs_peers(con: duckdb.DuckDBPyConnection, *, account_id: str, start: date, end: date,
                      grid: pd.DataFrame | None = None, peers: PeerGrid | None = None,
                      account: Account | None = None) -> pd.DataFrame:
    """The account's adoption rate of each value-model feature beside its peers' median (aggregates only).
    `grid` and `peers`: the period's adoption_table and its peer_grid, when a portfolio export built them once;
    `account`: its record, when the caller holds it (accounts.resolve)."""
    account = resolve(con, account_id, account)
    if grid is None:
        grid = adoption_table(con, start=start, end=end)
    own = grid.loc[grid["account_key"] == account.key, ["feature", "adoption_rate"]]
    return own.merge(peer_adoption(con, account, grid if peers is None else peers), on="feature",
                     how="left").sort_values(
        "adoption_rate", ascending=False).reset_index(drop=True)
