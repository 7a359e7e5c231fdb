"""The people behind an account's numbers, by hand on the fixture account M1, and each segment rule on made-up
rows: hours saved per user add up to the account's, training lists, value concentration."""
from __future__ import annotations

import json
import re
from datetime import date

import pandas as pd
import pytest
from conftest import FIXTURES

from metrics import ingest, people, report
from metrics.accounts import get_account
from metrics.demo import load_demo
from metrics.period import Period
from metrics.store import connect

PERIOD = Period(date(2025, 5, 1), date(2025, 8, 1))


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "p.duckdb"
    con = connect(path)
    for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
        ingest.import_file(con, FIXTURES / "metrics" / name)
    (tmp_path / "用户.csv").write_text("用户ID,客户ID,姓名,邮箱,角色,部门\nu1,M1,王芳,wf@example.cn,调度员,运营部\n"
                                     "u9,M1,李雷,ll@example.cn,经理,运营部\n", encoding="utf-8")
    assert ingest.import_file(con, tmp_path / "用户.csv").rows_loaded == 2
    return con, path


def test_each_users_activity_and_hours_by_hand_and_they_add_up_to_the_accounts(db):
    con, _ = db
    frame = people.people(con, get_account(con, "M1"), PERIOD).set_index("user_id")
    # u1: May 5 (2 dispatches), Jun 2 (dispatch), Jun 3 (chat): 3 days, 4 events, 3 x 6 min = 0.3 h; Aug 1 is after
    # u2: 10 + 20 + 0 scanned items x 3 min = 1.5 h on May 6, Jul 1, Jul 2; u3: one dispatch on Jun 4, 0.1 h
    assert frame.loc["u1", ["active_days", "events"]].tolist() == [3, 4]
    assert frame.loc["u1", "hours_saved"] == pytest.approx(0.3) and frame.loc["u1", "value_features"] == ["Dispatch"]
    assert (frame.loc["u1", "name"], frame.loc["u1", "department"]) == ("王芳", "运营部")
    assert frame.loc["u1", "last_active"] == date(2025, 6, 3)
    assert str(frame.loc["u1", "first_activity"]) == "2025-04-20 09:00:00"
    assert frame.loc["u2", ["active_days", "events"]].tolist() == [3, 3]
    assert frame.loc["u2", "hours_saved"] == pytest.approx(1.5) and frame.loc["u2", "last_active"] == date(2025, 7, 2)
    assert frame.loc["u3", "hours_saved"] == pytest.approx(0.1)
    account = report.account_report(con, account_id="M1", period=PERIOD).cost.hours_saved
    assert frame["hours_saved"].sum() == pytest.approx(account, abs=1e-9) and account == pytest.approx(1.9)
    # segments: u1 and u3 last active 58 and 57 days before the period's last day: dormant; u2, 29 days: active,
    # 1 active day a month: occasional; u9 is in the directory without any activity: never active
    assert frame["segment"].to_dict() == {"u2": "occasional", "u1": "dormant", "u3": "dormant",
                                          "u9": "never_active"}
    assert people.segment_counts(frame.reset_index()) == {"champion": 0, "regular": 0, "occasional": 1,
                                                          "dormant": 2, "never_active": 1}


def test_training_lists_are_the_active_users_who_did_not_use_the_feature(db):
    con, _ = db
    account = get_account(con, "M1")
    frame = people.people(con, account, PERIOD)
    lists = people.training(con, account, PERIOD, ["Dispatch", "Scan"], frame)
    assert list(lists["Dispatch"]["user_id"]) == ["u2"]
    assert list(lists["Scan"]["user_id"]) == ["u1", "u3"]  # most active first
    rep = report.account_report(con, account_id="M1", period=PERIOD)
    features = {f.feature: f for f in rep.adoption.features}
    assert len(lists["Scan"]) == 3 - features["Scan"].adopters  # 3 active users, 1 adopter


