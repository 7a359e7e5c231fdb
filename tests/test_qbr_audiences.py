"""The QBR's two audiences: what the customer reads (slides, the workbook a customer gets) against what only the CSM
reads (speaker notes, the deck's internal appendix, the workbook's Internal sheet); honest headlines; the business
case in both exports; no empty slides; and the data version every file names."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation

from exports.audience import bottom_peers, risk_lines
from exports.data import gather
from exports.deck import build_pptx
from exports.excel import build_xlsx, sheet_names
from exports.strings import text
from metrics import catalog, ingest
from metrics.demo import load_demo
from metrics.period import default_period
from metrics.store import connect
from metrics.story import efficiency_held
from wording import attention_reason


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("audiences") / "demo.duckdb")
    load_demo(con)
    return con


@pytest.fixture(scope="module")
def gathered(demo):
    period = default_period(demo)
    return {a: gather(demo, a, period) for a in catalog.list_accounts(demo)["account_id"]}


def _slides(pptx: bytes) -> list[tuple[str, str, str]]:
    """(title, text on the slide, speaker notes) of every slide."""
    out = []
    for slide in Presentation(io.BytesIO(pptx)).slides:
        title = slide.shapes.title.text if slide.shapes.title is not None else ""
        shown = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
        shown += [c.text for sh in slide.shapes if sh.has_table for row in sh.table.rows for c in row.cells]
        notes = slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""
        out.append((title, "\n".join(shown), notes))
    return out


def _internal_signals(data, lang: str) -> list[str]:
    """Every internal sentence of an account as the exports word it: risks and attention reasons (the bottom-quarter
    peer figures are rows of a table: test_the_bottom_quarter_among_peers_is_internal...)."""
    signals = risk_lines(data, lang)
    return signals + [attention_reason(f.rule, f.values, lang) for f in data.flags]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_customer_slide_carries_an_internal_signal_and_the_notes_and_appendix_carry_them_all(gathered, lang):
    """Every demo account: no risk, attention reason or bottom-quarter figure on a slide the customer reads; all of
    them in the summary's notes; with `internal`, all of them on the appendix after the customer's slides."""
    checked = 0
    for account_id, data in gathered.items():
        signals = _internal_signals(data, lang)
        slides = _slides(build_pptx(data, lang))
        shown = "\n".join(body for _, body, _ in slides)
        assert not [s for s in signals if s in shown], account_id
        summary_notes = next(notes for title, _, notes in slides if title == text(lang, "deck_exec"))
        assert all(s in summary_notes for s in signals), account_id
        internal = _slides(build_pptx(data, lang, internal=True))
        assert internal[:len(slides)] == slides or [t for t, _, _ in internal[:len(slides)]] == [
            t for t, _, _ in slides], account_id  # the customer's slides first, unchanged
        appendix = "\n".join(body for title, body, _ in internal[len(slides):])
        assert internal[len(slides)][0] == text(lang, "deck_internal")
        assert all(s in appendix for s in signals), account_id
        checked += bool(signals)
    assert checked >= 20  # most demo accounts have something the CSM must not show


def test_the_bottom_quarter_among_peers_is_internal_and_the_rest_stays_for_the_customer(gathered):
    """Peer figures split at the 25th percentile: the customer's peers slide (and sheet) shows the others, the
    internal appendix (and sheet) the bottom quarter, for every demo account with such figures."""
    names = sheet_names("en")
    split = 0
    for account_id, data in gathered.items():
        low = {str(r["figure"]) for r in bottom_peers(data, "en")}
        if not low:
            continue
        split += 1
        slides = _slides(build_pptx(data, "en", internal=True))
        customer = [_table_firsts(build_pptx(data, "en"), text("en", "peers_title"))]
        assert not low & set().union(*customer), account_id
        internal = _table_firsts(build_pptx(data, "en", internal=True),
                                 text("en", "deck_internal") + " · " + text("en", "internal_bottom_peers"))
        assert low <= internal, account_id
        assert slides
        wb = openpyxl.load_workbook(io.BytesIO(build_xlsx(data, "en")))
        sheet = {r[0].value for r in wb[names["peers"]].iter_rows(min_row=5) if r[0].value}
        inside = {r[0].value for r in wb[names["internal"]].iter_rows() if r[0].value}
        assert not low & sheet and low <= inside, account_id
    assert split >= 10


def _table_firsts(pptx: bytes, title: str) -> set[str]:
    """The first column of the tables on the slide titled `title` (none: empty)."""
    for slide in Presentation(io.BytesIO(pptx)).slides:
        if slide.shapes.title is not None and slide.shapes.title.text == title:
            return {row.cells[0].text for sh in slide.shapes if sh.has_table for row in list(sh.table.rows)[1:]}
    return set()


def test_an_efficiency_change_whose_interval_spans_zero_is_not_a_headline(gathered):
    """The summary's cards and points carry the efficiency change only when its 90 % interval is clear of zero and
    it rests on 3 months or more; the efficiency slide then shows its interval beside it, and the notes say why."""
    held = [d for d in gathered.values() if d.story.efficiency_held == "interval_spans_zero"]
    led = [d for d in gathered.values() if d.story.efficiency_held is None and d.story.case != "onboarding"]
    assert held and led
    label = text("en", "kpi_efficiency_delta")
    for data in held:
        slides = _slides(build_pptx(data, "en"))
        title, body, notes = next(s for s in slides if s[0] == text("en", "deck_exec"))
        assert label not in body and "Output per person changed" not in body, data.account.account_id
        assert "interval" in notes and "includes no change" in notes
        efficiency = next(b for t, b, _ in slides if t == text("en", "deck_efficiency"))
        assert "includes no change" in efficiency
    for data in led:
        body = next(b for t, b, _ in _slides(build_pptx(data, "en")) if t == text("en", "deck_exec"))
        assert label in body, data.account.account_id


def test_the_headline_policy_reads_the_interval_and_the_months():
    from metrics.report import EfficiencyFigures

    def eff(delta, low, high, months=3):
        return EfficiencyFigures("outcomes", 1.0, 1.0, delta, low, high, None, None, None, 0, None, None, (),
                                 tuple(range(months)), None, None)

    assert efficiency_held(eff(0.2, 0.05, 0.4)) is None
    assert efficiency_held(eff(0.2, -0.01, 0.4)) == "interval_spans_zero"
    assert efficiency_held(eff(-0.2, -0.4, 0.0)) == "interval_spans_zero"
    assert efficiency_held(eff(-0.2, -0.4, -0.1)) is None  # a clear fall is a true headline too
    assert efficiency_held(eff(0.2, 0.05, 0.4, months=2)) == "too_few_months"
    assert efficiency_held(eff(None, None, None)) == "not_measured"


def test_an_onboarding_deck_has_no_empty_slide_and_counts_users_in_whole_steps(gathered):
    """A038, never live: no efficiency slide (nothing measured), no value-by-feature slide, no peers slide of n/a;
    its adoption chart starts at the first month of use, on a whole-number axis."""
    data = gathered["A038"]
    prs = Presentation(io.BytesIO(build_pptx(data, "en")))
    titles = [s.shapes.title.text for s in prs.slides if s.shapes.title is not None]
    for key in ("deck_efficiency", "deck_value", "peers_title", "deck_delivered"):
        assert text("en", key) not in titles
    for slide in prs.slides:  # no slide says only n/a
        body = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame and sh != slide.shapes.title]
        assert not body or any(b.strip() and "no go-live date" not in b for b in body)
    chart = next(sh.chart for s in prs.slides if s.shapes.title.text == text("en", "deck_adoption")
                 for sh in s.shapes if sh.has_chart)
    months = list(chart.plots[0].categories)
    used = data.mau[data.mau["active_users"] > 0]["month"]
    assert months[0] == f"{pd.Timestamp(used.iloc[0]):%Y-%m}" and len(months) <= 12
    assert chart.value_axis.major_unit == 1 and chart.value_axis.tick_labels.number_format == "0"


def test_a_live_accounts_adoption_chart_starts_at_go_live_and_shows_at_most_twelve_months(gathered):
    data = gathered["A002"]  # live since 2025-08: 15 months to the period's end
    prs = Presentation(io.BytesIO(build_pptx(data, "en")))
    chart = next(sh.chart for s in prs.slides if s.shapes.title.text == text("en", "deck_adoption")
                 for sh in s.shapes if sh.has_chart)
    months = list(chart.plots[0].categories)
    assert len(months) == 12 and months[-1] == f"{pd.Timestamp(data.mau['month'].iloc[-1]):%Y-%m}"
    live = gathered["A001"]  # live 2026-01: from its go-live month
    prs = Presentation(io.BytesIO(build_pptx(live, "en")))
    chart = next(sh.chart for s in prs.slides if s.shapes.title.text == text("en", "deck_adoption")
                 for sh in s.shapes if sh.has_chart)
    assert list(chart.plots[0].categories)[0] == f"{live.account.go_live_date:%Y-%m}"


def test_the_deck_shows_value_delivered_against_the_business_case(gathered):
    data = gathered["A001"]
    case = data.report.projection
    slides = _slides(build_pptx(data, "en"))
    body = next(b for t, b, _ in slides if t == text("en", "deck_delivered"))
    assert text("en", "delivered_line", realized=_money(case.realized_to_date),
                projected=_money(case.projected_to_date), share=f"{case.realized_share:.1%}") in body


def _money(value: float) -> str:
    from wording.numbers import fmt

    return fmt(value, "currency", "en", "CNY", compact=True)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_workbook_has_an_internal_sheet_left_out_for_the_customer(gathered, lang):
    data = gathered["A040"]  # never live, renewing within 90 days of 2026-12-07 at a negative return
    names = sheet_names(lang)
    full = openpyxl.load_workbook(io.BytesIO(build_xlsx(data, lang)))
    customer = openpyxl.load_workbook(io.BytesIO(build_xlsx(data, lang, customer=True)))
    assert names["internal"] in full.sheetnames and names["internal"] not in customer.sheetnames
    assert set(customer.sheetnames) == set(full.sheetnames) - {names["internal"]}
    internal = "\n".join(str(c.value) for row in full[names["internal"]].iter_rows() for c in row if c.value)
    for signal in _internal_signals(data, lang):
        assert signal in internal
    for sheet in customer.worksheets:  # nothing internal in what the customer gets
        cells = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
        assert not [s for s in _internal_signals(data, lang) if s in cells], sheet.title


def test_the_business_case_sheet_is_live_and_agrees_with_the_report(gathered):
    data = gathered["A001"]
    case = data.report.projection
    wb = openpyxl.load_workbook(io.BytesIO(build_xlsx(data, "en")))
    values = openpyxl.load_workbook(io.BytesIO(build_xlsx(data, "en")), data_only=True)
    sheet, cached = wb[sheet_names("en")["business_case"]], values[sheet_names("en")["business_case"]]
    rows = [r for r in sheet.iter_rows(min_row=7) if isinstance(r[2].value, str) and r[2].value.startswith("=")]
    assert len(rows) == len(case.months) + 1  # the months and the total
    assert rows[0][2].value.startswith("=BusinessCaseAnnual/12*MIN(1,")
    assert [cached[r[2].coordinate].value for r in rows[:-1]] == pytest.approx([m.projected for m in case.months])
    assert [cached[r[3].coordinate].value for r in rows[:-1]] == pytest.approx([m.realized for m in case.months])
    assert cached[rows[-1][3].coordinate].value == pytest.approx(case.realized_to_date)


def test_every_export_names_the_data_it_was_built_from(demo, gathered):
    version = catalog.built_from(demo)
    data = gathered["A002"]
    line = text("en", "version_line", id=version.import_id, at=f"{version.imported_at:%Y-%m-%d %H:%M}",
                model=version.value_model_version)
    assert all(line in notes for _, _, notes in _slides(build_pptx(data, "en")))
    wb = openpyxl.load_workbook(io.BytesIO(build_xlsx(data, "en")))
    notes = "\n".join(str(c.value) for row in wb[sheet_names("en")["notes"]].iter_rows() for c in row if c.value)
    assert line in notes
    assert all(line in ws.oddFooter.left.text for ws in wb.worksheets)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_features_are_named_in_the_documents_language_from_the_value_model(gathered, lang):
    """The demo's value model names every feature in English and Chinese: a Chinese deck and workbook show the
    Chinese names and never an English feature name (and the other way round)."""
    data = gathered["A001"]
    names = data.drivers
    own = dict(zip(names["feature"], names["name_zh" if lang == "zh" else "name_en"]))
    other = dict(zip(names["feature"], names["name_en" if lang == "zh" else "name_zh"]))
    assert all(isinstance(v, str) for v in own.values())
    deck = "\n".join(body + "\n" + notes for _, body, notes in _slides(build_pptx(data, lang, internal=True)))
    book = openpyxl.load_workbook(io.BytesIO(build_xlsx(data, lang)))
    cells = "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    used = [f.feature for f in data.report.cost.by_feature]
    assert all(own[f] in deck and own[f] in cells for f in used)
    if lang == "zh":  # the English names are the feature ids: none is left on a Chinese page
        import re

        for f in used:
            assert not re.search(rf"(?<![A-Za-z]){re.escape(other[f])}(?![A-Za-z])", deck + cells), f


def test_display_names_are_imported_edited_and_versioned_with_the_value_model(tmp_path):
    from metrics import value_model

    con = connect(tmp_path / "names.duckdb")
    (tmp_path / "drivers.csv").write_text("功能,节省分钟,英文名称,中文名称\nDispatch,6,Smart dispatch,智能派单\n"
                                          "Scan,2,,扫码\n", encoding="utf-8")
    ingest.import_file(con, tmp_path / "drivers.csv")
    (tmp_path / "accounts.csv").write_text("account_id,account_name,hourly_cost\nA,Acme,50\n", encoding="utf-8")
    ingest.import_file(con, tmp_path / "accounts.csv")
    assert catalog.feature_names(con) == {"Dispatch": ("Smart dispatch", "智能派单"), "Scan": (None, "扫码")}
    drivers, hourly = value_model.current_model(con)
    drivers.loc[drivers["feature"] == "Scan", "name_en"] = "Barcode scan"
    version = value_model.save(con, drivers, hourly, user="ops", note="English names")
    assert catalog.feature_names(con)["Scan"] == ("Barcode scan", "扫码")
    value_model.revert(con, version - 1, user="ops")  # the model as imported, names and all
    assert catalog.feature_names(con)["Scan"] == (None, "扫码")


def test_the_action_plan_is_validated_versioned_and_printed_on_the_next_quarter_slide_and_the_workbook(tmp_path):
    from dataclasses import replace
    from datetime import date

    from metrics import plan
    from metrics.accounts import get_account
    from metrics.errors import DataError

    con = connect(tmp_path / "plan.duckdb")
    load_demo(con)
    account = get_account(con, "A001")
    assert plan.editable(con, account).empty
    before = catalog.data_version(con)
    frame = pd.DataFrame([["Train the Invoice OCR team", "王敏 (customer)", date(2027, 1, 15), False],
                          ["=cmd|' /C calc'!A0", "CSM", date(2027, 2, 1), True]], columns=plan.COLUMNS)
    assert plan.save(con, account, frame, user="csm", note="agreed in the QBR") == 1
    assert catalog.data_version(con) != before  # cached pages and files are rebuilt
    bad = pd.DataFrame([["", "x", date(2027, 1, 1), False], ["Call", "", None, False]], columns=plan.COLUMNS)
    with pytest.raises(DataError) as refused:
        plan.save(con, account, bad, user="csm")
    assert str(refused.value) == ("action plan row 1, action: missing; action plan row 2, owner: missing; "
                                  "action plan row 2, due_date: not a date (use YYYY-MM-DD)")
    assert list(plan.versions(con, account)["version"]) == [1]  # a refused edit saves nothing
    data = gather(con, "A001", default_period(con))
    assert [a.action for a in data.actions] == ["Train the Invoice OCR team", "=cmd|' /C calc'!A0"]
    for lang in ("en", "zh"):
        slide = next(s for s in Presentation(io.BytesIO(build_pptx(data, lang))).slides
                     if s.shapes.title.text == text(lang, "deck_goals"))
        rows = [[c.text for c in row.cells] for sh in slide.shapes if sh.has_table for row in sh.table.rows]
        assert ["Train the Invoice OCR team", text(lang, "plan_open"), text(lang, "plan_due", date="2027-01-15"),
                "王敏 (customer)"] in rows
        assert text(lang, "placeholder_goal") not in [r[0] for r in rows]  # the plan stands in for placeholders
        wb = openpyxl.load_workbook(io.BytesIO(build_xlsx(data, lang)))
        sheet = wb[sheet_names(lang)["objectives"]]
        cells = {c.value: c for row in sheet.iter_rows() for c in row if c.value is not None}
        assert text(lang, "plan_title") in cells and "王敏 (customer)" in cells
        injected = cells["=cmd|' /C calc'!A0"]
        assert injected.data_type == "s"  # customer text, never a formula
    # without a plan, the slide offers goals to agree
    empty = replace(data, actions=())
    slide = next(s for s in Presentation(io.BytesIO(build_pptx(empty, "en"))).slides
                 if s.shapes.title.text == text("en", "deck_goals"))
    rows = [[c.text for c in row.cells] for sh in slide.shapes if sh.has_table for row in sh.table.rows]
    assert text("en", "placeholder_goal") in [r[0] for r in rows]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_account_page_shows_the_saved_action_plan(tmp_path, monkeypatch, lang):
    from datetime import date

    from conftest import run_page

    from metrics import plan
    from metrics.accounts import get_account

    db = tmp_path / "page.duckdb"
    con = connect(db)
    load_demo(con)
    plan.save(con, get_account(con, "A001"), pd.DataFrame([["Weekly adoption review", "Li", date(2027, 1, 8),
                                                            False]], columns=plan.COLUMNS), user="csm")
    con.close()
    monkeypatch.setenv("VALUELENS_DB", str(db))
    at = run_page(str(db), monkeypatch, "views/account_report.py", lang)
    assert not at.exception
    from wording.pages import STRINGS as PAGES

    assert PAGES[lang]["plan_title"] in [h.value for h in at.subheader]
    shown = [f.value for f in at.dataframe if "action" in f.value.columns]
    assert shown and shown[0]["action"].tolist() == ["Weekly adoption review"]
    assert shown[0]["done"].tolist() == [PAGES[lang]["plan_open"]]


def test_the_team_slide_names_the_champions_and_the_sponsors_only_when_the_export_shows_people(tmp_path):
    """The users kind's roles make sponsors; the most active users are champions: a slide of them when the export
    was asked to show people, none by default (the deck names nobody)."""
    con = connect(tmp_path / "team.duckdb")
    load_demo(con)
    (tmp_path / "users.csv").write_text("user_id,account_id,name,role\nA001-U0001,A001,王敏,VP Operations (sponsor)\n"
                                        "A001-U0002,A001,Li Lei,\n", encoding="utf-8")
    ingest.import_file(con, tmp_path / "users.csv")
    period = default_period(con)
    named = gather(con, "A001", period, people_as="names")
    team = [row for row in named.stakeholders if row[0]]
    assert team[0][:2] == ("王敏", "VP Operations (sponsor)")  # a role first, then the most active champions
    assert any(segment == "champion" for _, _, segment, _ in team)
    slide = next(s for s in Presentation(io.BytesIO(build_pptx(named, "en"))).slides
                 if s.shapes.title.text == text("en", "deck_team"))
    rows = [[c.text for c in row.cells] for sh in slide.shapes if sh.has_table for row in sh.table.rows]
    assert rows[1][:2] == ["王敏", "VP Operations (sponsor)"]
    nobody = gather(con, "A001", period)
    titles = [s.shapes.title.text for s in Presentation(io.BytesIO(build_pptx(nobody, "en"))).slides]
    assert text("en", "deck_team") not in titles and all(not row[0] for row in nobody.stakeholders)
