-- name: validate_value_drivers
-- contract: vl_stage(line, feature, minutes_saved, basis, category, description, name_en, name_zh) -> vl_checked:
-- typed rows (basis and category normalised from English or Chinese words) with `errors`.
CREATE OR REPLACE TEMP TABLE vl_checked AS
WITH typed AS (
    SELECT
        s.line,
        vl_text(s.feature)        AS feature,
        vl_num(s.minutes_saved)   AS minutes_saved,
        CASE lower(replace(replace(vl_text(s.basis), ' ', ''), '_', ''))
            WHEN 'use' THEN 'use' WHEN 'peruse' THEN 'use' WHEN 'event' THEN 'use' WHEN '按次' THEN 'use'
            WHEN '每次使用' THEN 'use' WHEN '次' THEN 'use'
            WHEN 'unit' THEN 'unit' WHEN 'perunit' THEN 'unit' WHEN 'workitem' THEN 'unit' WHEN 'item' THEN 'unit'
            WHEN '按件' THEN 'unit' WHEN '按量' THEN 'unit' WHEN '每件' THEN 'unit' WHEN '件' THEN 'unit'
        END                       AS basis_parsed,
        CASE lower(vl_text(s.category))
            WHEN 'cost' THEN 'cost' WHEN '成本' THEN 'cost'
            WHEN 'efficiency' THEN 'efficiency' WHEN '效率' THEN 'efficiency'
            WHEN 'revenue' THEN 'revenue' WHEN '收入' THEN 'revenue'
            WHEN 'risk' THEN 'risk' WHEN '风险' THEN 'risk'
        END                       AS category,
        vl_text(s.description)    AS description,
        vl_text(s.name_en)        AS name_en,
        vl_text(s.name_zh)        AS name_zh,
        s.minutes_saved AS raw_minutes_saved, s.basis AS raw_basis, s.category AS raw_category
    FROM vl_stage AS s
),
defaulted AS (
    -- an empty basis means per use, the common case
    SELECT * EXCLUDE (basis_parsed),
           CASE WHEN vl_text(raw_basis) IS NULL THEN 'use' ELSE basis_parsed END AS basis
    FROM typed
),
final AS (
    SELECT
        t.*,
        list_filter([
            vl_err(t.feature IS NULL, 'feature', NULL, 'missing value'),
            vl_err(vl_is_total(t.feature), 'feature', t.feature, 'a total or subtotal row, not data'),
            vl_err(vl_text(t.raw_minutes_saved) IS NULL, 'minutes_saved', NULL, 'missing value'),
            vl_err(vl_text(t.raw_minutes_saved) IS NOT NULL AND t.minutes_saved IS NULL, 'minutes_saved',
                   t.raw_minutes_saved, vl_nan_reason()),
            vl_err(t.minutes_saved < 0, 'minutes_saved', t.raw_minutes_saved, 'must be >= 0'),
            vl_err(t.basis IS NULL, 'basis', t.raw_basis, 'must be use (per event) or unit (per work item)'),
            vl_err(vl_text(t.raw_category) IS NOT NULL AND t.category IS NULL, 'category', t.raw_category,
                   'must be cost, efficiency, revenue or risk')
        ], lambda x: x IS NOT NULL) AS errors
    FROM defaulted AS t
)
SELECT * FROM final;
