"""The corpus of bad inputs in tests/fixtures/bad: each gets a clear message naming file, row and column where
it applies, rejects are listed, and nothing already stored is lost or changed."""
from __future__ import annotations

from datetime import datetime

import pytest
from conftest import FIXTURES, snapshot, table

from metrics import ingest
from metrics.store import DataError

BAD = FIXTURES / "bad"


@pytest.mark.parametrize("name, message", [
    ("empty.csv", "empty.csv: the file is empty"),
    ("header_only.csv", "header_only.csv: the file has a header but no data rows"),
    ("mixed_encoding.csv", "mixed_encoding.csv: mixed encodings: line 2 is UTF-8 but line 3 is not"),
    ("truncated.xlsx", "truncated.xlsx: cannot (open|read) the Excel workbook"),
    ("pdf_renamed.csv", "pdf_renamed.csv: this is a PDF"),
])
def test_an_unreadable_file_is_refused_with_its_name_and_nothing_changes(loaded, name, message):
    before = snapshot(loaded)
    with pytest.raises(DataError, match=message):
        ingest.import_file(loaded, BAD / name)
    assert snapshot(loaded) == before


def _kept(before: dict, after: dict, *tables: str) -> None:
    for name in tables:
        assert set(before[name]) <= set(after[name]), f"{name} lost rows"


@pytest.mark.parametrize("name, line, column, reason", [
    ("negative_duration.csv", 2, "duration_seconds", "must be >= 0"),
    ("future_timestamp.csv", 2, "event_time", "in the future"),
    ("unknown_account.csv", 2, "account_id", "unknown account (import it in an accounts file first)"),
    ("wrong_delimiter.csv", 2, "account_name", "missing value"),
])
def test_a_bad_row_is_rejected_by_line_and_column_and_stored_rows_stay(loaded, name, line, column, reason):
    before = snapshot(loaded)
    result = ingest.import_file(loaded, BAD / name)
    assert (result.rows_loaded, result.rows_rejected) == (0, 1)
    assert [(r.line, r.column_name, r.reason) for r in result.rejects.itertuples()] == [(line, column, reason)]
    after = snapshot(loaded)
    _kept(before, after, "account", "events", "users", "account_user_month", "outcomes")
    assert after["rejects"] != before["rejects"]


def test_a_semicolon_delimited_file_is_read_with_its_own_delimiter(loaded):
    result = ingest.import_file(loaded, BAD / "semicolon.csv")
    assert (result.kind, result.rows_loaded, result.rows_rejected) == ("accounts", 1, 0)
    assert table(loaded, "SELECT account_name, seats FROM account WHERE account_id = 'S1'") == [("Semi Colon GmbH", 12)]


