"""The team's deck template for the pages: keep an upload as a version, fill it for one account (the preview),
outline what the filled deck says, and hand the kept one to the batch export (exports.deck.fill)."""
from __future__ import annotations

import io
from datetime import date

import pandas as pd
import streamlit as st

from metrics import deck_templates
from metrics.errors import DataError
from metrics.period import Period
from ui.session import get_connection, peer_table, report_inputs


def keep(content: bytes, name: str, user: str, con) -> tuple[int, list[str]]:
    """Check an upload (the file as an upload, every token: DataError listing each with its slide) and keep it as
    the next version; the version and the CSM's tokens it uses (filled only in internal exports)."""
    from exports.deck import tokens
    from exports.deck.fill import names_in, require_fillable

    require_fillable(content, name, internal=True)
    version = deck_templates.save(con, content, name=name, user=user)
    return version, sorted({n for n in names_in(content, name) if n.startswith(tokens.INTERNAL)})


def kept() -> deck_templates.Template | None:
    """The newest kept template, or None."""
    return deck_templates.latest(get_connection())


@st.cache_data(show_spinner=False, max_entries=8)
def filled(version: int, account_id: str, start: date, end: date, lang: str, internal: bool, csm: str,
           key: tuple[str, int]) -> bytes:
    """The kept template `version` filled for one account, cached per data version."""
    from exports.batch import export_one

    template = deck_templates.latest(get_connection(), version)
    if template is None:
        raise DataError(f"no template version {version}")
    return export_one(get_connection(), account_id, Period(start, end), "pptx", lang, template.content,
                      peers=peer_table(start, end, key), inputs=report_inputs(start, end, key), internal=internal,
                      csm=csm)


def outline(deck: bytes) -> pd.DataFrame:
    """What each slide of a filled deck says, for the preview: its number, text, and the charts and tables in it."""
    from pptx import Presentation

    rows = []
    for n, slide in enumerate(Presentation(io.BytesIO(deck)).slides, start=1):
        texts = [s.text_frame.text.replace("\n", " · ") for s in slide.shapes if s.has_text_frame and s.text_frame.text]
        rows.append({"slide": n, "text": " | ".join(texts),
                     "charts": sum(1 for s in slide.shapes if getattr(s, "has_chart", False) and s.has_chart),
                     "tables": sum(1 for s in slide.shapes if getattr(s, "has_table", False) and s.has_table)})
    return pd.DataFrame(rows, columns=["slide", "text", "charts", "tables"])


def reference() -> dict[str, object]:
    """Everything a template may name (exports.deck.tokens.catalog)."""
    from exports.deck.tokens import catalog

    return catalog()
