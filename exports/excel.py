"""The Excel value report: one account's figures with a live value model (formulas over visible assumptions)."""
from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import datetime, timezone
from functools import lru_cache

import duckdb
import pandas as pd
from lxml import etree
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from exports.data import PEER_COLUMNS, ExportData, StoreFacts, gather, peer_rows
from exports.safety import safe_cell_text, write_text
from exports.strings import fmt, reason, text
from metrics.objectives import UNITS as OBJECTIVE_UNITS
from metrics.period import Period
from metrics.privacy import MIN_OTHERS
from metrics.registry import METRICS
from metrics.report import PeriodInputs, UnderusedFeature
from wording import formula, term

FONTS = {"en": "Calibri", "zh": "Microsoft YaHei"}
CJK_FONT = "Microsoft YaHei"  # Excel falls back to another CJK font where it is missing; so does LibreOffice
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
INPUT_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
HEADER_TALL, HEADER_LINE = Alignment(vertical="center", wrap_text=True), Alignment(vertical="center", wrap_text=False)
WRAPPED = Alignment(wrap_text=True, vertical="top")  # a long text cell (_Book.wrap)
TITLE_COLOR, INPUT_COLOR, NOTE_COLOR = "1F4E79", "0000FF", "595959"
PCT, SIGNED_PCT, HOURS, TWO, INT = "0.0%", "+0.0%;-0.0%;0.0%", "#,##0.0", "#,##0.00", "#,##0"
DAY, MONTH = "yyyy-mm-dd", "yyyy-mm"
HEADER_ROW = 4  # every table sheet: title, subtitle, blank, then the header (frozen)


def cell_font(value: object, lang: str, **style: object) -> Font:
    """The font of a cell holding `value`: the CJK font for Chinese text, else the language's font."""
    name = CJK_FONT if isinstance(value, str) and _CJK.search(value) else FONTS.get(lang, FONTS["en"])
    return _font(name, tuple(sorted(style.items())))


@lru_cache(maxsize=512)
def _font(name: str, style: tuple[tuple[str, object], ...]) -> Font:
    """One Font object per name and style, shared by every cell and workbook (openpyxl keeps a workbook's fonts
    by value and never changes one): a report wrote some 14,000 cells, each building its own Font."""
    return Font(name=name, charset=134 if name == CJK_FONT else None, **dict(style))