def test_identical_rows_match_stored_ones_as_a_multiset_and_a_differing_row_is_another_event(loaded):
    # the fixture stores A1,u1,09:00,Dispatch,60,2 once; the file has it twice and a 75-second one
    result = ingest.import_file(loaded, BAD / "duplicates_conflicting.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_unchanged, result.rows_rejected) == (3, 2, 1, 0)
    assert table(loaded, "SELECT duration_seconds FROM events WHERE event_time = '2025-03-03 09:00:00' ORDER BY 1") \
        == [(60.0,), (60.0,), (75.0,)]
    assert table(loaded, "SELECT count(*) FROM events") == [(9,)]


def test_dates_in_several_formats_load_and_an_ambiguous_one_is_rejected(loaded):
    result = ingest.import_file(loaded, BAD / "date_formats.csv")
    assert (result.rows_loaded, result.rows_rejected) == (4, 1)
    assert table(loaded, "SELECT e.event_time FROM events e JOIN users u USING (user_key) WHERE u.user_id = 'u5' "
                         "ORDER BY 1") == [(datetime(2025, 3, d),) for d in (1, 2, 3, 4)]
    assert [(r.line, r.column_name, r.value) for r in result.rejects.itertuples()] == [(6, "event_time", "3/5/2025")]


def test_a_1_gb_upload_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as fh:  # sparse: 1 GiB on paper, nothing on disk
        fh.truncate(1024 ** 3)
    with pytest.raises(DataError, match="huge.csv: 1,024 MB is over the 200 MB upload limit"):
        ingest.check_size(huge.name, huge.stat().st_size)
    ingest.check_size("small.csv", 1024)


def test_the_upload_limit_matches_the_server_config():
    from conftest import ROOT

    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert f"maxUploadSize = {ingest.MAX_UPLOAD_MB}" in config


# ---------------------------------------------------------------- every line accounted for

def _reasons(result) -> list[tuple[int, str | None, str]]:
    return [(r.line, r.column_name if isinstance(r.column_name, str) else None, r.reason)
            for r in result.rejects.itertuples()]


def _accounted(result, lines: int) -> None:
    """Every physical line but the header is a loaded, unchanged, rejected or excluded row (one record a line)."""
    assert result.rows_loaded + result.rows_unchanged + result.rows_rejected + result.rows_excluded == lines - 1


def test_an_unterminated_quote_midway_through_100000_rows_costs_that_one_line(loaded, tmp_path):
    rows = ["account_id,user_id,event_time,feature,duration_seconds,units"]
    rows += [f"A1,big{i},2025-03-01 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d},Dispatch,60,1"
             for i in range(100_000)]
    rows[50_001] = rows[50_001].replace("A1,", 'A1,"', 1)  # line 50,002 of the file opens a quote it never closes
    (tmp_path / "big.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = ingest.import_file(loaded, tmp_path / "big.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (100_000, 99_999, 1)
    assert _reasons(result) == [(50_002, None, "malformed CSV row: a quote opened on this line is never closed")]
    _accounted(result, 100_001)
    assert table(loaded, "SELECT count(*) FROM users WHERE starts_with(user_id, 'big')") == [(99_999,)]


def test_a_quoted_line_break_loads_and_later_lines_keep_their_numbers(loaded):
    result = ingest.import_file(loaded, BAD / "quoted_newline.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    assert _reasons(result) == [(4, "minutes_saved", "must be >= 0")]  # physical line 4: the record spans 2-3
    assert table(loaded, "SELECT v.description FROM value_drivers v JOIN feature f USING (feature_key) "
                         "WHERE f.feature = 'Dispatch'") == [("Routes orders\nautomatically, in two lines",)]


def test_an_unterminated_quote_is_one_reject_and_the_next_lines_load(loaded):
    result = ingest.import_file(loaded, BAD / "unterminated_quote.csv")
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    assert _reasons(result) == [(3, None, "malformed CSV row: a quote opened on this line is never closed"),
                                (5, "duration_seconds", "must be >= 0")]
    _accounted(result, 5)


@pytest.mark.parametrize("name, users", [("mixed_line_endings.csv", ["m1", "m2", "m3"]), ("lone_cr.csv", ["c1", "c2"])])
def test_mixed_and_old_mac_line_endings_load_with_clean_values(loaded, name, users):
    result = ingest.import_file(loaded, BAD / name)
    assert (result.rows_loaded, result.rows_rejected) == (len(users), 0)
    assert table(loaded, f"SELECT user_id FROM users WHERE user_id IN {tuple(users) + ('',)} ORDER BY 1") == [
        (u,) for u in users]
    assert table(loaded, f"""SELECT count(*), sum(e.units), sum(e.duration_seconds) FROM events e
                             JOIN users u USING (user_key) WHERE u.user_id IN {tuple(users) + ('',)}""") == [
        (len(users), len(users), 60 * len(users))]


def test_blank_lines_are_excluded_and_counted(loaded):
    result = ingest.import_file(loaded, BAD / "blank_lines.csv")
    assert (result.rows_loaded, result.rows_rejected, result.rows_excluded) == (2, 0, 3)
    _accounted(result, 6)
    assert table(loaded, "SELECT rows_excluded FROM imports ORDER BY import_id DESC LIMIT 1") == [(3,)]


# ---------------------------------------------------------------- values validated for what they mean

def test_nan_infinity_and_overflowing_numbers_are_rejected_not_stored(loaded):
    result = ingest.import_file(loaded, BAD / "non_finite.csv")
    assert (result.rows_loaded, result.rows_rejected) == (1, 4)
    assert [(line, column) for line, column, _ in _reasons(result)] == [
        (2, "duration_seconds"), (3, "units"), (4, "duration_seconds"), (5, "duration_seconds")]
    assert {reason for _, _, reason in _reasons(result)} == {"not a number"}
    assert table(loaded, "SELECT count(*) FROM events WHERE NOT isfinite(duration_seconds) OR NOT isfinite(units)") \
        == [(0,)]


def test_non_finite_values_of_a_typed_parquet_column_are_rejected(loaded, tmp_path):
    import duckdb

    duckdb.execute(f"""COPY (SELECT * FROM (VALUES ('Dispatch', 'nan'::DOUBLE), ('Reports', 'inf'::DOUBLE),
                                                   ('Triage', 4.0)) AS t(feature, minutes_saved))
                       TO '{tmp_path / "drivers.parquet"}' (FORMAT parquet)""")
    result = ingest.import_file(loaded, tmp_path / "drivers.parquet")
    assert (result.rows_loaded, result.rows_rejected) == (1, 2)
    # a Parquet file has no header line: its rows are numbered from 1
    assert [(line, column) for line, column, _ in _reasons(result)] == [(1, "minutes_saved"), (2, "minutes_saved")]


def test_a_decimal_comma_in_a_semicolon_file_is_a_decimal_mark(loaded):
    result = ingest.import_file(loaded, BAD / "decimal_comma.csv")
    assert (result.rows_loaded, result.rows_rejected) == (3, 1)
    assert table(loaded, "SELECT f.feature, v.minutes_saved FROM value_drivers v JOIN feature f USING (feature_key) "
                         "WHERE f.feature IN ('Dispatch', 'Reports', '智能排班') ORDER BY 2") == [
        ("智能排班", 2.5), ("Dispatch", 45.5), ("Reports", 1234.5)]
    (line, column, reason), = _reasons(result)
    assert (line, column) == (5, "minutes_saved") and "1.234 is ambiguous" in reason


def test_a_comma_that_is_not_a_thousands_separator_is_not_a_number_in_a_comma_file(loaded):
    result = ingest.import_file(loaded, BAD / "comma_in_number.csv")
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert _reasons(result) == [(2, "minutes_saved", "not a number")]  # never 4550
    assert table(loaded, "SELECT v.minutes_saved FROM value_drivers v JOIN feature f USING (feature_key) "
                         "WHERE f.feature = 'Reports'") == [(1234.5,)]


@pytest.mark.parametrize("name, loaded_rows, lines", [("total_rows_drivers.csv", 1, [3, 4]),
                                                      ("total_rows_accounts.csv", 1, [3, 4])])
def test_total_and_subtotal_rows_are_rejected_in_every_kind(loaded, name, loaded_rows, lines):
    before = table(loaded, "SELECT count(*) FROM feature")
    result = ingest.import_file(loaded, BAD / name)
    assert result.rows_loaded + result.rows_unchanged == loaded_rows
    totals = [line for line, _, reason in _reasons(result) if reason == "a total or subtotal row, not data"]
    assert totals == lines
    assert table(loaded, "SELECT count(*) FROM feature WHERE feature IN ('合计', 'Total:')") == [(0,)]
    assert table(loaded, "SELECT count(*) FROM account WHERE account_id IN ('总计', 'Subtotal')") == [(0,)]
    if name == "total_rows_drivers.csv":
        assert table(loaded, "SELECT count(*) FROM feature") == before


def test_a_total_row_in_events_and_outcomes_is_named_as_such(loaded, tmp_path):
    (tmp_path / "ev.csv").write_text("account_id,user_id,event_time,feature\nA1,t1,2025-03-03 09:00,Dispatch\n"
                                     "合计,,,\n", encoding="utf-8")
    (tmp_path / "out.csv").write_text("account_id,month,output_units,headcount\nA1,2025-05,10,1\nTotal,,10,1\n",
                                      encoding="utf-8")
    for name in ("ev.csv", "out.csv"):
        result = ingest.import_file(loaded, tmp_path / name)
        assert result.rows_loaded == 1
        assert (3, "account_id", "a total or subtotal row, not data") in _reasons(result)


def test_identifiers_with_invisible_or_look_alike_characters_are_rejected(loaded):
    result = ingest.import_file(loaded, BAD / "lookalike_ids.csv")
    assert [(line, reason) for line, _, reason in _reasons(result)] == [
        (2, "invisible or look-alike characters in an identifier"),
        (3, "invisible or look-alike characters in an identifier"),
        (4, "invisible or look-alike characters in an identifier")]
    assert table(loaded, "SELECT count(*) FROM account WHERE account_id LIKE '%1' AND account_id <> 'A1' "
                         "AND account_id NOT LIKE 'T%'") == [(0,)]
    assert table(loaded, "SELECT account_name FROM account WHERE account_id IN ('A1', '华东（上海）') ORDER BY 1") == [
        ("Chinese with full-width brackets",), ("Plain",)]
    assert ingest.identifier_problem("A1\u200b") == "A1" and ingest.identifier_problem("Ａ００２") == "A002"
    assert ingest.identifier_problem("智能排班（新）") is None


def test_dates_before_1990_or_after_2100_are_rejected_so_no_page_breaks(loaded):
    result = ingest.import_file(loaded, BAD / "implausible_dates.csv")
    assert [(line, column, reason) for line, column, reason in _reasons(result)] == [
        (2, "event_time", "before 1990"), (3, "event_time", "before 1990")]
    result = ingest.import_file(loaded, BAD / "implausible_account_dates.csv")
    assert [(line, column) for line, column, _ in _reasons(result)] == [(2, "go_live_date"), (3, "renewal_date")]
    assert table(loaded, "SELECT min(event_time) >= '1990-01-01' FROM events") == [(True,)]


def test_seats_that_are_not_a_whole_number_or_overflow_are_rejected_and_the_good_rows_load(loaded):
    result = ingest.import_file(loaded, BAD / "huge_seats.csv")
    assert (result.rows_loaded, result.rows_rejected) == (1, 2)
    assert [(line, column) for line, column, _ in _reasons(result)] == [(2, "seats"), (3, "seats")]
    assert table(loaded, "SELECT seats FROM account WHERE account_id = 'H3'") == [(25,)]


def test_time_zone_offsets_are_converted_to_utc(loaded):
    result = ingest.import_file(loaded, BAD / "time_zones.csv")
    assert result.rows_loaded == 4
    assert table(loaded, """SELECT u.user_id, e.event_time FROM events e JOIN users u USING (user_key)
                            WHERE u.user_id LIKE 'z_' ORDER BY 1""") == [
        ("z1", datetime(2025, 3, 10, 2, 0)), ("z2", datetime(2025, 3, 10, 2, 30)), ("z3", datetime(2025, 3, 10, 10, 0)),
        ("z4", datetime(2025, 3, 10, 6, 0))]


def test_a_time_zone_aware_parquet_column_is_stored_as_utc_whatever_the_servers_zone(tmp_path):
    import subprocess
    import sys

    import duckdb
    from conftest import ROOT

    duckdb.execute(f"""COPY (SELECT 'A1' AS account_id, 'p1' AS user_id, 'Dispatch' AS feature,
                                    TIMESTAMPTZ '2025-03-10 10:00:00+08' AS event_time)
                       TO '{tmp_path / "tz.parquet"}' (FORMAT parquet)""")
    script = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); from metrics import ingest; "
              f"from metrics.store import connect; con = connect(':memory:'); "
              f"ingest.import_file(con, {str(FIXTURES / 'accounts.csv')!r}); "
              f"ingest.import_file(con, {str(tmp_path / 'tz.parquet')!r}); "
              "print(con.execute('SELECT CAST(event_time AS VARCHAR) FROM events').fetchall()[0][0])")
    seen = {zone: subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                 env={"TZ": zone, "PATH": "/usr/bin:/bin"}).stdout.strip()
            for zone in ("UTC", "Asia/Shanghai", "America/New_York")}
    assert set(seen.values()) == {"2025-03-10 02:00:00"}, seen


