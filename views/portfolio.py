"""Executives > Portfolio: value delivered and adoption across accounts, the adoption heatmap, and the accounts
that realize the most value or have the most at risk (click one to open its report)."""
from datetime import date

import pandas as pd
import streamlit as st

import charts
import wording
from i18n import column_label, lang, t
from metrics import adoption, lifecycle, people, portfolio, report
from metrics.attention import attention
from metrics.period import Period, add_months
from ui.downloads import export_portfolio
from ui.session import cache_key, get_connection
from ui.signin import guard
from ui.text import chart_labels, feature_text, fmt, term_text
from ui.widgets import choices, period_picker, table

guard("all_accounts")
st.title(t("page_portfolio"))
con = get_connection()
period = period_picker()


@st.cache_data(show_spinner=False, max_entries=32)
def load(start: date, end: date, key: tuple[str, int], today: date) -> dict:
    """Portfolio-wide figures for a period (executives see every account); renewals counted from `today`."""
    con, period = get_connection(), Period(start, end)
    stages = lifecycle.lifecycle_table(con, period=period)  # read once: the funnel and the attention list
    delivered = report.value_delivered_table(con, period)  # ... and value delivered: its chart and the list
    return {"table": portfolio.portfolio_table(con, start=start, end=end),
            "heatmap": adoption.industry_heatmap(con, start=start, end=end),
            "stages": stages, "delivered": delivered, "people": people.portfolio(con, period),
            "attention": attention(con, period=period, table=stages, delivered=delivered, today=today),
            "hours": {"start": add_months(end, -12), "end": end}}


today = date.today()
data = load(period.start, period.end, cache_key(), today)
frame = data["table"]
filters = {c: choices(st.sidebar.multiselect, t(f"filter_{c}"),
                      {v: term_text(c, v) for v in sorted(frame[c].dropna().unique())}, key=f"portfolio_{c}",
                      placeholder=t("choose"))
           for c in ("industry", "region", "segment")}
chosen = portfolio.filter_accounts(frame, **filters)
for row in portfolio.summarize(chosen).itertuples(index=False):
    cols = st.columns(5)
    cols[0].metric(t("accounts"), row.accounts)
    cols[1].metric(t("kpi_value"), fmt(row.value, "currency", row.currency, compact=True))
    cols[2].metric(t("kpi_hours_saved"), fmt(row.hours_saved, "hours", compact=True))
    cols[3].metric(t("kpi_fte_equivalent"), fmt(row.fte_equivalent, "FTE"))
    cols[4].metric(t("kpi_key_feature_adoption"), fmt(row.key_feature_adoption, "fraction"))
trend = portfolio.hours_trend(con, **data["hours"], account_keys=list(chosen["account_key"]))
left, right = st.columns(2)
left.plotly_chart(charts.bars(trend, "month", "hours_saved", title=t("chart_hours_trend"), y_title=t("hours_unit"),
                              labels=chart_labels("month", "hours_saved")), key="trend")
# industries and features in the page's language
heat = data["heatmap"].rename(columns=lambda c: term_text("industry", c), index=feature_text)
right.plotly_chart(charts.heatmap(heat, title=t("chart_heatmap"), labels={
    "x": column_label("industry"), "y": column_label("feature"), "color": column_label("adoption_rate")}),
    key="heatmap")
stages = data["stages"][data["stages"]["account_id"].isin(set(chosen["account_id"]))]
last_month = stages[stages["month"] == add_months(period.end, -1)]
at_end = last_month["stage"].value_counts()
churned = set(last_month.loc[last_month["stage"] == "churned", "account_id"])
funnel = pd.DataFrame({"stage": [t(f"stage_{s}") for s in lifecycle.STAGES],
                       "accounts": [int(at_end.get(s, 0)) for s in lifecycle.STAGES]})
moves = lifecycle.transitions(stages)
# four kinds of move, four colours (eight from -> to pairs in four shades could not be told apart)
moves["change"] = [t("move_churned") if b == "churned" else t("move_fell") if b == "at_risk"
                   else t("move_recovered") if a == "at_risk" else t("move_forward")
                   for a, b in zip(moves["from"], moves["to"])]