def test_concentration_of_hours_and_the_single_champion_flag(db):
    con, _ = db
    got = people.concentration(people.people(con, get_account(con, "M1"), PERIOD))
    assert (got.top1_share, got.top3_share, got.single_champion) == (pytest.approx(1.5 / 1.9), pytest.approx(1.0),
                                                                      True)
    even = pd.DataFrame({"hours_saved": [1.0, 1.0, 1.0, 1.0]})
    assert people.concentration(even) == people.Concentration(0.25, 0.75, False)
    half = pd.DataFrame({"hours_saved": [2.0, 1.0, 1.0]})
    assert people.concentration(half).single_champion is False  # exactly half is not more than half
    assert people.concentration(pd.DataFrame({"hours_saved": [0.0]})) == people.Concentration(None, None, False)


def row(user: str, days: int, features: int, last: date | None) -> dict:
    return {"user_id": user, "active_days": days, "value_features": [f"f{i}" for i in range(features)],
            "last_active": last}


def test_each_segment_rule_on_made_up_users():
    period = Period(date(2026, 1, 1), date(2026, 4, 1))  # 3 months, last day 2026-03-31
    recent = date(2026, 3, 30)
    users = [row(f"u{i:02d}", 6, 2, recent) for i in range(18)]  # 2 active days a month: occasional
    users += [row("top", 30, 5, recent),        # the most active, broad: champion
              row("second", 29, 5, recent),     # in the top 10 % of 21 active users (3), broad: champion
              row("narrow", 28, 2, recent),     # in the top 3 but only 2 value features: regular (28 / 3 >= 4)
              row("quiet", 40, 6, date(2026, 3, 1)),  # last active 30 days before the last day: dormant
              row("nobody", 0, 0, None)]        # no activity: never active
    got = dict(zip([u["user_id"] for u in users], people.segment_of(pd.DataFrame(users), period)))
    assert (got["top"], got["second"], got["narrow"], got["quiet"], got["nobody"]) == (
        "champion", "champion", "regular", "dormant", "never_active")
    assert {got[f"u{i:02d}"] for i in range(18)} == {"occasional"}
    # below the absolute minimum a top user is not a champion
    small = [row("only", people.CHAMPION_DAYS - 1, 5, recent)]
    assert people.segment_of(pd.DataFrame(small), period) == ["occasional"]


def test_the_cli_prints_each_users_segment_and_hours_training_and_concentration(db, capsys):
    import cli

    _, path = db
    assert cli.main(["users", "--account", "M1", "--start", "2025-05", "--end", "2025-08", "--json",
                     "--db", str(path), "--training", "Dispatch,Scan"]) == 0
    printed = json.loads(capsys.readouterr().out)
    by_user = {u["user_id"]: u for u in printed["users"]}
    assert (by_user["u2"]["segment"], by_user["u2"]["hours_saved"]) == ("occasional", pytest.approx(1.5))
    assert printed["training"] == {"Dispatch": ["u2"], "Scan": ["u1", "u3"]}
    assert printed["concentration"] == {"top1_share": pytest.approx(1.5 / 1.9), "top3_share": pytest.approx(1.0),
                                        "single_champion": True}
    assert printed["segments"]["never_active"] == 1


def test_people_are_shown_by_name_initials_or_a_pseudonym_stable_within_one_export_only():
    frame = pd.DataFrame({"user_id": ["u1", "u2", "u3"], "name": ["王芳", "John Smith", None]})
    assert people.labels(frame, "names", b"k") == ["王芳", "John Smith", "u3"]
    first = people.labels(frame, "initials", b"k")
    assert first[:2] == ["王*", "J. S."] and first[2].startswith("#") and "u3" not in first[2]
    one, again, other = (people.labels(frame, "pseudonyms", key) for key in (b"k", b"k", b"other"))
    assert one == again and one != other and len(set(one)) == 3
    assert all(re.fullmatch(r"#[0-9A-F]{6}", p) for p in one)
    with pytest.raises(ValueError):
        people.labels(frame, "emails", b"k")


