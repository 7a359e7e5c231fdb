-- name: data_version
-- contract: () -> one number that changes whenever stored data or the value model changes (cache keys).
SELECT (SELECT coalesce(max(import_id), 0) FROM imports) * 1000000
       + (SELECT coalesce(max(version), 0) FROM value_model_version) AS data_version;
