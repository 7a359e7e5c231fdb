"""Import: every kind in CSV, XLSX and Parquet, encodings, rejects, atomicity, idempotency, rollups."""
from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pytest
from conftest import FIXTURES, csv_to_xlsx, snapshot, table
from openpyxl import Workbook

from metrics import ingest
from metrics.store import DataError, connect

ACCOUNTS = [
    (1, "A1", "Acme Logistics", "Logistics", "North America", "Mid-market", 100, date(2025, 3, 15), 50.0, "USD",
     60000.0, date(2026, 3, 1), None, None),  # no business case, no CRM id in these files
    (2, "A2", "华东物流集团", "Logistics", "East China", "Enterprise", 300, date(2025, 4, 1), 150.0, "CNY",
     900000.0, None, None, None),
    (3, "A3", "Never Live Ltd", "Retail", "Europe", "SMB", 20, None, 40.0, "EUR", 12000.0, None, None, None),
]
VALUE_DRIVERS = [
    ("Dispatch", 5.0, "use", "efficiency", "Routes orders automatically"),
    ("Reports", 2.5, "unit", "cost", None),
    ("智能排班", 12.0, "use", "efficiency", "自动排班"),
]
# (account_key, user_key, feature_key, event_time, month, duration_seconds, units); Dispatch=1, Reports=2, 智能排班=3
EVENTS = [  # ..., duration_seconds, units, event_count (1: a raw event), event_id
    (1, 1, 1, datetime(2025, 3, 3, 9), date(2025, 3, 1), 60.0, 2.0, 1, None),
    (1, 1, 1, datetime(2025, 3, 3, 10), date(2025, 3, 1), 30.0, 1.0, 1, None),
    (1, 1, 2, datetime(2025, 3, 10, 9, 30), date(2025, 3, 1), 120.0, None, 1, None),
    (1, 2, 1, datetime(2025, 3, 4, 14), date(2025, 3, 1), 45.0, 3.0, 1, None),
    (1, 2, 3, datetime(2025, 4, 1, 8), date(2025, 4, 1), 600.0, 0.0, 1, None),
    (2, 3, 1, datetime(2025, 4, 2, 9), date(2025, 4, 1), 10.0, 5.0, 1, None),
    (2, 3, 3, datetime(2025, 4, 2, 9, 5), date(2025, 4, 1), 20.0, None, 1, None),
]
OUTCOMES = [
    (1, date(2025, 1, 1), 1000.0, 10.0, 1600.0),
    (1, date(2025, 2, 1), 1100.0, 10.0, 1600.0),
    (1, date(2025, 3, 1), 1320.0, 11.0, 1700.0),
    (2, date(2025, 3, 1), 50000.0, 250.0, None),
]
# rollups of EVENTS, worked out by hand
USER_MONTH = [
    (1, 1, date(2025, 3, 1), 2, 3, 210.0, 3.0, 2, [1, 2]),
    (1, 2, date(2025, 3, 1), 1, 1, 45.0, 3.0, 1, [1]),
    (1, 2, date(2025, 4, 1), 1, 1, 600.0, 0.0, 1, [3]),
    (2, 3, date(2025, 4, 1), 1, 2, 30.0, 5.0, 2, [1, 3]),
]
FEATURE_MONTH = [
    (1, 1, date(2025, 3, 1), 2, 3, 6.0, 135.0, datetime(2025, 3, 3, 9)),
    (1, 2, date(2025, 3, 1), 1, 1, 0.0, 120.0, datetime(2025, 3, 10, 9, 30)),
    (1, 3, date(2025, 4, 1), 1, 1, 0.0, 600.0, datetime(2025, 4, 1, 8)),
    (2, 1, date(2025, 4, 1), 1, 1, 5.0, 10.0, datetime(2025, 4, 2, 9)),
    (2, 3, date(2025, 4, 1), 1, 1, 0.0, 20.0, datetime(2025, 4, 2, 9, 5)),
]
ACCOUNT_MONTH = [
    (1, date(2025, 3, 1), 2, 3, 4, 255.0, 6.0, 2),
    (1, date(2025, 4, 1), 1, 1, 1, 600.0, 0.0, 1),
    (2, date(2025, 4, 1), 1, 1, 2, 30.0, 5.0, 2),
]
STORED = {
    "accounts": ("SELECT * FROM account ORDER BY account_key", ACCOUNTS),
    "value_drivers": ("SELECT f.feature, v.minutes_saved, v.basis, v.category, v.description FROM value_drivers v "
                      "JOIN feature f USING (feature_key) ORDER BY f.feature", VALUE_DRIVERS),
    "events": ("SELECT * FROM events ORDER BY account_key, user_key, event_time", EVENTS),
    "outcomes": ("SELECT * FROM outcomes ORDER BY account_key, month", OUTCOMES),
}
# a user-month with the features its user used then (user_feature_month's)
USER_MONTH_QUERY = """SELECT r.*, (SELECT list_sort(list(f.feature_key)) FROM user_feature_month AS f
                                   WHERE f.account_key = r.account_key AND f.user_key = r.user_key
                                     AND f.month = r.month) AS feature_keys
                      FROM account_user_month AS r"""
