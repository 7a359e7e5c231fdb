"""Exports: the Excel value report and the QBR deck show the metric functions' figures, the Excel value model
recalculates to the same values, and customer text never becomes a formula."""
from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pandas as pd
import pytest
from conftest import FIXTURES, customer_text, displayed, english_words
from pptx import Presentation
from pptx.enum.text import MSO_ANCHOR

from exports.deck import qbr_deck_pptx
from exports.excel import CJK_FONT, sheet_names, value_report_xlsx
from exports.safety import safe_csv_frame
from exports.strings import text
from metrics import catalog, ingest, report, requirements
from metrics.accounts import all_accounts, get_account
from metrics.demo import load_demo
from metrics.period import add_months, default_period
from metrics.store import connect, sql
from wording import title_in

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("exports") / "demo.duckdb")
    load_demo(con)
    return con


def rows(ws) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def find_row(ws, first_cell: object) -> tuple:
    return next(r for r in rows(ws) if r and r[0] == first_cell)


def shown(value: float) -> Decimal:
    """A money cell as a spreadsheet shows it with a 0.00 format: half away from zero on 15 significant digits."""
    return Decimal(repr(float(f"{value:.15g}"))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def recalculated_all(workbooks: dict[str, bytes], tmp_path) -> dict[str, openpyxl.Workbook]:
    """Each workbook after LibreOffice has opened it, recalculated every formula and saved it again (one run)."""
    src = tmp_path / "in"
    src.mkdir()
    for name, xlsx in workbooks.items():
        (src / f"{name}.xlsx").write_bytes(xlsx)
    out = tmp_path / "out"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), *sorted(map(str, src.iterdir()))],
                   check=True, capture_output=True, timeout=600)
    return {name: openpyxl.load_workbook(out / f"{name}.xlsx", data_only=True) for name in workbooks}


def recalculated(xlsx: bytes, tmp_path) -> openpyxl.Workbook:
    """The workbook after LibreOffice has opened it, recalculated every formula and saved it again."""
    return recalculated_all({"report": xlsx}, tmp_path)["report"]


@pytest.mark.parametrize("account_id, lang", [("A001", "zh"), ("A002", "en")])
def test_the_excel_report_has_its_sheets_and_the_reports_figures(demo, account_id, lang):
    period = default_period(demo)
    data = report.account_report(demo, account_id=account_id, period=period)
    wb = openpyxl.load_workbook(io.BytesIO(value_report_xlsx(demo, account_id, period, lang)))
    names = sheet_names(lang)
    assert wb.sheetnames == list(names.values())
    value = wb[names["value"]]
    # features as the value model names them in the workbook's language (the events' id without a name)
    named = {f: (en, zh)[lang == "zh"] for f, (en, zh) in catalog.feature_names(demo).items()}

    def name(feature: str) -> str:
        return named.get(feature) or feature

    shown = {r[0]: (r[2], r[3], r[4]) for r in rows(value)[4:]
             if r[0] in {name(f.feature) for f in data.cost.by_feature}}
    assert shown == {name(f.feature): (f.events, pytest.approx(f.units), pytest.approx(f.minutes_saved))
                     for f in data.cost.by_feature}
    # the Adoption sheet's table is the report's feature adoption: adopters, rate and depth of every feature
    table = {r[0]: (r[2], r[3], r[5]) for r in rows(wb[names["adoption"]])[4:]
             if r[0] in {name(f.feature) for f in data.adoption.features}}
    assert table == {name(f.feature): (f.adopters, pytest.approx(f.adoption_rate), pytest.approx(f.depth))
                     for f in data.adoption.features}
    assert all(wb[names[key]].freeze_panes == "B5" for key in ("efficiency", "adoption", "value", "recommendations"))
    assert value._charts and wb[names["adoption"]]._charts and wb[names["efficiency"]]._charts
    if lang == "zh":
        assert wb[names["summary"]]["A1"].font.name == CJK_FONT


def formula_cells(xlsx: bytes) -> dict[tuple[str, str], object]:
    """(sheet, cell) -> the value stored with each formula, as a reader that does not recalculate sees it."""
    formulas = openpyxl.load_workbook(io.BytesIO(xlsx))
    values = openpyxl.load_workbook(io.BytesIO(xlsx), data_only=True)
    return {(ws.title, c.coordinate): values[ws.title][c.coordinate].value
            for ws in formulas for row in ws.iter_rows() for c in row if c.data_type == "f"}


