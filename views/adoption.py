"""Executives > Adoption explorer: feature adoption over time, cohort curves by go-live quarter, and how many
features each active user uses."""
from datetime import date

import streamlit as st

import charts
from i18n import t
from metrics import adoption
from metrics.period import add_months
from ui.session import cache_key, get_connection
from ui.signin import guard
from ui.text import chart_labels, feature_text
from ui.widgets import choices, period_picker

guard("all_accounts")
st.title(t("page_adoption"))
con = get_connection()
period = period_picker()


@st.cache_data(show_spinner=False, max_entries=32)
def load(start: date, end: date, key: tuple[str, int]) -> dict:
    """Portfolio adoption figures: 12-month feature trend, cohort curves, breadth distribution."""
    con = get_connection()
    return {"trend": adoption.feature_trend(con, start=add_months(end, -12), end=end),
            "cohorts": adoption.cohort_curves(con),
            "breadth": adoption.breadth_distribution(con, start=start, end=end)}


data = load(period.start, period.end, cache_key())
if data["trend"].empty:
    st.info(t("no_activity"))
    st.stop()
features = sorted(data["trend"]["feature"].unique())
chosen = choices(st.multiselect, t("features"), {f: feature_text(f) for f in features}, key="adoption_features",
                 default=features[:5], placeholder=t("choose"))
trend = data["trend"][data["trend"]["feature"].isin(chosen)]
trend = trend.assign(feature=trend["feature"].map(feature_text))  # named in the page's language
st.plotly_chart(charts.lines(trend, "month", "adoption_rate", "feature", title=t("chart_feature_trend"),
                             percent=True, labels=chart_labels("month", "adoption_rate", "feature")), key="trend")
left, right = st.columns(2)
cohort_labels = chart_labels("months_since_go_live", "seat_utilization", "cohort")
left.plotly_chart(charts.lines(data["cohorts"], "months_since_go_live", "seat_utilization", "cohort",
                               title=t("chart_cohorts"), percent=True, labels=cohort_labels), key="cohorts")
right.plotly_chart(charts.bars(data["breadth"], "features", "users", title=t("chart_breadth"),
                               y_title=t("users"), labels=chart_labels("features", "users")), key="breadth")
st.caption(t("adoption_caption"))
