-- name: rollup
-- contract: vl_touched(account_key, month) -> the three rollups rebuilt from `events` for exactly those
-- account-months; other rows are left as they are.
DELETE FROM account_user_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM account_feature_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM account_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;

-- DISTINCT aggregates are the slow part of a rollup: active days are counted as bits of a day-of-month mask and
-- a user's features come from the account_user_month lists, so only one DISTINCT (the feature list) remains
INSERT INTO account_user_month BY NAME
WITH grouped AS (
    SELECT e.account_key, e.user_key, e.month,
           bit_or(CAST(1 AS INTEGER) << (day(e.event_time) - 1)) AS day_mask,
           count(*)                                             AS events,
           coalesce(sum(e.duration_seconds), 0)                 AS duration_seconds,
           coalesce(sum(e.units), 0)                            AS units,
           list_sort(list(DISTINCT e.feature_key))              AS feature_keys
    FROM events AS e
    SEMI JOIN vl_touched AS t ON e.account_key = t.account_key AND e.month = t.month
    GROUP BY e.account_key, e.user_key, e.month
)
SELECT account_key, user_key, month, bit_count(day_mask) AS active_days, events, duration_seconds, units,
       len(feature_keys) AS features_used, feature_keys
FROM grouped;

INSERT INTO account_feature_month BY NAME
WITH sums AS (
    SELECT e.account_key, e.feature_key, e.month,
           count(*)                                 AS events,
           coalesce(sum(e.units), 0)                AS units,
           coalesce(sum(e.duration_seconds), 0)     AS duration_seconds,
           min(e.event_time)                        AS first_used_at
    FROM events AS e
    SEMI JOIN vl_touched AS t ON e.account_key = t.account_key AND e.month = t.month
    GROUP BY e.account_key, e.feature_key, e.month
),
user_features AS (
    SELECT r.account_key, r.month, unnest(r.feature_keys) AS feature_key
    FROM account_user_month AS r
    SEMI JOIN vl_touched AS t ON r.account_key = t.account_key AND r.month = t.month
),
users AS (
    SELECT account_key, feature_key, month, count(*) AS users
    FROM user_features
    GROUP BY account_key, feature_key, month
)
SELECT s.account_key, s.feature_key, s.month, u.users, s.events, s.units, s.duration_seconds, s.first_used_at
FROM sums AS s
JOIN users AS u ON u.account_key = s.account_key AND u.feature_key = s.feature_key AND u.month = s.month;

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
