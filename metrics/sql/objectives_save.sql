-- Statements of metrics/objectives.py: an account's objectives replaced as edited on its page, and versioned.

-- name: last_version
SELECT coalesce(max(version), 0) FROM objective_history WHERE account_key = $account_key

-- name: replace
DELETE FROM objectives WHERE account_key = $account_key;
INSERT INTO objectives
SELECT $account_key, metric, baseline, target, target_date, owner, note FROM vl_objectives

-- name: snapshot
-- the objectives as saved (an account saved with none keeps one row of NULLs, so the version is still listed)
INSERT INTO objective_history
SELECT $v, $at, $by, $change_note, $account_key, o.metric, o.baseline, o.target, o.target_date, o.owner, o.note
FROM (SELECT 1) LEFT JOIN objectives AS o ON o.account_key = $account_key

-- name: versions
SELECT version, min(saved_at) AS saved_at, min(saved_by) AS saved_by, min(change_note) AS note,
       count(metric) AS objectives
FROM objective_history WHERE account_key = $account_key
GROUP BY version ORDER BY version DESC
