"""Text for people: figures formatted, customer text made inert, column headings in the current language."""
from __future__ import annotations

import re

import pandas as pd

import wording
from i18n import column_label, lang
from wording import numbers


def fmt(value: float | None, unit: str, currency: str | None = None, signed: bool = False,
        compact: bool = False) -> str:
    """A figure for people in the page's language (wording.numbers.fmt, the one formatter); `compact` for KPI
    cards, which have room for about 9 characters."""
    return numbers.fmt(value, unit, lang(), currency, signed=signed, compact=compact)


def formula_text(metric: str, english: str) -> str:
    """A metric's formula in the current language."""
    return wording.formula(metric, english, lang())


def reason_text(value: str | None) -> str:
    """A reason (a figure withheld, a row rejected) in the current language."""
    return wording.reason(value, lang())


def refusal_text(exc: Exception) -> str:
    """A refusal (metrics.errors.DataError) in the current language, as inert text (its names are the customer's)."""
    from wording.refusals import refusal

    return plain(refusal(str(exc), lang()))


def unit_text(name: str) -> str:
    return wording.unit(name, lang())


def term_text(kind: str, value: str | None) -> str:
    """An industry, region, segment, import kind, basis or category in the current language."""
    return wording.term(kind, value, lang())


def chart_labels(*columns: str) -> dict[str, str]:
    """Plotly labels for chart columns: their headings in the current language (hover texts, legend titles)."""
    return {c: column_label(c) or c for c in columns}


# columns whose values people read as words: shown in the current language by ui.widgets.table
TERM_COLUMNS = ("industry", "region", "segment", "kind", "basis", "category", "type", "encoding")
REASON_COLUMNS = ("reason", "note")


def feature_text(feature: str) -> str:
    """A feature as the current language names it: the value model's display name (name_en, name_zh), else the
    feature as the events name it."""
    from ui.session import cache_key, feature_names

    names = feature_names(cache_key()).get(feature, (None, None))
    shown = names[1 if lang() == "zh" else 0]
    return shown or feature


def display_terms(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` for display: enum values, reasons, units and feature names in the current language."""
    out = frame.copy()
    for column in out.columns:
        if column in ("feature", "area"):  # a request's area names a value-model feature, or is left as it is
            out[column] = out[column].map(lambda v: feature_text(v) if isinstance(v, str) else v)
        elif column == "encoding":  # xlsx and Parquet carry no text encoding: a dash, not "None"
            out[column] = out[column].map(lambda v: term_text("encoding", v) if isinstance(v, str) else "—")
        elif column in TERM_COLUMNS:
            out[column] = out[column].map(lambda v, c=column: term_text(c, v) if isinstance(v, str) else v)
        elif column in REASON_COLUMNS:
            out[column] = out[column].map(lambda v: reason_text(v) if isinstance(v, str) else v)
        elif column == "unit":
            out[column] = out[column].map(lambda v: unit_text(v) if isinstance(v, str) else v)
    return out


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
