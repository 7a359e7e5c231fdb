"""Files to download: one account's Excel report or QBR deck, and every account's in one zip."""
from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path

import streamlit as st

from i18n import t
from metrics import deck_templates
from metrics.errors import DataError
from metrics.period import Period
from metrics.store import connect_snapshot
from ui.session import get_connection, long_work, peer_table, report_inputs, worker_database
from ui.signin import current_user
from ui.text import refusal_text


@st.cache_data(show_spinner=False, max_entries=64)
def export_file(account_id: str, start: date, end: date, fmt: str, lang: str, key: tuple[str, int],
                people_as: str | None = None, internal: bool = False) -> bytes:
    """One account's Excel report or QBR deck, cached per account, period, language, data version, how the deck
    shows the people it lists (None: nobody; pseudonyms get a new key only when the cache entry is rebuilt) and
    whether the CSM's internal signals are in it (`internal`: the deck's appendix, the workbook's Internal sheet;
    off, the file is the one a customer may get)."""
    from exports.batch import export_one  # openpyxl and python-pptx load only when a file is asked for

    return export_one(get_connection(), account_id, Period(start, end), fmt, lang, peers=peer_table(start, end, key),
                      people_as=people_as, inputs=report_inputs(start, end, key), internal=internal,
                      customer=not internal)


def export_portfolio(period: Period, account_ids: list[str], language: str) -> None:
    """Build every listed account's file into a zip with a progress bar, then offer it for download."""
    fmt_ = st.radio(t("export_format"), ("xlsx", "pptx"), horizontal=True, key="export_all_format")
    kept = deck_templates.latest(get_connection()) if fmt_ == "pptx" else None
    use = kept is not None and st.checkbox(t("export_template", version=kept.version), value=True,
                                           key="export_all_template")
    if not st.button(t("export_all"), key="export_all_go"):
        return
    from exports import batch
    from exports.deck.fill import require_fillable

    team = {"template": kept.content if use and kept is not None else None, "csm": current_user()}
    if team["template"] is not None and kept is not None:
        try:  # customers' files: a template naming the CSM's figures is refused before any file is built
            require_fillable(kept.content, kept.name)
        except DataError as exc:
            st.error(refusal_text(exc))
            return

    bar = st.progress(0.0)

    def progress(done: int, total: int, account_id: str) -> None:
        bar.progress(done / total, text=t("export_running", done=done, total=total, account=account_id))

    workers = min(os.cpu_count() or 1, 8)
    with long_work():  # minutes for many accounts: the other sessions' runs go on meanwhile
        if workers > 1 and len(account_ids) >= batch.PARALLEL_FROM:  # one worker process per core
            with tempfile.TemporaryDirectory() as tmp:
                data = batch.zip_all_parallel(get_connection(), connect_snapshot, str(worker_database(Path(tmp))),
                                              period, fmt_, workers=workers, lang=language, account_ids=account_ids,
                                              progress=progress, **team)
        else:
            data = batch.zip_all(get_connection(), period, fmt_, lang=language, account_ids=account_ids,
                                 progress=progress, **team)
    st.success(t("export_ready", n=len(account_ids)))
    st.download_button(t("download_zip"), data, file_name=f"ValueLens_{period.file_part()}_{fmt_}.zip",
                       mime="application/zip", icon=":material/download:", key="export_all_zip")


@st.cache_data(show_spinner=False, max_entries=128)
def case_study_draft(account_id: str, start: date, end: date, anonymous: bool, language: str,
                     key: tuple[str, int]) -> tuple[str, bytes]:
    """One account's case study as Markdown and a deck (anonymized or not) in one language, cached per account,
    period, language and data version."""
    from exports.case_study import case_study_pptx, markdown
    from metrics.case_study import anonymize, case_study

    study = case_study(get_connection(), account_id=account_id, start=start, end=end)
    study = anonymize(study) if anonymous else study
    return markdown(study, language).decode("utf-8"), case_study_pptx(study, language)


def requirements_board(items: list, language: str, day: date) -> None:
    """The ranked requirement board as an Excel workbook for the product team (exports.requirements)."""
    from exports.requirements import board_xlsx

    st.download_button(t("board_download"), board_xlsx(items, language),
                       file_name=f"ValueLens_requirements_{day:%Y-%m-%d}.xlsx", icon=":material/download:")


def csv_bytes(frame) -> bytes:
    """A table as CSV for a spreadsheet (UTF-8 with BOM, so Excel reads Chinese): customer text that a spreadsheet
    would run as a formula (=, +, -, @) gets a leading apostrophe (exports.safety)."""
    from exports.safety import safe_csv_frame

    return safe_csv_frame(frame).to_csv(index=False).encode("utf-8-sig")
