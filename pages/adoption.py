"""Placeholder until its issue lands: says so on screen and shows what is loaded."""
import streamlit as st

from i18n import t
from ui import placeholder

st.title(t("page_adoption"))
placeholder("work_pages", show="accounts")
