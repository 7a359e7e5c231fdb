"""Widgets pages share: the period picker, the language switch, tables and the benchmark panel."""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from i18n import LANGUAGES, lang, t
from metrics.period import Period, add_months
from ui.text import chart_labels, display_terms, fmt, labelled, plain, reason_text, term_text


def file_uploader(label: str, types: list[str], key: str) -> list:
    """st.file_uploader with its own words (the button, the size limit and the types) in the current language.

    Streamlit writes "Upload" and "200MB per file" in English whatever the page's language and has no setting for
    them, so the Chinese page replaces them with CSS `content` from the catalog: our constant text, never a file's.
    """
    if lang() != "en":
        mb = st.get_option("server.maxUploadSize")
        limit = t("upload_limit", mb=mb, types="、".join(x.upper() for x in types))
        st.html("<style>"
                '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,'
                '[data-testid="stFileUploaderDropzoneInstructions"] span {font-size: 0; line-height: 0}'
                '[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after'
                f" {{content: {json.dumps(t('upload_button'), ensure_ascii=False)}; font-size: 14px; "
                "line-height: 22.4px}"
                '[data-testid="stFileUploaderDropzoneInstructions"] span::after'
                f" {{content: {json.dumps(limit, ensure_ascii=False)}; font-size: 14px; line-height: 22.4px}}"
                "</style>")
    return st.file_uploader(label, type=types, accept_multiple_files=True, key=key) or []


def _month_param(name: str, months: list[date]) -> date | None:
    """The month a query parameter names (YYYY-MM), when it is one of `months`."""
    try:
        month = datetime.strptime(str(st.query_params.get(name, "")), "%Y-%m").date()
    except ValueError:
        return None
    return month if month in months else None


def choice(widget: Callable[..., Any], label: str, labels: dict[Any, str], *, key: str, default: Any = None,
           none: bool = False, **kwargs: Any) -> Any:
    """`widget` (a radio or selectbox: st.radio, a column's selectbox) over the keys of `labels`, shown as their
    labels (made in this run's language: AppTest formats a value after the run), its choice kept when the language
    changes: the value is set again before every run (Streamlit matches a widget's value by its label, and unselects
    it when the label changed). The first time: `default` when it is an option, else no choice when `none` (a
    selectbox with a placeholder), else the first option."""
    options = list(labels)
    current = st.session_state.get(key, default)
    st.session_state[key] = current if current in options else default if default in options or none else options[0]
    return widget(label, options, key=key, format_func=labels.__getitem__, **kwargs)


def choices(widget: Callable[..., Any], label: str, labels: dict[Any, str], *, key: str,
            default: Sequence[Any] = (), **kwargs: Any) -> list:
    """choice for a multiselect (st.multiselect, st.sidebar.multiselect): the values chosen that are still options,
    `default` the first time. A multiselect without a key is a new, empty widget when its label is translated."""
    options = list(labels)
    st.session_state[key] = [v for v in st.session_state.get(key, default) if v in options]
    return widget(label, options, key=key, format_func=labels.__getitem__, **kwargs)


def url_selectbox(label: str, options: list, *, key: str, wanted: object, default: object,
                  format_func: Callable[[Any], str] = str, container: Any = st) -> Any:
    """A selectbox whose choice the URL carries: `wanted` (read from a query parameter by the caller) opens it when a
    link or another page asks for it, and the user's own change sticks. (A selectbox given `index=` from the URL
    becomes a new widget whenever the URL changes, which dropped every second change.)"""
    seen, current = f"{key}__url", st.session_state.get(key)
    if wanted in options and (wanted != st.session_state.get(seen) or current is None):
        current = wanted
    elif current not in options:
        current = default if default in options else options[0]
    # set on every run, before the widget: a keyed widget on another page would not carry its value over
    st.session_state[key] = current
    value = container.selectbox(label, options, key=key, format_func=format_func)
    st.session_state[seen] = value
    return value


def period_picker() -> Period:
    """First and last month pickers. The period follows the user: it is read from the URL (?from=YYYY-MM&to=YYYY-MM,
    both inclusive, so a link opens the same view), else from the period last chosen on any page of this session,
    else the last 3 full months; what is chosen is written back to both."""
    from ui.session import cache_key, months_of

    first, last, default = months_of(cache_key())
    if first is None:
        return default
    months = [first]
    while months[-1] < last:
        months.append(add_months(months[-1], 1))
    chosen = st.session_state.get("vl_period")
    start = chosen[0] if chosen and chosen[0] in months else default.start
    final = chosen[1] if chosen and chosen[1] in months else add_months(default.end, -1)
    left, right = st.columns(2)
    start = url_selectbox(t("period_start"), months, key="vl_from", wanted=_month_param("from", months),
                          default=start, format_func=lambda m: f"{m:%Y-%m}", container=left)
    options = [m for m in months if m >= start]
    final = url_selectbox(t("period_last"), options, key="vl_to", wanted=_month_param("to", options),
                          default=final if final in options else options[-1], format_func=lambda m: f"{m:%Y-%m}",
                          container=right)
    st.session_state["vl_period"] = (start, final)
    st.query_params["from"], st.query_params["to"] = f"{start:%Y-%m}", f"{final:%Y-%m}"
    return Period(start, add_months(final, 1))


