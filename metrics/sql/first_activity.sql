-- name: first_activity
-- contract: ($account_key: one account, or NULL for all) -> each account's first month with usage: account_key,
-- month.
SELECT account_key, min(month) AS month
FROM account_month
WHERE active_users > 0 AND ($account_key IS NULL OR account_key = $account_key)
GROUP BY account_key;
