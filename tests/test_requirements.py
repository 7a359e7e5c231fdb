"""The requirement pool: requests imported in the customer's words, grouped by a person, and a suggested priority
letter whose every rule is checked on hand-made cases; an override is kept with its reason."""
from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import FIXTURES

from metrics import ingest, requirements
from metrics.accounts import Account
from metrics.errors import DataError
from metrics.requirements import Coverage, Request, coverage_of, suggest
from metrics.store import connect

TODAY = date(2026, 11, 1)


def req(day: date, *, account: str = "A1", type: str = "request", urgency: str = "medium",
        competitor: str | None = None, words: str = "x") -> Request:
    return Request(f"{account}-{day}-{words}", account, day, words, None, None, None, type, urgency, competitor)


NOBODY = Coverage(("A1",), {}, {}, (), (), ())


def letter(requests, coverage=NOBODY, **judged) -> str:
    return suggest(requests, coverage, today=TODAY, **judged).letter


def test_the_nature_sets_the_floor_and_a_competitor_gap_outranks_a_cosmetic_request():
    one = [req(date(2026, 10, 1))]
    assert letter(one) == "C"                                              # nothing known
    assert letter(one, benefit="looks") == letter(one, benefit="brand") == "D"
    assert letter(one, benefit="workload") == "C"
    assert letter(one, benefit="revenue") == letter(one, benefit="cost") == letter(one, benefit="learnability") == "B"
    assert letter(one, capability_gap=True) == "B"
    gap = [req(date(2026, 10, 1), competitor="Rival")]
    assert letter(gap) == "B"                                              # a competitor has it: must have
    assert letter(gap, capability_gap=True) == "A"                         # a gap a competitor solves
    assert letter(one, core_selling_point=True, benefit="looks") == "A"    # our selling points are A
    looks = suggest(one, NOBODY, benefit="looks", today=TODAY)
    rival = suggest(gap, NOBODY, capability_gap=True, today=TODAY)
    assert rival.score > looks.score
    assert [(r.dimension, r.effect, r.code) for r in rival.reasons][0] == ("nature", "floor A", "gap_competitor")


def test_urgency_counts_before_importance_and_a_high_urgency_bug_is_a():
    assert letter([req(date(2026, 10, 1), urgency="high")], benefit="workload") == "B"   # C + 1
    assert letter([req(date(2026, 10, 1), type="bug", urgency="high")], benefit="looks") == "A"
    assert letter([req(date(2026, 10, 1), type="bug")], benefit="looks") == "D"


def test_a_request_raised_many_times_over_months_moves_up_a_bug_does_not_and_the_newest_bug_comes_first():
    spread = [req(date(2026, 3, 1)), req(date(2026, 5, 1)), req(date(2026, 8, 1))]
    assert letter(spread[:1], benefit="workload") == "C"
    assert letter(spread, benefit="workload") == "B"        # 3 requests over 3 months: up one letter
    assert letter(spread, benefit="looks") == "C"           # looks stay low: D + 1 is C, no more
    assert letter(spread[:2], benefit="workload") == "C"    # 2 requests are not a pattern yet
    same_month = [req(date(2026, 8, d)) for d in (1, 2, 3)]
    assert letter(same_month, benefit="workload") == "C"    # 3 requests in one month are not "over months"
    bugs = [req(d, type="bug") for d in (date(2026, 3, 1), date(2026, 5, 1), date(2026, 8, 1))]
    assert letter(bugs, benefit="workload") == "C"          # old bugs are not promoted by age
    old, new = (suggest([req(d, type="bug")], NOBODY, benefit="workload", today=TODAY)
                for d in (date(2026, 4, 1), date(2026, 10, 20)))
    assert old.letter == new.letter == "C" and new.score > old.score


