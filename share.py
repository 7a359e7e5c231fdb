"""The customer's own value page: `streamlit run share.py`, its own process beside the team's app (README: expose
only it). One page per signed link (?token=...): the account's value, progress against what was promised, adoption
since go-live, what it asked for and what shipped, peers only under the confidentiality policy, and a form to confirm
the value or comment on it. It never opens the database: a link carries the page it shows (metrics.sharing), so no
query parameter reaches another account, and nothing of the team's (pages, navigation, health, risks, attention) is
here. A token that does not verify, an expired, revoked or unknown link, or no secret: the same neutral page."""
from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from exports.share_page import adoption_figure, period_line
from exports.strings import text
from metrics import sharing
from metrics.errors import DataError
from ui.text import plain

WRONG_PASSCODE_DELAY = 1.0  # seconds a wrong passcode costs, on top of the lock after sharing.MAX_ATTEMPTS

st.set_page_config(page_title="ValueLens", page_icon=":material/insights:", layout="wide",
                   initial_sidebar_state="collapsed", menu_items={})


def unavailable() -> None:
    """The one page every refused link gets, in both languages (a refused link has no language of its own)."""
    for lang in ("en", "zh"):
        st.subheader(text(lang, "share_unavailable"))
        st.caption(text(lang, "share_unavailable_help"))
    st.stop()


def table(header: list[str], rows: list[list[str]]) -> None:
    st.dataframe(pd.DataFrame(rows, columns=header), hide_index=True, width="stretch")


def opened(link: sharing.Link, t) -> bool:
    """Whether this session may see the link's page: no passcode, or the right one given (a wrong one waits a
    second and counts towards the lock)."""
    key = f"open-{link.link_id}"
    if not link.has_passcode or st.session_state.get(key):
        return True
    if sharing.locked(link):
        st.error(t("share_passcode_locked", minutes=sharing.LOCK_MINUTES))
        return False
    with st.form("passcode"):
        given = st.text_input(t("share_passcode"), type="password")
        submitted = st.form_submit_button(t("share_passcode_go"))
    if submitted:
        if sharing.check_passcode(link, given):
            st.session_state[key] = True
        else:
            time.sleep(WRONG_PASSCODE_DELAY)
            st.session_state[f"wrong-{link.link_id}"] = True
        st.rerun()  # the page, or the lock a last wrong passcode set, or the form again with its refusal
    if st.session_state.pop(f"wrong-{link.link_id}", False):
        st.error(t("share_passcode_wrong"))
    return False


def confirmation_form(link: sharing.Link, page: dict, t) -> None:
    st.subheader(t("share_confirm_head"))
    st.caption(t("share_confirm_help"))
    if st.session_state.get(f"answered-{link.link_id}"):
        st.success(t("share_confirm_thanks"))
        return
    with st.form("confirm"):
        name = st.text_input(t("share_confirm_name"), max_chars=sharing.MAX_NAME)
        role = st.text_input(t("share_confirm_role"), max_chars=sharing.MAX_NAME)
        comment = st.text_area(t("share_confirm_text"), max_chars=sharing.MAX_TEXT)
        left, right = st.columns(2)
        confirmed = left.form_submit_button(t("share_confirm_yes"), type="primary")
        commented = right.form_submit_button(t("share_confirm_comment"))
    if confirmed or commented:
        try:
            sharing.confirm(link, page, kind="confirmed" if confirmed else "comment", name=name, role=role,
                            text=comment)
        except DataError:
            st.error(t("share_confirm_missing"))
            return
        st.session_state[f"answered-{link.link_id}"] = True
        st.rerun()


def show(page: dict, t) -> None:
    st.title(plain(page["title"]))
    st.caption(plain(period_line(page)))
    st.write(t("share_intro"))
    st.subheader(t("share_figures"))
    for column, card in zip(st.columns(len(page["cards"])), page["cards"]):
        column.metric(card["label"], card["value"])
        column.caption(plain(card["formula"]))
    st.subheader(t("share_promised"))
    promised = page["promised"]
    if promised["rows"]:
        table(promised["header"], promised["rows"])
    else:
        st.caption(t("share_objectives_none"))
    for line in (promised["delivered"], promised["business_case"]):
        if line:
            st.markdown(plain(line))
    st.subheader(page["adoption"]["label"])
    figure = adoption_figure(page)
    if figure is not None:
        st.plotly_chart(figure, config={"displayModeBar": False})
    st.caption(plain(page["adoption"]["caption"]))
    st.subheader(t("share_asked"))
    if page["asked"]["rows"]:
        table(page["asked"]["header"], page["asked"]["rows"])
    else:
        st.caption(t("share_asked_none"))
    if page["peers"]:
        st.subheader(t("share_peers"))
        table(page["peers"]["header"], page["peers"]["rows"])
        st.caption(plain(page["peers"]["caption"]))
    st.caption(plain(f"{page['version_line']} · {t('share_footer')}"))


link = sharing.resolve(st.query_params.get("token"))
if link is None:
    unavailable()
else:
    t = lambda key, **values: text(link.lang, key, **values)  # noqa: E731
    if opened(link, t):
        key = f"page-{link.link_id}"
        if key not in st.session_state:  # a view is a session's first sight of the page, not each rerun
            st.session_state[key] = sharing.page_of(link)
        page = st.session_state[key]
        show(page, t)
        st.divider()
        confirmation_form(link, page, t)
