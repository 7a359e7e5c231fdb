-- name: validate_features
-- contract: vl_stage(line, feature_id, feature_name) -> vl_checked: typed rows with `errors`.
CREATE OR REPLACE TEMP TABLE vl_checked AS
WITH typed AS (
    SELECT s.line, vl_text(s.feature_id) AS feature_id, vl_text(s.feature_name) AS feature_name
    FROM vl_stage AS s
),
final AS (
    SELECT
        t.*,
        list_filter([
            vl_err(t.feature_id IS NULL, 'feature_id', NULL, 'missing value'),
            vl_err(t.feature_name IS NULL, 'feature_name', NULL, 'missing value'),
            vl_err(vl_is_total(t.feature_id), 'feature_id', t.feature_id, 'a total or subtotal row, not data')
        ], lambda x: x IS NOT NULL) AS errors
    FROM typed AS t
)
SELECT * FROM final;
