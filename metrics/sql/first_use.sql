-- name: first_use
-- contract: ($account_key) -> each feature the account ever used with its first use time.
SELECT f.feature, min(r.first_used_at) AS first_used_at
FROM account_feature_month AS r
JOIN feature AS f USING (feature_key)
WHERE r.account_key = $account_key
GROUP BY f.feature
ORDER BY first_used_at, f.feature;
