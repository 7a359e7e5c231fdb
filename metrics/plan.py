"""An account's action plan for the next quarter: dated actions with an owner each, agreed in the QBR, edited on the
account's page, validated like an import, every save a version (who, when, why), printed on the deck's "next
quarter" slide and in the workbook."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from metrics.accounts import Account
from metrics.store import DataError, query, run, write_transaction

COLUMNS = ["action", "owner", "due_date", "done"]
MAX_TEXT = 300  # an action or an owner longer than this is a paste gone wrong


@dataclass(frozen=True)
class Action:
    """One action: what, who owns it, by when, and whether it is done."""

    action: str
    owner: str
    due_date: date
    done: bool


def actions_of(con: duckdb.DuckDBPyConnection, account: Account) -> tuple[Action, ...]:
    """The account's actions by due date."""
    rows = run(con, "plan.of_account", {"account_key": account.key}).fetchall()
    return tuple(Action(a, o, d, bool(done)) for a, o, d, done in rows)


def editable(con: duckdb.DuckDBPyConnection, account: Account) -> pd.DataFrame:
    """The account's actions as an editable table (COLUMNS)."""
    frame = pd.DataFrame([(a.action, a.owner, a.due_date, a.done) for a in actions_of(con, account)],
                         columns=COLUMNS)
    frame["done"] = frame["done"].astype(bool)
    return frame


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def validate(frame: pd.DataFrame) -> list[str]:
    """Why these actions cannot be saved, row by row (empty when they can)."""
    problems = []
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for column in ("action", "owner"):
            value = _text(getattr(row, column))
            if not value:
                problems.append(f"action plan row {i}, {column}: missing")
            elif len(value) > MAX_TEXT:
                problems.append(f"action plan row {i}, {column}: longer than {MAX_TEXT} characters")
        due = row.due_date
        if not isinstance(due, date) or pd.isna(due):
            problems.append(f"action plan row {i}, due_date: not a date (use YYYY-MM-DD)")
    return problems


def save(con: duckdb.DuckDBPyConnection, account: Account, frame: pd.DataFrame, *, user: str,
         note: str = "") -> int:
    """Replace the account's action plan with `frame` (COLUMNS) in one transaction and keep it as a new version;
    DataError listing the problems when it is not valid (nothing is saved then)."""
    frame = frame.reindex(columns=COLUMNS).dropna(how="all")
    problems = validate(frame)
    if problems:
        raise DataError("; ".join(problems))
    rows = pd.DataFrame({"action": [_text(v) for v in frame["action"]], "owner": [_text(v) for v in frame["owner"]],
                         "due_date": pd.to_datetime(frame["due_date"]),
                         "done": [bool(v) if isinstance(v, bool) else False for v in frame["done"]]})
    with write_transaction(con.cursor()) as cur:
        cur.register("vl_plan", rows)
        version = run(cur, "plan.last_version", {"account_key": account.key}).fetchall()[0][0] + 1
        run(cur, "plan.replace", {"account_key": account.key})
        run(cur, "plan.snapshot", {"v": version, "at": datetime.now(), "by": user, "change_note": note,
                                   "account_key": account.key})
    return version


def versions(con: duckdb.DuckDBPyConnection, account: Account) -> pd.DataFrame:
    """The account's saved plan versions, newest first: version, saved_at, saved_by, note, actions."""
    return query(con, "plan.versions", account_key=account.key)
