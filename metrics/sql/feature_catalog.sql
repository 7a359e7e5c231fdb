-- name: feature_catalog
-- contract: () -> every feature with whether the value model prices it.
SELECT f.feature_key, f.feature, d.feature_key IS NOT NULL AS has_value_driver
FROM feature AS f
LEFT JOIN value_drivers AS d ON d.feature_key = f.feature_key;
