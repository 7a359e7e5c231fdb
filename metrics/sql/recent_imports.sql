-- name: recent_imports
-- contract: $n -> the latest $n imports, newest first, with what each file gave.
SELECT import_id, file_name, kind, source, file_format, encoding, imported_at,
       rows_read, rows_loaded, rows_unchanged, rows_rejected, rows_excluded, rows_filtered
FROM imports
ORDER BY import_id DESC
LIMIT $n;