def test_letters_are_bounded_demand_lifts_one_letter_at_most_and_urgency_orders_before_importance():
    """Looks with every demand signal (repeated over months, ten accounts, a benchmark customer, the askers renewing)
    and urgent requests climb two letters from D, not to A; the signals together lift one letter."""
    spread = [req(date(2026, m, 1), account=f"A{m}", urgency="high") for m in (3, 5, 8)]
    loud = Coverage(tuple(f"A{i}" for i in range(requirements.WIDE_ACCOUNTS)), {"USD": 10.0}, {"USD": 10.0}, (), (),
                    ("A3",))
    dark = suggest(spread, loud, benefit="looks", today=TODAY)
    assert dark.letter == "B"                                             # D, +1 urgent, +1 demand
    assert [x.code for x in dark.reasons if x.dimension in ("coverage", "repetition")] == [
        "repeated", "benchmark", "renewing"]
    assert [x.effect for x in dark.reasons].count("+1") == 2
    calm = [req(d.request_date, account=d.account_id) for d in spread]
    assert letter(calm, loud, benefit="looks") == "C"                     # every demand signal: one letter
    assert letter(calm, loud, benefit="workload") == letter(calm[:1], loud, benefit="workload") == "B"
    # urgency decides before importance: within B, an urgent workload saver ranks above a calm revenue request
    urgent = suggest([req(date(2026, 10, 1), urgency="high")], NOBODY, benefit="workload", today=TODAY)
    revenue = suggest([req(date(2026, 10, 1))], NOBODY, benefit="revenue", today=TODAY)
    assert urgent.letter == revenue.letter == "B" and urgent.score > revenue.score
    # then importance: two calm B's, the B floor before the C floor lifted by demand
    lifted = suggest(calm, loud, benefit="workload", today=TODAY)
    assert lifted.letter == "B" and revenue.score > lifted.score


def test_the_distribution_counts_every_letter_in_force():
    class Item:
        def __init__(self, priority):
            self.priority = priority
    assert requirements.distribution([Item("A"), Item("C"), Item("A")]) == {"A": 2, "B": 0, "C": 1, "D": 0}


def account(i: int, acv: float, renewal: date | None, industry: str = "Retail") -> Account:
    return Account(i, f"A{i}", f"Name {i}", industry, "Europe", None, 10, date(2025, 1, 1), 50.0, "USD", acv,
                   renewal)


def test_coverage_counts_accounts_renewing_contract_value_and_benchmark_customers():
    accounts = {a.account_id: a for a in (account(1, 100_000, date(2027, 1, 15)), account(2, 50_000, date(2027, 9, 1)),
                                          account(3, 10_000, None, "Logistics"))}
    asked = [req(date(2026, 10, 1), account="A1"), req(date(2026, 10, 2), account="A2")]
    cov = coverage_of(asked, accounts, [], TODAY)
    # A1 renews in 75 days (within 90): 100,000 of the 150,000 asked for is renewing, two thirds
    assert (cov.accounts, cov.acv, cov.acv_renewing, cov.industries) == (
        ("A1", "A2"), {"USD": 150_000}, {"USD": 100_000}, ("Retail",))
    assert letter(asked, cov, benefit="workload") == "B"
    far = coverage_of([req(date(2026, 10, 1), account="A2")], accounts, [], TODAY)
    assert far.acv_renewing == {} and letter([asked[1]], far, benefit="workload") == "C"
    # WIDE_ACCOUNTS accounts move it up, influential (benchmark) customers counting as INFLUENTIAL accounts each
    star = coverage_of([req(date(2026, 10, 1), account="A3")], accounts, ["A3"], TODAY)
    assert star.benchmark == ("A3",) and letter([asked[0]], star, benefit="workload") == "C"   # weighs 3 of 10
    four = tuple(f"A{i}" for i in range(4))
    assert letter([asked[0]], Coverage(four, {}, {}, (), (), four[:3]), benefit="workload") == "B"   # 4 + 2 x 3
    assert letter([asked[0]], Coverage(four, {}, {}, (), (), four[:2]), benefit="workload") == "C"   # 4 + 2 x 2
    many = Coverage(tuple(f"A{i}" for i in range(requirements.WIDE_ACCOUNTS)), {}, {}, (), (), ())
    assert letter([req(date(2026, 10, 1), type="bug")], many, benefit="workload") == "B"  # a widespread bug


