-- name: account_ids
-- contract: () -> account_key, account_id of every account.
SELECT account_key, account_id
FROM account;
