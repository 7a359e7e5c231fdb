-- name: feature_trend
-- contract: ($start, $end) -> per feature and month of [start, end), over all accounts: users of the feature,
-- active users, and their ratio (monthly adoption rate across the portfolio).
WITH active AS (
    SELECT month, sum(active_users) AS active_users FROM account_month
    WHERE month >= $start AND month < $end GROUP BY month
),
used AS (
    SELECT feature_key, month, sum(users) AS users FROM account_feature_month
    WHERE month >= $start AND month < $end GROUP BY feature_key, month
),
final AS (
    SELECT f.feature, u.month, u.users, a.active_users, u.users / a.active_users AS adoption_rate
    FROM used AS u JOIN active AS a USING (month) JOIN feature AS f USING (feature_key)
)
SELECT * FROM final ORDER BY feature, month;
