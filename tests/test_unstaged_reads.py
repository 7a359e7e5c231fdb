"""A clean CSV or JSON-lines file of events is not staged: validation reads it as DuckDB's reader reads it
(ingest.importer._validate_lazily). Its rows then carry no line number (DuckDB writes a join's output in no set
order), so a file whose lines must be named (a rejected row, a repeated event id) is rolled back and staged, as is
a file that reader cannot take whole, and its lines named as before."""
from __future__ import annotations

import pytest
from conftest import FIXTURES, table

from metrics import ingest
from metrics.ingest import importer
from metrics.store import DataError, connect


def _database():
    con = connect(":memory:")
    for name in ("accounts.csv", "value_drivers.csv"):
        ingest.import_file(con, FIXTURES / name)
    return con


def _stagings(monkeypatch) -> list[bool]:
    """The `lazy` of each time import_file stages the file: [True] when it was read once, unstaged."""
    calls: list[bool] = []
    real = importer._stage_path

    def recorded(*args, **kwargs):
        calls.append(kwargs.get("lazy", False))
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "_stage_path", recorded)
    return calls


def _csv(rows: list[tuple]) -> str:
    return "account_id,user_id,feature,event_time,duration_seconds,event_id\n" + "".join(
        ",".join(map(str, row)) + "\n" for row in rows)


def _json(rows: list[tuple]) -> str:
    keys = ("account_id", "user_id", "feature", "event_time", "duration_seconds", "event_id")
    return "".join("{" + ", ".join(f'"{k}": "{v}"' if k != "duration_seconds" else f'"{k}": {v}'
                                   for k, v in zip(keys, row)) + "}\n" for row in rows)


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
@pytest.mark.parametrize("records, bad, repeated, staged", [
    (60_000, (), (), False),  # clean, every event id once: read once
    (6, (2, 5), (), True),
    (60_000, (1, 2, 777, 30_001, 59_999, 60_000), (), True),
    (60_000, (), (3, 59_997), True),
])
def test_a_file_is_read_once_unless_a_line_must_be_named(tmp_path, monkeypatch, fmt, records, bad, repeated,
                                                         staged):
    """Rejected records name their own lines (the CSV's header is line 1) in a file read in many blocks by four
    threads; of two records with one event id (`repeated`), the later stays. Only a clean file is read once."""
    rows = [("NOPE" if n in bad else ("A1", "A2")[n % 2], f"u{n % 30}", "Dispatch",
             f"2025-03-0{1 + n % 9}T10:00:00Z", 99 if repeated and n == repeated[1] else 10 + n % 5,
             "dup" if n in repeated else f"e{n}") for n in range(1, records + 1)]
    path = tmp_path / f"usage.{fmt}"
    path.write_text(_csv(rows) if fmt == "csv" else _json(rows), encoding="utf-8")
    con = _database()
    con.execute("SET threads = 4")
    calls = _stagings(monkeypatch)
    result = ingest.import_file(con, path, kind="events")
    assert calls == ([True, False] if staged else [True])
    assert (result.rows_read, result.rows_rejected) == (records, len(bad))
    header = fmt == "csv"
    assert table(con, "SELECT line, value FROM rejects ORDER BY line") == [(n + header, "NOPE") for n in bad]
    if repeated:
        assert table(con, "SELECT duration_seconds FROM events WHERE event_id = 'dup'") == [(99.0,)]
    assert table(con, "SELECT count(*) FROM events")[0][0] == records - len(bad) - bool(repeated)
    assert table(con, "SELECT import_id FROM imports WHERE kind = 'events'") == [(3,)]  # no id taken twice


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
def test_the_unstaged_read_stops_at_the_first_row_to_reject(tmp_path, monkeypatch, fmt):
    """A row to reject needs its line, which a row read unstaged lacks: validation stops at the first one (an error
    of the statement, not a read of the rest of the file) and the file is staged; its rejects are named as before."""
    rows = [("NOPE" if n in (2, 40_000) else "A1", f"u{n % 30}", "Dispatch", "2025-03-04T10:00:00Z", 10, f"e{n}")
            for n in range(1, 60_001)]
    path = tmp_path / f"usage.{fmt}"
    path.write_text(_csv(rows) if fmt == "csv" else _json(rows), encoding="utf-8")
    stopped: list[BaseException | None] = []
    real = importer._validate_lazily

    def recorded(*args, **kwargs):
        try:
            return real(*args, **kwargs)
        except importer._Restage as exc:
            stopped.append(exc.__cause__)
            raise

    monkeypatch.setattr(importer, "_validate_lazily", recorded)
    con = _database()
    result = ingest.import_file(con, path, kind="events")
    assert len(stopped) == 1 and "vl_restage:row_to_reject" in str(stopped[0])
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (60_000, 59_998, 2)
    header = fmt == "csv"
    assert table(con, "SELECT line FROM rejects ORDER BY line") == [(2 + header,), (40_000 + header,)]


GOOD = "A1,u1,Dispatch,2025-03-04 10:00:00,30,"
CSV_THE_READER_CANNOT_TAKE_WHOLE = {
    # a quoted line break: 3 records on 4 lines, the second's duration "3\n0" not a number, named by its first line
    "quoted line break": (f'{GOOD}\n"A1",u2,"Dispatch",2025-03-04 10:00:00,"3\n0",\n{GOOD}\n', 3, [3]),
    # a line of too many fields fails DuckDB's strict read; staged, it is a malformed row of its own
    "too many fields": (f"{GOOD}\n{GOOD},extra,more\n{GOOD}\n", 3, [3]),
    # mixed line endings: DuckDB would leave a \r in a value
    "mixed line endings": (f"{GOOD}\r\n{GOOD}\n{GOOD}\r\n", 3, []),
    # a blank line: counted as excluded, not as a record
    "blank line": (f"{GOOD}\n\n{GOOD}\n", 2, []),
}


@pytest.mark.parametrize("case", list(CSV_THE_READER_CANNOT_TAKE_WHOLE))
def test_a_csv_the_fast_reader_cannot_take_whole_is_staged_and_read_as_before(tmp_path, monkeypatch, case):
    body, read, rejected_lines = CSV_THE_READER_CANNOT_TAKE_WHOLE[case]
    path = tmp_path / "usage.csv"
    path.write_bytes(("account_id,user_id,feature,event_time,duration_seconds,event_id\n" + body).encode())
    con = _database()
    calls = _stagings(monkeypatch)
    result = ingest.import_file(con, path, kind="events")
    assert calls == [True, False]  # tried unstaged, rolled back, staged
    assert result.rows_read == read
    assert [line for (line,) in table(con, "SELECT DISTINCT line FROM rejects ORDER BY 1")] == rejected_lines
    assert result.rows_loaded == read - len(rejected_lines)
    assert table(con, "SELECT count(*) FROM events WHERE contains(coalesce(event_id, ''), chr(13))") == [(0,)]


def test_a_csv_of_a_header_alone_is_refused_as_before(tmp_path, monkeypatch):
    path = tmp_path / "usage.csv"
    path.write_text("account_id,user_id,feature,event_time,duration_seconds\n", encoding="utf-8")
    con = _database()
    calls = _stagings(monkeypatch)
    with pytest.raises(DataError, match="header but no data rows"):
        ingest.import_file(con, path, kind="events")
    assert calls == [True, False]
