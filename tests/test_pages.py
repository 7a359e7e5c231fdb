"""One AppTest test per page on the demo data: it renders in both languages, and the figures it shows are the
metric functions' output."""
from __future__ import annotations

import base64
import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, displayed, run_page
from streamlit.testing.v1 import AppTest

from i18n import COLUMNS, STRINGS
from metrics import adoption, portfolio, report, value_model
from metrics.period import Period, default_period
from metrics.store import connect

PAGES = {"views/account_report.py": "page_account", "views/portfolio.py": "page_portfolio",
         "views/adoption.py": "page_adoption", "views/data_import.py": "page_import",
         "views/value_model.py": "page_value_model", "views/benchmarks.py": "page_benchmarks",
         "views/case_studies.py": "page_case_studies"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A database path shared by this module's tests: the first app run loads the demo into it."""
    return str(tmp_path_factory.mktemp("app") / "app.duckdb")


def shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders_without_an_exception_in_both_languages(db, monkeypatch, page, lang):
    at = run_page(db, monkeypatch, page, lang)
    assert not at.exception
    assert at.title[0].value == STRINGS[lang][PAGES[page]]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_table_heads_its_columns_in_the_chosen_language(db, monkeypatch, page, lang):
    at = run_page(db, monkeypatch, page, lang)
    for frame in at.dataframe:  # tables and editors
        config = json.loads(frame.proto.columns or "{}")
        for column in frame.value.columns:
            label = config.get(column, {}).get("label")
            if re.fullmatch(r"[a-z][a-z0-9_]*", column):  # a column id, never shown as it is
                assert label == COLUMNS[lang][column], (page, column, label)
            else:  # already a heading in this language
                assert label is None, (page, column, label)


def test_the_account_report_shows_the_report_functions_figures(db, monkeypatch):
    at = run_page(db, monkeypatch, "views/account_report.py")
    con = connect(db)
    data = report.account_report(con, account_id="A001", period=default_period(con))
    expected = {STRINGS["en"][f"kpi_{k.name}"]: displayed(k.value, k.unit, data.cost.currency,
                                                      signed=k.unit == "fraction" and "delta" in k.name, compact=True)
                for k in report.headline_kpis(data)}
    assert shown(at) == expected
    assert any(item.feature in m.value for item in data.adoption.underused_features for m in at.markdown)


def test_another_account_and_period_show_that_accounts_figures(db, monkeypatch):
    at = run_page(db, monkeypatch, "views/account_report.py")
    at.selectbox[0].set_value("A002").run()
    assert not at.exception
    con = connect(db)
    data = report.account_report(con, account_id="A002", period=default_period(con))
    assert shown(at)["Hours saved"] == displayed(data.cost.hours_saved, "hours")
    assert shown(at)["Per-person efficiency"] == displayed(data.efficiency.delta, "fraction", signed=True)


def test_the_portfolio_totals_equal_the_portfolio_functions_per_currency(db, monkeypatch):
    at = run_page(db, monkeypatch, "views/portfolio.py")
    con = connect(db)
    period = default_period(con)
    totals = portfolio.summarize(portfolio.portfolio_table(con, start=period.start, end=period.end))
    values = [m.value for m in at.metric if m.label == "Value delivered"]
    assert values == [displayed(r.value, "currency", r.currency, compact=True) for r in totals.itertuples()]
    assert [m.value for m in at.metric if m.label == "Accounts"] == [str(n) for n in totals["accounts"]]
    assert totals["accounts"].sum() == 40


def test_the_adoption_explorer_plots_the_feature_trend_function(db, monkeypatch):
    at = run_page(db, monkeypatch, "views/adoption.py")
    con = connect(db)
    period = default_period(con)
    from metrics.period import add_months
    trend = adoption.feature_trend(con, start=add_months(period.end, -12), end=period.end)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    first = spec["data"][0]
    y = first["y"]
    plotted = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"]) if isinstance(y, dict) else y
    expected = trend[trend["feature"] == first["name"]]["adoption_rate"].tolist()
    assert list(plotted) == pytest.approx(expected)


def test_the_value_model_page_shows_no_change_until_the_model_is_edited(db, monkeypatch):
    at = run_page(db, monkeypatch, "views/value_model.py")
    effect = next(d.value for d in at.dataframe if "value_change" in d.value.columns)
    con = connect(db)
    period = default_period(con)
    table = portfolio.portfolio_table(con, start=period.start, end=period.end)
    assert effect["value_change"].abs().max() == 0
    assert effect.set_index("currency")["value_before"].to_dict() == pytest.approx(
        table.groupby("currency")["value"].sum().to_dict())
    assert len(value_model.current_model(con)[0]) == 15


def test_the_data_page_lists_the_demo_imports(db, monkeypatch):
    at = run_page(db, monkeypatch, "views/data_import.py")
    recent = at.dataframe[0].value
    assert sorted(recent["file_name"]) == ["accounts.csv", "events.parquet", "outcomes.xlsx", "value_drivers.csv"]
    assert recent["rows_rejected"].sum() == 0


def test_both_languages_have_the_same_keys():
    assert STRINGS["en"].keys() == STRINGS["zh"].keys()
    assert COLUMNS["en"].keys() == COLUMNS["zh"].keys()


def test_the_period_and_the_account_live_in_the_url_and_follow_the_user_across_pages(db, monkeypatch):
    """A shared link (?account=A002&from=2026-01&to=2026-03, months inclusive) opens that view; the period chosen
    there is the one the next page opens on."""
    monkeypatch.setenv("VALUELENS_DB", db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    for key, value in {"account": "A002", "from": "2026-01", "to": "2026-03"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert [box.value for box in at.selectbox[:3]] == ["A002", date(2026, 1, 1), date(2026, 3, 1)]
    data = report.account_report(connect(db), account_id="A002", period=Period(date(2026, 1, 1), date(2026, 4, 1)))
    assert shown(at)["Hours saved"] == displayed(data.cost.hours_saved, "hours")
    at.selectbox[2].set_value(date(2026, 2, 1)).run()
    assert (at.query_params["from"], at.query_params["to"]) in ((["2026-01"], ["2026-02"]), ("2026-01", "2026-02"))
    at.query_params.clear()  # a page opened from the sidebar has no query
    at.switch_page("views/portfolio.py").run()
    assert not at.exception
    assert [box.value for box in at.selectbox[:2]] == [date(2026, 1, 1), date(2026, 2, 1)]


def test_charts_read_in_both_languages_legends_clear_of_labels_months_as_numbers_counts_whole():
    import charts

    months = [date(2026, m, 1) for m in (1, 2, 3)]
    mau = charts.timeline(pd.DataFrame({"month": months, "active_users": [0, 1, 3]}), "active_users", title="t",
                          y_title="u", go_live=date(2026, 1, 15), go_live_label="g", counts=True)
    assert mau.layout.xaxis.tickformat == "%Y-%m"  # not Plotly's English "Jan 2026" on a Chinese page
    assert mau.layout.yaxis.dtick == 1 and mau.layout.yaxis.tickformat == ",d"  # no 0.5 users
    assert mau.layout.legend.y >= 1 and mau.layout.legend.yanchor == "bottom"  # above the plot, not on the labels
    peers = charts.adoption_vs_peers(pd.DataFrame({"feature": ["A", "B"], "adoption_rate": [0.5, 0.4],
                                                   "peer_median": [0.3, 0.2]}), title="t", own="o", peers="p")
    assert peers.layout.legend.y >= 1 and peers.layout.xaxis.tickformat is None
    heat = charts.heatmap(pd.DataFrame({"Retail": [0.45]}, index=["A"]), title="t")
    assert heat.layout.coloraxis.colorbar.tickformat == ".0%"  # the scale reads 45 % as the cells do
    lines = charts.lines(pd.DataFrame({"month": months, "rate": [0.1, 0.2, 0.3], "feature": ["A"] * 3}), "month",
                         "rate", "feature", title="t", percent=True)
    assert lines.layout.xaxis.tickformat == "%Y-%m"


def test_the_chinese_account_report_says_hours_in_chinese(db, monkeypatch):
    at = run_page(db, monkeypatch, "views/account_report.py", "zh")
    assert shown(at)[STRINGS["zh"]["kpi_hours_saved"]].endswith(" 小时")


@pytest.mark.parametrize("page, column, shown_as", [("views/portfolio.py", "value", "%,.2f"),
                                                     ("views/portfolio.py", "value_at_risk", "%,.2f"),
                                                     ("views/portfolio.py", "hours_saved", "%,.1f"),
                                                     ("views/case_studies.py", "roi", "percent"),
                                                     ("views/data_import.py", "rows_loaded", "%,d")])
def test_table_figures_are_formatted_for_people(db, monkeypatch, page, column, shown_as):
    """26,744.02 with its thousands separator, not 26744.02; 214,588 rows; percentages as percentages."""
    at = run_page(db, monkeypatch, page)
    formats = [json.loads(frame.proto.columns or "{}").get(column, {}).get("type_config", {}).get("format")
               for frame in at.dataframe if column in frame.value.columns]
    assert formats and set(formats) == {shown_as}
