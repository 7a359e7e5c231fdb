"""Data > Requirements (需求看板): customers' requests in their own words, grouped into requirements by a person
(similar requests suggested, never merged), ranked A to D by the suggested letter or the one a person set with its
reason, followed until shipped; the follow-up list and the release notes per version."""
from datetime import date

import pandas as pd
import streamlit as st

import wording
from i18n import lang, t
from metrics import requirements
from metrics.case_study import case_study_candidates
from metrics.errors import DataError
from metrics.period import default_period
from metrics.value_model import current_model
from ui.downloads import requirements_board
from ui.session import cache_key, get_connection, writing
from ui.signin import current_user, guard, visible_accounts
from ui.text import feature_text, plain, reason_text, term_text
from ui.widgets import choices, table
from wording.numbers import fmt

guard("data")
st.title(t("page_requirements"))
st.caption(t("requirements_help"))
con = get_connection()
today = date.today()


@st.cache_data(show_spinner=False, max_entries=4)
def benchmark_ids(key: tuple[str, int]) -> list[str]:
    """The benchmark customers (case-study candidates of the latest period), whose requests weigh more."""
    try:
        period = default_period(get_connection())
        return list(case_study_candidates(get_connection(), start=period.start, end=period.end)["account_id"])
    except DataError:  # no usage imported yet
        return []


def status_text(status: str) -> str:
    return t(f"req_status_{status}")


def status_line(item: requirements.Requirement) -> str:
    """The status in words; not supported for now with its reason, in the page's language."""
    if why := wording.why_not(item.status, item.fields["status_note"], lang()):
        return t("status_with_reason", status=status_text(item.status), reason=why)
    return status_text(item.status)


def choose(where, label: str, values: tuple, shown, current: object = None) -> object:
    """A selectbox of `values` shown as shown(value) and mapped back to the value: the options are the labels
    themselves (a format_func label would not be kept across a change of language)."""
    labels = {shown(v): v for v in values}
    names = list(labels)
    return labels[where.selectbox(label, names, index=values.index(current) if current in values else 0)]


def sidebar_filter(name: str, options: list, shown=str) -> list:
    """A sidebar multiselect of the board's filters, its choices kept when the language changes."""
    return choices(st.sidebar.multiselect, t(f"filter_{name}"), {v: shown(v) for v in options}, key=f"req_{name}",
                   placeholder=t("choose"))


items = requirements.board(con, today=today, benchmark=benchmark_ids(cache_key()))
accounts = visible_accounts()
names = dict(zip(accounts["account_id"], accounts["account_name"]))
all_requests = requirements.requests_of(con)

# ---------------------------------------------------------------- the board
st.subheader(t("board_title"))
spread = requirements.distribution(items)
for column, (letter, n) in zip(st.columns(len(spread)), spread.items()):
    column.metric(t("letters_title", letter=letter), fmt(n, "count", lang()))
st.caption(t("letters_caption", total=fmt(len(items), "count", lang()),
             a_share=fmt(spread["A"] / len(items) if items else None, "fraction", lang())))
with st.expander(t("letter_rule_title")):
    st.markdown(t("letter_rule", urgent=f"{requirements.URGENT_SHARE:.0%}",
                  repeat=requirements.REPEAT_REQUESTS, months=requirements.REPEAT_MONTHS,
                  wide=requirements.WIDE_ACCOUNTS, influential=requirements.INFLUENTIAL,
                  renewing=f"{requirements.RENEWING_ACV_SHARE:.0%}", days=requirements.RENEWAL_DAYS))
statuses = sidebar_filter("status", list(requirements.STATUSES), status_text)
letters = sidebar_filter("priority", list(requirements.LETTERS))
industries = sidebar_filter("industry", sorted(accounts["industry"].dropna().unique()),
                            lambda v: term_text("industry", v))
regions = sidebar_filter("region", sorted(accounts["region"].dropna().unique()), lambda v: term_text("region", v))
asked_by = sidebar_filter("account", list(names), lambda a: f"{names[a]} ({a})")
areas = sidebar_filter("area", sorted({i.area for i in items if i.area}), feature_text)
shown = [i for i in items
         if (not statuses or i.status in statuses) and (not letters or i.priority in letters)
         and (not industries or set(industries) & set(i.coverage.industries))
         and (not regions or set(regions) & set(i.coverage.regions))
         and (not asked_by or set(asked_by) & set(i.coverage.accounts)) and (not areas or i.area in areas)]
board = pd.DataFrame([{
    "priority": i.priority, "suggested_priority": i.suggestion.letter, "title": wording.title_in(i.title, lang()),
    "status": status_line(i), "requests": len(i.requests), "accounts": len(i.coverage.accounts),
    "area": i.area, "industry": ", ".join(term_text("industry", x) for x in i.coverage.industries),
    "version": i.fields["shipped_version"] or i.fields["target_version"]} for i in shown],
    columns=["priority", "suggested_priority", "title", "status", "requests", "accounts", "area", "industry",
             "version"])
