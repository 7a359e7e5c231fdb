-- name: adoption_matrix
-- contract: ($start, $end, $account_key or NULL for all) -> one row per account and feature used in [start, end):
-- distinct adopters and the account's distinct active users in the period (metrics.adoption.adoption_table).
WITH pairs AS (
    SELECT DISTINCT account_key, feature_key, user_key
    FROM user_feature_month
    WHERE month >= $start AND month < $end AND ($account_key IS NULL OR account_key = $account_key)
),
active AS (
    -- a user with a user-month row in the period has a user-feature-month row too: the same users, fewer rows
    SELECT account_key, count(DISTINCT user_key) AS active_users
    FROM account_user_month
    WHERE month >= $start AND month < $end AND ($account_key IS NULL OR account_key = $account_key)
    GROUP BY account_key
),
adopters AS (
    SELECT account_key, feature_key, count(*) AS adopters FROM pairs GROUP BY account_key, feature_key
),
final AS (
    SELECT d.account_key, d.feature_key, d.adopters, a.active_users
    FROM adopters AS d
    JOIN active AS a USING (account_key)
)
SELECT * FROM final;
