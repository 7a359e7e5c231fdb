-- name: schema
-- contract: creates every ValueLens table if missing; idempotent. Keys are integer codes;
-- uniqueness is enforced by metrics/ingest (no index constraints, so bulk loads stay fast).

CREATE SEQUENCE IF NOT EXISTS import_seq START 1;

-- hours the value model credits to a feature's volume: the one SQL definition (hours_saved.sql, monthly_hours.sql);
-- metrics.cost.hours_from_volume is the same formula for frames, and a test keeps the two equal
CREATE OR REPLACE MACRO hours_saved_of(basis, events, units, minutes_saved) AS
    CASE basis WHEN 'unit' THEN units ELSE events END * minutes_saved / 60.0;

CREATE TABLE IF NOT EXISTS account (
    account_key           INTEGER NOT NULL,
    account_id            VARCHAR NOT NULL,
    account_name          VARCHAR NOT NULL,
    industry              VARCHAR,
    region                VARCHAR,
    segment               VARCHAR,
    seats                 INTEGER,
    go_live_date          DATE,
    hourly_cost           DOUBLE,
    currency              VARCHAR,
    annual_contract_value DOUBLE,
    renewal_date          DATE,
    business_case_value   DOUBLE,  -- projected value a year at full use (metrics.objectives.projection)
    crm_id                VARCHAR  -- the CRM's record id (Salesforce Account ID, HubSpot Record ID)
);
-- databases made before the business case was imported
ALTER TABLE account ADD COLUMN IF NOT EXISTS business_case_value DOUBLE;
-- databases made before CRM ids were kept
ALTER TABLE account ADD COLUMN IF NOT EXISTS crm_id VARCHAR;

