"""One confidentiality policy (metrics.privacy) on every surface: no figure pooled over fewer than 5 other accounts
leaves a metric function, quartiles need 10, a median over 5-9 is rounded, and the trend adjustment needs 5
comparison accounts. The account page, the benchmark, the exports and the CLI all show what the policy lets through.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from i18n import STRINGS
from metrics import adoption, efficiency, ingest, privacy, report
from metrics.benchmarks import benchmark
from metrics.period import Period
from metrics.store import connect

PERIOD = Period(date(2025, 7, 1), date(2025, 10, 1))
USERS = 20


def build(folder: Path, peers: int, comparison: int) -> Path:
    """A database with account X (Retail, live 2025-04-01) and `peers` other Retail accounts active in the period,
    peer i having i + 1 of 20 users on feature F (so every peer's rate is distinct and known), plus `comparison`
    never-live Manufacturing accounts with outcomes only (the trend adjustment's comparison group)."""
    accounts = ["account_id,account_name,industry,region,segment,seats,go_live_date,hourly_cost,currency"]
    accounts.append("X,Own Co,Retail,EMEA,SMB,20,2025-04-01,50,USD")
    accounts += [f"P{i},Peer {i},Retail,EMEA,SMB,20,2025-02-01,50,USD" for i in range(peers)]
    accounts += [f"C{i},Comparison {i},Manufacturing,EMEA,SMB,20,,50,USD" for i in range(comparison)]
    events = ["account_id,user_id,event_time,feature,duration_seconds,units"]
    for account, adopters in [("X", 2)] + [(f"P{i}", i + 1) for i in range(peers)]:
        for u in range(USERS):
            events.append(f"{account},u{u},2025-08-0{1 + u % 9} 09:00:00,{'F' if u < adopters else 'G'},60,1")
    outcomes = ["account_id,month,output_units,headcount"]
    for account, growth in [("X", 0.02)] + [(f"C{i}", 0.01 * (i + 1)) for i in range(comparison)]:
        outcomes += [f"{account},2025-{m:02d},{1000 * (1 + growth) ** m:.2f},10" for m in range(1, 10)]
    files = {"accounts.csv": accounts, "value_drivers.csv": ["feature,minutes_saved", "F,10", "G,5"],
             "events.csv": events, "outcomes.csv": outcomes}
    db = folder / "privacy.duckdb"
    con = connect(db)
    for name, lines in files.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        ingest.import_file(con, folder / name)
    con.close()
    return db


@pytest.fixture
def tiny(tmp_path):
    """One Retail peer and two comparison accounts: every pooled figure would be one or two customers' own."""
    return build(tmp_path, peers=1, comparison=2)


def test_the_policy_withholds_under_5_rounds_the_median_under_10_and_gives_quartiles_from_10():
    assert privacy.peer_stat([0.1, 0.2, 0.3, 0.4]) == privacy.PeerStat(4, None, reason="too_few")
    assert privacy.peer_stat([0.11, 0.23, 0.33, 0.41, 0.52]) == privacy.PeerStat(5, 0.35, rounded=True)
    assert privacy.peer_stat([0.1, 0.2, 0.3, 0.4, 0.5, float("nan")]).others == 5
    ten = [i / 10 + 0.01 for i in range(10)]
    assert privacy.peer_stat(ten) == privacy.PeerStat(10, 0.46, pytest.approx(0.235), pytest.approx(0.685))
    assert privacy.rounded(1234.0, "number") == 1200 and privacy.rounded(0.0749) == 0.05
    assert privacy.dominated([30, 10, 10, 10, 10]) and not privacy.dominated([20, 20, 20, 20, 20])


def test_a_peer_median_over_one_peer_is_withheld_not_that_customers_rate(tiny):
    con = connect(tiny)
    peers = adoption.adoption_vs_peers(con, account_id="X", start=PERIOD.start, end=PERIOD.end)
    assert peers["peers"].tolist() == [1, 1]
    assert peers["peer_median"].isna().all()  # it was 1/20 = 0.05 for F: peer P0's own rate
    assert report.account_report(con, account_id="X", period=PERIOD).adoption.underused_features == ()


def test_a_peer_median_over_6_peers_is_rounded_and_over_10_it_is_exact(tmp_path):
    (tmp_path / "six").mkdir()
    con = connect(build(tmp_path / "six", peers=6, comparison=0))
    peers = adoption.adoption_vs_peers(con, account_id="X", start=PERIOD.start, end=PERIOD.end).set_index("feature")
    # peers have 1..6 of 20 users on F: median 3.5 / 20 = 0.175, shown as 0.15 or 0.2 (5-point steps)
    assert peers.loc["F", "peer_median"] == pytest.approx(0.2) and peers["peer_rounded"].all()
    (tmp_path / "twelve").mkdir()
    con = connect(build(tmp_path / "twelve", peers=12, comparison=0))
    peers = adoption.adoption_vs_peers(con, account_id="X", start=PERIOD.start, end=PERIOD.end).set_index("feature")
    assert peers.loc["F", "peer_median"] == pytest.approx(6.5 / 20) and not peers["peer_rounded"].any()


def test_the_trend_adjustment_over_two_comparison_accounts_is_withheld_with_the_reason(tiny):
    con = connect(tiny)
    eff = efficiency.efficiency(con, account_id="X", start=PERIOD.start, end=PERIOD.end)
    assert eff.delta is not None
    assert (eff.adjusted_delta, eff.comparison_accounts, eff.comparison_delta) == (None, 0, None)
    assert eff.adjusted_reason == efficiency.NO_COMPARISON


def test_the_trend_adjustment_over_five_comparison_accounts_is_shown(tmp_path):
    con = connect(build(tmp_path, peers=1, comparison=5))
    eff = efficiency.efficiency(con, account_id="X", start=PERIOD.start, end=PERIOD.end)
    assert eff.comparison_accounts == 5 and eff.adjusted_delta is not None and eff.adjusted_reason is None
    # comparison account i grows by (i + 1) % a month: the month effects (log) between Jan-Mar (before April's
    # go-live) and Jul-Sep are 6 months of their mean log growth; X's own Jan-Mar months inform the baseline's too
    growth = np.expm1(6 * np.mean([np.log(1 + 0.01 * (i + 1)) for i in range(5)]))
    assert eff.comparison_delta == pytest.approx(growth, rel=0.05)
    # X grows 2 % a month (its outcomes written to the cent): net of the trend, in logs
    assert eff.adjusted_delta == pytest.approx(np.expm1(6 * np.log(1.02) - np.log1p(eff.comparison_delta)), rel=1e-5)
    assert eff.adjusted_ci_low <= eff.adjusted_delta <= eff.adjusted_ci_high


def test_benchmark_quartiles_over_5_to_9_peers_are_withheld_and_the_median_rounded(tmp_path):
    con = connect(build(tmp_path, peers=6, comparison=0))
    figure = benchmark(con, account_id="X", start=PERIOD.start, end=PERIOD.end, cohort="industry").figure(
        "key_feature_adoption")
    assert figure.peers == 6 and figure.cohort == "industry"
    assert (figure.p25, figure.p75) == (None, None)
    # key adoption = mean over F and G of the rate: (f + (20 - f)) / 2 / 20 = 0.5 for every peer
    assert figure.median == 0.5


def test_the_account_page_withholds_a_one_peer_median_and_says_why(tiny, monkeypatch):
    monkeypatch.setenv("VALUELENS_DB", str(tiny))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.query_params["account"] = "X"
    at.query_params["start"] = "2025-07"
    at.query_params["end"] = "2025-10"
    at.run()
    assert not at.exception
    shown = [c.value for c in at.caption]
    assert STRINGS["en"]["peers_withheld"].format(min=5) in shown
    chart = next(c for c in at.get("plotly_chart") if '"Peer median"' in c.proto.spec)
    spec = json.loads(chart.proto.spec)
    assert [trace.get("y") for trace in spec["data"] if trace.get("name") == "Peer median"][0] in (
        [None, None], {"dtype": "f8", "bdata": "AAAAAAAA+H8AAAAAAAD4fw=="})  # NaN, NaN
    metric = {m.label: m.value for m in at.metric}
    # the trend adjustment over two comparison accounts is withheld: no such tile, and the caption says why
    assert STRINGS["en"]["kpi_adjusted_delta"] not in metric
    assert any(STRINGS["en"]["adjusted_too_few"] in c for c in shown)


def test_the_excel_report_and_the_cli_withhold_what_the_page_withholds(tiny):
    from exports.data import gather

    con = connect(tiny)
    data = gather(con, "X", PERIOD)
    assert (data.peers_shown, data.peers) == (False, 0)
    assert data.features["peer_median"].isna().all()
    assert data.report.efficiency.comparison_delta is None
    con.close()
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", "--account", "X", "--start", "2025-07",
                          "--end", "2025-10", "--json", "--db", str(tiny)], capture_output=True, text=True, check=True)
    rep = json.loads(out.stdout)
    assert rep["efficiency"]["adjusted_delta"] is None and rep["efficiency"]["comparison_delta"] is None
    assert rep["efficiency"]["adjusted_reason"] == efficiency.NO_COMPARISON
    assert rep["adoption"]["underused_features"] == []


def test_a_figure_given_another_accounts_record_refuses_it(tmp_path):
    # an export hands each metric the account's record it already holds; a record of another account must never
    # put that account's figures under this one's id
    con = connect(build(tmp_path, peers=5, comparison=0))
    own, other = (report.period_inputs(con, PERIOD).series.account(a) for a in ("X", "P0"))
    assert adoption.mau(con, account_id="X", start=PERIOD.start, end=PERIOD.end, account=own).equals(
        adoption.mau(con, account_id="X", start=PERIOD.start, end=PERIOD.end))
    for figure in (lambda a: adoption.mau(con, account_id="X", start=PERIOD.start, end=PERIOD.end, account=a),
                   lambda a: adoption.time_to_first_use(con, account_id="X", account=a),
                   lambda a: efficiency.output_per_person(con, account_id="X", account=a),
                   lambda a: adoption.adoption_vs_peers(con, account_id="X", start=PERIOD.start, end=PERIOD.end,
                                                        account=a),
                   lambda a: benchmark(con, account_id="X", start=PERIOD.start, end=PERIOD.end, account=a)):
        figure(own)
        with pytest.raises(ValueError, match="P0"):
            figure(other)
