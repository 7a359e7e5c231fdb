"""App-side helpers shared by pages: the cached connection, language choice and placeholders."""
from __future__ import annotations

import duckdb
import streamlit as st

from i18n import LANGUAGES, t
from metrics import ingest
from metrics.store import connect, db_path


@st.cache_resource(show_spinner=False)
def _database(path: str) -> duckdb.DuckDBPyConnection:
    """One connection per database file for the whole server; the demo loads into an empty one."""
    con = connect(path)
    ingest.ensure_demo(con)
    return con


def get_connection() -> duckdb.DuckDBPyConnection:
    """A cursor of the shared connection, for this script run (DuckDB cursors are per thread)."""
    path = str(db_path())
    with st.spinner(t("loading_demo")):
        return _database(path).cursor()


def language_switch() -> None:
    """Sidebar language choice, defaulting from the browser locale."""
    if "lang" not in st.session_state:
        locale = (st.context.locale or "en").lower()
        st.session_state["lang"] = "zh" if locale.startswith("zh") else "en"
    st.sidebar.radio(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True)


def placeholder(work_key: str, show: str = "accounts") -> None:
    """Say on screen that a page is not built yet, and show what is loaded (accounts or value drivers)."""
    st.info(t("coming", work=t(work_key)))
    con = get_connection()
    frame = ingest.list_accounts(con) if show == "accounts" else ingest.list_value_drivers(con)
    if frame.empty:
        st.warning(t("no_accounts" if show == "accounts" else "no_value_drivers"))
    elif show == "accounts":
        st.caption(t("accounts_loaded", n=len(frame)))
    st.dataframe(frame, hide_index=True)
