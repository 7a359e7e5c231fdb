-- name: cohort_curves
-- contract: () -> per go-live quarter and months since the go-live month (0 = go-live month): accounts and mean
-- seat utilization (active users / seats) of live accounts with seats.
WITH live AS (
    SELECT account_key, seats, CAST(date_trunc('month', go_live_date) AS DATE) AS live_month,
           strftime(go_live_date, '%Y') || '-Q' || CAST(quarter(go_live_date) AS VARCHAR) AS cohort
    FROM account WHERE go_live_date IS NOT NULL AND seats > 0
),
final AS (
    SELECT l.cohort, datediff('month', l.live_month, m.month) AS months_since_go_live,
           count(*) AS accounts, avg(m.active_users / l.seats) AS seat_utilization
    FROM account_month AS m JOIN live AS l USING (account_key)
    WHERE m.month >= l.live_month
    GROUP BY ALL
)
SELECT * FROM final ORDER BY cohort, months_since_go_live;
