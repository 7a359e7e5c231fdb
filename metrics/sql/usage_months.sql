-- name: usage_months
-- contract: ($account_key, $start, $end) -> the account's months in [start, end) with usage: active users and
-- user-days (months without usage have no row).
SELECT month, active_users, active_user_days
FROM account_month
WHERE account_key = $account_key AND month >= $start AND month < $end;
