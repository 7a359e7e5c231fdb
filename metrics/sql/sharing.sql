-- The share store (metrics.sharing): SQLite beside the database, `?` parameters (sqlite3); database_file is DuckDB's.

-- name: schema
CREATE TABLE IF NOT EXISTS links (
    link_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL,
    lang TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL, expires TEXT NOT NULL,
    passcode TEXT, revoked_at TEXT, views INTEGER NOT NULL DEFAULT 0, last_view TEXT, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (link_id TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS confirmations (
    confirmation_id INTEGER PRIMARY KEY, link_id TEXT NOT NULL, account_id TEXT NOT NULL, period_start TEXT NOT NULL,
    period_end TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('confirmed', 'comment')), name TEXT NOT NULL,
    role TEXT NOT NULL, text TEXT, at TEXT NOT NULL, figures TEXT NOT NULL, value_model_version INTEGER,
    data_version TEXT);

-- name: wal
PRAGMA journal_mode=WAL

-- name: insert_link
INSERT INTO links (link_id, account_id, period_start, period_end, lang, created_by, created_at, expires, passcode,
                   payload)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: links
-- the links, of one account or one link when given (each given twice: ? IS NULL OR ...)
SELECT link_id, account_id, period_start, period_end, lang, created_by, created_at, expires,
       passcode IS NOT NULL, revoked_at IS NOT NULL, views, last_view
FROM links
WHERE (? IS NULL OR account_id = ?) AND (? IS NULL OR link_id = ?)
ORDER BY created_at DESC, link_id

-- name: revoke
UPDATE links SET revoked_at = coalesce(revoked_at, ?) WHERE link_id = ?

-- name: attempts_since
SELECT count(*) FROM attempts WHERE link_id = ? AND at > ?

-- name: passcode
SELECT passcode FROM links WHERE link_id = ?

-- name: attempt
INSERT INTO attempts VALUES (?, ?)

-- name: view
UPDATE links SET views = views + 1, last_view = ? WHERE link_id = ?

-- name: payload
SELECT payload FROM links WHERE link_id = ?

-- name: confirm
INSERT INTO confirmations (link_id, account_id, period_start, period_end, kind, name, role, text, at, figures,
                           value_model_version, data_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: confirmations
SELECT kind, name, role, text, at, figures, value_model_version, period_start, period_end
FROM confirmations WHERE account_id = ? ORDER BY at DESC, confirmation_id DESC

-- name: database_file
-- (DuckDB) the file the connection's database is
SELECT file FROM pragma_database_list WHERE name = current_database()