moves = moves.groupby(["quarter", "change"], as_index=False)["accounts"].sum()
left, right = st.columns(2)
left.plotly_chart(charts.bars(funnel, "stage", "accounts", title=t("chart_stages"), y_title=t("accounts"),
                              labels=chart_labels("stage", "accounts")), key="stages")
right.plotly_chart(charts.stacked_bars(moves, "quarter", "accounts", "change", title=t("chart_stage_moves"),
                                       y_title=t("accounts"), labels=chart_labels("quarter", "accounts", "change"),
                                       colors={t("move_forward"): "#2ca02c", t("move_recovered"): "#1f77b4",
                                               t("move_fell"): "#d62728", t("move_churned"): "#444444"}),
                   key="moves")
shares = data["delivered"][data["delivered"]["account_id"].isin(set(chosen["account_id"]))]["value_delivered"]
if shares.notna().any():  # how much of what was promised has been delivered, across the accounts with objectives
    bands = portfolio.delivered_bands(shares)
    bands["band"] = [f"{lo:.0%}–{hi:.0%}" for lo, hi in zip(bands["low"], bands["high"])]
    left, right = st.columns(2)
    left.plotly_chart(charts.bars(bands, "band", "accounts", title=t("chart_delivered"), y_title=t("accounts"),
                                  labels={"band": t("delivered_band"), **chart_labels("accounts")}), key="delivered")
    right.metric(t("delivered_median"), fmt(float(shares.median()), "fraction"))
    right.caption(t("delivered_help", n=int(shares.notna().sum()), below=int((shares < 0.5).sum())))
columns = ["account_id", "account_name", "industry", "currency", "hours_saved", "value", "key_feature_adoption",
           "renewal_date", "risk_score", "value_at_risk"]
config = {"key_feature_adoption": st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent"),
          "renewal_date": st.column_config.DateColumn()}  # numbers take ui.widgets.NUMBER_FORMATS
watch = pd.DataFrame([{"account_id": a, "account_name": name,
                       "reasons": ("；" if lang() == "zh" else "; ").join(
                           wording.attention_reason(f.rule, f.values, lang()) for f in flags)}
                      for a, name, flags in data["attention"] if a in set(chosen["account_id"])],
                     columns=["account_id", "account_name", "reasons"])
for title, ranked, shown_columns in ((t("rank_attention"), watch, list(watch.columns)),
                                     (t("rank_value"), chosen.sort_values("hours_saved", ascending=False), columns),
                                     # what the table ranks by right after the name, visible without scrolling
                                     # a churned account is lost, not at risk
                                     (t("rank_risk"), chosen[~chosen["account_id"].isin(churned)],
                                      ["account_id", "account_name", "risk_score", "value_at_risk", "renewal_date",
                                       "key_feature_adoption", "currency", "industry", "hours_saved", "value"])):
    st.subheader(title)
    if ranked is watch:
        st.caption(t("attention_today", date=today.isoformat()))
    picked = table(ranked[shown_columns], hide_index=True, column_config=config, on_select="rerun",
                   selection_mode="single-row", key=title)
    if picked.selection.rows:
        st.switch_page("views/account_report.py",
                       query_params={"account": ranked.iloc[picked.selection.rows[0]]["account_id"],
                                     "from": f"{period.start:%Y-%m}", "to": f"{add_months(period.end, -1):%Y-%m}"})
# accounts whose value hangs on one person: counts and shares only, never a user
crowd = data["people"].merge(frame[["account_key", "account_id", "account_name"]], on="account_key")
crowd = crowd[crowd["account_id"].isin(set(chosen["account_id"]))].sort_values("top1_share", ascending=False)
st.subheader(t("rank_concentration"))
table(crowd.assign(single_champion=[t("yes") if x else "" for x in crowd["single_champion"]])[
    ["account_id", "account_name", "top1_share", "top3_share", "single_champion", "champion", "regular",
     "occasional", "dormant"]].rename(columns={s: f"segment_{s}" for s in people.SEGMENTS}), hide_index=True,
      column_config={"top1_share": st.column_config.NumberColumn(format="percent"),
                     "top3_share": st.column_config.NumberColumn(format="percent")})
with st.expander(t("export_all")):
    st.caption(t("export_all_help"))
    export_portfolio(period, list(chosen["account_id"]), lang())