class _Book:
    """Cell writing with the workbook's language, font and currency format in one place."""

    def __init__(self, data: ExportData, lang: str) -> None:
        self.data, self.lang = data, lang
        self.wb = Workbook()
        code = data.currency or ""
        # the currency code comes from customer data: only a plain ISO code goes into a number format
        self.money = f'"{code} "#,##0.00' if re.fullmatch(r"[A-Za-z]{3}", code) else TWO
        self.cached: dict[tuple[str, str], float | str] = {}  # (sheet, cell) -> what its formula computes
        self.total_hours: float = 0.0          # the Value sheet's totals, as its formulas compute them
        self.total_value: float | str = ""
        self._style_ids: dict[int, tuple[object, int]] = {}  # id(style) -> (style, its index in the workbook)

    def t(self, key: str, **values: object) -> str:
        return text(self.lang, key, **values)

    def font(self, value: object = None, **style: object) -> Font:
        return cell_font(value, self.lang, **style)

    def put(self, ws: Worksheet, row: int, col: int, value: object, number_format: str | None = None,
            bold: bool = False, color: str | None = None, size: float = 11, italic: bool = False,
            customer: bool = False, cached: float | str | None = None) -> None:
        """Write a value; `customer` text goes through the formula-injection guard, own text and numbers don't. A
        formula of our own comes with `cached`, the value it computes, so readers that do not recalculate show it."""
        cell = ws.cell(row=row, column=col)
        if isinstance(value, str) and value.startswith("=") and not customer:
            if cached is None:
                raise ValueError(f"formula {value} in {ws.title}!{cell.coordinate} written without its value")
            self.cached[(ws.title, cell.coordinate)] = cached
        if value is None:
            cell.value = None
        elif customer or (isinstance(value, str) and not value.startswith("=")):
            write_text(cell, value)
        else:
            cell.value = value
        self.set_font(cell, self.font(cell.value, bold=bold, color=color, size=size, italic=italic))
        if number_format:
            cell.number_format = number_format

    def set_font(self, cell: Cell, font: Font) -> None:
        """`cell.font = font`, what openpyxl's style descriptor does (the font's index in the workbook's list into
        the cell's style array), with the index looked up once per font: openpyxl hashes every attribute of the
        Font for each cell, a quarter of a report's build. Fonts are shared (_font), so one is known by identity."""
        self._set_style(cell, "_fonts", "fontId", font)

    def _set_style(self, cell: Cell, collection: str, key: str, value: object) -> None:
        """What openpyxl's StyleDescriptor sets for `cell.<style> = value` (the value's index in the workbook's
        `collection` into the cell's style array at `key`), the index found once per shared style object."""
        known = self._style_ids.get(id(value))
        if known is None or known[0] is not value:
            known = self._style_ids[id(value)] = (value, getattr(self.wb, collection).add(value))
        if not cell._style:
            cell._style = StyleArray()
        setattr(cell._style, key, known[1])

    def header(self, ws: Worksheet, row: int, labels: list[str], col: int = 1, tall: bool = True) -> None:
        """A table header; `tall` (two lines) for the main table, one line for side tables sharing its rows."""
        for i, label in enumerate(labels):
            cell = ws.cell(row=row, column=col + i, value=label)
            self.set_font(cell, self.font(label, bold=True, color="FFFFFF"))
            self._set_style(cell, "_fills", "fillId", HEADER_FILL)
            self._set_style(cell, "_alignments", "alignmentId", HEADER_TALL if tall else HEADER_LINE)
        if tall:
            ws.row_dimensions[row].height = 32

    def wrap(self, ws: Worksheet, row: int, col: int) -> None:
        """Wrap a long text cell and make its row tall enough (LibreOffice does not size rows when it opens xlsx)."""
        cell = ws.cell(row=row, column=col)
        self._set_style(cell, "_alignments", "alignmentId", WRAPPED)
        width = ws.column_dimensions[get_column_letter(col)].width or 10
        chars = sum(2 if _CJK.match(ch) else 1 for ch in str(cell.value or ""))
        lines = max(1, -(-chars // int(width * 1.05)))
        current = ws.row_dimensions[row].height or 15
        ws.row_dimensions[row].height = max(current, 15 * lines + 2)

    def title(self, ws: Worksheet, title: str, subtitle: str) -> None:
        self.put(ws, 1, 1, title, bold=True, size=16, color=TITLE_COLOR, customer=True)
        self.put(ws, 2, 1, subtitle, color=NOTE_COLOR, customer=True)
        ws.row_dimensions[1].height = 26

    def subtitle(self) -> str:
        return f"{safe_cell_text(self.data.account.name)} ({safe_cell_text(self.data.account.account_id)}) · " \
               f"{self.t('period')} {self.data.period.label()}"

    def sheet(self, key: str, first: bool = False) -> Worksheet:
        ws = self.wb.active if first else self.wb.create_sheet()
        ws.title = self.t(f"sheet_{key}")
        ws.sheet_view.showGridLines = False
        # printed or saved as PDF: landscape, each sheet one page wide
        ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0  # as many pages down as the sheet needs
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        return ws

    def name(self, name: str, ws: Worksheet, ref: str) -> None:
        """A workbook-level defined name, so formulas read =F5*HourlyCost rather than ='Summary'!$B$12."""
        self.wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(ws.title)}!{ref}")

    def na(self) -> str:
        return '"' + self.t("na").replace('"', '""') + '"'

    def save(self) -> bytes:
        """The workbook as .xlsx bytes, each formula with its cached value (openpyxl writes formulas without one, so
        pandas, previewers and mail clients would show blanks): <v> filled in the sheet XML (ECMA-376 Part 1,
        18.3.1.4 c; t="str" for a text result)."""
        out = io.BytesIO()
        # openpyxl's writer into a stored (uncompressed) archive: with_cached_values reads it back and compresses
        # every part once, instead of openpyxl deflating them, then inflating and deflating them again
        self.wb.properties.modified = datetime.now(timezone.utc).replace(tzinfo=None)  # as Workbook.save sets it
        _InMemoryWriter(self.wb, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED)).save()
        return with_cached_values(out.getvalue(), self.cached)


