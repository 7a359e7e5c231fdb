"""The shared connection and what is cached per database file, period and data version: the app's one place for
caching (st.cache_data / st.cache_resource) of metric inputs."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from i18n import t
from metrics import catalog, demo
from metrics.period import Period
from metrics.store import (
    Reader,
    connect,
    connect_snapshot,
    current_snapshot,
    db_path,
    primary_writer,
    reader,
    snapshot_copy,
    snapshot_mode,
)

# Script runs of this process that execute at once; the others wait their turn without the interpreter lock.
# Twenty sessions' threads running at once thrashed the GIL: one slot served 8.2 runs/s at 20 sessions where
# unlimited threads served 4.6 and two slots 7.0 (bench/load.py, bench/RESULTS.md). VALUELENS_RUN_SLOTS overrides.
RUN_SLOTS = threading.BoundedSemaphore(max(1, int(os.environ.get("VALUELENS_RUN_SLOTS", "1"))))
_slot = threading.local()


@contextmanager
def run_slot() -> Iterator[None]:
    """Hold one of RUN_SLOTS for a script run (app.py wraps the page in it)."""
    with RUN_SLOTS:
        _slot.held = True
        try:
            yield
        finally:
            _slot.held = False


@contextmanager
def long_work() -> Iterator[None]:
    """Give this run's slot back while it does something long (an import, every account's export), so that the
    other sessions' runs are not queued behind it; take a slot again afterwards."""
    if not getattr(_slot, "held", False):
        yield
        return
    RUN_SLOTS.release()
    _slot.held = False
    try:
        yield
    finally:
        RUN_SLOTS.acquire()
        _slot.held = True


@st.cache_resource(show_spinner=False)
def _database(path: str) -> duckdb.DuckDBPyConnection:
    """One connection per database file for the whole server; the demo loads into an empty one."""
    con = connect(path)
    demo.ensure_demo(con)
    return con


@st.cache_resource(show_spinner=False, max_entries=4)
def _snapshot(path: str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one snapshot of the database, shared by this process's sessions (serve.py)."""
    return connect_snapshot(path)


def get_connection() -> Reader:
    """A gated cursor of the shared connection, for this script run (DuckDB cursors are per thread). Under
    serve.py, a cursor of the newest snapshot: a write in any process shows from the next run on."""
    if snapshot_mode():
        return reader(_snapshot(str(current_snapshot(db_path()))))
    return reader(_database(str(db_path())))


def worker_database(folder: Path) -> Path:
    """A database file that worker processes may open read-only (a portfolio export): under serve.py the newest
    snapshot, else a checkpointed copy of the database, made in `folder` (this process holds the file itself)."""
    if snapshot_mode():
        return current_snapshot(db_path())
    return snapshot_copy(_database(str(db_path())), db_path(), folder)


@contextmanager
def writing() -> Iterator[Reader | duckdb.DuckDBPyConnection]:
    """The connection a save or an import writes through: the shared one; under serve.py the database file
    itself, one process at a time, published as a new snapshot when the write succeeds (metrics.store)."""
    if not snapshot_mode():
        yield get_connection()
        return
    with primary_writer(db_path()) as con:
        yield con


def start_database() -> None:
    """Open the database at app start, loading the demo data into an empty one with a spinner (under serve.py,
    serve.py did that before it started the app processes)."""
    if snapshot_mode():
        return
    with st.spinner(t("loading_demo")):
        _database(str(db_path()))


def cache_key() -> tuple[str, int]:
    """Database file and data version: every cached metric call takes these, so an import invalidates it. Read
    from the database once per script run (a page asks several times; the run's first answer holds for the run)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    run = ctx.cursors if ctx is not None else None  # a new dict every run (ScriptRunContext.reset)
    held = st.session_state.get("_vl_run_key") if run is not None else None
    if held is not None and held[0] is run:
        return held[1]
    key = str(db_path()), catalog.data_version(get_connection())
    if run is not None:
        st.session_state["_vl_run_key"] = (run, key)
    return key


@st.cache_resource(show_spinner=False, max_entries=512)
def figure(name: str, account_id: str, start: date, end: date, key: tuple[str, int], language: str,
           _build: Callable[[], object]) -> object:
    """A chart of one account, period, data version and language, built once and shared by every session that
    may see that account: `name` tells the page's charts apart (and carries any other choice the chart depends
    on, e.g. the cohort). Read-only: st.plotly_chart copies a figure (to_dict) before it serializes it. Building
    plotly figures was a quarter of a warm account-report rerun."""
    return _build()


@st.cache_data(show_spinner=False, max_entries=8)
def accounts_list(key: tuple[str, int]) -> pd.DataFrame:
    """Every loaded account with its attributes (catalog.list_accounts), once per data version; visible_accounts
    scopes it to the user."""
    return catalog.list_accounts(get_connection())


@st.cache_data(show_spinner=False, max_entries=8)
def feature_names(key: tuple[str, int]) -> dict[str, tuple[str | None, str | None]]:
    """The value model's display names of each feature (English, Chinese), per data version."""
    from metrics import catalog

    return catalog.feature_names(get_connection())


@st.cache_data(show_spinner=False, max_entries=8)
def months_of(key: tuple[str, int]) -> tuple[date | None, date | None, Period]:
    """The first and last month with data and the default period, once per data version (the period picker)."""
    from metrics.period import data_months, default_period

    con = get_connection()
    return (*data_months(con), default_period(con))


@st.cache_data(show_spinner=False, max_entries=8)
def peer_table(start: date, end: date, key: tuple[str, int]) -> pd.DataFrame:
    """Every account's benchmark figures for a period (metrics.benchmarks.metric_table), computed once per period
    and data version. It names every account: server-side input to benchmark() only, never shown or returned."""
    from metrics.report import peer_figures

    inputs = report_inputs(start, end, key)  # the same period's adoption grid and efficiency series, built once
    return peer_figures(get_connection(), Period(start, end), inputs)


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