def test_similar_requests_are_suggested_in_chinese_and_english_and_never_merged():
    asked = [req(date(2026, 1, 1), words=w) for w in (
        "希望报表能导出到Excel", "报表导出Excel功能", "能不能支持批量审批", "批量审批希望支持",
        "Please let us export reports to Excel", "Export report to excel please", "移动端打卡经常失败")]
    def like(i):
        return [r.words for r, _ in requirements.similar_to(asked, asked[i].request_id)]
    assert like(0)[0] == "报表导出Excel功能" and "移动端打卡经常失败" not in like(0)
    assert like(2) == ["批量审批希望支持"]
    assert like(4)[0] == "Export report to excel please"
    assert like(6) == []
    # two English sentences share most letters: unrelated requests are not suggested as similar
    unrelated = [req(date(2026, 1, 1), words=w) for w in (
        "Bulk approvals need an audit trail for our auditors", "We need an audit trail for bulk approvals",
        "The AI assistant should answer our Chinese staff in Chinese", "We need SSO with our Azure AD")]
    assert [r.words for r, _ in requirements.similar_to(unrelated, unrelated[0].request_id)] == [
        "We need an audit trail for bulk approvals"]
    assert requirements.similar_to(unrelated, unrelated[2].request_id) == []


@pytest.fixture()
def con(tmp_path):
    con = connect(tmp_path / "r.duckdb")
    ingest.import_file(con, FIXTURES / "metrics" / "accounts.csv")
    (tmp_path / "需求.csv").write_text(
        "客户ID,提出日期,客户原话,提出人,渠道,功能模块,类型,紧急程度,竞品\n"
        "M1,2026-03-01,希望报表能导出到Excel,王经理,QBR,报表,需求,中,\n"
        "M2,2026-05-03,报表导出Excel功能,李工,工单,报表,需求,中,竞品A\n"
        "M1,2026-08-01,报表还是不能导出Excel,王经理,QBR,报表,需求,高,\n"
        "M4,2026-10-20,Mobile check-in fails on Android,Sam,ticket,Mobile check-in,bug,high,\n"
        "M1,2026-07-01,,x,,,,,\n"
        "NOPE,2026-07-01,abc,,,,maybe,soon,\n", encoding="utf-8")
    result = ingest.import_file(con, tmp_path / "需求.csv")
    assert result.kind == "requests" and (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 4, 2)
    assert sorted(result.rejects["reason"]) == [
        "missing value", "must be high, medium or low", "must be request or bug",
        "unknown account (import it in an accounts file first)"]
    again = ingest.import_file(con, tmp_path / "需求.csv", force=True)
    assert (again.rows_loaded, again.rows_unchanged) == (0, 4)  # the same ids: nothing changes
    return con


