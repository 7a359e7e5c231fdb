-- name: usage_months
-- contract: ($account_key: one account, or NULL for every account; $start, $end) -> the account's (or every
-- account's) months in [start, end) with usage: account_key, month, active users and user-days (months without
-- usage have no row).
SELECT account_key, month, active_users, active_user_days
FROM account_month
WHERE ($account_key IS NULL OR account_key = $account_key) AND month >= $start AND month < $end;
