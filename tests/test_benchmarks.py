"""Peer benchmarks on small generated portfolios you can check by hand.

Every generated account has 10 seats (unless told), 4 active users in May 2025 who all use "Other", a number of
"Dispatchers" who also use Dispatch (60 minutes saved per use, so hours saved = Dispatch events), an hourly cost of
10, and outcomes of 10 output units per person in Jan-Mar 2025 before an April go-live and 10 x (1 + uplift) in
May-Jul. The period is May-Jul 2025.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import FIXTURES

from metrics import adoption, benchmarks, cost, efficiency, ingest
from metrics.benchmarks import Benchmark, benchmark, seat_band
from metrics.store import DataError

P = {"start": date(2025, 5, 1), "end": date(2025, 8, 1)}


@dataclass
class Acct:
    """A generated account: id, industry, Dispatch events in the period and the rest of its attributes."""

    account_id: str
    industry: str = "Logistics"
    events: int = 30
    seats: int | None = 10
    currency: str | None = "USD"
    region: str | None = "East China"
    dispatchers: int = 2
    uplift: float = 0.2
    name: str = ""


def portfolio(con, tmp_path, accounts: list[Acct]):
    """Write and import the four files for `accounts`; returns the connection."""
    rows = ["account_id,account_name,industry,region,segment,seats,go_live_date,hourly_cost,currency"]
    events = ["account_id,user_id,event_time,feature"]
    outcomes = ["account_id,month,output_units,headcount"]
    for a in accounts:
        rows.append(f"{a.account_id},{a.name or 'Name of ' + a.account_id},{a.industry},{a.region or ''},SMB,"
                    f"{a.seats or ''},2025-04-15,10,{a.currency or ''}")
        for user in range(4):
            events.append(f"{a.account_id},u{user},2025-05-02 08:00,Other")
        for n in range(a.events):
            events.append(f"{a.account_id},u{n % a.dispatchers},2025-05-{3 + n % 25:02d} 09:{n // 25:02d},Dispatch")
        for month in ("2025-01", "2025-02", "2025-03"):
            outcomes.append(f"{a.account_id},{month},100,10")
        for month in ("2025-05", "2025-06", "2025-07"):
            outcomes.append(f"{a.account_id},{month},{100 * (1 + a.uplift):.4f},10")
    files = {"accounts.csv": rows, "drivers.csv": ["feature,minutes_saved", "Dispatch,60"], "events.csv": events,
             "outcomes.csv": outcomes}
    for name, lines in files.items():
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        result = ingest.import_file(con, tmp_path / name)
        assert result.rows_rejected == 0, result.rejects
    return con


def peers(n: int, industry: str = "Logistics", prefix: str = "P", **attrs) -> list[Acct]:
    return [Acct(f"{prefix}{i}", industry, **attrs) for i in range(1, n + 1)]


def test_seat_bands_cover_every_seat_count_and_none_without_seats():
    assert [seat_band(s) for s in (1, 49, 50, 199, 200, 499, 500, 5000)] == \
        ["1-49", "1-49", "50-199", "50-199", "200-499", "200-499", "500+", "500+"]
    assert (seat_band(None), seat_band(0), seat_band(float("nan"))) == (None, None, None)


def test_five_other_accounts_show_the_percentile_a_rounded_median_and_pooled_rate_but_no_quartiles(con, tmp_path):
    # peers' hours per seat: 2.6, 2.8, 3.0, 3.2, 3.4 (events / 10 seats); the account: 3.1. Quartiles of five
    # would be the 2nd and 4th peer's own values (metrics.privacy: quartiles need 10)
    others = [Acct(f"P{i}", events=e) for i, e in enumerate((26, 28, 30, 32, 34), start=1)]
    portfolio(con, tmp_path, [Acct("A", events=31), *others])
    figure = benchmark(con, account_id="A", cohort="industry", **P).figure("hours_saved_per_seat")
    assert figure == benchmarks.BenchmarkFigure(
        "hours_saved_per_seat", "hours per seat", pytest.approx(3.1), cohort="industry", cohort_label="Logistics",
        peers=5, percentile=60.0, p25=None, median=3.0, p75=None, pooled=pytest.approx(150 / 50))
    assert not figure.widened and figure.reason is None


def test_ten_other_accounts_show_exact_quartiles(con, tmp_path):
    # peers' hours per seat 2.1, 2.2, ..., 3.0: linear quartiles at 2.325, 2.55, 2.775
    others = [Acct(f"P{i}", events=e) for i, e in enumerate(range(21, 31), start=1)]
    portfolio(con, tmp_path, [Acct("A", events=31), *others])
    figure = benchmark(con, account_id="A", cohort="industry", **P).figure("hours_saved_per_seat")
    assert (figure.peers, figure.p25, figure.median, figure.p75) == (
        10, pytest.approx(2.325), pytest.approx(2.55), pytest.approx(2.775))


@pytest.mark.parametrize("others, shown", [(4, False), (5, True)])
def test_a_cohort_figure_needs_five_other_accounts_and_is_suppressed_with_the_reason_below(con, tmp_path, others,
                                                                                          shown):
    portfolio(con, tmp_path, [Acct("A"), *peers(others)])
    result = benchmark(con, account_id="A", cohort="industry", **P)
    for figure in result.figures:
        assert figure.value is not None, figure.metric
        assert (figure.cohort, figure.peers) == (("industry", 5) if shown else (None, None)), figure.metric
        assert (figure.median is not None, figure.percentile is not None) == (shown, shown)
        if not shown:
            assert figure.reasons == (("industry", "too_few"), ("all", "too_few"))
            assert (figure.p25, figure.p75, figure.pooled) == (None, None, None)
            assert figure.reason == ("industry: fewer than 5 other accounts in the cohort have this figure; "
                                     "all: fewer than 5 other accounts in the cohort have this figure; suppressed")


@pytest.mark.parametrize("events, seats, dominated", [
    ((25, 15, 15, 15, 15, 15), (10,) * 6, False),    # the largest peer holds exactly 25 % of the peers' hours
    ((26, 15, 15, 15, 15, 15), (10,) * 6, True),     # 26 / 101 > 25 %
    ((15,) * 6, (40, 20, 20, 20, 20, 20), True),     # hours even, but one peer holds 40 / 140 of the seats
])
def test_the_pooled_rate_is_withheld_when_one_peer_holds_more_than_a_quarter_of_a_sum(con, tmp_path, events, seats,
                                                                                      dominated):
    others = [Acct(f"P{i}", events=e, seats=s) for i, (e, s) in enumerate(zip(events, seats), start=1)]
    portfolio(con, tmp_path, [Acct("A"), *others])
    figure = benchmark(con, account_id="A", cohort="industry", **P).figure("hours_saved_per_seat")
    # quartiles are not sums: they stay, in the cohort asked for
    assert (figure.cohort, figure.peers, figure.median is not None) == ("industry", 6, True)
    if dominated:
        assert (figure.pooled, figure.pooled_reason) == (None, "dominated")
    else:
        assert (figure.pooled, figure.pooled_reason) == (pytest.approx(sum(events) / sum(seats)), None)
    value = benchmark(con, account_id="A", cohort="industry", **P).figure("value_per_seat")
    assert value.pooled_reason == ("dominated" if dominated else None)


def test_a_small_industry_widens_to_all_accounts_and_says_why(con, tmp_path):
    portfolio(con, tmp_path, [Acct("A"), *peers(3), *peers(2, "Retail", prefix="R")])
    result = benchmark(con, account_id="A", cohort="industry", **P)
    assert (result.cohort, result.cohort_label) == ("industry", "Logistics")
    for figure in result.figures:
        assert (figure.cohort, figure.cohort_label, figure.peers) == ("all", None, 5), figure.metric
        assert figure.widened and figure.reasons == (("industry", "too_few"),)
        assert figure.reason == "industry: fewer than 5 other accounts in the cohort have this figure; widened to " \
                                "all accounts"


def test_an_account_without_the_cohort_attribute_widens_to_all_accounts(con, tmp_path):
    portfolio(con, tmp_path, [Acct("A", region=None, seats=None), *peers(5)])
    region = benchmark(con, account_id="A", cohort="region", **P).figure("key_feature_adoption")
    assert (region.cohort, region.reasons) == ("all", (("region", "no_attribute"),))
    assert region.reason == "region: the account has no region; widened to all accounts"
    band = benchmark(con, account_id="A", cohort="seat_band", **P).figure("hours_saved_per_seat")
    assert (band.value, band.cohort, band.percentile, band.median) == (None, "all", None, pytest.approx(3.0))


def test_value_per_seat_is_compared_only_within_the_accounts_currency(con, tmp_path):
    portfolio(con, tmp_path, [Acct("A"), *peers(5, currency="USD"), *peers(5, currency="CNY", prefix="C"),
                              Acct("X", currency=None)])
    result = benchmark(con, account_id="A", cohort="industry", **P)
    value, hours = result.figure("value_per_seat"), result.figure("hours_saved_per_seat")
    assert (value.currency, value.peers, value.median) == ("USD", 5, pytest.approx(30.0))
    assert hours.peers == 11  # X has no currency, so its value is not comparable, but its hours count
    no_currency = benchmark(con, account_id="X", cohort="industry", **P).figure("value_per_seat")
    # its own figure stays (cost() values hours without a currency too); no peer is comparable
    assert (no_currency.value, no_currency.cohort, no_currency.median, no_currency.reasons) == \
        (30.0, None, None, (("industry", "no_currency"),))


def test_the_benchmarks_own_figures_are_the_metric_functions_figures(mcon):
    result = benchmark(mcon, account_id="M1", cohort="all", **P)
    features = adoption.feature_adoption(mcon, account_id="M1", **P)
    money = cost.cost(mcon, account_id="M1", **P)
    assert {f.metric: f.value for f in result.figures} == {
        "key_feature_adoption": pytest.approx(adoption.key_feature_adoption(features)),
        "breadth": pytest.approx(adoption.breadth(mcon, account_id="M1", **P)),
        "efficiency_delta": pytest.approx(efficiency.efficiency(mcon, account_id="M1", **P).delta),
        "hours_saved_per_seat": pytest.approx(money.hours_saved / 4),
        "value_per_seat": pytest.approx(money.value / 4),
    }
    # five accounts in all: M1 has at most 4 peers, so every cohort figure is suppressed
    assert {f.cohort for f in result.figures} == {None}


def test_every_account_is_computed_from_one_read_of_each_portfolio_table(con, tmp_path, monkeypatch):
    portfolio(con, tmp_path, [Acct("A"), *peers(6)])
    calls: dict[str, int] = {}

    def counted(module, name):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return original(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)

    for module, name in ((efficiency, "monthly"), (adoption, "adoption_table"), (cost, "portfolio_value"),
                         (benchmarks, "all_accounts"), (adoption, "hours_table")):
        counted(module, name)
    benchmark(con, account_id="A", **P)
    assert calls == {"monthly": 1, "adoption_table": 1, "portfolio_value": 1, "all_accounts": 1, "hours_table": 1}
    calls.clear()
    from metrics import portfolio as portfolio_figures

    portfolio_figures.portfolio_table(con, **P)  # the value and the adoption grid read one hours table
    assert (calls["hours_table"], calls["adoption_table"], calls["portfolio_value"]) == (1, 1, 1)


def test_the_peer_table_built_from_the_report_inputs_is_the_one_built_alone(con, tmp_path, monkeypatch):
    from metrics import report
    from metrics.period import Period

    portfolio(con, tmp_path, [Acct("A", uplift=0.1), Acct("B", uplift=0.3), *peers(6)])
    inputs = report.period_inputs(con, Period(P["start"], P["end"]))
    alone = benchmarks.metric_table(con, **P)
    calls: list[str] = []
    monkeypatch.setattr(adoption, "adoption_table", lambda *a, **k: calls.append("grid"))
    monkeypatch.setattr(efficiency, "monthly", lambda *a, **k: calls.append("series"))
    monkeypatch.setattr(adoption, "hours_table", lambda *a, **k: calls.append("hours"))
    shared = report.peer_figures(con, Period(P["start"], P["end"]), inputs)  # what the app and the exports build
    assert calls == []  # none is built again
    monkeypatch.undo()
    pd.testing.assert_frame_equal(shared, alone)
    # the table holds each account's delta, the same as its full efficiency figure (whose interval it leaves out)
    for account_id, delta in zip(alone["account_id"], alone["efficiency_delta"]):
        assert delta == efficiency.efficiency(con, account_id=account_id, **P).delta
    assert sorted(alone["efficiency_delta"].round(6).dropna().unique())[:2] == [0.1, 0.2]


def test_a_period_without_data_has_no_figures_and_says_why(con, tmp_path):
    portfolio(con, tmp_path, [Acct("A"), *peers(6)])
    result = benchmark(con, account_id="A", start=date(2023, 1, 1), end=date(2023, 4, 1))
    for figure in result.figures:
        assert (figure.value, figure.cohort, figure.median) == (None, None, None), figure.metric
        assert figure.reasons == (("industry", "too_few"), ("all", "too_few"))


def test_an_unknown_cohort_or_account_is_a_data_error(mcon):
    with pytest.raises(DataError, match="unknown cohort 'city'"):
        benchmark(mcon, account_id="M1", cohort="city", **P)
    with pytest.raises(DataError, match="unknown account 'ZZ'"):
        benchmark(mcon, account_id="ZZ", **P)


def _serialized(result: Benchmark) -> str:
    return "\n".join([json.dumps(result.to_dict(), ensure_ascii=False), result.frame().to_csv(),
                      result.frame().to_json(force_ascii=False), repr(result)])


def test_no_peer_name_or_id_reaches_any_benchmark_output(con, tmp_path):
    accounts = [Acct(f"SECRET-ID-{i:02d}", industry, name=f"Secret Peer Company {i:02d}", region=region, seats=seats)
                for i, (industry, region, seats) in enumerate(
                    [("Logistics", "East China", 10), ("Logistics", "Europe", 60), ("Retail", "East China", 10)] * 4)]
    portfolio(con, tmp_path, accounts)
    for account in accounts:
        for cohort in benchmarks.COHORTS:
            text = _serialized(benchmark(con, account_id=account.account_id, cohort=cohort, **P))
            for other in accounts:
                if other is not account:
                    assert other.account_id not in text and other.name not in text, (account, cohort, other)
    figure_keys = set(benchmark(con, account_id=accounts[0].account_id, **P).to_dict()["figures"][0])
    assert figure_keys == {"metric", "unit", "value", "currency", "basis", "cohort", "cohort_label", "peers",
                           "percentile", "p25", "median", "p75", "pooled", "pooled_reason", "reason", "reasons"}


@pytest.fixture
def mcon(con):
    """The metrics fixture database (tests/fixtures/metrics)."""
    for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
        ingest.import_file(con, FIXTURES / "metrics" / name)
    return con


def test_a_missing_attribute_matches_no_peer_as_null_does_in_sql():
    # a cohort, currency or efficiency basis compared with a missing value selects nobody (pandas' `== None`), never
    # the other accounts missing it too (numpy's elementwise `== None` would pool them)
    column = np.array(["Retail", None, float("nan"), "Retail"], dtype=object)
    assert benchmarks._same(column, "Retail").tolist() == [True, False, False, True]
    assert not benchmarks._same(column, None).any()
    assert not benchmarks._same(column, float("nan")).any()
