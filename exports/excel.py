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

import duckdb
import numpy as np
import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet as XlsxSheet

from exports.cells import _CJK, CJK_CHARSET, CJK_FONT, FONTS, HEADER_COLOR, HEADER_FILL, font_name
from exports.data import PEER_COLUMNS, ExportData, StoreFacts, gather, peer_rows
from exports.safety import is_formula_like, safe_cell_text
from exports.strings import fmt, reason, text
from metrics.objectives import UNITS as OBJECTIVE_UNITS
from metrics.period import Period
from metrics.privacy import MIN_OTHERS
from metrics.registry import METRICS
from metrics.report import PeriodInputs, UnderusedFeature
from wording import formula, term

__all__ = ["CJK_FONT", "FONTS", "HEADER_FILL", "HEADER_ROW", "build_xlsx", "recommendation", "sheet_names",
           "value_report_xlsx"]

# a cell's alignment and fill as XlsxWriter format properties (https://xlsxwriter.readthedocs.io/format.html)
HEADER_TALL = {"valign": "vcenter", "text_wrap": True}
HEADER_LINE = {"valign": "vcenter"}
WRAPPED = {"text_wrap": True, "valign": "top"}  # a long text cell (_Book.wrap)
TOP, TOP_INDENTED, LEFT, INDENTED = {"valign": "top"}, {"valign": "top", "indent": 1}, {"align": "left"}, {"indent": 1}
HEADER, INPUT, TOTAL = f"#{HEADER_COLOR}", "#DDEBF7", "#F2F2F2"  # fills
TITLE_COLOR, INPUT_COLOR, NOTE_COLOR = "1F4E79", "0000FF", "595959"
PCT, SIGNED_PCT, HOURS, TWO, INT = "0.0%", "+0.0%;-0.0%;0.0%", "#,##0.0", "#,##0.00", "#,##0"
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


def _summary(book: _Book, ws: _Sheet) -> None:
    data, t, acc = book.data, book.t, book.data.account
    book.title(ws, t("report_title", account=safe_cell_text(acc.name)), book.subtitle())
    facts = [("account", acc.name, None, True), ("account_id", acc.account_id, None, True),
             ("industry", term("industry", acc.industry, book.lang), None, True),
             ("period", data.period.label(), None, False),
             ("go_live", acc.go_live_date, DAY, False), ("currency", data.currency, None, True),
             ("seats", acc.seats, INT, False)]
    for row, (key, value, number_format, customer) in enumerate(facts, start=4):
        book.put(ws, row, 1, t(key), bold=True)
        book.put(ws, row, 2, value if value is not None else t("na"), number_format, customer=customer)
        book.style(ws, row, 2, LEFT)
        if key == "seats":
            book.name("Seats", ws, f"$B${row}")

    row = 12
    book.put(ws, row, 1, t("assumptions"), bold=True, size=13, color=TITLE_COLOR)
    book.put(ws, row + 1, 1, t("assumptions_hint"), italic=True, color=NOTE_COLOR)
    assumptions = [("hourly_cost", "HourlyCost", acc.hourly_cost, book.money, True),
                   ("hours_per_year", "HoursPerYear", data.hours_per_year, INT, True),
                   ("months_in_period", "MonthsInPeriod", data.months, INT, False),
                   ("acv", "AnnualContractValue", acc.annual_contract_value, book.money, True)]
    for offset, (key, name, value, number_format, is_input) in enumerate(assumptions, start=2):
        book.put(ws, row + offset, 1, t(key), bold=True)
        book.put(ws, row + offset, 2, value, number_format, color=INPUT_COLOR if is_input else None)
        if is_input:
            book.style(ws, row + offset, 2, fill=INPUT)
        book.name(name, ws, f"$B${row + offset}")

    row = 20
    book.put(ws, row, 1, t("headline"), bold=True, size=13, color=TITLE_COLOR)
    book.header(ws, row + 1, [t("metric"), t("figure"), t("unit"), t("how"), t("note")])
    na, na_text = book.na(), t("na")
    hourly, acv, months = acc.hourly_cost, acc.annual_contract_value, data.months
    value, hours = book.total_value, book.total_hours  # what the Value sheet's totals compute
    priced = isinstance(value, float)
    contract = priced and acv is not None and acv != 0
    live = {
        "value": (f'=IF(ISNUMBER(HourlyCost),TotalValue,{na})', book.money,
                  value if hourly is not None else na_text),
        "hours_saved": ("=TotalHoursSaved", HOURS, hours),
        "fte_equivalent": (f"=IF(AND(ISNUMBER(HoursPerYear),HoursPerYear>0),"
                           f"TotalHoursSaved/(MonthsInPeriod*HoursPerYear/12),{na})", TWO,
                           hours / (months * data.hours_per_year / 12) if data.hours_per_year > 0 else na_text),
        "roi": ("=IF(AND(ISNUMBER(TotalValue),ISNUMBER(AnnualContractValue),AnnualContractValue<>0),"
                f"(TotalValue*12/MonthsInPeriod-AnnualContractValue)/AnnualContractValue,{na})", SIGNED_PCT,
                (value * 12 / months - acv) / acv if contract else na_text),
        "payback_months": ("=IF(AND(ISNUMBER(TotalValue),ISNUMBER(AnnualContractValue),AnnualContractValue<>0),"
                           f"IF(TotalValue>0,AnnualContractValue/(TotalValue/MonthsInPeriod),{na}),{na})", TWO,
                           acv / (value / months) if contract and value > 0 else na_text),
    }
    # a unit the figure's number format already shows (currency code, %) is not repeated beside it
    units = {"currency": "", "hours": t("unit_hours"), "FTE": "FTE", "fraction": "",
             "months": t("unit_months")}
    _widths(ws, {"A": 34, "B": 22, "C": 10, "D": 62, "E": 34})
    for offset, k in enumerate(data.kpis, start=2):
        r = row + offset
        book.put(ws, r, 1, t(f"kpi_{k.name}"), bold=True)
        if k.name in live:
            expression, number_format, cached = live[k.name]
            book.put(ws, r, 2, expression, number_format, cached=cached)
            note = t("live")
        else:
            book.put(ws, r, 2, k.value if k.value is not None else t("na"),
                     SIGNED_PCT if "delta" in k.name else PCT)
            note = reason(book.lang, k.reason)
        book.put(ws, r, 3, units.get(k.unit, k.unit), customer=k.unit == "currency")
        book.put(ws, r, 4, formula(k.name, METRICS[k.name].formula, book.lang))
        book.put(ws, r, 5, note, italic=True, color=NOTE_COLOR)
        for c in (1, 2, 5):
            book.style(ws, r, c, TOP)
        book.style(ws, r, 3, TOP_INDENTED)
        book.wrap(ws, r, 4)