def language_switch() -> None:
    """Sidebar language choice, defaulting from the browser locale."""
    if "lang" not in st.session_state:
        locale = (st.context.locale or "en").lower()
        st.session_state["lang"] = "zh" if locale.startswith("zh") else "en"
    st.sidebar.radio(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True)


def table(frame: pd.DataFrame, *, labels: bool = True, **kwargs: object) -> object:
    """st.dataframe with column ids headed in the current language (`labels=False` shows a file's own headers),
    whose built-in CSV download cannot carry a formula: customer text starting with = + - @ (or a tab or CR) gets
    a leading apostrophe, numbers stay numbers. The download keeps the column ids."""
    from exports.safety import safe_csv_frame

    frame = safe_csv_frame(display_terms(pd.DataFrame(frame)))
    if frame.empty and "on_select" not in kwargs:  # the grid would say "empty" in English
        return st.caption(t("no_rows"))
    config = dict(kwargs.get("column_config") or {})
    for column in frame.columns:  # figures as people read them: 26,744.02 not 26744.02, 75.7% not 0.7567
        if column in NUMBER_FORMATS and column not in config and pd.api.types.is_numeric_dtype(frame[column]):
            config[column] = st.column_config.NumberColumn(format=NUMBER_FORMATS[column])
    kwargs["column_config"] = labelled(frame.columns, config) if labels else config
    return st.dataframe(frame, **kwargs)


_MONEY, _HOURS, _COUNT, _PERCENT, _SCORE = "%,.2f", "%,.1f", "%,d", "percent", "%.2f"
# the display format of each numeric column id the pages show (money carries its currency in the currency column)
NUMBER_FORMATS = {
    **dict.fromkeys(("value", "value_after", "value_before", "value_change", "value_at_risk", "hourly_cost"), _MONEY),
    **dict.fromkeys(("hours_saved", "hours_saved_after", "hours_saved_before", "minutes_saved"), _HOURS),
    **dict.fromkeys(("events", "seats", "features_adopted", "time_to_value_days", "rows_read", "rows_loaded",
                     "rows_unchanged", "rows_rejected", "rows_excluded", "rows_filtered"), _COUNT),
    **dict.fromkeys(("key_feature_adoption", "efficiency_delta", "efficiency_ci_low", "efficiency_ci_high", "roi",
                     "adoption_rate", "seat_utilization"), _PERCENT),
    **dict.fromkeys(("risk_score", "score"), _SCORE),
}


BENCH_UNITS = {"key_feature_adoption": "fraction", "breadth": "number", "efficiency_delta": "fraction",
               "hours_saved_per_seat": "hours", "value_per_seat": "currency"}


def show_benchmark(bench: dict, cohort: str, chart_of: tuple[str, date, date, tuple[str, int], str]) -> None:
    """A benchmark record (metrics.benchmarks.Benchmark.to_dict) of a cohort as a table and a percentile chart;
    `chart_of`: the account, period start and end, data version and language it is of (its chart's cache key)."""
    import charts
    from metrics.benchmarks import REASONS
    from ui.session import figure as cached_figure

    rows = []
    for f in bench["figures"]:
        unit = BENCH_UNITS[f["metric"]]
        label = term_text(f["cohort"], f["cohort_label"]) if f["cohort"] in ("industry", "region", "segment") \
            else f["cohort_label"]
        cohort = t(f"cohort_{f['cohort']}") + (f" ({label})" if label else "") if f["cohort"] else t("na")

        def show(value: float | None, u: str = unit, m: dict = f) -> str:
            return fmt(value, u, m["currency"], signed=m["metric"] == "efficiency_delta")
        rows.append({t("bench_figure"): t(f"fig_{f['metric']}"), t("bench_own"): show(f["value"]),
                     t("bench_percentile"): t("na") if f["percentile"] is None else f"{f['percentile']:.0f}",
                     t("bench_p25"): show(f["p25"]), t("bench_median"): show(f["median"]),
                     t("bench_p75"): show(f["p75"]), t("bench_pooled"): show(f["pooled"]),
                     t("bench_peers"): f["peers"] or 0, t("bench_cohort"): cohort})
    table(rows, hide_index=True)
    # why a figure is withheld or widened, in full under the table (a table cell cut it off)
    notes = []
    for f in bench["figures"]:
        if f["reason"] or f["pooled_reason"]:
            figure = t("fig_" + f["metric"])
            notes.append(f"- **{figure}**: {plain(reason_text(f['reason'] or REASONS.get(f['pooled_reason'], '')))}")
    if notes:
        st.caption(t("bench_note") + "\n" + "\n".join(notes))
    ranked = pd.DataFrame({"figure": [t(f"fig_{f['metric']}") for f in bench["figures"] if f["percentile"] is not None],
                           "percentile": [f["percentile"] for f in bench["figures"] if f["percentile"] is not None]})
    if not ranked.empty:
        st.plotly_chart(cached_figure(f"bench-{cohort}", *chart_of, lambda: charts.bars(
            ranked, "figure", "percentile", title=t("bench_chart"), labels=chart_labels("figure", "percentile"))),
                        key="bench_chart")
    st.caption(t("bench_caption"))
