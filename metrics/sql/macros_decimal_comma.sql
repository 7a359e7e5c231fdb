-- name: macros_decimal_comma
-- contract: redefines vl_num_text (see macros.sql) for a ';'-delimited file, where ',' is the decimal mark:
-- 45,50 -> 45.5, 1.234,5 -> 1234.5, 45.5 -> 45.5; 1.234 (thousands or decimals?) is refused with the reason.
CREATE OR REPLACE TEMP MACRO vl_num_text(t) AS CASE
    WHEN regexp_full_match(t, '[+-]?[0-9]+(,[0-9]+)?') THEN TRY_CAST(replace(t, ',', '.') AS DOUBLE)
    WHEN regexp_full_match(t, '[+-]?[0-9]{1,3}(\.[0-9]{3})+,[0-9]+') THEN
        TRY_CAST(replace(replace(t, '.', ''), ',', '.') AS DOUBLE)
    WHEN regexp_full_match(t, '[+-]?[0-9]{1,3}(\.[0-9]{3})+') THEN NULL
    WHEN NOT contains(t, ',') THEN TRY_CAST(t AS DOUBLE)
END;

CREATE OR REPLACE TEMP MACRO vl_nan_reason() AS
    'not a number (this file is ;-delimited, so , is the decimal mark and 1.234 is ambiguous: write 1234 or 1,234)';