ROLLUPS = {
    "account_user_month": (USER_MONTH_QUERY + " ORDER BY ALL", USER_MONTH),
    "account_feature_month": ("SELECT * FROM account_feature_month ORDER BY ALL", FEATURE_MONTH),
    "account_month": ("SELECT * FROM account_month ORDER BY ALL", ACCOUNT_MONTH),
}


def _as_format(name: str, fmt: str, tmp_path) -> object:
    source = FIXTURES / name
    return csv_to_xlsx(source, tmp_path / source.with_suffix(".xlsx").name) if fmt == "xlsx" else source


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_each_kind_loads_from_csv_and_xlsx_into_typed_coded_tables(con, tmp_path, fmt):
    for kind in ("accounts", "value_drivers", "events", "outcomes"):
        result = ingest.import_file(con, _as_format(f"{kind}.csv", fmt, tmp_path))
        expected_rows = len(STORED[kind][1])
        assert (result.kind, result.rows_loaded, result.rows_rejected, result.skipped) == (kind, expected_rows, 0,
                                                                                           False)
    for kind, (query, expected) in STORED.items():
        assert table(con, query) == expected, kind
    assert table(con, "SELECT user_key, account_key, user_id FROM users ORDER BY user_key") == [
        (1, 1, "u1"), (2, 1, "u2"), (3, 2, "张伟")]


def test_an_xlsx_with_native_dates_and_numbers_loads_like_text(con, tmp_path):
    ingest.import_file(con, FIXTURES / "accounts.csv")
    wb = Workbook()
    wb.active.append(["客户ID", "月份", "产出量", "人数", "工时"])
    wb.active.append(["A1", datetime(2025, 1, 1), 1000, 10, 1600.0])
    wb.active.append(["A1", "2025-02", 1100.0, 10, 1600])
    wb.active.append(["A1", 45717, 1320, 11, 1700])  # Excel serial day number for 2025-03-01
    wb.save(tmp_path / "产出.xlsx")
    result = ingest.import_file(con, tmp_path / "产出.xlsx")
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("outcomes", 3, 0)
    assert table(con, STORED["outcomes"][0]) == OUTCOMES[:3]


def test_parquet_events_load_like_csv(loaded, tmp_path):
    target = tmp_path / "events.parquet"
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{FIXTURES / 'events.csv'}', all_varchar=true)) TO '{target}'")
    result = ingest.import_file(loaded, target)
    assert (result.kind, result.rows_read, result.rows_loaded, result.rows_unchanged) == ("events", 7, 0, 7)


def test_rollups_equal_figures_counted_by_hand_from_the_raw_events(loaded):
    for name, (query, expected) in ROLLUPS.items():
        assert table(loaded, query) == expected, name


@pytest.mark.parametrize("name, encoding", [("accounts_zh.csv", "utf-8"), ("accounts_zh_bom.csv", "utf-8 with BOM"),
                                            ("accounts_zh_gbk.csv", "gb18030")])
