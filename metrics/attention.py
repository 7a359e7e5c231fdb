"""Accounts that need a CSM now, each with the rule that picked it and the figures behind it.

Rules, on the period's figures and, for renewals and go-live, counted from today (the CSM calls today; a period's
end can be weeks ago):
- `fell_stage`: the account's lifecycle stage is at risk (it fell from a stage it had reached, or its active users
  fell; metrics.lifecycle);
- `adoption_falling`: its monthly key-feature adoption fell in each of the last ADOPTION_MONTHS months, by
  ADOPTION_DROP or more in all;
- `renewal_unhealthy`: it renews within RENEWAL_DAYS days of today and its health score is under HEALTHY, or cannot
  be computed;
- `renewal_undelivered`: it renews as near, with objectives of which less than DELIVERED is delivered;
- `renewal_negative_return`: it renews as near and its annualised return on the contract in the period is below zero;
- `renewal_passed`: its renewal date has passed and no renewal was recorded on or after RENEWAL_DAYS days before it
  (the `renewals` kind);
- `never_live`: it has no go-live date (or one still to come) NEVER_LIVE_MONTHS or more after its first month of
  usage, with how many of its seats were active in the period's last month;
- `delivered_falling`: its value delivered (metrics.objectives) fell by DELIVERED_DROP or more against the period of
  the same length before.
An account that has churned (its stage at the period's end) is no longer on the list.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import duckdb
import pandas as pd

from metrics import lifecycle, report
from metrics.accounts import Account, all_accounts
from metrics.period import Period, add_months
from metrics.store import sql

ADOPTION_MONTHS = 2   # key-feature adoption lower than the month before, this many months in a row ...
ADOPTION_DROP = 0.05  # ... and this much lower in all (5 points of adoption)
RENEWAL_DAYS = 90     # a renewal this close ...
HEALTHY = 50.0        # ... with a health score under this
DELIVERED = 0.5       # ... or with less than this share of what was promised delivered (metrics.objectives)
DELIVERED_DROP = 0.05  # value delivered this much lower than in the period before (5 points)
NEVER_LIVE_MONTHS = 6  # not live this many months after the first month of usage


@dataclass(frozen=True)
class Flag:
    """One reason an account needs attention: the rule and its figures (`values`, by name)."""

    rule: str
    values: dict[str, object]


@dataclass(frozen=True)
class Renewal:
    """An account's renewal as seen today: `days` from today to its renewal date (negative once passed), whether a
    renewal was recorded for it, and `score`: its health score, value delivered and return on the contract (called
    only when the renewal is near, since they need the account's report; None where they cannot be computed)."""

    days: int | None
    recorded: bool
    score: Callable[[], tuple[float | None, float | None, float | None]]


def flags_of(stages: list[str], rates: list[float], renewal: Renewal,
             delivered: tuple[float | None, float | None] = (None, None),
             not_live: dict[str, object] | None = None) -> tuple[Flag, ...]:
    """The flags of one account from its monthly stages (oldest first, to the period's last month), its last
    ADOPTION_MONTHS + 1 monthly key-feature adoption rates, its `renewal`, `delivered`: its value delivered in the
    period before and in this one, and `not_live`: the figures of an account not live NEVER_LIVE_MONTHS or more after
    its first usage (None otherwise)."""
    flags = []
    if stages and stages[-1] == "at_risk":
        reached = [s for s in stages if s in lifecycle.LEVELS]
        flags.append(Flag("fell_stage", {"from": max(reached, key=lambda s: lifecycle.LEVELS[s],
                                                      default="onboarding")}))
    if not_live is not None:
        flags.append(Flag("never_live", not_live))
    if len(rates) == ADOPTION_MONTHS + 1 and all(b < a for a, b in zip(rates, rates[1:])) \
            and rates[0] - rates[-1] >= ADOPTION_DROP:
        flags.append(Flag("adoption_falling", {"from": rates[0], "to": rates[-1], "months": ADOPTION_MONTHS}))
    before, now = delivered
    if before is not None and now is not None and before - now >= DELIVERED_DROP:
        flags.append(Flag("delivered_falling", {"from": before, "to": now}))
    days = renewal.days
    if days is not None and days < 0 and not renewal.recorded:
        flags.append(Flag("renewal_passed", {"days": days}))
    elif days is not None and 0 <= days <= RENEWAL_DAYS:
        health, share, roi = renewal.score()
        if health is None or health < HEALTHY:
            flags.append(Flag("renewal_unhealthy", {"days": days, "score": health}))
        if share is not None and share < DELIVERED:
            flags.append(Flag("renewal_undelivered", {"days": days, "delivered": share}))
        if roi is not None and roi < 0:
            flags.append(Flag("renewal_negative_return", {"days": days, "roi": roi}))
    return tuple(flags)


def attention(con: duckdb.DuckDBPyConnection, *, period: Period, table: pd.DataFrame | None = None,
              delivered: pd.DataFrame | None = None, today: date | None = None,
              account: Account | None = None,
              account_report: report.AccountReport | None = None,
              inputs: report.PeriodInputs | None = None) -> list[tuple[str, str, tuple[Flag, ...]]]:
    """(account_id, account_name, flags) of every account with at least one flag (flags_of), most flags first;
    renewals and go-live counted from `today` (default: the date today); `table`: the period's
    lifecycle.lifecycle_table and `delivered` its report.value_delivered_table, when the caller has them already;
    `account`: that account alone (an export's internal sheet), read for it alone, with `account_report` its report
    of the period when the caller has it; `inputs`: the period's report.period_inputs, when built already."""
    today = today or date.today()
    only = [account] if account is not None else None
    ids = [account.account_id] if account is not None else None
    key = account.key if account is not None else None
    if table is None:
        table = lifecycle.lifecycle_table(con, period=period, accounts=only)
    if delivered is None:
        delivered = report.value_delivered_table(con, period, account_ids=ids)
    months_back = len(period.months)
    previous = report.value_delivered_table(con, Period(add_months(period.start, -months_back), period.start),
                                            account_ids=ids)
    shares = {a: (_value(previous, a), _value(delivered, a)) for a in delivered["account_id"]}
    stages = {a: list(frame.sort_values("month")["stage"]) for a, frame in table.groupby("account_id")}
    months = lifecycle.monthly(con, add_months(period.end, -(ADOPTION_MONTHS + 1)), period.end, key)
    cache: dict[str, report.PeriodInputs] = {} if inputs is None else {"inputs": inputs}

    def score_of(account_id: str) -> tuple[float | None, float | None, float | None]:
        if account_report is not None and account_report.account_id == account_id:
            rep = account_report
        else:
            if "inputs" not in cache:
                cache["inputs"] = report.period_inputs(con, period)
            rep = report.account_report(con, account_id=account_id, period=period, inputs=cache["inputs"])
        return (None if rep.health is None else rep.health.score), rep.value_delivered, rep.cost.roi

    rates = _adoption_rates(months, period)
    renewed = lifecycle.renewals(con, key)
    first_months = dict(con.execute(sql("first_activity"), {"account_key": key}).fetchall())
    last_month = months[months["month"] == add_months(period.end, -1)].set_index("account_key")["active_users"]

    out = []
    for account in only or all_accounts(con):
        if stages.get(account.account_id, [""])[-1:] == ["churned"]:
            continue
        due = account.renewal_date
        recorded = due is not None and any(day >= due - timedelta(days=RENEWAL_DAYS)
                                           for day, _ in renewed.get(account.key, []))
        renewal = Renewal((due - today).days if due else None, recorded, partial(score_of, account.account_id))
        flags = flags_of(stages.get(account.account_id, []), rates.get(account.key, []), renewal,
                         shares.get(account.account_id, (None, None)),
                         _not_live(account, first_months.get(account.key), last_month.get(account.key), today))
        flags = tuple(Flag(f.rule, {**f.values, "renewal_date": account.renewal_date})
                      if f.rule.startswith("renewal_") else f for f in flags)
        if flags:
            out.append((account.account_id, account.name, flags))
    return sorted(out, key=lambda row: (-len(row[2]), row[0]))


def flags_for(con: duckdb.DuckDBPyConnection, account: Account, period: Period, today: date | None = None,
              account_report: report.AccountReport | None = None) -> tuple[Flag, ...]:
    """One account's attention flags (attention, read for that account alone; `account_report`: its report of the
    period, when the caller has it)."""
    found = attention(con, period=period, today=today, account=account, account_report=account_report)
    return found[0][2] if found else ()


def _not_live(account: Account, first: date | None, active: float | None, today: date) -> dict[str, object] | None:
    """The never_live figures of an account without a go-live by today NEVER_LIVE_MONTHS or more after its first
    month of usage `first` (None otherwise): months since, active users in the period's last month, seats."""
    if first is None or (account.go_live_date is not None and account.go_live_date <= today):
        return None
    months = (today.year - first.year) * 12 + today.month - first.month - (today.day < first.day)
    if months < NEVER_LIVE_MONTHS:
        return None
    return {"since": first, "months": months, "active": 0 if active is None or pd.isna(active) else round(active),
            "seats": account.seats}


def _value(table: pd.DataFrame, account_id: str) -> float | None:
    """The account's value delivered in a report.value_delivered_table; None when it has none."""
    rows = table.loc[table["account_id"] == account_id, "value_delivered"]
    return None if rows.empty or pd.isna(rows.iloc[0]) else float(rows.iloc[0])


def _adoption_rates(months: pd.DataFrame, period: Period) -> dict[int, list[float]]:
    """Each account's monthly key-feature adoption over the last ADOPTION_MONTHS + 1 months of the period (a month
    without usage ends the list: no fall can be told), read in one pass (a filter per account was 40 % of the list's
    time at 2,000 accounts)."""
    wanted = [add_months(period.end, -k) for k in range(ADOPTION_MONTHS + 1, 0, -1)]
    by_key: dict[int, dict[object, object]] = {}
    for key, month, rate in zip(months["account_key"], months["month"], months["key_feature_adoption"]):
        by_key.setdefault(int(key), {})[month] = rate
    out = {}
    for key, rates in by_key.items():
        values = [rates.get(m) for m in wanted]
        if not any(v is None or pd.isna(v) for v in values):
            out[key] = [float(v) for v in values]  # type: ignore[arg-type]
    return out
