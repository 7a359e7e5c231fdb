"""The Excel value report: one account's figures with a live value model (formulas over visible assumptions).

Written with XlsxWriter (https://xlsxwriter.readthedocs.io): it writes each formula with the value it computes
(`write_formula`'s value: readers that do not recalculate show it) and a cell's XML as it goes; the workbook builds
in 0.59-0.66x of openpyxl's time (bench/RESULTS.md), which a quarter-end export of every account pays 2,000 times.
The cell writing is exports.excel.book; the sheets are in figures, usage, notes."""
from __future__ import annotations

import duckdb
import pandas as pd

from exports.cells import CJK_FONT, FONTS, HEADER_FILL
from exports.data import ExportData, StoreFacts, gather
from exports.excel.book import HEADER_ROW, _Book
from exports.excel.figures import _efficiency, _summary, _value
from exports.excel.internal import _business_case, _internal
from exports.excel.notes import _notes
from exports.excel.usage import _adoption, _asked, _objectives, _peers, _recommendations, recommendation
from exports.safety import safe_cell_text
from exports.strings import text
from metrics.period import Period
from metrics.report import PeriodInputs

__all__ = ["CJK_FONT", "FONTS", "HEADER_FILL", "HEADER_ROW", "build_xlsx", "recommendation", "sheet_names",
           "value_report_xlsx"]


SHEETS = ("summary", "objectives", "business_case", "efficiency", "adoption", "value", "peers", "recommendations",
          "asked", "notes", "internal")


def build_xlsx(data: ExportData, lang: str = "en", customer: bool = False) -> bytes:
    """The workbook for already gathered figures; `customer`: without the Internal sheet (the file a customer gets)."""
    book = _Book(data, lang)
    # created in the order they are shown; the Value sheet is written first: its totals are what the summary shows
    sheets = {key: book.sheet(key) for key in SHEETS if not (customer and key == "internal")}
    _value(book, sheets["value"])
    _summary(book, sheets["summary"])
    _business_case(book, sheets["business_case"])
    _efficiency(book, sheets["efficiency"])
    _adoption(book, sheets["adoption"])
    _peers(book, sheets["peers"])
    _recommendations(book, sheets["recommendations"])
    _asked(book, sheets["asked"])
    _notes(book, sheets["notes"])
    _objectives(book, sheets["objectives"])
    if "internal" in sheets:
        _internal(book, sheets["internal"])
    # XlsxWriter asks for a full recalculation on load (calcPr fullCalcOnLoad): Excel recomputes the formulas
    book.wb.set_properties({"title": text(lang, "report_title", account=safe_cell_text(data.account.name)),
                            "author": "ValueLens"})
    return book.save()


def value_report_xlsx(con: duckdb.DuckDBPyConnection, account_id: str, period: Period, lang: str = "en",
                      peers: pd.DataFrame | None = None, inputs: PeriodInputs | None = None,
                      facts: StoreFacts | None = None, customer: bool = False) -> bytes:
    """One account's Excel value report for `period` as .xlsx bytes; DataError for an unknown account. `peers`,
    `inputs` and `facts`: the period's peer figures and report inputs and the store's facts, when built once for many
    files (exports.data.gather); `customer`: without the Internal sheet."""
    return build_xlsx(gather(con, account_id, period, peers, inputs=inputs, facts=facts), lang, customer)


def sheet_names(lang: str = "en") -> dict[str, str]:
    """Sheet key -> sheet title in `lang` (for tests and readers)."""
    return {key: text(lang, f"sheet_{key}") for key in SHEETS}