def test_utf8_bom_and_gbk_files_with_chinese_headers_and_values_load_the_same(con, name, encoding):
    result = ingest.import_file(con, FIXTURES / name)
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("accounts", 2, 0)
    assert table(con, "SELECT account_id, account_name, industry, region, seats, go_live_date, hourly_cost, currency "
                      "FROM account ORDER BY account_id") == [
        ("A1", "Acme Logistics", "Logistics", "North America", 100, date(2025, 3, 15), 50.0, "USD"),
        ("A2", "华东物流集团", "物流", "华东", 300, date(2025, 4, 1), 150.0, "CNY"),
    ]
    assert table(con, "SELECT encoding FROM imports") == [(encoding,)]


def test_bad_rows_are_rejected_with_line_column_and_reason_while_good_rows_load(loaded):
    result = ingest.import_file(loaded, FIXTURES / "events_bad.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_unchanged, result.rows_rejected) == (7, 1, 1, 5)
    expected = [
        (3, "duration_seconds", "-5", "must be >= 0"),
        (4, "account_id", "A9", "unknown account (import it in an accounts file first)"),
        (5, "user_id", None, "missing value"),
        (6, "event_time", "yesterday", "not a date/time (use YYYY-MM-DD HH:MM:SS)"),
        (7, "duration_seconds", "abc", "not a number"),
    ]
    assert table(loaded, "SELECT line, column_name, value, reason FROM rejects ORDER BY line") == expected
    assert [tuple(None if pd.isna(v) else v for v in row) for row in result.rejects.itertuples(index=False)] == expected
    assert table(loaded, USER_MONTH_QUERY + " WHERE account_key = 1 AND user_key = 2 ORDER BY month") == [
        (1, 2, date(2025, 3, 1), 2, 2, 46.0, 4.0, 2, [1, 2]), USER_MONTH[2]]


def test_a_malformed_csv_line_is_rejected_by_line_and_later_lines_keep_their_numbers(loaded, tmp_path):
    path = tmp_path / "events_ragged.csv"
    path.write_text("account_id,user_id,event_time,feature\n"
                    "A1,u9,2025-05-01 09:00,Dispatch,extra\n"
                    "A1,u9,2025-05-02 09:00,Dispatch\n"
                    "A1,u9,2025-05-03 09:00,\n", encoding="utf-8")
    result = ingest.import_file(loaded, path)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 1, 2)
    assert table(loaded, "SELECT line, column_name, reason FROM rejects ORDER BY line") == [
        (2, None, "malformed CSV row: 5 fields, the header has 4"),
        (4, "feature", "missing value"),
    ]


@pytest.mark.parametrize("content, message", [
    (None, "PDF"),
    (b"", "empty"),
    ("account_id,account_name\n".encode(), "no data rows"),
    ("account_id,industry\nA1,Retail\n".encode(), "required column(s) missing for accounts: account_name"),
    ("foo,bar\n1,2\n".encode(), "cannot tell what this file is"),
])
def test_an_unreadable_file_fails_with_one_message_and_changes_nothing(loaded, tmp_path, content, message):
    path = FIXTURES / "not_a_csv.csv"
    if content is not None:
        path = tmp_path / "accounts.csv"
        path.write_bytes(content)
    before = snapshot(loaded)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ingest.import_file(loaded, path)
    assert snapshot(loaded) == before


