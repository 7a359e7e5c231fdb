"""Customer success > Case studies (标杆案例): rank the accounts with the strongest evidence, draft one's story."""
from datetime import date

import streamlit as st

from i18n import LANGUAGES, lang, t
from metrics.case_study import case_study_candidates
from ui.downloads import case_study_draft as draft
from ui.session import cache_key, get_connection
from ui.signin import current_access, guard
from ui.widgets import period_picker, table

guard("accounts")
st.title(t("page_case_studies"))
con = get_connection()
period = period_picker()


@st.cache_data(show_spinner=False, max_entries=32)
def candidates(start: date, end: date, key: tuple[str, int]):
    """Every candidate with its evidence; scoped to the user's accounts before anything is shown."""
    return case_study_candidates(get_connection(), start=start, end=end, limit=10_000)


access = current_access()
ranked = access.scope(candidates(period.start, period.end, cache_key())).head(20)
if ranked.empty:
    st.info(t("cs_none"))
    st.stop()
st.subheader(t("cs_candidates"))
table(ranked, hide_index=True, column_config={
    "score": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.2f")})
names = dict(zip(ranked["account_id"], ranked["account_name"]))
left, middle, right = st.columns([2, 2, 1])
account_id = left.selectbox(t("cs_pick"), list(names), format_func=lambda a: f"{names[a]} ({a})", key="cs_account")
anonymous = middle.toggle(t("cs_anonymize"), key="cs_anonymous")
language = right.radio(t("cs_language"), list(LANGUAGES), format_func=LANGUAGES.get, key="cs_lang",
                       index=list(LANGUAGES).index(lang()))
text, deck = draft(account_id, period.start, period.end, anonymous, language, cache_key())
stem = f"case_study_{'anonymous' if anonymous else account_id}_{language}"
cols = st.columns([1, 1, 2])
cols[0].download_button(t("cs_download_md"), text.encode("utf-8"), file_name=f"{stem}.md", mime="text/markdown",
                        icon=":material/download:")
cols[1].download_button(t("cs_download_pptx"), deck, file_name=f"{stem}.pptx", icon=":material/download:",
                        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation")
with st.container(border=True):
    st.markdown(text)
