"""Real browser: the running app, every page in both languages, in headless Chromium (Debian's /usr/bin/chromium;
never a downloaded browser). Skipped only where Chromium or Playwright is absent; CI installs both."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import closing, contextmanager
from datetime import date

import pytest
from conftest import ROOT

from i18n import STRINGS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed")
PAGES = ["page_account", "page_benchmarks", "page_case_studies", "page_portfolio", "page_adoption", "page_import",
         "page_value_model", "page_requirements", "page_deck_template"]  # every page of the navigation


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app served on a free loopback port with a fresh database (the demo loads on first run)."""
    yield from serve(tmp_path_factory.mktemp("browser"))


def serve(folder):
    """Start the app on a free port with a database in `folder`; yield its URL; stop it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "VALUELENS_DB": str(folder / "app.duckdb")}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless",
                             "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--client.showErrorDetails", "full"],  # the test wants to see any traceback
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    try:
        yield url
    finally:  # also when the generator is closed early (a test that takes the URL with next())
        proc.terminate()
        proc.wait(timeout=20)


def settle(page) -> None:
    """Wait until Streamlit has finished the current run."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=90_000)
    page.wait_for_timeout(1000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=90_000)
    page.wait_for_timeout(500)


@contextmanager
def app_page(folder, height: int = 1000):
    """The app served with a fresh database in `folder` and open in headless Chromium (open_app): its page, with
    the app's address as `page.app_url`; the browser and the app stopped after."""
    server_gen = serve(folder)
    url = next(server_gen)
    try:
        with sync_api.sync_playwright() as p:
            browser, page = open_app(p, url, height=height)
            page.app_url = url
            yield page
            browser.close()
    finally:
        server_gen.close()


def open_app(p, url: str, height: int = 1000):
    """Headless Chromium on the app at `url`, English, its first run finished: (browser, page)."""
    browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
    page = browser.new_page(viewport={"width": 1400, "height": height}, locale="en-US")
    page.goto(url)
    settle(page)
    return browser, page


def test_every_page_opens_in_both_languages_without_an_exception_box(server):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page.goto(server)
        settle(page)
        for lang in ("en", "zh"):
            if lang == "zh":
                page.get_by_text("简体中文").click()
                settle(page)
            for key in PAGES:
                title = STRINGS[lang][key]
                page.locator('[data-testid="stSidebarNav"]').get_by_text(title, exact=True).click()
                settle(page)
                assert page.locator("h1").first.inner_text().strip() == title
                errors = page.locator('[data-testid="stException"]')
                assert errors.count() == 0, errors.first.inner_text()
        browser.close()


def test_a_translated_choice_stays_selected_when_the_language_changes(server):
    """Streamlit keeps a radio's choice by its label: the peer cohort chosen in English is still chosen in Chinese."""
    with sync_api.sync_playwright() as p:
        browser, page = open_app(p, server)
        page.locator('[data-testid="stSidebarNav"]').get_by_text(STRINGS["en"]["page_benchmarks"], exact=True).click()
        settle(page)
        cohort = page.locator('[data-testid="stMain"] [data-testid="stRadio"]')
        cohort.get_by_text(STRINGS["en"]["cohort_all"], exact=True).click()
        settle(page)
        page.get_by_text("简体中文").click()
        settle(page)
        chosen = cohort.locator("label:has(input:checked)")
        assert chosen.count() == 1 and chosen.inner_text().strip() == STRINGS["zh"]["cohort_all"]
        browser.close()


