-- name: monthly_efficiency
-- contract: ($account_key or NULL for all) -> per account and month: output_units, headcount and
-- output_per_person from outcomes, and usage units per active user from account_month (NULL where absent).
WITH results AS (
    SELECT account_key, month, output_units, headcount, output_units / headcount AS output_per_person
    FROM outcomes
    WHERE $account_key IS NULL OR account_key = $account_key
),
usage AS (
    SELECT account_key, month, units / active_users AS units_per_active_user
    FROM account_month
    WHERE $account_key IS NULL OR account_key = $account_key
),
final AS (
    SELECT coalesce(r.account_key, u.account_key) AS account_key, coalesce(r.month, u.month) AS month,
           r.output_units, r.headcount, r.output_per_person, u.units_per_active_user
    FROM results AS r
    FULL OUTER JOIN usage AS u ON u.account_key = r.account_key AND u.month = r.month
)
SELECT * FROM final ORDER BY account_key, month;
