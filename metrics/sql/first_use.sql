-- name: first_use
-- contract: ($account_key: one account, or NULL for every account) -> per account, each feature it ever used with
-- its first use time, by account, then first use.
SELECT r.account_key, f.feature, min(r.first_used_at) AS first_used_at
FROM account_feature_month AS r
JOIN feature AS f USING (feature_key)
WHERE $account_key IS NULL OR r.account_key = $account_key
GROUP BY r.account_key, f.feature
ORDER BY r.account_key, first_used_at, f.feature;
