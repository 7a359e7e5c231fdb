"""Where each account stands on the value path, month by month: onboarding, activated, habitual, loyal, at risk or
churned.

The stage of a month is computed from the account's rollups with the thresholds below (the one place they live;
METRICS.md documents them through the registry):
- onboarding: no go-live date, a month before the go-live month, or fewer than ACTIVATION_SHARE of the seats
  active (without a seat count: fewer than ACTIVATION_USERS active users);
- activated: at least that share of the seats active in the month;
- habitual: activated, with stickiness (DAU / MAU) of at least HABIT_STICKINESS and monthly key-feature adoption of
  at least HABIT_ADOPTION, in this month and the HABIT_MONTHS - 1 before it;
- at risk: the month's own level is below the highest level the account has reached since go-live, or the mean
  active users of the month and the 2 before are DECLINE or more below those of the 3 months before. An account
  that has been habitual stays habitual in a month that meets the habit thresholds, and through HABIT_GRACE month
  that does not: one quiet month is not a fall;
- loyal: habitual, and the account's latest renewal on or before the month (the `renewals` kind) was renewed or
  expanded; a later contracted renewal ends it (and the month is then at risk, below the level reached);
- churned: from the first month starting on or after a churned renewal's date, whatever the usage (until a later
  renewal that is not churned).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from metrics.accounts import Account, RowsByAccount, all_accounts
from metrics.period import Period, add_months
from metrics.registry import metric
from metrics.store import query, sql

ACTIVATION_SHARE = 0.25   # of the seats active in a month: activated
ACTIVATION_USERS = 5      # active users in a month, for an account without a seat count
HABIT_STICKINESS = 0.14   # DAU / MAU in a month ...
HABIT_ADOPTION = 0.35     # ... and the month's key-feature adoption ...
HABIT_MONTHS = 3          # ... for this many months in a row: habitual
HABIT_GRACE = 1           # a habitual account stays habitual through this many months below the habit thresholds
DECLINE = 0.15            # active users of the last 3 months this much below the 3 before: at risk (also the QBR
                          # story's declining case, metrics.story)
LEVELS = {"onboarding": 0, "activated": 1, "habitual": 2, "loyal": 3}
STAGES = ("onboarding", "activated", "habitual", "loyal", "at_risk", "churned")
LOYAL_OUTCOMES = ("renewed", "expanded")


@dataclass(frozen=True)
class Stage:
    """An account's stage at the end of a period: the stage, the first month of its current run, how many months
    that run has lasted, the days from go-live to the first activated month, and the month-by-month stages."""

    stage: str
    since: date
    months_in_stage: int
    days_to_activation: int | None
    months: tuple[tuple[date, str], ...]
    active_users: tuple[int, ...] = ()  # of each of those months

    @property
    def months_by_stage(self) -> dict[str, int]:
        """How many of its months (lifecycle's window: the 24 months to the period's end) the account spent in each
        stage it has been in, in STAGES order."""
        counts = {s: sum(1 for _, stage in self.months if stage == s) for s in STAGES}
        return {s: n for s, n in counts.items() if n}


def _level(account: Account, month: date, users: int, user_days: float, days: int, adoption: float | None,
           habit_run: int) -> tuple[int, int]:
    """The month's own level (0-2) and the run of months meeting the habit thresholds, this month included."""
    live = account.go_live_date
    if live is None or month < date(live.year, live.month, 1):
        return 0, 0
    active = users / account.seats >= ACTIVATION_SHARE if account.seats else users >= ACTIVATION_USERS
    if not active:
        return 0, 0
    sticky = users > 0 and user_days / days / users >= HABIT_STICKINESS
    habit = sticky and adoption is not None and adoption >= HABIT_ADOPTION
    run = habit_run + 1 if habit else 0
    return (2 if run >= HABIT_MONTHS else 1), run


def _renewal_on(renewals: Sequence[tuple[date, str]], month: date) -> str | None:
    """The outcome of the latest renewal before the end of `month`."""
    after = add_months(month, 1)
    return next((outcome for day, outcome in reversed(renewals) if day < after), None)


