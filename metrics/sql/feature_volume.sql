-- name: feature_volume
-- contract: ($start, $end) -> per account and feature (all features, priced or not): events and units in [start, end).
SELECT r.account_key, f.feature, sum(r.events) AS events, sum(r.units) AS units
FROM account_feature_month AS r
JOIN feature AS f USING (feature_key)
WHERE r.month >= $start AND r.month < $end
GROUP BY r.account_key, f.feature;
