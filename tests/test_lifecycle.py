"""Lifecycle stages and the health score, rule by rule, on months written out by hand; and on the demo, where one
account is planted as declining."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from metrics import health, ingest, lifecycle
from metrics.accounts import Account, get_account
from metrics.demo import load_demo
from metrics.period import add_months, default_period
from metrics.store import connect

GO_LIVE = date(2025, 3, 10)


def account(seats: int | None = 10, go_live: date | None = GO_LIVE) -> Account:
    return Account(1, "X", "X", None, None, None, seats, go_live, 50.0, "USD", 12000.0, None)


def months(*rows: tuple[int, float, float]) -> pd.DataFrame:
    """Months from 2025-01 on: (active users, DAU/MAU, key-feature adoption); 0 users means no row."""
    out = []
    for i, (users, sticky, adoption) in enumerate(rows):
        if users:
            out.append({"account_key": 1, "month": add_months(date(2025, 1, 1), i), "active_users": users,
                        "active_user_days": sticky * 30 * users, "days_in_month": 30,
                        "key_feature_adoption": adoption})
    return pd.DataFrame(out, columns=["account_key", "month", "active_users", "active_user_days", "days_in_month",
                                      "key_feature_adoption"])


def stages(acc: Account, frame: pd.DataFrame, n: int) -> list[str]:
    return [s for _, s in lifecycle.stages_of(acc, frame, date(2025, 1, 1), add_months(date(2025, 1, 1), n))]


HABIT = (5, 0.2, 0.5)      # 5 of 10 seats, sticky, adopting: a habit month
ACTIVE = (5, 0.05, 0.1)    # 5 of 10 seats, not sticky


def test_onboarding_until_go_live_and_a_quarter_of_the_seats_then_activated():
    # a pilot before the go-live month counts for nothing; 2 of 10 seats is under a quarter; 3 of 10 is over
    frame = months((5, 0.2, 0.5), (2, 0.2, 0.5), (2, 0.2, 0.5), (3, 0.05, 0.1))
    assert stages(account(), frame, 4) == ["onboarding", "onboarding", "onboarding", "activated"]
    assert stages(account(go_live=None), frame, 4) == ["onboarding"] * 4
    # without a seat count: 5 active users activate
    assert stages(account(seats=None), months((0, 0, 0), (0, 0, 0), (4, 0.1, 0.1), (5, 0.1, 0.1)), 4) == [
        "onboarding", "onboarding", "onboarding", "activated"]
    stage = lifecycle.stage_of(account(), lifecycle.stages_of(account(), frame, date(2025, 1, 1), date(2025, 5, 1)))
    assert (stage.stage, stage.since, stage.months_in_stage, stage.days_to_activation) == (
        "activated", date(2025, 4, 1), 1, (date(2025, 4, 1) - GO_LIVE).days)
    assert stage.months_by_stage == {"onboarding": 3, "activated": 1}


def test_habitual_after_three_habit_months_in_a_row_and_one_quiet_month_is_not_a_fall():
    frame = months((0, 0, 0), (0, 0, 0), HABIT, HABIT, ACTIVE, HABIT, HABIT, HABIT, ACTIVE, HABIT, ACTIVE, ACTIVE)
    assert stages(account(), frame, 12) == [
        "onboarding", "onboarding", "activated", "activated", "activated",  # the run broke after two
        "activated", "activated", "habitual",                               # three in a row
        "habitual",                                                          # one quiet month: still habitual
        "habitual", "habitual", "at_risk"]                                  # two quiet months: fallen


def test_falling_below_a_reached_stage_or_losing_users_is_at_risk():
    # activated, then under a quarter of the seats: at risk, not onboarding
    assert stages(account(), months((0, 0, 0), (0, 0, 0), (5, 0.05, 0.1), (2, 0.05, 0.1)), 4)[-1] == "at_risk"
    # active users of the last 3 months 15 % or more below the 3 before (20 -> 17 a month): at risk
    steady = [(10, 0.05, 0.1)] * 3
    ok = months((0, 0, 0), (0, 0, 0), *steady, (9, 0.05, 0.1), (9, 0.05, 0.1), (9, 0.05, 0.1))
    down = months((0, 0, 0), (0, 0, 0), *steady, (9, 0.05, 0.1), (8, 0.05, 0.1), (8, 0.05, 0.1))
    assert stages(account(), ok, 8)[-1] == "activated"   # 27 against 30: -10 %
    assert stages(account(), down, 8)[-1] == "at_risk"   # 25 against 30: -16.7 %


def test_loyal_after_a_renewal_while_habitual_and_churned_from_a_churn_on():
    frame = months((0, 0, 0), (0, 0, 0), HABIT, HABIT, HABIT, HABIT, HABIT, ACTIVE, ACTIVE, HABIT)
    plain = ["onboarding", "onboarding", "activated", "activated", "habitual", "habitual", "habitual", "habitual",
             "at_risk", "habitual"]  # a habit month after a fall from habitual is habitual again
    assert stages(account(), frame, 10) == plain
    # renewed on 2025-05-20: loyal from May's habitual months; a quiet month keeps it; two quiet months fall from it
    renewed = [(date(2025, 5, 20), "renewed")]
    assert lifecycle.stages_of(account(), frame, date(2025, 1, 1), date(2025, 11, 1), renewed) == [
        (add_months(date(2025, 1, 1), i), s) for i, s in enumerate(
            ["onboarding", "onboarding", "activated", "activated", "loyal", "loyal", "loyal", "loyal", "at_risk",
             "loyal"])]
    # renewed while only activated: loyal only once habitual
    early = lifecycle.stages_of(account(), frame, date(2025, 1, 1), date(2025, 7, 1), [(date(2025, 3, 1), "expanded")])
    assert [s for _, s in early] == ["onboarding", "onboarding", "activated", "activated", "loyal", "loyal"]
    # contracted: habitual is not loyal; a contraction after loyal is a fall
    assert stages(account(), frame, 7) == plain[:7]
    down = lifecycle.stages_of(account(), frame, date(2025, 1, 1), date(2025, 8, 1),
                               [(date(2025, 5, 1), "renewed"), (date(2025, 7, 2), "contracted")])
    assert [s for _, s in down][4:] == ["loyal", "loyal", "at_risk"]
    # churned on 2025-07-01: churned from July on, whatever the usage
    churn = lifecycle.stages_of(account(), frame, date(2025, 1, 1), date(2025, 11, 1), [(date(2025, 7, 1), "churned")])
    assert [s for _, s in churn][5:] == ["habitual", "churned", "churned", "churned", "churned"]


def test_renewals_import_with_chinese_headers_and_outcome_words(tmp_path):
    from conftest import FIXTURES

    con = connect(tmp_path / "r.duckdb")
    ingest.import_file(con, FIXTURES / "metrics" / "accounts.csv")
    (tmp_path / "续约.csv").write_text("客户ID,续约日期,续约结果,新合同额,备注\n"
                                       "M1,2025-06-30,续约,12000,\n"
                                       "M1,2026-06-30,Expanded,15000,more seats\n"
                                       "M1,2027-06-30,maybe,,\n"
                                       "NOPE,2025-06-30,流失,,\n"
                                       "M1,not a date,churned,-5,\n", encoding="utf-8")
    result = ingest.import_file(con, tmp_path / "续约.csv")
    assert result.kind == "renewals" and (result.rows_read, result.rows_loaded, result.rows_rejected) == (5, 2, 3)
    assert sorted(result.rejects["reason"]) == [
        "must be >= 0", "must be renewed, expanded, contracted or churned", "not a date (use YYYY-MM-DD)",
        "unknown account (import it in an accounts file first)"]
    stored = lifecycle.renewals(con)
    assert list(stored.values()) == [[(date(2025, 6, 30), "renewed"), (date(2026, 6, 30), "expanded")]]
    again = ingest.import_file(con, tmp_path / "续约.csv", force=True)
    assert (again.rows_loaded, again.rows_unchanged) == (0, 2)


def test_transitions_count_accounts_moving_between_quarter_end_stages():
    table = pd.DataFrame({"account_id": ["A"] * 6 + ["B"] * 6,
                          "month": [add_months(date(2025, 1, 1), i) for i in range(6)] * 2,
                          "stage": ["onboarding"] * 3 + ["activated"] * 3 + ["onboarding"] * 2 + ["activated"] * 4})
    moved = lifecycle.transitions(table)
    assert moved.to_dict("records") == [{"quarter": "2025-Q2", "from": "onboarding", "to": "activated",
                                         "accounts": 1}]  # B activated within Q1 already: its Q1 ends activated


def test_the_health_score_is_the_sum_of_its_components_and_withheld_without_enough_data():
    h = health.health(live=True, adoption=0.6, efficiency=0.1, seats=0.4, usage_trend=-0.2, days_to_renewal=90,
                      value_delivered=0.7)
    values = {"adoption": 0.6, "efficiency": 0.5, "seats": 0.5, "usage_trend": 0.3, "renewal": 0.5,
              "value_delivered": 0.7, "concentration": None}  # offered at weight 0, not measured here
    assert {c.name: c.value for c in h.components} == pytest.approx(values)
    assert h.score == pytest.approx(100 * sum(health.WEIGHTS[k] * v for k, v in values.items() if v is not None))
    assert sum(c.contribution or 0 for c in h.components) == pytest.approx(h.score)
    # clipped at both ends
    top = health.health(live=True, adoption=1.0, efficiency=0.9, seats=1.2, usage_trend=2.0, days_to_renewal=400,
                        value_delivered=1.0)
    low = health.health(live=True, adoption=0.0, efficiency=-0.5, seats=0.0, usage_trend=-0.9, days_to_renewal=-5,
                        value_delivered=0.0)
    assert (top.score, low.score) == (pytest.approx(100), pytest.approx(0))
    # a missing component leaves the others' weights to share the score
    part = health.health(live=True, adoption=0.6, efficiency=None, seats=0.4, usage_trend=-0.2, days_to_renewal=None)
    w = health.WEIGHTS
    assert part.score == pytest.approx(100 * (w["adoption"] * 0.6 + w["seats"] * 0.5 + w["usage_trend"] * 0.3)
                                       / (w["adoption"] + w["seats"] + w["usage_trend"]))
    # insufficient data: not live, or fewer than 3 components
    assert health.health(live=False, adoption=0.6, efficiency=0.1, seats=0.4, usage_trend=0.0,
                         days_to_renewal=90).score is None
    zero = {name: 0.0 for name in health.WEIGHTS} | {"renewal": 1.0}  # all the weight on what is not measured
    unweighted = health.health(live=True, adoption=0.6, efficiency=0.1, seats=0.4, usage_trend=0.0,
                               days_to_renewal=None, weights=zero)
    assert (unweighted.score, unweighted.reason) == (None, "no measured component has a weight")
    few = health.health(live=True, adoption=0.6, efficiency=None, seats=None, usage_trend=0.0, days_to_renewal=None)
    assert (few.score, few.reason) == (None, "fewer than 3 components measured")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("lifecycle") / "demo.duckdb")
    load_demo(con)
    return con


def test_on_the_demo_the_planted_decline_is_at_risk_and_the_never_live_are_onboarding(demo):
    period = default_period(demo)
    table = lifecycle.lifecycle_table(demo, period=period)
    last = dict(table[table["month"] == add_months(period.end, -1)][["account_id", "stage"]].values)
    assert last["A019"] == "at_risk" and {last[a] for a in ("A037", "A038", "A039", "A040")} == {"onboarding"}
    assert lifecycle.lifecycle(demo, account=get_account(demo, "A019"), period=period).stage == "at_risk"
    # the one-account read agrees with the all-accounts table for every account
    for account_id, stage in last.items():
        assert lifecycle.lifecycle(demo, account=get_account(demo, account_id), period=period).stage == stage


def test_the_attention_rules_one_by_one():
    from metrics.attention import (
        ADOPTION_DROP,
        DELIVERED,
        DELIVERED_DROP,
        HEALTHY,
        RENEWAL_DAYS,
        Renewal,
        flags_of,
    )

    def asked() -> tuple[float, float, float]:
        raise AssertionError("the health score is read only when the renewal is near")

    far = Renewal(None, False, asked)

    def due(days: int, health: float | None, share: float | None = None, roi: float | None = None,
            recorded: bool = False) -> Renewal:
        return Renewal(days, recorded, lambda: (health, share, roi))

    assert flags_of(["onboarding", "activated", "habitual"], [0.5, 0.4, 0.3], far) == (
        flags_of([], [0.5, 0.4, 0.3], far))  # no stage fell: only the adoption rule
    fell = flags_of(["activated", "habitual", "habitual", "at_risk"], [], far)
    assert [(f.rule, f.values) for f in fell] == [("fell_stage", {"from": "habitual"})]
    # adoption: lower each month and by ADOPTION_DROP in all; a flat month or a smaller fall is not a flag
    assert [f.rule for f in flags_of([], [0.5, 0.46, 0.499 - ADOPTION_DROP], far)] == ["adoption_falling"]
    assert flags_of([], [0.5, 0.45, 0.45], far) == ()
    assert flags_of([], [0.5, 0.49, 0.48], far) == ()
    # renewal: near and unhealthy (or unknown health) is a flag; healthy, or far, is not
    assert [f.values for f in flags_of([], [], due(RENEWAL_DAYS, HEALTHY - 1))] == [
        {"days": RENEWAL_DAYS, "score": HEALTHY - 1}]
    assert [f.values for f in flags_of([], [], due(10, None))] == [{"days": 10, "score": None}]
    assert flags_of([], [], due(10, HEALTHY)) == ()
    assert flags_of([], [], Renewal(RENEWAL_DAYS + 1, False, asked)) == ()
    # near renewal, healthy, but less than half of what was promised delivered; or at a negative return
    assert [(f.rule, f.values) for f in flags_of([], [], due(10, HEALTHY, DELIVERED - 0.01))] == [
        ("renewal_undelivered", {"days": 10, "delivered": DELIVERED - 0.01})]
    assert flags_of([], [], due(10, HEALTHY, DELIVERED)) == ()
    assert [(f.rule, f.values) for f in flags_of([], [], due(30, HEALTHY, None, -0.2))] == [
        ("renewal_negative_return", {"days": 30, "roi": -0.2})]
    assert flags_of([], [], due(30, HEALTHY, None, 0.0)) == flags_of([], [], due(91, HEALTHY, None, -0.5)) == ()
    # a renewal date passed with no renewal recorded, however long ago; recorded, no flag (and no report read)
    assert [(f.rule, f.values) for f in flags_of([], [], Renewal(-3, False, asked))] == [
        ("renewal_passed", {"days": -3})]
    assert [f.rule for f in flags_of([], [], Renewal(-400, False, asked))] == ["renewal_passed"]
    assert flags_of([], [], Renewal(-3, True, asked)) == ()
    # not live months after the first use: the figures given
    late = {"since": date(2026, 5, 1), "months": 7, "active": 1, "seats": 300}
    assert [(f.rule, f.values) for f in flags_of([], [], far, not_live=late)] == [("never_live", late)]
    # value delivered down by DELIVERED_DROP or more on the period before; less, a rise, or one side unknown: no flag
    assert [(f.rule, f.values) for f in flags_of([], [], far, (0.8, 0.8 - DELIVERED_DROP))] == [
        ("delivered_falling", {"from": 0.8, "to": 0.8 - DELIVERED_DROP})]
    assert flags_of([], [], far, (0.8, 0.8 - DELIVERED_DROP + 0.001)) == ()
    assert flags_of([], [], far, (0.5, 0.9)) == flags_of([], [], far, (None, 0.1)) == ()


def test_the_attention_list_counts_renewals_and_go_live_from_today(demo):
    """The analyst's six on the demo at 2026-12-07 (its data ends with October): renewals within 90 days at a
    negative return (A022, A036, A040), a renewal date passed with none recorded (A018, due 2026-12-04), and accounts
    not live 7 months after their first use (A037-A040); the days counted from today, not from the period's end."""
    from metrics.attention import attention

    period = default_period(demo, today=date(2026, 12, 7))
    listed = {a: {f.rule: f.values for f in flags}
              for a, _, flags in attention(demo, period=period, today=date(2026, 12, 7))}
    assert {a for a, rules in listed.items() if "renewal_negative_return" in rules} == {"A022", "A036", "A040"}
    assert listed["A040"]["renewal_negative_return"]["days"] == 30  # 2027-01-06, from today (66 from the period end)
    assert listed["A018"] == {"renewal_passed": {"days": -3, "renewal_date": date(2026, 12, 4)}}
    assert {a for a, rules in listed.items() if "never_live" in rules} == {"A037", "A038", "A039", "A040"}
    assert listed["A038"]["never_live"] == {"since": date(2026, 5, 1), "months": 7, "active": 1, "seats": 300}
    assert listed["A019"] == {"fell_stage": {"from": "habitual"}}
    # renewals that were recorded (A020 churned on its date) and accounts live in time are not on it
    assert "A020" not in listed and "A001" not in listed
    # a month earlier, A018's renewal is ahead (28 days) and the never-live accounts are 6 months in
    earlier = {a: {f.rule for f in flags} for a, _, flags in attention(demo, period=period, today=date(2026, 11, 6))}
    assert "renewal_passed" not in earlier.get("A018", set()) and "never_live" in earlier["A038"]
    assert "never_live" not in {r for a, _, flags in attention(demo, period=period, today=date(2026, 10, 31))
                                for r in (f.rule for f in flags)}


