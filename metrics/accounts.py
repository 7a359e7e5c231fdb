"""Account lookup: the one place an account id becomes an account record."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from metrics.store import DataError, sql


@dataclass(frozen=True)
class Account:
    """An account's stored attributes; `key` is its integer code."""

    key: int
    account_id: str
    name: str
    industry: str | None
    region: str | None
    segment: str | None
    seats: int | None
    go_live_date: date | None
    hourly_cost: float | None
    currency: str | None
    annual_contract_value: float | None
    renewal_date: date | None
    business_case_value: float | None = None  # projected value a year at full use


def get_account(con: duckdb.DuckDBPyConnection, account_id: str) -> Account:
    """The account with this id; DataError when there is none."""
    rows = con.execute(sql("account_info"), {"account_id": str(account_id)}).fetchall()
    if not rows:
        raise DataError(f"unknown account '{account_id}'")
    return Account(*rows[0])


def resolve(con: duckdb.DuckDBPyConnection, account_id: str, account: Account | None = None) -> Account:
    """`account` when the caller already holds the record of `account_id` (an export reads a dozen figures of one
    account; each looked it up again), else get_account. A record of another account is refused: one customer's
    figures never go out under another's id."""
    if account is None:
        return get_account(con, account_id)
    if account.account_id != str(account_id):
        raise ValueError(f"the record of account '{account.account_id}' given for account '{account_id}'")
    return account


def all_accounts(con: duckdb.DuckDBPyConnection) -> list[Account]:
    """Every account, by account_id."""
    rows = con.execute(sql("all_accounts")).fetchall()
    return [Account(*row) for row in rows]


class RowsByAccount:
    """Rows of every account read by one statement, each account's found by a slice: what a portfolio of reports
    or files shares instead of one statement per account. `frame` must be ordered by `key` (as its SQL orders it);
    an account's rows keep their order and lose the key column, as the one-account statement returns them."""

    def __init__(self, frame: pd.DataFrame, key: str = "account_key") -> None:
        keys = frame[key].to_numpy()
        if len(keys) > 1 and not bool(np.all(keys[1:] >= keys[:-1])):
            raise ValueError(f"rows not ordered by {key}")
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1]))) if len(keys) else np.array([], int)
        stops = np.append(starts[1:], len(keys))
        self._rows = {_plain(keys[lo]): (int(lo), int(hi)) for lo, hi in zip(starts, stops)}
        self._frame = frame.drop(columns=key)

    def span(self, key: object) -> tuple[int, int]:
        """The [start, stop) positions of one account's rows in the frame ((0, 0) when it has none)."""
        return self._rows.get(key, (0, 0))

    def of(self, key: object) -> pd.DataFrame:
        """The rows of one account (none when it has none)."""
        lo, hi = self.span(key)
        return self._frame.iloc[lo:hi].reset_index(drop=True)


def _plain(value: object) -> object:
    """A numpy scalar as the Python value it holds (an int32 key as int), so that lookups by int find it."""
    return value.item() if isinstance(value, np.generic) else value
