"""One AppTest smoke test per page, on a fresh database that the app fills with the demo data."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from i18n import STRINGS

PAGES = ["pages/account_report.py", "pages/portfolio.py", "pages/adoption.py", "pages/data_import.py",
         "pages/value_model.py"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A database path shared by this module's tests: the first app run loads the demo into it."""
    return str(tmp_path_factory.mktemp("app") / "app.duckdb")


def run_page(db: str, monkeypatch, page: str, lang: str = "en") -> AppTest:
    monkeypatch.setenv("VALUELENS_DB", db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    return at.switch_page(page).run()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_page_renders_without_an_exception_in_both_languages(db, monkeypatch, page, lang):
    at = run_page(db, monkeypatch, page, lang)
    assert not at.exception
    assert at.title[0].value == STRINGS[lang][{"account_report": "page_account", "portfolio": "page_portfolio",
                                               "adoption": "page_adoption", "data_import": "page_import",
                                               "value_model": "page_value_model"}[page[6:-3]]]


def test_the_value_model_placeholder_says_it_is_not_ready_and_lists_the_demo_drivers(db, monkeypatch):
    at = run_page(db, monkeypatch, "pages/value_model.py")
    assert "not available yet" in at.info[0].value
    assert len(at.dataframe[0].value) == 15


def test_the_data_page_lists_the_demo_imports(db, monkeypatch):
    at = run_page(db, monkeypatch, "pages/data_import.py")
    recent = at.dataframe[0].value
    assert sorted(recent["file_name"]) == ["accounts.csv", "events.parquet", "outcomes.xlsx", "value_drivers.csv"]
    assert recent["rows_rejected"].sum() == 0


def test_both_languages_have_the_same_keys():
    assert STRINGS["en"].keys() == STRINGS["zh"].keys()