def test_the_cli_lists_the_accounts_that_need_attention_with_reasons_in_both_languages(demo, tmp_path, capsys):
    import json

    import cli

    db = tmp_path / "cli.duckdb"
    con = connect(db)
    load_demo(con)
    con.close()
    assert cli.main(["attention", "--json", "--db", str(db), "--today", "2026-12-07"]) == 0
    listed = {a["account_id"]: a for a in json.loads(capsys.readouterr().out)["accounts"]}
    assert listed["A019"]["reasons"] == [{"rule": "fell_stage", "text": "fell from habitual to at risk",
                                         "from": "habitual"}]
    renewal = get_account(demo, "A040").renewal_date
    days = (renewal - date(2026, 12, 7)).days  # from today, as the list says
    unhealthy = next(r for r in listed["A040"]["reasons"] if r["rule"] == "renewal_unhealthy")
    assert unhealthy | {"text": None} == {
        "rule": "renewal_unhealthy", "text": None, "days": days, "renewal_date": renewal.isoformat(), "score": None}
    assert cli.main(["attention", "--lang", "zh", "--db", str(db), "--today", "2026-12-07"]) == 0
    printed = capsys.readouterr().out
    assert "续约与上线按今天 2026-12-07 计算" in printed
    assert "苏州物流集团 (A019): 从习惯使用跌至有风险" in printed
    assert f"{(renewal - date(2026, 12, 7)).days} 天后续约（{renewal.isoformat()}），健康度无法计算" in printed


