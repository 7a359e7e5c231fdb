-- name: validate_accounts
-- contract: vl_stage(line, account_id, account_name, industry, region, segment, seats, go_live_date, hourly_cost,
-- currency, annual_contract_value, renewal_date, business_case_value, crm_id) -> vl_checked: typed rows with `errors`.
CREATE OR REPLACE TEMP TABLE vl_checked AS
WITH typed AS (
    SELECT
        s.line,
        vl_text(s.account_id)                 AS account_id,
        vl_text(s.account_name)               AS account_name,
        vl_text(s.industry)                   AS industry,
        vl_text(s.region)                     AS region,
        vl_text(s.segment)                    AS segment,
        vl_num(s.seats)                       AS seats_num,
        CAST(vl_ts(s.go_live_date) AS DATE)   AS go_live_date,
        vl_num(s.hourly_cost)                 AS hourly_cost,
        upper(vl_text(s.currency))            AS currency,
        vl_num(s.annual_contract_value)       AS annual_contract_value,
        CAST(vl_ts(s.renewal_date) AS DATE)   AS renewal_date,
        vl_num(s.business_case_value)         AS business_case_value,
        vl_text(s.crm_id)                     AS crm_id,
        s.account_id AS raw_account_id, s.seats AS raw_seats, s.go_live_date AS raw_go_live_date,
        s.hourly_cost AS raw_hourly_cost, s.currency AS raw_currency,
        s.annual_contract_value AS raw_annual_contract_value, s.renewal_date AS raw_renewal_date,
        s.business_case_value AS raw_business_case_value
    FROM vl_stage AS s
),
final AS (
    SELECT
        t.* EXCLUDE (seats_num),
        TRY_CAST(t.seats_num AS INTEGER) AS seats,
        list_filter([
            vl_err(t.account_id IS NULL, 'account_id', NULL, 'missing value'),
            vl_err(vl_is_total(t.account_id) OR vl_is_total(t.account_name), 'account_id', t.raw_account_id,
                   'a total or subtotal row, not data'),
            vl_err(t.account_name IS NULL, 'account_name', NULL, 'missing value'),
            vl_err(vl_text(t.raw_seats) IS NOT NULL AND t.seats_num IS NULL, 'seats', t.raw_seats, vl_nan_reason()),
            vl_err(t.seats_num < 0 OR t.seats_num <> floor(t.seats_num), 'seats', t.raw_seats,
                   'must be a whole number >= 0'),
            vl_err(t.seats_num > 100000000, 'seats', t.raw_seats, 'too large (at most 100,000,000)')
        ] || vl_date_errs('go_live_date', t.go_live_date, t.raw_go_live_date, false) || [
            vl_err(vl_text(t.raw_hourly_cost) IS NOT NULL AND t.hourly_cost IS NULL, 'hourly_cost',
                   t.raw_hourly_cost, vl_nan_reason()),
            vl_err(t.hourly_cost < 0, 'hourly_cost', t.raw_hourly_cost, 'must be >= 0'),
            vl_err(t.currency IS NOT NULL AND NOT regexp_full_match(t.currency, '[A-Z]{3}'), 'currency',
                   t.raw_currency, 'not an ISO currency code (e.g. USD, CNY)'),
            vl_err(vl_text(t.raw_annual_contract_value) IS NOT NULL AND t.annual_contract_value IS NULL,
                   'annual_contract_value', t.raw_annual_contract_value, vl_nan_reason()),
            vl_err(t.annual_contract_value < 0, 'annual_contract_value', t.raw_annual_contract_value, 'must be >= 0')
        ] || vl_date_errs('renewal_date', t.renewal_date, t.raw_renewal_date, false) || [
            vl_err(vl_text(t.raw_business_case_value) IS NOT NULL AND t.business_case_value IS NULL,
                   'business_case_value', t.raw_business_case_value, vl_nan_reason()),
            vl_err(t.business_case_value < 0, 'business_case_value', t.raw_business_case_value, 'must be >= 0')
        ], lambda x: x IS NOT NULL) AS errors
    FROM typed AS t
)
SELECT * FROM final;
