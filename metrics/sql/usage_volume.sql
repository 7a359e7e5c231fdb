-- name: usage_volume
-- contract: ($account_key, $start, $end) -> per feature used by the account in [start, end): events and units.
SELECT feature_key, sum(events) AS events, sum(units) AS units
FROM account_feature_month
WHERE account_key = $account_key AND month >= $start AND month < $end
GROUP BY feature_key;
