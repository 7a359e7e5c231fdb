-- name: macros
-- contract: temp parsing macros used by the validate_* queries; values may be text or native types. An import's
-- session time zone is the workspace's (store.workspace_timezone, UTC by default): a time with an offset, an epoch or
-- a zone-aware typed column is converted to it, a time without one is taken as already in it.

-- text: trimmed, empty -> NULL (line-ending debris never reaches here: files with mixed or lone-CR line endings are
-- read by the careful reader of ingest, which splits lines itself)
-- (trim only where a value starts or ends with a space: the test is a byte compare, trim a scan, 2x at 10M events)
CREATE OR REPLACE TEMP MACRO vl_text(v) AS CASE
    WHEN starts_with(CAST(v AS VARCHAR), ' ') OR ends_with(CAST(v AS VARCHAR), ' ')
    THEN nullif(trim(CAST(v AS VARCHAR)), '') ELSE nullif(CAST(v AS VARCHAR), '') END;

-- number from text, '.' as the decimal mark: a ',' must separate groups of three digits (1,234.5), so "45,50" is
-- not silently 4550. ingest redefines this macro for a ';'-delimited file, where ',' is the decimal mark.
CREATE OR REPLACE TEMP MACRO vl_num_text(t) AS COALESCE(
    TRY_CAST(t AS DOUBLE),
    CASE WHEN regexp_full_match(t, '[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?') THEN TRY_CAST(replace(t, ',', '') AS DOUBLE) END
);

CREATE OR REPLACE TEMP MACRO vl_nan_reason() AS 'not a number';

-- typeof() is folded when a query is planned, so a typed column (Parquet, Excel dates) skips the text parsers below
CREATE OR REPLACE TEMP MACRO vl_num_any(v) AS CASE
    WHEN typeof(v) IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER',
                       'UBIGINT', 'FLOAT', 'DOUBLE') OR starts_with(typeof(v), 'DECIMAL') THEN CAST(v AS DOUBLE)
    ELSE vl_num_text(vl_text(v))
END;

-- number: finite only (NaN, inf and 1e400 are not numbers here); NULL when not a number
CREATE OR REPLACE TEMP MACRO vl_num(v) AS CASE WHEN isfinite(vl_num_any(v)) THEN vl_num_any(v) END;

