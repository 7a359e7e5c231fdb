-- Statements of metrics/health.py: the health score's weights, versioned.

-- name: current
-- the latest saved weights (no row: the defaults apply)
SELECT adoption, efficiency, seats, usage_trend, renewal, value_delivered, concentration
FROM health_weights ORDER BY version DESC LIMIT 1

-- name: versions
SELECT version, saved_at, saved_by, note, adoption, efficiency, seats, usage_trend, renewal, value_delivered,
       concentration
FROM health_weights ORDER BY version DESC

-- name: last_version
SELECT coalesce(max(version), 0) FROM health_weights

-- name: save
INSERT INTO health_weights (version, saved_at, saved_by, note, adoption, efficiency, seats, usage_trend, renewal,
                            value_delivered, concentration)
VALUES ($v, $at, $by, $note, $adoption, $efficiency, $seats, $usage_trend, $renewal, $value_delivered, $concentration)
