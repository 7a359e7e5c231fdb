-- name: hourly_costs
-- contract: () -> the loaded hourly cost of every account, by account_id: account_id, account_name, currency,
-- hourly_cost.
SELECT account_id, account_name, currency, hourly_cost
FROM account
ORDER BY account_id;
