-- name: merge_rollups
-- contract: vl_aum, vl_afm, vl_am, vl_aufm (rollups keyed by text ids, as metrics/spark_rollup.py writes them) ->
-- codes new features and users, replaces the four rollups of exactly the account-months vl_am holds, leaves
-- vl_unknown (rows of accounts this database does not know, refused) and vl_touched.
CREATE OR REPLACE TEMP TABLE vl_unknown AS
SELECT DISTINCT r.account_id FROM vl_am AS r ANTI JOIN account AS a ON a.account_id = r.account_id;

INSERT INTO feature
WITH new_features AS (
    SELECT DISTINCT n.feature FROM vl_afm AS n ANTI JOIN feature AS f ON f.feature = n.feature
)
SELECT (SELECT coalesce(max(feature_key), 0) FROM feature) + row_number() OVER (ORDER BY feature) AS feature_key,
       feature
FROM new_features;

INSERT INTO users
WITH new_users AS (
    SELECT DISTINCT a.account_key, r.user_id
    FROM vl_aum AS r
    JOIN account AS a ON a.account_id = r.account_id
    ANTI JOIN users AS u ON u.account_key = a.account_key AND u.user_id = r.user_id
)
SELECT (SELECT coalesce(max(user_key), 0) FROM users) + row_number() OVER (ORDER BY account_key, user_id) AS user_key,
       account_key, user_id
FROM new_users;

CREATE OR REPLACE TEMP TABLE vl_touched AS
SELECT DISTINCT a.account_key, CAST(r.month AS DATE) AS month
FROM vl_am AS r JOIN account AS a ON a.account_id = r.account_id;

DELETE FROM account_user_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM account_feature_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM account_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM user_feature_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;

INSERT INTO account_user_month BY NAME
SELECT a.account_key, u.user_key, CAST(r.month AS DATE) AS month, r.active_days, r.events, r.duration_seconds,
       r.units, r.features_used
FROM vl_aum AS r
JOIN account AS a ON a.account_id = r.account_id
JOIN users AS u ON u.account_key = a.account_key AND u.user_id = r.user_id;

INSERT INTO account_feature_month BY NAME
SELECT a.account_key, f.feature_key, CAST(r.month AS DATE) AS month, r.users, r.events, r.units,
       r.duration_seconds, CAST(r.first_used_at AS TIMESTAMP) AS first_used_at
FROM vl_afm AS r
JOIN account AS a ON a.account_id = r.account_id
JOIN feature AS f ON f.feature = r.feature;

INSERT INTO account_month BY NAME
SELECT a.account_key, CAST(r.month AS DATE) AS month, r.active_users, r.active_user_days, r.events,
       r.duration_seconds, r.units, r.features_used
FROM vl_am AS r
JOIN account AS a ON a.account_id = r.account_id;

INSERT INTO user_feature_month BY NAME
SELECT a.account_key, u.user_key, f.feature_key, CAST(r.month AS DATE) AS month, CAST(r.day_mask AS INTEGER) AS day_mask,
       r.events, r.units, CAST(r.first_used_at AS TIMESTAMP) AS first_used_at
FROM vl_aufm AS r
JOIN account AS a ON a.account_id = r.account_id
JOIN users AS u ON u.account_key = a.account_key AND u.user_id = r.user_id
JOIN feature AS f ON f.feature = r.feature;
