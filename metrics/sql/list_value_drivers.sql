-- name: list_value_drivers
-- contract: () -> the value model: minutes saved per use or work item, by feature.
SELECT f.feature, v.minutes_saved, v.basis, v.category, v.description, v.name_en, v.name_zh
FROM value_drivers AS v
JOIN feature AS f USING (feature_key)
ORDER BY f.feature;