def test_saved_weights_are_versioned_and_used_by_every_report(tmp_path):
    from conftest import FIXTURES

    from metrics import catalog, report
    from metrics.errors import DataError
    from metrics.period import Period

    con = connect(tmp_path / "w.duckdb")
    for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
        ingest.import_file(con, FIXTURES / "metrics" / name)
    period = Period(date(2025, 5, 1), date(2025, 8, 1))
    assert health.weights_of(con) == health.WEIGHTS and health.weight_versions(con).empty
    before = catalog.data_version(con)
    only_adoption = {name: 0.0 for name in health.WEIGHTS} | {"adoption": 1.0}
    assert health.save_weights(con, only_adoption, user="ops", note="adoption only") == 1
    assert catalog.data_version(con) != before  # cached pages recompute
    # M1's key-feature adoption is 0.5 (Dispatch 2 of 3 users, Scan 1 of 3): all the score's weight on it
    scored = report.account_report(con, account_id="M1", period=period).health
    assert scored.score == pytest.approx(50.0)
    assert {c.name: c.contribution for c in scored.components if c.contribution} == {"adoption": pytest.approx(50)}
    halves = dict(only_adoption, efficiency=1.0)  # efficiency (3/11 + 0.1) / 0.4 shares the score
    assert health.save_weights(con, halves, user="ops") == 2
    assert report.account_report(con, account_id="M1", period=period).health.score == pytest.approx(
        100 * (0.5 + (3 / 11 + 0.1) / 0.4) / 2)
    # the value-concentration component, offered at 0: weighted, the report reads M1's people for it (u2 saves
    # 1.5 of its 1.9 hours: 1 - 1.5 / 1.9)
    assert report.account_report(con, account_id="M1", period=period).health.components[-1].figure is None
    only_people = {name: 0.0 for name in health.WEIGHTS} | {"concentration": 1.0}
    assert health.save_weights(con, only_people, user="ops") == 3
    scored = report.account_report(con, account_id="M1", period=period).health
    assert scored.components[-1].figure == pytest.approx(1.5 / 1.9)
    assert scored.score == pytest.approx(100 * (1 - 1.5 / 1.9))
    assert list(health.weight_versions(con)["version"]) == [3, 2, 1]
    with pytest.raises(DataError, match="renewal: missing; adoption: must be between 0 and 1"):
        health.save_weights(con, {k: v for k, v in halves.items() if k != "renewal"} | {"adoption": 2.0},
                            user="ops")
    with pytest.raises(DataError, match="at least one weight must be above 0"):
        health.save_weights(con, {name: 0.0 for name in health.WEIGHTS}, user="ops")
    assert list(health.weight_versions(con)["version"]) == [3, 2, 1]  # nothing saved by a refused edit


