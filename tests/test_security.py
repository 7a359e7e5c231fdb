"""Output safety and deployment hardening: customer text never becomes HTML, Markdown or a link on screen, and
the server config keeps XSRF on, error details hidden and the upload limit set."""
from __future__ import annotations

import json
import tomllib

import pandas as pd
from conftest import FIXTURES, ROOT, run_page
from streamlit.testing.v1 import AppTest

import charts
from metrics import ingest
from metrics.store import connect

HOSTILE_NAME = '<img src=x onerror=alert(1)> [click](javascript:alert(1)) **=HYPERLINK("http://x","y")**'
HOSTILE_FEATURE = '<a href="https://evil.example">Reports</a>'


def test_the_server_config_is_hardened_for_a_shared_deployment():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True  # cross-origin requests refused (the README promises it)
    assert config["server"]["runOnSave"] is False and config["client"]["toolbarMode"] == "viewer"
    assert config["server"]["maxUploadSize"] == ingest.MAX_UPLOAD_MB
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["runner"]["magicEnabled"] is False


def test_chart_labels_legends_and_heatmap_axes_show_customer_text_literally():
    frame = pd.DataFrame({"feature": [HOSTILE_FEATURE], "adoption_rate": [0.5], "peer_median": [0.4]})
    fig = charts.adoption_vs_peers(frame, title="t", own=HOSTILE_NAME, peers="peers")
    assert list(fig.data[0].x) == ['&lt;a href="https://evil.example"&gt;Reports&lt;/a&gt;']
    assert "<img" not in fig.data[0].name
    heat = charts.heatmap(pd.DataFrame([[0.5]], index=[HOSTILE_FEATURE], columns=["<b>Retail</b>"]), title="t")
    assert list(heat.data[0].y) == ['&lt;a href="https://evil.example"&gt;Reports&lt;/a&gt;']
    assert list(heat.data[0].x) == ["&lt;b&gt;Retail&lt;/b&gt;"]
    lines = charts.lines(pd.DataFrame({"month": [1], "rate": [0.1], "feature": [HOSTILE_FEATURE]}),
                         "month", "rate", "feature", title="t")
    assert "<a" not in lines.data[0].name


def test_a_hostile_account_and_feature_name_render_as_inert_text_on_the_account_report(tmp_path, monkeypatch):
    db = tmp_path / "hostile.duckdb"
    con = connect(db)
    accounts = pd.read_csv(FIXTURES / "accounts.csv", dtype=str)
    accounts.loc[accounts["account_id"] == "A2", "account_name"] = HOSTILE_NAME
    # five more Logistics accounts use "Reports" in April, so it is A2's underused feature against a peer median
    # the privacy policy lets through (5 or more other accounts), and the page recommends it
    peers = [f"Q{i}" for i in range(1, 6)]
    accounts = pd.concat([accounts, pd.DataFrame({"account_id": peers, "account_name": peers,
                                                  "industry": "Logistics"})])
    accounts.to_csv(tmp_path / "accounts.csv", index=False)
    for name in ("events.csv", "value_drivers.csv"):
        frame = pd.read_csv(FIXTURES / name, dtype=str)
        if name == "events.csv":
            frame = pd.concat([frame, pd.DataFrame({"account_id": peers, "user_id": "q", "feature": "Reports",
                                                    "event_time": "2025-04-03 09:00:00"})])
        frame["feature"] = frame["feature"].replace("Reports", HOSTILE_FEATURE)
        frame.to_csv(tmp_path / name, index=False)
    for name in ("accounts.csv", "value_drivers.csv", "events.csv"):
        ingest.import_file(con, tmp_path / name)
    ingest.import_file(con, FIXTURES / "outcomes.csv")
    con.close()
    monkeypatch.setenv("VALUELENS_DB", str(db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["account"] = "A2"
    at.run()
    assert not at.exception
    assert at.selectbox[0].value == "A2"
    markdown = [m for m in at.markdown] + [c for c in at.caption]
    assert all(not m.proto.allow_html for m in markdown)
    mentions = [m.value for m in markdown if "Reports" in m.value]
    assert mentions, "the hostile feature should be recommended on this page"
    # Markdown punctuation escaped, so the link and the tags are shown as typed, not rendered
    assert all(r'\<a href\="https\://evil\.example"\>Reports\</a\>' in m for m in mentions)
    for chart in at.get("plotly_chart"):
        spec = json.dumps(json.loads(chart.proto.spec))
        assert "<img" not in spec and "<a href" not in spec
    assert any("&lt;a href" in json.dumps(json.loads(c.proto.spec)) for c in at.get("plotly_chart"))


def test_the_import_page_shows_file_names_headers_and_errors_as_text_and_one_bad_file_spares_the_others(
        tmp_path, monkeypatch):
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    from test_bad_inputs import ACCOUNT_ROWS, BILLION_LAUGHS, _rewrite_part, _workbook

    from ui.text import plain

    hostile_name = "$x^2$ :red[boom] ![i](http://evil.example/a.png).csv"
    hostile_header = "**bold** $y$ :material/home:"
    bomb = _workbook(tmp_path / "bomb.xlsx", [("Accounts", ACCOUNT_ROWS, "visible")])
    _rewrite_part(bomb, "xl/sharedStrings.xml", BILLION_LAUGHS)
    at = run_page(tmp_path / "import.duckdb", monkeypatch, "views/data_import.py")
    at.file_uploader[0].set_value([
        (hostile_name, f"account_id,account_name,{hostile_header}\nZ1,Zed,1\n".encode(), "text/csv"),
        ("bomb.xlsx", bomb.read_bytes(), "application/octet-stream"),
        ("good.csv", (FIXTURES / "accounts.csv").read_bytes(), "text/csv")])
    at.run()
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert [plain(n) for n in (hostile_name, "bomb.xlsx", "good.csv")] == labels[:3]
    assert any(plain(hostile_header) in box.label for box in at.selectbox)
    assert not any(hostile_header in box.label for box in at.selectbox)  # never the raw, renderable text
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith(plain("bomb.xlsx: cannot"))
    buttons = [b.label for b in at.button]
    assert any(plain(hostile_name) in b for b in buttons) and any("good\\.csv" in b for b in buttons)
