-- name: merge_events
-- contract: vl_good (validated, batch-deduplicated events, features keyed by key_features) -> codes new users, upserts `events` on
-- (account_key, user_key, feature_key, event_time), leaves vl_changed (the rows written) and vl_touched
-- (the account-months whose rollups must be rebuilt).
INSERT INTO users
WITH new_users AS (
    SELECT DISTINCT g.account_key, g.user_id
    FROM vl_good AS g
    ANTI JOIN users AS u ON u.account_key = g.account_key AND u.user_id = g.user_id
)
SELECT (SELECT coalesce(max(user_key), 0) FROM users) + row_number() OVER (ORDER BY account_key, user_id) AS user_key,
       account_key, user_id
FROM new_users;

CREATE OR REPLACE TEMP TABLE vl_coded AS
SELECT g.account_key, u.user_key, g.feature_key, g.event_time,
       CAST(date_trunc('month', g.event_time) AS DATE) AS month, g.duration_seconds, g.units
FROM vl_good AS g
JOIN users AS u ON u.account_key = g.account_key AND u.user_id = g.user_id;

-- rows identical to what is stored are left alone (re-exported overlaps)
CREATE OR REPLACE TEMP TABLE vl_changed AS
SELECT c.* FROM vl_coded AS c
ANTI JOIN events AS e
    ON  e.account_key = c.account_key AND e.user_key = c.user_key AND e.feature_key = c.feature_key
    AND e.event_time = c.event_time
    AND e.duration_seconds IS NOT DISTINCT FROM c.duration_seconds AND e.units IS NOT DISTINCT FROM c.units;

DELETE FROM events AS e USING vl_changed AS c
WHERE e.account_key = c.account_key AND e.user_key = c.user_key AND e.feature_key = c.feature_key
  AND e.event_time = c.event_time;

INSERT INTO events BY NAME SELECT * FROM vl_changed;

CREATE OR REPLACE TEMP TABLE vl_touched AS SELECT DISTINCT account_key, month FROM vl_changed;