def test_requests_group_into_requirements_ranked_and_an_override_is_kept_with_its_reason(con):
    asked = requirements.requests_of(con)
    assert [r.words for r in asked][:1] == ["希望报表能导出到Excel"] and asked[0].urgency == "medium"
    excel = requirements.create(con, "报表导出 Excel", [r.request_id for r in asked if "Excel" in r.words],
                                user="ops")
    bug = requirements.create(con, "Android check-in", [asked[-1].request_id], user="ops")
    ranked = requirements.board(con, today=TODAY)
    # the bug: high urgency, A; the Excel export: a competitor has it (B), high urgency once (+1: A), raised 3
    # times over 3 months (A is the top). Both A and both urgent: by score, the urgent bug 1000 + 300 (stability
    # first: ranked as important as A) + 5 (one account) + 29.1 (12 days old) before the export 1000 + 200 (floor
    # B) + 10 (two accounts) + 3 (three requests)
    assert [(r.requirement_id, r.priority) for r in ranked] == [(bug, "A"), (excel, "A")]
    assert ranked[1].suggestion.score == pytest.approx(1213)
    top = {r.requirement_id: r for r in ranked}
    assert [x.code for x in top[excel].suggestion.reasons] == ["competitor_has", "urgent", "repeated", "demand_up"]
    assert top[excel].coverage.accounts == ("M1", "M2")
    # a person sets C with a reason: the letter in force changes, the suggestion stays, both are on record
    with pytest.raises(DataError, match="needs a reason"):
        requirements.update(con, excel, user="pm", priority="C")
    requirements.update(con, excel, user="pm", priority="C", priority_reason="export exists in v3.2 via API",
                        suggested=top[excel].suggestion.letter)
    after = {r.requirement_id: r for r in requirements.board(con, today=TODAY)}
    assert (after[excel].priority, after[excel].suggestion.letter) == ("C", "A")
    assert [r.requirement_id for r in requirements.board(con, today=TODAY)] == [bug, excel]
    last = requirements.history(con, excel).iloc[0]
    assert (last["priority"], last["suggested"], last["priority_reason"], last["saved_by"]) == (
        "C", "A", "export exists in v3.2 via API", "pm")
    # shipped needs a version and a date; not supported needs the reason, and the request keeps its words
    with pytest.raises(DataError, match="needs the version and the date"):
        requirements.update(con, bug, user="pm", status="shipped")
    requirements.update(con, bug, user="pm", status="not_supported", status_note="Android 8 is out of support")
    assert requirements.details(con, bug)["status"] == "not_supported"
    shelved = next(r for r in requirements.board(con, today=TODAY) if r.requirement_id == bug)
    assert (shelved.status, shelved.requests[0].words) == ("not_supported", "Mobile check-in fails on Android")
    # moving a request to another requirement takes it out of the first
    requirements.group(con, bug, [asked[0].request_id])
    counts = {r.requirement_id: len(r.requests) for r in requirements.board(con, today=TODAY)}
    assert counts == {excel: 2, bug: 2}


def test_every_rule_is_worded_in_both_languages():
    """Every reason suggest can give, over a grid of cases, has words in English and Chinese."""
    import itertools

    import wording

    codes = set()
    many = Coverage(tuple(f"A{i}" for i in range(requirements.WIDE_ACCOUNTS)), {}, {}, (), (), ())
    star = Coverage(("A1", "A2", "A3", "A4"), {}, {}, (), (), ("A1", "A2", "A3"))
    renewing = Coverage(("A1",), {"USD": 10.0}, {"USD": 10.0}, (), (), ())
    spread = [req(date(2026, m, 1)) for m in (3, 5, 8)]
    for kind, urgency, competitor, gap, core, benefit, cov, n in itertools.product(
            ("request", "bug"), ("high", "low"), (None, "Rival"), (False, True), (False, True),
            (None, *requirements.BENEFITS), (NOBODY, many, star, renewing), (1, 3)):
        asked = [Request(r.request_id, r.account_id, r.request_date, r.words, None, None, None, kind, urgency,
                         competitor) for r in spread[:n]]
        result = suggest(asked, cov, capability_gap=gap, core_selling_point=core, benefit=benefit, today=TODAY)
        for reason in result.reasons:
            codes.add(reason.code)
            for lang in ("en", "zh"):
                assert wording.requirement_reason(reason.code, reason.values, lang)
    assert codes == set(wording._PRIORITY["en"]) == set(wording._PRIORITY["zh"])