-- timestamp (no comments inside a macro body: DuckDB keeps it as one line): epoch seconds (9-10 digits),
-- milliseconds (12-13), microseconds (15-16: GA4's event_timestamp) or nanoseconds (18-19), integer or text, told
-- apart by magnitude; ISO (an offset, basic +0800 too, or
-- Z is converted to UTC;
-- only a text longer than 19 bytes has room for one, so the slower zone-aware cast is tried only there), 2025/3/1, 2025年3月1日 (with optional time), or an Excel
-- serial day number; a time-zone-aware typed column is converted to the session zone (in UTC by arithmetic on its
-- epoch: the zone-aware cast costs 9x)
CREATE OR REPLACE TEMP MACRO vl_ts(v) AS CASE
    WHEN typeof(v) = 'TIMESTAMP WITH TIME ZONE' AND current_setting('TimeZone') = 'UTC'
    THEN make_timestamp(epoch_us(TRY_CAST(v AS TIMESTAMPTZ)))
    WHEN typeof(v) = 'DATE' OR starts_with(typeof(v), 'TIMESTAMP') THEN TRY_CAST(v AS TIMESTAMP)
    ELSE COALESCE(
        CASE WHEN strlen(vl_text(v)) > 19 OR ends_with(vl_text(v), 'Z')
             THEN CAST(TRY_CAST(vl_text(v) AS TIMESTAMPTZ) AS TIMESTAMP)
             ELSE TRY_CAST(vl_text(v) AS TIMESTAMP) END,
        try_strptime(vl_text(v), [
            '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d',
            '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H:%M', '%Y年%m月%d日',
            '%Y-%m-%d %H:%M', '%Y.%m.%d', '%Y%m%d'
        ]),
        CASE WHEN regexp_full_match(vl_text(v), '[0-9]{9,10}(\.[0-9]+)?')
             THEN CAST(to_timestamp(CAST(vl_text(v) AS DOUBLE)) AS TIMESTAMP)
             WHEN regexp_full_match(vl_text(v), '[0-9]{12,13}(\.[0-9]+)?')
             THEN CAST(to_timestamp(CAST(vl_text(v) AS DOUBLE) / 1000) AS TIMESTAMP)
             WHEN regexp_full_match(vl_text(v), '[0-9]{15,16}')
             THEN CAST(timezone('UTC', make_timestamp(CAST(vl_text(v) AS BIGINT))) AS TIMESTAMP)
             WHEN regexp_full_match(vl_text(v), '[0-9]{18,19}')
             THEN CAST(timezone('UTC', make_timestamp(CAST(CAST(vl_text(v) AS HUGEINT) // 1000 AS BIGINT))) AS TIMESTAMP)
        END,
        CASE WHEN regexp_full_match(vl_text(v), '[2-7][0-9]{4}(\.[0-9]+)?')
             THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST(vl_text(v) AS DOUBLE) * 86400000000) AS BIGINT))
        END
    )
END;

-- a time that a tool documents as UTC but writes without an offset (Amplitude's event_time, Heap's TIME, Snowplow's
-- tstamps): a naive ISO text gets +00:00, so that vl_ts converts it to the workspace zone; anything else is left
CREATE OR REPLACE TEMP MACRO vl_utc_text(v) AS CASE
    WHEN regexp_full_match(vl_text(v), '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?')
    THEN vl_text(v) || '+00:00' ELSE CAST(v AS VARCHAR) END;

-- the value of a key/value record array held as JSON text ([{"key": k, "value": {"string_value": ..., "int_value":
-- ...}}], GA4's event_params exported as JSON): the record with key k, its non-null typed value, or a plain value
CREATE OR REPLACE TEMP MACRO vl_kv_record(j, k) AS
    list_filter(CAST(json_extract(CASE WHEN json_valid(j) THEN j END, '$[*]') AS JSON[]),
                lambda x: json_extract_string(x, '$.key') = k)[1];
CREATE OR REPLACE TEMP MACRO vl_kv_value(r) AS CASE
    WHEN json_type(r, '$.value') = 'OBJECT' THEN coalesce(json_extract_string(r, '$.value.string_value'),
        json_extract_string(r, '$.value.int_value'), json_extract_string(r, '$.value.float_value'),
        json_extract_string(r, '$.value.double_value'))
    ELSE json_extract_string(r, '$.value') END;
CREATE OR REPLACE TEMP MACRO vl_kv_json(j, k) AS vl_kv_value(vl_kv_record(j, k));

-- a one-element JSON array's element, else the text as it is (Amplitude's groups hold {"company": ["A1"]}); the
-- text at a JSON path is read once with try(json_extract_string(...)), NULL where the cell is not JSON: 2.1x faster at
-- 10M events than testing json_valid and the path's type first (issue 42's profile)
CREATE OR REPLACE TEMP MACRO vl_unwrap(v) AS CASE
    WHEN starts_with(v, '[') AND json_valid(v) AND json_array_length(v) = 1 THEN json_extract_string(v, '$[0]')
    ELSE v END;

-- month: a timestamp as above, or 2025-03 / 2025/03 / 2025年3月; the first day of the month
CREATE OR REPLACE TEMP MACRO vl_month(v) AS CAST(date_trunc('month', COALESCE(
    vl_ts(v),
    try_strptime(vl_text(v), ['%Y-%m', '%Y/%m', '%Y年%m月', '%Y%m'])
)) AS DATE);

-- dates a row may carry (see README, import rules): nothing before 1990, nothing after 2100 (events and outcomes
-- also nothing in the future); a year-1 or BC date would otherwise break every period picker
CREATE OR REPLACE TEMP MACRO vl_plausible(d) AS d >= DATE '1990-01-01' AND d < DATE '2101-01-01';

-- a total or subtotal line of a spreadsheet (合计, 小计, Total, ...): not data, whatever kind the file is. A pattern,
-- not `IN (...)` nor list_contains: DuckDB plans a constant list as a join over every row, even inside the branch of
-- a CASE that only failing rows reach (3 s at 10M events); a function is evaluated only where the branch is taken
CREATE OR REPLACE TEMP MACRO vl_is_total(t) AS length(t) <= 16 AND regexp_full_match(
    rtrim(lower(replace(t, ' ', '')), ':：'), '合计|总计|小计|共计|总合计|total|totals|subtotal|grandtotal');

-- one reject record, or NULL when the check passes
CREATE OR REPLACE TEMP MACRO vl_err(failed, col, v, reason) AS
    CASE WHEN failed THEN {'column_name': col, 'value': left(CAST(v AS VARCHAR), 200), 'reason': reason} END;

-- the other lines of a file that give one key other details (`lines`: the key's lines, `own`: this row's line;
-- `differs`: whether the key's rows disagree): "contradicts line 3" / "contradicts lines 3, 7", or NULL
CREATE OR REPLACE TEMP MACRO vl_contradicts(lines, own, differs, what) AS
    CASE WHEN differs THEN
        (CASE WHEN len(lines) > 2 THEN 'contradicts lines ' ELSE 'contradicts line ' END)
        || array_to_string(list_sort(list_filter(lines, lambda l: l <> own)), ', ') || ' (' || what || ')' END;

-- a figure written as a percentage (25%, 25 %, 25％), and the figure without its sign
CREATE OR REPLACE TEMP MACRO vl_percent(v) AS coalesce(regexp_matches(vl_text(v), '[%％]$'), false);
CREATE OR REPLACE TEMP MACRO vl_unpercent(v) AS rtrim(regexp_replace(vl_text(v), '[%％]$', ''));

-- an objective's baseline or target against what its metric's figures may be (metrics.objectives.value_problem)
CREATE OR REPLACE TEMP MACRO vl_objective_figure_errs(col, metric, v, pct, raw, shares, changes) AS [
    vl_err(v IS NOT NULL AND (list_contains(shares, metric) OR list_contains(changes, metric)) AND NOT pct
           AND abs(v) > 1, col, raw, 'a share or change written as a whole number: write it as 15% or 0.15'),
    vl_err(v IS NOT NULL AND list_contains(shares, metric) AND (pct OR abs(v) <= 1) AND (v < 0 OR v > 1), col, raw,
           'a share is between 0 and 100%'),
    vl_err(v IS NOT NULL AND list_contains(changes, metric) AND (pct OR abs(v) <= 1) AND v < -1, col, raw,
           'a change cannot fall below -100%'),
    vl_err(v IS NOT NULL AND metric IS NOT NULL AND NOT list_contains(shares, metric)
           AND NOT list_contains(changes, metric) AND v < 0, col, raw, 'must be >= 0')];

-- the checks of a date column: missing (when `required`), not a date, outside the plausible years (accounts'
-- go-live and renewal dates; objectives' target, renewals' and requests' dates)
CREATE OR REPLACE TEMP MACRO vl_date_errs(col, parsed, raw, required) AS [
    vl_err(required AND vl_text(raw) IS NULL, col, NULL, 'missing value'),
    vl_err(vl_text(raw) IS NOT NULL AND parsed IS NULL, col, raw, 'not a date (use YYYY-MM-DD)'),
    vl_err(NOT vl_plausible(parsed), col, raw, 'outside 1990-01-01 to 2100-12-31')];

-- the account checks of a row that names one account (objectives, renewals, requests): missing, a total row, or an
-- account this database does not know (`account_key` from a LEFT JOIN on account); a list of vl_err records
CREATE OR REPLACE TEMP MACRO vl_account_errs(account_id, raw_account_id, account_key) AS [
    vl_err(account_id IS NULL, 'account_id', NULL, 'missing value'),
    vl_err(vl_is_total(account_id), 'account_id', raw_account_id, 'a total or subtotal row, not data'),
    vl_err(account_id IS NOT NULL AND account_key IS NULL AND NOT vl_is_total(account_id), 'account_id',
           raw_account_id, 'unknown account (import it in an accounts file first)')];

-- identifiers that normalising would change (invisible or look-alike characters) or that read as a total row:
-- ingest._check_identifiers finds them among the distinct values of a batch and rejects their rows
CREATE TEMP TABLE IF NOT EXISTS vl_bad_ids (column_name VARCHAR, value VARCHAR, reason VARCHAR);

-- the members of an archive or folder read as one file: their line ranges in the combined file (see ingest.readers)
CREATE TEMP TABLE IF NOT EXISTS vl_members (first_line BIGINT, last_line BIGINT, member VARCHAR, line_offset BIGINT);
