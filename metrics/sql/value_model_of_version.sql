-- name: value_model_of_version
-- contract: $version -> the value drivers saved in that version, by feature: feature, minutes_saved, basis,
-- category, description, name_en, name_zh.
SELECT feature, minutes_saved, basis, category, description, name_en, name_zh
FROM value_driver_history
WHERE version = $version
ORDER BY feature;
