-- name: macros
-- contract: temp parsing macros used by the validate_* queries; values may be text or native types.

-- text: trimmed, empty -> NULL
CREATE OR REPLACE TEMP MACRO vl_text(v) AS nullif(trim(CAST(v AS VARCHAR)), '');

-- typeof() is folded when a query is planned, so a typed column (Parquet, Excel dates) skips the text parsers below
-- number: accepts thousands separators; NULL when not a number
CREATE OR REPLACE TEMP MACRO vl_num(v) AS CASE
    WHEN typeof(v) IN ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER',
                       'UBIGINT', 'FLOAT', 'DOUBLE') OR starts_with(typeof(v), 'DECIMAL') THEN CAST(v AS DOUBLE)
    ELSE TRY_CAST(replace(vl_text(v), ',', '') AS DOUBLE)
END;

-- timestamp: ISO, 2025/3/1, 2025年3月1日 (with optional time), or an Excel serial day number
CREATE OR REPLACE TEMP MACRO vl_ts(v) AS CASE
    WHEN typeof(v) = 'DATE' OR starts_with(typeof(v), 'TIMESTAMP') THEN TRY_CAST(v AS TIMESTAMP)
    ELSE COALESCE(
        TRY_CAST(v AS TIMESTAMP),
        try_strptime(vl_text(v), [
            '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d',
            '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H:%M', '%Y年%m月%d日',
            '%Y-%m-%d %H:%M', '%Y.%m.%d', '%Y%m%d'
        ]),
        CASE WHEN regexp_full_match(vl_text(v), '[2-7][0-9]{4}(\.[0-9]+)?')
             THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST(vl_text(v) AS DOUBLE) * 86400000000) AS BIGINT))
        END
    )
END;

-- month: a timestamp as above, or 2025-03 / 2025/03 / 2025年3月; the first day of the month
CREATE OR REPLACE TEMP MACRO vl_month(v) AS CAST(date_trunc('month', COALESCE(
    vl_ts(v),
    try_strptime(vl_text(v), ['%Y-%m', '%Y/%m', '%Y年%m月', '%Y%m'])
)) AS DATE);

-- one reject record, or NULL when the check passes
CREATE OR REPLACE TEMP MACRO vl_err(failed, col, v, reason) AS
    CASE WHEN failed THEN {'column_name': col, 'value': left(CAST(v AS VARCHAR), 200), 'reason': reason} END;
