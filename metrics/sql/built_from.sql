-- name: built_from
-- contract: () -> the last import's id and time, and the latest value-model version (0 when none was saved).
SELECT (SELECT max(import_id) FROM imports) AS import_id,
       (SELECT max(imported_at) FROM imports) AS imported_at,
       (SELECT coalesce(max(version), 0) FROM value_model_version) AS value_model_version;
