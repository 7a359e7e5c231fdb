-- Statements of metrics/plan.py: an account's action plan replaced as edited on its page, and versioned.

-- name: of_account
-- contract: $account_key -> the account's actions by due date: action, owner, due_date, done
SELECT action, owner, due_date, done FROM action_plan WHERE account_key = $account_key ORDER BY due_date, action

-- name: last_version
SELECT coalesce(max(version), 0) FROM action_plan_history WHERE account_key = $account_key

-- name: replace
DELETE FROM action_plan WHERE account_key = $account_key;
INSERT INTO action_plan SELECT $account_key, action, owner, due_date, done FROM vl_plan

-- name: snapshot
INSERT INTO action_plan_history
SELECT $v, $at, $by, $change_note, $account_key, p.action, p.owner, p.due_date, p.done
FROM (SELECT 1) LEFT JOIN action_plan AS p ON p.account_key = $account_key

-- name: versions
SELECT version, min(saved_at) AS saved_at, min(saved_by) AS saved_by, min(change_note) AS note,
       count(action) AS actions
FROM action_plan_history WHERE account_key = $account_key
GROUP BY version ORDER BY version DESC
