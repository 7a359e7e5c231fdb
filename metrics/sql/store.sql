-- Statements of metrics/store.py and metrics/settings.py: the session, transactions, workspace settings.

-- name: session
-- time-zone-aware inputs are stored as UTC, whatever the server's zone
SET GLOBAL TimeZone = 'UTC'

-- name: memory_limit
-- DuckDB spills to disk beyond it
SET memory_limit = $limit

-- name: temp_directory
SET temp_directory = $path

-- name: checkpoint
-- the write-ahead log merged into the file: a copy of the file then holds every committed change
CHECKPOINT

-- name: begin
BEGIN TRANSACTION

-- name: commit
COMMIT

-- name: rollback
ROLLBACK

-- name: is_empty
SELECT count(*) = 0 FROM account

-- name: timezone
SELECT value FROM settings WHERE name = 'timezone'

-- name: known_timezone
SELECT count(*) > 0 FROM pg_timezone_names() WHERE name = $zone

-- name: set_timezone
DELETE FROM settings WHERE name = 'timezone';
INSERT INTO settings VALUES ('timezone', $zone)
