"""The Excel value report: one account's figures with a live value model (formulas over visible assumptions).

Written with XlsxWriter (https://xlsxwriter.readthedocs.io): it writes each formula with the value it computes
(`write_formula`'s value: readers that do not recalculate show it) and a cell's XML as it goes; the workbook builds
in 0.59-0.66x of openpyxl's time (bench/RESULTS.md), which a quarter-end export of every account pays 2,000 times."""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet as XlsxSheet

from exports.cells import _CJK, CJK_CHARSET, CJK_FONT, HEADER_COLOR, font_name
from exports.data import ExportData, version_line
from exports.safety import is_formula_like, safe_cell_text
from exports.strings import text

# a cell's alignment and fill as XlsxWriter format properties (https://xlsxwriter.readthedocs.io/format.html)
HEADER_TALL = {"valign": "vcenter", "text_wrap": True}
HEADER_LINE = {"valign": "vcenter"}
WRAPPED = {"text_wrap": True, "valign": "top"}  # a long text cell (_Book.wrap)
TOP, TOP_INDENTED, LEFT, INDENTED = {"valign": "top"}, {"valign": "top", "indent": 1}, {"align": "left"}, {"indent": 1}
HEADER, INPUT, TOTAL = f"#{HEADER_COLOR}", "#DDEBF7", "#F2F2F2"  # fills
TITLE_COLOR, INPUT_COLOR, NOTE_COLOR = "1F4E79", "0000FF", "595959"
PCT, SIGNED_PCT, HOURS, TWO, INT = "0.0%", "+0.0%;-0.0%;0.0%", "#,##0.0", "#,##0.00", "#,##0"
ONE = "#,##0.0"  # payback months: one decimal, as everywhere
DAY, MONTH = "yyyy-mm-dd", "yyyy-mm"
HEADER_ROW = 4  # every table sheet: title, subtitle, blank, then the header (frozen)
_ALIGNMENT = ("align", "valign", "text_wrap", "indent")
_PIXELS_PER_CM = 96 / 2.54  # chart sizes are given in centimetres, as Excel's Format Chart Area shows them


@dataclass
class _Cell:
    """A cell as the report writes it: XlsxWriter takes a cell's format with its value, and the sheets set a
    cell's alignment or fill after its value, so cells are kept until the workbook is written."""

    value: object
    style: dict[str, object]
    cached: float | str | None = None  # what an own formula computes
    text: bool = False  # written as text whatever it starts with (customer text and our own words)


@dataclass
class _Sheet:
    """One worksheet being built: its cells (1-based row, column), column widths, row heights, frozen cell."""

    title: str
    ws: XlsxSheet
    cells: dict[tuple[int, int], _Cell] = field(default_factory=dict)
    widths: dict[str, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)

    def freeze(self, row: int, col: int) -> None:
        """Rows above `row` and columns left of `col` stay in view (openpyxl's freeze_panes = that cell)."""
        self.ws.freeze_panes(row - 1, col - 1)

    def ref(self, row: int, col: int) -> list[object]:
        """A cell as a chart's reference ([sheet, row, col], zero-based)."""
        return [self.title, row - 1, col - 1]

    def span(self, first: int, last: int, col: int, last_col: int | None = None) -> list[object]:
        """Rows first..last of a column (or columns col..last_col) as a chart's range."""
        return [self.title, first - 1, col - 1, last - 1, (last_col or col) - 1]


