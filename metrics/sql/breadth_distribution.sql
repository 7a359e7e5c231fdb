-- name: breadth_distribution
-- contract: ($start, $end) -> how many active users in [start, end) used each number of distinct features.
WITH per_user AS (
    SELECT account_key, user_key, count(DISTINCT feature_key) AS features
    FROM user_feature_month
    WHERE month >= $start AND month < $end
    GROUP BY account_key, user_key
)
SELECT features, count(*) AS users FROM per_user GROUP BY features ORDER BY features;
