-- name: data_months
-- contract: () -> one row: first and last month with usage or outcomes in the whole database (NULLs when empty).
WITH usage AS (
    SELECT min(month) AS first_month, max(month) AS last_month FROM account_month
),
results AS (
    SELECT min(month) AS first_month, max(month) AS last_month FROM outcomes
),
final AS (
    SELECT least(u.first_month, r.first_month) AS first_month, greatest(u.last_month, r.last_month) AS last_month
    FROM usage AS u, results AS r
)
SELECT * FROM final;