def test_choices_stay_chosen_when_the_language_changes(server):
    """Streamlit matches a selectbox's value by its label, and a multiselect without a key is a new, empty widget when
    its label is translated: the deck's training lists by initials, the portfolio's industry, the requirement board's
    status and an uploaded file's kind of data, each chosen in one language, are still chosen, in the other
    language's words, after a switch; the uploaded file is still there."""
    import wording

    def label(key: str, lang: str) -> str:
        return STRINGS[lang][key]

    with sync_api.sync_playwright() as p:
        browser, page = open_app(p, server)  # the account page
        people = page.locator('[data-testid="stSelectbox"]')
        people.filter(has_text=label("deck_people", "en")).click()
        page.locator('[role="option"]').filter(has_text=label("deck_people_initials", "en")).click()
        settle(page)
        page.get_by_text("简体中文").click()
        settle(page)
        chosen = people.filter(has_text=label("deck_people", "zh")).locator("input").first.input_value()
        assert chosen == label("deck_people_initials", "zh")

        nav = page.locator('[data-testid="stSidebarNav"]')
        chips = page.locator('[data-testid="stSidebarUserContent"] [data-testid="stMultiSelect"] [data-tag]')

        def choose_first() -> str:
            page.locator('[data-testid="stSidebarUserContent"] [data-testid="stMultiSelect"]').first.click()
            options = page.locator('[role="option"]')  # Streamlit's own "Select all" first, in English
            options.nth(next(i for i, text in enumerate(options.all_inner_texts()) if text != "Select all")).click()
            page.keyboard.press("Escape")
            settle(page)
            assert chips.count() == 1
            return chips.first.inner_text().strip()

        nav.get_by_text(label("page_portfolio", "zh"), exact=True).click()
        settle(page)
        industry = next(v for v in ("Financial services", "Healthcare", "Logistics", "Manufacturing", "Retail")
                        if wording.term("industry", v, "zh") == choose_first())
        page.get_by_text("English", exact=True).click()
        settle(page)
        assert chips.count() == 1 and chips.first.inner_text().strip() == industry

        nav.get_by_text(label("page_requirements", "en"), exact=True).click()
        settle(page)
        status = choose_first()
        key = next(k for k, v in STRINGS["en"].items() if k.startswith("req_status_") and v == status)
        page.get_by_text("简体中文").click()
        settle(page)
        assert chips.count() == 1 and chips.first.inner_text().strip() == label(key, "zh") != status

        # an uploaded file and the kind of data chosen for it (the detected kind is accounts) survive the switch
        nav.get_by_text(label("page_import", "zh"), exact=True).click()
        settle(page)
        page.locator('input[type="file"]').set_input_files(str(ROOT / "data" / "demo" / "accounts.csv"))
        settle(page)
        kind = page.locator('[data-testid="stSelectbox"]').filter(has_text=label("kind", "zh"))
        assert kind.locator("input").first.input_value() == wording.term("kind", "accounts", "zh")
        kind.click()
        page.locator('[role="option"]').filter(has_text=wording.term("kind", "outcomes", "zh")).click()
        settle(page)
        page.get_by_text("English", exact=True).click()
        settle(page)
        kind = page.locator('[data-testid="stSelectbox"]').filter(has_text=label("kind", "en"))
        chosen = kind.locator("input").first.input_value()
        assert chosen == wording.term("kind", "outcomes", "en") == "Business outcomes"
        browser.close()


def test_the_browser_test_opens_every_page_of_the_navigation():
    import re

    app = (ROOT / "app.py").read_text(encoding="utf-8")
    assert set(PAGES) == set(re.findall(r'title=t\("(page_[a-z_]+)"\)', app))


def test_a_link_to_a_page_is_the_first_request_after_a_restart_and_opens_the_whole_app(tmp_path):
    """A shared link (/portfolio?from=2026-01&to=2026-03) opened first on a freshly started server: the page with
    the app's navigation, language switch and the link's period. With the pages in pages/, Streamlit served the bare
    page script to this visitor (its own file-name navigation, no sections, no language switch)."""
    server = serve(tmp_path)
    url = next(server)
    with closing(server), sync_api.sync_playwright() as p:  # closing: the server stops after the test
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page.goto(f"{url}/portfolio?from=2026-01&to=2026-03")
        settle(page)
        assert page.locator("h1").first.inner_text().strip() == STRINGS["en"]["page_portfolio"]
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert STRINGS["en"]["section_exec"] in nav and STRINGS["en"]["page_account"] in nav
        assert page.get_by_text("简体中文").count() == 1
        assert page.url.endswith("from=2026-01&to=2026-03")  # the picker kept the link's period (else 2026-08..10)
        browser.close()


