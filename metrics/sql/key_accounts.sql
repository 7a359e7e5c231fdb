-- name: key_accounts
-- contract: vl_good(account_id, ...) -> vl_good with account_key: the stored key, or a new one for a new account.
CREATE OR REPLACE TEMP TABLE vl_good AS
WITH keyed AS (
    SELECT g.*, a.account_key AS stored_key FROM vl_good AS g LEFT JOIN account AS a ON a.account_id = g.account_id
)
SELECT k.* EXCLUDE (stored_key),
       coalesce(k.stored_key, (SELECT coalesce(max(account_key), 0) FROM account)
                + row_number() OVER (PARTITION BY k.stored_key IS NULL ORDER BY k.account_id)) AS account_key
FROM keyed AS k;
