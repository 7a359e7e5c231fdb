-- name: account_info
-- contract: ($account_id) -> the account's row (none when unknown).
SELECT account_key, account_id, account_name, industry, region, segment, seats, go_live_date, hourly_cost,
       currency, annual_contract_value, renewal_date, business_case_value
FROM account
WHERE account_id = $account_id;
