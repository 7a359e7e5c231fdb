-- Statements of metrics/ingest/merge.py: upserts of validated rows and the rollups of the account-months an
-- import touched. {{part}} placeholders take identifiers from the code's contract (sql_with), values are $params.

-- name: good_rows
-- the good rows of the batch; the last row of the file wins when a key repeats within the batch
CREATE OR REPLACE TEMP TABLE vl_good AS
SELECT * EXCLUDE (errors) FROM vl_checked WHERE len(errors) = 0
QUALIFY row_number() OVER (PARTITION BY {{partition}} ORDER BY line DESC) = 1

-- name: changed_count
SELECT count(*) FROM vl_changed

-- name: feature_renames
-- stored features whose id the feature list names
SELECT f.feature_key, m.feature_name FROM feature AS f
JOIN feature_name_map AS m ON m.feature_id = f.feature
WHERE m.feature_name <> f.feature ORDER BY f.feature_key

-- name: feature_key_of
SELECT feature_key FROM feature WHERE feature = $name

-- name: rename_feature
UPDATE feature SET feature = $name WHERE feature_key = $key

-- name: rekey_table
CREATE OR REPLACE TEMP TABLE vl_rekey (old_key INTEGER, new_key INTEGER)

-- name: rekey_row
INSERT INTO vl_rekey VALUES (?, ?)

-- name: rekey_features
-- the account-months of the re-keyed features' events, then the events, value drivers and features re-keyed
CREATE OR REPLACE TEMP TABLE vl_touched AS
SELECT DISTINCT e.account_key, e.month FROM events AS e SEMI JOIN vl_rekey AS r ON r.old_key = e.feature_key;
UPDATE events SET feature_key = r.new_key FROM vl_rekey AS r WHERE events.feature_key = r.old_key;
DELETE FROM value_drivers USING vl_rekey AS r WHERE value_drivers.feature_key = r.old_key;
DELETE FROM feature USING vl_rekey AS r WHERE feature.feature_key = r.old_key;
CREATE OR REPLACE TEMP VIEW vl_rollup_events AS
SELECT e.* FROM events AS e SEMI JOIN vl_touched AS t ON t.account_key = e.account_key AND t.month = e.month

-- name: drop_rollup_events
DROP VIEW vl_rollup_events

-- name: drop_rejected_events
-- the batch's rejected rows, stored in `rejects` by now: what is left of vl_checked is the good rows
DELETE FROM vl_checked WHERE len(errors) > 0

-- name: touched_months
CREATE OR REPLACE TEMP TABLE vl_touched AS
SELECT account_key, month FROM vl_batch_keys WHERE key_set = 6 AND good

-- name: coding
-- the batch with integer keys and its month, still carrying `line` (the batch may repeat an event id; ingest keeps
-- its last row), in the file's order: one view for both ways the batch goes on (coded_batch, insert_checked)
CREATE OR REPLACE TEMP VIEW vl_coding AS
SELECT c.line, c.account_key, u.user_key, f.feature_key, c.event_time,
       CAST(date_trunc('month', c.event_time) AS DATE) AS month, c.duration_seconds, c.units, c.event_count,
       c.event_id
FROM vl_checked AS c
JOIN feature AS f ON f.feature = c.feature
JOIN users AS u ON u.account_key = c.account_key AND u.user_id = c.user_id

-- name: coded_batch
-- the coded batch kept to be compared with the stored events; vl_checked is dropped so that the batch is held
-- once, not twice
CREATE OR REPLACE TEMP TABLE vl_coded AS SELECT * FROM vl_coding;
DROP VIEW vl_coding;
DROP TABLE vl_checked

-- name: insert_checked
-- a batch that shares no account-month with the store goes into `events` as it is, coded on the way (the result:
-- how many rows; coding it into a table first and inserting that cost 1.4x at 10M events), in account order: each
-- rollup part, a range of accounts, then reads only its blocks of `events` (unsorted, every part read all of them:
-- 84 s against 72 s for a 50M-event import)
INSERT INTO events BY NAME SELECT * EXCLUDE (line) FROM vl_coding ORDER BY account_key

-- name: drop_checked
DROP VIEW vl_coding;
DROP TABLE vl_checked

