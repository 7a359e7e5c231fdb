"""The value report's notes sheet: method, confidentiality and the data the file was built from."""
from __future__ import annotations

from exports.data import version_line
from exports.excel.book import TITLE_COLOR, _Book, _Sheet, _widths
from exports.safety import safe_cell_text
from metrics.privacy import MIN_OTHERS


def _notes(book: _Book, ws: _Sheet) -> None:
    data, t = book.data, book.t
    book.title(ws, t("notes_title"), book.subtitle())
    book.put(ws, 4, 1, t("method_notes"), bold=True, size=13, color=TITLE_COLOR)
    notes = [t("note_period", period=data.period.label()),
             t("note_value", currency=safe_cell_text(data.currency or t("na"))),
             t("note_efficiency"), t("note_adjusted"), t("note_confidential", min=MIN_OTHERS),
             t("note_formulas")]
    for r, note in enumerate(notes, start=5):
        book.put(ws, r, 1, f"• {note}")
    if len(data.imports):  # when the data was last imported; which files and how many rows stay in the app
        latest = data.imports["imported_at"].max()
        book.put(ws, 5 + len(notes), 1, f"• {t('note_data_as_of', date=f'{latest:%Y-%m-%d}')}")
    book.put(ws, 6 + len(notes), 1, f"• {version_line(data, book.lang)}")
    _widths(ws, {"A": 18})


