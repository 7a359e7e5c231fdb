-- name: adoption_curves
-- contract: ($account_key, $start, $end) -> per month of [start, end) with activity and per feature the account
-- used in [start, end): distinct users of the feature that month, the month's active users, and their ratio.
WITH active AS (
    SELECT month, active_users
    FROM account_month
    WHERE account_key = $account_key AND month >= $start AND month < $end AND active_users > 0
),
used AS (
    SELECT feature_key, month, users
    FROM account_feature_month
    WHERE account_key = $account_key AND month >= $start AND month < $end
),
features AS (
    SELECT DISTINCT feature_key FROM used
),
final AS (
    SELECT a.month, f.feature, coalesce(u.users, 0) AS users, a.active_users,
           coalesce(u.users, 0) / a.active_users AS adoption_rate
    FROM active AS a
    CROSS JOIN features AS k
    JOIN feature AS f ON f.feature_key = k.feature_key
    LEFT JOIN used AS u ON u.feature_key = k.feature_key AND u.month = a.month
)
SELECT * FROM final ORDER BY feature, month;
