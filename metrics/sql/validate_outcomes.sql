-- name: validate_outcomes
-- contract: vl_stage(line, account_id, month, output_units, headcount, hours_worked) -> vl_checked:
-- typed rows with account_key resolved and `errors`.
CREATE OR REPLACE TEMP TABLE vl_checked AS
WITH typed AS (
    SELECT
        s.line,
        vl_text(s.account_id)    AS account_id,
        vl_month(s.month)        AS month,
        vl_num(s.output_units)   AS output_units,
        vl_num(s.headcount)      AS headcount,
        vl_num(s.hours_worked)   AS hours_worked,
        s.account_id AS raw_account_id, s.month AS raw_month, s.output_units AS raw_output_units,
        s.headcount AS raw_headcount, s.hours_worked AS raw_hours_worked
    FROM vl_stage AS s
),
final AS (
    SELECT
        t.*,
        a.account_key,
        list_filter([
            vl_err(t.account_id IS NULL, 'account_id', NULL, 'missing value'),
            vl_err(vl_is_total(t.account_id) OR vl_is_total(vl_text(t.raw_month)), 'account_id', t.raw_account_id,
                   'a total or subtotal row, not data'),
            vl_err(t.account_id IS NOT NULL AND a.account_key IS NULL AND NOT vl_is_total(t.account_id),
                   'account_id', t.raw_account_id, 'unknown account (import it in an accounts file first)'),
            vl_err(vl_text(t.raw_month) IS NULL, 'month', NULL, 'missing value'),
            vl_err(vl_text(t.raw_month) IS NOT NULL AND t.month IS NULL, 'month', t.raw_month,
                   'not a month (use YYYY-MM)'),
            vl_err(t.month > $now, 'month', t.raw_month, 'in the future'),
            vl_err(t.month < DATE '1990-01-01', 'month', t.raw_month, 'before 1990'),
            vl_err(vl_text(t.raw_output_units) IS NULL, 'output_units', NULL, 'missing value'),
            vl_err(vl_text(t.raw_output_units) IS NOT NULL AND t.output_units IS NULL, 'output_units',
                   t.raw_output_units, vl_nan_reason()),
            vl_err(t.output_units < 0, 'output_units', t.raw_output_units, 'must be >= 0'),
            vl_err(vl_text(t.raw_headcount) IS NULL, 'headcount', NULL, 'missing value'),
            vl_err(vl_text(t.raw_headcount) IS NOT NULL AND t.headcount IS NULL, 'headcount',
                   t.raw_headcount, vl_nan_reason()),
            vl_err(t.headcount <= 0, 'headcount', t.raw_headcount, 'must be > 0'),
            vl_err(vl_text(t.raw_hours_worked) IS NOT NULL AND t.hours_worked IS NULL, 'hours_worked',
                   t.raw_hours_worked, vl_nan_reason()),
            vl_err(t.hours_worked < 0, 'hours_worked', t.raw_hours_worked, 'must be >= 0')
        ], lambda x: x IS NOT NULL) AS errors
    FROM typed AS t
    LEFT JOIN account AS a ON a.account_id = t.account_id
)
SELECT * FROM final;
