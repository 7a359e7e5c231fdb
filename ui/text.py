"""Text for people: figures formatted, customer text made inert, column headings in the current language."""
from __future__ import annotations

import re

import pandas as pd

from i18n import column_label, t


def fmt(value: float | None, unit: str, currency: str | None = None, signed: bool = False,
        compact: bool = False) -> str:
    """A figure for people: fractions as percentages, money with its currency, n/a for None."""
    if value is None or value != value:
        return t("na")
    if unit == "fraction":
        return f"{value:+.1%}" if signed else f"{value:.1%}"
    if unit == "currency":
        if compact and abs(value) >= 10_000:
            scaled, suffix = (value / 1e6, "M") if abs(value) >= 1e6 else (value / 1e3, "k")
            return f"{currency or ''} {scaled:,.1f}{suffix}".strip()
        return f"{currency or ''} {value:,.2f}".strip()
    if unit == "hours":
        return f"{value:,.1f} {t('hours_unit')}"
    return f"{value:,.2f}"


def plain(text: str) -> str:
    """Customer text made inert for st.markdown and every label: Markdown punctuation escaped, and with it `$`
    (LaTeX math), `:` (Streamlit's :color[...] and :icon: directives), `&` (HTML entities), `^` and `=`.
    HTML is never enabled."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:&^=])", r"\\\1", str(text))


def labelled(columns: object, config: dict | None = None) -> dict:
    """`config` (a column_config) with each column id that has a heading in the current language headed by it;
    a label set in `config`, a plain-string label or a hidden (None) column is kept as it is."""
    config = dict(config or {})
    for column in columns:
        label = column_label(str(column))
        current = config.get(column, {})
        if label is not None and isinstance(current, dict) and not current.get("label"):
            config[column] = {**current, "label": label}
    return config


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame whose customer text cannot become a formula in a CSV download (exports.safety.safe_csv_frame): for
    editors, which st.dataframe's wrapper (ui.widgets.table) does not cover."""
    from exports.safety import safe_csv_frame

    return safe_csv_frame(frame)
