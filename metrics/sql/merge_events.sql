-- name: merge_events
-- contract: vl_coded (coded events, one row per key) and vl_touched (its account-months) -> upserts `events` on
-- (account_key, user_key, feature_key, event_time), leaves vl_changed (the rows written) and vl_touched replaced by
-- the account-months whose rollups must be rebuilt. ingest runs it only when stored events share the batch's months.

-- only stored events of the batch's account-months can match a batch row (a key's month is part of its time)
CREATE OR REPLACE TEMP TABLE vl_stored AS
SELECT e.* FROM events AS e
SEMI JOIN vl_touched AS b ON b.account_key = e.account_key AND b.month = e.month;

-- rows identical to what is stored are left alone (re-exported overlaps)
CREATE OR REPLACE TEMP TABLE vl_changed AS
SELECT c.account_key, c.user_key, c.feature_key, c.event_time, c.month, c.duration_seconds, c.units, c.event_count
FROM vl_coded AS c
ANTI JOIN vl_stored AS e
    ON  e.account_key = c.account_key AND e.user_key = c.user_key AND e.feature_key = c.feature_key
    AND e.event_time = c.event_time
    AND e.duration_seconds IS NOT DISTINCT FROM c.duration_seconds AND e.units IS NOT DISTINCT FROM c.units
    AND e.event_count IS NOT DISTINCT FROM c.event_count;

DELETE FROM events AS e USING vl_changed AS c
WHERE e.account_key = c.account_key AND e.user_key = c.user_key AND e.feature_key = c.feature_key
  AND e.event_time = c.event_time;

DROP TABLE vl_coded;
DROP TABLE vl_stored;

INSERT INTO events BY NAME SELECT * FROM vl_changed;

CREATE OR REPLACE TEMP TABLE vl_touched AS SELECT DISTINCT account_key, month FROM vl_changed;