def test_the_cli_prints_the_ranked_board_with_reasons_coverage_and_the_customers_words(con, tmp_path, capsys):
    import json

    import cli

    asked = requirements.requests_of(con)
    excel = requirements.create(con, "报表导出 Excel", [r.request_id for r in asked if "Excel" in r.words], user="ops")
    db = str(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0])
    assert cli.main(["requests", "--json", "--today", "2026-11-01", "--db", db]) == 0
    printed = json.loads(capsys.readouterr().out)
    top = printed["requirements"][0]
    assert (top["requirement_id"], top["priority"], top["suggested_priority"]) == (excel, "A", "A")
    assert top["coverage"]["accounts"] == ["M1", "M2"]
    assert [r["words"] for r in top["requests"]] == [
        "希望报表能导出到Excel", "报表导出Excel功能", "报表还是不能导出Excel"]
    assert top["reasons"][0]["text"] == "a competitor has it (竞品A): must have, B"
    assert [r["words"] for r in printed["ungrouped"]] == ["Mobile check-in fails on Android"]
    assert cli.main(["requests", "--lang", "zh", "--today", "2026-11-01", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "1 个需求项（按优先级排列）；1 条客户需求尚未归并" in out and "竞品已有（竞品A）：必须有，B" in out


def test_after_a_release_the_requesting_accounts_use_of_its_features_against_the_others_by_hand(tmp_path):
    con = connect(tmp_path / "loop.duckdb")
    for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
        ingest.import_file(con, FIXTURES / "metrics" / name)
    (tmp_path / "requests.csv").write_text("account_id,request_date,words\nM2,2025-05-20,Dispatch please\n",
                                           encoding="utf-8")
    ingest.import_file(con, tmp_path / "requests.csv")
    made = requirements.create(con, "Dispatch", [r.request_id for r in requirements.requests_of(con)], user="pm")
    item = requirements.board(con, today=date(2025, 9, 1))[0]
    assert requirements.loop(con, item, end=date(2025, 9, 1)) is None  # not shipped yet
    requirements.update(con, made, user="pm", status="shipped", shipped_version="1.1",
                        shipped_date=date(2025, 6, 15), features=["Dispatch"])
    item = requirements.board(con, today=date(2025, 9, 1))[0]
    got = requirements.loop(con, item, end=date(2025, 9, 1))
    # live before the release: M1 (2025-04-10), M2 (2025-06-01), M4 (2025-04-01); months after June: July, August.
    # M2 asked: no Dispatch before June, first after it on 2025-07-08 (23 days after the release), 1 use x 6 min.
    # M1 used Dispatch in April and May, and once on 2025-08-01 (0.1 h); M4 has no events.
    assert got["requesting"] == requirements.LoopGroup(1, 1.0, 1, 23, pytest.approx(0.1 / 2))
    assert got["others"] == requirements.LoopGroup(2, 0.5, 0, None, pytest.approx(0.1 / 4))
    assert requirements.loop(con, item, end=date(2025, 7, 1)) is None  # no full month after the release month yet


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_board_workbook_for_product_ranks_requirements_with_reasons_and_the_customers_words(con, tmp_path, lang):
    import io

    import openpyxl

    from exports.requirements import board_xlsx
    from wording.exports import STRINGS as BOOK

    asked = requirements.requests_of(con)
    formula = requirements.add_request(con, account_id="M2", request_date=date(2026, 10, 30),
                                       words="=HYPERLINK(\"http://x\") export please", user="csm")
    excel = requirements.create(con, "报表导出 Excel", [r.request_id for r in asked if "Excel" in r.words] + [formula],
                                user="ops")
    bug = requirements.create(con, "Android check-in", [asked[-1].request_id], user="ops")
    requirements.update(con, bug, user="pm", priority="C", priority_reason="only Android 8")
    items = requirements.board(con, today=TODAY)
    ws = openpyxl.load_workbook(io.BytesIO(board_xlsx(items, lang))).active
    header = [c.value for c in ws[3]]
    assert header[:3] == [BOOK[lang]["board_col_priority"], BOOK[lang]["board_col_suggested"],
                          BOOK[lang]["board_col_title"]]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert [(r[0], r[1], r[2]) for r in rows] == [(i.priority, i.suggestion.letter, i.title) for i in items]
    first = rows[0]
    assert first[2] == "报表导出 Excel" and first[6] == 2 and first[12] == 4  # two accounts, four requests
    assert first[13].splitlines()[0].endswith("=HYPERLINK(\"http://x\") export please")  # the newest first
    assert ws.cell(4, 14).data_type == "s"  # customer text is never a formula
    assert BOOK[lang]["board_override"].format(reason="only Android 8") in rows[1][5]
    assert excel in {i.requirement_id for i in items}


def test_the_follow_up_list_holds_what_is_not_shipped_and_unchanged_for_the_chosen_age(con):
    from datetime import datetime

    asked = requirements.requests_of(con)
    old = requirements.create(con, "old", [asked[0].request_id], user="ops")
    shipped = requirements.create(con, "shipped", [asked[1].request_id], user="ops")
    requirements.update(con, shipped, user="pm", status="shipped", shipped_version="2.0",
                        shipped_date=date(2026, 1, 1))
    con.execute("UPDATE requirements SET updated_at = ?", [datetime(2026, 1, 1)])  # both last changed on 1 January
    items = requirements.board(con, today=TODAY)
    assert [i.title for i in requirements.follow_up(items, today=TODAY)] == ["old"]  # 304 days >= 90
    assert requirements.follow_up(items, today=TODAY, days=305) == []
    assert [(v, [i.title for i in shipped_items]) for v, shipped_items in requirements.release_notes(items).items()] \
        == [("2.0", ["shipped"])]
    assert old != shipped


def test_every_refusal_is_said_in_chinese_too(con):
    import wording

    asked = requirements.requests_of(con)
    made = requirements.create(con, "x", [asked[0].request_id], user="ops")
    refusals = []
    for change in ({"status": "done"}, {"priority": "E"}, {"priority": "A"}, {"benefit": "speed"},
                   {"status": "shipped"}, {"status": "not_supported"}):
        with pytest.raises(DataError) as refused:
            requirements.update(con, made, user="pm", **change)
        refusals.append(str(refused.value))
    for call in (lambda: requirements.create(con, " ", [], user="ops"),
                 lambda: requirements.group(con, made, ["nope"]),
                 lambda: requirements.add_request(con, account_id="M1", request_date=date(2026, 1, 1), words=" ",
                                                  user="csm")):
        with pytest.raises(DataError) as refused:
            call()
        refusals.append(str(refused.value))
    for message in refusals:
        zh = wording.reason(message, "zh")
        assert zh != message and not re.search(r"[a-z]{4,}", zh.replace("nope", "")), (message, zh)


# ---------------------------------------------------------------- requests CS already grouped (issue 46, 1 and 2)

def _pool(tmp_path):
    from metrics.demo import load_demo

    con = connect(tmp_path / "pool.duckdb")
    load_demo(con)
    return con


def _members(con, title: str) -> list[str]:
    return [r for (r,) in con.execute("""SELECT request_id FROM requirement_requests JOIN requirements
                                         USING (requirement_id) WHERE title = ? ORDER BY 1""", [title]).fetchall()]


def test_requests_import_grouped_into_requirements_matched_by_title_in_any_case_or_width(tmp_path):
    import wording

    con = _pool(tmp_path)
    before = con.execute("SELECT count(*) FROM requirements").fetchall()[0][0]
    path = tmp_path / "需求汇总表.csv"
    path.write_text("需求编号,客户ID,提出日期,客户原话,需求名称\n"
                    "G1,A001,2026-10-02,希望支持深色主题,ＤＡＲＫ　ＭＯＤＥ\n"          # full width, upper case
                    "G2,A002,2026-10-03,Bulk edit of orders please,Bulk order editing\n"
                    "G3,A003,2026-10-04,批量修改订单,bulk ORDER  editing\n"
                    "G4,A004,2026-10-05,No requirement given,\n", encoding="utf-8")
    result = ingest.import_file(con, path)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("requests", 4, 0)
    assert "requirements: 1 created, 1 extended" in result.warnings
    assert wording.reason("requirements: 1 created, 1 extended", "zh") == "需求项：新建 1 个，补充 1 个"
    assert con.execute("SELECT count(*) FROM requirements").fetchall()[0][0] == before + 1
    assert "G1" in _members(con, "深色模式 / Dark mode")
    assert _members(con, "Bulk order editing") == ["G2", "G3"]
    assert not con.execute("SELECT * FROM requirement_requests WHERE request_id = 'G4'").fetchall()
    again = ingest.import_file(con, path, force=True)
    assert "requirements: 0 created, 0 extended" in again.warnings


def test_the_cli_groups_requests_in_bulk_by_ids_or_a_two_column_file(tmp_path, capsys):
    from cli import main

    db = str(tmp_path / "pool.duckdb")
    _pool(tmp_path).close()
    con = connect(db)
    loose = [r for (r,) in con.execute("""SELECT request_id FROM requests LEFT JOIN requirement_requests
                                          USING (request_id) WHERE requirement_id IS NULL ORDER BY 1""").fetchall()]
    con.close()
    assert main(["requests", "--group", loose[0], loose[1], "--into", "dark MODE", "--db", db]) == 0
    assert "2 requests grouped: 0 requirements created, 1 extended" in capsys.readouterr().out
    sheet = tmp_path / "grouping.csv"
    sheet.write_text(f"需求编号,需求名称\n{loose[2]},离线模式 / Offline mode\n{loose[3]},OFFLINE MODE\n", "utf-8")
    assert main(["requests", "--group-file", str(sheet), "--json", "--db", db]) == 0
    assert '"created": 1' in capsys.readouterr().out
    snapshot = None
    con = connect(db)
    assert _members(con, "离线模式 / Offline mode") == sorted(loose[2:4])
    snapshot = con.execute("SELECT * FROM requirement_requests ORDER BY ALL").fetchall()
    con.close()
    assert main(["requests", "--group", loose[4], "NOPE", "--into", "x", "--db", db]) == 2
    assert "unknown request NOPE" in capsys.readouterr().err
    con = connect(db)
    assert con.execute("SELECT * FROM requirement_requests ORDER BY ALL").fetchall() == snapshot  # nothing changed
    con.close()


DEMO_TODAY = date(2026, 12, 7)


def test_the_demo_board_tells_requirements_apart_with_histories_that_leave_follow_up_work(demo_db):
    """The demo's 21 requirements: titled in both languages, all four letters with at most half A, each saved on
    the days its status changed (so the follow-up list has the ones left for months), and applied twice unchanged."""
    import json

    from metrics.case_study import case_study_candidates
    from metrics.demo import DEMO_DIR
    from metrics.period import default_period
    from wording import title_in

    con = connect(demo_db)
    period = default_period(con)
    stars = list(case_study_candidates(con, start=period.start, end=period.end)["account_id"])
    items = requirements.board(con, today=DEMO_TODAY, benchmark=stars)
    spread = requirements.distribution(items)
    assert len(items) >= 20 and all(spread.values()) and spread["A"] <= len(items) / 2, spread
    assert all(title_in(i.title, "en") != title_in(i.title, "zh") for i in items)
    # Excel export: created three days after its first request, then accepted, scheduled, in progress, shipped
    excel = next(i for i in items if title_in(i.title, "en") == "Export reports to Excel")
    saves = requirements.history(con, excel.requirement_id).sort_values("saved_at")
    assert list(saves["status"]) == ["new", "accepted", "scheduled", "in_progress", "shipped"]
    assert [d.date().isoformat() for d in saves["saved_at"]][1:] == ["2025-08-20", "2026-01-12", "2026-03-02",
                                                                     "2026-06-15"]
    first = min(r.request_date for r in excel.requests)
    assert (saves["saved_at"].iloc[0].date() - first).days == 3
    assert saves["saved_at"].iloc[-1].date() == excel.fields["shipped_date"]
    # the follow-up list: open requirements unchanged for 90 days, the oldest first; recent changes are not on it
    stale = requirements.follow_up(items, today=DEMO_TODAY)
    assert len(stale) >= 5 and all(i.status != "shipped" for i in stale)
    assert all((DEMO_TODAY - i.fields["updated_at"].date()).days >= 90 for i in stale)
    assert [i.fields["updated_at"] for i in stale] == sorted(i.fields["updated_at"] for i in stale)
    recent = {title_in(i.title, "en") for i in items} - {title_in(i.title, "en") for i in stale}
    assert "Bulk approval on mobile" in recent and "Dark mode" in {title_in(i.title, "en") for i in stale}
    # applying the demo's requirements again changes nothing
    before = table_of(con)
    made = json.loads((DEMO_DIR / "requirements.json").read_text(encoding="utf-8"))
    assert requirements.apply(con, made, user="demo") == [] and table_of(con) == before
    con.close()


def table_of(con) -> list[tuple]:
    return con.execute("SELECT * FROM requirement_history ORDER BY ALL").fetchall()
