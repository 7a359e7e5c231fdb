"""Value objectives: what each account was promised, measured. One objective per account and metric (imported as
the `objectives` kind): a baseline (entered, or measured in as many months before the go-live month as the
period has), the current figure of the period's report, a target and its date.

progress = (current - baseline) / (target - baseline), so a target below its baseline (fewer hours spent, say)
works the same way; status: achieved (progress >= 1), missed (the target date passed first), on track (progress at
least the share of the time from go-live to the target date that has passed by the period's end), behind, or open
(no go-live date to measure time from). value_delivered is the mean of the objectives' progress, each capped to
0-100 %.

The business case (the accounts file's business_case_value: the value a year it projected at full use) is laid
out month by month from the go-live month, ramping up over RAMP_MONTHS, next to the value realized each month
(hours saved that month x the hourly cost): `projection`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from metrics import adoption, cost
from metrics.accounts import Account
from metrics.errors import DataError
from metrics.period import Period, add_months
from metrics.registry import metric
from metrics.store import query, run, sql, write_transaction

# the metrics an objective may name, each measured by the period's report (the objectives import checks the same)
METRICS = ("efficiency_delta", "hours_saved", "value", "key_feature_adoption", "seat_utilization")
# each one's unit, as the formatters know them (a change, the one ending in _delta, shows its sign)
UNITS = {"efficiency_delta": "fraction", "hours_saved": "hours", "value": "currency",
         "key_feature_adoption": "fraction", "seat_utilization": "fraction"}
COLUMNS = ["metric", "baseline", "target", "target_date", "owner", "note"]
# what a figure of each may be, from its unit: a share is 0..1 (an adoption or a utilization rate); a change is a
# fraction >= -1 (efficiency -100 % is everyone's output gone); hours and money are >= 0. Shares and changes are
# written 0.15, 15% or 15 %; a bare 15 on one is refused with that hint rather than stored as 1500 %.
SHARES = ("key_feature_adoption", "seat_utilization")
CHANGES = ("efficiency_delta",)
BARE_PERCENT = "a share or change written as a whole number: write it as 15% or 0.15"
NOT_A_SHARE = "a share is between 0 and 100%"
BELOW_MINUS_100 = "a change cannot fall below -100%"
WRONG_SIDE = "on the wrong side of the baseline: higher is better for this metric, so the target must be above it"


def higher_is_better(name: str) -> bool:
    """The direction of an objective's metric, from the metric registry (all five measured today: higher)."""
    from metrics import efficiency  # noqa: F401 - registers efficiency_delta (adoption and cost: imported above)
    from metrics.registry import METRICS as REGISTERED

    return REGISTERED[name].higher_is_better is not False


def value_problem(name: str, value: float, percent: bool) -> str | None:
    """Why a baseline or target (`percent`: written with %) cannot be one of metric `name`'s figures, or None."""
    if name in SHARES + CHANGES and not percent and abs(value) > 1:
        return BARE_PERCENT
    if name in SHARES and not 0 <= value <= 1:
        return NOT_A_SHARE
    if name in CHANGES and value < -1:
        return BELOW_MINUS_100
    if name not in SHARES + CHANGES and value < 0:
        return "must be >= 0"
    return None


def direction_problem(name: str, baseline: float | None, target: float | None) -> str | None:
    """Why a target is on the wrong side of its baseline for the metric's direction, or None."""
    if baseline is None or target is None or baseline == target:
        return None
    return WRONG_SIDE if (target < baseline) == higher_is_better(name) else None
RAMP_MONTHS = 3  # the business case reaches its full monthly value in the go-live month's 3rd month


@dataclass(frozen=True)
class Objective:
    """One objective of an account, measured for a period."""

    metric: str
    baseline: float | None
    baseline_measured: bool
    current: float | None
    target: float
    target_date: date
    progress: float | None
    status: str
    owner: str | None
    note: str | None


def stored(con: duckdb.DuckDBPyConnection, account: Account) -> list[tuple]:
    """The account's stored objectives: (metric, baseline, target, target_date, owner, note), by metric."""
    rows = con.execute(sql("objectives_of"), {"account_key": account.key}).fetchall()  # rows: cheaper than a frame
    return [tuple(None if v != v else v for v in row) for row in rows]


def _before_go_live(con: duckdb.DuckDBPyConnection, account: Account, months: int) -> dict[str, float | None]:
    """Each objective metric measured in `months` months before the go-live month (efficiency change: 0)."""
    live = account.go_live_date
    if live is None:
        return {}
    end = date(live.year, live.month, 1)
    window = Period(add_months(end, -months), end)
    use = adoption.usage(con, account, window.start, window.end)
    money = cost.cost_of(account, use, window)
    features = adoption.feature_adoption_of(use)
    return {"efficiency_delta": 0.0, "hours_saved": money.hours_saved, "value": money.value,
            # nobody active before go-live: nobody had adopted anything
            "key_feature_adoption": adoption.key_feature_adoption(features) if use.active_users else 0.0,
            "seat_utilization": adoption.seat_utilization_of(account, use)}