CREATE TABLE IF NOT EXISTS users (
    user_key    INTEGER NOT NULL,
    account_key INTEGER NOT NULL,
    user_id     VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS feature (
    feature_key INTEGER NOT NULL,
    feature     VARCHAR NOT NULL
);

-- raw usage; only ingest and the rollup builder read it
CREATE TABLE IF NOT EXISTS events (
    account_key      INTEGER NOT NULL,
    user_key         INTEGER NOT NULL,
    feature_key      INTEGER NOT NULL,
    event_time       TIMESTAMP NOT NULL,
    month            DATE NOT NULL,
    duration_seconds DOUBLE,
    units            DOUBLE
);

CREATE TABLE IF NOT EXISTS outcomes (
    account_key  INTEGER NOT NULL,
    month        DATE NOT NULL,
    output_units DOUBLE NOT NULL,
    headcount    DOUBLE NOT NULL,
    hours_worked DOUBLE
);

-- what each account was promised: one objective per account and metric (metrics.objectives)
CREATE TABLE IF NOT EXISTS objectives (
    account_key  INTEGER NOT NULL,
    metric       VARCHAR NOT NULL,
    baseline     DOUBLE,              -- NULL: measured from data
    target       DOUBLE NOT NULL,
    target_date  DATE NOT NULL,
    owner        VARCHAR,
    note         VARCHAR
);

-- what each account did when its contract came up: one row per account and renewal date (metrics.lifecycle:
-- the loyal stage; metrics.health: the back-test)
CREATE TABLE IF NOT EXISTS renewals (
    account_key  INTEGER NOT NULL,
    renewal_date DATE NOT NULL,
    outcome      VARCHAR NOT NULL,    -- renewed, expanded, contracted or churned
    new_acv      DOUBLE,
    note         VARCHAR
);

-- what customers asked for, in their own words (the `requests` kind; metrics.requirements)
CREATE TABLE IF NOT EXISTS requests (
    request_id   VARCHAR NOT NULL,
    account_key  INTEGER NOT NULL,
    request_date DATE NOT NULL,
    words        VARCHAR NOT NULL,
    requester    VARCHAR,
    channel      VARCHAR,
    area         VARCHAR,
    type         VARCHAR,             -- request or bug
    urgency      VARCHAR,             -- high, medium or low
    competitor   VARCHAR
);

-- requirements: what product is asked to build, each grouping one or more requests (grouping is a user's action),
-- with its status, the dimensions people judge, and the priority letter a person set over the suggestion
CREATE TABLE IF NOT EXISTS requirements (
    requirement_id     INTEGER NOT NULL,
    title              VARCHAR NOT NULL,
    area               VARCHAR,
    status             VARCHAR NOT NULL,  -- new, accepted, scheduled, in_progress, shipped, not_supported
    status_note        VARCHAR,           -- the reason (not supported for now) or the release note (shipped)
    target_version     VARCHAR,
    shipped_version    VARCHAR,
    shipped_date       DATE,
    capability_gap     BOOLEAN NOT NULL,
    core_selling_point BOOLEAN NOT NULL,
    benefit            VARCHAR,           -- revenue, cost, learnability, workload, brand, looks
    priority           VARCHAR,           -- the letter set by a person (NULL: the suggestion stands)
    priority_reason    VARCHAR,
    features           VARCHAR[],         -- shipped: the value-model features that deliver it
    updated_at         TIMESTAMP NOT NULL,
    updated_by         VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS requirement_requests (
    requirement_id INTEGER NOT NULL,
    request_id     VARCHAR NOT NULL       -- one requirement per request
);
-- every save of a requirement, as saved (who, when, the suggestion then): an override keeps its reason on record
CREATE TABLE IF NOT EXISTS requirement_history (
    requirement_id  INTEGER NOT NULL,
    saved_at        TIMESTAMP NOT NULL,
    saved_by        VARCHAR NOT NULL,
    status          VARCHAR,
    priority        VARCHAR,
    suggested       VARCHAR,
    priority_reason VARCHAR,
    status_note     VARCHAR
);

-- every save of an account's objectives on its page: the objectives as saved, by version
CREATE TABLE IF NOT EXISTS objective_history (
    version      INTEGER NOT NULL,
    saved_at     TIMESTAMP NOT NULL,
    saved_by     VARCHAR NOT NULL,
    change_note  VARCHAR,
    account_key  INTEGER NOT NULL,
    metric       VARCHAR,
    baseline     DOUBLE,
    target       DOUBLE,
    target_date  DATE,
    owner        VARCHAR,
    note         VARCHAR
);

-- the health score's weights as saved (metrics.health): every save a version; none saved means the defaults
CREATE TABLE IF NOT EXISTS health_weights (
    version         INTEGER NOT NULL,
    saved_at        TIMESTAMP NOT NULL,
    saved_by        VARCHAR NOT NULL,
    note            VARCHAR,
    adoption        DOUBLE NOT NULL,
    efficiency      DOUBLE NOT NULL,
    seats           DOUBLE NOT NULL,
    usage_trend     DOUBLE NOT NULL,
    renewal         DOUBLE NOT NULL,
    value_delivered DOUBLE NOT NULL
);
-- the value-concentration component (metrics.people), offered at weight 0; versions saved before it weigh it 0
ALTER TABLE health_weights ADD COLUMN IF NOT EXISTS concentration DOUBLE DEFAULT 0;

CREATE TABLE IF NOT EXISTS value_drivers (
    feature_key   INTEGER NOT NULL,
    minutes_saved DOUBLE NOT NULL,
    basis         VARCHAR NOT NULL,   -- 'use' (per event) or 'unit' (per work item)
    category      VARCHAR,            -- cost, efficiency, revenue, risk
    description   VARCHAR
);

CREATE TABLE IF NOT EXISTS imports (
    import_id      INTEGER NOT NULL,
    file_name      VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    kind           VARCHAR NOT NULL,
    source         VARCHAR,
    file_format    VARCHAR,
    encoding       VARCHAR,
    imported_at    TIMESTAMP NOT NULL,
    rows_read      BIGINT NOT NULL,
    rows_loaded    BIGINT NOT NULL,
    rows_unchanged BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS rejects (
    import_id   INTEGER NOT NULL,
    file_name   VARCHAR NOT NULL,
    line        BIGINT,
    column_name VARCHAR,
    value       VARCHAR,
    reason      VARCHAR NOT NULL
);

-- header -> contract column, remembered per source (a user-chosen name for where files come from)
CREATE TABLE IF NOT EXISTS column_mapping (
    source      VARCHAR NOT NULL,
    header      VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL
);

-- rollups: rebuilt by ingest for the account-months an import touches; all metrics read these
CREATE TABLE IF NOT EXISTS account_user_month (
    account_key      INTEGER NOT NULL,
    user_key         INTEGER NOT NULL,
    month            DATE NOT NULL,
    active_days      INTEGER NOT NULL,
    events           BIGINT NOT NULL,
    duration_seconds DOUBLE NOT NULL,
    units            DOUBLE NOT NULL,
    features_used    INTEGER NOT NULL
);
-- which features a user used in a month is user_feature_month's; the list this table held cost a third of an
-- import's rollups (bench/RESULTS.md, 2026-12-02)
ALTER TABLE account_user_month DROP COLUMN IF EXISTS feature_keys;

-- per user, feature and month: what the people behind the numbers did (metrics.people: hours saved per user add up
-- to the account's); day_mask has bit d-1 set for each day d of the month with an event
CREATE TABLE IF NOT EXISTS user_feature_month (
    account_key      INTEGER NOT NULL,
    user_key         INTEGER NOT NULL,
    feature_key      INTEGER NOT NULL,
    month            DATE NOT NULL,
    day_mask         INTEGER NOT NULL,
    events           BIGINT NOT NULL,
    units            DOUBLE NOT NULL,
    first_used_at    TIMESTAMP NOT NULL
);

-- a user's seconds with a feature in a month: the other rollups of an import read them back (rollup.sql). NULL in
-- rows loaded from Spark (metrics/spark_rollup.py writes its own account_user_month and account_feature_month) and
-- in rows built before the column existed: an import rebuilds a month's rows here before those rollups read them
ALTER TABLE user_feature_month ADD COLUMN IF NOT EXISTS duration_seconds DOUBLE;

CREATE TABLE IF NOT EXISTS account_feature_month (
    account_key      INTEGER NOT NULL,
    feature_key      INTEGER NOT NULL,
    month            DATE NOT NULL,
    users            INTEGER NOT NULL,
    events           BIGINT NOT NULL,
    units            DOUBLE NOT NULL,
    duration_seconds DOUBLE NOT NULL,
    first_used_at    TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS account_month (
    account_key      INTEGER NOT NULL,
    month            DATE NOT NULL,
    active_users     INTEGER NOT NULL,
    active_user_days BIGINT NOT NULL,
    events           BIGINT NOT NULL,
    duration_seconds DOUBLE NOT NULL,
    units            DOUBLE NOT NULL,
    features_used    INTEGER NOT NULL
);

-- value model versions: every save (and the imported state before the first save) is a full snapshot
CREATE TABLE IF NOT EXISTS value_model_version (
    version  INTEGER NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    saved_by VARCHAR NOT NULL,
    note     VARCHAR
);

CREATE TABLE IF NOT EXISTS value_driver_history (
    version       INTEGER NOT NULL,
    feature       VARCHAR NOT NULL,
    minutes_saved DOUBLE NOT NULL,
    basis         VARCHAR NOT NULL,
    category      VARCHAR,
    description   VARCHAR
);

CREATE TABLE IF NOT EXISTS hourly_cost_history (
    version     INTEGER NOT NULL,
    account_id  VARCHAR NOT NULL,
    hourly_cost DOUBLE
);

-- added after the first release: lines excluded by a rule (blank lines), so every line of a file is accounted for
ALTER TABLE imports ADD COLUMN IF NOT EXISTS rows_excluded BIGINT DEFAULT 0;

-- pre-aggregated exports: a row can stand for several events (Pendo's daily feature rows); metrics count these
ALTER TABLE events ADD COLUMN IF NOT EXISTS event_count INTEGER DEFAULT 1;

-- an analytics tool's feature ids and their names (the `features` kind): events are named at import
CREATE TABLE IF NOT EXISTS feature_name_map (
    feature_id   VARCHAR NOT NULL,
    feature_name VARCHAR NOT NULL
);

-- workspace settings (name -> value): timezone, the zone months are counted in
CREATE TABLE IF NOT EXISTS settings (
    name  VARCHAR NOT NULL,
    value VARCHAR
);

-- the analytics tool's own event id (insert_id, $insert_id, uuid, messageId) where it has one: events de-duplicate on
-- it; without one, identical rows are matched as a multiset (see ingest.merge)
ALTER TABLE events ADD COLUMN IF NOT EXISTS event_id VARCHAR;

-- a user directory (the `users` kind): the account of each user, for events that carry only the user
CREATE TABLE IF NOT EXISTS user_directory (
    user_id    VARCHAR NOT NULL,
    account_id VARCHAR NOT NULL
);
-- who the person is (the users kind's optional columns; databases made before them gain them here)
ALTER TABLE user_directory ADD COLUMN IF NOT EXISTS name VARCHAR;
ALTER TABLE user_directory ADD COLUMN IF NOT EXISTS email VARCHAR;
ALTER TABLE user_directory ADD COLUMN IF NOT EXISTS role VARCHAR;
ALTER TABLE user_directory ADD COLUMN IF NOT EXISTS department VARCHAR;

-- events left out by a source's event filter (a preset's tracking noise, include/exclude patterns)
ALTER TABLE imports ADD COLUMN IF NOT EXISTS rows_filtered BIGINT DEFAULT 0;
-- the tool's preset and the layout of its documentation that the export fitted (metrics/ingest/presets)
ALTER TABLE imports ADD COLUMN IF NOT EXISTS preset VARCHAR;
ALTER TABLE imports ADD COLUMN IF NOT EXISTS layout VARCHAR;

-- per source: the analytics tool's preset and the event filter, remembered like the header mapping
CREATE TABLE IF NOT EXISTS source_settings (
    source           VARCHAR NOT NULL,
    preset           VARCHAR,
    include          VARCHAR[],
    exclude          VARCHAR[],
    value_model_only BOOLEAN
);

-- the value model's display names per language (the value_drivers kind's name_en and name_zh; versioned with it)
ALTER TABLE value_drivers ADD COLUMN IF NOT EXISTS name_en VARCHAR;
ALTER TABLE value_drivers ADD COLUMN IF NOT EXISTS name_zh VARCHAR;
ALTER TABLE value_driver_history ADD COLUMN IF NOT EXISTS name_en VARCHAR;
ALTER TABLE value_driver_history ADD COLUMN IF NOT EXISTS name_zh VARCHAR;

-- an account's action plan for next quarter, edited on its page (metrics.plan): dated actions with owners; every
-- save a version in action_plan_history (a save with no action keeps one row of NULLs)
CREATE TABLE IF NOT EXISTS action_plan (
    account_key INTEGER NOT NULL,
    action      VARCHAR NOT NULL,
    owner       VARCHAR NOT NULL,
    due_date    DATE NOT NULL,
    done        BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS action_plan_history (
    version     INTEGER NOT NULL,
    saved_at    TIMESTAMP NOT NULL,
    saved_by    VARCHAR NOT NULL,
    change_note VARCHAR,
    account_key INTEGER NOT NULL,
    action      VARCHAR,
    owner       VARCHAR,
    due_date    DATE,
    done        BOOLEAN
);

-- a team's own deck templates (exports.deck.fill): every upload a version, the newest in use
CREATE TABLE IF NOT EXISTS deck_template (
    version  INTEGER NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    saved_by VARCHAR NOT NULL,
    name     VARCHAR NOT NULL,
    sha256   VARCHAR NOT NULL,
    content  BLOB NOT NULL
);