def test_value_delivered_bands_count_each_account_once_and_leave_out_the_unmeasured():
    from metrics.portfolio import delivered_bands

    bands = delivered_bands(pd.Series([0.0, 0.2499, 0.25, 0.6, 0.75, 1.0, None]))
    assert list(bands["accounts"]) == [2, 1, 1, 2] and list(bands["low"]) == [0.0, 0.25, 0.5, 0.75]


def test_the_portfolios_value_delivered_is_each_reports_own(demo):
    from metrics import report

    period = default_period(demo)
    table = report.value_delivered_table(demo, period)
    assert len(table) == 29 and table["value_delivered"].notna().all()  # the demo's accounts with objectives
    inputs = report.period_inputs(demo, period)
    for account_id, share in zip(table["account_id"], table["value_delivered"]):
        assert share == report.account_report(demo, account_id=account_id, period=period,
                                              inputs=inputs).value_delivered, account_id


def test_a_report_reads_its_stage_and_its_efficiency_months_from_the_period_inputs_as_its_own_queries_do(demo):
    """The period's inputs hold every account's lifecycle months and renewals (lifecycle.period_index) and monthly
    efficiency (SeriesIndex): an account's stage and output-per-person months sliced from them are exactly what its
    own statements read, for every demo account; another window's index is not used for a period it does not fit."""
    from pandas.testing import assert_frame_equal

    from metrics import efficiency, report
    from metrics.accounts import all_accounts

    period = default_period(demo)
    inputs = report.period_inputs(demo, period)
    earlier = lifecycle.months_index(demo, add_months(period.end, -30), add_months(period.end, -6))
    for account in all_accounts(demo):
        own = lifecycle.lifecycle(demo, account=account, period=period)
        assert lifecycle.lifecycle(demo, account=account, period=period, index=inputs.lifecycle) == own
        assert lifecycle.lifecycle(demo, account=account, period=period, index=earlier) == own
        other = lifecycle.months_index(demo, inputs.lifecycle.first, period.end, 1 if account.key != 1 else 2)
        assert lifecycle.lifecycle(demo, account=account, period=period, index=other) == own  # not its months
        assert other.active_users(account.key, other.first, period.end) is None
        assert_frame_equal(
            efficiency.output_per_person(demo, account_id=account.account_id, account=account, series=inputs.series),
            efficiency.output_per_person(demo, account_id=account.account_id, account=account))
    assert sum(len(inputs.lifecycle.renewals(a.key)) > 0 for a in all_accounts(demo)) > 1
    assert report.account_report(demo, account_id="A019", period=period, inputs=inputs).lifecycle.stage == "at_risk"