def test_every_formula_carries_its_value_and_the_headline_agrees_with_the_app_to_the_cent(demo):
    """pandas, previewers and mail clients do not recalculate: they show the stored values, for every account."""
    period = default_period(demo)
    inputs = report.period_inputs(demo, period)
    for account_id in catalog.list_accounts(demo)["account_id"]:
        xlsx = value_report_xlsx(demo, account_id, period, "en")
        assert [cell for cell, value in formula_cells(xlsx).items() if value is None] == [], account_id
        data = report.account_report(demo, account_id=account_id, period=period, inputs=inputs)
        summary = pd.read_excel(io.BytesIO(xlsx), sheet_name=sheet_names("en")["summary"], header=None)
        shown_summary = dict(zip(summary[0], summary[1]))
        expect = data.cost
        assert shown(shown_summary["Value delivered"]) == Decimal(str(expect.value)), account_id
        assert shown_summary["Hours saved"] == pytest.approx(expect.hours_saved, abs=1e-9), account_id
        assert shown_summary["ROI"] == pytest.approx(expect.roi, abs=1e-9), account_id
        if expect.payback_months is None:  # no value in the period (A020 churned): the sheet says n/a, pandas NaN
            assert pd.isna(shown_summary["Payback (months)"]), account_id
        else:
            assert shown_summary["Payback (months)"] == pytest.approx(expect.payback_months, abs=1e-9), account_id
        recs = pd.read_excel(io.BytesIO(xlsx), sheet_name=sheet_names("en")["recommendations"], header=3)
        assert [shown(v) for v in recs.iloc[:, 5].dropna()] == [
            Decimal(str(u.value_left)) for u in data.adoption.underused_features], account_id


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed (CI installs it)")
def test_the_excel_value_model_recalculates_to_the_apps_figures_to_the_cent_for_every_demo_account(demo, tmp_path):
    """Every formula cell of the Value and Summary sheets, recalculated by LibreOffice, against the metric functions,
    for all demo accounts (one LibreOffice run); and every stored value is what LibreOffice computes."""
    period = default_period(demo)
    ids = list(catalog.list_accounts(demo)["account_id"])
    assert len(ids) == 40
    files = {a: value_report_xlsx(demo, a, period, "en") for a in ids}
    books = recalculated_all(files, tmp_path)
    for account_id, wb in books.items():
        for (sheet, cell), stored in formula_cells(files[account_id]).items():
            computed = wb[sheet][cell].value
            assert stored == (pytest.approx(computed, rel=1e-12, abs=1e-9) if isinstance(stored, float)
                              else computed), (account_id, sheet, cell)
        data = report.account_report(demo, account_id=account_id, period=period)
        value = wb[sheet_names("en")["value"]]
        by_feature = {r[0]: r for r in rows(value)}
        for item in data.cost.by_feature:
            assert by_feature[item.feature][5] == pytest.approx(item.hours_saved, abs=0.005), account_id
            assert shown(by_feature[item.feature][6]) == Decimal(str(item.value)), account_id
        total = find_row(value, "Total")
        assert total[5] == pytest.approx(data.cost.hours_saved, abs=0.005), account_id
        assert shown(total[6]) == Decimal(str(data.cost.value)), account_id
        summary = {r[0]: r[1] for r in rows(wb[sheet_names("en")["summary"]]) if r and isinstance(r[0], str)}
        assert shown(summary["Value delivered"]) == Decimal(str(data.cost.value)), account_id
        assert summary["ROI"] == pytest.approx(data.cost.roi, abs=1e-6), account_id
        assert summary["FTE equivalent"] == pytest.approx(data.cost.fte_equivalent, abs=1e-6), account_id
        assert summary["Payback (months)"] == ("n/a" if data.cost.payback_months is None else
                                               pytest.approx(data.cost.payback_months, abs=1e-6)), account_id


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed (CI installs it)")
def test_changing_an_assumption_in_excel_changes_every_money_figure_and_never_divides_by_zero(demo, tmp_path):
    period = default_period(demo)
    data = report.account_report(demo, account_id="A001", period=period)
    names = sheet_names("en")
    edited = {}
    for key, cell_name, value in (("cost", "HourlyCost", get_account(demo, "A001").hourly_cost * 2),
                                  ("hours", "HoursPerYear", 0)):
        wb = openpyxl.load_workbook(io.BytesIO(value_report_xlsx(demo, "A001", period, "en")))
        wb[names["summary"]][wb.defined_names[cell_name].attr_text.split("!")[1].replace("$", "")] = value
        out = io.BytesIO()
        wb.save(out)
        edited[key] = out.getvalue()
    books = recalculated_all(edited, tmp_path)
    doubled = books["cost"]
    total = find_row(doubled[names["value"]], "Total")
    assert round(total[6], 2) == pytest.approx(round(2 * data.cost.value, 2), abs=0.011)
    recs = [r[5] for r in rows(doubled[names["recommendations"]])[4:] if r[0]]
    assert recs == [pytest.approx(2 * u.value_left, abs=0.011) for u in data.adoption.underused_features]
    peers = {r[0]: r[1] for r in rows(doubled[names["peers"]])[4:] if r[0]}
    assert peers["Value per seat"] == pytest.approx(2 * data.cost.value / get_account(demo, "A001").seats, abs=0.01)
    summary = {r[0]: r[1] for r in rows(books["hours"][names["summary"]]) if r and isinstance(r[0], str)}
    assert summary["FTE equivalent"] == "n/a"
    errors = [(ws.title, c.coordinate, c.value) for book in books.values() for ws in book for row in ws.iter_rows()
              for c in row if isinstance(c.value, str) and c.value.startswith("#")]
    assert errors == []


