-- name: hourly_costs_of_version
-- contract: $version -> the hourly costs saved in that version: account_id, hourly_cost.
SELECT account_id, hourly_cost
FROM hourly_cost_history
WHERE version = $version;
