-- name: feature_catalog
-- contract: () -> every feature with its value driver (minutes_saved and basis NULL when it has none).
SELECT f.feature_key, f.feature, d.feature_key IS NOT NULL AS has_value_driver, d.minutes_saved, d.basis
FROM feature AS f
LEFT JOIN value_drivers AS d ON d.feature_key = f.feature_key;
