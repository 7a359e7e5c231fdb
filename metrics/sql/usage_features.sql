-- name: usage_features
-- contract: ($account_key: one account, or NULL for every account; $start, $end) -> one row per account and feature
-- it used in [start, end): account_key, its adopters (distinct users), events and units, and for a feature of the
-- value model (`priced`) its minutes saved, basis and hours saved by hours_saved_of, the formula hours_saved.sql
-- applies to every account. One statement where there were three (adopters, volume, hours saved): a statement's
-- planning costs more than reading one account's rows, and an export reads three periods of usage per account;
-- a portfolio export reads every account's at once (adoption.usage_rows).
WITH volume AS (
    SELECT account_key, feature_key, sum(events) AS events, sum(units) AS units
    FROM account_feature_month
    WHERE ($account_key IS NULL OR account_key = $account_key) AND month >= $start AND month < $end
    GROUP BY account_key, feature_key
),
adopters AS (
    SELECT account_key, feature_key, count(DISTINCT user_key) AS adopters
    FROM user_feature_month
    WHERE ($account_key IS NULL OR account_key = $account_key) AND month >= $start AND month < $end
    GROUP BY account_key, feature_key
)
SELECT v.account_key, v.feature_key, coalesce(a.adopters, 0) AS adopters, v.events, v.units,
       d.feature_key IS NOT NULL AS priced, d.minutes_saved, d.basis,
       hours_saved_of(d.basis, v.events, v.units, d.minutes_saved) AS hours_saved
FROM volume AS v
LEFT JOIN adopters AS a USING (account_key, feature_key)
LEFT JOIN value_drivers AS d ON d.feature_key = v.feature_key
