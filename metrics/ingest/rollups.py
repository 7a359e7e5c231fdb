"""Rollups built elsewhere (metrics/spark_rollup.py) loaded as they are."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from metrics.ingest.contract import ImportResult, _empty_rejects
from metrics.ingest.readers import _drop_staging, _sha256
from metrics.store import DataError, sql, write_transaction

# ---------------------------------------------------------------- rollups built elsewhere (Spark)

ROLLUP_DIRS = ("account_user_month", "account_feature_month", "account_month")


def is_rollup_dir(path: str | Path) -> bool:
    """True for a folder holding the three rollups as metrics/spark_rollup.py writes them."""
    path = Path(path)
    return path.is_dir() and all(any((path / name).glob("*.parquet")) for name in ROLLUP_DIRS)


def import_rollups(con, path: str | Path, *, force: bool = False) -> ImportResult:
    """Load rollups built by metrics/spark_rollup.py (text ids) in one transaction, replacing the rollups of the
    account-months they cover; rows of accounts this database does not know are refused and listed.

    A customer's events go either through `import_file` or through Spark, not both for the same months: a later
    raw import of such a month rebuilds its rollups from the raw events stored here only.
    """
    path = Path(path)
    if not is_rollup_dir(path):
        raise DataError(f"{path.name}: not a rollup folder (needs Parquet files in {', '.join(ROLLUP_DIRS)})")
    files = sorted(f for name in ROLLUP_DIRS for f in (path / name).glob("*.parquet"))
    digest = hashlib.sha256("".join(f"{f.relative_to(path)}:{_sha256(f)}" for f in files).encode()).hexdigest()
    cur = con.cursor()
    done = cur.execute("SELECT import_id FROM imports WHERE sha256 = $d AND kind = 'rollups'", {"d": digest}).fetchall()
    if done and not force:
        return ImportResult(path.name, "rollups", done[0][0], 0, 0, 0, 0, True, _empty_rejects())
    staged = {"vl_aum": "account_user_month", "vl_afm": "account_feature_month", "vl_am": "account_month"}
    try:
        for table, name in staged.items():
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_parquet($files)",
                        {"files": [str(f) for f in (path / name).glob("*.parquet")]})
    except duckdb.Error as exc:
        _drop_staging(cur)
        raise DataError(f"{path.name}: cannot read the rollups ({exc})") from exc
    read = sum(cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in staged)
    try:
        with write_transaction(cur):
            cur.execute(sql("merge_rollups"))
            import_id = cur.execute("SELECT nextval('import_seq')").fetchall()[0][0]
            unknown = [r[0] for r in cur.execute("SELECT account_id FROM vl_unknown ORDER BY 1").fetchall()]
            refused = sum(cur.execute(f"SELECT count(*) FROM {table} SEMI JOIN vl_unknown USING (account_id)")
                          .fetchall()[0][0] for table in staged)
            loaded = read - refused
            if unknown:
                cur.executemany("INSERT INTO rejects VALUES (?, ?, NULL, 'account_id', ?, ?)",
                                [(import_id, path.name, a, "unknown account (import it in an accounts file first)")
                                 for a in unknown])
            cur.execute("""INSERT INTO imports VALUES ($id, $file, $sha, 'rollups', 'spark', 'parquet', NULL,
                                                      now()::TIMESTAMP, $read, $loaded, 0, $refused, 0, 0)""",
                        {"id": import_id, "file": path.name, "sha": digest, "read": read, "loaded": loaded,
                         "refused": refused})
            rejects = cur.execute("SELECT line, column_name, value, reason FROM rejects WHERE import_id = $id",
                                  {"id": import_id}).df()
    finally:
        _drop_staging(cur)
    return ImportResult(path.name, "rollups", import_id, read, loaded, 0, refused, False, rejects)
