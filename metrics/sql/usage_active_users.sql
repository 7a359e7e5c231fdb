-- name: usage_active_users
-- contract: ($account_key, $start, $end) -> one row: the account's distinct active users in [start, end).
SELECT count(DISTINCT user_key) AS active_users
FROM account_user_month
WHERE account_key = $account_key AND month >= $start AND month < $end;
