-- name: validate_requests
-- contract: vl_stage(line, request_id, account_id, request_date, words, requester, channel, area, type, urgency,
-- competitor, requirement) -> vl_checked: typed rows with account_key resolved, type request / bug (需求 / 缺陷), urgency
-- high / medium / low (高 / 中 / 低; default medium), and `errors`. A request without an id of its own gets one from
-- its account, date and words, so a re-import finds it again (and its grouping into a requirement stays).
CREATE OR REPLACE TEMP TABLE vl_checked AS
WITH typed AS (
    SELECT
        s.line,
        vl_text(s.account_id)                                   AS account_id,
        CAST(vl_ts(s.request_date) AS DATE)                     AS request_date,
        vl_text(s.words)                                        AS words,
        vl_text(s.requester)                                    AS requester,
        vl_text(s.channel)                                      AS channel,
        vl_text(s.area)                                         AS area,
        CASE lower(replace(coalesce(vl_text(s.type), 'request'), ' ', ''))
            WHEN 'request' THEN 'request' WHEN 'feature' THEN 'request' WHEN 'featurerequest' THEN 'request'
            WHEN '需求' THEN 'request' WHEN '功能需求' THEN 'request'
            WHEN 'bug' THEN 'bug' WHEN 'defect' THEN 'bug' WHEN '缺陷' THEN 'bug' WHEN 'bug反馈' THEN 'bug'
            WHEN '故障' THEN 'bug'
        END                                                     AS type,
        CASE lower(coalesce(vl_text(s.urgency), 'medium'))
            WHEN 'high' THEN 'high' WHEN 'urgent' THEN 'high' WHEN '高' THEN 'high' WHEN '紧急' THEN 'high'
            WHEN 'medium' THEN 'medium' WHEN 'normal' THEN 'medium' WHEN '中' THEN 'medium' WHEN '一般' THEN 'medium'
            WHEN 'low' THEN 'low' WHEN '低' THEN 'low' WHEN '不急' THEN 'low'
        END                                                     AS urgency,
        vl_text(s.competitor)                                   AS competitor,
        vl_text(s.requirement)                                  AS requirement,
        vl_text(s.request_id)                                   AS given_id,
        s.account_id AS raw_account_id, s.request_date AS raw_request_date, s.type AS raw_type,
        s.urgency AS raw_urgency
    FROM vl_stage AS s
),
final AS (
    SELECT
        t.* EXCLUDE (given_id),
        coalesce(t.given_id, 'R' || left(md5(concat_ws('|', t.account_id, CAST(t.request_date AS VARCHAR),
                                                       t.words)), 11))                   AS request_id,
        a.account_key,
        list_filter(vl_account_errs(t.account_id, t.raw_account_id, a.account_key)
                    || vl_date_errs('request_date', t.request_date, t.raw_request_date, true) || [
            vl_err(t.words IS NULL, 'words', NULL, 'missing value'),
            vl_err(t.type IS NULL, 'type', t.raw_type, 'must be request or bug'),
            vl_err(t.urgency IS NULL, 'urgency', t.raw_urgency, 'must be high, medium or low')
        ], lambda x: x IS NOT NULL) AS errors
    FROM typed AS t
    LEFT JOIN account AS a ON a.account_id = t.account_id
)
SELECT * FROM final;
