-- name: objectives_of
-- contract: ($account_key) -> the account's objectives: metric, baseline (NULL: measured), target, target_date,
-- owner, note, by metric.
SELECT metric, baseline, target, target_date, owner, note
FROM objectives
WHERE account_key = $account_key
ORDER BY metric;
