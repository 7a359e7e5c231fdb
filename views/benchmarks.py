"""Customer success > Peer benchmarks: where one account stands among the anonymous peers of a predefined cohort."""
from datetime import date

import streamlit as st

from i18n import lang, t
from metrics.benchmarks import COHORTS, benchmark
from metrics.period import Period
from ui.session import cache_key, get_connection, peer_table
from ui.signin import guard, visible_accounts
from ui.widgets import choice, period_picker, show_benchmark

guard("accounts")
st.title(t("page_benchmarks"))
con = get_connection()
accounts = visible_accounts()
if accounts.empty:
    st.warning(t("no_accounts"))
    st.stop()
names = dict(zip(accounts["account_id"], accounts["account_name"]))
account_id = st.selectbox(t("account"), list(names), format_func=lambda a: f"{names[a]} ({a})", key="bench_account")
cohort = choice(st.radio, t("cohort"), {c: t(f"cohort_{c}") for c in COHORTS}, key="bench_cohort", horizontal=True)
period = period_picker()


@st.cache_data(show_spinner=False, max_entries=256)
def load(account_id: str, cohort: str, start: date, end: date, key: tuple[str, int]) -> dict:
    """The account's benchmark: its own figures and anonymous cohort aggregates only (what the browser may get)."""
    return benchmark(get_connection(), account_id=account_id, start=start, end=end, cohort=cohort,
                     table=peer_table(start, end, key)).to_dict()


key = cache_key()
show_benchmark(load(account_id, cohort, period.start, period.end, key), cohort,
               (account_id, period.start, period.end, key, lang()))
st.caption(Period(period.start, period.end).label())
