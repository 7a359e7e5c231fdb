"""The customer's own value page (issue 45): signed links that fail closed, one account's customer-safe page and
nothing else, passcodes that cannot be guessed quickly, every view counted, the customer's confirmation kept with
the figures it saw and shown on the account page, the workbook and the deck, and the same page as one HTML file."""
from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timedelta

import pytest
from conftest import ROOT

from metrics import sharing
from metrics.errors import DataError
from metrics.period import default_period
from metrics.store import connect

SECRET = "test-share-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture(scope="module")
def demo(demo_db) -> str:
    """conftest's demo database: this module's own, its links and confirmations in its share store."""
    return demo_db


@pytest.fixture()
def secrets_file(tmp_path, monkeypatch):
    path = tmp_path / "secrets.toml"
    path.write_text(f'[share]\nsecret = "{SECRET}"\n', encoding="utf-8")
    monkeypatch.setenv(sharing.SECRETS_ENV, str(path))
    return path


def _page(demo: str, account_id: str = "A001", lang: str = "en") -> dict:
    from exports.share_page import payload

    con = connect(demo)
    try:
        return payload(con, account_id, default_period(con), lang)
    finally:
        con.close()


def _link(demo: str, account_id: str = "A001", **options):
    page = _page(demo, account_id, options.pop("lang", "en"))
    return sharing.create(page, account_id=account_id, period=(page["period"]["start"], page["period"]["end"]),
                          lang=page["lang"], created_by="csm@example.com", database=demo, **options)


# ---------------------------------------------------------------- links fail closed

def test_without_a_secret_no_link_is_made_or_honoured(demo, tmp_path, monkeypatch, secrets_file):
    link, token = _link(demo)
    assert sharing.resolve(token, demo).link_id == link.link_id
    monkeypatch.setenv(sharing.SECRETS_ENV, str(tmp_path / "missing.toml"))
    assert sharing.resolve(token, demo) is None
    with pytest.raises(DataError, match=r"no \[share\] secret"):
        _link(demo)
    (tmp_path / "short.toml").write_text('[share]\nsecret = "too short"\n', encoding="utf-8")
    monkeypatch.setenv(sharing.SECRETS_ENV, str(tmp_path / "short.toml"))
    assert sharing.resolve(token, demo) is None


def test_a_tampered_expired_revoked_or_foreign_token_resolves_to_nothing(demo, tmp_path, monkeypatch, secrets_file):
    link, token = _link(demo, days=2)
    now = datetime.now()
    assert sharing.resolve(token, demo, now) is not None
    payload_part, stamp, signature = token.split(".")
    other = sharing._serializer(SECRET).dumps("not-a-link")
    for bad in (f"{payload_part}.{stamp}.{signature[:-2]}AA", token[:-1], f"{other}", "", "garbage"):
        assert sharing.resolve(bad, demo, now) is None
    assert sharing.resolve(token, demo, now + timedelta(days=2, seconds=1)) is None  # expired
    (tmp_path / "other.toml").write_text('[share]\nsecret = "another-secret-0123456789-abcdefghijklmnop"\n')
    monkeypatch.setenv(sharing.SECRETS_ENV, str(tmp_path / "other.toml"))
    assert sharing.resolve(token, demo, now) is None  # signed with another secret
    monkeypatch.setenv(sharing.SECRETS_ENV, str(secrets_file))
    assert sharing.revoke(link.link_id, demo) and not sharing.revoke("no-such-link", demo)
    assert sharing.resolve(token, demo, now) is None  # revoked


@pytest.mark.parametrize("days", [0, 181])
def test_a_link_lasts_1_to_180_days(demo, secrets_file, days):
    with pytest.raises(DataError, match="a link lasts 1 to 180 days"):
        _link(demo, days=days)


def test_wrong_passcodes_lock_the_link_whatever_the_session(demo, secrets_file):
    link, token = _link(demo, passcode="blue-harbour-7")
    found = sharing.resolve(token, demo)
    assert found.has_passcode
    now = datetime.now()
    assert not sharing.check_passcode(found, "wrong", demo, now)
    assert sharing.check_passcode(found, "blue-harbour-7", demo, now)
    for _ in range(sharing.MAX_ATTEMPTS - 1):
        assert not sharing.check_passcode(found, "guess", demo, now)
    assert sharing.locked(found, demo, now)
    assert not sharing.check_passcode(found, "blue-harbour-7", demo, now)  # locked: even the right one
    later = now + timedelta(minutes=sharing.LOCK_MINUTES, seconds=1)
    assert not sharing.locked(found, demo, later) and sharing.check_passcode(found, "blue-harbour-7", demo, later)
    with sharing._store(demo) as con:  # stored as a salted scrypt hash, never as given
        stored = con.execute("SELECT passcode FROM links WHERE link_id = ?", (link.link_id,)).fetchone()[0]
    assert "blue-harbour-7" not in stored and stored.count("$") == 1


