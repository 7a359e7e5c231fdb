-- Statements of metrics/ingest/__init__.py: one import from staged rows (vl_raw) to the stored tables. Values
-- are $params, or session variables (SET VARIABLE) where a view reads them; {{part}} placeholders take SQL built
-- by the code from the contract and from column positions (sql_with), never a value from a file.

-- name: sample
SELECT * EXCLUDE (line) FROM vl_raw ORDER BY line LIMIT $n

-- name: raw_types
-- the staged columns' types (c0 VARCHAR, c1 STRUCT(...)[], ...): what ingest.nested may look into
SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM vl_raw)

-- name: raw_sample_columns
-- the first rows of the columns that may hold nested fields ({{columns}}: c1, c4)
SELECT {{columns}} FROM vl_raw LIMIT $n

-- name: any_order
SET preserve_insertion_order = false

-- name: file_order
RESET preserve_insertion_order

-- name: set_time_zone
-- this cursor's session counts times in the workspace zone (offsets and epochs converted to it)
SET TimeZone = $zone

-- name: set_field_paths
-- the JSON paths of dotted mappings into nested columns ($.properties.company_id) and the keys into key/value
-- arrays (company_id), read by vl_stage
SET VARIABLE vl_field_paths = $paths::VARCHAR[]

-- name: set_event_filter
-- the event filter's patterns as regular expressions, read by vl_stage
SET VARIABLE vl_include = $include;
SET VARIABLE vl_exclude = $exclude;

-- name: done_before
SELECT import_id FROM imports WHERE sha256 = $digest AND kind = $kind

-- name: has_user_directory
SELECT count(*) > 0 FROM user_directory

-- name: stage
-- the staged rows as contract columns, without the events the filter excludes
CREATE OR REPLACE TEMP VIEW vl_stage AS SELECT line, {{select}} FROM {{source}} WHERE {{keep}}

-- name: next_import_id
SELECT nextval('import_seq')

-- name: name_members
-- rejects of an archive or folder name their member and the line within it, not the combined line
UPDATE rejects AS r SET line = r.line - m.line_offset, value = m.member || ': ' || coalesce(r.value, '')
FROM vl_members AS m
WHERE r.import_id = $id AND r.line BETWEEN m.first_line AND m.last_line

-- name: member_row
INSERT INTO vl_members VALUES (?, ?, ?, ?)

-- name: has_feature_names
SELECT count(*) > 0 FROM feature_name_map

-- name: name_features
-- events whose feature is an id of the feature list take its name, in the batch and in its keys (batch_keys)
UPDATE vl_checked SET feature = m.feature_name FROM feature_name_map AS m WHERE vl_checked.feature = m.feature_id;
UPDATE vl_batch_keys SET feature = m.feature_name FROM feature_name_map AS m
WHERE vl_batch_keys.key_set = 5 AND vl_batch_keys.feature = m.feature_id

-- name: has_value_model
SELECT count(*) > 0 FROM value_drivers

-- name: batch_keys
-- a batch of events' distinct (account, user), (account, feature) and (account, month) in one pass, each with
-- whether a good row has it: the identifier checks (batch_identifiers), the value-model warning, the new users and
-- features (code_events.sql) and the touched account-months (ingest_merge.touched_months) read these instead of a
-- pass each over the batch (at 50M events, spilled to disk, the six passes took 10.6 s, this one 5.8-6.7 s). key_set
-- says which set a row is of (a NULL in its columns is a NULL of the data): 3 user, 5 feature, 6 month.
-- checks._check_identifiers runs it again when it rejects rows, so that `good` stays true to the rows.
CREATE OR REPLACE TEMP TABLE vl_batch_keys AS
SELECT account_key, user_id, feature, month, grouping(user_id, feature, month) AS key_set,
       bool_or(good) AS good
FROM (SELECT account_key, user_id, feature, CAST(date_trunc('month', event_time) AS DATE) AS month,
             len(errors) = 0 AS good
      FROM vl_checked)
GROUP BY GROUPING SETS ((account_key, user_id), (account_key, feature), (account_key, month))

-- name: batch_identifiers
-- the batch's distinct user ids and features (checks._check_identifiers), as distinct_values gives them
SELECT DISTINCT user_id, NULL AS feature FROM vl_batch_keys WHERE key_set = 3 AND user_id IS NOT NULL
UNION ALL
SELECT DISTINCT NULL, feature FROM vl_batch_keys WHERE key_set = 5 AND feature IS NOT NULL

-- name: unpriced_accounts
-- accounts of the batch none of whose events is a value-model feature
SELECT a.account_id FROM (
    SELECT k.account_key, bool_or(k.feature IN (SELECT f.feature FROM value_drivers AS v
                                                JOIN feature AS f USING (feature_key))) AS priced
    FROM vl_batch_keys AS k WHERE k.key_set = 5 AND k.good GROUP BY k.account_key) AS b
JOIN account AS a USING (account_key) WHERE NOT b.priced ORDER BY a.account_id

-- name: row_counts
-- the batch's rejected and good rows, in one pass (each pass over 50M events, spilled to disk, took 0.4 s): with no
-- rejected row, storing the rejects and deleting the rejected rows are skipped
SELECT count(*) FILTER (WHERE len(errors) > 0), count(*) FILTER (WHERE len(errors) = 0) FROM vl_checked

-- name: record_import
INSERT INTO imports VALUES ($id, $file, $sha, $kind, $source, $fmt, $enc, now()::TIMESTAMP,
                            $read, $loaded, $unchanged, $rejected, $excluded, $filtered, $preset, $layout)

-- name: rejects_of
SELECT line, column_name, value, reason FROM rejects WHERE import_id = $id ORDER BY line, column_name LIMIT $n

-- name: saved_mapping
SELECT header, column_name FROM column_mapping WHERE source = $source

-- name: saved_settings
SELECT preset, include, exclude, value_model_only FROM source_settings WHERE source = $source

-- name: distinct_values
-- the distinct values of a kind's identifier columns ({{columns}}: c1, c2; {{sets}}: (c1), (c2)), checked once each
-- in Python (checks._check_identifiers): one pass over the batch for all of them (a pass over 50M events, spilled
-- to disk, took 1.4-1.9 s), one row per value with the other columns NULL
SELECT {{columns}} FROM vl_checked GROUP BY GROUPING SETS ({{sets}})

-- name: clear_bad_ids
DELETE FROM vl_bad_ids

-- name: bad_id_row
INSERT INTO vl_bad_ids VALUES (?, ?, ?)

-- name: reject_bad_ids
UPDATE vl_checked AS c
SET errors = list_append(c.errors, {'column_name': b.column_name, 'value': left(b.value, 200), 'reason': b.reason})
FROM vl_bad_ids AS b WHERE b.column_name = $column AND c.{{column}} = b.value

-- name: store_rejects
-- one reject per failed check
INSERT INTO rejects
SELECT $id, $file, line, e.column_name, e.value, e.reason
FROM (SELECT line, unnest(errors) AS e FROM vl_checked WHERE len(errors) > 0)

-- name: structural_reject
INSERT INTO rejects VALUES (?, ?, ?, NULL, ?, ?)

-- name: drop_raw
-- the staged rows, once validated into vl_checked: freed before the merge needs the memory
DROP VIEW IF EXISTS vl_stage;
DROP VIEW IF EXISTS vl_raw;
DROP TABLE IF EXISTS vl_raw_rows;
DROP TABLE IF EXISTS vl_raw_lines

-- name: checked_count
SELECT count(*) FROM vl_checked
