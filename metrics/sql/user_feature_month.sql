-- name: user_feature_month
-- contract: vl_rollup_events (a view over the events whose rollups are rebuilt: the batch itself, or the stored
-- events of the account-months it changed) -> one row per account, user, feature and month; ingest stores it as
-- vl_user_feature_month. DISTINCT aggregates are the slow part of a rollup, so the events are first grouped per
-- user, feature and month (distinct by construction); active days are counted as bits of a day-of-month mask.
-- `events` counts events, a pre-aggregated row standing for `event_count` of them.
SELECT e.account_key, e.user_key, e.feature_key, e.month,
       bit_or(CAST(1 AS INTEGER) << (day(e.event_time) - 1))  AS day_mask,
       sum(e.event_count)                                     AS events,
       sum(e.duration_seconds)                                AS duration_seconds,
       sum(e.units)                                           AS units,
       min(e.event_time)                                      AS first_used_at
FROM vl_rollup_events AS e
GROUP BY e.account_key, e.user_key, e.feature_key, e.month
