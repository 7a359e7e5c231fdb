-- name: list_accounts
-- contract: () -> every account with its stored attributes, by account_id.
SELECT account_id, account_name, industry, region, segment, seats, go_live_date, hourly_cost, currency,
       annual_contract_value, renewal_date
FROM account
ORDER BY account_id;
