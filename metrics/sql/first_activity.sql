-- name: first_activity
-- contract: () -> each account's first month with usage: account_key, month.
SELECT account_key, min(month) AS month
FROM account_month
WHERE active_users > 0
GROUP BY account_key;
