-- name: adoption_matrix
-- contract: ($start, $end, $account_key or NULL for all) -> one row per account and feature used in [start, end):
-- distinct adopters, the account's distinct active users in the period, events, units.
WITH pairs AS (
    SELECT DISTINCT account_key, feature_key, user_key
    FROM user_feature_month
    WHERE month >= $start AND month < $end AND ($account_key IS NULL OR account_key = $account_key)
),
active AS (
    SELECT account_key, count(DISTINCT user_key) AS active_users FROM pairs GROUP BY account_key
),
adopters AS (
    SELECT account_key, feature_key, count(*) AS adopters FROM pairs GROUP BY account_key, feature_key
),
volume AS (
    SELECT account_key, feature_key, sum(events) AS events, sum(units) AS units
    FROM account_feature_month
    WHERE month >= $start AND month < $end AND ($account_key IS NULL OR account_key = $account_key)
    GROUP BY account_key, feature_key
),
final AS (
    SELECT d.account_key, d.feature_key, d.adopters, a.active_users, v.events, v.units
    FROM adopters AS d
    JOIN active AS a USING (account_key)
    JOIN volume AS v USING (account_key, feature_key)
)
SELECT * FROM final;
