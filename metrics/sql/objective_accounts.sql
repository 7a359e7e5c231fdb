-- name: objective_accounts
-- contract: () -> the account_id of every account with at least one objective, by account_id.
SELECT DISTINCT a.account_id
FROM objectives AS o
JOIN account AS a USING (account_key)
ORDER BY a.account_id;