def _value(book: _Book, ws: _Sheet) -> None:
    data, t = book.data, book.t
    book.title(ws, t("value_title"), book.subtitle())
    book.put(ws, 3, 1, t("value_formula_note"), italic=True, color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t("feature"), t("basis_col"), t("events"), t("units"), t("minutes_saved"),
                                 t("hours_saved"), t("value"), t("category"), t("description")])
    drivers = {row.feature: (row.category, row.description) for row in data.drivers.itertuples(index=False)}
    rows = data.report.cost.by_feature
    first = HEADER_ROW + 1
    value_if = "IF(ISNUMBER(HourlyCost),{expr},\"\")"
    hourly = data.account.hourly_cost
    hours, values = [], []
    for r, item in enumerate(rows, start=first):
        volume_col = "D" if item.basis == "unit" else "C"
        book.put(ws, r, 1, item.feature, customer=True)
        book.put(ws, r, 2, t("basis_unit" if item.basis == "unit" else "basis_use"))
        book.put(ws, r, 3, item.events, INT)
        book.put(ws, r, 4, item.units, TWO)
        book.put(ws, r, 5, item.minutes_saved, TWO, color=INPUT_COLOR)
        book.style(ws, r, 5, fill=INPUT)
        hours.append((item.units if item.basis == "unit" else item.events) * item.minutes_saved / 60)
        values.append(hours[-1] * hourly if hourly is not None else "")
        book.put(ws, r, 6, f"={volume_col}{r}*E{r}/60", TWO, cached=hours[-1])
        book.put(ws, r, 7, "=" + value_if.format(expr=f"F{r}*HourlyCost"), book.money, cached=values[-1])
        driver = drivers.get(item.feature)
        category, description = driver if driver is not None else (None, None)
        book.put(ws, r, 8, None if driver is None else term("category", category, book.lang), customer=True)
        book.style(ws, r, 8, INDENTED)  # clear of the money to its left
        book.put(ws, r, 9, description, customer=True)
    last = first + len(rows) - 1
    total = last + 1
    if not rows:
        book.put(ws, first, 1, t("no_value_rows"), italic=True, color=NOTE_COLOR)
        total = first + 1
    book.put(ws, total, 1, t("total"), bold=True)
    book.total_hours = float(sum(hours))
    book.total_value = float(sum(values)) if hourly is not None else t("na")
    sums = {3: (INT, "C", sum(i.events for i in rows)), 4: (TWO, "D", sum(i.units for i in rows)),
            6: (TWO, "F", book.total_hours)}
    for col, (number_format, letter, cached) in sums.items():
        book.put(ws, total, col, f"=SUM({letter}{first}:{letter}{last})" if rows else 0, number_format, bold=True,
                 cached=cached)
    book.put(ws, total, 7, f"=IF(ISNUMBER(HourlyCost),{f'SUM(G{first}:G{last})' if rows else 0},{book.na()})",
             book.money, bold=True, cached=book.total_value)
    for col in range(1, 10):
        book.style(ws, total, col, fill=TOTAL)
    book.name("TotalHoursSaved", ws, f"$F${total}")
    book.name("TotalValue", ws, f"$G${total}")
    ws.freeze(first, 2)
    _widths(ws, {"A": 26, "B": 12, "C": 10, "D": 12, "E": 16, "F": 14, "G": 18, "H": 14, "I": 44})
    if rows:
        priced = data.account.hourly_cost is not None
        chart = book.chart("bar", t("chart_value" if priced else "chart_hours"), 16, max(6.0, 0.5 * len(rows) + 3))
        chart.set_style(10)
        chart.add_series({"values": ws.span(first, last, 7 if priced else 6), "categories": ws.span(first, last, 1),
                          "gap": 60})
        chart.set_legend({"none": True})
        # a bar chart's x axis is its value axis in XlsxWriter: whole units on it; categories largest first, top down
        chart.set_x_axis({"num_format": book.money.replace("0.00", "0") if priced else HOURS})
        chart.set_y_axis({"reverse": True, "crossing": "max"})  # reversed, the value axis stays at the bottom
        ws.ws.insert_chart(total + 2, 0, chart)


