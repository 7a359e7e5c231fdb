"""The account page's side of the customer's value page: what the customer said of the period's figures, and
making, listing and revoking its links (metrics.sharing; the page itself is share.py)."""
from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from exports.data import said_lines
from exports.share_page import payload
from i18n import lang, t
from metrics import sharing
from metrics.period import Period
from metrics.report import AccountReport
from metrics.store import db_path
from ui.session import get_connection
from ui.text import plain
from ui.widgets import choice, table

SHARE_URL_ENV = "VALUELENS_SHARE_URL"  # where share.py is served for customers, e.g. https://value.example.com


def confirmation_caption(account_id: str, period: Period, rep: AccountReport) -> None:
    """"Confirmed by NAME, ROLE on DATE" (or the open comment), and the figures recalculated since; nothing before
    the customer said anything."""
    found = sharing.latest_for(account_id, period.start.isoformat(), db_path())
    if found is None:
        st.caption(t("confirmations_none"))
        return
    lines = said_lines(found, rep, t, "、" if lang() == "zh" else ", ")  # the workbook's and deck's words
    (st.success if found.kind == "confirmed" and len(lines) == 1 else st.warning)(plain("  \n".join(lines)))


def share_panel(account_id: str, period: Period, user: str) -> None:
    """Make a link to the account's value page for the period, list its links, revoke one."""
    with st.expander(t("share_panel")):
        st.caption(t("share_panel_help"))
        if sharing.secret() is None:
            st.info(t("share_no_secret"))
            return
        left, middle, right = st.columns(3)
        days = left.number_input(t("share_days"), min_value=1, max_value=sharing.MAX_DAYS,
                                 value=sharing.DEFAULT_DAYS, key="share_days")
        link_lang = choice(middle.selectbox, t("share_lang"), {"en": "English", "zh": "简体中文"}, key="share_lang",
                           default=lang())
        passcode = right.text_input(t("share_passcode_set"), type="password", key="share_passcode")
        if st.button(t("share_make"), key="share_make"):
            page = payload(get_connection(), account_id, period, link_lang)
            link, token = sharing.create(page, account_id=account_id, period=(page["period"]["start"],
                                                                              page["period"]["end"]),
                                         lang=link_lang, created_by=user, days=int(days),
                                         passcode=passcode or None, database=db_path())
            st.success(t("share_made", expires=link.expires.replace("T", " ")))
            st.code(f"{os.environ.get(SHARE_URL_ENV, 'http://localhost:8502').rstrip('/')}/?token={token}",
                    language=None)
        made = sharing.links(db_path(), account_id=account_id)
        if not made:
            return
        st.caption(t("share_links"))
        rows = pd.DataFrame([link.to_json() for link in made]).drop(columns=["account_id", "period"])
        for column in ("created_at", "expires", "last_view"):  # a moment as people write it; never viewed: blank
            rows[column] = rows[column].map(lambda v: v.replace("T", " ") if isinstance(v, str) else "")
        table(rows.rename(columns=lambda c: t(f"share_col_{c}")), hide_index=True)
        active = {link.link_id: link.link_id for link in made if not link.revoked}
        if active:
            chosen = choice(st.selectbox, t("share_revoke"), active, key="share_revoke")
            if st.button(t("share_revoke_go"), key="share_revoke_go") and chosen:
                sharing.revoke(chosen, db_path())
                st.success(t("share_revoked", link=chosen))
                st.rerun()