requirements_board(shown, lang(), today)
picked = table(board.fillna(""), hide_index=True, on_select="rerun", selection_mode="single-row", key="board",
               column_config={"title": st.column_config.TextColumn(width="medium"),
                              "status": st.column_config.TextColumn(width="medium")})
if picked.selection.rows:
    st.session_state["requirement"] = shown[picked.selection.rows[0]].requirement_id
chosen = next((i for i in items if i.requirement_id == st.session_state.get("requirement")), None)

# ---------------------------------------------------------------- one requirement
if chosen is not None:
    st.subheader(t("requirement_title", title=chosen.title))
    st.markdown(t("requirement_letters", priority=chosen.priority, suggested=chosen.suggestion.letter)
                + ("  \n" + t("requirement_override", reason=plain(str(chosen.fields["priority_reason"])))
                   if chosen.fields["priority"] else ""))
    st.markdown("\n".join(f"- {plain(wording.requirement_reason(r.code, r.values, lang()))}"
                          for r in chosen.suggestion.reasons))
    table(pd.DataFrame([{"request_date": r.request_date, "account_name": names.get(r.account_id, r.account_id),
                         "words": r.words, "requester": r.requester, "channel": r.channel,
                         "request_type": t(f"req_type_{r.type}"), "urgency": t(f"urgency_{r.urgency}"),
                         "competitor": r.competitor} for r in chosen.requests]).fillna(""), hide_index=True)
    try:
        looped = requirements.loop(con, chosen, end=default_period(con).end)
    except DataError:  # no usage imported yet
        looped = None
    if looped is not None:  # shipped: do the customers who asked use it?
        st.markdown(t("loop_title", version=plain(str(chosen.fields["shipped_version"])),
                      day=chosen.fields["shipped_date"], features=plain(", ".join(chosen.fields["features"] or []))))
        table(pd.DataFrame([{"group": t(f"loop_{name}"), "accounts": g.accounts, "using": g.using,
                             "new_users": g.new_users, "days_to_first_use": g.days_to_first_use,
                             "hours_per_account_month": g.hours_per_account_month} for name, g in looped.items()]),
              hide_index=True, column_config={
                  "using": st.column_config.NumberColumn(format="percent"),
                  "hours_per_account_month": st.column_config.NumberColumn(format="%.2f")})
    features = sorted(current_model(con)[0]["feature"].dropna())
    fields = chosen.fields
    with st.form(f"requirement-{chosen.requirement_id}"):
        left, right = st.columns(2)
        status = choose(left, t("req_field_status"), requirements.STATUSES, status_text, chosen.status)
        status_note = right.text_input(t("status_note"), value=fields["status_note"] or "")
        target = left.text_input(t("target_version"), value=fields["target_version"] or "")
        shipped_version = right.text_input(t("shipped_version"), value=fields["shipped_version"] or "")
        shipped_date = left.date_input(t("shipped_date"), value=fields["shipped_date"])
        delivers = right.multiselect(t("delivers_features"), features,
                                     default=[f for f in (fields["features"] or []) if f in features],
                                     placeholder=t("choose"))
        gap = left.checkbox(t("capability_gap"), value=bool(fields["capability_gap"]))
        core = right.checkbox(t("core_selling_point"), value=bool(fields["core_selling_point"]))
        benefits = (None, *requirements.BENEFITS)
        benefit = choose(left, t("benefit"), benefits, lambda b: t(f"benefit_{b}" if b else "benefit_none"),
                         fields["benefit"])
        letters_set = (None, *requirements.LETTERS)
        priority = choose(right, t("priority_set"), letters_set,
                          lambda x: x or t("priority_suggested", letter=chosen.suggestion.letter), fields["priority"])
        reason = st.text_input(t("priority_reason"), value=fields["priority_reason"] or "")
        if st.form_submit_button(t("requirement_save")):
            try:
                with writing() as writable:
                    requirements.update(writable, chosen.requirement_id, user=current_user(),
                                        suggested=chosen.suggestion.letter, status=status,
                                        status_note=status_note or None, target_version=target or None,
                                        shipped_version=shipped_version or None, shipped_date=shipped_date,
                                        features=delivers or None, capability_gap=gap, core_selling_point=core,
                                        benefit=benefit, priority=priority, priority_reason=reason or None)
            except DataError as exc:
                st.error(reason_text(str(exc)))
            else:
                st.session_state["requirement_saved"] = True
                st.rerun()
    if st.session_state.pop("requirement_saved", False):
        st.success(t("requirement_saved"))
    with st.expander(t("requirement_history")):
        past = requirements.history(con, chosen.requirement_id)
        past["status"] = past["status"].map(lambda s: status_text(s) if isinstance(s, str) else s)
        table(past, hide_index=True)

