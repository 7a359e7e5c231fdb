-- Statements of metrics/people.py: one account's people, from the user-feature-month rollup (never raw events).

-- name: users
-- per user of the account ($account_key; NULL: of every account) with any activity up to $end: activity in [$start, $end) (active days, events, hours
-- saved by the value model, the value-model features used), and over all months up to $end (first activity, last
-- active day, whether active before $start); with the directory's name, email, role and department
WITH months AS (  -- a user's active days in a month: the days of any feature
    SELECT r.user_key, r.month, bit_or(r.day_mask) AS mask
    FROM user_feature_month AS r
    WHERE ($account_key IS NULL OR r.account_key = $account_key) AND r.month < $end
    GROUP BY r.user_key, r.month
),
activity AS (
    SELECT user_key,
           sum(CASE WHEN month >= $start THEN bit_count(mask) ELSE 0 END)              AS active_days,
           max(month + CAST(floor(log2(mask)) AS INTEGER))                             AS last_active,
           bool_or(month < $start)                                                     AS active_before
    FROM months
    GROUP BY user_key
),
features AS (
    SELECT r.user_key,
           sum(CASE WHEN r.month >= $start THEN r.events ELSE 0 END)                  AS events,
           sum(CASE WHEN r.month >= $start AND d.feature_key IS NOT NULL
                    THEN hours_saved_of(d.basis, r.events, r.units, d.minutes_saved) ELSE 0 END) AS hours_saved,
           list_sort(list(DISTINCT f.feature) FILTER (WHERE r.month >= $start AND d.feature_key IS NOT NULL))
                                                                                       AS value_features,
           min(r.first_used_at)                                                        AS first_activity
    FROM user_feature_month AS r
    JOIN feature AS f USING (feature_key)
    LEFT JOIN value_drivers AS d USING (feature_key)
    WHERE ($account_key IS NULL OR r.account_key = $account_key) AND r.month < $end
    GROUP BY r.user_key
)
SELECT u.account_key, u.user_id, d.name, d.email, d.role, d.department, a.active_days, f.events, f.hours_saved,
       coalesce(f.value_features, []) AS value_features, f.first_activity, a.last_active, a.active_before
FROM activity AS a
JOIN features AS f USING (user_key)
JOIN users AS u ON u.user_key = a.user_key
LEFT JOIN user_directory AS d ON d.user_id = u.user_id
ORDER BY f.hours_saved DESC, a.active_days DESC, u.user_id

-- name: never_active
-- the account's users in the directory with no activity up to $end
SELECT d.user_id, d.name, d.email, d.role, d.department
FROM user_directory AS d
JOIN account AS a ON a.account_id = d.account_id
WHERE a.account_key = $account_key
  AND NOT EXISTS (SELECT 1 FROM users AS u JOIN user_feature_month AS r USING (user_key)
                  WHERE u.account_key = a.account_key AND u.user_id = d.user_id AND r.month < $end)
ORDER BY d.user_id

-- name: feature_users
-- the users who used each feature in [$start, $end): feature, user_id
SELECT f.feature, u.user_id
FROM user_feature_month AS r
JOIN feature AS f USING (feature_key)
JOIN users AS u USING (user_key)
WHERE r.account_key = $account_key AND r.month >= $start AND r.month < $end
GROUP BY ALL