def _efficiency(book: _Book, ws: _Sheet) -> None:
    data, t = book.data, book.t
    eff = data.report.efficiency
    usage = eff.basis.startswith("usage")
    book.title(ws, t("efficiency_title"), book.subtitle())
    book.put(ws, 3, 1, f"{t('basis')}: {t('basis_usage' if usage else 'basis_outcomes')}", italic=True,
             color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t("month"), t("output_units"), t("headcount"), t("output_per_person"),
                                 t("units_per_active_user"), t("window")])
    first = HEADER_ROW + 1
    for r, row in enumerate(data.output.itertuples(index=False), start=first):
        book.put(ws, r, 1, row.month, MONTH)
        for col, value in ((2, row.output_units), (3, row.headcount), (4, row.output_per_person),
                           (5, row.units_per_active_user)):
            book.put(ws, r, col, None if value != value else value, INT if col == 3 else TWO)
        book.put(ws, r, 6, t(row.window) if row.window else "")
    last = first + len(data.output) - 1
    ws.freeze(first, 2)

    block = [("baseline_mean", eff.baseline, TWO), ("current_mean", eff.current, TWO),
             ("delta", eff.delta, SIGNED_PCT), ("interval", eff.ci_low, SIGNED_PCT),
             ("adjusted_delta", eff.adjusted_delta, SIGNED_PCT),
             ("adjusted_interval", eff.adjusted_ci_low, SIGNED_PCT),
             ("comparison_accounts", eff.comparison_accounts, INT),
             ("comparison_delta", eff.comparison_delta, SIGNED_PCT)]
    book.header(ws, HEADER_ROW, [t("metric"), t("figure"), ""], col=8, tall=False)
    for r, (key, value, number_format) in enumerate(block, start=first):
        book.put(ws, r, 8, t(key), bold=True)
        book.put(ws, r, 9, value if value is not None else t("na"), number_format)
        if key.endswith("interval"):
            high = eff.ci_high if key == "interval" else eff.adjusted_ci_high
            book.put(ws, r, 10, high if high is not None else t("na"), number_format)
    r = first + len(block)
    book.put(ws, r, 8, t("method"), bold=True)
    book.put(ws, r, 9, reason(book.lang, eff.method) or t("na"))
    why = eff.reason or (eff.adjusted_reason if eff.delta is not None else None)
    if why:  # why the delta, or only its trend adjustment, is missing
        book.put(ws, r + 1, 8, t("reason"), bold=True)
        book.put(ws, r + 1, 9, reason(book.lang, why), color="C00000")
    _widths(ws, {"A": 11, "B": 13, "C": 11, "D": 14, "E": 16, "F": 12, "G": 3, "H": 40, "I": 14, "J": 14})
    if len(data.output):
        column = 5 if usage else 4
        chart = book.chart("line", t("chart_units" if usage else "chart_output"), 18, 7.5)
        chart.add_series({"name": ws.ref(HEADER_ROW, column), "values": ws.span(first, last, column),
                          "categories": ws.span(first, last, 1), "smooth": False})  # smoothed, it dips below 0
        chart.set_legend({"none": True})
        chart.set_y_axis({"name": t("output_per_person" if not usage else "units_per_active_user")})
        chart.set_x_axis({"num_format": MONTH})
        ws.ws.insert_chart(first + len(block) + 3, 7, chart)


