-- name: validate_renewals
-- contract: vl_stage(line, account_id, renewal_date, outcome, new_acv, note) -> vl_checked: typed rows with
-- account_key resolved, the outcome as one of renewed / expanded / contracted / churned (English or Chinese words
-- accepted: 续约, 扩容 / 增购, 缩减 / 降级, 流失 / 未续约), and `errors`.
CREATE OR REPLACE TEMP TABLE vl_checked AS
WITH typed AS (
    SELECT
        s.line,
        vl_text(s.account_id)                                   AS account_id,
        CAST(vl_ts(s.renewal_date) AS DATE)                     AS renewal_date,
        CASE lower(replace(vl_text(s.outcome), ' ', ''))
            WHEN 'renewed' THEN 'renewed' WHEN 'renewal' THEN 'renewed' WHEN 'renew' THEN 'renewed'
            WHEN '续约' THEN 'renewed' WHEN '已续约' THEN 'renewed' WHEN '续签' THEN 'renewed'
            WHEN 'expanded' THEN 'expanded' WHEN 'expansion' THEN 'expanded' WHEN 'upsell' THEN 'expanded'
            WHEN '扩容' THEN 'expanded' WHEN '增购' THEN 'expanded' WHEN '扩展' THEN 'expanded'
            WHEN 'contracted' THEN 'contracted' WHEN 'contraction' THEN 'contracted' WHEN 'downsell' THEN 'contracted'
            WHEN '缩减' THEN 'contracted' WHEN '降级' THEN 'contracted' WHEN '减购' THEN 'contracted'
            WHEN 'churned' THEN 'churned' WHEN 'churn' THEN 'churned' WHEN 'lost' THEN 'churned'
            WHEN '流失' THEN 'churned' WHEN '未续约' THEN 'churned' WHEN '不续约' THEN 'churned'
        END                                                     AS outcome,
        vl_num(s.new_acv)                                       AS new_acv,
        vl_text(s.note)                                         AS note,
        s.account_id AS raw_account_id, s.renewal_date AS raw_renewal_date, s.outcome AS raw_outcome,
        s.new_acv AS raw_new_acv
    FROM vl_stage AS s
),
-- rows of one account and date must agree: two outcomes for one renewal are a contradiction, both lines named
keyed AS (
    SELECT t.*,
           list(t.line) OVER w AS key_lines,
           min(CAST(row(t.outcome, t.new_acv) AS VARCHAR)) OVER w
               <> max(CAST(row(t.outcome, t.new_acv) AS VARCHAR)) OVER w AS key_differs
    FROM typed AS t
    WINDOW w AS (PARTITION BY t.account_id, t.renewal_date)
),
final AS (
    SELECT
        t.*,
        a.account_key,
        list_filter(vl_account_errs(t.account_id, t.raw_account_id, a.account_key)
                    || vl_date_errs('renewal_date', t.renewal_date, t.raw_renewal_date, true) || [
            vl_err(vl_text(t.raw_outcome) IS NULL, 'outcome', NULL, 'missing value'),
            vl_err(vl_text(t.raw_outcome) IS NOT NULL AND t.outcome IS NULL, 'outcome', t.raw_outcome,
                   'must be renewed, expanded, contracted or churned'),
            vl_err(vl_text(t.raw_new_acv) IS NOT NULL AND t.new_acv IS NULL, 'new_acv', t.raw_new_acv,
                   vl_nan_reason()),
            vl_err(t.new_acv < 0, 'new_acv', t.raw_new_acv, 'must be >= 0'),
            vl_err(t.outcome = 'churned' AND t.new_acv > 0, 'new_acv', t.raw_new_acv,
                   'a churned customer has no new contract value (leave it empty or 0)'),
            vl_err(t.renewal_date > CAST($now AS DATE) + INTERVAL 366 DAY, 'renewal_date', t.raw_renewal_date,
                   'more than a year ahead: an outcome is recorded when the contract comes up'),
            vl_err(t.key_differs AND t.account_id IS NOT NULL AND t.renewal_date IS NOT NULL, 'outcome',
                   t.raw_outcome, vl_contradicts(t.key_lines, t.line, t.key_differs,
                                                 'same account and renewal date, another outcome or value'))
        ], lambda x: x IS NOT NULL) AS errors
    FROM keyed AS t
    LEFT JOIN account AS a ON a.account_id = t.account_id
)
SELECT * EXCLUDE (key_lines, key_differs) FROM final;
