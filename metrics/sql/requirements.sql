-- Statements of metrics/requirements.py: the imported requests, requirements grouping them, their history.

-- name: requests
SELECT r.request_id, a.account_id, r.request_date, r.words, r.requester, r.channel, r.area,
       coalesce(r.type, 'request'), coalesce(r.urgency, 'medium'), r.competitor
FROM requests AS r
JOIN account AS a USING (account_key)
ORDER BY r.request_date, r.request_id

-- name: request_ids
SELECT request_id FROM requests

-- name: titles
SELECT title FROM requirements

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

-- name: loop
-- per account that was live before $release: whether it used the features named $features before the release
-- month, its first use in the months after the release month (to $end), and the hours those features saved
-- there with the number of those months
WITH f AS (
    SELECT feature_key FROM feature WHERE list_contains($features, feature)
),
used AS (
    SELECT r.account_key,
           bool_or(r.month < date_trunc('month', CAST($release AS DATE))) AS before,
           min(CASE WHEN r.month > date_trunc('month', CAST($release AS DATE)) THEN r.first_used_at END) AS first_after,
           sum(CASE WHEN r.month > date_trunc('month', CAST($release AS DATE))
                    THEN coalesce(hours_saved_of(d.basis, r.events, r.units, d.minutes_saved), 0) END) AS hours_after
    FROM account_feature_month AS r
    JOIN f USING (feature_key)
    LEFT JOIN value_drivers AS d USING (feature_key)
    WHERE r.month < $end
    GROUP BY r.account_key
)
SELECT a.account_id, coalesce(u.before, false) AS before, u.first_after, coalesce(u.hours_after, 0) AS hours_after
FROM account AS a
LEFT JOIN used AS u USING (account_key)
WHERE a.go_live_date IS NOT NULL AND a.go_live_date < $release
ORDER BY a.account_id

-- name: of_account
-- one account's requests ($account_id, or NULL for every account's, by account key) with the requirement each is in
-- (if any): account_key, its title, status, versions and status note (why not supported, or the release note),
-- newest first
SELECT a.account_key, r.request_date, r.words, coalesce(r.type, 'request') AS type, q.title, q.status,
       q.target_version, q.shipped_version, q.shipped_date, q.status_note
FROM requests AS r
JOIN account AS a USING (account_key)
LEFT JOIN requirement_requests AS g USING (request_id)
LEFT JOIN requirements AS q USING (requirement_id)
WHERE $account_id IS NULL OR a.account_id = $account_id
ORDER BY a.account_key, r.request_date DESC, r.request_id
