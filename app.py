"""ValueLens: navigation and the shared sidebar; pages live in views/. Not pages/: Streamlit serves a pages/ folder
by itself to the first visitor after a restart whose link opens a page (/portfolio), before this script has
declared the navigation, so that visitor got no sidebar sections, no language switch and no wide layout."""
import streamlit as st

from i18n import t
from ui.session import run_slot, start_database
from ui.signin import require_access
from ui.widgets import language_switch

st.set_page_config(page_title="ValueLens", page_icon=":material/trending_up:", layout="wide")
language_switch()
access = require_access()
start_database()

# a page left out of the navigation cannot be opened by URL either
sections = {
    t("section_cs"): [st.Page("views/account_report.py", title=t("page_account"), icon=":material/insights:",
                              default=True),
                      st.Page("views/benchmarks.py", title=t("page_benchmarks"), icon=":material/leaderboard:"),
                      st.Page("views/case_studies.py", title=t("page_case_studies"),
                              icon=":material/workspace_premium:")],
}
if access.all_accounts:
    sections[t("section_exec")] = [st.Page("views/portfolio.py", title=t("page_portfolio"),
                                           icon=":material/dashboard:"),
                                   st.Page("views/adoption.py", title=t("page_adoption"),
                                           icon=":material/trending_up:")]
if access.manages_data:
    sections[t("section_data")] = [st.Page("views/data_import.py", title=t("page_import"), icon=":material/upload:"),
                                   st.Page("views/value_model.py", title=t("page_value_model"), icon=":material/tune:"),
                                   st.Page("views/requirements.py", title=t("page_requirements"),
                                           icon=":material/view_kanban:"),
                                   st.Page("views/deck_template.py", title=t("page_deck_template"),
                                           icon=":material/slideshow:")]
with run_slot():  # one run at a time per process (ui.session.RUN_SLOTS); long work gives it back
    st.navigation(sections).run()
