"""Shared fixtures: ROOT, fixture paths, an empty in-memory database and one loaded with the small fixtures."""
from __future__ import annotations

import csv
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from metrics import ingest
from metrics.store import ROOT, connect

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """An empty ValueLens database in memory."""
    connection = connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture
def loaded(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The in-memory database with the four small fixture files imported."""
    for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
        ingest.import_file(con, FIXTURES / name)
    return con


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> str:
    """A database file with the demo loaded, one per test module (a module may write to it)."""
    from metrics.demo import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = connect(path)
    load_demo(con)
    con.close()
    return str(path)


def csv_to_xlsx(source: Path, target: Path) -> Path:
    """The same table as an Excel workbook (every cell as text, as many exports write them)."""
    wb = Workbook()
    with source.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            wb.active.append(row)
    wb.save(target)
    return target


def table(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple]:
    """Rows of a query, for whole-result assertions."""
    return con.execute(query).fetchall()


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every stored table's full contents, to prove that something changed nothing."""
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY table_name").fetchall()]
    return {name: sorted(map(repr, con.execute(f"SELECT * FROM {name}").fetchall())) for name in names}


def displayed(value: float | None, unit: str, currency: str | None = None, *, signed: bool = False,
              compact: bool = False) -> str:
    """How the English pages show a figure, written out here rather than taken from ui.text.fmt, so that a changed
    display format fails the page tests: n/a for None; fractions as percentages with one decimal (a sign for
    deltas); money with its currency, two decimals, or in KPI cards whole from 1,000 and K / M with one decimal
    (none when it is 0) from 10,000; hours with
    one decimal and "h" (whole hours from 1,000 in KPI cards); months with one decimal, counts whole, other numbers
    with two decimals; halves away from zero on the decimal value."""
    if value is None or value != value:
        return "n/a"

    def rounded(x: float, places: int) -> str:  # half away from zero on the decimal value, as a spreadsheet shows
        q = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        return f"{q:,.{places}f}"
    if unit == "fraction":
        return ("+" if signed and value >= 0 else "") + rounded(value * 100, 1) + "%"
    if unit == "currency":
        prefix = f"{currency} " if currency else ""
        if compact and abs(value) >= 1_000_000:  # CLDR's compact form: no ".0" (EUR 73K, not 73.0K)
            return f"{prefix}{rounded(value / 1_000_000, 1).removesuffix('.0')}M"
        if compact and abs(value) >= 10_000:
            return f"{prefix}{rounded(value / 1_000, 1).removesuffix('.0')}K"
        return f"{prefix}{rounded(value, 0 if compact and abs(value) >= 1_000 else 2)}"
    if unit == "hours":
        return rounded(value, 0 if compact and abs(value) >= 1000 else 1) + " h"
    if unit == "months":
        return rounded(value, 1)
    if unit == "count":
        return rounded(value, 0)
    return rounded(value, 2)


def run_page(db: str, monkeypatch, page: str, lang: str = "en"):
    """The app (app.py) on database `db`, in `lang`, switched to `page` and run: a streamlit AppTest."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("VALUELENS_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    return at.switch_page(page).run()


# English a Chinese page may show: names of products, formats and standards, codes, and the demo's own data
_ALLOWED_WORDS = {"ValueLens", "Excel", "PowerPoint", "pptx", "PPT",
                  "QBR", "Markdown", "CSV", "JSON", "Parquet", "UTF", "GBK", "GB18030",
                  "IANA", "UTC", "ISO", "FTE", "ROI", "BOM", "YYYY", "Amplitude", "Mixpanel", "PostHog", "Pendo",
                  "Segment", "Heap", "Snowplow", "RudderStack", "Salesforce", "HubSpot", "Google", "Analytics",
                  "TSV", "Avro", "lines", "gz", "zip", "xlsx", "csv", "parquet", "json", "use", "unit", "cost",
                  "efficiency", "revenue", "risk", "renewed", "expanded", "contracted", "churned", "request", "bug",
                  "high", "medium", "low"}
# the last fourteen: contract values a file must contain (value-model basis and category, renewal outcome, request
# type and urgency), shown with their Chinese

def english_words(text: str, data: set[str]) -> list[str]:
    """The English words of `text` a Chinese reader would not expect: the demo's own names and ids, placeholders,
    markup and the allowed words removed."""
    text = text.replace("\\", "")  # Markdown escapes of customer text (check\-in)
    for name in sorted(data, key=len, reverse=True):
        text = text.replace(name, " ")
    text = re.sub(r"\{\{[^}]*\}\}|\b[\w/-]+\.(?:md|pptx)\b", " ", text)  # a template's tokens, a guide's path
    text = re.sub(r"%\{[^}]*\}|<[^>]+>|[A-Z][a-z]+/[A-Z][a-z_]+|\b[A-Z]\d+\b|\b[A-Z]{2,4}\b|\\", " ", text)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in _ALLOWED_WORDS]


def customer_text(con) -> set[str]:
    """The demo's own names, feature ids, driver descriptions and file names: data a Chinese view shows as it is."""
    return {str(v) for (v,) in con.execute(
        "SELECT account_name FROM account UNION SELECT feature FROM feature UNION "
        "SELECT description FROM value_drivers UNION SELECT file_name FROM imports UNION "
        "SELECT source FROM imports UNION "
        # what customers and the team wrote: requests in the customers' words, requirement titles and notes
        "SELECT unnest([words, requester, channel, area, competitor]) FROM requests UNION "
        "SELECT unnest([title, status_note, target_version, shipped_version, priority_reason]) FROM requirements"
        ).fetchall() if v}
