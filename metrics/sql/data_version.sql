-- name: data_version
-- contract: () -> one number that changes whenever stored data, the value model or the health weights change (cache
-- keys).
SELECT CAST((SELECT coalesce(max(import_id), 0) FROM imports) AS BIGINT) * 1000000000
       + (SELECT coalesce(max(version), 0) FROM value_model_version) * 1000
       + (SELECT coalesce(max(version), 0) FROM health_weights) AS data_version;
