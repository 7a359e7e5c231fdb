-- name: renewals_of
-- contract: ($account_key: one account, or NULL for all) -> each account's renewals: account_key, renewal_date,
-- outcome (renewed, expanded, contracted, churned), new_acv, note, by account and date.
SELECT account_key, renewal_date, outcome, new_acv, note
FROM renewals
WHERE $account_key IS NULL OR account_key = $account_key
ORDER BY account_key, renewal_date;
