"""The rollup step on Spark: metrics/spark_rollup.py in local mode gives DuckDB's rollups row for row, and a
database loaded from its output reports what one loaded from the raw events does."""
from __future__ import annotations

import json
import shutil
from datetime import date, datetime

import duckdb
import pytest
from conftest import FIXTURES

from metrics import ingest, report
from metrics.period import Period
from metrics.store import connect

pyspark = pytest.importorskip("pyspark", reason="PySpark is a test-only requirement (requirements-test.txt)")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17 (CI installs openjdk-17-jre-headless)", allow_module_level=True)

from metrics import spark_rollup  # noqa: E402

NOW = datetime(2026, 11, 1)

TEXT_ROLLUPS = {
    "account_user_month": """
        SELECT a.account_id, u.user_id, r.month, r.active_days, r.events, r.duration_seconds, r.units,
               r.features_used
        FROM account_user_month AS r JOIN account AS a USING (account_key) JOIN users AS u USING (user_key)""",
    "account_feature_month": """
        SELECT a.account_id, f.feature, r.month, r.users, r.events, r.units, r.duration_seconds, r.first_used_at
        FROM account_feature_month AS r JOIN account AS a USING (account_key) JOIN feature AS f USING (feature_key)""",
    "account_month": """
        SELECT a.account_id, r.month, r.active_users, r.active_user_days, r.events, r.duration_seconds, r.units,
               r.features_used
        FROM account_month AS r JOIN account AS a USING (account_key)""",
    "user_feature_month": """
        SELECT a.account_id, u.user_id, f.feature, r.month, r.day_mask, r.events, r.units, r.first_used_at
        FROM user_feature_month AS r JOIN account AS a USING (account_key) JOIN users AS u USING (user_key)
        JOIN feature AS f USING (feature_key)""",
}