# ---------------------------------------------------------------- requests not grouped yet
st.subheader(t("ungrouped_title"))
grouped = {r.request_id for i in items for r in i.requests}
loose = [r for r in all_requests if r.request_id not in grouped and r.account_id in names]
loose_frame = pd.DataFrame([{"request_date": r.request_date, "account_name": names[r.account_id], "words": r.words,
                             "area": r.area, "request_type": t(f"req_type_{r.type}"),
                             "urgency": t(f"urgency_{r.urgency}"), "competitor": r.competitor} for r in loose],
                           columns=["request_date", "account_name", "words", "area", "request_type", "urgency",
                                    "competitor"])
selected = table(loose_frame.fillna(""), hide_index=True, on_select="rerun", selection_mode="multi-row", key="loose")
rows = [loose[i] for i in selected.selection.rows] if loose else []
if len(rows) == 1:  # grouping is a person's call: show the requests most like this one
    alike = requirements.similar_to(all_requests, rows[0].request_id)
    st.caption(t("similar_title"))
    table(pd.DataFrame([{"similarity": round(score, 2), "words": r.words,
                         "account_name": names.get(r.account_id, r.account_id)} for r, score in alike],
                       columns=["similarity", "words", "account_name"]), hide_index=True)
    # accepting the suggestions: the similar requests not grouped yet go with it, many at once
    accepted = [r for r, score in requirements.similar_to(all_requests, rows[0].request_id, limit=len(all_requests))
                if score >= requirements.SIMILAR and r.request_id not in grouped and r.account_id in names]
    if accepted and st.checkbox(t("similar_accept", n=len(accepted), at=requirements.SIMILAR), value=True,
                                key=f"similar-{rows[0].request_id}"):
        rows += accepted
if rows:
    left, right = st.columns(2)
    title = left.text_input(t("new_requirement_title"), value=rows[0].words[:80])
    if left.button(t("new_requirement")):
        try:
            with writing() as writable:
                st.session_state["requirement"] = requirements.create(
                    writable, title, [r.request_id for r in rows], user=current_user(), area=rows[0].area)
        except DataError as exc:
            st.error(reason_text(str(exc)))
        else:
            st.rerun()
    if items:
        target_id = right.selectbox(t("add_to_requirement"), [i.requirement_id for i in items],
                                    format_func=lambda k: next(f"[{i.priority}] {i.title}" for i in items
                                                               if i.requirement_id == k))
        if right.button(t("add_to")):
            with writing() as writable:
                requirements.group(writable, target_id, [r.request_id for r in rows])
            st.rerun()

# ---------------------------------------------------------------- a request heard today
with st.expander(t("add_request")):
    with st.form("add_request", clear_on_submit=True):
        left, right = st.columns(2)
        who = left.selectbox(t("account"), list(names), format_func=lambda a: f"{names[a]} ({a})")
        when = right.date_input(t("request_date"), value=today)
        words = st.text_area(t("words"))
        requester = left.text_input(t("requester"))
        channel = right.text_input(t("channel"))
        area = left.text_input(t("area"))
        competitor = right.text_input(t("competitor"))
        kind = choose(left, t("request_type"), ("request", "bug"), lambda k: t(f"req_type_{k}"))
        urgency = choose(right, t("urgency"), ("medium", "high", "low"), lambda u: t(f"urgency_{u}"))
        if st.form_submit_button(t("add_request_save")):
            try:
                with writing() as writable:
                    requirements.add_request(writable, account_id=who, request_date=when, words=words,
                                             user=current_user(), requester=requester or None,
                                             channel=channel or None, area=area or None, type=kind,
                                             urgency=urgency, competitor=competitor or None)
            except DataError as exc:
                st.error(reason_text(str(exc)))
            else:
                st.session_state["request_added"] = True
                st.rerun()
if st.session_state.pop("request_added", False):
    st.success(t("request_added"))

# ---------------------------------------------------------------- follow-up and release notes
stale_days = int(st.session_state.get("follow_up_days", requirements.FOLLOW_UP_DAYS))
st.subheader(t("follow_up_title", days=stale_days))
st.columns([1, 3])[0].number_input(t("follow_up_days"), min_value=1, max_value=730,
                                  value=requirements.FOLLOW_UP_DAYS, step=15, key="follow_up_days")
table(pd.DataFrame([{"priority": i.priority, "title": i.title, "status": status_text(i.status),
                     "updated_at": i.fields["updated_at"], "accounts": len(i.coverage.accounts)}
                    for i in requirements.follow_up(items, today=today, days=stale_days)],
                   columns=["priority", "title", "status", "updated_at", "accounts"]), hide_index=True)
st.subheader(t("release_notes_title"))
notes = requirements.release_notes(items)
if not notes:
    st.caption(t("release_notes_none"))
for version, shipped in notes.items():
    st.markdown(f"**{plain(version)}** · {shipped[0].fields['shipped_date']}")
    st.markdown("\n".join(f"- [{i.priority}] {plain(i.title)}"
                          + (f": {plain(str(i.fields['status_note']))}" if i.fields["status_note"] else "")
                          for i in shipped))
