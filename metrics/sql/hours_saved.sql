-- name: hours_saved
-- contract: ($start, $end, $account_key or NULL for all) -> per account and feature with a value driver:
-- events, units, minutes_saved, basis and hours_saved in [start, end)
-- (basis use: events x minutes / 60; basis unit: units x minutes / 60).
WITH volume AS (
    SELECT account_key, feature_key, sum(events) AS events, sum(units) AS units
    FROM account_feature_month
    WHERE month >= $start AND month < $end AND ($account_key IS NULL OR account_key = $account_key)
    GROUP BY account_key, feature_key
),
final AS (
    SELECT v.account_key, f.feature, v.events, v.units, d.minutes_saved, d.basis,
           hours_saved_of(d.basis, v.events, v.units, d.minutes_saved) AS hours_saved
    FROM volume AS v
    JOIN value_drivers AS d USING (feature_key)
    JOIN feature AS f USING (feature_key)
)
SELECT * FROM final ORDER BY account_key, hours_saved DESC, feature;