# ---------------------------------------------------------------- workbooks

def _workbook(path, sheets: list[tuple[str, list[list[object]], str]], active: int = 0):
    """A workbook as Excel writes one (XlsxWriter: text in the shared-strings table), sheets possibly hidden."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    for index, (title, rows, state) in enumerate(sheets):
        ws = book.add_worksheet(title)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
        if index == active:
            ws.activate()
        if state == "hidden":
            ws.hide()
    book.close()
    return path


def _rewrite_part(path, part: str, content: bytes) -> None:
    """Replace one part of a workbook's zip (the rest copied as is)."""
    import zipfile

    source = path.read_bytes()
    import io
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, content if item.filename == part else zin.read(item.filename))


ACCOUNT_ROWS = [["account_id", "account_name", "seats"], ["A2", "Right name", 199]]


def test_a_hidden_first_sheet_is_ignored_and_a_sheet_can_be_chosen_by_name(loaded, tmp_path):
    path = _workbook(tmp_path / "accounts.xlsx", [("Old", [["account_id", "account_name", "seats"], ["A2", "Wrong", 1]],
                                                   "hidden"), ("Accounts", ACCOUNT_ROWS, "visible")], active=1)
    result = ingest.import_file(loaded, path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0)
    assert table(loaded, "SELECT account_name, seats FROM account WHERE account_id = 'A2'") == [("Right name", 199)]
    ingest.import_file(loaded, path, sheet="Old", force=True)
    assert table(loaded, "SELECT account_name, seats FROM account WHERE account_id = 'A2'") == [("Wrong", 1)]
    with pytest.raises(DataError, match="accounts.xlsx: no sheet named 'Nope' \\(sheets: Accounts\\)"):
        ingest.import_file(loaded, path, sheet="Nope")


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"")) * 10)
                             for i in range(1, 10))
                  + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                    b'uniqueCount="1"><si><t>&lol9;</t></si></sst>')