def stages_of(account: Account, months: pd.DataFrame, first: date, end: date,
              renewals: Sequence[tuple[date, str]] = ()) -> list[tuple[date, str]]:
    """The stage of every month in [first, end), from `months` (lifecycle_months rows of this account; a month
    without a row had no usage) and `renewals` ((date, outcome) of this account, by date)."""
    rows = {r.month: r for r in months.itertuples(index=False)}
    out, best, run, misses, month, users = [], 0, 0, 0, first, []
    while month < end:
        churn = next((outcome == "churned" for day, outcome in reversed(renewals) if day <= month), False)
        if churn:
            users.append(0)
            out.append((month, "churned"))
            best, run, misses, month = 0, 0, 0, add_months(month, 1)
            continue
        r = rows.get(month)
        users.append(0 if r is None else int(r.active_users))
        if r is None:
            level, run = _level(account, month, 0, 0, 30, None, run)
        else:
            adoption = None if pd.isna(r.key_feature_adoption) else float(r.key_feature_adoption)
            level, run = _level(account, month, int(r.active_users), float(r.active_user_days),
                                int(r.days_in_month), adoption, run)
        if best >= 2 and level == 1:  # habitual (or loyal) before and still active
            misses = 0 if run > 0 else misses + 1  # a month meeting the habit thresholds keeps it habitual
            if misses <= HABIT_GRACE:
                level = 2
        else:
            misses = 0
        if level == 2 and _renewal_on(renewals, month) in LOYAL_OUTCOMES:
            level = 3
        best = max(best, level)
        before, recent = sum(users[-6:-3]), sum(users[-3:])
        falling = len(users) >= 6 and before > 0 and recent <= before * (1 - DECLINE)
        out.append((month, "at_risk" if level < best or (level > 0 and falling)
                    else next(k for k, v in LEVELS.items() if v == level)))
        month = add_months(month, 1)
    return out


def renewals(con: duckdb.DuckDBPyConnection, account_key: int | None = None) -> dict[int, list[tuple[date, str]]]:
    """Each account's renewals as (date, outcome), by date (one account, or every account)."""
    out: dict[int, list[tuple[date, str]]] = {}
    # rows, not a DataFrame: the account report reads this on every call, and a frame costs more than the query
    for key, day, outcome, _, _ in con.execute(sql("renewals_of"), {"account_key": account_key}).fetchall():
        out.setdefault(int(key), []).append((day, str(outcome)))
    return out


def monthly(con: duckdb.DuckDBPyConnection, first: date, end: date, account_key: int | None = None) -> pd.DataFrame:
    """lifecycle_months rows (one account, or every account) from `first` to `end`, months as dates."""
    frame = query(con, "lifecycle_months", start=first, end=end, account_key=account_key)
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame


def stage_of(account: Account, stages: list[tuple[date, str]], users: tuple[int, ...] = ()) -> Stage | None:
    """The Stage at the end of `stages` (stages_of's result; `users`: each month's active users); None without
    months."""
    if not stages:
        return None
    current = stages[-1][1]
    run = 0
    for _, stage in reversed(stages):
        if stage != current:
            break
        run += 1
    activated = next((m for m, s in stages if s in ("activated", "habitual", "loyal")), None)
    live = account.go_live_date
    days = (activated - live).days if activated is not None and live is not None else None
    return Stage(current, stages[-run][0], run, max(days, 0) if days is not None else None, tuple(stages), users)


STAGE_MONTHS = 24  # the months to a period's end that an account's stage is followed over


@dataclass(frozen=True)
class MonthsIndex:
    """lifecycle_months rows from `first` to `end` and renewals (of every account, or of one), found per account by
    a slice: a period's account reports share one, read once with the period's inputs, instead of two statements
    each (metrics.report.period_inputs)."""

    first: date
    end: date
    rows: RowsByAccount  # lifecycle_months' rows by account_key
    renewed: dict[int, list[tuple[date, str]]]  # renewals()
    account_key: int | None = None  # the one account it holds; None: every account

    def holds(self, account_key: int, first: date, end: date) -> bool:
        """Whether it holds this account's months from `first` to `end` (an account it does not hold would look
        as if it had no usage)."""
        return (self.first, self.end) == (first, end) and self.covers(account_key, first, end)

    def covers(self, account_key: int, start: date, end: date) -> bool:
        """Whether it holds this account's months of [start, end), inside its own."""
        return self.first <= start and end <= self.end and self.account_key in (None, account_key)

    def months(self, account_key: int) -> pd.DataFrame:
        """The account's lifecycle_months rows (none when it had no usage)."""
        return self.rows.of(account_key)

    def active_users(self, account_key: int, start: date, end: date) -> pd.DataFrame | None:
        """adoption.mau's frame (every month of [start, end) with its active users, 0 without usage) from these
        rows, which hold every month with usage: None when it does not cover them (covers)."""
        if not self.covers(account_key, start, end):
            return None
        rows = self.months(account_key)
        by_month = dict(zip(rows["month"], rows["active_users"]))
        months = Period(start, end).months
        return pd.DataFrame({"month": months, "active_users": [int(by_month.get(m, 0)) for m in months]},
                            columns=["month", "active_users"]).astype({"active_users": "int64"})

    def renewals(self, account_key: int) -> list[tuple[date, str]]:
        """The account's renewals as (date, outcome), by date."""
        return self.renewed.get(account_key, [])


