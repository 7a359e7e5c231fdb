"""Report periods: whole months, half-open [start, end)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from metrics.store import DataError, sql

DEFAULT_MONTHS = 3


@dataclass(frozen=True)
class Period:
    """Whole months from `start` (first day of the first month) up to, not including, `end`."""

    start: date
    end: date

    @property
    def months(self) -> list[date]:
        """The first day of every month in the period."""
        out, month = [], self.start
        while month < self.end:
            out.append(month)
            month = add_months(month, 1)
        return out

    def before(self) -> Period:
        """As many whole months just before the period: what a QBR compares the period with."""
        return Period(add_months(self.start, -len(self.months)), self.start)

    def label(self) -> str:
        """E.g. '2026-08 – 2026-10' (inclusive months, for people)."""
        return f"{self.start:%Y-%m} – {add_months(self.end, -1):%Y-%m}"

    def file_part(self) -> str:
        """E.g. '2026-08_2026-10': the period in a file name, so exports of two periods never collide."""
        return f"{self.start:%Y-%m}_{add_months(self.end, -1):%Y-%m}"


def add_months(month: date, n: int) -> date:
    """The first day of the month n months after `month`."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def parse_month(text: str | date) -> date:
    """'2026-08' or a date -> date(2026, 8, 1)."""
    if isinstance(text, date):
        return date(text.year, text.month, 1)
    try:
        year, month = str(text).strip().replace("/", "-").split("-")[:2]
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise DataError(f"'{text}' is not a month (use YYYY-MM)") from exc


def data_months(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last month with any usage or outcomes."""
    first, last = con.execute(sql("data_months")).fetchall()[0]
    return first, last


def default_period(con: duckdb.DuckDBPyConnection, *, today: date | None = None,
                   months: int = DEFAULT_MONTHS) -> Period:
    """The last `months` full months of data: ending at the earlier of this month and the month after the data."""
    this_month = parse_month(today or date.today())
    _, last = data_months(con)
    end = min(this_month, add_months(last, 1)) if last else this_month
    return Period(add_months(end, -months), end)


def resolve_period(con: duckdb.DuckDBPyConnection, start: str | date | None = None,
                   end: str | date | None = None, *, today: date | None = None) -> Period:
    """A period from optional YYYY-MM bounds (end exclusive); missing bounds come from the default period."""
    default = default_period(con, today=today)
    period = Period(parse_month(start) if start else default.start, parse_month(end) if end else default.end)
    if start and not end:
        period = Period(period.start, add_months(period.start, DEFAULT_MONTHS))
    if not start and end:
        period = Period(add_months(period.end, -DEFAULT_MONTHS), period.end)
    if period.start >= period.end:
        raise DataError(f"the period must end after it starts ({period.start:%Y-%m} to {period.end:%Y-%m})")
    return period
