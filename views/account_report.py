"""Customer success > Account value report: headline KPIs, trends around go-live, adoption against peers, and
the underused features to raise in the QBR."""
from datetime import date

import pandas as pd
import streamlit as st

import charts
import wording
from i18n import lang, t
from metrics import adoption, catalog, efficiency, objectives, people, report, requirements
from metrics.accounts import get_account
from metrics.benchmarks import benchmark
from metrics.errors import DataError
from metrics.period import Period, data_months
from metrics.privacy import MIN_OTHERS, MIN_OTHERS_FOR_QUARTILES
from metrics.registry import METRICS
from metrics.story import history, storyline
from ui.downloads import csv_bytes, export_file
from ui.plan import plan_editor
from ui.session import cache_key, figure, get_connection, peer_table, people_of, report_inputs, writing
from ui.share_panel import confirmation_caption, share_panel
from ui.signin import current_user, guard, visible_accounts
from ui.text import feature_text, fmt, formula_text, labelled, plain, reason_text
from ui.widgets import choice, period_picker, show_benchmark, table, url_selectbox
from wording import title_in

RECOMMENDATIONS_SHOWN = 5  # the biggest gains, one bullet each; the rest summed in one line

viewer = guard("accounts")
st.title(t("page_account"))
con = get_connection()
accounts = visible_accounts()
if accounts.empty:
    st.warning(t("no_accounts") if catalog.is_empty(con) else t("no_visible_accounts"))
    st.stop()
names = dict(zip(accounts["account_id"], accounts["account_name"]))
ids = list(names)
account_id = url_selectbox(t("account"), ids, key="vl_account", wanted=st.query_params.get("account"),
                           default=ids[0], format_func=lambda a: f"{names[a]} ({a})")
st.query_params["account"] = account_id
period = period_picker()


@st.cache_resource(show_spinner=False, max_entries=256)
def load(account_id: str, start: date, end: date, key: tuple[str, int]) -> dict:
    """Everything this page shows for one account and period; cached per account, period and data version, and
    shared read-only by every session that may see the account (no copy per rerun, which cost 7 % of one): a
    frame the page changes is copied first."""
    con, p = get_connection(), {"account_id": account_id, "start": start, "end": end}
    first = data_months(con)[0] or start
    rep = report.account_report(con, account_id=account_id, period=Period(start, end),
                                inputs=report_inputs(start, end, key))
    mau = adoption.mau(con, account_id=account_id, start=min(first, start), end=end)
    bench = benchmark(con, **p, cohort="industry", table=peer_table(start, end, key)).to_dict()
    account = get_account(con, account_id)
    story = storyline(rep, account, [(m.date(), int(n)) for m, n in zip(pd.to_datetime(mau["month"]),
                                                                         mau["active_users"])],
                      [(f["metric"], f["percentile"]) for f in bench.get("figures", [])],
                      history(con, account, Period(start, end)))
    return {"report": rep, "mau": mau, "story": story,
            "output": efficiency.output_per_person(con, account_id=account_id),
            "peers": adoption.adoption_vs_peers(con, **p), "bench": bench, "account": account,
            "objectives": objectives.editable(con, account), "versions": objectives.versions(con, account),
            "asked": requirements.of_account(con, account_id)}


data = load(account_id, period.start, period.end, cache_key())
key, stem, language = cache_key(), f"ValueLens_{account_id}_{period.file_part()}", lang()
chart_of = (account_id, period.start, period.end, key, language)  # what this page's charts depend on
download_cols = st.columns([1, 1, 3])
# the deck names nobody unless asked: its appendix then lists whom to invite to training, shown so
ways = {m: t(f"deck_people_{m}") for m in ("none", *people.LABELS)}
people_as = choice(download_cols[2].selectbox, t("deck_people"), ways, key="deck_people") \
    if viewer.sees_people else "none"