def test_the_deck_has_the_qbr_slides_with_native_charts_and_the_reports_figures(demo):
    period = default_period(demo)
    data = report.account_report(demo, account_id="A001", period=period)
    prs = Presentation(io.BytesIO(qbr_deck_pptx(demo, "A001", period, "en")))
    titles = [s.shapes.title.text for s in prs.slides if s.shapes.title is not None]
    assert titles[1:] == ["Agenda", "Executive summary", "Results against goals",
                          "Value delivered against the business case", "Adoption trend",
                          "Per-person efficiency before and after go-live", "Value by feature",
                          "Where you stand among peers", "What you asked for, and what we shipped",
                          "What is coming for you", "Underused features and next steps", "Room to grow",
                          "Goals for next quarter", "Appendix: formulas and assumptions",
                          "Appendix: formulas and assumptions (continued)"]
    charts = [sh.chart for s in prs.slides for sh in s.shapes if sh.has_chart]
    assert len(charts) >= 3
    value_chart = next(c for c in charts if c.plots[0].categories and
                       set(c.plots[0].categories) <= {f.feature for f in data.cost.by_feature})
    shown = dict(zip(value_chart.plots[0].categories, value_chart.plots[0].series[0].values))
    assert shown == {f.feature: pytest.approx(f.value, abs=0.005) for f in data.cost.by_feature
                     if f.feature in shown}
    text = "\n".join(p.text for s in prs.slides for sh in s.shapes if sh.has_text_frame
                     for p in sh.text_frame.paragraphs)
    assert displayed(data.cost.value, "currency", "CNY", compact=True) in text  # CNY 62.7K: no cents in a deck


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_deck_says_what_the_customer_asked_for_and_what_shipped(demo, lang):
    from wording.exports import STRINGS as DECK

    period = default_period(demo)
    mine = requirements.of_account(demo, "A001")
    prs = Presentation(io.BytesIO(qbr_deck_pptx(demo, "A001", period, lang)))
    slide = next(s for s in prs.slides
                 if s.shapes.title is not None and s.shapes.title.text == DECK[lang]["deck_asked"])
    grid = next(sh.table for sh in slide.shapes if sh.has_table)
    shown = [[grid.cell(r, c).text for c in range(4)] for r in range(1, len(grid.rows))]
    # a requirement's title in the deck's language (kept as "中文 / English"); a request not grouped in its own words
    titles = {title_in(t, lang): t for t in mine["title"].dropna()}
    wanted = list(dict.fromkeys(title_in(t, lang) if isinstance(t, str) else w
                                for t, w in zip(mine["title"], mine["words"])))
    assert [row[0] for row in shown] == wanted
    assert all(" / " not in row[0] for row in shown if row[0] in titles)
    for row in shown:
        first = mine[(mine["title"] == titles.get(row[0])) | (mine["words"] == row[0])].iloc[0]
        status = DECK[lang][f"req_status_{first['status']}"] if isinstance(first["status"], str) else \
            DECK[lang]["asked_heard"]
        assert row[2] == status
        if isinstance(first["shipped_version"], str):
            assert row[3].startswith(first["shipped_version"] + " (")
    # an account that asked nothing has no such slide
    quiet = next(a for a in catalog.list_accounts(demo)["account_id"] if requirements.of_account(demo, a).empty)
    titles = [s.shapes.title.text for s in Presentation(io.BytesIO(qbr_deck_pptx(demo, quiet, period, lang))).slides
              if s.shapes.title is not None]
    assert DECK[lang]["deck_asked"] not in titles


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_workbook_lists_what_the_customer_asked_for_as_the_deck_does(demo, lang):
    """The value workbook's Asked sheet holds the deck's rows: titles in the workbook's language, the status, the
    version or, not supported for now, the reason; an account that asked nothing says so."""
    from exports.audience import asked_rows
    from exports.data import gather

    period = default_period(demo)
    shelved = demo.execute("SELECT a.account_id FROM requests JOIN account AS a USING (account_key) "
                           "JOIN requirement_requests USING (request_id) JOIN requirements USING (requirement_id) "
                           "WHERE status = 'not_supported' ORDER BY a.account_id LIMIT 1").fetchall()[0][0]
    expected = asked_rows(gather(demo, shelved, period), lang)
    wb = openpyxl.load_workbook(io.BytesIO(value_report_xlsx(demo, shelved, period, lang)))
    sheet = [[c if c is not None else "" for c in row] for row in wb[sheet_names(lang)["asked"]].iter_rows(
        min_row=4, values_only=True)]
    assert sheet == expected and len(expected) > 1
    reason = {"en": "Not on the roadmap this year; reviewed again in 2027", "zh": "今年不在路线图中，2027 年重新评估"}
    assert [r[3] for r in sheet if r[2] == text(lang, "req_status_not_supported")] == [reason[lang]]
    quiet = next(a for a in catalog.list_accounts(demo)["account_id"] if requirements.of_account(demo, a).empty)
    wb = openpyxl.load_workbook(io.BytesIO(value_report_xlsx(demo, quiet, period, lang)))
    assert wb[sheet_names(lang)["asked"]].cell(5, 1).value == text(lang, "asked_none")


