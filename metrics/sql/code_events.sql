-- name: code_events
-- contract: vl_batch_keys (ingest_run.batch_keys: the distinct keys of a batch's good events) -> the features and
-- users it names that are new get their integer keys. The batch is then either written to
-- `events` directly (ingest_merge.insert_checked: no stored event shares its account-months) or coded into
-- vl_coded to be compared with the stored events (ingest_merge.coded_batch, merge_events.sql).
INSERT INTO feature
WITH new_features AS (
    SELECT DISTINCT c.feature
    FROM vl_batch_keys AS c
    ANTI JOIN feature AS f ON f.feature = c.feature
    WHERE c.key_set = 5 AND c.good
)
SELECT (SELECT coalesce(max(feature_key), 0) FROM feature) + row_number() OVER (ORDER BY feature) AS feature_key,
       feature
FROM new_features;

INSERT INTO users
WITH new_users AS (
    SELECT c.account_key, c.user_id
    FROM vl_batch_keys AS c
    ANTI JOIN users AS u ON u.account_key = c.account_key AND u.user_id = c.user_id
    WHERE c.key_set = 3 AND c.good
)
SELECT (SELECT coalesce(max(user_key), 0) FROM users) + row_number() OVER (ORDER BY account_key, user_id) AS user_key,
       account_key, user_id
FROM new_users;