def test_every_view_is_counted(demo, secrets_file):
    link, token = _link(demo)
    for _ in range(3):
        sharing.page_of(sharing.resolve(token, demo), demo)
    [listed] = sharing.links(demo, link_id=link.link_id)
    assert listed.views == 3 and listed.last_view is not None


# ---------------------------------------------------------------- one account, the customer's side only

def test_the_page_holds_its_account_only_and_nothing_internal(demo):
    from exports.share_page import INTERNAL_KEYS
    from metrics.accounts import all_accounts

    con = connect(demo)
    others = [(a.account_id, a.name) for a in all_accounts(con) if a.account_id != "A001"]
    con.close()
    for lang in ("en", "zh"):
        page = _page(demo, "A001", lang)
        text = json.dumps(page, ensure_ascii=False)
        assert page["account_id"] == "A001" and page["lang"] == lang
        leaked = [name for account_id, name in others if name in text or f'"{account_id}"' in text]
        assert leaked == []

        def keys(value) -> set[str]:
            if isinstance(value, dict):
                return set(value) | {k for v in value.values() for k in keys(v)}
            return {k for v in value for k in keys(v)} if isinstance(value, list) else set()

        assert not [k for k in keys(page) if any(word in k for word in INTERNAL_KEYS)]
        words = ("health", "risk", "attention", "bottom quart") if lang == "en" else ("健康", "风险", "关注")
        assert not [w for w in words if w in text.lower()]
        assert len(page["cards"]) == 5 and all(card["formula"] for card in page["cards"])
        assert len(page["adoption"]["months"]) <= 12


def test_peers_on_the_page_follow_the_privacy_policy(demo):
    """Only figures pooled over at least 5 other accounts, none in the bottom quarter (exports.audience)."""
    from exports.audience import BOTTOM_QUARTER

    page = _page(demo)
    for row in (page["peers"] or {}).get("rows", []):
        assert row[3] == "—" or int(row[3]) >= BOTTOM_QUARTER


# ---------------------------------------------------------------- confirmations

def test_a_confirmation_is_kept_with_its_figures_and_shown_in_the_workbook_and_deck(demo, secrets_file):
    from openpyxl import load_workbook
    from pptx import Presentation

    from exports.batch import export_one
    from exports.data import confirmation_lines, gather

    link, token = _link(demo, account_id="A002")
    found = sharing.resolve(token, demo)
    seen = sharing.page_of(found, demo)
    with pytest.raises(DataError, match="a name and a role"):
        sharing.confirm(found, seen, kind="confirmed", name=" ", role="CFO", database=demo)
    with pytest.raises(DataError, match="a comment needs its text"):
        sharing.confirm(found, seen, kind="comment", name="Wang Fang", role="CFO", database=demo)
    sharing.confirm(found, seen, kind="confirmed", name="Wang Fang", role="CFO", database=demo)
    [kept] = sharing.confirmations("A002", demo)
    assert (kept.kind, kept.name, kept.role, kept.figures) == ("confirmed", "Wang Fang", "CFO", seen["figures"])
    assert kept.value_model_version == seen["value_model_version"]
    con = connect(demo)
    period = default_period(con)
    data = gather(con, "A002", period)
    today = datetime.now().date().isoformat()
    assert confirmation_lines(data, "en") == [f"Confirmed by Wang Fang, CFO on {today}"]
    assert confirmation_lines(data, "zh") == [f"已由 Wang Fang（CFO）于 {today} 确认"]
    workbook = load_workbook(io.BytesIO(export_one(con, "A002", period, "xlsx", "en")))
    assert workbook.worksheets[0]["A11"].value == f"Confirmed by Wang Fang, CFO on {today}"
    deck = Presentation(io.BytesIO(export_one(con, "A002", period, "pptx", "en")))
    said = [s for s in deck.slides for shape in s.shapes if shape.has_text_frame
            and f"Confirmed by Wang Fang, CFO on {today}" in shape.text_frame.text]
    assert said
    con.close()


