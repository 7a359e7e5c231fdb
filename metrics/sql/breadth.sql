-- name: breadth
-- contract: ($start, $end, $account_key or NULL for all) -> per account: distinct active users in [start, end) and
-- the mean, over them, of distinct features each used in the period.
WITH per_user AS (
    SELECT account_key, user_key, count(DISTINCT feature_key) AS features
    FROM user_feature_month
    WHERE month >= $start AND month < $end AND ($account_key IS NULL OR account_key = $account_key)
    GROUP BY account_key, user_key
),
final AS (
    SELECT account_key, count(*) AS active_users, avg(features) AS breadth FROM per_user GROUP BY account_key
)
SELECT * FROM final;