def test_the_import_page_takes_a_ga4_parquet_file_and_an_iso_8859_1_salesforce_report_with_their_presets(tmp_path):
    """As a CS operations person would: upload GA4's BigQuery export (Parquet) and a Salesforce accounts report
    (ISO-8859-1, quoted, its footer), see each file's preset, layout and encoding, import both, see what loaded."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from test_second_ring import ga4_rows, salesforce_report

    rows = ga4_rows()
    for row in rows:  # the demo's accounts and features
        row["user_properties"][0]["value"]["string_value"] = {"A1": "A002", "A2": "A003"}[
            row["user_properties"][0]["value"]["string_value"]]
        row["event_name"] = {"Dispatch": "Smart dispatch", "Reports": "Auto reconciliation"}.get(
            row["event_name"], row["event_name"])
    ga4 = tmp_path / "events_20250303.parquet"
    pq.write_table(pa.Table.from_pylist(rows), ga4)
    report = salesforce_report(tmp_path / "report1709312345678.csv")
    with app_page(tmp_path, height=2400) as page:
        page.locator('[data-testid="stSidebarNav"]').get_by_text(STRINGS["en"]["page_import"], exact=True).click()
        settle(page)
        page.locator('input[type="file"]').set_input_files([str(ga4), str(report)])
        settle(page)
        main = page.locator('[data-testid="stMain"]')
        text = main.inner_text()
        assert "Preset: Google Analytics 4, layout bigquery-export" in text
        assert "Preset: Salesforce, layout report-export" in text and "encoding: cp1252" in text
        preset = page.locator('[data-testid="stSelectbox"]').filter(has_text=STRINGS["en"]["preset"])
        assert [preset.nth(i).locator("input").first.input_value() for i in range(2)] == [
            "Google Analytics 4", "Salesforce"]
        loaded = page.locator('[data-testid="stMetric"]').filter(has_text=STRINGS["en"]["loaded"])
        for name, rows_loaded in ((ga4.name, "6"), (report.name, "2")):  # a result shows on its own run
            page.get_by_role("button", name=STRINGS["en"]["import"].format(file=name)).click()
            settle(page)
            page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
            assert loaded.first.locator('[data-testid="stMetricValue"]').inner_text() == rows_loaded
            errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
            assert errors.count() == 0, errors.first.inner_text()


def test_the_requirement_board_accepts_a_requests_similar_requests_at_once(tmp_path):
    """As CS operations would: select a request not grouped yet, keep the offer to bring its similar requests (not
    grouped yet) along, and make one requirement of them all."""
    from metrics import requirements
    from metrics.store import connect

    with app_page(tmp_path, height=3600) as page:
        page.goto(page.app_url + "/requirements")
        settle(page)
        loose = page.locator('[data-testid="stDataFrame"]').nth(1)  # the board, then the requests not grouped
        box = loose.bounding_box()
        page.mouse.click(box["x"] + 15, box["y"] + 52)  # the first request's selection box
        settle(page)
        offer = page.get_by_text(re.compile(r"^Group these similar requests with it: (\d+) not grouped yet"))
        n = int(re.search(r"(\d+) not grouped", offer.inner_text())[1])
        assert n >= 2
        page.get_by_role("button", name=STRINGS["en"]["new_requirement"]).click()
        settle(page)
    con = connect(tmp_path / "app.duckdb")
    newest = max(requirements.board(con, today=date.today()), key=lambda i: i.requirement_id)
    con.close()
    assert len(newest.requests) == n + 1


def test_a_deck_template_is_uploaded_kept_and_previewed_filled(tmp_path):
    """As CS operations would: upload the team's template on Data > Deck template, keep it, and see it filled for
    the first account; a template with an unknown token is refused with its slide and nothing is kept."""
    from pptx import Presentation
    from pptx.util import Inches

    from metrics import deck_templates
    from metrics.store import connect

    bad = tmp_path / "bad.pptx"
    prs = Presentation()
    prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1)) \
        .text_frame.text = "{{cost.valeu}}"
    prs.save(bad)
    with app_page(tmp_path, height=2400) as page:
        page.goto(page.app_url + "/deck_template")
        settle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
        settle(page)
        page.get_by_role("button", name=STRINGS["en"]["deck_template_keep"]).click()
        settle(page)
        refused = page.locator('[data-testid="stAlert"]').filter(has_text="bad.pptx: slide 1: unknown token")
        assert refused.inner_text().strip() == "bad.pptx: slide 1: unknown token {{cost.valeu}}"
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
            str(ROOT / "docs" / "sample_template.pptx"))
        settle(page)
        page.get_by_role("button", name=STRINGS["en"]["deck_template_keep"]).click()
        settle(page)
        assert page.get_by_text(STRINGS["en"]["deck_template_kept"].format(version=1)).count() == 1
        assert page.get_by_text(STRINGS["en"]["deck_template_preview"]).count() == 1
        assert page.get_by_role("button", name=STRINGS["en"]["deck_template_download"]).count() == 1
    con = connect(tmp_path / "app.duckdb")
    assert list(deck_templates.versions(con)["name"]) == ["sample_template.pptx"]
    con.close()