def _adoption(book: _Book, ws: _Sheet) -> None:
    data, t, use = book.data, book.t, book.data.report.adoption
    book.title(ws, t("adoption_title"), book.subtitle())
    if data.peers_shown:
        book.put(ws, 3, 1, t(f"peer_group_{data.peer_group}", n=data.peers), italic=True, color=NOTE_COLOR)
    else:
        book.put(ws, 3, 1, t("peers_hidden", min=MIN_OTHERS), italic=True, color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t("feature"), t("in_value_model"), t("adopters"), t("adoption_rate"),
                                 t("peer_median"), t("depth"), t("first_used"), t("days_from_go_live")])
    first = HEADER_ROW + 1
    for r, row in enumerate(data.features.itertuples(index=False), start=first):
        book.put(ws, r, 1, row.feature, customer=True)
        book.put(ws, r, 2, t("yes" if row.has_value_driver else "no"))
        book.put(ws, r, 3, row.adopters, INT)
        for col, value, number_format in ((4, row.adoption_rate, PCT), (5, row.peer_median, PCT),
                                          (6, row.depth, TWO), (8, row.days_from_go_live, INT)):
            book.put(ws, r, col, None if value is None or value != value else float(value), number_format)
        first_used = row.first_used_at
        book.put(ws, r, 7, None if first_used is None or first_used != first_used else first_used.date(), DAY)
    ws.freeze(first, 2)

    overview = [("kpi_key_feature_adoption", use.key_feature_adoption, PCT), ("breadth", use.breadth, TWO),
                ("kpi_seat_utilization", use.seat_utilization, PCT), ("stickiness", use.stickiness, PCT)]
    book.header(ws, HEADER_ROW, [t("overview"), t("figure")], col=10, tall=False)
    for r, (key, value, number_format) in enumerate(overview, start=first):
        book.put(ws, r, 10, t(key), bold=True)
        book.put(ws, r, 11, value if value is not None else t("na"), number_format)
    mau_row = first + len(overview) + 1
    book.header(ws, mau_row, [t("month"), t("active_users")], col=10, tall=False)
    for r, row in enumerate(data.mau.itertuples(index=False), start=mau_row + 1):
        book.put(ws, r, 10, row.month, MONTH)
        book.put(ws, r, 11, row.active_users, INT)
    _widths(ws, {"A": 26, "B": 14, "C": 10, "D": 12, "E": 12, "F": 12, "G": 12, "H": 12, "I": 3, "J": 30, "K": 12})

    mau = book.chart("line", t("chart_mau"), 16, 7.5)
    last_month = mau_row + len(data.mau)
    mau.add_series({"name": ws.ref(mau_row, 11), "values": ws.span(mau_row + 1, last_month, 11),
                    "categories": ws.span(mau_row + 1, last_month, 10), "smooth": False})
    mau.set_legend({"none": True})
    mau.set_y_axis({"name": t("active_users")})
    mau.set_x_axis({"num_format": MONTH})
    # charts under the tables, not beside them: printed one page wide, the sheet stays readable
    below = max(first + len(data.features), mau_row + len(data.mau) + 1) + 2
    ws.ws.insert_chart(below - 1, 0, mau)
    ws.ws.set_h_pagebreaks([below - 1])  # printed, the charts start a page of their own
    valued = int(data.features["has_value_driver"].sum())
    if valued:
        last = first + valued - 1
        peers = book.chart("bar", t("chart_peers"), 16, max(7.5, 0.8 * valued + 3))
        for col in (4, 5) if data.peers_shown else (4,):
            peers.add_series({"name": ws.ref(HEADER_ROW, col), "values": ws.span(first, last, col),
                              "categories": ws.span(first, last, 1), "gap": 60})
        peers.set_x_axis({"num_format": "0%", "min": 0, "max": 1})  # the value axis (see _value)
        peers.set_y_axis({"reverse": True, "crossing": "max"})
        peers.set_legend({"position": "bottom"})
        ws.ws.insert_chart(below + 16, 0, peers)


