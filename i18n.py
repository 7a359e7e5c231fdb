"""UI text: `t(key)` reads the catalog (wording/pages.py) in the language chosen in the sidebar."""
from __future__ import annotations

import streamlit as st

from wording.pages import COLUMNS, LANGUAGES, STRINGS  # noqa: F401  (the catalog: wording/pages.py)


def lang() -> str:
    """The current UI language code."""
    return st.session_state.get("lang", "en")


def t(key: str, **fmt: object) -> str:
    """The UI text for `key` in the current language."""
    text = STRINGS[lang()][key]
    return text.format(**fmt) if fmt else text


def column_label(column: str) -> str | None:
    """The heading of a table column id in the current language, or None when it has none."""
    return COLUMNS[lang()].get(column)
