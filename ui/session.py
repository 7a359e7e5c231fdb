"""The shared connection and what is cached per database file, period and data version: the app's one place for
caching (st.cache_data / st.cache_resource) of metric inputs."""
from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import streamlit as st

from i18n import t
from metrics import catalog, ingest
from metrics.period import Period
from metrics.store import Reader, connect, db_path, reader


@st.cache_resource(show_spinner=False)
def _database(path: str) -> duckdb.DuckDBPyConnection:
    """One connection per database file for the whole server; the demo loads into an empty one."""
    con = connect(path)
    ingest.ensure_demo(con)
    return con


def get_connection() -> Reader:
    """A gated cursor of the shared connection, for this script run (DuckDB cursors are per thread)."""
    return reader(_database(str(db_path())))


def start_database() -> None:
    """Open the database at app start, loading the demo data into an empty one with a spinner."""
    with st.spinner(t("loading_demo")):
        _database(str(db_path()))


def cache_key() -> tuple[str, int]:
    """Database file and data version: every cached metric call takes these, so an import invalidates it."""
    return str(db_path()), catalog.data_version(get_connection())


@st.cache_data(show_spinner=False, max_entries=8)
def peer_table(start: date, end: date, key: tuple[str, int]) -> pd.DataFrame:
    """Every account's benchmark figures for a period (metrics.benchmarks.metric_table), computed once per period
    and data version. It names every account: server-side input to benchmark() only, never shown or returned."""
    from metrics.benchmarks import metric_table

    return metric_table(get_connection(), start=start, end=end)


@st.cache_resource(show_spinner=False, max_entries=8)
def report_inputs(start: date, end: date, key: tuple[str, int]) -> object:
    """The all-accounts inputs of a period's account reports (metrics.report.period_inputs), once per period and
    data version; server-side input to account_report only, never shown. A shared read-only object (cache_resource):
    copying it out of cache_data on every rerun would cost more than the report it serves."""
    from metrics.report import period_inputs

    return period_inputs(get_connection(), Period(start, end))


@st.cache_data(show_spinner=False, max_entries=16)
def people_of(account_id: str, start: date, end: date, features: tuple[str, ...],
              key: tuple[str, int]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """One account's people for a period (metrics.people) and the training list of each of `features`, once per
    account, period and data version. Personal data: only the account's own page asks for it, after its access
    check."""
    from metrics import people
    from metrics.accounts import get_account

    con = get_connection()
    account = get_account(con, account_id)
    frame = people.people(con, account, Period(start, end))
    return frame, people.training(con, account, Period(start, end), list(features), frame)
