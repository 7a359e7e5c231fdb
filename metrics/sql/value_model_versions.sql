-- name: value_model_versions
-- contract: () -> the saved value-model versions, newest first: version, saved_at, saved_by, note.
SELECT version, saved_at, saved_by, note
FROM value_model_version
ORDER BY version DESC;
