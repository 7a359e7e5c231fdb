-- Statements of metrics/ingest/rollups.py: loading rollups built by Spark (metrics/spark_rollup.py).
-- {{table}} is one of the code's own staging tables (vl_aum, vl_afm, vl_am, vl_aufm).

-- name: done_before
SELECT import_id FROM imports WHERE sha256 = $digest AND kind = 'rollups'

-- name: stage
CREATE OR REPLACE TEMP TABLE {{table}} AS SELECT * FROM read_parquet($files)

-- name: count
SELECT count(*) FROM {{table}}

-- name: next_import_id
SELECT nextval('import_seq')

-- name: unknown_accounts
SELECT account_id FROM vl_unknown ORDER BY 1

-- name: refused_rows
SELECT count(*) FROM {{table}} SEMI JOIN vl_unknown USING (account_id)

-- name: reject_row
INSERT INTO rejects VALUES (?, ?, NULL, 'account_id', ?, ?)

-- name: record_import
INSERT INTO imports VALUES ($id, $file, $sha, 'rollups', 'spark', 'parquet', NULL,
                            now()::TIMESTAMP, $read, $loaded, 0, $refused, 0, 0, NULL, NULL)

-- name: rejects_of
SELECT line, column_name, value, reason FROM rejects WHERE import_id = $id
