-- Statements of metrics/requirements.py: the imported requests, requirements grouping them, their history.

-- name: requests
SELECT r.request_id, a.account_id, r.request_date, r.words, r.requester, r.channel, r.area,
       coalesce(r.type, 'request'), coalesce(r.urgency, 'medium'), r.competitor
FROM requests AS r
JOIN account AS a USING (account_key)
ORDER BY r.request_date, r.request_id

-- name: request_ids
SELECT request_id FROM requests

-- name: next_id
SELECT coalesce(max(requirement_id), 0) + 1 FROM requirements

-- name: insert
INSERT INTO requirements (requirement_id, title, area, status, capability_gap, core_selling_point, updated_at,
                          updated_by)
VALUES ($id, $title, $area, 'new', false, false, $at, $by)

-- name: ungroup
DELETE FROM requirement_requests WHERE request_id = ?

-- name: group
INSERT INTO requirement_requests VALUES (?, ?)

-- name: one
SELECT * FROM requirements WHERE requirement_id = $id

-- name: all
SELECT * FROM requirements ORDER BY requirement_id

-- name: members
SELECT requirement_id, request_id FROM requirement_requests ORDER BY requirement_id, request_id

-- name: update
UPDATE requirements SET status = $status, status_note = $status_note, target_version = $target_version,
       shipped_version = $shipped_version, shipped_date = $shipped_date, capability_gap = $capability_gap,
       core_selling_point = $core_selling_point, benefit = $benefit, priority = $priority,
       priority_reason = $priority_reason, features = $features, title = $title, area = $area,
       updated_at = $at, updated_by = $by
WHERE requirement_id = $id

-- name: snapshot
INSERT INTO requirement_history
SELECT requirement_id, updated_at, updated_by, status, priority, $suggested, priority_reason, status_note
FROM requirements WHERE requirement_id = $id

-- name: history
SELECT saved_at, saved_by, status, priority, suggested, priority_reason, status_note
FROM requirement_history WHERE requirement_id = $id ORDER BY saved_at DESC
