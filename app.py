"""ValueLens: navigation and the shared sidebar; pages live in pages/."""
import streamlit as st

from i18n import t
from ui import get_connection, language_switch

st.set_page_config(page_title="ValueLens", page_icon="📈", layout="wide")
language_switch()
get_connection()  # creates the database and loads the demo data on first start
st.sidebar.caption(t("local_mode"))

navigation = st.navigation({
    t("section_cs"): [st.Page("pages/account_report.py", title=t("page_account"), icon="📊", default=True)],
    t("section_exec"): [st.Page("pages/portfolio.py", title=t("page_portfolio"), icon="🗂️"),
                        st.Page("pages/adoption.py", title=t("page_adoption"), icon="📈")],
    t("section_data"): [st.Page("pages/data_import.py", title=t("page_import"), icon="⬆️"),
                        st.Page("pages/value_model.py", title=t("page_value_model"), icon="⚙️")],
})
navigation.run()