class _InMemoryWriter(ExcelWriter):
    """openpyxl's ExcelWriter (3.1.5, pinned) with each worksheet's XML written into memory: its own
    write_worksheet creates a temporary file per sheet, writes it, reads it back into the archive and removes it
    (eight files a workbook). The same steps otherwise, and the same part: its bytes, and the entry's attributes as
    ZipFile.write gives a file made by tempfile.mkstemp (mode 0600)."""

    def write_worksheet(self, ws: Worksheet) -> None:
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        buffer = io.BytesIO()
        writer = WorksheetWriter(ws, out=buffer)
        writer.write()
        ws._rels = writer._rels
        entry = zipfile.ZipInfo(ws.path[1:], time.localtime()[:6])
        entry.external_attr = 0o100600 << 16
        self._archive.writestr(entry, buffer.getvalue(), zipfile.ZIP_STORED)
        self.manifest.append(ws)


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def with_cached_values(xlsx: bytes, cached: dict[tuple[str, str], float | str]) -> bytes:
    """`xlsx` with the value of every formula cell named in `cached` ((sheet title, cell) -> value) stored."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    book = etree.fromstring(source.read("xl/workbook.xml"))
    rels = etree.fromstring(source.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target").lstrip("/") for r in rels}
    parts = {}
    for sheet in book.iter(f"{{{_MAIN}}}sheet"):
        target = targets[sheet.get(f"{{{_REL}}}id")]
        parts[target if target.startswith("xl/") else f"xl/{target}"] = sheet.get("name")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as sink:
        for info in source.infolist():
            data = source.read(info.filename)
            title = parts.get(info.filename)
            if title is not None:
                data = _fill_values(data, {cell: v for (t, cell), v in cached.items() if t == title})
            info.compress_type = zipfile.ZIP_DEFLATED
            sink.writestr(info, data)
    return out.getvalue()


def _fill_values(sheet_xml: bytes, values: dict[str, float | str]) -> bytes:
    root = etree.fromstring(sheet_xml)
    for cell in root.iter(f"{{{_MAIN}}}c"):
        ref = cell.get("r")
        if ref not in values or cell.find(f"{{{_MAIN}}}f") is None:
            continue
        value = values.pop(ref)
        v = cell.find(f"{{{_MAIN}}}v")
        if v is None:
            v = etree.SubElement(cell, f"{{{_MAIN}}}v")
        if isinstance(value, str):
            cell.set("t", "str")
            v.text = value
        else:
            cell.attrib.pop("t", None)
            v.text = repr(float(value))
    if values:
        raise ValueError(f"no formula in cells {sorted(values)}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _widths(ws: Worksheet, widths: dict[str, float]) -> None:
    for column, width in widths.items():
        ws.column_dimensions[column].width = width


def _summary(book: _Book, ws: Worksheet) -> None:
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
        ws.cell(row=row, column=2).alignment = Alignment(horizontal="left")
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
            ws.cell(row=row + offset, column=2).fill = INPUT_FILL
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
            ws.cell(row=r, column=c).alignment = Alignment(vertical="top")
        ws.cell(row=r, column=3).alignment = Alignment(vertical="top", indent=1)
        book.wrap(ws, r, 4)


def _value(book: _Book, ws: Worksheet) -> None:
    data, t = book.data, book.t
    book.title(ws, t("value_title"), book.subtitle())
    book.put(ws, 3, 1, t("value_formula_note"), italic=True, color=NOTE_COLOR)
    book.header(ws, HEADER_ROW, [t("feature"), t("basis_col"), t("events"), t("units"), t("minutes_saved"),
                                 t("hours_saved"), t("value"), t("category"), t("description")])
    drivers = data.drivers.set_index("feature")
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
        ws.cell(row=r, column=5).fill = INPUT_FILL
        hours.append((item.units if item.basis == "unit" else item.events) * item.minutes_saved / 60)
        values.append(hours[-1] * hourly if hourly is not None else "")
        book.put(ws, r, 6, f"={volume_col}{r}*E{r}/60", TWO, cached=hours[-1])
        book.put(ws, r, 7, "=" + value_if.format(expr=f"F{r}*HourlyCost"), book.money, cached=values[-1])
        driver = drivers.loc[item.feature] if item.feature in drivers.index else None
        book.put(ws, r, 8, None if driver is None else term("category", driver["category"], book.lang),
                 customer=True)
        ws.cell(row=r, column=8).alignment = Alignment(indent=1)  # clear of the money to its left
        book.put(ws, r, 9, None if driver is None else driver["description"], customer=True)
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
        ws.cell(row=total, column=col).fill = TOTAL_FILL
    book.name("TotalHoursSaved", ws, f"$F${total}")
    book.name("TotalValue", ws, f"$G${total}")
    ws.freeze_panes = ws.cell(row=first, column=2)
    _widths(ws, {"A": 26, "B": 12, "C": 10, "D": 12, "E": 16, "F": 14, "G": 18, "H": 14, "I": 44})
    if rows:
        priced = data.account.hourly_cost is not None
        chart = BarChart()
        chart.type, chart.style = "bar", 10
        chart.title = t("chart_value" if priced else "chart_hours")
        chart.add_data(Reference(ws, min_col=7 if priced else 6, min_row=first, max_row=last))
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        chart.legend = None
        chart.y_axis.numFmt = book.money.replace("0.00", "0") if priced else HOURS  # whole units on the axis
        chart.x_axis.scaling.orientation = "maxMin"  # largest first, top down, like the table
        chart.x_axis.delete = chart.y_axis.delete = False
        chart.gapWidth = 60
        chart.width, chart.height = 16, max(6.0, 0.5 * len(rows) + 3)
        ws.add_chart(chart, f"A{total + 3}")


def _efficiency(book: _Book, ws: Worksheet) -> None:
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
    ws.freeze_panes = ws.cell(row=first, column=2)

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
        chart = LineChart()
        chart.title = t("chart_units" if usage else "chart_output")
        chart.add_data(Reference(ws, min_col=column, min_row=HEADER_ROW, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        chart.legend = None
        chart.series[0].smooth = False  # a smoothed line dips below zero between months
        chart.y_axis.title = t("output_per_person" if not usage else "units_per_active_user")
        chart.x_axis.number_format = MONTH
        chart.x_axis.delete = chart.y_axis.delete = False
        chart.width, chart.height = 18, 7.5
        ws.add_chart(chart, f"H{first + len(block) + 4}")


def _adoption(book: _Book, ws: Worksheet) -> None:
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
    ws.freeze_panes = ws.cell(row=first, column=2)

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

    mau = LineChart()
    mau.title = t("chart_mau")
    mau.add_data(Reference(ws, min_col=11, min_row=mau_row, max_row=mau_row + len(data.mau)), titles_from_data=True)
    mau.set_categories(Reference(ws, min_col=10, min_row=mau_row + 1, max_row=mau_row + len(data.mau)))
    mau.legend = None
    mau.series[0].smooth = False
    mau.y_axis.title = t("active_users")
    mau.x_axis.number_format = MONTH
    mau.x_axis.delete = mau.y_axis.delete = False
    mau.width, mau.height = 16, 7.5
    # charts under the tables, not beside them: printed one page wide, the sheet stays readable
    below = max(first + len(data.features), mau_row + len(data.mau) + 1) + 2
    ws.add_chart(mau, f"A{below}")
    ws.row_breaks.append(Break(id=below - 1))  # printed, the charts start a page of their own
    valued = int(data.features["has_value_driver"].sum())
    if valued:
        peers = BarChart()
        peers.type, peers.title, peers.gapWidth = "bar", t("chart_peers"), 60
        last = first + valued - 1
        peers.add_data(Reference(ws, min_col=4, max_col=5 if data.peers_shown else 4, min_row=HEADER_ROW,
                                 max_row=last), titles_from_data=True)
        peers.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        peers.y_axis.numFmt, peers.y_axis.scaling.min, peers.y_axis.scaling.max = "0%", 0, 1
        peers.x_axis.scaling.orientation = "maxMin"
        peers.x_axis.delete = peers.y_axis.delete = False
        peers.legend.position = "b"
        peers.width, peers.height = 16, max(7.5, 0.8 * valued + 3)
        ws.add_chart(peers, f"A{below + 17}")


def _recommendations(book: _Book, ws: Worksheet) -> None:
    data, t = book.data, book.t
    book.title(ws, t("recommendations_title"), book.subtitle())
    book.header(ws, HEADER_ROW, [t("feature"), t("adoption_rate"), t("peer_median"), t("non_adopters"),
                                 t("hours_left"), t("value_left"), t("action")])
    first = HEADER_ROW + 1
    ws.freeze_panes = ws.cell(row=first, column=2)
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


def _notes(book: _Book, ws: Worksheet) -> None:
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


def _objectives(book: _Book, ws: Worksheet) -> None:
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
        ws.cell(row=r, column=4).fill = INPUT_FILL
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
    ws.freeze_panes = ws.cell(row=first, column=2)
    _widths(ws, {"A": 30, "B": 14, "C": 14, "D": 14, "E": 13, "F": 12, "G": 12, "H": 20, "I": 14})


def _peers(book: _Book, ws: Worksheet) -> None:
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
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2)
    _widths(ws, {"A": 30, "B": 14, "C": 12, "D": 14, "E": 14, "F": 14, "G": 8, "H": 30})


def build_xlsx(data: ExportData, lang: str = "en") -> bytes:
    """The workbook for already gathered figures."""
    book = _Book(data, lang)
    sheets = {key: book.sheet(key, first=key == "summary")
              for key in ("summary", "value", "efficiency", "adoption", "peers", "recommendations", "notes",
                          "objectives")}
    _value(book, sheets["value"])  # defines TotalHoursSaved and TotalValue, which the summary refers to
    _summary(book, sheets["summary"])
    _efficiency(book, sheets["efficiency"])
    _adoption(book, sheets["adoption"])
    _peers(book, sheets["peers"])
    _recommendations(book, sheets["recommendations"])
    _notes(book, sheets["notes"])
    _objectives(book, sheets["objectives"])
    book.wb.move_sheet(sheets["value"], offset=2)  # order: summary, efficiency, adoption, value, ...
    book.wb.move_sheet(sheets["objectives"], offset=-6)  # ... objectives right after the summary
    book.wb.calculation.fullCalcOnLoad = True
    book.wb.properties.title = text(lang, "report_title", account=safe_cell_text(data.account.name))
    book.wb.properties.creator = "ValueLens"
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

