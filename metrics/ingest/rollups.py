"""Rollups built elsewhere (metrics/spark_rollup.py) loaded as they are."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from metrics.ingest.contract import ImportResult, _empty_rejects
from metrics.ingest.readers import _drop_staging, _sha256
from metrics.store import DataError, run, sql, write_transaction

# ---------------------------------------------------------------- rollups built elsewhere (Spark)

ROLLUP_DIRS = ("account_user_month", "account_feature_month", "account_month", "user_feature_month")


def is_rollup_dir(path: str | Path) -> bool:
    """True for a folder holding the four rollups as metrics/spark_rollup.py writes them."""
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
    done = run(cur, "ingest_rollups.done_before", {"digest": digest}).fetchall()
    if done and not force:
        return ImportResult(path.name, "rollups", done[0][0], 0, 0, 0, 0, True, _empty_rejects())
    staged = {"vl_aum": "account_user_month", "vl_afm": "account_feature_month", "vl_am": "account_month",
              "vl_aufm": "user_feature_month"}
    try:
        for table, name in staged.items():
            run(cur, "ingest_rollups.stage", {"files": [str(f) for f in (path / name).glob("*.parquet")]}, table=table)
    except duckdb.Error as exc:
        _drop_staging(cur)
        raise DataError(f"{path.name}: cannot read the rollups (damaged Parquet files, or not the rollups' "
                        "columns)") from exc
    read = sum(run(cur, "ingest_rollups.count", table=table).fetchall()[0][0] for table in staged)
    try:
        with write_transaction(cur):
            cur.execute(sql("merge_rollups"))
            import_id = run(cur, "ingest_rollups.next_import_id").fetchall()[0][0]
            unknown = [r[0] for r in run(cur, "ingest_rollups.unknown_accounts").fetchall()]
            refused = sum(run(cur, "ingest_rollups.refused_rows", table=table).fetchall()[0][0] for table in staged)
            loaded = read - refused
            if unknown:
                cur.executemany(sql("ingest_rollups.reject_row"),
                                [(import_id, path.name, a, "unknown account (import it in an accounts file first)")
                                 for a in unknown])
            run(cur, "ingest_rollups.record_import",
                {"id": import_id, "file": path.name, "sha": digest, "read": read, "loaded": loaded,
                 "refused": refused})
            rejects = run(cur, "ingest_rollups.rejects_of", {"id": import_id}).df()
    finally:
        _drop_staging(cur)
    return ImportResult(path.name, "rollups", import_id, read, loaded, 0, refused, False, rejects)
