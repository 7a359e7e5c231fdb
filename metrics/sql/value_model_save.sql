-- Statements of metrics/value_model.py: saving the value model as a new version (one transaction).

-- name: last_version
SELECT coalesce(max(version), 0) FROM value_model_version

-- name: imported_at
-- when the model as imported was last loaded: the latest value-driver or accounts file (hourly costs) that loaded rows
SELECT max(imported_at) FROM imports WHERE kind IN ('value_drivers', 'accounts') AND rows_loaded > 0

-- name: new_features
-- features of the edited model not stored yet, keyed max + 1 onwards
INSERT INTO feature
SELECT (SELECT coalesce(max(feature_key), 0) FROM feature) + row_number() OVER (ORDER BY d.feature), d.feature
FROM vl_drivers AS d ANTI JOIN feature AS f ON f.feature = d.feature

-- name: replace_drivers
DELETE FROM value_drivers;
INSERT INTO value_drivers BY NAME
SELECT f.feature_key, d.minutes_saved, d.basis, nullif(d.category, '') AS category, d.description,
       nullif(trim(CAST(d.name_en AS VARCHAR)), '') AS name_en,
       nullif(trim(CAST(d.name_zh AS VARCHAR)), '') AS name_zh
FROM vl_drivers AS d JOIN feature AS f ON f.feature = d.feature;
UPDATE account SET hourly_cost = h.hourly_cost FROM vl_hourly AS h WHERE account.account_id = h.account_id

-- name: snapshot
-- the model as saved, kept as version $v
INSERT INTO value_model_version VALUES ($v, $at, $by, $note);
INSERT INTO value_driver_history BY NAME
SELECT $v AS version, f.feature, v.minutes_saved, v.basis, v.category, v.description, v.name_en, v.name_zh
FROM value_drivers AS v JOIN feature AS f USING (feature_key);
INSERT INTO hourly_cost_history SELECT $v, account_id, hourly_cost FROM account