def test_chinese_deck_text_uses_an_east_asian_font(demo):
    prs = Presentation(io.BytesIO(qbr_deck_pptx(demo, "A001", default_period(demo), "zh")))
    title = prs.slides[0].shapes.title.text_frame.paragraphs[0].runs[0]
    ea = title._r.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}ea")
    assert title.text and ea is not None and ea.get("typeface")


def test_every_deck_table_is_as_wide_as_its_columns_with_its_cells_styled(demo):
    from exports.deck import CELL_MARGIN

    for lang in ("en", "zh"):
        prs = Presentation(io.BytesIO(qbr_deck_pptx(demo, "A001", default_period(demo), lang)))
        tables = [sh for s in prs.slides for sh in s.shapes if sh.has_table]
        assert len(tables) >= 3
        for shape in tables:
            grid = shape.table
            assert shape.width == sum(c.width for c in grid.columns)
            assert shape.left + shape.width <= prs.slide_width
            assert shape.height == sum(r.height for r in grid.rows)
            for r, row in enumerate(grid.rows):
                for cell in row.cells:
                    assert (cell.margin_left, cell.margin_right) == (CELL_MARGIN, CELL_MARGIN)
                    assert cell.vertical_anchor == MSO_ANCHOR.MIDDLE
                    for run in (run for p in cell.text_frame.paragraphs for run in p.runs):
                        assert run.font.size is not None and (run.font.bold is True) == (r == 0)
                        ea = run._r.find(".//{http://schemas.openxmlformats.org/drawingml/2006/main}ea")
                        assert (ea is not None and ea.get("typeface")) if lang == "zh" else True


def test_a_user_template_supplies_the_decks_layouts(demo, tmp_path):
    template = Presentation()
    template.slide_width, template.slide_height = 9144000, 6858000  # 4:3, unlike the default 16:9
    buffer = io.BytesIO()
    template.save(buffer)
    prs = Presentation(io.BytesIO(qbr_deck_pptx(demo, "A001", default_period(demo), "en", template=buffer.getvalue())))
    assert (prs.slide_width, prs.slide_height) == (9144000, 6858000)
    default = Presentation(io.BytesIO(qbr_deck_pptx(demo, "A001", default_period(demo), "en")))
    assert len(prs.slides) == len(default.slides) >= 15  # the same slides as on the default template