def test_a_figure_recalculated_after_its_confirmation_says_it_changed(demo, secrets_file):
    from exports.data import confirmation_lines, gather

    link, token = _link(demo, account_id="A003")
    found = sharing.resolve(token, demo)
    seen = sharing.page_of(found, demo)
    seen["figures"]["value"] = seen["figures"]["value"] * 1.5  # as if the data changed after it was confirmed
    sharing.confirm(found, seen, kind="comment", name="李雷", role="财务总监", text="差旅费用没算进去", database=demo)
    con = connect(demo)
    lines = confirmation_lines(gather(con, "A003", default_period(con)), "zh")
    con.close()
    assert lines[0].endswith("提出意见，尚待处理：差旅费用没算进去") and lines[1] == "确认之后有变化：交付价值"
    assert sharing.changed_since(sharing.latest_for("A003", seen["period"]["start"], demo), seen["figures"]) == []


# ---------------------------------------------------------------- the CLI and the file

def test_the_cli_makes_lists_and_revokes_links(demo, secrets_file, capsys):
    from cli import main

    assert main(["share", "--account", "A004", "--lang", "zh", "--days", "7", "--json", "--db", demo]) == 0
    made = json.loads(capsys.readouterr().out)
    assert {"link_id", "path", "expires"} <= set(made) and made["path"].startswith("/?token=")
    assert sharing.resolve(made["path"].split("=", 1)[1], demo).account_id == "A004"
    assert main(["share", "--list", "--account", "A004", "--json", "--db", demo]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert {"link_id", "account_id", "created_by", "created_at", "expires", "views", "last_view", "revoked"} <= \
        set(listed)
    assert main(["share", "--revoke", made["link_id"], "--db", demo]) == 0
    assert main(["share", "--revoke", "nope", "--db", demo]) == 2
    assert "error: --revoke: no link 'nope'" in capsys.readouterr().err


def test_the_html_file_is_self_contained_and_inert(demo, tmp_path):
    from exports.share_page import html

    page = _page(demo, "A001", "zh")
    page["title"] = "<script>alert(1)</script> 的价值"
    document = html(page)
    assert "<script>alert(1)</script>" not in document and "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?https?:""", document)
    assert "plotly" in document.lower() and page["cards"][0]["value"] in document
    out = tmp_path / "page.html"
    from cli import main

    assert main(["export", "--format", "html", "--account", "A001", "--lang", "zh", "--out", str(out), "--db",
                 demo]) == 0
    assert "华东咨询有限公司" in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------- share.py in headless Chromium

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def share_server(demo, tmp_path_factory):
    """share.py served alone on a free port, with its own secrets file."""
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets.write_text(f'[share]\nsecret = "{SECRET}"\n', encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "VALUELENS_DB": demo, sharing.SECRETS_ENV: str(secrets)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "share.py"), "--server.headless",
                             "true", "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--client.toolbarMode", "minimal"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    yield url, secrets
    proc.terminate()
    proc.wait(timeout=20)


