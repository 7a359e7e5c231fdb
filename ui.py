"""App-side helpers shared by pages: the cached connection, language choice and placeholders."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from i18n import LANGUAGES, column_label, t
from metrics import ingest
from metrics.access import LOCAL, Access, access_for, auth_problem, load_roles, secrets_problem
from metrics.period import Period, add_months, data_months, default_period
from metrics.store import DataError, Reader, connect, db_path, reader


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
    return str(db_path()), ingest.data_version(get_connection())


def period_picker(con: duckdb.DuckDBPyConnection) -> Period:
    """Start and end month pickers (end exclusive shown as the last month), defaulting to the last 3 full months."""
    first, last = data_months(con)
    default = default_period(con)
    if first is None:
        return default
    months = [first]
    while months[-1] < last:
        months.append(add_months(months[-1], 1))
    left, right = st.columns(2)
    start = left.selectbox(t("period_start"), months, index=months.index(default.start) if default.start in months
                           else 0, format_func=lambda m: f"{m:%Y-%m}")
    options = [m for m in months if m >= start]
    default_last = add_months(default.end, -1)
    final = right.selectbox(t("period_last"), options, format_func=lambda m: f"{m:%Y-%m}",
                            index=options.index(default_last) if default_last in options else len(options) - 1)
    return Period(start, add_months(final, 1))


def fmt(value: float | None, unit: str, currency: str | None = None, signed: bool = False,
        compact: bool = False) -> str:
    """A figure for people: fractions as percentages, money with its currency, n/a for None."""
    if value is None or value != value:
        return t("na")
    if unit == "fraction":
        return f"{value:+.1%}" if signed else f"{value:.1%}"
    if unit == "currency":
        if compact and abs(value) >= 10_000:
            scaled, suffix = (value / 1e6, "M") if abs(value) >= 1e6 else (value / 1e3, "k")
            return f"{currency or ''} {scaled:,.1f}{suffix}".strip()
        return f"{currency or ''} {value:,.2f}".strip()
    if unit == "hours":
        return f"{value:,.1f} h"
    return f"{value:,.2f}"


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
    table(frame, hide_index=True)


def plain(text: str) -> str:
    """Customer text made inert for st.markdown and every label: Markdown punctuation escaped, and with it `$`
    (LaTeX math), `:` (Streamlit's :color[...] and :icon: directives), `&` (HTML entities), `^` and `=`.
    HTML is never enabled."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:&^=])", r"\\\1", str(text))


@st.cache_data(show_spinner=False, max_entries=64)
def export_file(account_id: str, start: date, end: date, fmt: str, lang: str, key: tuple[str, int]) -> bytes:
    """One account's Excel report or QBR deck, cached per account, period, language and data version."""
    from exports.batch import export_one  # openpyxl and python-pptx load only when a file is asked for

    return export_one(get_connection(), account_id, Period(start, end), fmt, lang, peers=peer_table(start, end, key))


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


def labelled(columns: object, config: dict | None = None) -> dict:
    """`config` (a column_config) with each column id that has a heading in the current language headed by it;
    a label set in `config`, a plain-string label or a hidden (None) column is kept as it is."""
    config = dict(config or {})
    for column in columns:
        label = column_label(str(column))
        current = config.get(column, {})
        if label is not None and isinstance(current, dict) and not current.get("label"):
            config[column] = {**current, "label": label}
    return config


def table(frame: pd.DataFrame, *, labels: bool = True, **kwargs: object) -> object:
    """st.dataframe with column ids headed in the current language (`labels=False` shows a file's own headers),
    whose built-in CSV download cannot carry a formula: customer text starting with = + - @ (or a tab or CR) gets
    a leading apostrophe, numbers stay numbers. The download keeps the column ids."""
    from exports.safety import safe_csv_frame

    frame = safe_csv_frame(pd.DataFrame(frame))
    if labels:
        kwargs["column_config"] = labelled(frame.columns, kwargs.get("column_config"))
    return st.dataframe(frame, **kwargs)


def export_portfolio(period: Period, account_ids: list[str], language: str) -> None:
    """Build every listed account's file into a zip with a progress bar, then offer it for download."""
    fmt_ = st.radio(t("export_format"), ("xlsx", "pptx"), horizontal=True, key="export_all_format")
    if not st.button(t("export_all"), key="export_all_go"):
        return
    from exports.batch import zip_all

    bar = st.progress(0.0)

    def progress(done: int, total: int, account_id: str) -> None:
        bar.progress(done / total, text=t("export_running", done=done, total=total, account=account_id))

    data = zip_all(get_connection(), period, fmt_, lang=language, account_ids=account_ids, progress=progress)
    st.success(t("export_ready", n=len(account_ids)))
    st.download_button(t("download_zip"), data, file_name=f"ValueLens_{period.start:%Y-%m}_{fmt_}.zip",
                       mime="application/zip", icon=":material/download:", key="export_all_zip")


BENCH_UNITS = {"key_feature_adoption": "fraction", "breadth": "number", "efficiency_delta": "fraction",
               "hours_saved_per_seat": "hours", "value_per_seat": "currency"}


