-- name: usage_active_users
-- contract: ($account_key: one account, or NULL for every account; $start, $end) -> per account with usage in
-- [start, end): account_key, its distinct active users (no row for an account without usage).
SELECT account_key, count(DISTINCT user_key) AS active_users
FROM account_user_month
WHERE ($account_key IS NULL OR account_key = $account_key) AND month >= $start AND month < $end
GROUP BY account_key;