@pytest.fixture(scope="module")
def spark():
    session = spark_rollup.session("local[1]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """About 60,000 events over 3 accounts of the fixture, plus one unknown account, a negative duration and a
    duplicate (the later row wins), as Parquet."""
    folder = tmp_path_factory.mktemp("spark")
    events = folder / "events.parquet"
    duckdb.execute(f"""COPY (
        SELECT CASE WHEN i = 7 THEN 'ZZ' ELSE 'A' || (1 + i % 3) END AS account_id,
               'u' || (i % 97)                                          AS user_id,
               TIMESTAMP '2024-11-01' + to_seconds((i * 7919) % (700 * 86400)) AS event_time,
               'F' || (hash(i) % 12)                                    AS feature,
               CASE WHEN i = 11 THEN -5 ELSE (i % 50) END               AS duration_seconds,
               CASE WHEN i % 4 = 0 THEN NULL ELSE i % 3 END            AS units
        FROM range(60000) AS t(i)
        UNION ALL  -- a duplicate of row 0's key with other figures: the last row wins in both engines
        SELECT 'A1', 'u0', TIMESTAMP '2024-11-01', 'F' || (hash(0) % 12), 99, 9
    ) TO '{events}' (FORMAT parquet)""")
    return folder, events


def text_rollups(con) -> dict[str, list[tuple]]:
    return {name: sorted(con.execute(q).fetchall()) for name, q in TEXT_ROLLUPS.items()}


def spark_rows(folder, name: str) -> list[tuple]:
    columns = {"account_user_month": "account_id, user_id, month, active_days, events, duration_seconds, units, "
                                     "features_used",
               "account_feature_month": "account_id, feature, month, users, events, units, duration_seconds, "
                                        "first_used_at",
               "account_month": "account_id, month, active_users, active_user_days, events, duration_seconds, "
                                "units, features_used",
               "user_feature_month": "account_id, user_id, feature, month, day_mask, events, units, "
                                     "first_used_at"}[name]
    return sorted(duckdb.execute(f"SELECT {columns} FROM read_parquet('{folder}/{name}/*.parquet')").fetchall())


def assert_rollups_equal(spark, events, out) -> dict[str, list[tuple]]:
    """Spark's rollups of `events` equal DuckDB's row for row; returns DuckDB's."""
    counts = spark_rollup.run(spark, [str(events)], str(FIXTURES / "accounts.csv"), str(out), now=NOW)
    con = connect(":memory:")
    ingest.import_file(con, FIXTURES / "accounts.csv")
    result = ingest.import_file(con, events)
    assert result.rows_rejected == counts["rejects"] == 2
    duck = text_rollups(con)
    for name in spark_rollup.ROLLUPS:
        rows = spark_rows(out, name)
        assert len(rows) == counts[name] and len(rows) > 0
        assert rows == [tuple(pytest.approx(v) if isinstance(v, float) else v for v in row) for row in duck[name]], name
    return duck


def test_spark_rollups_equal_duckdbs_row_for_row(spark, generated, tmp_path):
    assert_rollups_equal(spark, generated[1], tmp_path / "out")


def test_a_re_sent_event_id_keeps_its_last_row_in_spark_as_in_duckdb(spark, generated, tmp_path):
    events = tmp_path / "with_ids.parquet"
    # every event has an id; A3's first one is sent again at the end with other figures, same feature (a corrected
    # event; an id is an event of one feature, issue 42): only that row counts, in both engines
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE src AS SELECT *, 'e' || row_number() OVER () AS event_id
                    FROM read_parquet('{generated[1]}')""")
    first = con.execute("SELECT user_id, event_id, feature FROM src WHERE account_id = 'A3' "
                        "ORDER BY event_time, event_id LIMIT 1").fetchall()[0]
    con.execute(f"""COPY (
        SELECT * EXCLUDE (part) FROM (SELECT *, 0 AS part FROM src
                       UNION ALL
                       SELECT 'A3', $user, TIMESTAMP '2025-03-03 10:00:00', $feature, 7, 7, $id, 1)
        ORDER BY part
    ) TO '{events}' (FORMAT parquet)""", {"user": first[0], "id": first[1], "feature": first[2]})
    duck = assert_rollups_equal(spark, events, tmp_path / "out")
    assert ("A3", first[0], first[2], date(2025, 3, 1)) in {row[:4] for row in duck["user_feature_month"]}
    # 60,002 rows, 2 rejected, A3's first event replaced by its re-sent row
    assert sum(row[4] for row in duck["account_month"]) == 59_999


def test_a_database_loaded_from_spark_rollups_reports_what_raw_events_give(spark, generated, tmp_path):
    folder, events = generated
    spark_rollup.run(spark, [str(events)], str(FIXTURES / "accounts.csv"), str(tmp_path / "out"), now=NOW)
    raw, rolled = connect(":memory:"), connect(":memory:")
    for con in (raw, rolled):
        for name in ("accounts.csv", "value_drivers.csv", "outcomes.csv"):
            ingest.import_file(con, FIXTURES / name)
    ingest.import_file(raw, events)
    result = ingest.import_rollups(rolled, tmp_path / "out")
    assert (result.kind, result.rows_rejected) == ("rollups", 0)
    assert ingest.import_rollups(rolled, tmp_path / "out").skipped  # the same folder again changes nothing
    period = Period(datetime(2025, 7, 1).date(), datetime(2025, 10, 1).date())
    for account_id in ("A1", "A2"):
        a = report.account_report(raw, account_id=account_id, period=period)
        b = report.account_report(rolled, account_id=account_id, period=period)
        assert json.dumps(b, sort_keys=True, default=str) == json.dumps(a, sort_keys=True, default=str)
    assert rolled.execute("SELECT count(*) FROM events").fetchall() == [(0,)]  # reports never needed raw events


def test_the_cli_imports_a_spark_rollup_folder_and_refuses_unknown_accounts(spark, generated, tmp_path, capsys):
    import cli

    folder, events = generated
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        (FIXTURES / "accounts.csv").read_text(encoding="utf-8") + "ZZ,Zed Ltd,Retail,Europe,SMB,5,,,,,\n",
        encoding="utf-8")
    spark_rollup.run(spark, [str(events)], str(accounts), str(tmp_path / "out"), now=NOW)
    db = tmp_path / "cli.duckdb"
    assert cli.main(["import", str(FIXTURES / "accounts.csv"), str(tmp_path / "out"), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "out [Rollups]:" in out and "unknown account" in out
    assert connect(db).execute("SELECT count(*) FROM account_month JOIN account USING (account_key) "
                               "WHERE account_id = 'ZZ'").fetchall() == [(0,)]
