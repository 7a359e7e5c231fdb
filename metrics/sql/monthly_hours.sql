-- name: monthly_hours
-- contract: ($start, $end, $account_key: one account, or NULL for all) -> per account and month of [start, end):
-- hours saved by the value model.
WITH final AS (
    SELECT r.account_key, r.month,
           sum(hours_saved_of(d.basis, r.events, r.units, d.minutes_saved)) AS hours_saved
    FROM account_feature_month AS r
    JOIN value_drivers AS d USING (feature_key)
    WHERE r.month >= $start AND r.month < $end AND ($account_key IS NULL OR r.account_key = $account_key)
    GROUP BY r.account_key, r.month
)
SELECT * FROM final ORDER BY account_key, month;
