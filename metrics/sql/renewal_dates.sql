-- name: renewal_dates
-- contract: () -> every account's renewal date (NULL when unknown): account_key, renewal_date.
SELECT account_key, renewal_date
FROM account;
