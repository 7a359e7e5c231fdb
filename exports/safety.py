"""Customer text made inert for spreadsheets: it is always written as text, never as a formula.

A cell whose text starts with = + - @ (or their full-width forms), a tab or a carriage return is read as a formula
by Excel, LibreOffice or Google Sheets when it is typed in, pasted or opened from CSV (CSV/formula injection).
"""
from __future__ import annotations

import re
from contextlib import contextmanager

import pandas as pd
from openpyxl.cell.cell import Cell
from pptx.chart.data import CategoryChartData
from pptx.chart.xlsx import CategoryWorkbookWriter
from pptx.util import lazyproperty
from xlsxwriter import Workbook as XlsxWorkbook

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Characters XML 1.0 forbids: openpyxl and python-pptx refuse them, so they are dropped.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def safe_cell_text(value: object) -> str:
    """Customer data as plain text for an xlsx or pptx cell: str(), characters XML forbids removed, content kept.

    The text itself is not changed (no apostrophe added): `write_text` stores it with the text type and Excel's
    quote prefix, so it shows literally and stays text when the cell is edited.
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _ILLEGAL_XML.sub("", str(value))


def write_text(cell: Cell, value: object) -> Cell:
    """Store customer text in an openpyxl cell as a string, never a formula, whatever it starts with."""
    text = safe_cell_text(value)
    cell.value = text
    cell.data_type = "s"  # openpyxl marks text starting with "=" as a formula; this undoes that
    if is_formula_like(text):
        cell.quotePrefix = True  # Excel and LibreOffice keep it text even when the user edits the cell
    return cell


class _TextOnlyWorkbookWriter(CategoryWorkbookWriter):
    """python-pptx's chart workbook writer with XlsxWriter's string-to-formula (and URL) conversion off."""

    @contextmanager
    def _open_worksheet(self, xlsx_file):
        workbook = XlsxWorkbook(xlsx_file, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        worksheet = workbook.add_worksheet()
        yield workbook, worksheet
        workbook.close()

    def _populate_worksheet(self, workbook, worksheet):
        """Labels that could read as a formula get the quote prefix, as in the Excel report (`write_text`): they
        stay text when someone edits them in "Edit data"."""
        quoted, write = workbook.add_format({"quote_prefix": True}), worksheet.write

        def write_quoted(row, col, *args):
            if args and isinstance(args[0], str) and is_formula_like(args[0]):
                return worksheet.write_string(row, col, args[0], quoted)
            return write(row, col, *args)

        worksheet.write = write_quoted
        super()._populate_worksheet(workbook, worksheet)


class SafeCategoryChartData(CategoryChartData):
    """Chart data whose embedded workbook (what PowerPoint's "Edit data" opens) keeps every label as text.

    python-pptx writes that workbook with XlsxWriter, whose `write()` turns a string starting with "=" into a
    formula: a feature named =HYPERLINK(...) would become a live formula there.
    """

    @lazyproperty
    def _workbook_writer(self):
        return _TextOnlyWorkbookWriter(self)


_SIGNED_FIGURE = re.compile(r"[+-]\d[\d,]*(?:\.\d+)?(?: ?(?:%|h|小时))?")


def safe_csv_text(value: object) -> object:
    """One CSV value: text a spreadsheet would run as a formula gets a leading apostrophe; others pass unchanged.

    A signed figure as ValueLens formats it ("-6.6%", "+1,234.50", "-1.5 h") is left alone: a spreadsheet reads
    it as a number or as text, never as a formula, and the app shows it in tables."""
    if isinstance(value, str) and is_formula_like(value) and not _SIGNED_FIGURE.fullmatch(value):
        return "'" + value
    return value


def safe_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` safe to download as CSV: text columns (and text headers) escaped, numbers left as numbers."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        try:  # vectorized (a page's tables pass through here on every rerun); non-text cells test False
            risky = values.str.startswith(FORMULA_TRIGGERS, na=False)
        except AttributeError:  # no text in the column at all (lists, dates as objects): nothing to escape
            continue
        if risky.any():  # rarely: then the signed figures among them are let through
            risky[risky] = ~values[risky].str.fullmatch(_SIGNED_FIGURE.pattern, na=False)
        if risky.any():
            out[column] = values.where(~risky, "'" + values[risky].astype(str))
    out.columns = [safe_csv_text(c) for c in out.columns]
    return out
