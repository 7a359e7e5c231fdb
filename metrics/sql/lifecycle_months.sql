-- name: lifecycle_months
-- contract: ($start, $end, $account_key: one account, or NULL for all) -> per account and month of [start, end) with usage: active users, user-days, days in
-- the month, and key-feature adoption (the mean over value-model features of the month's adopters / active users; a
-- feature nobody used counts 0). Months without usage have no row.
WITH valued AS (
    SELECT feature_key FROM value_drivers
),
used AS (
    SELECT f.account_key, f.month, sum(f.users) AS adopters
    FROM account_feature_month AS f
    JOIN valued AS v USING (feature_key)
    WHERE f.month >= $start AND f.month < $end AND ($account_key IS NULL OR f.account_key = $account_key)
    GROUP BY ALL
),
final AS (
    SELECT a.account_key, a.month, a.active_users, a.active_user_days, day(last_day(a.month)) AS days_in_month,
           CASE WHEN (SELECT count(*) FROM valued) = 0 THEN NULL
                ELSE coalesce(u.adopters, 0) / (a.active_users * (SELECT count(*) FROM valued)) END
               AS key_feature_adoption
    FROM account_month AS a
    LEFT JOIN used AS u USING (account_key, month)
    WHERE a.month >= $start AND a.month < $end AND a.active_users > 0
      AND ($account_key IS NULL OR a.account_key = $account_key)
)
SELECT * FROM final ORDER BY account_key, month;