def _browse(url: str, paths: list[str], act=None) -> list[tuple[str, str]]:
    """(visible text, page source) of each path, in one headless Chromium."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium is not installed")
    from test_browser import settle

    out = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 2400})
        for path in paths:
            page.goto(url + path)
            settle(page)
            if act is not None:
                act(page)
            out.append((page.locator("body").inner_text(), page.content()))
        browser.close()
    return out


def test_a_link_shows_its_account_and_nothing_else_and_refused_links_show_nothing(share_server, demo, monkeypatch):
    url, secrets = share_server
    monkeypatch.setenv(sharing.SECRETS_ENV, str(secrets))
    link, token = _link(demo, account_id="A001")
    expired, expired_token = _link(demo, account_id="A001", days=1)
    revoked, revoked_token = _link(demo, account_id="A001")
    sharing.revoke(revoked.link_id, demo)
    with sharing._store(demo) as con:  # lapsed a second ago
        con.execute("UPDATE links SET expires = ? WHERE link_id = ?",
                    ((datetime.now() - timedelta(seconds=1)).isoformat(timespec="seconds"), expired.link_id))
    shown = _browse(url, [f"/?token={token}", f"/?token={token}&account=A002&account_id=A002",
                          f"/?token={token[:-3]}abc", f"/?token={expired_token}", f"/?token={revoked_token}",
                          "/?account=A002", "/"])
    con = connect(demo)
    from metrics.accounts import all_accounts

    names = {a.account_id: a.name for a in all_accounts(con)}
    con.close()
    for text, source in shown[:2]:  # the link's account, even with another account asked for by parameter
        assert names["A001"] in text and "The value" in text
        assert not [n for a, n in names.items() if a != "A001" and n in text]
        assert "Health" not in text and "Risk" not in text and "Customer value report" not in text
        assert SECRET not in source
    for text, source in shown[2:]:
        assert "This page is not available." in text and "此页面不可用。" in text
        assert not [n for n in names.values() if n in text]
        assert SECRET not in source
    assert sharing.links(demo, link_id=link.link_id)[0].views == 2


def test_passcode_guessing_is_slowed_and_then_locked(share_server, demo, monkeypatch):
    url, secrets = share_server
    monkeypatch.setenv(sharing.SECRETS_ENV, str(secrets))
    link, token = _link(demo, account_id="A005", passcode="tide-pool-42")
    tried = []

    def guess(page) -> None:
        for attempt in range(sharing.MAX_ATTEMPTS + 1):
            box = page.get_by_label("Passcode")
            if not box.count():
                break
            box.fill(f"guess-{attempt}")
            page.get_by_role("button", name="Open").click()
            page.wait_for_timeout(1500)  # share.WRONG_PASSCODE_DELAY, then the run
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                   timeout=60_000)
            tried.append(attempt)

    [(text, source)] = _browse(url, [f"/?token={token}"], guess)
    # MAX_ATTEMPTS wrong passcodes, counted in the store (a new session starts locked), then no box to guess in
    assert "Too many wrong passcodes" in text and "The value" not in text and "tide-pool-42" not in source
    assert len(tried) == sharing.MAX_ATTEMPTS
    assert sharing.locked(sharing.resolve(token, demo), demo)
    [(again, _)] = _browse(url, [f"/?token={token}"])
    assert "Too many wrong passcodes" in again and "Passcode" not in again


def test_the_customer_confirms_on_the_page_and_the_account_page_says_so(share_server, demo, monkeypatch):
    url, secrets = share_server
    monkeypatch.setenv(sharing.SECRETS_ENV, str(secrets))
    link, token = _link(demo, account_id="A006", lang="zh")

    def confirm(page) -> None:
        page.get_by_label("您的姓名").fill("张伟")
        page.get_by_label("您的职务").fill("运营副总裁")
        page.get_by_role("button", name="我确认这些数字").click()
        page.wait_for_timeout(1500)
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)

    [(text, _)] = _browse(url, [f"/?token={token}"], confirm)
    assert "谢谢：您的回复已与您看到的数字一起保存。" in text
    [kept] = sharing.confirmations("A006", demo)
    assert (kept.kind, kept.name, kept.role) == ("confirmed", "张伟", "运营副总裁")


def test_the_account_page_says_what_the_customer_confirmed_and_makes_links(demo, secrets_file, monkeypatch):
    from conftest import run_page

    link, token = _link(demo, account_id="A001")
    found = sharing.resolve(token, demo)
    sharing.confirm(found, sharing.page_of(found, demo), kind="confirmed", name="Li Na", role="COO", database=demo)
    at = run_page(demo, monkeypatch, "views/account_report.py")
    assert not at.exception
    today = datetime.now().date().isoformat()
    assert [s.value.replace("\\", "") for s in at.success] == [f"Confirmed by Li Na, COO on {today}"]
    panel = next(e for e in at.expander if e.label.startswith("Share with the customer"))
    panel.button[0].click().run()
    assert not at.exception
    made = sharing.links(demo, account_id="A001")
    assert len(made) >= 2 and made[0].created_by == "local"
    assert any("/?token=" in c.value for c in at.code)


def test_not_supported_for_now_says_why_in_the_readers_language(demo):
    """A requirement not supported for now shows the reason CS gave, in the page's or deck's language (kept as
    "中文 / English" like titles), on the customer's page and in the deck's 'what you asked for' table."""
    from pptx import Presentation

    from exports.batch import export_one

    con = connect(demo)
    account_id = con.execute("SELECT a.account_id FROM requests JOIN account AS a USING (account_key) "
                             "JOIN requirement_requests USING (request_id) JOIN requirements USING (requirement_id) "
                             "WHERE title = '深色模式 / Dark mode' ORDER BY request_id LIMIT 1").fetchall()[0][0]
    period = default_period(con)
    for lang, title, reason in (("en", "Dark mode", "Not on the roadmap this year; reviewed again in 2027"),
                                ("zh", "深色模式", "今年不在路线图中，2027 年重新评估")):
        asked = _page(demo, account_id, lang)["asked"]["rows"]
        assert [r[3] for r in asked if r[0] == title] == [reason]
        deck = Presentation(io.BytesIO(export_one(con, account_id, period, "pptx", lang)))
        rows = [[c.text for c in row.cells] for s in deck.slides for shape in s.shapes if shape.has_table
                for row in shape.table.rows]
        assert [r[3] for r in rows if r[0] == title] == [reason]
    con.close()
