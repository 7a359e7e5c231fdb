-- name: mau
-- contract: ($account_key, $start, $end) -> every month of [start, end) with its distinct active users,
-- user-days and days in month (0 users for a month without usage).
WITH months AS (
    SELECT CAST(m AS DATE) AS month
    FROM generate_series(CAST($start AS DATE), CAST($end AS DATE) - INTERVAL 1 DAY, INTERVAL 1 MONTH) AS t(m)
),
usage AS (
    SELECT month, active_users, active_user_days
    FROM account_month
    WHERE account_key = $account_key AND month >= $start AND month < $end
),
final AS (
    SELECT m.month,
           coalesce(u.active_users, 0)      AS active_users,
           coalesce(u.active_user_days, 0)  AS active_user_days,
           day(last_day(m.month))           AS days_in_month
    FROM months AS m
    LEFT JOIN usage AS u ON u.month = m.month
)
SELECT * FROM final ORDER BY month;