-- name: overlap
-- does any stored event share an account-month with the batch
SELECT count(*) FROM (SELECT 1 FROM events AS e
                      SEMI JOIN vl_touched AS t ON t.account_key = e.account_key AND t.month = e.month
                      LIMIT 1)

-- name: rollup_parts
-- ranges of accounts with about $rows changed events each
SELECT min(account_key), max(account_key) FROM (
    SELECT account_key, (sum(n) OVER (ORDER BY account_key) - n) // $rows AS part
    FROM (SELECT account_key, count(*) AS n FROM {{changes}} GROUP BY account_key))
GROUP BY part ORDER BY part

-- name: drop_changed
DROP TABLE vl_changed

-- name: keep_all_touched
ALTER TABLE vl_touched RENAME TO vl_touched_all

-- name: set_span
-- the accounts of one rollup part (a view takes no parameters; it reads these variables)
SET VARIABLE vl_first_account = $first;
SET VARIABLE vl_last_account = $last;

-- name: part_of_stored_events
CREATE OR REPLACE TEMP TABLE vl_touched AS
SELECT * FROM vl_touched_all AS t
WHERE t.account_key BETWEEN getvariable('vl_first_account') AND getvariable('vl_last_account');
CREATE OR REPLACE TEMP VIEW vl_rollup_events AS
SELECT e.* FROM events AS e SEMI JOIN vl_touched AS t ON t.account_key = e.account_key AND t.month = e.month
WHERE e.account_key BETWEEN getvariable('vl_first_account') AND getvariable('vl_last_account')

-- name: has_event_ids
SELECT count(*) FROM (SELECT 1 FROM {{batch}} WHERE event_id IS NOT NULL LIMIT 1)

-- name: may_repeat_ids
-- could an event id repeat for one feature in the batch: equal hashes (a collision only costs the exact check)
SELECT count(*) FROM (SELECT 1 FROM {{batch}} WHERE event_id IS NOT NULL
                      GROUP BY account_key, hash(event_id, {{feature}}) HAVING count(*) > 1 LIMIT 1)

-- name: drop_repeated_ids
-- the file's last row of an event id that repeats for one feature within the batch ({{batch}}: vl_checked or
-- vl_coded, {{feature}}: its feature or feature_key): one raw event matched by two event definitions (Heap's
-- all_events) is an event of each
DELETE FROM {{batch}} AS c USING (
    SELECT account_key, event_id, {{feature}} AS feature_of, max(line) AS last_line FROM {{batch}}
    WHERE event_id IS NOT NULL GROUP BY account_key, event_id, {{feature}} HAVING count(*) > 1) AS r
WHERE c.account_key = r.account_key AND c.event_id = r.event_id AND c.{{feature}} = r.feature_of
  AND c.line <> r.last_line

-- name: merge_table
-- keyed upsert of vl_good into {{table}}: a contract column absent from the file ($present) keeps its stored
-- value; vl_changed = the rows that are new or differ
CREATE OR REPLACE TEMP TABLE vl_merged AS
SELECT {{keys}}, {{merged}} FROM vl_good AS g LEFT JOIN {{table}} AS cur ON {{on}};
CREATE OR REPLACE TEMP TABLE vl_changed AS
SELECT m.* FROM vl_merged AS m ANTI JOIN {{table}} AS cur ON {{same}};
DELETE FROM {{table}} AS cur USING vl_changed AS g WHERE {{on}};
INSERT INTO {{table}} BY NAME SELECT * FROM vl_changed

-- name: save_settings
DELETE FROM source_settings WHERE source = $source;
INSERT INTO source_settings VALUES ($source, $preset, $include, $exclude, $value_model_only)

-- name: forget_mapping
DELETE FROM column_mapping WHERE source = $source

-- name: mapping_row
INSERT INTO column_mapping VALUES (?, ?, ?)

-- name: grouped_requests
-- the batch's requests with the requirement CS grouped them under (merge.group_requests)
SELECT request_id, requirement FROM vl_good WHERE requirement IS NOT NULL ORDER BY line

-- name: requirement_titles
SELECT requirement_id, title FROM requirements ORDER BY requirement_id

-- name: request_requirements
SELECT request_id, requirement_id FROM requirement_requests
