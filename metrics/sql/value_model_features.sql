-- name: value_model_features
-- contract: () -> the features the value model prices: feature_key, feature, by feature.
SELECT f.feature_key, f.feature
FROM value_drivers AS v
JOIN feature AS f USING (feature_key)
ORDER BY f.feature;