def test_a_portfolio_export_slices_every_accounts_rows_as_the_one_account_statements_read_them(demo):
    """A portfolio export reads every account's first uses and (from the period's lifecycle index) monthly active
    users once; each account's slice equals what its own statement returns, for every demo account."""
    from pandas.testing import assert_frame_equal

    from metrics import adoption
    from metrics.accounts import RowsByAccount, all_accounts
    from metrics.period import data_months

    period = default_period(demo)
    index = lifecycle.period_index(demo, period)
    first_uses = adoption.first_uses(demo)
    first = max(data_months(demo)[0], index.first)
    for account in all_accounts(demo):
        assert_frame_equal(adoption.time_to_first_use(demo, account_id=account.account_id, every=first_uses),
                           adoption.time_to_first_use(demo, account_id=account.account_id))
        assert_frame_equal(index.active_users(account.key, first, period.end),
                           adoption.mau(demo, account_id=account.account_id, start=first, end=period.end))
    assert index.active_users(1, add_months(index.first, -1), period.end) is None  # before its months: not known
    with pytest.raises(ValueError):
        RowsByAccount(pd.DataFrame({"account_key": [2, 1], "x": [0, 0]}))
    assert list(RowsByAccount(pd.DataFrame({"account_key": [1, 1, 3], "x": [5, 4, 6]})).of(1)["x"]) == [5, 4]
