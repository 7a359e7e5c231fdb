"""Which story an account's QBR tells, decided by rules in one place, and the risks it names.

A QBR leads with what is true of the account, never with a figure spun or buried:
- `onboarding`: not live yet (no go-live date, or go-live after the period) or too little use to measure
  (fewer than MIN_ACTIVE_USERS active users a month): seats activated, first use, what go-live unlocks;
- `declining`: monthly active users fell by DECLINE or more against the same number of months before the period:
  a risk story with a recovery plan;
- `below_break_even`: value is measured but the annualised return on the contract is below zero: lead with
  realised hours and per-person efficiency, then the path to break-even and what it takes;
- `positive`: value delivered and a return at or above break-even (or no contract value to compare with).
The deck and the account page read the case, its figures and its risks from here.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb

from metrics import adoption, cost
from metrics.accounts import Account
from metrics.lifecycle import DECLINE  # active users down this much against the months before: a decline
from metrics.period import Period
from metrics.portfolio import RENEWAL_OVERDUE_DAYS, RENEWAL_WINDOW_DAYS
from metrics.report import AccountReport, EfficiencyFigures

MIN_ACTIVE_USERS = 5      # fewer active users a month than this is too little use to measure value on
LOW_SEAT_USE = 0.5        # fewer than half the seats active is a risk
TOP_GAPS = 3              # the adoption gaps a story sizes the path to break-even with
FEATURE_DECLINE = 0.3     # a value feature losing this share of its adopters against the months before is a risk
MIN_ADOPTERS = 5          # ... when it had at least this many (fewer is noise)
MIN_EFFICIENCY_MONTHS = 3  # an efficiency change on fewer months after go-live than this is not a headline


@dataclass(frozen=True)
class Risk:
    """One risk a QBR names: `code` (renewal_soon, low_seat_use, usage_down, feature_down, feature_down_more,
    below_peers) and its figure."""

    code: str
    value: float | None = None
    detail: str | None = None   # a feature or a date, as text


@dataclass(frozen=True)
class Storyline:
    """The case a QBR tells and the figures its wording needs (None where an input is missing)."""

    case: str
    active_users: float | None          # mean monthly active users in the period
    active_users_before: float | None   # ... in as many months before it
    usage_change: float | None          # active_users / active_users_before - 1
    break_even_value: float | None      # value per period at which the return on the contract is zero
    value_gap: float | None             # break_even_value - value, when positive
    hours_gap: float | None             # value_gap / hourly cost
    upside_value: float | None          # value per period of the TOP_GAPS biggest adoption gaps
    days_to_renewal: int | None
    risks: tuple[Risk, ...]
    previous_value: float | None = None    # value in as many months before the period
    value_change: float | None = None      # value / previous_value - 1
    cumulative_value: float | None = None  # value from the go-live month to the period's end
    efficiency_held: str | None = None     # why the efficiency change is not a headline (efficiency_held); None: it is


def efficiency_held(eff: EfficiencyFigures) -> str | None:
    """Why an account's per-person efficiency change may not lead a summary a customer reads (None: it may): not
    measured; its 90 % interval spans zero (the change could be none, or the other way); or it rests on fewer than
    MIN_EFFICIENCY_MONTHS months after go-live. Wherever it is shown, its interval stands beside it."""
    if eff.delta is None:
        return "not_measured"
    if eff.ci_low is None or eff.ci_high is None or eff.ci_low <= 0 <= eff.ci_high:
        return "interval_spans_zero"
    if len(eff.current_months) < MIN_EFFICIENCY_MONTHS:
        return "too_few_months"
    return None


def break_even_value_of(annual_contract_value: float, months: int) -> float:
    """Value per period of `months` at which roi_of is zero: the contract's share of the period."""
    return annual_contract_value * months / 12


@dataclass(frozen=True)
class History:
    """What the period is compared with: the value in as many months before it, the value from the go-live month to
    the period's end (None when not live by then), and each feature's adopters in the months before."""

    previous_value: float | None
    cumulative_value: float | None
    adopters_before: dict[str, int]