def hostile_database(tmp_path):
    con = connect(tmp_path / "hostile.duckdb")
    accounts = pd.read_csv(FIXTURES / "accounts.csv", dtype=str)
    accounts.loc[accounts["account_id"] == "A1", "account_name"] = HYPERLINK
    accounts.to_csv(tmp_path / "accounts.csv", index=False)
    events = pd.read_csv(FIXTURES / "events.csv", dtype=str)
    drivers = pd.read_csv(FIXTURES / "value_drivers.csv", dtype=str)
    for frame in (events, drivers):
        frame["feature"] = frame["feature"].replace("Dispatch", "@SUM(1+1)")
    events.to_csv(tmp_path / "events.csv", index=False)
    drivers.to_csv(tmp_path / "value_drivers.csv", index=False)
    for path in (tmp_path / "accounts.csv", tmp_path / "value_drivers.csv", tmp_path / "events.csv",
                 FIXTURES / "outcomes.csv"):
        ingest.import_file(con, path)
    return con


def test_an_account_named_like_a_formula_comes_out_as_plain_text_everywhere(tmp_path):
    con = hostile_database(tmp_path)
    period = default_period(con)
    wb = openpyxl.load_workbook(io.BytesIO(value_report_xlsx(con, "A1", period, "en")))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and ("HYPERLINK" in c.value or "SUM(1+1)" in c.value)]
    assert cells and all(c.data_type == "s" for c in cells)
    assert {c.value for c in cells} >= {HYPERLINK, "@SUM(1+1)"}
    deck = qbr_deck_pptx(con, "A1", period, "en")
    prs = Presentation(io.BytesIO(deck))
    assert prs.slides[0].shapes.title.text == HYPERLINK
    with zipfile.ZipFile(io.BytesIO(deck)) as z:  # the charts' embedded workbooks ("Edit data" in PowerPoint)
        for name in (n for n in z.namelist() if n.endswith(".xlsx")):
            book = openpyxl.load_workbook(io.BytesIO(z.read(name)))
            assert not [c.coordinate for ws in book.worksheets for row in ws.iter_rows() for c in row
                        if c.data_type == "f"], name
            labels = [c for ws in book.worksheets for row in ws.iter_rows() for c in row
                      if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
            assert all(c.quotePrefix for c in labels), name  # stays text when edited, as in the Excel report
    csv = safe_csv_frame(pd.DataFrame({"account_name": [HYPERLINK, "＝1+1", "Acme", "-2+3+cmd|' /C calc'!A0"],
                                       "delta": ["-6.6%", "+1,234.50", "-1.5 h", "@SUM(A1)"],
                                       "value": [-1.5, 2.0, 3.0, 4.0]}))
    assert csv.to_dict("list") == {"account_name": ["'" + HYPERLINK, "'＝1+1", "Acme", "'-2+3+cmd|' /C calc'!A0"],
                                   "delta": ["-6.6%", "+1,234.50", "-1.5 h", "'@SUM(A1)"],
                                   "value": [-1.5, 2.0, 3.0, 4.0]}


def test_the_account_report_offers_both_files_and_the_portfolio_exports_every_account(tmp_path, monkeypatch):
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("VALUELENS_DB", str(tmp_path / "app.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons][:2] == ["Excel 价值报告", "QBR 汇报 PPT"]
    assert {b.proto.label for b in buttons[2:]} <= {"下载名单（CSV）"}  # and the training list
    at.switch_page("views/portfolio.py").run()
    at.sidebar.multiselect[0].select(at.sidebar.multiselect[0].options[0]).run()  # one industry
    at.button(key="export_all_go").click().run()
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")] == ["下载 zip"]
    assert at.get("progress")[0].proto.value == 100


def test_the_portfolio_page_spreads_a_large_export_over_worker_processes(tmp_path, monkeypatch):
    """From batch.PARALLEL_FROM accounts the page's "export every account" builds the files in worker processes
    reading a checkpointed copy of the database (this process holds the file): the same files, with progress."""
    import os

    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    from exports import batch

    monkeypatch.setenv("VALUELENS_DB", str(tmp_path / "app.duckdb"))
    monkeypatch.setattr(batch, "PARALLEL_FROM", 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    built: list[bytes] = []
    parallel = batch.zip_all_parallel
    monkeypatch.setattr(batch, "zip_all_parallel", lambda *a, **k: built.append(parallel(*a, **k)) or built[-1])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("views/portfolio.py").run()
    industry = at.sidebar.multiselect[0].options[0]
    at.sidebar.multiselect[0].select(industry).run()  # one industry's accounts
    at.button(key="export_all_go").click().run()
    assert not at.exception
    assert len(built) == 1 and at.get("progress")[0].proto.value == 100
    con = connect(tmp_path / "app.duckdb")
    ids = [a.account_id for a in all_accounts(con) if a.industry == industry]
    serial = batch.zip_all(con, default_period(con), "xlsx", account_ids=ids)
    names = zipfile.ZipFile(io.BytesIO(built[0])).namelist()
    assert sorted(names) == sorted(zipfile.ZipFile(io.BytesIO(serial)).namelist()) and len(names) == len(ids) > 1
    for name in names:
        assert _cells(zipfile.ZipFile(io.BytesIO(built[0])).read(name)) == \
            _cells(zipfile.ZipFile(io.BytesIO(serial)).read(name)), name


def test_the_cli_exports_one_account_and_every_account_with_a_progress_line(tmp_path, capsys):
    import cli

    db = tmp_path / "cli.duckdb"
    con = connect(db)
    for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
        ingest.import_file(con, FIXTURES / name)
    con.close()
    assert cli.main(["export", "--account", "A2", "--format", "pptx", "--lang", "zh", "--out",
                     str(tmp_path / "one.pptx"), "--db", str(db)]) == 0
    assert Presentation(tmp_path / "one.pptx").slides[0].shapes.title.text == "华东物流集团"
    assert cli.main(["export", "--all", "--format", "xlsx", "--out", str(tmp_path / "all"), "--workers", "1",
                     "--db", str(db)]) == 0
    out = capsys.readouterr()
    check = connect(db)
    period = default_period(check)
    check.close()
    months = f"{period.start:%Y-%m}_{add_months(period.end, -1):%Y-%m}"  # the period in every file name
    files = [f"A1_Acme_Logistics_{months}.xlsx", f"A2_华东物流集团_{months}.xlsx", f"A3_Never_Live_Ltd_{months}.xlsx"]
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == files
    assert "[1/3] A1" in out.err and "[3/3] A3" in out.err
    # spread over two processes reading a copy of the database: the same files, progress as they are done
    assert cli.main(["export", "--all", "--format", "xlsx", "--out", str(tmp_path / "all2"), "--workers", "2",
                     "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert sorted(p.name for p in (tmp_path / "all2").iterdir()) == files
    assert "[1/3]" in out.err and "[3/3]" in out.err and "3 xlsx files" in out.out
    for name in files:
        assert _cells((tmp_path / "all2" / name).read_bytes()) == _cells((tmp_path / "all" / name).read_bytes())
    assert cli.main(["export", "--account", "NOPE", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"),
                     "--db", str(db)]) == 2
    assert "unknown account 'NOPE'" in capsys.readouterr().err


def test_both_files_carry_the_peer_benchmark_of_the_benchmarks_page_and_no_peer_name(demo):
    from metrics.benchmarks import benchmark

    period = default_period(demo)
    bench = benchmark(demo, account_id="A001", start=period.start, end=period.end, cohort="industry")
    wb = openpyxl.load_workbook(io.BytesIO(value_report_xlsx(demo, "A001", period, "en")), data_only=True)
    peers = rows(wb[sheet_names("en")["peers"]])[4:]
    assert [(r[1], r[2], r[4], r[6]) for r in peers] == [
        (pytest.approx(f.value) if f.value is not None else None,
         pytest.approx(f.percentile) if f.percentile is not None else None,
         pytest.approx(f.median) if f.median is not None else None, f.peers or 0) for f in bench.figures]
    prs = Presentation(io.BytesIO(qbr_deck_pptx(demo, "A001", period, "en")))
    slide = next(s for s in prs.slides
                 if s.shapes.title is not None and s.shapes.title.text == "Where you stand among peers")
    grid = next(sh.table for sh in slide.shapes if sh.has_table)
    assert [grid.cell(r, 2).text for r in range(1, len(grid.rows))] == [
        "n/a" if f.percentile is None else f"{f.percentile:,.0f}" for f in bench.figures]
    others = [n for a, n in zip(*catalog.list_accounts(demo)[["account_id", "account_name"]].T.values) if a != "A001"]
    texts = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    texts += [sh.text_frame.text for s in prs.slides for sh in s.shapes if sh.has_text_frame]
    assert not [n for n in others if any(n in text for text in texts)]


def _deck_text(pptx: bytes) -> list[str]:
    """Every string of a deck: text frames, table cells, chart titles, series names and categories."""
    texts = []
    for slide in Presentation(io.BytesIO(pptx)).slides:
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
            if shape.has_chart:
                chart = shape.chart
                if chart.has_title:
                    texts.append(chart.chart_title.text_frame.text)
                for plot in chart.plots:
                    texts += [str(c) for c in plot.categories]
                    texts += [s.name for s in plot.series]
    return texts


def _workbook_text(xlsx: bytes) -> list[str]:
    """Every text cell and sheet name of a workbook (formulas left out: their function names are Excel's)."""
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    return [*book.sheetnames, *(c.value for ws in book for row in ws.iter_rows() for c in row
                                if isinstance(c.value, str) and not c.value.startswith("="))]


@pytest.mark.parametrize("account_id", ["A001", "A005", "A012"])
def test_a_chinese_export_shows_no_english_outside_names_codes_and_customer_data(demo, account_id):
    """The zh Excel report, QBR deck, case-study Markdown and deck: every word in Chinese but names, codes, units
    and the customer's own data (the same filter as the pages' scan)."""
    from exports.case_study import case_study_pptx, markdown
    from metrics.case_study import case_study

    period = default_period(demo)
    data = customer_text(demo)
    study = case_study(demo, account_id=account_id, start=period.start, end=period.end)
    texts = {
        "xlsx": _workbook_text(value_report_xlsx(demo, account_id, period, "zh")),
        "deck": _deck_text(qbr_deck_pptx(demo, account_id, period, "zh")),
        "case study": markdown(study, "zh").decode().splitlines(),
        "case deck": _deck_text(case_study_pptx(study, "zh")),
    }
    found = {(kind, text): words for kind, shown in texts.items() for text in shown
             if (words := english_words(text, data))}
    assert found == {}


def _cells(xlsx: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    return [(ws.title, c.coordinate, c.value, c.font.name, c.font.b, c.number_format)
            for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _slides(pptx: bytes) -> list:
    return [[shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
            for slide in Presentation(io.BytesIO(pptx)).slides]


def test_a_portfolio_export_reads_the_periods_shared_inputs_once_with_the_same_files(demo):
    """export_all builds the period's report inputs and peer figures once for every account's file (and the app
    passes its cached ones): each file is the one the account's own export gives, cell for cell and slide for
    slide (accounts with peers, without, and a new one)."""
    from exports.batch import export_all, export_one

    period = default_period(demo)
    ids = ["A001", "A019", "A038", "A004"]
    shared = dict(export_all(demo, period, "xlsx", lang="zh", account_ids=ids))
    names = dict(zip(catalog.list_accounts(demo)["account_id"], catalog.list_accounts(demo)["account_name"]))
    from exports.batch import file_name
    for account_id in ids:
        alone = export_one(demo, account_id, period, "xlsx", "zh")
        assert _cells(shared[file_name(account_id, names[account_id], "xlsx", period)]) == _cells(alone), account_id
    inputs = report.period_inputs(demo, period)
    for account_id in ids:
        assert _slides(export_one(demo, account_id, period, "pptx", "en", inputs=inputs)) == \
            _slides(export_one(demo, account_id, period, "pptx", "en")), account_id


class _Statements:
    """A connection that records the name of each metrics/sql statement it runs (`-- name:`)."""

    def __init__(self, con) -> None:
        self.con, self.names, self.statements = con, [], []

    def __getattr__(self, name: str):
        return getattr(self.con, name)

    def execute(self, statement: str, *args, **kwargs):
        self.names.append(statement.split("-- name: ", 1)[1].split()[0] if "-- name: " in statement else "?")
        self.statements.append(statement)
        return self.con.execute(statement, *args, **kwargs)


def test_a_portfolio_reads_every_accounts_usage_once_and_each_file_is_the_one_of_its_own_reads(demo):
    """A portfolio's inputs hold every account's usage of the period and the months before (adoption.usage_rows),
    its store facts every account's requests: each file reads no usage statement of its own but the months since
    go-live, none of its requests, and shows what it shows alone."""
    from dataclasses import replace

    from exports.batch import export_one, period_figures
    from exports.data import store_facts

    period = default_period(demo)
    inputs, peers, facts = period_figures(demo, period)
    assert inputs.usage is not None and inputs.usage.covers(period.start, period.end)
    usage = ("usage_features", "usage_active_users", "usage_months")
    # as one file reads the store; its attention flags (the Internal sheet's) as the portfolio's list has them: a file
    # alone reads its own (metrics.attention.flags_for, its objectives' months of two periods among them)
    own_facts = replace(store_facts(demo), flags=facts.flags)
    for account_id in catalog.list_accounts(demo)["account_id"]:
        shared, alone = _Statements(demo), _Statements(demo)
        portfolio_file = export_one(shared, account_id, period, "xlsx", "en", None, peers, inputs=inputs,
                                    facts=facts)
        own_file = export_one(alone, account_id, period, "xlsx", "en", None, peers,
                              inputs=report.period_inputs(demo, period), facts=own_facts)
        assert _cells(portfolio_file) == _cells(own_file), account_id
        # saved: the period's three statements and the months before's one; read still: the months since go-live
        # and an objective's months before go-live
        assert Counter(n for n in alone.names if n in usage) - Counter(n for n in shared.names if n in usage) == \
            Counter({"usage_features": 2, "usage_active_users": 1, "usage_months": 1}), account_id
        assert shared.names.count("usage_features") == alone.names.count("usage_features") - 2 >= 0
        requests = sql("requirements.of_account")  # its requests: read once too
        assert requests in alone.statements and requests not in shared.statements
    # the portfolio's attention flags are each account's own, as a file read alone finds them
    from datetime import date

    from metrics.attention import flags_for

    assert {a.account_id: flags_for(demo, a, period, date.today()) for a in all_accounts(demo)} == {
        a.account_id: facts.flags.get(a.account_id, ()) for a in all_accounts(demo)}
    asking = [a for a in catalog.list_accounts(demo)["account_id"] if not requirements.of_account(demo, a).empty]
    for account_id in asking[:3]:  # the deck shows the requests
        assert _deck_text(export_one(demo, account_id, period, "pptx", "en", None, peers, inputs=inputs,
                                     facts=facts)) == _deck_text(export_one(demo, account_id, period, "pptx", "en"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_deck_table_cell_holds_what_python_pptx_would_write(lang):
    # deck tables write a one-line cell's run on the XML; it must be the run python-pptx's setters make of the text
    from lxml import etree
    from pptx.util import Inches

    from exports.deck import _CELL_PROPERTIES, Deck, _style_runs
    from exports.safety import safe_cell_text

    values = [["Feature", "采用率", "x\x07y\x1fz", "=1+1", "tab\there", "", "两行\n文字", "soft\vbreak", "A & <B>"]]
    deck = Deck(lang)
    slide = deck.slide("t")
    deck.table(slide, values, (Inches(0.5), Inches(1), Inches(9), 0), [1 / len(values[0])] * len(values[0]))
    ours = next(sh for sh in slide.shapes if sh.has_table).table
    reference = slide.shapes.add_table(1, len(values[0]), 0, 0, Inches(9), Inches(0.4)).table
    for cell, value in zip(reference.rows[0].cells, values[0]):
        cell.text = safe_cell_text(value)
        _style_runs(cell._tc, lang, 12, bold=True)
        cell._tc.get_or_add_tcPr().attrib.update(_CELL_PROPERTIES)
    for mine, theirs in zip(ours.rows[0].cells, reference.rows[0].cells):
        sizes = {r.get("sz") for r in mine._tc.iter("{*}rPr")}
        for r in theirs._tc.iter("{*}rPr"):
            r.set("sz", next(iter(sizes)) if sizes else r.get("sz"))  # the table may shrink its type to fit
        assert etree.tostring(mine._tc, method="c14n") == etree.tostring(theirs._tc, method="c14n")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_workbook_header_is_filled_bold_white_and_centred_and_long_texts_wrap(demo, lang):
    # the workbook's styles are set by their index in the workbook's lists (excel._Book._set_style), not through
    # openpyxl's setters: what Excel reads back must be the header fill, a bold white font, the header alignment
    from exports.excel import HEADER_FILL, HEADER_ROW

    book = openpyxl.load_workbook(io.BytesIO(value_report_xlsx(demo, "A001", default_period(demo), lang)))
    headers, wrapped, kinds = 0, 0, set()
    for ws in book.worksheets:
        for cell in ws[HEADER_ROW]:
            if cell.fill.fgColor.rgb and cell.fill.fgColor.rgb.endswith(HEADER_FILL.fgColor.rgb[-6:]):
                headers += 1
                assert cell.font.b and cell.font.color.rgb.endswith("FFFFFF"), (ws.title, cell.coordinate)
                assert cell.alignment.vertical == "center" and cell.fill.fill_type == "solid"
                kinds.add(bool(cell.alignment.wrap_text))  # a main table's (two lines) or a side table's
        wrapped += sum(1 for row in ws.iter_rows(min_row=HEADER_ROW + 1) for cell in row
                       if cell.alignment.wrap_text and cell.alignment.vertical == "top")
    assert headers >= 30 and wrapped >= 5 and kinds == {True, False}