def show_benchmark(bench: dict) -> None:
    """A benchmark record (metrics.benchmarks.Benchmark.to_dict) as a table and a percentile chart."""
    import charts
    from metrics.benchmarks import REASONS

    rows = []
    for f in bench["figures"]:
        unit = BENCH_UNITS[f["metric"]]
        cohort = t(f"cohort_{f['cohort']}") + (f" ({f['cohort_label']})" if f["cohort_label"] else "") \
            if f["cohort"] else t("na")

        def show(value: float | None, u: str = unit, m: dict = f) -> str:
            return fmt(value, u, m["currency"], signed=m["metric"] == "efficiency_delta")
        rows.append({t("bench_figure"): t(f"fig_{f['metric']}"), t("bench_own"): show(f["value"]),
                     t("bench_percentile"): t("na") if f["percentile"] is None else f"{f['percentile']:.0f}",
                     t("bench_p25"): show(f["p25"]), t("bench_median"): show(f["median"]),
                     t("bench_p75"): show(f["p75"]), t("bench_pooled"): show(f["pooled"]),
                     t("bench_peers"): f["peers"] or 0, t("bench_cohort"): cohort,
                     t("bench_note"): f["reason"] or REASONS.get(f["pooled_reason"] or "", "")})
    table(rows, hide_index=True)
    ranked = pd.DataFrame({"figure": [t(f"fig_{f['metric']}") for f in bench["figures"] if f["percentile"] is not None],
                           "percentile": [f["percentile"] for f in bench["figures"] if f["percentile"] is not None]})
    if not ranked.empty:
        st.plotly_chart(charts.bars(ranked, "figure", "percentile", title=t("bench_chart")), key="bench_chart")
    st.caption(t("bench_caption"))


def sign_in_state() -> tuple[str, str | None]:
    """("local", None) when no sign-in is configured at all, ("on", None) when it is, ("broken", why) when a
    secrets file exists but cannot be read or its [auth] is incomplete: then nobody gets in (fail closed).
    Checked on every run, so a secrets file edited while the server runs is judged as it is now."""
    from streamlit import config

    paths = list(config.get_option("secrets.files") or [])
    problem = secrets_problem(paths)
    if problem:
        return "broken", problem
    try:
        has_auth = "auth" in st.secrets
    except st.errors.StreamlitSecretNotFoundError as exc:
        if any(Path(p).exists() for p in paths):
            return "broken", str(exc)
        return "local", None
    except FileNotFoundError:
        return "local", None
    if not has_auth:
        return "local", None
    problem = auth_problem(st.secrets["auth"])
    return ("broken", problem) if problem else ("on", None)


def sign_in_configured() -> bool:
    """True when sign-in is configured, also when it is configured wrongly (then nobody gets in)."""
    return sign_in_state()[0] != "local"


def current_access() -> Access | None:
    """This run's user and what they may see: LOCAL without sign-in, None when signed out, not in the roles
    file, or when the sign-in configuration is broken."""
    state, _ = sign_in_state()
    if state == "local":
        return LOCAL
    if state == "broken" or not st.user.get("is_logged_in"):
        return None
    return access_for(st.user.get("email"), load_roles())


def require_access() -> Access:
    """The app's gate: a sign-in screen when sign-in is configured and nobody (allowed) is signed in."""
    state, problem = sign_in_state()
    if state == "local":
        st.sidebar.caption(t("local_mode"))
        return LOCAL
    if state == "broken":
        st.title(t("app_title"))
        st.error(t("sign_in_broken", reason=plain(problem or "")))
        st.stop()
    if not st.user.get("is_logged_in"):
        st.title(t("app_title"))
        st.info(t("sign_in_needed"))
        st.button(t("sign_in"), on_click=st.login, type="primary")
        st.stop()
    try:
        access = current_access()
    except DataError as exc:
        st.error(str(exc))
        st.stop()
    if access is None:
        st.error(t("not_authorized", email=plain(st.user.get("email") or "?")))
        st.button(t("sign_out"), on_click=st.logout)
        st.stop()
    st.sidebar.caption(t("signed_in_as", email=plain(access.user), role=t(f"role_{access.role}")))
    st.sidebar.button(t("sign_out"), on_click=st.logout)
    return access


def guard(need: str = "accounts") -> Access:
    """First line of every page: stop unless this run's user may open it. app.py's navigation already leaves
    pages out by role, but a page can also run on its own (Streamlit serves pages/ directly to the first visitor
    after a restart, before app.py has declared the navigation), so each page checks again.
    need: "accounts" (any signed-in user), "all_accounts" (executive, ops) or "data" (ops, local)."""
    try:
        access = current_access()
    except DataError:  # an unreadable roles file: nobody gets in (app.py shows the file's error)
        access = None
    allowed = access is not None and (need == "accounts" or (need == "all_accounts" and access.all_accounts)
                                      or (need == "data" and access.manages_data))
    if not allowed:
        st.error(t("page_not_allowed"))
        st.stop()
    return access


def visible_accounts(con) -> pd.DataFrame:
    """The loaded accounts this run's user may see (every account in local mode)."""
    access = current_access()
    accounts = ingest.list_accounts(con)
    return access.scope(accounts) if access else accounts.iloc[0:0]


def current_user() -> str:
    """Who is acting: the signed-in user's email when sign-in is configured, else 'local'."""
    return str(st.user.get("email") or "local") if st.user.get("is_logged_in") else "local"