def status_of(progress: float | None, expected: float | None, due: date, end: date) -> str:
    """achieved, missed, on_track, behind or open (see the module)."""
    if progress is not None and progress >= 1:
        return "achieved"
    if end - timedelta(days=1) > due:  # `end` is the day after the period's last
        return "missed"
    if progress is None or expected is None:
        return "open"
    return "on_track" if progress >= expected else "behind"


@metric("objective_progress", unit="fraction", higher_is_better=True,
        description="How far an objective has come from its baseline towards its target, and whether that is on "
                    "track for its date.",
        formula="(current - baseline) / (target - baseline), the target on the metric's better side of the baseline "
                "(a measured baseline already past it: 1 when the figure is at or past the target, else 0); baseline "
                "entered, or measured in as many months before "
                "the go-live month as the period has (efficiency change: 0); achieved at >= 1; missed when the "
                "target date passed first; on track when progress >= (period end - go-live) / (target date - "
                "go-live); else behind")
def objectives_of(con: duckdb.DuckDBPyConnection, account: Account, period: Period,
                  current: dict[str, float | None]) -> tuple[Objective, ...]:
    """The account's objectives measured for `period`; `current`: each metric's figure in the period's report."""
    rows = stored(con, account)
    if not rows:
        return ()
    measured = _before_go_live(con, account, len(period.months)) if any(r[1] is None for r in rows) else {}
    live, out = account.go_live_date, []
    for name, baseline, target, due, owner, note in rows:
        due = due.date() if hasattr(due, "date") else due
        base = baseline if baseline is not None else measured.get(name)
        progress = progress_of(name, current.get(name), base, float(target))
        now = current.get(name)
        expected = None
        if live is not None and due > live:
            expected = min(1.0, max(0.0, (period.end - live).days / (due - live).days))
        out.append(Objective(name, base, baseline is None, now, float(target), due, progress,
                             status_of(progress, expected, due, period.end), owner, note))
    return tuple(out)


def progress_of(name: str, now: float | None, base: float | None, target: float) -> float | None:
    """(now - base) / (target - base) when the target lies on the metric's better side of the baseline. A baseline
    measured at or past the target (adoption measured at 0.7 before go-live against a target of 0.6) leaves nothing
    to progress through: 1 when the figure is at or past the target in the metric's direction, else 0, so that a
    fall never reads as progress."""
    if now is None or base is None:
        return None
    up = higher_is_better(name)
    if (target > base) == up and target != base:
        return (now - base) / (target - base)
    return 1.0 if (now >= target) == up or now == target else 0.0


@metric("value_delivered", unit="fraction", higher_is_better=True,
        description="How much of what was promised has been delivered: the mean progress of the account's "
                    "objectives, each capped at 100 %.",
        formula="mean over the account's objectives with a progress of min(1, max(0, progress)); none without one")
def value_delivered(objectives: tuple[Objective, ...]) -> float | None:
    """value_delivered of measured objectives; None when none has a progress."""
    shares = [min(1.0, max(0.0, o.progress)) for o in objectives if o.progress is not None]
    return sum(shares) / len(shares) if shares else None


@dataclass(frozen=True)
class ProjectionMonth:
    """One month of the business case: the value it projected and the value realized."""

    month: date
    projected: float
    realized: float | None  # None without an hourly cost


@dataclass(frozen=True)
class Projection:
    """The business case against what was realized, month by month from the go-live month to the period's end,
    with the sums to date and the realized share of the projected."""

    annual_value: float
    months: tuple[ProjectionMonth, ...]
    projected_to_date: float
    realized_to_date: float | None
    realized_share: float | None


def projected_of(annual: float, live: date, month: date) -> float:
    """The business case's value for `month`: annual / 12, ramped over RAMP_MONTHS from the go-live month (0
    before it)."""
    start = date(live.year, live.month, 1)
    if month < start:
        return 0.0
    nth = (month.year - start.year) * 12 + month.month - start.month + 1
    return annual / 12 * min(1.0, nth / RAMP_MONTHS)


@metric("projected_value", unit="currency", higher_is_better=None,
        description="The value the business case projected for each month since go-live, next to the value "
                    "realized that month, and how much of the projection has been realized to date.",
        formula=f"projected(month) = business_case_value / 12 x min(1, n / {RAMP_MONTHS}), n = 1 in the go-live "
                "month; realized(month) = hours saved in the month x hourly cost; realized share = sum of realized "
                "/ sum of projected from the go-live month to the period's end")
