-- name: key_features
-- contract: vl_good(feature, ...) -> codes new features in `feature`, and vl_good gains feature_key.
INSERT INTO feature
WITH new_features AS (
    SELECT DISTINCT g.feature FROM vl_good AS g ANTI JOIN feature AS f ON f.feature = g.feature
)
SELECT (SELECT coalesce(max(feature_key), 0) FROM feature) + row_number() OVER (ORDER BY feature) AS feature_key,
       feature
FROM new_features;

CREATE OR REPLACE TEMP TABLE vl_good AS
SELECT g.*, f.feature_key FROM vl_good AS g JOIN feature AS f ON f.feature = g.feature;
