-- name: code_events
-- contract: vl_checked (validated events) -> codes new features and users, leaves vl_coded: the good rows with
-- integer keys and their month, still carrying `line` (the batch may repeat a key; ingest keeps its last row), in
-- (account, month) order: a range of accounts is then a few of its blocks, and `events` is stored in that order.
-- vl_checked is dropped (its rejects are stored by then), so the batch is held in memory once, not twice.
INSERT INTO feature
WITH new_features AS (
    SELECT DISTINCT c.feature
    FROM vl_checked AS c
    ANTI JOIN feature AS f ON f.feature = c.feature
    WHERE len(c.errors) = 0
)
SELECT (SELECT coalesce(max(feature_key), 0) FROM feature) + row_number() OVER (ORDER BY feature) AS feature_key,
       feature
FROM new_features;

INSERT INTO users
WITH new_users AS (
    SELECT DISTINCT c.account_key, c.user_id
    FROM vl_checked AS c
    ANTI JOIN users AS u ON u.account_key = c.account_key AND u.user_id = c.user_id
    WHERE len(c.errors) = 0
)
SELECT (SELECT coalesce(max(user_key), 0) FROM users) + row_number() OVER (ORDER BY account_key, user_id) AS user_key,
       account_key, user_id
FROM new_users;

CREATE OR REPLACE TEMP TABLE vl_coded AS
SELECT c.line, c.account_key, u.user_key, f.feature_key, c.event_time,
       CAST(date_trunc('month', c.event_time) AS DATE) AS month, c.duration_seconds, c.units, c.event_count,
       c.event_id
FROM vl_checked AS c
JOIN feature AS f ON f.feature = c.feature
JOIN users AS u ON u.account_key = c.account_key AND u.user_id = c.user_id
WHERE len(c.errors) = 0
ORDER BY c.account_key, month;

DROP TABLE vl_checked;