def _recommendations(book: _Book, ws: _Sheet) -> None:
    data, t = book.data, book.t
    book.title(ws, t("recommendations_title"), book.subtitle())
    book.header(ws, HEADER_ROW, [t("feature"), t("adoption_rate"), t("peer_median"), t("non_adopters"),
                                 t("hours_left"), t("value_left"), t("action")])
    first = HEADER_ROW + 1
    ws.freeze(first, 2)
    _widths(ws, {"A": 26, "B": 12, "C": 12, "D": 14, "E": 14, "F": 18, "G": 90})
    items = data.report.adoption.underused_features
    if not data.peers_shown:
        book.put(ws, first, 1, t("peers_hidden", min=MIN_OTHERS), italic=True, color=NOTE_COLOR)
        return
    if not items:
        book.put(ws, first, 1, t("no_recommendations"), italic=True, color=NOTE_COLOR)
        return
    for r, item in enumerate(items, start=first):
        book.put(ws, r, 1, item.feature, customer=True)
        book.put(ws, r, 2, item.adoption_rate, PCT)
        book.put(ws, r, 3, item.peer_median, PCT)
        book.put(ws, r, 4, item.non_adopters, INT)
        book.put(ws, r, 5, item.hours_left, HOURS)
        if item.hours_left is None:
            book.put(ws, r, 6, t("na"))
        else:  # follows the hourly cost on the Summary sheet
            hourly = data.account.hourly_cost
            book.put(ws, r, 6, f"=IF(ISNUMBER(HourlyCost),E{r}*HourlyCost,{book.na()})", book.money,
                     cached=item.hours_left * hourly if hourly is not None else t("na"))
        book.put(ws, r, 7, recommendation(item, book.lang), customer=True)
        book.wrap(ws, r, 7)


def recommendation(item: UnderusedFeature, lang: str) -> str:
    """One underused feature as a sentence for a QBR."""
    return text(lang, "recommendation", feature=safe_cell_text(item.feature),
                rate=fmt(item.adoption_rate, "fraction", lang), median=fmt(item.peer_median, "fraction", lang),
                users=fmt(item.non_adopters, "count", lang), hours=fmt(item.hours_left, "hours", lang))


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
    _widths(ws, {"A": 18})


def _objectives(book: _Book, ws: _Sheet) -> None:
    """What was promised and how far it has come; progress is a formula over the baseline, now and target cells."""
    data, t = book.data, book.t
    book.title(ws, t("objectives_title"), book.subtitle())
    book.put(ws, 3, 1, t("objectives_hint"), italic=True, color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t("objective"), t("baseline_col"), t("now"), t("target_col"), t("target_date"),
                                 t("progress"), t("status"), t("owner"), t("counted")])
    first = HEADER_ROW + 1
    unit_formats = {"fraction": PCT, "hours": HOURS, "currency": book.money}
    shares = []
    for r, o in enumerate(data.report.objectives, start=first):
        number_format = SIGNED_PCT if o.metric.endswith("_delta") else unit_formats[OBJECTIVE_UNITS[o.metric]]
        book.put(ws, r, 1, t(f"metric_{o.metric}"), bold=True)
        for col, value in ((2, o.baseline), (3, o.current)):
            book.put(ws, r, col, value if value is not None else t("na"), number_format)
        book.put(ws, r, 4, o.target, number_format, color=INPUT_COLOR)
        book.style(ws, r, 4, fill=INPUT)
        book.put(ws, r, 5, o.target_date, DAY)
        progress = o.progress if o.progress is not None else t("na")  # what the formula below computes
        book.put(ws, r, 6, f"=IF(AND(ISNUMBER(B{r}),ISNUMBER(C{r}),ISNUMBER(D{r}),D{r}<>B{r}),"
                           f"(C{r}-B{r})/(D{r}-B{r}),{book.na()})", PCT, cached=progress)
        capped = min(1.0, max(0.0, progress)) if isinstance(progress, float) else t("na")
        if isinstance(capped, float):
            shares.append(capped)
        book.put(ws, r, 7, t(f"status_{o.status}"))
        book.put(ws, r, 8, o.owner, customer=True)
        book.put(ws, r, 9, f"=IF(ISNUMBER(F{r}),MIN(1,MAX(0,F{r})),{book.na()})", PCT, cached=capped)
    last = first + len(data.report.objectives) - 1
    if data.report.objectives:
        r = last + 2
        book.put(ws, r, 1, t("value_delivered"), bold=True)
        book.put(ws, r, 9, f"=IF(COUNT(I{first}:I{last})>0,AVERAGE(I{first}:I{last}),{book.na()})", PCT, bold=True,
                 cached=sum(shares) / len(shares) if shares else t("na"))
    else:
        book.put(ws, first, 1, t("na"), italic=True, color=NOTE_COLOR)
    ws.freeze(first, 2)
    _widths(ws, {"A": 30, "B": 14, "C": 14, "D": 14, "E": 13, "F": 12, "G": 12, "H": 20, "I": 14})