class _Book:
    """Cell writing with the workbook's language, font and currency format in one place."""

    def __init__(self, data: ExportData, lang: str) -> None:
        self.data, self.lang = data, lang
        self.out = io.BytesIO()
        # every value is written by its own method: no text ever becomes a formula, a number or a link by its look;
        # an infinite figure becomes Excel's #DIV/0! (never a crash), a time zone is dropped as Excel has none
        self.wb = Workbook(self.out, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                      "strings_to_urls": False, "nan_inf_to_errors": True, "remove_timezone": True})
        code = data.currency or ""
        # the currency code comes from customer data: only a plain ISO code goes into a number format
        self.money = f'"{code} "#,##0.00' if re.fullmatch(r"[A-Za-z]{3}", code) else TWO
        self.total_hours: float = 0.0          # the Value sheet's totals, as its formulas compute them
        self.total_value: float | str = ""
        self.sheets: list[_Sheet] = []
        self._formats: dict[tuple, Format] = {}

    def t(self, key: str, **values: object) -> str:
        return text(self.lang, key, **values)

    def put(self, ws: _Sheet, row: int, col: int, value: object, number_format: str | None = None,
            bold: bool = False, color: str | None = None, size: float = 11, italic: bool = False,
            customer: bool = False, cached: float | str | None = None) -> None:
        """Write a value; `customer` text is always text, as is our own text unless it is a formula of ours
        (starts with =), which comes with `cached`, the value it computes, so readers that do not recalculate show
        it."""
        own_formula = isinstance(value, str) and value.startswith("=") and not customer
        if own_formula and cached is None:
            raise ValueError(f"formula {value} in {ws.title}!R{row}C{col} written without its value")
        as_text = value is not None and (customer or (isinstance(value, str) and not own_formula))
        if as_text:
            value = safe_cell_text(value)
        style: dict[str, object] = {"font_name": font_name(value, self.lang), "font_size": size}
        if style["font_name"] == CJK_FONT:
            style["font_charset"] = CJK_CHARSET
        if bold:
            style["bold"] = True
        if italic:
            style["italic"] = True
        if color:
            style["font_color"] = f"#{color}"
        if number_format:
            style["num_format"] = number_format
        ws.cells[(row, col)] = _Cell(value, style, cached if own_formula else None, as_text)

    def style(self, ws: _Sheet, row: int, col: int, align: dict[str, object] | None = None,
              fill: str | None = None) -> None:
        """Set a written cell's alignment (in place of the one it had) or its solid fill."""
        cell = ws.cells.setdefault((row, col), _Cell(None, {}))
        if align is not None:
            for key in _ALIGNMENT:
                cell.style.pop(key, None)
            cell.style.update(align)
        if fill is not None:
            cell.style.update(pattern=1, bg_color=fill)

    def header(self, ws: _Sheet, row: int, labels: list[str], col: int = 1, tall: bool = True) -> None:
        """A table header; `tall` (two lines) for the main table, one line for side tables sharing its rows."""
        for i, label in enumerate(labels):
            self.put(ws, row, col + i, label, bold=True, color="FFFFFF")
            self.style(ws, row, col + i, HEADER_TALL if tall else HEADER_LINE, HEADER)
        if tall:
            ws.heights[row] = 32

    def wrap(self, ws: _Sheet, row: int, col: int) -> None:
        """Wrap a long text cell and make its row tall enough (LibreOffice does not size rows when it opens xlsx)."""
        self.style(ws, row, col, WRAPPED)
        width = ws.widths.get(xl_col_to_name(col - 1)) or 10
        chars = sum(2 if _CJK.match(ch) else 1 for ch in str(ws.cells[(row, col)].value or ""))
        lines = max(1, -(-chars // int(width * 1.05)))
        ws.heights[row] = max(ws.heights.get(row) or 15, 15 * lines + 2)

    def title(self, ws: _Sheet, title: str, subtitle: str) -> None:
        self.put(ws, 1, 1, title, bold=True, size=16, color=TITLE_COLOR, customer=True)
        self.put(ws, 2, 1, subtitle, color=NOTE_COLOR, customer=True)
        ws.heights[1] = 26

    def subtitle(self) -> str:
        return f"{safe_cell_text(self.data.account.name)} ({safe_cell_text(self.data.account.account_id)}) · " \
               f"{self.t('period')} {self.data.period.label()}"

    def sheet(self, key: str) -> _Sheet:
        title = self.t(f"sheet_{key}")
        ws = self.wb.add_worksheet(title)
        ws.hide_gridlines(2)
        # printed or saved as PDF: landscape A4, each sheet one page wide, as many pages down as it needs
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        # printed, every page names the data it was built from (& is a footer code: doubled to print as itself)
        ws.set_footer("&L" + version_line(self.data, self.lang).replace("&", "&&")[:200] + "&R&P / &N")
        sheet = _Sheet(title, ws)
        self.sheets.append(sheet)
        return sheet

    def name(self, name: str, ws: _Sheet, ref: str) -> None:
        """A workbook-level defined name, so formulas read =F5*HourlyCost rather than ='Summary'!$B$12."""
        self.wb.define_name(name, "='" + ws.title.replace("'", "''") + f"'!{ref}")

    def na(self) -> str:
        return '"' + self.t("na").replace('"', '""') + '"'

    def chart(self, kind: str, title: str, width_cm: float, height_cm: float) -> object:
        """A chart of `kind` (bar: horizontal bars, line) titled in the report's language and font."""
        chart = self.wb.add_chart({"type": kind})
        chart.set_title({"name": title, "name_font": {"name": font_name(title, self.lang), "size": 13}})
        chart.set_size({"width": round(width_cm * _PIXELS_PER_CM), "height": round(height_cm * _PIXELS_PER_CM)})
        return chart

    def _format(self, style: dict[str, object]) -> Format | None:
        """The workbook's one Format of `style` (XlsxWriter keeps each added format)."""
        if not style:
            return None
        key = tuple(sorted(style.items()))
        known = self._formats.get(key)
        if known is None:
            known = self._formats[key] = self.wb.add_format(dict(style))
        return known

    def _write(self, ws: _Sheet, row: int, col: int, cell: _Cell) -> None:
        """One kept cell into the sheet by the writer method of its kind (text, own formula, blank, number, date)."""
        value, r, c = cell.value, row - 1, col - 1
        if cell.text:
            style = {**cell.style, "quote_prefix": True} if is_formula_like(value) else cell.style  # type: ignore
            ws.ws.write_string(r, c, value, self._format(style))  # Excel keeps a quoted cell text when edited
        elif cell.cached is not None:
            ws.ws.write_formula(r, c, value, self._format(cell.style), cell.cached)
        elif value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            if cell.style:
                ws.ws.write_blank(r, c, None, self._format(cell.style))
        elif isinstance(value, (bool, np.bool_)):
            ws.ws.write_boolean(r, c, bool(value), self._format(cell.style))
        elif isinstance(value, (int, float, np.integer, np.floating)):
            ws.ws.write_number(r, c, float(value), self._format(cell.style))
        elif isinstance(value, (date, datetime)):
            style = cell.style if "num_format" in cell.style else {**cell.style, "num_format": DAY}
            ws.ws.write_datetime(r, c, value, self._format(style))
        else:
            raise TypeError(f"{type(value).__name__} in {ws.title}!R{row}C{col}")

    def save(self) -> bytes:
        """The workbook as .xlsx bytes: every sheet's cells, widths and heights, then the file."""
        for ws in self.sheets:
            for (row, col), cell in ws.cells.items():
                self._write(ws, row, col, cell)
            for letter, width in ws.widths.items():
                ws.ws.set_column(f"{letter}:{letter}", width)
            for row, height in ws.heights.items():
                ws.ws.set_row(row - 1, height)
        self.wb.close()
        return self.out.getvalue()


def _widths(ws: _Sheet, widths: dict[str, float]) -> None:
    ws.widths.update(widths)

