-- name: data_version
-- contract: () -> one number that changes whenever stored data, the value model, the health weights, an account's
-- objectives or its action plan change (cache keys).
SELECT CAST(hash((SELECT coalesce(max(import_id), 0) FROM imports),
                 (SELECT coalesce(max(version), 0) FROM value_model_version),
                 (SELECT coalesce(max(version), 0) FROM health_weights),
                 (SELECT count(*) FROM objective_history),
                 (SELECT count(*) FROM action_plan_history)) % 1000000000000000 AS BIGINT) AS data_version;