def _peers(book: _Book, ws: _Sheet) -> None:
    """The peer benchmark: own figure, percentile and anonymous quartiles per figure (metrics.benchmarks)."""
    data, t = book.data, book.t
    book.title(ws, t("peers_title"), book.subtitle())
    book.put(ws, 3, 1, t("peers_note"), italic=True, color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t(f"peer_col_{c}") for c in PEER_COLUMNS])
    formats = {"fraction": PCT, "hours": TWO, "currency": book.money, "number": TWO}
    seats = data.account.seats
    live = {"hours_saved_per_seat": ("TotalHoursSaved", book.total_hours),
            "value_per_seat": ("TotalValue", book.total_value)}  # own figures that follow the assumptions
    for r, row in enumerate(peer_rows(data, book.lang), start=HEADER_ROW + 1):
        book.put(ws, r, 1, row["figure"])
        for c, key in enumerate(("own", "percentile", "p25", "median", "p75"), start=2):
            value = row[key]
            book.put(ws, r, c, value, "0" if key == "percentile" else formats[row["unit"]])
        if row["metric"] in live and row["own"] is not None:
            name, total = live[row["metric"]]
            book.put(ws, r, 2, f"=IF(AND(ISNUMBER({name}),ISNUMBER(Seats),Seats>0),{name}/Seats,{book.na()})",
                     formats[row["unit"]], cached=total / seats if isinstance(total, float) and seats else t("na"))
        book.put(ws, r, 7, row["peers"], INT)
        book.put(ws, r, 8, row["cohort"], customer=True)
    ws.freeze(HEADER_ROW + 1, 2)
    _widths(ws, {"A": 30, "B": 14, "C": 12, "D": 14, "E": 14, "F": 14, "G": 8, "H": 30})


def build_xlsx(data: ExportData, lang: str = "en") -> bytes:
    """The workbook for already gathered figures."""
    book = _Book(data, lang)
    # created in the order they are shown; the Value sheet is written first: its totals are what the summary shows
    sheets = {key: book.sheet(key) for key in ("summary", "objectives", "efficiency", "adoption", "value", "peers",
                                                "recommendations", "notes")}
    _value(book, sheets["value"])
    _summary(book, sheets["summary"])
    _efficiency(book, sheets["efficiency"])
    _adoption(book, sheets["adoption"])
    _peers(book, sheets["peers"])
    _recommendations(book, sheets["recommendations"])
    _notes(book, sheets["notes"])
    _objectives(book, sheets["objectives"])
    # XlsxWriter asks for a full recalculation on load (calcPr fullCalcOnLoad): Excel recomputes the formulas
    book.wb.set_properties({"title": text(lang, "report_title", account=safe_cell_text(data.account.name)),
                            "author": "ValueLens"})
    return book.save()


def value_report_xlsx(con: duckdb.DuckDBPyConnection, account_id: str, period: Period, lang: str = "en",
                      peers: pd.DataFrame | None = None, inputs: PeriodInputs | None = None,
                      facts: StoreFacts | None = None) -> bytes:
    """One account's Excel value report for `period` as .xlsx bytes; DataError for an unknown account. `peers`,
    `inputs` and `facts`: the period's peer figures and report inputs and the store's facts, when built once for many
    files (exports.data.gather)."""
    return build_xlsx(gather(con, account_id, period, peers, inputs=inputs, facts=facts), lang)


def sheet_names(lang: str = "en") -> dict[str, str]:
    """Sheet key -> sheet title in `lang` (for tests and readers)."""
    return {key: text(lang, f"sheet_{key}")
            for key in ("summary", "objectives", "efficiency", "adoption", "value", "peers", "recommendations",
                        "notes")}