def test_a_truncated_xlsx_fails_cleanly_and_changes_nothing(loaded, tmp_path):
    whole = csv_to_xlsx(FIXTURES / "outcomes.csv", tmp_path / "whole.xlsx").read_bytes()
    (tmp_path / "outcomes.xlsx").write_bytes(whole[: len(whole) // 2])
    before = snapshot(loaded)
    with pytest.raises(DataError, match="outcomes.xlsx: cannot (open|read) the Excel workbook"):
        ingest.import_file(loaded, tmp_path / "outcomes.xlsx")
    assert snapshot(loaded) == before


def test_an_import_that_fails_midway_is_rolled_back_whole(loaded, monkeypatch):
    real_sql = ingest.merge.sql_with
    monkeypatch.setattr(ingest.merge, "sql_with", lambda name, **parts: real_sql(name, **parts) + (
        "\nSELECT * FROM table_that_does_not_exist;" if name == "rollup" else ""))
    before = snapshot(loaded)
    with pytest.raises(duckdb.CatalogException):
        ingest.import_file(loaded, FIXTURES / "events_bad.csv")
    assert snapshot(loaded) == before


def test_reimporting_the_same_file_is_a_no_op(loaded):
    before = snapshot(loaded)
    for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
        result = ingest.import_file(loaded, FIXTURES / name)
        assert (result.skipped, result.rows_loaded) == (True, 0)
    assert snapshot(loaded) == before


def test_an_overlapping_export_adds_only_what_the_store_lacks_and_rebuilds_only_touched_months(loaded, tmp_path):
    path = tmp_path / "events_again.csv"
    path.write_text("account_id,user_id,event_time,feature,duration_seconds,units\n"
                    "A1,u1,2025-03-03 09:00:00,Dispatch,60,2\n"        # identical to a stored event: unchanged
                    "A1,u1,2025-03-03 10:00:00,Dispatch,90,1\n"        # same minute, other duration: another event
                    "A1,u1,2025-03-03 10:00:00,Dispatch,95,1\n", encoding="utf-8")  # and another
    result = ingest.import_file(loaded, path)
    assert (result.rows_loaded, result.rows_unchanged, result.rows_rejected) == (2, 1, 0)
    assert table(loaded, "SELECT count(*) FROM events") == [(9,)]
    assert table(loaded, "SELECT duration_seconds FROM events WHERE event_time = '2025-03-03 10:00:00' ORDER BY 1") \
        == [(30.0,), (90.0,), (95.0,)]
    # u1 in March: 60 + 30 + 120 stored, 90 + 95 added; units 2 + 1 + 1 + 1
    assert table(loaded, ROLLUPS["account_user_month"][0]) == [
        (1, 1, date(2025, 3, 1), 2, 5, 395.0, 5.0, 2, [1, 2]), *USER_MONTH[1:]]
    assert table(loaded, ROLLUPS["account_month"][0]) == [
        (1, date(2025, 3, 1), 2, 3, 6, 440.0, 8.0, 2), *ACCOUNT_MONTH[1:]]
    again = ingest.import_file(loaded, path, force=True)  # the same export again adds nothing
    assert (again.rows_loaded, again.rows_unchanged) == (0, 3)
    assert table(loaded, "SELECT count(*) FROM events") == [(9,)]


def test_identical_rows_are_a_multiset_a_row_k_times_in_the_file_and_j_times_stored_ends_as_max_j_k(loaded,
                                                                                                   tmp_path):
    row = "A1,u1,2025-03-03 09:00:00,Dispatch,60,2\n"  # stored once by the fixture
    header = "account_id,user_id,event_time,feature,duration_seconds,units\n"
    for copies, loaded_rows, stored in ((3, 2, 3), (2, 0, 3), (4, 1, 4)):
        (tmp_path / "again.csv").write_text(header + row * copies, encoding="utf-8")
        result = ingest.import_file(loaded, tmp_path / "again.csv", force=True)
        assert (result.rows_loaded, result.rows_unchanged) == (loaded_rows, copies - loaded_rows)
        assert table(loaded, "SELECT count(*) FROM events WHERE event_time = '2025-03-03 09:00:00'") == [(stored,)]
        assert table(loaded, "SELECT events FROM account_feature_month WHERE account_key = 1 AND feature_key = 1 "
                             "AND month = '2025-03-01'") == [(stored + 2,)]  # + 10:00 and u2's 14:00


def test_an_event_id_de_duplicates_and_a_corrected_event_replaces_the_stored_one(loaded, tmp_path):
    header = "account_id,user_id,event_time,feature,duration_seconds,insert_id\n"
    (tmp_path / "ids.csv").write_text(header + "A1,u9,2025-05-20 09:00:00,Dispatch,10,e1\n"
                                      "A1,u9,2025-05-20 09:00:00,Dispatch,10,e2\n"   # same row, other id: 2 events
                                      "A1,u9,2025-05-21 09:00:00,Dispatch,11,e3\n"
                                      "A1,u9,2025-05-21 09:00:00,Dispatch,12,e3\n",  # e3 re-sent: the last wins
                                      encoding="utf-8")
    first = ingest.import_file(loaded, tmp_path / "ids.csv")  # May holds no stored event: a first load
    assert (first.rows_loaded, first.rows_unchanged) == (3, 1)
    (tmp_path / "ids2.csv").write_text(header + "A1,u9,2025-05-20 09:00:00,Dispatch,10,e1\n"  # unchanged
                                       "A1,u9,2025-06-02 09:00:00,Dispatch,13,e3\n",  # e3 corrected, into June
                                       encoding="utf-8")
    second = ingest.import_file(loaded, tmp_path / "ids2.csv")  # overlaps May
    assert (second.rows_loaded, second.rows_unchanged) == (1, 1)
    assert table(loaded, """SELECT e.event_id, e.event_time, e.duration_seconds FROM events e
                            JOIN users u USING (user_key) WHERE u.user_id = 'u9' ORDER BY 1""") == [
        ("e1", datetime(2025, 5, 20, 9), 10.0), ("e2", datetime(2025, 5, 20, 9), 10.0),
        ("e3", datetime(2025, 6, 2, 9), 13.0)]
    # May lost e3 and June gained it: both months' rollups were rebuilt
    assert table(loaded, """SELECT r.month, r.events, r.duration_seconds FROM account_user_month r
                            JOIN users u USING (user_key) WHERE u.user_id = 'u9' ORDER BY 1""") == [
        (date(2025, 5, 1), 2, 20.0), (date(2025, 6, 1), 1, 13.0)]


@pytest.mark.parametrize("part_rows", [10_000_000, 3])
def test_a_first_load_keeps_every_row_repeated_ones_included(con, tmp_path, monkeypatch, part_rows):
    monkeypatch.setattr(ingest.merge, "ROLLUP_PART_ROWS", part_rows)
    for name in ("accounts.csv", "value_drivers.csv"):
        ingest.import_file(con, FIXTURES / name)
    path = tmp_path / "events_repeated.csv"
    path.write_text("account_id,user_id,event_time,feature,duration_seconds,units\n"
                    "A1,u1,2025-03-03 10:00:00,Dispatch,90,1\n"   # same minute, other durations: two events
                    "A1,u1,2025-03-03 10:00:00,Dispatch,95,1\n"
                    "A1,u2,2025-03-04 09:00:00,Dispatch,1,1\n"
                    "A1,u2,2025-03-05 11:00:00,Dispatch,2,1\n"
                    "A1,u2,2025-03-05 11:00:00,Dispatch,2,1\n"    # an identical row: a repeated event, kept
                    "A1,u3,2025-03-06 08:00:00,Invoice,4,1\n"
                    "A1,u3,2025-03-07 08:00:00,Invoice,5,1\n"
                    "A2,u1,2025-03-03 10:00:00,Dispatch,6,1\n", encoding="utf-8")  # another account's user
    result = ingest.import_file(con, path)
    assert (result.rows_loaded, result.rows_unchanged, result.rows_rejected) == (8, 0, 0)
    assert table(con, "SELECT duration_seconds FROM events ORDER BY duration_seconds") == [
        (1.0,), (2.0,), (2.0,), (4.0,), (5.0,), (6.0,), (90.0,), (95.0,)]
    assert table(con, """SELECT u.user_id, r.active_days, r.events, r.duration_seconds FROM account_user_month r
                         JOIN users u USING (user_key) WHERE r.account_key = 1 ORDER BY 1""") == [
        ("u1", 1, 2, 185.0), ("u2", 2, 3, 5.0), ("u3", 2, 2, 9.0)]
    assert table(con, "SELECT account_key, events, duration_seconds FROM account_month ORDER BY 1") == [
        (1, 7, 199.0), (2, 1, 6.0)]


def test_an_accounts_update_keeps_keys_and_leaves_columns_absent_from_the_file_alone(loaded, tmp_path):
    path = tmp_path / "accounts_update.csv"
    path.write_text("account_id,account_name,seats\nA1,Acme Logistics Inc,120\nA4,New Co,5\n", encoding="utf-8")
    result = ingest.import_file(loaded, path)
    assert (result.rows_loaded, result.rows_unchanged) == (2, 0)
    assert table(loaded, "SELECT account_key, account_id, account_name, seats, hourly_cost, currency FROM account "
                         "ORDER BY account_key") == [
        (1, "A1", "Acme Logistics Inc", 120, 50.0, "USD"), (2, "A2", "华东物流集团", 300, 150.0, "CNY"),
        (3, "A3", "Never Live Ltd", 20, 40.0, "EUR"), (4, "A4", "New Co", 5, None, None)]


def test_an_unknown_header_can_be_mapped_and_the_mapping_is_remembered_per_source(con, tmp_path):
    first, second = tmp_path / "crm_2025_01.csv", tmp_path / "crm_2025_02.csv"
    first.write_text("Cust No,Company Title\nC1,One\n", encoding="utf-8")
    second.write_text("Cust No,Company Title\nC2,Two\n", encoding="utf-8")
    preview = ingest.preview_file(con, first, kind="accounts")
    assert (preview.unmapped, preview.missing) == (["Cust No", "Company Title"], ["account_id", "account_name"])
    mapping = {"Cust No": "account_id", "Company Title": "account_name"}
    assert ingest.import_file(con, first, kind="accounts", mapping=mapping).rows_loaded == 1
    assert ingest.default_source(second.name) == ingest.default_source(first.name) == "crm"
    assert ingest.preview_file(con, second, kind="accounts").mapping == mapping
    assert ingest.import_file(con, second, kind="accounts").rows_loaded == 1
    with pytest.raises(DataError, match="required column"):
        ingest.import_file(con, second, kind="accounts", source="another system", force=True)
    assert table(con, "SELECT account_id, account_name FROM account ORDER BY 1") == [("C1", "One"), ("C2", "Two")]


@pytest.mark.parametrize("name, kind", [("accounts.csv", "accounts"), ("accounts_zh_gbk.csv", "accounts"),
                                        ("events.csv", "events"), ("outcomes.csv", "outcomes"),
                                        ("value_drivers.csv", "value_drivers")])
def test_the_kind_of_a_file_is_detected_from_its_headers(con, name, kind):
    assert ingest.preview_file(con, FIXTURES / name).kind == kind


def test_headers_match_aliases_regardless_of_case_width_and_spacing():
    assert ingest._auto_mapping(["客户ID", "用户ID", "事件时间", "功能模块", "时长（秒）", "处理量"], "events") == {
        "客户ID": "account_id", "用户ID": "user_id", "事件时间": "event_time", "功能模块": "feature",
        "时长（秒）": "duration_seconds", "处理量": "units"}
    assert ingest._auto_mapping([" Account ID ", "ACCOUNT_NAME"], "accounts") == {
        " Account ID ": "account_id", "ACCOUNT_NAME": "account_name"}


def test_the_memory_limit_comes_from_the_environment_when_set_else_from_the_machine(monkeypatch, tmp_path):
    from metrics import store

    def setting(con, name):
        return con.execute("SELECT current_setting($n)", {"n": name}).fetchall()[0][0]

    monkeypatch.setenv("VALUELENS_MEMORY_LIMIT", "1500MB")
    assert setting(store.connect(":memory:"), "memory_limit") == "1.3 GiB"
    monkeypatch.delenv("VALUELENS_MEMORY_LIMIT")
    monkeypatch.setattr(store, "machine_memory_mb", lambda: 16_000)
    con = store.connect(tmp_path / "db.duckdb")
    assert setting(con, "memory_limit") == "610.3 MiB"  # 640 MB: a quarter of 16 GB is more
    assert setting(con, "temp_directory") == str(tmp_path / "db.duckdb") + ".tmp"
    for machine_mb, limit in [(2_000, "500MB"), (512, "256MB"), (64_000, "640MB")]:
        monkeypatch.setattr(store, "machine_memory_mb", lambda mb=machine_mb: mb)
        assert store.default_memory_limit() == limit
    monkeypatch.setenv("VALUELENS_MEMORY_LIMIT", "duckdb")
    assert setting(store.connect(":memory:"), "memory_limit") != "610.3 MiB"  # DuckDB's own: 80 % of the machine
    monkeypatch.setenv("VALUELENS_TEMP_DIR", str(tmp_path / "spill"))
    assert setting(store.connect(":memory:"), "temp_directory") == str(tmp_path / "spill")


def test_active_days_count_the_first_and_the_last_day_of_a_month_and_a_user_is_counted_once_per_feature(loaded,
                                                                                                        tmp_path):
    (tmp_path / "edges.csv").write_text(
        "account_id,user_id,event_time,feature,duration_seconds,units\n"
        "A3,e1,2025-01-01 00:00:00,Dispatch,10,1\n"
        "A3,e1,2025-01-31 23:59:59,Dispatch,20,\n"
        "A3,e1,2025-01-31 08:00:00,Invoice,5,2\n"
        "A3,e2,2025-01-31 09:00:00,Dispatch,,\n"
        "A3,e2,2025-02-28 09:00:00,Dispatch,1,1\n", encoding="utf-8")
    ingest.import_file(loaded, tmp_path / "edges.csv")
    a3 = "(SELECT account_key FROM account WHERE account_id = 'A3')"
    assert table(loaded, f"""SELECT u.user_id, r.month, r.active_days, r.events, r.duration_seconds, r.units,
                                    r.features_used
                             FROM account_user_month r JOIN users u USING (account_key, user_key)
                             WHERE r.account_key = {a3} ORDER BY ALL""") == [
        ("e1", date(2025, 1, 1), 2, 3, 35.0, 3.0, 2),
        ("e2", date(2025, 1, 1), 1, 1, 0.0, 0.0, 1),
        ("e2", date(2025, 2, 1), 1, 1, 1.0, 1.0, 1)]
    assert table(loaded, f"""SELECT f.feature, r.month, r.users, r.events, r.units, r.duration_seconds, r.first_used_at
                             FROM account_feature_month r JOIN feature f USING (feature_key)
                             WHERE r.account_key = {a3} ORDER BY ALL""") == [
        ("Dispatch", date(2025, 1, 1), 2, 3, 1.0, 30.0, datetime(2025, 1, 1)),
        ("Dispatch", date(2025, 2, 1), 1, 1, 1.0, 1.0, datetime(2025, 2, 28, 9)),
        ("Invoice", date(2025, 1, 1), 1, 1, 2.0, 5.0, datetime(2025, 1, 31, 8))]
    assert table(loaded, f"SELECT month, active_users, active_user_days, events, features_used FROM account_month "
                         f"WHERE account_key = {a3} ORDER BY month") == [
        (date(2025, 1, 1), 2, 3, 4, 2), (date(2025, 2, 1), 1, 1, 1, 1)]


def test_rollups_built_in_parts_by_account_equal_rollups_built_at_once(monkeypatch):
    def rollups(part_rows: int) -> dict[str, list[tuple]]:
        monkeypatch.setattr(ingest.merge, "ROLLUP_PART_ROWS", part_rows)
        db = connect(":memory:")
        for name in ("accounts.csv", "value_drivers.csv", "events.csv"):
            ingest.import_file(db, FIXTURES / name)
        return {name: table(db, query) for name, (query, _) in ROLLUPS.items()}

    at_once, in_parts = rollups(10_000_000), rollups(2)  # the fixture's 7 events in 4 parts
    assert in_parts == at_once == {name: expected for name, (_, expected) in ROLLUPS.items()}


def test_events_of_new_months_imported_after_earlier_months_equal_one_import_of_all(con, tmp_path):
    lines = (FIXTURES / "events.csv").read_text(encoding="utf-8").splitlines()
    header, march, april = lines[0], [r for r in lines[1:] if "2025-03" in r], [r for r in lines[1:] if "2025-04" in r]
    for name in ("accounts.csv", "value_drivers.csv"):
        ingest.import_file(con, FIXTURES / name)
    results = []
    for name, rows in (("march.csv", march), ("april.csv", april)):  # April's account-months hold no stored events
        (tmp_path / name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        results.append(ingest.import_file(con, tmp_path / name))
    assert [(r.rows_loaded, r.rows_unchanged) for r in results] == [(4, 0), (3, 0)]
    assert table(con, STORED["events"][0]) == STORED["events"][1]
    assert {name: table(con, query) for name, (query, _) in ROLLUPS.items()} == \
        {name: expected for name, (_, expected) in ROLLUPS.items()}