@pytest.mark.parametrize("part, content, message", ids=["billion_laughs", "damaged_xml", "huge_string",
                                                        "too_many_rows"], argvalues=[
    ("xl/sharedStrings.xml", BILLION_LAUGHS, "cannot (open|read) the Excel workbook"),
    ("xl/worksheets/sheet1.xml", b'<?xml version="1.0"?><worksheet><sheetData><row r="1"><c r="A1"',
     "cannot (open|read)"),
    ("xl/sharedStrings.xml", b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
                             + b"a" * 400_000 + b"</t></si></sst>", "more text than Excel allows"),
    ("xl/worksheets/sheet1.xml", b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                                 b'spreadsheetml/2006/main"><dimension ref="A1:C1500000"/><sheetData/></worksheet>',
     "claims 1,500,000 rows"),
])
def test_a_hostile_or_damaged_workbook_is_one_message_naming_the_file(loaded, tmp_path, part, content, message):
    path = _workbook(tmp_path / "bad.xlsx", [("Accounts", ACCOUNT_ROWS, "visible")])
    _rewrite_part(path, part, content)
    before = snapshot(loaded)
    with pytest.raises(DataError, match=f"bad.xlsx: .*{message}"):
        ingest.import_file(loaded, path)
    with pytest.raises(DataError, match="bad.xlsx: "):
        ingest.preview_file(loaded, path)
    assert snapshot(loaded) == before