people_as = None if people_as == "none" else people_as  # executives: the deck names nobody
# off, the files are the customer's; on, the deck gains the internal appendix and the workbook its Internal sheet
internal = download_cols[2].toggle(t("export_internal"), key="export_internal", help=t("export_internal_help"))
for col, (fmt_, label, mime) in zip(download_cols[:2], (
        ("xlsx", t("download_xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pptx", t("download_pptx"), "application/vnd.openxmlformats-officedocument.presentationml.presentation"))):
    # built on click, in its own thread: the closure holds this run's account, period and language
    col.download_button(label, lambda f=fmt_, a=account_id, lg=language, p=people_as, i=internal: export_file(
                            a, period.start, period.end, f, lg, key, p, i),
                        file_name=f"{stem}{'_internal' if internal else ''}.{fmt_}", mime=mime,
                        icon=":material/download:", key=f"dl-{fmt_}")
rep = data["report"]
eff, money = rep.efficiency, rep.cost
st.caption(t("period_caption", period=period.label(), go_live=rep.go_live_date or t("na")))
story = data["story"]
story_text = t(f"story_{story.case}", roi=fmt(money.roi, "fraction", signed=True),
               gap=fmt(story.value_gap, "currency", money.currency), change=fmt(story.usage_change, "fraction",
                                                                                signed=True))
# a feature name is customer text: shown as plain text, never markup
risks = [wording.risk_text(r.code, r.value, r.detail, lang(), t, escape=plain) for r in story.risks]
(st.info if story.case == "positive" else st.warning)(
    story_text + ("  \n" + t("story_risks", risks=" · ".join(risks)) if risks else ""), icon=":material/campaign:")
kpis = report.headline_kpis(rep)
for row in (kpis[:5], kpis[5:]):
    for col, k in zip(st.columns(5), row):
        shown = fmt(k.value, k.unit, money.currency, signed=k.unit == "fraction" and "delta" in k.name, compact=True)
        col.metric(t(f"kpi_{k.name}"), shown, help=formula_text(k.name, METRICS[k.name].formula)
                   + (f" — {reason_text(k.reason)}" if k.reason else ""))
confirmation_caption(account_id, period, rep)  # what the customer said of these figures (share.py)
if eff.delta is not None:
    interval = {"low": fmt(eff.ci_low, "fraction", signed=True),
                "high": fmt(eff.ci_high, "fraction", signed=True),
                "basis": t("basis_usage" if eff.basis == efficiency.USAGE_BASIS else "basis_outcomes")}
    if eff.adjusted_delta is not None:
        st.caption(t("eff_caption", **interval, n=eff.comparison_accounts))
    else:
        reason = "adjusted_usage" if eff.adjusted_reason == efficiency.NO_COMPARISON_USAGE else "adjusted_too_few"
        st.caption(t("eff_caption_unadjusted", **interval, reason=t(reason)))
life, score = rep.lifecycle, rep.health
stage_col, health_col = st.columns([3, 2])
if life is not None:
    stage_col.metric(t("lifecycle_title"), t(f"stage_{life.stage}"),
                     help=formula_text("lifecycle_stage", METRICS["lifecycle_stage"].formula))
    stage_col.caption(t("lifecycle_since", since=f"{life.since:%Y-%m}", months=life.months_in_stage)
                      + (" · " + t("lifecycle_activation", days=life.days_to_activation)
                         if life.days_to_activation is not None else "")
                      + "  \n" + t("lifecycle_time", stages=" · ".join(
                          f"{t('stage_' + s)} {n}" for s, n in (life.months_by_stage or {}).items())))
if score is not None:
    # without a score the tile shows a dash and the caption says why in full (the word was cut off in the tile)
    health_col.metric(t("health_title"), fmt(score.score, "count") + " / 100" if score.score is not None
                      else "—", help=formula_text("health_score", METRICS["health_score"].formula))
    if score.reason:
        health_col.caption(t("insufficient_data") + ": " + reason_text(score.reason))
    with st.expander(t("health_why")):  # every point of the score, explained
        units = {"adoption": "fraction", "efficiency": "fraction", "seats": "fraction", "usage_trend": "fraction",
                 "renewal": "count", "value_delivered": "fraction", "concentration": "fraction"}
        table([{"component": t(f"health_{c.name}"),
                "figure": fmt(c.figure, units[c.name], signed=c.name in ("efficiency", "usage_trend")),
                "weight": fmt(c.weight, "fraction"), "points": fmt(c.contribution, "number")}
               for c in score.components], hide_index=True)
st.subheader(t("objectives_title"))
if rep.objectives:
    def shown_as(metric: str, value: float | None) -> str:
        return fmt(value, objectives.UNITS[metric], money.currency, signed=metric.endswith("_delta"))

    table([{"objective": t(f"metric_{o.metric}"), "baseline": shown_as(o.metric, o.baseline),
            "current": shown_as(o.metric, o.current), "target": shown_as(o.metric, o.target),
            "target_date": o.target_date, "progress": o.progress, "status": t(f"status_{o.status}"),
            "owner": o.owner} for o in rep.objectives], hide_index=True,
          column_config={"progress": st.column_config.ProgressColumn(min_value=0, max_value=1, format="percent"),
                         "target_date": st.column_config.DateColumn()})
    st.caption(t("value_delivered_caption", share=fmt(rep.value_delivered, "fraction")))
else:
    st.caption(t("objectives_none"))
if (case := rep.projection) is not None:  # the business case, month by month, against what was realized
    plan = pd.DataFrame([{"month": m.month, "projected": m.projected, "realized": m.realized} for m in case.months])
    st.plotly_chart(figure("projection", *chart_of, lambda: charts.projection(
        plan, title=t("chart_projection"), y_title=money.currency or "", projected=t("projected"),
        realized=t("realized"))), key="projection")
    st.caption(t("projection_caption", realized=fmt(case.realized_to_date, "currency", money.currency, compact=True),
                 projected=fmt(case.projected_to_date, "currency", money.currency, compact=True),
                 share=fmt(case.realized_share, "fraction"),
                 annual=fmt(case.annual_value, "currency", money.currency, compact=True)),
               help=formula_text("projected_value", METRICS["projected_value"].formula))
with st.expander(t("objectives_edit")):  # validated like the import; every save a version
    account = data["account"]
    metric_ids = {t(f"metric_{m}"): m for m in objectives.METRICS}  # shown in the page's language, saved as ids
    current_objectives = data["objectives"].copy()
    current_objectives["metric"] = current_objectives["metric"].map({m: n for n, m in metric_ids.items()})
    edited = st.data_editor(current_objectives, num_rows="dynamic", hide_index=True,
                            key=f"objectives-{account_id}", column_config=labelled(objectives.COLUMNS, {
                                "metric": st.column_config.SelectboxColumn(options=list(metric_ids), required=True),
                                "target_date": st.column_config.DateColumn(required=True)}))
    change_note = st.text_input(t("note"), key=f"objectives-note-{account_id}")
    if st.button(t("objectives_save"), key=f"objectives-save-{account_id}"):
        try:
            with writing() as writable:
                version = objectives.save(writable, account, edited.assign(metric=edited["metric"].map(metric_ids)),
                                          user=current_user(), note=change_note)
        except DataError as exc:
            st.error(reason_text(str(exc)))
        else:
            st.session_state.pop(f"objectives-{account_id}", None)
            st.session_state["objectives_saved"] = version
            st.rerun()
    if saved := st.session_state.pop("objectives_saved", None):
        st.success(t("objectives_saved", version=saved))
    saved_versions = data["versions"]
    if not saved_versions.empty:
        table(saved_versions, hide_index=True)
plan_editor(data["account"])  # the action plan agreed for next quarter, printed on the deck's last slide
asked = data["asked"].copy()  # what this customer asked for, and where it stands
st.subheader(t("account_requests_title"))
if asked.empty:
    st.caption(t("account_requests_none"))
else:
    asked["type"] = [t(f"req_type_{k}") for k in asked["type"]]
    asked["status"] = [t(f"req_status_{s}") if isinstance(s, str) else "" for s in asked["status"]]
    for day in ("request_date", "shipped_date"):  # days as text (not midnight timestamps; one type per column)
        asked[day] = [d.date().isoformat() if isinstance(d, pd.Timestamp) and not pd.isna(d) else ""
                      for d in asked[day]]
    asked["title"] = [title_in(v, lang()) if isinstance(v, str) else "" for v in asked["title"]]
    table(asked.rename(columns={"type": "request_type"}).fillna(""), hide_index=True)
windows = {t("baseline"): list(eff.baseline_months), t("current"): list(eff.current_months)}
go_live = rep.go_live_date
left, right = st.columns(2)
# the releases that shipped what this customer asked for, on its usage chart
months_shown = pd.to_datetime(data["mau"]["month"])
releases = {d: t("release_marker", version=v) for d, v in zip(asked.get("shipped_date", []),
                                                                 asked.get("shipped_version", []))
            if isinstance(v, str) and v and not pd.isna(d) and len(months_shown)
            and months_shown.min() <= pd.Timestamp(d) < months_shown.max() + pd.offsets.MonthBegin(1)}
left.plotly_chart(figure("mau", *chart_of, lambda: charts.timeline(
    data["mau"], "active_users", title=t("chart_mau"), y_title=t("users"), go_live=go_live,
    go_live_label=t("go_live"), counts=True, releases=releases)), key="mau")
if data["output"]["output_per_person"].notna().any():
    right.plotly_chart(figure("output", *chart_of, lambda: charts.timeline(
        data["output"], "output_per_person", title=t("chart_output"), y_title=t("per_person"), go_live=go_live,
        go_live_label=t("go_live"), windows=windows)), key="output")
else:
    right.info(t("no_outcomes"))
if data["peers"].empty:
    st.info(t("no_activity"))
else:
    st.plotly_chart(figure("peers", *chart_of, lambda: charts.adoption_vs_peers(
        data["peers"].assign(feature=data["peers"]["feature"].map(feature_text)), title=t("chart_peers"),
        own=names[account_id], peers=t("peer_median"))), key="peers")
    if data["peers"]["peer_median"].isna().all():  # metrics.privacy withheld them
        st.caption(t("peers_withheld", min=MIN_OTHERS))
    elif data["peers"]["peer_rounded"].any():
        st.caption(t("peers_rounded", min=MIN_OTHERS_FOR_QUARTILES))
st.subheader(t("recommendations"))
underused = rep.adoption.underused_features  # biggest hours left first
for item in underused[:RECOMMENDATIONS_SHOWN]:
    st.markdown("- " + t("recommendation", feature=plain(feature_text(item.feature)),
                         rate=fmt(item.adoption_rate, "fraction"), median=fmt(item.peer_median, "fraction"),
                         users=item.non_adopters, hours=fmt(item.hours_left, "hours"),
                         value=fmt(item.value_left, "currency", money.currency)))
if rest := underused[RECOMMENDATIONS_SHOWN:]:  # a long tail of small gains is summed, not listed one by one
    hours_left = sum(i.hours_left for i in rest if i.hours_left == i.hours_left)
    value_left = sum(i.value_left for i in rest if i.value_left == i.value_left)
    st.caption(t("recommendations_more", n=len(rest), hours=fmt(hours_left, "hours"),
                 value=fmt(value_left, "currency", money.currency)))
if not underused:
    st.caption(t("no_recommendations"))

# the people behind the numbers (this account's own page only: user identifiers are personal data)
crowd, trainees = people_of(account_id, period.start, period.end, tuple(i.feature for i in underused), cache_key())
st.subheader(t("people_title"))
counts = people.segment_counts(crowd)
for col, segment in zip(st.columns(len(people.SEGMENTS)), people.SEGMENTS):
    col.metric(t(f"segment_{segment}"), fmt(counts[segment], "count"))
share = people.concentration(crowd)
if share.top1_share is not None:
    (st.warning if share.single_champion else st.caption)(
        t("concentration_single" if share.single_champion else "concentration_caption",
          top1=fmt(share.top1_share, "fraction"), top3=fmt(share.top3_share, "fraction")),
        **({"icon": ":material/person_alert:"} if share.single_champion else
           {"help": formula_text("value_concentration", METRICS["value_concentration"].formula)}))
if not viewer.sees_people:  # executives: counts and shares only, never a person
    st.caption(t("people_counts_only"))
    trainees = {}
else:
    with st.expander(t("people_list")):
        shown_people = crowd.assign(segment=[t(f"segment_{s}") for s in crowd["segment"]],
                                    value_features=[len(v) for v in crowd["value_features"]])
        table(shown_people[["user_id", "name", "department", "segment", "active_days", "events", "hours_saved",
                            "value_features", "last_active"]].fillna(""), hide_index=True)
if trainees:  # who to invite to training, per underused feature (the one picked)
    with st.expander(t("training_lists", n=len(trainees))):
        titles = {f: t("training_title", feature=f, n=len(users)) for f, users in trainees.items()}
        feature = choice(st.selectbox, t("training_pick"), titles, key="training_feature")
        users = trainees[feature]
        table(users.fillna(""), hide_index=True)
        st.download_button(t("training_download"), lambda u=users: csv_bytes(u),  # built on click
                           file_name=f"ValueLens_training_{account_id}_{feature}.csv", mime="text/csv",
                           key="training-download")
if viewer.sees_people:  # a CSM or CS operations: the customer's own page, by signed link
    share_panel(account_id, period, current_user())
with st.expander(t("peer_section")):
    show_benchmark(data["bench"], "industry", chart_of)
with st.expander(t("how_computed")):
    table([{"metric": t(f"kpi_{k.name}"), "formula": formula_text(k.name, METRICS[k.name].formula), "unit": k.unit,
            "note": k.reason or ""} for k in kpis], hide_index=True)
    table(money.by_feature, hide_index=True)
