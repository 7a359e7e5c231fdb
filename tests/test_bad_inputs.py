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


def test_duplicate_and_conflicting_rows_keep_the_last_one_and_count_the_rest(loaded):
    result = ingest.import_file(loaded, BAD / "duplicates_conflicting.csv")
    assert (result.rows_read, result.rows_loaded, result.rows_unchanged, result.rows_rejected) == (3, 1, 2, 0)
    assert table(loaded, "SELECT duration_seconds FROM events WHERE event_time = '2025-03-03 09:00:00'") == [(75.0,)]
    assert table(loaded, "SELECT count(*) FROM events") == [(7,)]


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