def test_one_bad_file_never_stops_the_others_in_a_cli_batch(tmp_path, capsys):
    from cli import main

    bad = _workbook(tmp_path / "bad.xlsx", [("Accounts", ACCOUNT_ROWS, "visible")])
    _rewrite_part(bad, "xl/sharedStrings.xml", BILLION_LAUGHS)
    db = str(tmp_path / "batch.duckdb")
    code = main(["import", str(bad), str(FIXTURES / "accounts.csv"), str(BAD / "huge_seats.csv"), "--db", db])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in err
    assert "error: bad.xlsx: cannot" in err
    assert "accounts.csv [Accounts]: 3 loaded" in out and "huge_seats.csv [Accounts]: 1 loaded, 2 rejected" in out


def test_the_cli_says_what_an_import_did_in_chinese_reasons_included(tmp_path, capsys):
    from cli import main

    db = str(tmp_path / "zh.duckdb")
    files = [str(FIXTURES / "accounts.csv"), str(BAD / "huge_seats.csv")]
    assert main(["import", *files, "--db", db, "--lang", "zh"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "accounts.csv [客户]：载入 3 行，拒绝 0 行，未变 0 行（此前已载入）（共读取 3 行）",
        "huge_seats.csv [客户]：载入 1 行，拒绝 2 行，未变 0 行（此前已载入）（共读取 3 行）",
        "  第 2 行，列 seats：不是数字 ('nan')",
        "  第 3 行，列 seats：过大（最多 100,000,000） ('99999999999999999999')"]
    assert main(["import", str(FIXTURES / "accounts.csv"), "--db", db, "--lang", "zh"]) == 0
    assert capsys.readouterr().out == "accounts.csv：已导入过（内容相同），无需再导入\n"


# ---------------------------------------------------------------- encodings

@pytest.mark.parametrize("name, encoding, header, value", [
    ("big5.csv", "big5", "客戶名稱", "台灣積體電路製造股份有限公司"),
    ("shift_jis.csv", "cp932", "顧客名", "株式会社トヨタ自動車"),
    ("cp1252.csv", "cp1252", "account_name", "Müller GmbH")])
def test_an_encoding_charset_normalizer_names_with_confidence_is_read_and_named(loaded, name, encoding, header,
                                                                               value):
    preview = ingest.preview_file(loaded, BAD / name)
    assert (preview.encoding, preview.sample[header].iloc[0]) == (encoding, value)


def test_a_windows_1252_accounts_file_loads_with_its_accents_and_the_summary_names_the_encoding(loaded):
    result = ingest.import_file(loaded, BAD / "cp1252.csv")
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert table(loaded, "SELECT account_name FROM account WHERE account_id IN ('M1', 'M2') ORDER BY 1") == [
        ("Düsseldorf AG",), ("Müller GmbH",)]
    assert table(loaded, f"SELECT encoding FROM imports WHERE import_id = {result.import_id}") == [("cp1252",)]


def test_bytes_no_encoding_reads_with_confidence_are_refused_naming_what_was_found_and_how_to_resave(loaded,
                                                                                                    tmp_path):
    import random

    noise = bytes(random.Random(1).randrange(128, 256) for _ in range(400))
    (tmp_path / "noise.csv").write_bytes(b"account_id,account_name\nA1," + noise + b"\n")
    before = snapshot(loaded)
    with pytest.raises(DataError, match="noise.csv: not UTF-8, and no other encoding reads it with confidence "
                                        "\\(.*\\); save the file as UTF-8 \\(Excel: Save As > CSV UTF-8\\)"):
        ingest.import_file(loaded, tmp_path / "noise.csv")
    assert snapshot(loaded) == before


def test_gbk_chinese_with_rare_name_characters_still_loads(loaded):
    result = ingest.import_file(loaded, BAD / "gbk_rare_names.csv")
    assert (result.rows_loaded, result.rows_rejected) == (3, 0)
    assert table(loaded, "SELECT account_name FROM account WHERE account_id = 'G3'") == [("喆堃科技",)]


def test_event_user_ids_and_features_with_invisible_characters_or_total_labels_are_rejected(loaded, tmp_path):
    (tmp_path / "ev.csv").write_text(
        "account_id,user_id,event_time,feature\n"
        "A1,u1\u200b,2025-03-03 09:00,Triage\n"     # a zero-width twin of u1 (Triage: in no other row)
        "A1,合计,2025-03-03 09:00,Dispatch\n"
        "A1,u8,2025-03-03 09:00,Ｄispatch\n"        # a full-width twin of Dispatch (u8: in no other row)
        "A1,u7,2025-03-03 09:05,Dispatch\n", encoding="utf-8")
    result = ingest.import_file(loaded, tmp_path / "ev.csv")
    assert (result.rows_loaded, result.rows_rejected) == (1, 3)
    assert _reasons(result) == [(2, "user_id", ingest.BAD_IDENTIFIER), (3, "user_id", ingest.TOTAL_ROW),
                                (4, "feature", ingest.BAD_IDENTIFIER)]
    # a user or feature of rejected rows only is not created (the batch's keys are taken again after the checks)
    assert table(loaded, "SELECT count(*) FROM users WHERE user_id NOT IN ('u1', 'u2', '张伟', 'u7')") == [(0,)]
    assert table(loaded, "SELECT count(*) FROM feature WHERE feature = 'Triage'") == [(0,)]


def test_an_events_table_with_one_id_column_is_not_taken_for_accounts_and_the_message_says_what_is_missing(loaded,
                                                                                                           tmp_path):
    # Pendo's feature events (accountId, visitorId, featureId, day, numEvents, ...): its preset recognises them
    path = tmp_path / "pendo_feature_events.csv"
    path.write_text("accountId,visitorId,featureId,day,numEvents,numMinutes\nA1,v1,f-9Qx,1741132800000,3,2\n",
                    encoding="utf-8")
    assert (ingest.preview_file(loaded, path).kind, ingest.preview_file(loaded, path).preset) == ("events", "pendo")
    # the same table from a tool no preset knows: one id column matches accounts, but nothing is guessed
    path.write_text("accountId,visitorId,featureId,day,hits\nA1,v1,f-9Qx,1741132800000,3\n", encoding="utf-8")
    assert ingest.preview_file(loaded, path).kind is None
    before = snapshot(loaded)
    with pytest.raises(DataError, match=r"cover no kind's required columns \(required column\(s\) missing for "
                                        r"accounts: account_name; "
                                        r"required column\(s\) missing for features: feature_name; "
                                        r"required column\(s\) missing for users: user_id; "
                                        r"required column\(s\) missing for events: user_id, "
                                        r"event_time, feature; required column\(s\) missing for outcomes: month, "
                                        r"output_units, headcount; required column\(s\) missing for objectives: "
                                        r"metric, target, target_date; required column\(s\) missing for renewals: "
                                        r"renewal_date, outcome; required column\(s\) missing for requests: "
                                        r"request_date, words\)"):
        ingest.import_file(loaded, path)
    assert snapshot(loaded) == before


def test_the_cli_exits_1_when_a_file_loads_nothing_and_rejects_rows(tmp_path, capsys):
    from cli import main

    db = str(tmp_path / "exit.duckdb")
    assert main(["import", str(FIXTURES / "accounts.csv"), "--db", db]) == 0
    assert main(["import", str(BAD / "unknown_account.csv"), "--db", db]) == 1
    assert "error: unknown_account.csv: nothing loaded, every one of its 1 rows was rejected" in capsys.readouterr().err


def test_months_are_counted_in_the_workspace_time_zone(loaded, tmp_path):
    from metrics.settings import set_workspace_timezone, workspace_timezone

    assert workspace_timezone(loaded) == "UTC"
    with pytest.raises(DataError, match="unknown time zone 'Mars/Olympus'"):
        set_workspace_timezone(loaded, "Mars/Olympus")
    set_workspace_timezone(loaded, "Asia/Shanghai")
    (tmp_path / "tz.csv").write_text(
        "account_id,user_id,event_time,feature\n"
        "A1,s1,2026-09-01T07:30:00+08:00,Dispatch\n"   # the same instant twice, written two ways
        "A1,s2,2026-08-31T23:30:00Z,Dispatch\n"
        "A1,s3,2026-09-01 07:30:00,Dispatch\n"          # no offset: already Shanghai time
        "A1,s4,1788219000000,Dispatch\n", encoding="utf-8")  # epoch ms of 2026-08-31 23:30 UTC
    assert ingest.import_file(loaded, tmp_path / "tz.csv").rows_loaded == 4
    assert table(loaded, """SELECT u.user_id, e.event_time, e.month FROM events e JOIN users u USING (user_key)
                            WHERE u.user_id LIKE 's_' ORDER BY 1""") == [
        (u, datetime(2026, 9, 1, 7, 30), datetime(2026, 9, 1).date()) for u in ("s1", "s2", "s3", "s4")]


def test_the_cli_shows_and_sets_the_workspace_time_zone(tmp_path, capsys):
    from cli import main

    db = str(tmp_path / "settings.duckdb")
    assert main(["settings", "--db", db]) == 0
    assert main(["settings", "--timezone", "Asia/Shanghai", "--db", db]) == 0
    assert main(["settings", "--timezone", "Nope/X", "--db", db]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == ["timezone: UTC", "timezone: Asia/Shanghai"]
    assert "unknown time zone 'Nope/X'" in err


def test_the_sql_and_python_definitions_of_a_total_row_agree():
    import re

    from conftest import ROOT

    from metrics.ingest import checks

    macros = (ROOT / "metrics" / "sql" / "macros.sql").read_text(encoding="utf-8")
    body = macros[macros.index("MACRO vl_is_total"):].split(";")[0]
    assert set(re.search(r"'([^'|]+(?:\|[^'|]+)+)'", body).group(1).split("|")) == checks._TOTAL_WORDS
    assert "length(t) <= 16" in body and "rtrim(lower(replace(t, ' ', '')), ':：')" in body
    for name in ("validate_accounts", "validate_events", "validate_outcomes", "validate_value_drivers",
                 "validate_features", "validate_users"):
        sql_text = (ROOT / "metrics" / "sql" / f"{name}.sql").read_text(encoding="utf-8")
        assert f"'{checks.TOTAL_ROW}'" in sql_text, name


def test_cells_padded_with_spaces_are_trimmed_and_a_cell_of_spaces_is_empty(loaded, tmp_path):
    """A padded id names the same account, user and feature as the plain one (vl_text trims only cells that start
    or end with a space); a cell of spaces is a missing value."""
    path = tmp_path / "padded.csv"
    path.write_text('account_id,user_id,event_time,feature,duration_seconds,units\n'
                    '" A1",u9 ,2025-04-02 09:00:00, Dispatch ,60 , 1\n'
                    'A1,"   ",2025-04-02 10:00:00,Dispatch,60,1\n', encoding="utf-8")
    result = ingest.import_file(loaded, path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert [(r.line, r.column_name, r.reason) for r in result.rejects.itertuples()] == [(3, "user_id", "missing value")]
    assert table(loaded, """SELECT a.account_id, u.user_id, f.feature, e.duration_seconds, e.units
                            FROM events AS e JOIN account AS a USING (account_key) JOIN users AS u USING (user_key)
                            JOIN feature AS f USING (feature_key) WHERE u.user_id LIKE 'u9%'""") == [
        ("A1", "u9", "Dispatch", 60.0, 1.0)]


@pytest.mark.parametrize("kind, text, column", [
    ("renewals", "account_id,renewal_date,outcome\nM1,2025-06-30,renewed\nM1,,renewed\n", "renewal_date"),
    ("requests", "account_id,request_date,words\nM1,2025-06-30,export to PDF\nM1,,bulk edit\n", "request_date"),
    ("objectives", "account_id,metric,target,target_date\nM1,seat_utilization,0.8,2026-06-30\n"
                   "M1,key_feature_adoption,0.6,\n", "target_date"),
])
def test_a_required_date_left_empty_is_rejected_as_missing(tmp_path, kind, text, column):
    """The date checks of every kind are one macro (vl_date_errs): for a required date an empty cell is its own
    reject, on its line and column, and the other row loads."""
    from metrics.store import connect

    con = connect(tmp_path / "d.duckdb")
    ingest.import_file(con, FIXTURES / "metrics" / "accounts.csv")
    (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
    result = ingest.import_file(con, tmp_path / f"{kind}.csv", kind=kind)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert result.rejects[["line", "column_name", "reason"]].values.tolist() == [[3, column, "missing value"]]