def projection(con: duckdb.DuckDBPyConnection, account: Account, period: Period) -> Projection | None:
    """The account's Projection to the end of `period`; None without a business case or before go-live."""
    live, annual = account.go_live_date, account.business_case_value
    if live is None or annual is None or date(live.year, live.month, 1) >= period.end:
        return None
    start = date(live.year, live.month, 1)
    hours = cost.monthly_hours(con, start=start, end=period.end, account_key=account.key)
    by_month = dict(zip(hours["month"], hours["hours_saved"]))
    rate = account.hourly_cost
    months = tuple(ProjectionMonth(m, projected_of(annual, live, m),
                                   None if rate is None else float(by_month.get(m, 0.0)) * rate)
                   for m in Period(start, period.end).months)
    projected = sum(m.projected for m in months)
    realized = None if rate is None else sum(m.realized or 0.0 for m in months)
    share = realized / projected if realized is not None and projected else None
    return Projection(float(annual), months, projected, realized, share)


def editable(con: duckdb.DuckDBPyConnection, account: Account) -> pd.DataFrame:
    """The account's stored objectives as an editable table (COLUMNS)."""
    frame = pd.DataFrame(stored(con, account), columns=COLUMNS)
    frame["target_date"] = pd.to_datetime(frame["target_date"]).dt.date
    return frame


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _figure(value: object) -> tuple[float | None, bool]:
    """A baseline or target as the editor holds it (a number, or text such as "15%", "15 %" or "0.15"): its value
    as a fraction when written with %, and whether it was."""
    if isinstance(value, str):
        text = value.strip().replace("％", "%")
        if text.endswith("%"):
            number = _number(text[:-1].strip().replace(",", ""))
            return (None if number is None else number / 100), True
        return _number(text.replace(",", "")), False
    return _number(value), False


def validate(frame: pd.DataFrame) -> list[str]:
    """Why these objectives cannot be saved, row by row (empty when they can): the same rules as the import."""
    problems = []
    seen: set[str] = set()
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        name = str(row.metric).strip().lower() if isinstance(row.metric, str) else ""
        if name not in METRICS:
            problems.append(f"objectives row {i}, metric: not a metric an objective can measure")
        elif name in seen:
            problems.append(f"objectives row {i}, metric: '{name}' appears more than once")
        seen.add(name)
        target, target_pct = _figure(row.target)
        if target is None:
            problems.append(f"objectives row {i}, target: not a number")
        blank = row.baseline is None or (not isinstance(row.baseline, str) and pd.isna(row.baseline)) or \
            (isinstance(row.baseline, str) and not row.baseline.strip())
        baseline, baseline_pct = (None, False) if blank else _figure(row.baseline)
        if not blank and baseline is None:
            problems.append(f"objectives row {i}, baseline: not a number")
        for column, value, pct in (("baseline", baseline, baseline_pct), ("target", target, target_pct)):
            if value is not None and name in METRICS and (problem := value_problem(name, value, pct)):
                problems.append(f"objectives row {i}, {column}: {problem}")
        if baseline is not None and target is not None and baseline == target:
            problems.append(f"objectives row {i}, target: equal to the baseline: nothing to progress towards")
        elif name in METRICS and (problem := direction_problem(name, baseline, target)):
            problems.append(f"objectives row {i}, target: {problem}")
        if not isinstance(row.target_date, date) or pd.isna(row.target_date):
            problems.append(f"objectives row {i}, target_date: not a date (use YYYY-MM-DD)")
    return problems


def save(con: duckdb.DuckDBPyConnection, account: Account, frame: pd.DataFrame, *, user: str,
         note: str = "") -> int:
    """Replace the account's objectives with `frame` (COLUMNS) in one transaction and keep them as a new version;
    DataError listing the problems when they are not valid (nothing is saved then)."""
    frame = frame.dropna(how="all")
    problems = validate(frame)
    if problems:
        raise DataError("; ".join(problems))
    rows = frame.assign(metric=frame["metric"].str.strip().str.lower(),
                        baseline=frame["baseline"].map(lambda v: _figure(v)[0]).astype("float64"),
                        target=frame["target"].map(lambda v: _figure(v)[0]).astype("float64"),
                        target_date=pd.to_datetime(frame["target_date"]))[COLUMNS]
    with write_transaction(con.cursor()) as cur:
        cur.register("vl_objectives", rows)
        version = run(cur, "objectives_save.last_version", {"account_key": account.key}).fetchall()[0][0] + 1
        run(cur, "objectives_save.replace", {"account_key": account.key})
        run(cur, "objectives_save.snapshot", {"v": version, "at": datetime.now(), "by": user, "change_note": note,
                                               "account_key": account.key})
    return version


def versions(con: duckdb.DuckDBPyConnection, account: Account) -> pd.DataFrame:
    """The account's saved objective versions, newest first: version, saved_at, saved_by, note, objectives."""
    return query(con, "objectives_save.versions", account_key=account.key)
