-- name: validate_events
-- contract: vl_stage(line, account_id, user_id, event_time, feature, duration_seconds, units) -> vl_checked:
-- one typed row per input row with account_key resolved and `errors` (empty list when the row is good).
CREATE OR REPLACE TEMP TABLE vl_checked AS
WITH typed AS (
    SELECT
        s.line,
        vl_text(s.account_id)        AS account_id,
        vl_text(s.user_id)           AS user_id,
        vl_ts(s.event_time)          AS event_time,
        vl_text(s.feature)           AS feature,
        vl_num(s.duration_seconds)   AS duration_seconds,
        vl_num(s.units)              AS units,
        s.account_id                 AS raw_account_id,
        s.event_time                 AS raw_event_time,
        s.duration_seconds           AS raw_duration_seconds,
        s.units                      AS raw_units
    FROM vl_stage AS s
),
final AS (
    SELECT
        t.*,
        a.account_key,
        list_filter([
            vl_err(t.account_id IS NULL, 'account_id', t.raw_account_id, 'missing value'),
            vl_err(t.account_id IS NOT NULL AND a.account_key IS NULL, 'account_id', t.raw_account_id,
                   'unknown account (import it in an accounts file first)'),
            vl_err(t.user_id IS NULL, 'user_id', NULL, 'missing value'),
            vl_err(t.raw_event_time IS NULL OR vl_text(t.raw_event_time) IS NULL, 'event_time', NULL, 'missing value'),
            vl_err(vl_text(t.raw_event_time) IS NOT NULL AND t.event_time IS NULL, 'event_time', t.raw_event_time,
                   'not a date/time (use YYYY-MM-DD HH:MM:SS)'),
            vl_err(t.event_time > $now + INTERVAL 1 DAY, 'event_time', t.raw_event_time, 'in the future'),
            vl_err(t.feature IS NULL, 'feature', NULL, 'missing value'),
            vl_err(vl_text(t.raw_duration_seconds) IS NOT NULL AND t.duration_seconds IS NULL, 'duration_seconds',
                   t.raw_duration_seconds, 'not a number'),
            vl_err(t.duration_seconds < 0, 'duration_seconds', t.raw_duration_seconds, 'must be >= 0'),
            vl_err(vl_text(t.raw_units) IS NOT NULL AND t.units IS NULL, 'units', t.raw_units, 'not a number'),
            vl_err(t.units < 0, 'units', t.raw_units, 'must be >= 0')
        ], lambda x: x IS NOT NULL) AS errors
    FROM typed AS t
    LEFT JOIN account AS a ON a.account_id = t.account_id
)
SELECT * FROM final;
