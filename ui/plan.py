"""The account page's action plan for next quarter (metrics.plan): dated actions with owners, edited in a grid,
validated like an import, every save a version; the deck's "next quarter" slide and the workbook print it."""
from __future__ import annotations

import streamlit as st

from i18n import t
from metrics import plan
from metrics.accounts import Account
from metrics.store import DataError
from ui.session import get_connection, writing
from ui.signin import current_user
from ui.text import labelled, reason_text
from ui.widgets import table


def plan_editor(account: Account) -> None:
    """The plan as it is saved now (read on every run: a save shows at once), an editor, and its versions."""
    con = get_connection()
    current = plan.editable(con, account)
    st.subheader(t("plan_title"))
    if current.empty:
        st.caption(t("plan_none"))
    else:
        table(current.assign(done=[t("plan_done") if d else t("plan_open") for d in current["done"]]),
              hide_index=True)
    with st.expander(t("plan_edit")):
        edited = st.data_editor(current, num_rows="dynamic", hide_index=True, key=f"plan-{account.account_id}",
                                column_config=labelled(plan.COLUMNS, {
                                    "due_date": st.column_config.DateColumn(required=True),
                                    "done": st.column_config.CheckboxColumn(default=False)}))
        note = st.text_input(t("note"), key=f"plan-note-{account.account_id}")
        if st.button(t("plan_save"), key=f"plan-save-{account.account_id}"):
            try:
                with writing() as writable:
                    version = plan.save(writable, account, edited, user=current_user(), note=note)
            except DataError as exc:
                st.error(reason_text(str(exc)))
            else:
                st.session_state.pop(f"plan-{account.account_id}", None)
                st.session_state["plan_saved"] = version
                st.rerun()
        if saved := st.session_state.pop("plan_saved", None):
            st.success(t("plan_saved", version=saved))
        versions = plan.versions(con, account)
        if not versions.empty:
            table(versions, hide_index=True)
