-- name: rollup
-- contract: vl_touched(account_key, month) -> the three rollups rebuilt from `events` for exactly those
-- account-months; other rows are left as they are.
DELETE FROM account_user_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM account_feature_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM account_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;

INSERT INTO account_user_month BY NAME
SELECT e.account_key, e.user_key, e.month,
       count(DISTINCT CAST(e.event_time AS DATE))   AS active_days,
       count(*)                                     AS events,
       coalesce(sum(e.duration_seconds), 0)         AS duration_seconds,
       coalesce(sum(e.units), 0)                    AS units,
       count(DISTINCT e.feature_key)                AS features_used,
       list_sort(list(DISTINCT e.feature_key))      AS feature_keys
FROM events AS e
SEMI JOIN vl_touched AS t ON e.account_key = t.account_key AND e.month = t.month
GROUP BY e.account_key, e.user_key, e.month;

INSERT INTO account_feature_month BY NAME
SELECT e.account_key, e.feature_key, e.month,
       count(DISTINCT e.user_key)               AS users,
       count(*)                                 AS events,
       coalesce(sum(e.units), 0)                AS units,
       coalesce(sum(e.duration_seconds), 0)     AS duration_seconds,
       min(e.event_time)                        AS first_used_at
FROM events AS e
SEMI JOIN vl_touched AS t ON e.account_key = t.account_key AND e.month = t.month
GROUP BY e.account_key, e.feature_key, e.month;

INSERT INTO account_month BY NAME
WITH by_user AS (
    SELECT r.account_key, r.month,
           count(*)                 AS active_users,
           sum(r.active_days)       AS active_user_days,
           sum(r.events)            AS events,
           sum(r.duration_seconds)  AS duration_seconds,
           sum(r.units)             AS units
    FROM account_user_month AS r
    SEMI JOIN vl_touched AS t ON r.account_key = t.account_key AND r.month = t.month
    GROUP BY r.account_key, r.month
),
by_feature AS (
    SELECT r.account_key, r.month, count(*) AS features_used
    FROM account_feature_month AS r
    SEMI JOIN vl_touched AS t ON r.account_key = t.account_key AND r.month = t.month
    GROUP BY r.account_key, r.month
)
SELECT u.*, f.features_used
FROM by_user AS u
JOIN by_feature AS f ON f.account_key = u.account_key AND f.month = u.month;
