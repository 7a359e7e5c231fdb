-- name: merge_events
-- contract: vl_coded (coded events; event ids unique within it) and vl_touched (its account-months) -> adds to
-- `events` what the batch has that the store has not, leaves vl_changed (the rows written) and vl_touched replaced
-- by the account-months whose rollups must be rebuilt. ingest runs it only when stored events share the batch's
-- months. No event is lost: rows that differ in any column are different events; an event with an id replaces the
-- stored one with that id; identical rows without an id are matched as a multiset, a row the batch has k times and
-- the store j times ending as max(j, k) copies (an overlapping re-export adds nothing, a repeated event stays).

-- only stored events of the batch's account-months can match a batch row (a row's month is part of its time)
CREATE OR REPLACE TEMP TABLE vl_stored AS
SELECT e.* FROM events AS e
SEMI JOIN vl_touched AS b ON b.account_key = e.account_key AND b.month = e.month;

-- events with an id: new ids and changed rows are written, the stored row of a changed id is replaced; an id is
-- an event of one feature (one raw event matched by two definitions is an event of each, as Heap exports it)
CREATE OR REPLACE TEMP TABLE vl_changed_ids AS
SELECT c.* EXCLUDE (line)
FROM vl_coded AS c
WHERE c.event_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM events AS e
    WHERE e.account_key = c.account_key AND e.event_id = c.event_id AND e.feature_key = c.feature_key
      AND e.user_key = c.user_key AND e.event_time = c.event_time
      AND e.duration_seconds IS NOT DISTINCT FROM c.duration_seconds AND e.units IS NOT DISTINCT FROM c.units
      AND e.event_count = c.event_count);

-- the months of replaced rows are rebuilt too (a corrected event may have moved to another month)
CREATE OR REPLACE TEMP TABLE vl_replaced AS
SELECT e.account_key, e.month FROM events AS e
SEMI JOIN vl_changed_ids AS c
    ON c.account_key = e.account_key AND c.event_id = e.event_id AND c.feature_key = e.feature_key;

DELETE FROM events AS e USING vl_changed_ids AS c
WHERE e.account_key = c.account_key AND e.event_id = c.event_id AND e.feature_key = c.feature_key;

-- events without an id, counted per identical row in the batch (k) and in the store (j): k - j more copies
CREATE OR REPLACE TEMP TABLE vl_changed_rows AS
WITH batch AS (
    SELECT account_key, user_key, feature_key, event_time, month, duration_seconds, units, event_count,
           count(*) AS k
    FROM vl_coded WHERE event_id IS NULL
    GROUP BY ALL
),
stored AS (
    SELECT account_key, user_key, feature_key, event_time, duration_seconds, units, event_count, count(*) AS j
    FROM vl_stored WHERE event_id IS NULL
    GROUP BY ALL
),
missing AS (
    SELECT b.*, b.k - coalesce(s.j, 0) AS copies
    FROM batch AS b
    LEFT JOIN stored AS s
        ON  s.account_key = b.account_key AND s.user_key = b.user_key AND s.feature_key = b.feature_key
        AND s.event_time = b.event_time AND s.duration_seconds IS NOT DISTINCT FROM b.duration_seconds
        AND s.units IS NOT DISTINCT FROM b.units AND s.event_count = b.event_count
    WHERE b.k > coalesce(s.j, 0)
)
SELECT m.account_key, m.user_key, m.feature_key, m.event_time, m.month, m.duration_seconds, m.units, m.event_count,
       CAST(NULL AS VARCHAR) AS event_id
FROM missing AS m, range(m.copies) AS copy(n);

CREATE OR REPLACE TEMP TABLE vl_changed AS
SELECT * FROM vl_changed_ids
UNION ALL BY NAME
SELECT * FROM vl_changed_rows;

DROP TABLE vl_coded;
DROP TABLE vl_stored;
DROP TABLE vl_changed_ids;
DROP TABLE vl_changed_rows;

INSERT INTO events BY NAME SELECT * FROM vl_changed;

CREATE OR REPLACE TEMP TABLE vl_touched AS
SELECT DISTINCT account_key, month FROM (SELECT account_key, month FROM vl_changed
                                          UNION ALL SELECT account_key, month FROM vl_replaced);
DROP TABLE vl_replaced;
