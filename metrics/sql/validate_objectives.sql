-- name: validate_objectives
-- contract: vl_stage(line, account_id, metric, baseline, target, target_date, owner, note), $metrics (the metric ids
-- an objective may name) -> vl_checked: typed rows with account_key resolved and `errors`. A figure written as a
-- percentage (25%, 25 %, 25％) is the fraction 0.25. What a figure may be comes from its metric (metrics.objectives:
-- $shares 0..1, $changes >= -1, the rest >= 0; a bare whole number on a share or change refused with the hint) and
-- the target must lie on the better side of the baseline ($lower: the metrics where lower is better).
CREATE OR REPLACE TEMP TABLE vl_checked AS
WITH typed AS (
    SELECT
        s.line,
        vl_text(s.account_id)                                   AS account_id,
        lower(vl_text(s.metric))                                AS metric,
        vl_percent(s.baseline)                                  AS baseline_pct,
        vl_percent(s.target)                                    AS target_pct,
        CASE WHEN vl_percent(s.baseline) THEN vl_num(vl_unpercent(s.baseline)) / 100
             ELSE vl_num(s.baseline) END                        AS baseline,
        CASE WHEN vl_percent(s.target) THEN vl_num(vl_unpercent(s.target)) / 100
             ELSE vl_num(s.target) END                          AS target,
        CAST(vl_ts(s.target_date) AS DATE)                      AS target_date,
        vl_text(s.owner)                                        AS owner,
        vl_text(s.note)                                         AS note,
        s.account_id AS raw_account_id, s.metric AS raw_metric, s.baseline AS raw_baseline, s.target AS raw_target,
        s.target_date AS raw_target_date
    FROM vl_stage AS s
),
final AS (
    SELECT
        t.*,
        a.account_key,
        list_filter(list_concat(vl_account_errs(t.account_id, t.raw_account_id, a.account_key), [
            vl_err(t.metric IS NULL, 'metric', NULL, 'missing value'),
            vl_err(t.metric IS NOT NULL AND NOT list_contains($metrics, t.metric), 'metric', t.raw_metric,
                   'not a metric an objective can measure'),
            vl_err(vl_text(t.raw_baseline) IS NOT NULL AND t.baseline IS NULL, 'baseline', t.raw_baseline,
                   vl_nan_reason()),
            vl_err(vl_text(t.raw_target) IS NULL, 'target', NULL, 'missing value'),
            vl_err(vl_text(t.raw_target) IS NOT NULL AND t.target IS NULL, 'target', t.raw_target, vl_nan_reason())
        ] || vl_date_errs('target_date', t.target_date, t.raw_target_date, true) || [
            vl_err(t.baseline IS NOT NULL AND t.target IS NOT NULL AND t.baseline = t.target, 'target', t.raw_target,
                   'equal to the baseline: nothing to progress towards'),
            vl_err(t.baseline IS NOT NULL AND t.target IS NOT NULL AND t.baseline <> t.target
                   AND (t.target < t.baseline) <> list_contains($lower, t.metric), 'target', t.raw_target,
                   'on the wrong side of the baseline: higher is better for this metric, so the target must be above it')
        ] || vl_objective_figure_errs('baseline', t.metric, t.baseline, t.baseline_pct, t.raw_baseline, $shares,
                                      $changes)
          || vl_objective_figure_errs('target', t.metric, t.target, t.target_pct, t.raw_target, $shares, $changes)
        ), lambda x: x IS NOT NULL) AS errors
    FROM typed AS t
    LEFT JOIN account AS a ON a.account_id = t.account_id
)
SELECT * FROM final;
