-- name: rollup
-- contract: vl_touched(account_key, month), the accounts vl_first_account to vl_last_account (variables) and the
-- rollup query (user_feature_month.sql over the events of those account-months, filled in by ingest) -> the four
-- rollups rebuilt for exactly those account-months; other rows are left as they are. The user-feature-months are
-- written first and the other rollups read them back (by zone maps, the part's blocks): holding them in a
-- temporary table instead cost 0.5-0.7 s more of a 10M-event import's rollups (bench/RESULTS.md, fifth session).
DELETE FROM account_user_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM account_feature_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM account_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;
DELETE FROM user_feature_month AS r USING vl_touched AS t WHERE r.account_key = t.account_key AND r.month = t.month;

-- rows are stored in (account_key, month) order so that one account's queries skip most of a table (zone maps)
INSERT INTO user_feature_month BY NAME
SELECT r.account_key, r.user_key, r.feature_key, r.month, r.day_mask, r.events, coalesce(r.units, 0) AS units,
       r.first_used_at, r.duration_seconds
FROM ({{rollup_query}}) AS r
ORDER BY r.account_key, r.month;

CREATE OR REPLACE TEMP VIEW vl_user_feature_month AS
SELECT r.* FROM user_feature_month AS r
SEMI JOIN vl_touched AS t ON r.account_key = t.account_key AND r.month = t.month
WHERE r.account_key BETWEEN getvariable('vl_first_account') AND getvariable('vl_last_account');

INSERT INTO account_user_month BY NAME
SELECT r.account_key, r.user_key, r.month,
       bit_count(bit_or(r.day_mask))                AS active_days,
       sum(r.events)                                AS events,
       coalesce(sum(r.duration_seconds), 0)         AS duration_seconds,
       coalesce(sum(r.units), 0)                    AS units,
       count(*)                                     AS features_used
FROM vl_user_feature_month AS r
GROUP BY r.account_key, r.user_key, r.month
ORDER BY r.account_key, r.month;

INSERT INTO account_feature_month BY NAME
SELECT r.account_key, r.feature_key, r.month,
       count(*)                                 AS users,
       sum(r.events)                            AS events,
       coalesce(sum(r.units), 0)                AS units,
       coalesce(sum(r.duration_seconds), 0)     AS duration_seconds,
       min(r.first_used_at)                     AS first_used_at
FROM vl_user_feature_month AS r
GROUP BY r.account_key, r.feature_key, r.month
ORDER BY r.account_key, r.month;

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
JOIN by_feature AS f ON f.account_key = u.account_key AND f.month = u.month
ORDER BY u.account_key, u.month;

DROP VIEW vl_user_feature_month;
