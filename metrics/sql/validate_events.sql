-- name: validate_events
-- contract: vl_stage(line, account_id, user_id, event_time, feature, duration_seconds, units, event_count,
-- duration_minutes, event_id) -> vl_checked: one
-- typed row per input row with account_key resolved (account_id is not kept) and `errors` (empty list when the row
-- is good). User ids and features are checked afterwards, once per distinct value (ingest._check_identifiers).
-- $lazy: the file is read as it is validated, its rows without line numbers (ingest._validate_lazily): the first row
-- with an error stops the statement.
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
        vl_num(s.event_count)        AS event_count_num,
        vl_text(s.event_id)          AS event_id,
        vl_num(s.duration_minutes)   AS duration_minutes,
        s.account_id                 AS raw_account_id,
        s.event_time                 AS raw_event_time,
        s.duration_seconds           AS raw_duration_seconds,
        s.units                      AS raw_units,
        s.event_count                AS raw_event_count,
        s.duration_minutes           AS raw_duration_minutes
    FROM vl_stage AS s
),
joined AS (
    -- a scalar lookup, not a LEFT JOIN: DuckDB plans it as a SINGLE join, built on `account`, whereas it turns a
    -- LEFT JOIN around when it guesses the file smaller than the accounts (a file read as it is validated is guessed
    -- at a few rows) and builds a hash table of every row of a 10M-event file (bench/RESULTS.md, sixth session)
    SELECT t.*, (SELECT a.account_key FROM account AS a WHERE a.account_id = t.account_id) AS account_key
    FROM typed AS t
),
final AS (
    -- the raw columns are needed only to describe errors, so they are not kept; a row passing the cheap `ok`
    -- test below cannot fail any check of the list, which is then built only for the failing rows
    SELECT
        j.line, j.user_id, j.event_time, j.feature, j.units, j.account_key, j.event_id,
        coalesce(j.duration_seconds, j.duration_minutes * 60) AS duration_seconds,
        CAST(coalesce(j.event_count_num, 1) AS INTEGER) AS event_count,
        CASE WHEN j.account_key IS NOT NULL AND j.user_id IS NOT NULL AND j.feature IS NOT NULL
                  AND j.event_time IS NOT NULL AND j.event_time <= $now + INTERVAL 1 DAY
                  AND j.event_time >= TIMESTAMP '1990-01-01'
                  AND (j.duration_seconds >= 0 OR (j.duration_seconds IS NULL AND vl_text(j.raw_duration_seconds) IS NULL))
                  AND (j.units >= 0 OR (j.units IS NULL AND vl_text(j.raw_units) IS NULL))
                  AND ((j.event_count_num >= 1 AND j.event_count_num <= 1000000000
                        AND j.event_count_num = floor(j.event_count_num))
                       OR (j.event_count_num IS NULL AND vl_text(j.raw_event_count) IS NULL))
                  AND (j.duration_minutes >= 0
                       OR (j.duration_minutes IS NULL AND vl_text(j.raw_duration_minutes) IS NULL))
             THEN []
             -- read unstaged ($lazy), a row to reject needs its line: the statement stops at the first one and
             -- ingest stages the file (the rest of the file is not read for nothing)
             WHEN $lazy THEN error('vl_restage:row_to_reject')
             ELSE list_filter([
            vl_err(j.account_id IS NULL, 'account_id', j.raw_account_id, 'missing value'),
            vl_err(vl_is_total(j.account_id), 'account_id', j.raw_account_id, 'a total or subtotal row, not data'),
            vl_err(j.account_id IS NOT NULL AND j.account_key IS NULL AND NOT vl_is_total(j.account_id), 'account_id',
                   j.raw_account_id, 'unknown account (import it in an accounts file first)'),
            vl_err(j.user_id IS NULL, 'user_id', NULL, 'missing value'),
            vl_err(j.raw_event_time IS NULL OR vl_text(j.raw_event_time) IS NULL, 'event_time', NULL, 'missing value'),
            vl_err(vl_text(j.raw_event_time) IS NOT NULL AND j.event_time IS NULL, 'event_time', j.raw_event_time,
                   'not a date/time (use YYYY-MM-DD HH:MM:SS)'),
            vl_err(j.event_time > $now + INTERVAL 1 DAY, 'event_time', j.raw_event_time, 'in the future'),
            vl_err(j.event_time < TIMESTAMP '1990-01-01', 'event_time', j.raw_event_time, 'before 1990'),
            vl_err(j.feature IS NULL, 'feature', NULL, 'missing value'),
            vl_err(vl_text(j.raw_duration_seconds) IS NOT NULL AND j.duration_seconds IS NULL, 'duration_seconds',
                   j.raw_duration_seconds, vl_nan_reason()),
            vl_err(j.duration_seconds < 0, 'duration_seconds', j.raw_duration_seconds, 'must be >= 0'),
            vl_err(vl_text(j.raw_units) IS NOT NULL AND j.units IS NULL, 'units', j.raw_units, vl_nan_reason()),
            vl_err(j.units < 0, 'units', j.raw_units, 'must be >= 0'),
            vl_err(vl_text(j.raw_event_count) IS NOT NULL AND j.event_count_num IS NULL, 'event_count',
                   j.raw_event_count, vl_nan_reason()),
            vl_err(j.event_count_num < 1 OR j.event_count_num > 1000000000
                   OR j.event_count_num <> floor(j.event_count_num), 'event_count', j.raw_event_count,
                   'must be a whole number from 1 to 1,000,000,000'),
            vl_err(vl_text(j.raw_duration_minutes) IS NOT NULL AND j.duration_minutes IS NULL, 'duration_minutes',
                   j.raw_duration_minutes, vl_nan_reason()),
            vl_err(j.duration_minutes < 0, 'duration_minutes', j.raw_duration_minutes, 'must be >= 0')
        ], lambda x: x IS NOT NULL) END AS errors
    FROM joined AS j
)
SELECT * FROM final;
