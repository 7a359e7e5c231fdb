-- Statements of metrics/deck_templates.py: a team's deck templates, every upload a version.

-- name: next_version
SELECT coalesce(max(version), 0) + 1 FROM deck_template

-- name: insert
INSERT INTO deck_template VALUES ($version, $at, $by, $name, $sha256, $content)

-- name: latest
SELECT version, name, content FROM deck_template ORDER BY version DESC LIMIT 1

-- name: of_version
SELECT version, name, content FROM deck_template WHERE version = $version

-- name: versions
SELECT version, saved_at, saved_by, name, octet_length(content) AS size FROM deck_template ORDER BY version DESC