def test_the_deck_lists_trainees_only_when_asked_and_never_by_user_id_as_a_pseudonym(tmp_path):
    import io

    from pptx import Presentation

    from exports.deck import qbr_deck_pptx
    from wording.exports import STRINGS as DECK

    con = connect(tmp_path / "d.duckdb")
    load_demo(con)
    from metrics.period import default_period

    period = default_period(con)

    def slides(people_as):
        prs = Presentation(io.BytesIO(qbr_deck_pptx(con, "A001", period, "en", people_as=people_as)))
        titled = [(s.shapes.title.text, s) for s in prs.slides if s.shapes.title is not None]
        text = "\n".join(c.text for title, s in titled for sh in s.shapes if sh.has_table
                         and title.startswith(DECK["en"]["deck_trainees"]) for row in sh.table.rows for c in row.cells)
        return [t for t, _ in titled], text

    titles, text = slides(None)
    assert not any(t.startswith(DECK["en"]["deck_trainees"]) for t in titles) and "A001-U" not in text
    titles, text = slides("pseudonyms")
    assert any(t.startswith(DECK["en"]["deck_trainees"]) for t in titles)
    shown = re.findall(r"#[0-9A-F]{6}", text)
    assert "A001-U" not in text and shown
    rep = report.account_report(con, account_id="A001", period=period)
    assert len(shown) == sum(u.non_adopters for u in rep.adoption.underused_features)


def test_the_cli_writes_the_training_lists_as_a_workbook_a_sheet_a_feature(db, tmp_path, capsys):
    import openpyxl

    import cli
    from wording.exports import STRINGS as BOOK

    _, path = db
    out = tmp_path / "培训.xlsx"
    assert cli.main(["users", "--account", "M1", "--start", "2025-05", "--end", "2025-08", "--db", str(path),
                     "--training", "Dispatch,Scan", "--xlsx", str(out), "--lang", "zh"]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Dispatch", "Scan"]
    scan = book["Scan"]
    assert scan.cell(1, 1).value == BOOK["zh"]["training_sheet_title"].format(feature="Scan", n=2)
    assert [scan.cell(r, 1).value for r in (4, 5)] == ["u1", "u3"] and scan.cell(4, 2).value == "王芳"
    assert scan.cell(6, 1).value is None


def test_case_studies_and_an_anonymized_deck_carry_no_user_identifier(tmp_path):
    import io

    from pptx import Presentation

    from exports import case_study as draft
    from exports.deck import qbr_deck_pptx
    from metrics.case_study import case_study
    from metrics.period import default_period

    con = connect(tmp_path / "c.duckdb")
    load_demo(con)
    period = default_period(con)
    study = case_study(con, account_id="A001", start=period.start, end=period.end)
    for lang in ("en", "zh"):
        assert "A001-U" not in draft.draft(study, lang)
        slides = Presentation(io.BytesIO(draft.case_study_pptx(study, lang))).slides
        assert "A001-U" not in "\n".join(sh.text_frame.text for s in slides for sh in s.shapes if sh.has_text_frame)
    deck = Presentation(io.BytesIO(qbr_deck_pptx(con, "A001", period, "zh", people_as="pseudonyms")))
    text = "\n".join(sh.text_frame.text for s in deck.slides for sh in s.shapes if sh.has_text_frame)
    text += "\n".join(c.text for s in deck.slides for sh in s.shapes if sh.has_table
                      for row in sh.table.rows for c in row.cells)
    assert "A001-U" not in text


def test_a_training_list_downloaded_as_csv_never_carries_a_live_formula():
    from ui.downloads import csv_bytes

    users = pd.DataFrame({"user_id": ["u1", "u2"], "name": ["=HYPERLINK(\"http://x\",\"hi\")", "王芳"],
                          "active_days": [3, 1]})
    text = csv_bytes(users).decode("utf-8-sig").splitlines()
    assert text[1] == "u1,\"'=HYPERLINK(\"\"http://x\"\",\"\"hi\"\")\",3" and text[2] == "u2,王芳,1"
