-- name: usage_adopters
-- contract: ($account_key, $start, $end) -> per feature used by the account in [start, end): its distinct adopters.
WITH pairs AS (
    SELECT DISTINCT user_key, feature_key
    FROM user_feature_month
    WHERE account_key = $account_key AND month >= $start AND month < $end
),
final AS (
    SELECT feature_key, count(*) AS adopters FROM pairs GROUP BY feature_key
)
SELECT * FROM final;
