-- name: validate_users
-- contract: vl_stage(line, user_id, account_id, name, email, role, department) -> vl_checked: typed rows with
-- `errors`.
CREATE OR REPLACE TEMP TABLE vl_checked AS
WITH typed AS (
    SELECT s.line, vl_text(s.user_id) AS user_id, vl_text(s.account_id) AS account_id, vl_text(s.name) AS name,
           vl_text(s.email) AS email, vl_text(s.role) AS role, vl_text(s.department) AS department,
           s.account_id AS raw_account_id
    FROM vl_stage AS s
),
-- rows of one user must agree: one id with two e-mails (or accounts, names) is a contradiction, both lines named
keyed AS (
    SELECT t.*,
           list(t.line) OVER w AS key_lines,
           min(CAST(row(t.account_id, t.name, t.email, t.role, t.department) AS VARCHAR)) OVER w
               <> max(CAST(row(t.account_id, t.name, t.email, t.role, t.department) AS VARCHAR)) OVER w AS key_differs
    FROM typed AS t
    WINDOW w AS (PARTITION BY t.user_id)
),
final AS (
    SELECT
        t.* EXCLUDE (raw_account_id, key_lines, key_differs),
        list_filter([
            vl_err(t.user_id IS NULL, 'user_id', NULL, 'missing value'),
            vl_err(t.account_id IS NULL, 'account_id', NULL, 'missing value'),
            vl_err(vl_is_total(t.user_id) OR vl_is_total(t.account_id), 'user_id', t.user_id,
                   'a total or subtotal row, not data'),
            vl_err(t.account_id IS NOT NULL AND a.account_key IS NULL AND NOT vl_is_total(t.account_id), 'account_id',
                   t.raw_account_id, 'unknown account (import it in an accounts file first)'),
            vl_err(t.key_differs AND t.user_id IS NOT NULL, 'user_id', t.user_id,
                   vl_contradicts(t.key_lines, t.line, t.key_differs, 'same user id, other details'))
        ], lambda x: x IS NOT NULL) AS errors
    FROM keyed AS t
    LEFT JOIN account AS a ON a.account_id = t.account_id
)
SELECT * FROM final;