def history(con: duckdb.DuckDBPyConnection, account: Account, period: Period,
            catalog: list[tuple] | None = None, rows: adoption.UsageRows | None = None) -> History:
    """The account's History for `period` from its rollups: one statement for the months before (each feature's
    adopters and hours saved), one since go-live; no active users nor months, which it does not show.
    `catalog`: adoption.feature_catalog, `rows`: adoption.usage_rows, when already read (the report inputs hold
    them)."""
    before = period.before()
    use = adoption.feature_use(con, account, before.start, before.end, catalog, rows)
    live = account.go_live_date
    since = None
    if live is not None and live < period.end:
        lifetime = Period(date(live.year, live.month, 1), period.end)
        since = cost.value_of(account, adoption.feature_use(con, account, lifetime.start, lifetime.end,
                                                            catalog).hours_saved)
    return History(cost.value_of(account, use.hours_saved), since, use.adopters)


def _mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


def storyline(report: AccountReport, account: Account, mau: Sequence[tuple[date, int]],
              percentiles: Sequence[tuple[str, float | None]] = (), past: History | None = None,
              today: date | None = None) -> Storyline:
    """The case and figures of one account's QBR. `mau`: (month, active users) from before the period to its end
    (months without activity may be missing: they count as 0); `percentiles`: (figure, own percentile among
    peers) from metrics.benchmarks, for the below-peers risk; `past` (history) for the change on the months
    before, the value since go-live and the value features losing adopters; `today` (default: the date today): what
    the days to renewal are counted from."""
    start, end = report.period.start, report.period.end
    months = Period(start, end).months
    by_month = dict(mau)
    now = [int(by_month.get(m, 0)) for m in months]
    before_months = Period(start, end).before().months
    known = min(by_month) if by_month else None
    before = [int(by_month.get(m, 0)) for m in before_months if known is not None and m >= known]
    users, users_before = _mean(now), _mean(before) if len(before) == len(months) else None
    change = users / users_before - 1 if users is not None and users_before else None

    money, use = report.cost, report.adoption
    acv = account.annual_contract_value
    break_even = break_even_value_of(acv, len(months)) if acv else None
    gap = break_even - money.value if break_even is not None and money.value is not None else None
    gap = gap if gap is not None and gap > 0 else None
    hours_gap = gap / account.hourly_cost if gap is not None and account.hourly_cost else None
    upside = [u.value_left for u in use.underused_features[:TOP_GAPS] if u.value_left is not None]
    days = (account.renewal_date - (today or date.today())).days if account.renewal_date else None

    live = report.go_live_date is not None and report.go_live_date < end
    if not live or users is None or users < MIN_ACTIVE_USERS:
        case = "onboarding"
    elif change is not None and change <= -DECLINE:
        case = "declining"
    elif money.roi is not None and money.roi < 0:
        case = "below_break_even"
    else:
        case = "positive"

    risks: list[Risk] = []
    if days is not None and -RENEWAL_OVERDUE_DAYS <= days <= RENEWAL_WINDOW_DAYS:
        risks.append(Risk("renewal_soon", days, account.renewal_date.isoformat() if account.renewal_date else None))
    if use.seat_utilization is not None and use.seat_utilization < LOW_SEAT_USE:
        risks.append(Risk("low_seat_use", use.seat_utilization))
    if change is not None and change <= -DECLINE:
        risks.append(Risk("usage_down", change))
    if past is not None:  # the steepest TOP_GAPS drops, the rest counted
        drops = sorted((f.adopters / was - 1, f.feature) for f in use.features
                       if f.has_value_driver and (was := past.adopters_before.get(f.feature, 0)) >= MIN_ADOPTERS
                       and f.adopters <= was * (1 - FEATURE_DECLINE))
        risks += [Risk("feature_down", change, feature) for change, feature in drops[:TOP_GAPS]]
        if len(drops) > TOP_GAPS:
            risks.append(Risk("feature_down_more", len(drops) - TOP_GAPS))
    risks += [Risk("below_peers", p, figure) for figure, p in percentiles if p is not None and p < 25]
    previous_value = past.previous_value if past is not None else None
    cumulative_value = past.cumulative_value if past is not None else None
    value_change = money.value / previous_value - 1 if money.value is not None and previous_value else None
    return Storyline(case, users, users_before, change, break_even, gap, hours_gap,
                     sum(upside) if upside else None, days, tuple(risks), previous_value, value_change,
                     cumulative_value, efficiency_held(report.efficiency))

