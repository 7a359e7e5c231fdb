-- name: all_accounts
-- contract: () -> every account's row, by account_id (same columns as account_info).
SELECT account_key, account_id, account_name, industry, region, segment, seats, go_live_date, hourly_cost,
       currency, annual_contract_value, renewal_date, business_case_value
FROM account
ORDER BY account_id;