def period_index(con: duckdb.DuckDBPyConnection, period: Period) -> MonthsIndex:
    """Every account's MonthsIndex of the STAGE_MONTHS to the period's end, as lifecycle() reads them by default."""
    return months_index(con, add_months(period.end, -STAGE_MONTHS), period.end)


def months_index(con: duckdb.DuckDBPyConnection, first: date, end: date,
                 account_key: int | None = None) -> MonthsIndex:
    """The MonthsIndex of [first, end): every account's, or one account's (`account_key`)."""
    rows = RowsByAccount(monthly(con, first, end, account_key))  # ordered by account and month
    return MonthsIndex(first, end, rows, renewals(con, account_key), account_key)


@metric("lifecycle_stage", unit="stage", higher_is_better=None,
        description="Where the account stands on the value path at the end of the period: onboarding (not live, "
                    "or too few seats active), activated, habitual (sticky and adopting the valuable features for "
                    "months in a row), loyal (habitual and renewed or expanded), at risk (fallen from a stage it had "
                    "reached), or churned.",
        formula=f"per month: onboarding before go-live or when active users / seats < {ACTIVATION_SHARE:g} "
                f"(without seats: < {ACTIVATION_USERS} active users); activated from that share; habitual when "
                f"DAU/MAU >= {HABIT_STICKINESS:g} and the month's key-feature adoption >= {HABIT_ADOPTION:g} for "
                f"{HABIT_MONTHS} months in a row; loyal when habitual and the latest renewal was renewed or "
                "expanded; churned from a churned renewal's date on; at risk when the month's level is below the "
                "highest reached, or the "
                f"active users of the last 3 months are {DECLINE:.0%} or more below the 3 before; "
                "since = first month of the current run, days to activation = first activated month - go-live")
def lifecycle(con: duckdb.DuckDBPyConnection, *, account: Account, period: Period,
              first: date | None = None, index: MonthsIndex | None = None) -> Stage | None:
    """The account's Stage at the end of `period`, from `first` (default: STAGE_MONTHS before the period's end);
    `index`: months_index of the same months, when a period's reports share it (metrics.report.period_inputs)."""
    start = first or add_months(period.end, -STAGE_MONTHS)
    if index is None or not index.holds(account.key, start, period.end):
        index = months_index(con, start, period.end, account.key)
    frame, renewed = index.months(account.key), index.renewals(account.key)
    stages = stages_of(account, frame, start, period.end, renewed)
    by_month = dict(zip(frame["month"], frame["active_users"]))
    return stage_of(account, stages, tuple(int(by_month.get(m, 0)) for m, _ in stages))


def lifecycle_table(con: duckdb.DuckDBPyConnection, *, period: Period, first: date | None = None,
                    accounts: Iterable[Account] | None = None) -> pd.DataFrame:
    """Every account's stage per month from `first` to the period's end (account_id, month, stage), one query."""
    start = first or add_months(period.end, -STAGE_MONTHS)
    chosen = list(accounts) if accounts is not None else all_accounts(con)
    # one account (an export's attention flags): its months alone
    index = months_index(con, start, period.end, chosen[0].key if len(chosen) == 1 else None)
    rows = []
    for account in chosen:
        rows += [(account.account_id, m, s)
                 for m, s in stages_of(account, index.months(account.key), start, period.end,
                                       index.renewals(account.key))]
    return pd.DataFrame(rows, columns=["account_id", "month", "stage"])


def transitions(table: pd.DataFrame) -> pd.DataFrame:
    """From lifecycle_table: per quarter, how many accounts moved from one stage to another (quarter, from, to,
    accounts), a quarter's stage being its last month's."""
    frame = table.copy()
    frame["quarter"] = [f"{m.year}-Q{(m.month - 1) // 3 + 1}" for m in frame["month"]]
    last = frame.sort_values("month").groupby(["account_id", "quarter"], as_index=False).last()
    last = last.sort_values(["account_id", "quarter"])
    last["from"] = last.groupby("account_id")["stage"].shift()
    moved = last[last["from"].notna() & (last["from"] != last["stage"])]
    out = moved.groupby(["quarter", "from", "stage"]).size().reset_index(name="accounts")
    return out.rename(columns={"stage": "to"})
