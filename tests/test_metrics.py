"""Metrics on tiny hand-checkable fixtures (tests/fixtures/metrics), plus planted-uplift recovery on generated data.

The fixture's figures, worked out by hand for the period May-Jul 2025 (P):
M1 (Logistics, 4 seats, live 2025-04-10, 100 USD/h, ACV 12000): active users May {u1,u2}, Jun {u1,u3}, Jul {u2};
Dispatch (6 min/use) by u1, u3: 4 events in P; Scan (3 min/unit) by u2: units 10 + 20 + empty; Chat (no driver) by u1.
Rows in April and August are outside P. M2 (Logistics, CNY, no outcomes) has a pilot before its June go-live.
M3 (Retail) never went live; M4's baseline output is zero; M5 (Logistics) goes live after P: the comparison group.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import FrozenInstanceError
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES, ROOT

from metrics import adoption, cost, efficiency, ingest, portfolio, report, value_model  # noqa: F401  (registers all)
from metrics.accounts import all_accounts
from metrics.period import Period, add_months, default_period, parse_month, resolve_period
from metrics.registry import METRICS
from metrics.store import DataError, connect, sql, sql_with

P = {"start": date(2025, 5, 1), "end": date(2025, 8, 1)}
EMPTY = {"start": date(2023, 1, 1), "end": date(2023, 4, 1)}


@pytest.fixture
def mcon(con):
    """The metrics fixture database."""
    for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
        result = ingest.import_file(con, FIXTURES / "metrics" / name)
        assert result.rows_rejected == 0, result.rejects
    return con


def _rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(None if (isinstance(v, float) and np.isnan(v)) else v for v in row)
            for row in frame.itertuples(index=False)]


def test_mau_counts_distinct_active_users_per_month_of_the_period_only(mcon):
    assert _rows(adoption.mau(mcon, account_id="M1", **P)) == [
        (date(2025, 5, 1), 2), (date(2025, 6, 1), 2), (date(2025, 7, 1), 1)]


def test_feature_adoption_divides_distinct_feature_users_by_distinct_active_users(mcon):
    frame = adoption.feature_adoption(mcon, account_id="M1", **P)
    assert _rows(frame) == [
        ("Dispatch", 2, pytest.approx(2 / 3), 4, 2.0, True),
        ("Chat", 1, pytest.approx(1 / 3), 1, 1.0, False),
        ("Scan", 1, pytest.approx(1 / 3), 3, 3.0, True),
    ]
    assert adoption.depth(mcon, account_id="M1", **P) == {"Dispatch": 2.0, "Chat": 1.0, "Scan": 3.0}
    assert adoption.key_feature_adoption(frame) == pytest.approx(0.5)


def test_breadth_seat_utilization_and_stickiness(mcon):
    assert adoption.breadth(mcon, account_id="M1", **P) == pytest.approx(4 / 3)
    assert adoption.seat_utilization(mcon, account_id="M1", **P) == pytest.approx(5 / 12)
    assert adoption.stickiness(mcon, account_id="M1", **P) == pytest.approx((1 / 31 + 1 / 20 + 2 / 31) / 3)
    assert adoption.seat_utilization(mcon, account_id="M3", **P) is None  # no seat count


def test_time_to_first_use_counts_days_from_go_live(mcon):
    frame = adoption.time_to_first_use(mcon, account_id="M1")
    assert list(zip(frame["feature"], frame["days_from_go_live"])) == [("Dispatch", 10), ("Scan", 26), ("Chat", 54)]
    assert adoption.time_to_first_use(mcon, account_id="M3").empty


def test_underused_features_are_withheld_when_fewer_than_five_other_accounts_are_active(mcon):
    # peers with activity in P: only M2, so its adoption rates would be the "peer median" (metrics.privacy);
    # the ranking itself is checked with five industry peers below
    frame = adoption.underused_features(mcon, account_id="M1", **P)
    assert frame.empty and list(frame.columns) == ["feature", "adoption_rate", "peer_median", "peer_group", "peers",
                                                   "non_adopters", "hours_per_adopter", "hours_left", "value_left"]
    assert adoption.underused_features(mcon, account_id="M3", **P).empty  # no activity in P


def test_underused_features_use_the_industry_median_when_five_industry_peers_exist(con, tmp_path):
    accounts = ["account_id,account_name,industry,hourly_cost"] + [f"R{i},R{i},Retail,10" for i in range(6)] + \
        ["L1,L1,Logistics,10"]
    (tmp_path / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    (tmp_path / "drivers.csv").write_text("feature,minutes_saved\nDispatch,60\n", encoding="utf-8")
    events = ["account_id,user_id,event_time,feature"]
    # R0 (the account under review): 1 of 4 users dispatch. R1..R5: 2 of 4 do. L1: 4 of 4 do.
    for account, dispatchers in [("R0", 1), ("R1", 2), ("R2", 2), ("R3", 2), ("R4", 2), ("R5", 2), ("L1", 4)]:
        for user in range(4):
            feature = "Dispatch" if user < dispatchers else "Other"
            events.append(f"{account},u{user},2025-05-0{user + 1} 09:00,{feature}")
    (tmp_path / "events.csv").write_text("\n".join(events) + "\n", encoding="utf-8")
    for name in ("accounts.csv", "drivers.csv", "events.csv"):
        ingest.import_file(con, tmp_path / name)
    frame = adoption.underused_features(con, account_id="R0", **P)
    # hours per adopter: every dispatcher made one 60-minute event -> 1.0 h; R0 has 3 non-adopters
    assert _rows(frame) == [("Dispatch", 0.25, 0.5, "industry", 5, 3, 1.0, 3.0, 30.0)]


def test_efficiency_compares_the_period_with_the_three_months_before_go_live(mcon):
    result = efficiency.efficiency(mcon, account_id="M1", **P)
    assert (result.basis, result.baseline, result.current) == (efficiency.OUTCOMES_BASIS, 11.0, 14.0)
    assert result.delta == pytest.approx(14 / 11 - 1)
    assert result.baseline_months == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    assert result.current_months == [date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1)]
    # every bootstrap draw lies between the extreme window means: 13/12 - 1 and 15/10 - 1
    assert 13 / 12 - 1 <= result.ci_low <= result.delta <= result.ci_high <= 15 / 10 - 1
    assert result.method == efficiency.BOOTSTRAP_METHOD
    # comparison: only M5 (Logistics, live only after P) qualifies; its change alone would be one customer's own
    # figure, so the adjustment is withheld (tests/test_privacy.py checks it over five comparison accounts)
    assert (result.comparison_accounts, result.comparison_delta, result.adjusted_delta) == (0, None, None)
    assert (result.adjusted_ci_low, result.adjusted_ci_high) == (None, None)
    assert result.adjusted_reason == efficiency.NO_COMPARISON
    assert result.reason is None


def test_efficiency_without_outcomes_is_usage_based(mcon):
    result = efficiency.efficiency(mcon, account_id="M2", **P)
    # baseline Mar-May: units per active user 10 (Apr), 20 (May); current Jul: 45 units / 2 users
    assert (result.basis, result.baseline, result.current, result.delta) == (efficiency.USAGE_BASIS, 15.0, 22.5, 0.5)
    assert (result.adjusted_delta, result.comparison_accounts) == (None, 0)


@pytest.mark.parametrize("account_id, period, reason", [
    ("M3", P, "no go-live date"),
    ("M4", P, "zero baseline"),
    ("M1", {"start": date(2025, 2, 1), "end": date(2025, 5, 1)},
     "the period has no full month after the go-live month"),
    ("M5", {"start": date(2025, 10, 1), "end": date(2025, 12, 1)}, "no data in the period's months after go-live"),
])
def test_efficiency_is_none_with_a_reason_when_data_is_too_thin(mcon, account_id, period, reason):
    result = efficiency.efficiency(mcon, account_id=account_id, **period)
    assert (result.delta, result.ci_low, result.adjusted_delta, result.reason) == (None, None, None, reason)


def test_hours_value_fte_roi_and_payback(mcon):
    result = cost.cost(mcon, account_id="M1", **P)
    assert _rows(result.by_feature) == [
        ("Scan", 3, 30.0, 3.0, "unit", pytest.approx(1.5), pytest.approx(150.0)),
        ("Dispatch", 4, 0.0, 6.0, "use", pytest.approx(0.4), pytest.approx(40.0)),
    ]
    assert (result.hours_saved, result.value, result.currency) == (pytest.approx(1.9), pytest.approx(190.0), "USD")
    assert result.fte_equivalent == pytest.approx(1.9 / 500)
    assert result.roi == pytest.approx((190 * 4 - 12000) / 12000)
    assert result.payback_months == pytest.approx(12000 / (190 / 3))
    assert cost.cost(mcon, account_id="M1", hours_per_year=1000, **P).fte_equivalent == pytest.approx(1.9 / 250)


def test_money_figures_are_none_with_a_reason_when_inputs_are_missing(mcon):
    m2 = cost.cost(mcon, account_id="M2", **P)  # CNY, no contract value
    assert (m2.hours_saved, m2.value, m2.roi, m2.payback_months) == (pytest.approx(3.45), pytest.approx(172.5), None,
                                                                     None)
    m3 = cost.cost(mcon, account_id="M3", **P)
    assert (m3.hours_saved, m3.value, m3.roi, m3.reason) == (0.0, None, None,
                                                             "no hourly cost for the account; no annual contract value")


def test_portfolio_totals_sum_per_currency_and_never_across_currencies(mcon):
    table = portfolio.portfolio_table(mcon, **P)
    assert _rows(portfolio.summarize(table).drop(columns="key_feature_adoption")) == [
        ("(none)", 1, 0.0, None, 0.0),
        ("CNY", 1, pytest.approx(3.45), pytest.approx(172.5), pytest.approx(3.45 / 500)),
        ("USD", 3, pytest.approx(1.9), pytest.approx(190.0), pytest.approx(1.9 / 500)),
    ]


def test_every_metric_is_empty_or_none_for_a_period_without_data(mcon):
    assert _rows(adoption.mau(mcon, account_id="M1", **EMPTY)) == [
        (date(2023, 1, 1), 0), (date(2023, 2, 1), 0), (date(2023, 3, 1), 0)]
    features = adoption.feature_adoption(mcon, account_id="M1", **EMPTY)
    assert _rows(features) == [("Dispatch", 0, None, 0, None, True), ("Scan", 0, None, 0, None, True)]
    assert adoption.breadth(mcon, account_id="M1", **EMPTY) is None
    assert adoption.seat_utilization(mcon, account_id="M1", **EMPTY) == 0.0
    assert adoption.stickiness(mcon, account_id="M1", **EMPTY) is None
    assert adoption.underused_features(mcon, account_id="M1", **EMPTY).empty
    assert efficiency.efficiency(mcon, account_id="M1", **EMPTY).reason == \
        "the period has no full month after the go-live month"
    money = cost.cost(mcon, account_id="M1", **EMPTY)
    assert (money.hours_saved, money.value, money.payback_months) == (0.0, 0.0, None)


def test_an_unknown_account_is_a_data_error(mcon):
    with pytest.raises(DataError, match="unknown account 'ZZ'"):
        adoption.mau(mcon, account_id="ZZ", **P)


def test_the_default_period_is_the_last_three_full_months_of_data(mcon):
    assert default_period(mcon, today=date(2026, 11, 22)) == Period(date(2025, 6, 1), date(2025, 9, 1))
    assert default_period(mcon, today=date(2025, 8, 15)) == Period(date(2025, 5, 1), date(2025, 8, 1))
    assert resolve_period(mcon, "2025-05", "2025-08") == Period(**P)
    with pytest.raises(DataError, match="must end after it starts"):
        resolve_period(mcon, "2025-08", "2025-05")


def test_a_period_from_one_bound_spans_three_months_and_a_month_has_two_spellings(mcon):
    today = date(2025, 8, 15)
    assert resolve_period(mcon, "2025-02", None, today=today) == Period(date(2025, 2, 1), date(2025, 5, 1))
    assert resolve_period(mcon, None, "2025-07", today=today) == Period(date(2025, 4, 1), date(2025, 7, 1))
    assert resolve_period(mcon, today=today) == Period(date(2025, 5, 1), date(2025, 8, 1))
    assert resolve_period(mcon, date(2025, 3, 9), "2025/06", today=today) == Period(date(2025, 3, 1),
                                                                                     date(2025, 6, 1))
    assert [parse_month(t) for t in ("2025/3", " 2025-03-17 ", date(2025, 3, 17))] == [date(2025, 3, 1)] * 3
    with pytest.raises(DataError, match="'March' is not a month \\(use YYYY-MM\\)"):
        parse_month("March")
    with pytest.raises(DataError, match="must end after it starts \\(2025-08 to 2025-08\\)"):
        resolve_period(mcon, "2025-08", "2025-08")
    assert Period(**P).file_part() == "2025-05_2025-07"  # both months: two periods' files never collide
    assert Period(**P).label() == "2025-05 – 2025-07" and Period(**P).months == [
        date(2025, 5, 1), date(2025, 6, 1), date(2025, 7, 1)]
    assert add_months(date(2025, 11, 1), 3) == date(2026, 2, 1)
    assert add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)


def test_the_report_json_carries_the_metric_functions_figures(mcon, capsys):
    from cli import main

    assert main(["report", "--account", "M1", "--start", "2025-05", "--end", "2025-08", "--json", "--db",
                 ":memory:"]) == 2
    data = report.account_report(mcon, account_id="M1", period=Period(**P))
    assert data.period == report.ReportPeriod(date(2025, 5, 1), date(2025, 8, 1))
    assert data.adoption.mau == (report.MonthlyActiveUsers(date(2025, 5, 1), 2),
                                 report.MonthlyActiveUsers(date(2025, 6, 1), 2),
                                 report.MonthlyActiveUsers(date(2025, 7, 1), 1))
    assert data.efficiency.delta == pytest.approx(14 / 11 - 1)
    assert (data.efficiency.comparison_accounts, data.efficiency.adjusted_delta) == (0, None)
    assert data.efficiency.adjusted_reason == efficiency.NO_COMPARISON
    assert (data.cost.value, data.cost.currency) == (190.0, "USD")
    assert data.cost.by_feature[0].value == 150.0
    assert data.adoption.underused_features == ()  # one active peer: withheld
    with pytest.raises(FrozenInstanceError):
        data.cost.value = 0  # type: ignore[misc]
    printed = json.dumps(data.to_json())  # plain JSON, no NaN or numpy types
    assert "NaN" not in printed and '"month": "2025-05-01"' in printed


def test_the_cli_prints_the_whole_golden_report_as_json_and_rejects_an_unknown_account(tmp_path, capsys):
    """End to end: import the fixture files and print M1's report as the CLI does. The whole JSON is pinned
    (tests/fixtures/metrics/report_M1.json); its key figures are also checked against hand arithmetic."""
    from cli import main

    db = str(tmp_path / "m.duckdb")
    assert main(["import", *[str(FIXTURES / "metrics" / n) for n in
                             ("events.csv", "outcomes.csv", "accounts.csv", "value_drivers.csv")], "--db", db]) == 0
    capsys.readouterr()
    assert main(["report", "--account", "M1", "--start", "2025-05", "--end", "2025-08", "--json", "--db", db]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((FIXTURES / "metrics" / "report_M1.json").read_text(encoding="utf-8"))
    # by hand: output per person 11 before go-live, 14 after; hours saved 1.9 at USD 100 an hour
    assert printed["account_name"] == "Alpha"
    assert printed["efficiency"]["delta"] == pytest.approx(14 / 11 - 1)
    assert (printed["cost"]["hours_saved"], printed["cost"]["value"]) == (pytest.approx(1.9), 190.0)
    assert [f["feature"] for f in printed["adoption"]["features"]] == ["Dispatch", "Chat", "Scan"]
    # 1, 2, 2, 1 of 4 seats active from the go-live month (April) on, never sticky: activated since April
    assert printed["lifecycle"] == {"stage": "activated", "since": "2025-04-01", "months_in_stage": 4,
                                    "days_to_activation": 0,  # of the 24 months to 2025-07: 20 before go-live
                                    "months_by_stage": {"onboarding": 20, "activated": 4}}
    # health by hand: adoption 0.5 (Dispatch 2 of 3 users, Scan 1 of 3), efficiency (3/11 + 0.1) / 0.4, seats
    # (5/3 users a month of 4) / 0.8, usage 5 users-months against 1 before (capped at 1); no renewal date
    # (weights 0.30, 0.10, 0.20, 0.20 of those measured: 0.8; no objectives, no renewal date)
    parts = {"adoption": 0.30 * 0.5, "efficiency": 0.10 * (3 / 11 + 0.1) / 0.4, "seats": 0.20 * (5 / 3 / 4) / 0.8,
             "usage_trend": 0.20 * 1.0}
    assert printed["health"]["score"] == pytest.approx(100 * sum(parts.values()) / 0.8)
    assert {c["name"]: c["contribution"] for c in printed["health"]["components"]} == {
        **{k: pytest.approx(100 * v / 0.8) for k, v in parts.items()}, "renewal": None, "value_delivered": None,
        "concentration": None}
    assert printed["projection"] is None  # no business case in the fixture's accounts file
    assert (printed["objectives"], printed["value_delivered"]) == ([], None)
    assert main(["report", "--account", "nope", "--db", db]) == 2
    assert "unknown account 'nope'" in capsys.readouterr().err
    # the text report is for people: labels, money with its currency, percentages, inclusive months
    assert main(["report", "--account", "M1", "--start", "2025-05", "--end", "2025-08", "--db", db]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0] == "Alpha (M1), 2025-05 – 2025-07"
    shown = {line[:36].strip(): line[36:].strip() for line in text[1:]}
    cost, eff = printed["cost"], printed["efficiency"]
    assert shown["Value delivered"] == f"{cost['currency']} 190.00"
    assert shown["Hours saved"] == "1.9 h"
    assert shown["Per-person efficiency change"] == f"+{(14 / 11 - 1) * 100:.1f}%" == "+27.3%"
    assert shown["ROI"] == f"{cost['roi'] * 100:.1f}%" and shown["FTE equivalent"] == f"{cost['fte_equivalent']:.2f}"
    assert main(["report", "--account", "M1", "--start", "2025-05", "--end", "2025-08", "--lang", "zh",
                 "--db", db]) == 0
    zh = capsys.readouterr().out
    assert "交付价值" in zh and "人效提升" in zh and "+27.3%" in zh and "1.9 小时" in zh
    assert eff["delta"] is not None


def _planted(tmp_path, trend: float, uplift: float, treated: int = 40,
             controls: int = 10) -> list[efficiency.Efficiency]:
    """Outcomes of `treated` accounts going live in Jan 2025 with a planted uplift, and never-live controls, all
    sharing a market trend per month and 1 % monthly noise; the treated accounts' efficiency for Apr-Sep 2025."""
    rng = np.random.default_rng(7)
    months = pd.period_range("2024-01", "2025-12", freq="M")
    names = [f"T{i}" for i in range(treated)] + [f"C{i}" for i in range(controls)]
    accounts = ["account_id,account_name,industry,go_live_date"] + [
        f"{a},{a},Logistics,{'2025-01-15' if a[0] == 'T' else ''}" for a in names]
    outcomes = ["account_id,month,output_units,headcount"]
    for account in names:
        base = rng.uniform(50, 150)
        for t, month in enumerate(months):
            lift = 1 + uplift if account[0] == "T" and month > pd.Period("2025-01", "M") else 1
            per_person = base * (1 + trend) ** t * lift * rng.normal(1, 0.01)
            outcomes.append(f"{account},{month},{per_person * 20:.4f},20")
    (tmp_path / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    (tmp_path / "outcomes.csv").write_text("\n".join(outcomes) + "\n", encoding="utf-8")
    con = connect(":memory:")
    ingest.import_file(con, tmp_path / "accounts.csv")
    ingest.import_file(con, tmp_path / "outcomes.csv")
    return [efficiency.efficiency(con, account_id=f"T{i}", start=date(2025, 4, 1), end=date(2025, 10, 1))
            for i in range(treated)]


def _coverage(results: list[efficiency.Efficiency], truth: float, adjusted: bool = False) -> float:
    bounds = [(r.adjusted_ci_low, r.adjusted_ci_high) if adjusted else (r.ci_low, r.ci_high) for r in results]
    return float(np.mean([low <= truth <= high for low, high in bounds]))


@pytest.mark.parametrize("uplift", [0.0, 0.2])
def test_a_planted_uplift_is_recovered_within_its_interval_without_a_market_trend(tmp_path, uplift):
    results = _planted(tmp_path, trend=0.0, uplift=uplift)
    assert np.mean([r.delta for r in results]) == pytest.approx(uplift, abs=0.005)
    assert np.mean([r.adjusted_delta for r in results]) == pytest.approx(uplift, abs=0.005)
    # a 90 % interval from 3 + 6 months: at least 80 % of the 40 accounts' intervals hold the planted uplift
    assert _coverage(results, uplift) >= 0.8
    assert _coverage(results, uplift, adjusted=True) >= 0.8
    # the trend is informed by the 10 never-live accounts and the other 39 treated accounts' months before go-live
    assert {r.comparison_accounts for r in results} == {49}


def test_the_adjusted_delta_removes_a_market_wide_trend_that_the_raw_delta_keeps(tmp_path):
    results = _planted(tmp_path, trend=0.01, uplift=0.2)
    # baseline Oct-Dec 2024 and current Apr-Sep 2025 lie 7.5 months apart on average: the trend adds ~8 %
    assert np.mean([r.delta for r in results]) == pytest.approx(1.2 * 1.01 ** 7.5 - 1, abs=0.005)
    assert _coverage(results, 0.2) <= 0.05
    assert np.mean([r.adjusted_delta for r in results]) == pytest.approx(0.2, abs=0.005)
    assert _coverage(results, 0.2, adjusted=True) >= 0.8


def _staggered(folder: Path, seed: int) -> duckdb.DuckDBPyConnection:
    """Four cohorts of 10 accounts going live in Jan, Apr, Jul and Oct 2025, 3 never live, a 1 % market trend a
    month, a planted 20 % uplift after go-live and 1 % monthly noise."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2024-01", "2025-12", freq="M")
    cohorts = {f"T{c}{i}": f"2025-{m:02d}-15" for c, m in enumerate((1, 4, 7, 10)) for i in range(10)}
    names = [*cohorts, "N0", "N1", "N2"]
    accounts = ["account_id,account_name,industry,go_live_date"] + [
        f"{a},{a},Logistics,{cohorts.get(a, '')}" for a in names]
    outcomes = ["account_id,month,output_units,headcount"]
    for account in names:
        base, live = rng.uniform(50, 150), pd.Period(cohorts[account], "M") if account in cohorts else None
        for t, month in enumerate(months):
            lift = 1.2 if live is not None and month > live else 1
            outcomes.append(f"{account},{month},{base * 1.01 ** t * lift * rng.normal(1, 0.01) * 20:.4f},20")
    (folder / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    (folder / "outcomes.csv").write_text("\n".join(outcomes) + "\n", encoding="utf-8")
    con = connect(":memory:")
    ingest.import_file(con, folder / "accounts.csv")
    ingest.import_file(con, folder / "outcomes.csv")
    return con


def test_staggered_go_lives_recover_a_planted_uplift_net_of_the_trend_where_few_accounts_are_never_live(tmp_path):
    """In Oct-Dec 2025 only the 3 never-live accounts are not yet live in both windows of the January cohort (the
    comparison of accounts not live in either window withheld it), yet every account-month not yet live informs
    the trend: over 5 independent draws of the data, the January cohort's adjusted change recovers the planted 20 %
    and its 90 % intervals hold it (the 10 accounts of a draw share one trend estimate: coverage over draws)."""
    adjusted, covered, raw = [], [], []
    for seed in range(5):
        con = _staggered(tmp_path, seed)
        series = efficiency.SeriesIndex(efficiency.monthly(con), all_accounts(con))
        results = [efficiency.efficiency(con, account_id=f"T0{i}", start=date(2025, 10, 1), end=date(2026, 1, 1),
                                         series=series) for i in range(10)]
        assert {r.comparison_accounts for r in results} == {42}  # the 39 others' months before go-live, 3 never live
        assert all(r.comparison_delta == pytest.approx(1.01 ** 12 - 1, abs=0.02) for r in results)
        adjusted += [r.adjusted_delta for r in results]
        raw += [r.delta for r in results]
        covered.append(_coverage(results, 0.2, adjusted=True))
    assert np.mean(raw) == pytest.approx(1.2 * 1.01 ** 12 - 1, abs=0.01)  # the raw change keeps 12 months of trend
    assert np.mean(adjusted) == pytest.approx(0.2, abs=0.005)
    assert np.mean(covered) >= 0.8
    # the interval widens as fewer accounts inform the trend: the same account against 6 of them
    few = [a for a in all_accounts(con) if a.account_id in {"T00", "N0", "N1", "N2", "T10", "T20", "T30"}]
    narrow = efficiency.efficiency(con, account_id="T00", start=date(2025, 10, 1), end=date(2026, 1, 1),
                                   series=series)
    thin = efficiency.efficiency(con, account_id="T00", start=date(2025, 10, 1), end=date(2026, 1, 1),
                                 series=efficiency.SeriesIndex(efficiency.monthly(con), few))
    assert thin.comparison_accounts == 6
    assert thin.adjusted_ci_high - thin.adjusted_ci_low > narrow.adjusted_ci_high - narrow.adjusted_ci_low


def test_metrics_md_is_what_the_registry_generates_and_documents_every_metric():
    """METRICS.md's metric blocks are generated (`python -m metrics.registry`): a changed description, formula or
    function in the code with a stale METRICS.md fails here."""
    from metrics import registry

    text = (ROOT / "METRICS.md").read_text(encoding="utf-8")
    assert registry.metrics_md(text) == text, "METRICS.md is stale: run python -m metrics.registry"
    sections = dict(re.findall(r"^### `([a-z_]+)`\n(.*?)(?=^### |^## |\Z)", text, flags=re.M | re.S))
    assert len(METRICS) >= 27 and set(METRICS) == set(sections) and "Not yet placed" not in text
    for name, spec in METRICS.items():
        assert spec.description and spec.unit and spec.formula
        assert f"- formula: {spec.formula}" in sections[name] and f"`{spec.function}`" in sections[name], name


def test_each_registered_function_exists_and_is_the_one_the_app_calls():
    """The registry names the function the report, pages, exports and CLI call, not a wrapper nothing uses."""
    import importlib

    from metrics import registry

    for module in registry.MODULES:
        importlib.import_module(module)
    code = "\n".join(p.read_text(encoding="utf-8") for folder in ("metrics", "views", "ui", "exports")
                     for p in sorted((ROOT / folder).rglob("*.py"))) + (ROOT / "cli.py").read_text(encoding="utf-8")
    for name, spec in METRICS.items():
        module, function = spec.function.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), function)), name
        calls = re.findall(rf"(?<!def )\b{function}\(", code)
        assert calls, f"{name}: {spec.function} is registered but nothing calls it"


def test_the_interval_is_90_percent_and_does_not_depend_on_what_was_imported_before(tmp_path):
    assert efficiency.CONFIDENCE == 0.90 and "90% interval" in efficiency.BOOTSTRAP_METHOD
    figures = []
    for unrelated_first in (False, True):
        con = connect(":memory:")
        if unrelated_first:  # another account takes the first integer key
            (tmp_path / "other.csv").write_text("account_id,account_name\nZZ0,Other\n", encoding="utf-8")
            ingest.import_file(con, tmp_path / "other.csv")
        for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
            ingest.import_file(con, FIXTURES / "metrics" / name)
        result = efficiency.efficiency(con, account_id="M1", **P)
        figures.append((result.ci_low, result.ci_high))
    assert figures[0] == figures[1]
    # the interval is the 5th to 95th percentile of the draws
    base, cur = [11.0, 10.0, 12.0], [13.0, 14.0, 15.0]
    draws = efficiency._resampled_ratios(np.array(base), np.array(cur), np.random.default_rng(1)) - 1
    assert efficiency._interval(draws) == (pytest.approx(float(np.quantile(draws, 0.05))),
                                           pytest.approx(float(np.quantile(draws, 0.95))))


def test_value_at_risk_weighs_weak_adoption_by_how_near_the_renewal_is(con, tmp_path):
    # the period ends 2025-08-01; renewals 31 and 30 days overdue, 180 and 181 days ahead, none
    accounts = ["account_id,account_name,annual_contract_value,renewal_date",
                "R1,Overdue long,1000,2025-07-01", "R2,Overdue,1000,2025-07-02", "R3,Near,1000,2026-01-28",
                "R4,Far,1000,2026-01-29", "R5,No date,1000,", "R6,Half adopted,1000,2025-09-01"]
    (tmp_path / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    (tmp_path / "drivers.csv").write_text("feature,minutes_saved\nDispatch,5\n", encoding="utf-8")
    (tmp_path / "events.csv").write_text("account_id,user_id,event_time,feature\n"  # R6: 1 of 2 users on Dispatch
                                         "R6,a,2025-07-03 09:00,Dispatch\nR6,b,2025-07-03 09:00,Other\n",
                                         encoding="utf-8")
    for name in ("accounts.csv", "drivers.csv", "events.csv"):
        ingest.import_file(con, tmp_path / name)
    table = portfolio.portfolio_table(con, start=date(2025, 5, 1), end=date(2025, 8, 1)).set_index("account_id")
    # no activity: adoption 0, risk = the weight; R6: (1 - 0.5) x 1 (renewal 31 days ahead)
    expected = {"R1": 0.5, "R2": 1.0, "R3": 1.0, "R4": 0.5, "R5": 0.5, "R6": 0.5}
    assert table["risk_score"].to_dict() == expected
    assert table["value_at_risk"].to_dict() == {k: 1000 * v for k, v in expected.items()}
    assert table["days_to_renewal"].to_dict()["R1"] == -31


def test_stickiness_averages_only_the_months_with_active_users(mcon):
    # M1 from May to September 2025: active users 2, 2, 1, 1 and none in September, which is left out of the mean
    # (counted as a zero it would give a fifth less)
    five = adoption.stickiness(mcon, account_id="M1", start=date(2025, 5, 1), end=date(2025, 10, 1))
    assert five == pytest.approx((2 / 31 / 2 + 3 / 30 / 2 + 2 / 31 / 1 + 1 / 31 / 1) / 4)
    assert adoption.stickiness(mcon, account_id="M1", start=date(2025, 9, 1), end=date(2025, 10, 1)) is None


def test_hours_saved_is_one_formula_in_sql_and_in_python(mcon):
    """The SQL macro (hours_saved.sql, monthly_hours.sql) and metrics.cost.hours_from_volume (the value-model
    editor's preview) agree on every combination, and both are units (or events) x minutes / 60 by hand."""
    grid = [(basis, events, units, minutes) for basis in ("use", "unit", "other") for events in (0, 3, 7.5)
            for units in (0, 2, 30) for minutes in (0, 1.5, 6)]
    frame = pd.DataFrame(grid, columns=["basis", "events", "units", "minutes_saved"])
    in_sql = [r[0] for r in mcon.execute(
        "SELECT hours_saved_of(basis, events, units, minutes_saved) FROM frame").fetchall()]
    in_python = cost.hours_from_volume(frame["basis"], frame["events"], frame["units"], frame["minutes_saved"])
    assert in_sql == pytest.approx(list(in_python))
    by_hand = {("unit", 3, 30, 6): 3.0, ("use", 3, 30, 6): 0.3, ("use", 7.5, 2, 1.5): 0.1875,
               ("unit", 7.5, 2, 1.5): 0.05}
    for key, hours in by_hand.items():
        assert in_sql[grid.index(key)] == pytest.approx(hours), key


def test_the_portfolio_adoption_views_by_hand(mcon):
    """The adoption page's portfolio views on the fixture (May-July 2025): M1's users u1 (Dispatch, Chat), u2
    (Scan), u3 (Dispatch); M2's u1 (Scan, Dispatch), u2 (Dispatch); 3 active users in each month."""
    assert _rows(adoption.breadth_distribution(mcon, **P)) == [(1, 3), (2, 2)]
    third = pytest.approx(1 / 3)
    assert _rows(adoption.feature_trend(mcon, **P)) == [
        ("Chat", date(2025, 6, 1), 1, 3, third),
        ("Dispatch", date(2025, 5, 1), 1, 3, third), ("Dispatch", date(2025, 6, 1), 3, 3, 1.0),
        ("Dispatch", date(2025, 7, 1), 1, 3, third),
        ("Scan", date(2025, 5, 1), 2, 3, pytest.approx(2 / 3)), ("Scan", date(2025, 6, 1), 1, 3, third),
        ("Scan", date(2025, 7, 1), 2, 3, pytest.approx(2 / 3))]
    heatmap = adoption.industry_heatmap(mcon, **P)
    assert heatmap.to_dict() == {"Logistics": {"Dispatch": pytest.approx(5 / 6), "Scan": pytest.approx(5 / 12)}}
    # seat utilization by months since go-live, cohort 2025-Q2: M1 (4 seats, live April) and M2 (10, live June)
    assert _rows(adoption.cohort_curves(mcon)) == [
        ("2025-Q2", 0, 2, pytest.approx((1 / 4 + 1 / 10) / 2)), ("2025-Q2", 1, 2, pytest.approx((2 / 4 + 2 / 10) / 2)),
        ("2025-Q2", 2, 1, 0.5), ("2025-Q2", 3, 1, 0.25), ("2025-Q2", 4, 1, 0.25)]


def test_hours_per_month_and_the_portfolio_trend_by_hand(mcon):
    """Dispatch 6 minutes a use, Scan 3 minutes a scanned unit: M1 0.7 / 0.2 / 1.0 h, M2 1.0 / 0.1 / 2.35 h."""
    keys = dict(mcon.execute("SELECT account_id, account_key FROM account").fetchall())
    monthly = cost.monthly_hours(mcon, **P)
    by_account = {(a, m): h for a, m, h in monthly.itertuples(index=False)}
    assert by_account == {
        (keys["M1"], date(2025, 5, 1)): pytest.approx(0.7), (keys["M1"], date(2025, 6, 1)): pytest.approx(0.2),
        (keys["M1"], date(2025, 7, 1)): pytest.approx(1.0), (keys["M2"], date(2025, 5, 1)): pytest.approx(1.0),
        (keys["M2"], date(2025, 6, 1)): pytest.approx(0.1), (keys["M2"], date(2025, 7, 1)): pytest.approx(2.35)}
    trend = portfolio.hours_trend(mcon, **P, account_keys=[keys["M1"], keys["M2"]])
    assert _rows(trend) == [(date(2025, 5, 1), pytest.approx(1.7)), (date(2025, 6, 1), pytest.approx(0.3)),
                            (date(2025, 7, 1), pytest.approx(3.35))]
    assert _rows(portfolio.hours_trend(mcon, **P, account_keys=[keys["M2"]]))[2] == (date(2025, 7, 1),
                                                                                    pytest.approx(2.35))
    table = portfolio.portfolio_table(mcon, **P)
    assert list(portfolio.filter_accounts(table, industry=["Retail"])["account_id"]) == ["M3"]
    assert list(portfolio.filter_accounts(table, industry=["Logistics"], region=["North America"])["account_id"]) \
        == ["M4", "M5"]
    assert len(portfolio.filter_accounts(table, industry=[], region=[])) == 5


def test_case_study_rounding_keeps_two_significant_digits_and_whole_percents():
    from metrics.case_study import _months_between, round_fraction, round_sig

    assert [round_sig(v) for v in (1234.5, 0.012345, -987.0, 0, None, 45.0)] == [1200.0, 0.012, -990.0, 0, None, 45.0]
    assert round_sig(1234.5, 3) == 1230.0
    assert [round_fraction(v) for v in (0.4213, -0.126, None)] == [0.42, -0.13, None]
    assert _months_between(date(2025, 4, 10), date(2026, 2, 1)) == 10
    assert _months_between(date(2025, 4, 30), date(2025, 4, 1)) == 0


def test_a_case_study_of_the_fixture_by_hand_and_its_anonymized_version(mcon):
    """M1 (Alpha, 4 seats, live 10 April 2025) for May-July 2025: Dispatch first used 20 April (10 days after
    go-live), Scan 6 May (26 days); 1.9 h saved at USD 100; output per person 11 -> 14."""
    from metrics.case_study import Step, anonymize, case_study

    study = case_study(mcon, account_id="M1", **P)
    assert (study.account_id, study.name, study.industry, study.region, study.segment, study.seats) == (
        "M1", "Alpha", "Logistics", "East China", "SMB", 4)
    assert (study.go_live_date, study.start, study.end, study.months_after_go_live) == (
        date(2025, 4, 10), P["start"], P["end"], (1, 3))
    assert (study.currency, study.hours_saved, study.value) == ("USD", pytest.approx(1.9), pytest.approx(190.0))
    assert study.fte_equivalent == pytest.approx(1.9 / (3 * 2000 / 12))
    assert study.roi == pytest.approx((190 * 12 / 3 - 12000) / 12000)
    assert study.payback_months == pytest.approx(12000 / (190 / 3))
    assert (study.key_feature_adoption, study.breadth, study.time_to_value_days) == (
        pytest.approx(0.5), pytest.approx(4 / 3), 10.0)
    assert study.efficiency.delta == pytest.approx(14 / 11 - 1) and study.cost_reason is None
    assert study.steps == (Step("Dispatch", date(2025, 4, 20), 10.0, pytest.approx(2 / 3), pytest.approx(0.4)),
                           Step("Scan", date(2025, 5, 6), 26.0, pytest.approx(1 / 3), pytest.approx(1.5)))
    assert not study.anonymized and set(study.curves["feature"]) == {"Dispatch", "Scan"}

    anonymous = anonymize(study)
    assert anonymous.anonymized
    assert (anonymous.account_id, anonymous.name, anonymous.go_live_date, anonymous.start, anonymous.end) == (
        None, None, None, None, None)
    assert (anonymous.industry, anonymous.seats, anonymous.hours_saved, anonymous.value) == (
        "Logistics", 4, 1.9, 190.0)
    assert (anonymous.roi, anonymous.payback_months, anonymous.fte_equivalent) == (-0.94, 190.0, 0.0038)
    assert (anonymous.efficiency.delta, anonymous.efficiency.baseline, anonymous.efficiency.current) == (
        0.27, 11.0, 14.0)
    assert anonymous.efficiency.baseline_months == [] and anonymous.efficiency.current_months == []
    assert anonymous.steps == (Step("Dispatch", None, 10.0, 0.67, 0.4), Step("Scan", None, 26.0, 0.33, 1.5))
    assert "month" not in anonymous.curves.columns and "users" not in anonymous.curves.columns
    assert (anonymous.key_feature_adoption, anonymous.breadth, anonymous.time_to_value_days) == (0.5, 1.3, 10.0)


def test_the_headline_kpis_of_the_fixture_report_by_hand(mcon):
    """M1 (USD 100 an hour, 4 seats, contract 12,000) and M3 (no seats, no hourly cost, no contract, no usage):
    each headline figure with its unit and direction, and the reason where it is missing."""
    kpis = report.headline_kpis(report.account_report(mcon, account_id="M1", period=Period(**P)))
    assert [(k.name, k.unit, k.higher_is_better, k.reason) for k in kpis] == [
        ("value", "currency", True, None), ("hours_saved", "hours", True, None), ("fte_equivalent", "FTE", True, None),
        ("efficiency_delta", "fraction", True, None),  # no trend adjustment (too few accounts): no such figure
        ("key_feature_adoption", "fraction", True, None), ("seat_utilization", "fraction", True, None),
        ("roi", "fraction", True, None), ("payback_months", "months", False, None)]
    assert [k.value for k in kpis] == [
        190.0, pytest.approx(1.9), pytest.approx(1.9 / 500), pytest.approx(14 / 11 - 1), pytest.approx(0.5),
        pytest.approx(5 / 12), pytest.approx((190 * 4 - 12000) / 12000), pytest.approx(12000 / (190 / 3))]
    missing = report.headline_kpis(report.account_report(mcon, account_id="M3", period=Period(**P)))
    assert {k.name: (k.value, k.reason) for k in missing} == {
        "value": (None, "no hourly cost for the account; no annual contract value"),
        "hours_saved": (0.0, None), "fte_equivalent": (0.0, None),
        "efficiency_delta": (None, "no go-live date"),
        "key_feature_adoption": (None, "no active users or no value model"),
        "seat_utilization": (None, "no seat count"),
        "roi": (None, "no hourly cost for the account; no annual contract value"),
        "payback_months": (None, "no hourly cost for the account; no annual contract value")}


def test_the_cli_says_nothing_more_when_its_reader_goes_away(tmp_path):
    """`cli.py report --json | head`: the pipe closes before the report is written; no traceback."""
    import subprocess
    import sys

    from cli import main

    db = str(tmp_path / "m.duckdb")
    assert main(["import", *[str(FIXTURES / "metrics" / n) for n in
                             ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv")], "--db", db]) == 0
    for args in (["report", "--account", "M1", "--json"], ["accounts"]):
        proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args, "--db", db], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        proc.stdout.close()  # before the child, still importing, writes anything
        _, err = proc.communicate(timeout=120)
        assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()
        assert proc.returncode == 1


def test_money_is_rounded_to_the_cent_as_a_spreadsheet_rounds_it():
    # Excel's ROUND(x, 2): half away from zero on the decimal value; Python's round() works on the binary float
    assert round(2.675, 2) == 2.67 and cost.cents(2.675) == 2.68
    assert cost.cents(-2.675) == -2.68
    assert cost.cents(32.25 * 115.54) == 3726.17 and cost.cents(3726.165) == 3726.17
    assert cost.cents(0.004999) == 0.0 and cost.cents(1234567.891) == 1234567.89


_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|SET|BEGIN|COMMIT|ROLLBACK|DESCRIBE|COPY|"
                        r"WITH|PRAGMA|ATTACH)\b")


def _code_strings(tree: ast.AST):
    """String constants and f-string openings of a module, docstrings left out."""
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            yield node.lineno, str(node.values[0].value)


def test_all_sql_statements_live_in_metrics_sql_files():
    """No statement is written in Python: the app's SQL is in metrics/sql/*.sql, values go in as parameters."""
    root = Path(__file__).resolve().parent.parent
    found = [f"{path.relative_to(root)}:{line}: {text[:50]!r}"
             for path in sorted(root.glob("**/*.py"))
             if not {".venv", "mutants", "tests", "bench"} & set(path.relative_to(root).parts)
             for line, text in _code_strings(ast.parse(path.read_text(encoding="utf-8")))
             if _STATEMENT.match(text)]
    assert found == []


def test_named_statements_and_their_placeholders():
    assert sql("ingest_merge.drop_rollup_events") == "DROP VIEW vl_rollup_events"
    assert sql_with("ingest_rollups.count", table="vl_am") == "SELECT count(*) FROM vl_am"
    with pytest.raises(KeyError, match="unfilled"):
        sql_with("ingest_rollups.stage")
    with pytest.raises(KeyError, match="no"):
        sql_with("ingest_rollups.count", table="vl_am", other="x")
