-- Statements of metrics/ingest/readers.py: each reader stages a file as the view vl_raw (line, c0, c1, ...).
-- Values (paths, JSON paths, column types) are $params, or session variables where a view reads them;
-- {{part}} placeholders take column lists the code builds from column positions and quoted header names.

-- name: drop_csv_rejects
DROP TABLE IF EXISTS vl_csv_rejects;
DROP TABLE IF EXISTS vl_csv_scans

-- name: read_csv
-- DuckDB's fast CSV reader; malformed lines go to vl_csv_rejects
CREATE OR REPLACE TEMP TABLE vl_raw_rows AS
SELECT * FROM read_csv($path, columns = $columns, header = $header, auto_detect = false, delim = $delim,
                       quote = $quote, escape = $quote, null_padding = true, store_rejects = true,
                       rejects_table = 'vl_csv_rejects', rejects_scan = 'vl_csv_scans')

-- name: set_csv_file
-- the file, columns and delimiter the view of raw_of_csv_file reads
SET VARIABLE vl_path = $path;
SET VARIABLE vl_csv_columns = $columns;
SET VARIABLE vl_csv_delim = $delim;
SET VARIABLE vl_csv_quote = $quote;
SET VARIABLE vl_csv_header = $header

-- name: raw_of_csv_file
-- the same reader as a view, strict (a malformed line fails the statement reading it): read where vl_raw is read,
-- once, by validation; `line` is NULL, as for JSON lines (raw_of_json_file)
CREATE OR REPLACE TEMP VIEW vl_raw AS
SELECT CAST(NULL AS BIGINT) AS line, *
FROM read_csv(getvariable('vl_path'), columns = getvariable('vl_csv_columns'), header = getvariable('vl_csv_header'),
              auto_detect = false, delim = getvariable('vl_csv_delim'), quote = getvariable('vl_csv_quote'),
              escape = getvariable('vl_csv_quote'), null_padding = true)

-- name: csv_rejects
SELECT line, any_value(csv_line), any_value(CAST(error_type AS VARCHAR)) FROM vl_csv_rejects GROUP BY line ORDER BY line

-- name: csv_lines_shifted
-- good row i sits on line i + $first (2 after a header), plus the malformed lines DuckDB skipped before it ($shifts)
CREATE OR REPLACE TEMP TABLE vl_raw_lines AS
SELECT rowid + $first + len(list_filter($shifts, lambda s: s <= rowid)) AS line, * FROM vl_raw_rows

-- name: raw_of_lines
CREATE OR REPLACE TEMP VIEW vl_raw AS SELECT * FROM vl_raw_lines

-- name: raw_of_csv_rows
CREATE OR REPLACE TEMP VIEW vl_raw AS SELECT rowid + {{first}} AS line, * FROM vl_raw_rows

-- name: raw_of_rows
CREATE OR REPLACE TEMP VIEW vl_raw AS SELECT * FROM vl_raw_rows

-- name: raw_count
SELECT count(*) FROM vl_raw

-- name: rows_count
SELECT count(*) FROM vl_raw_rows

-- name: create_rows
-- the careful CSV reader's table, filled in batches: {{columns}} is c0 VARCHAR, c1 VARCHAR, ...
CREATE OR REPLACE TEMP TABLE vl_raw_rows (line BIGINT, {{columns}})

-- name: insert_batch
INSERT INTO vl_raw_rows SELECT * FROM vl_batch

-- name: rows_of_xlsx
CREATE OR REPLACE TEMP TABLE vl_raw_rows AS SELECT line, {{casts}} FROM vl_xlsx

-- name: parquet_columns
DESCRIBE SELECT * FROM read_parquet($path)

-- name: set_path
-- the file a view reads (a view takes no parameters)
SET VARIABLE vl_path = $path

-- name: raw_of_parquet
-- {{columns}}: "header" AS c0, ...
CREATE OR REPLACE TEMP VIEW vl_raw AS
SELECT file_row_number + 1 AS line, {{columns}} FROM read_parquet(getvariable('vl_path'), file_row_number = true)

-- name: parquet_files_columns
DESCRIBE SELECT * FROM read_parquet($paths, union_by_name = true)

-- name: parquet_files_rows
SELECT file_name, sum(num_rows) FROM parquet_file_metadata($paths) GROUP BY file_name

-- name: set_parquet_files
-- the files a view reads, and the rows before each (a view takes no parameters)
SET VARIABLE vl_paths = $paths::VARCHAR[];
SET VARIABLE vl_offsets = $offsets::BIGINT[]

-- name: raw_of_parquet_files
-- {{columns}}: "header" AS c0, ...; a row's line is its position in the files' rows, in the files' order
CREATE OR REPLACE TEMP VIEW vl_raw AS
SELECT getvariable('vl_offsets')[CAST(file_index AS BIGINT) + 1] + file_row_number + 1 AS line, {{columns}}
FROM read_parquet(getvariable('vl_paths'), file_row_number = true, union_by_name = true)

-- name: rows_of_raw
-- a view's rows kept, when the file it reads goes away
CREATE OR REPLACE TEMP TABLE vl_raw_rows AS SELECT * FROM vl_raw

-- name: json_lines
-- JSON lines, one line a row (the careful reader): read as one text column
CREATE OR REPLACE TEMP TABLE vl_json_rows AS
SELECT j FROM read_csv($path, columns = {'j': 'VARCHAR'}, header = false, delim = chr(30), quote = '', escape = '',
                       auto_detect = false, compression = $compression, max_line_size = $max_line);
CREATE OR REPLACE TEMP TABLE vl_json AS SELECT rowid + 1 AS line, j FROM vl_json_rows;
DROP TABLE vl_json_rows

-- name: json_array
CREATE OR REPLACE TEMP TABLE vl_json AS
SELECT row_number() OVER () AS line, CAST(json AS VARCHAR) AS j
FROM read_json_objects($path, format = 'array', maximum_object_size = $max_size)

-- name: json_wrapped
-- an API response wrapping its rows in one array field ($field_path: $."results"[*])
CREATE OR REPLACE TEMP TABLE vl_json AS
SELECT row_number() OVER () AS line, CAST(r AS VARCHAR) AS j
FROM (SELECT unnest(json_extract(json, $field_path)) AS r
      FROM read_json_objects($path, format = 'unstructured', maximum_object_size = $max_size))

-- name: json_checked
CREATE OR REPLACE TEMP TABLE vl_json_checked AS
SELECT line, j, CASE WHEN j IS NULL OR trim(j) = '' THEN 'blank'
                     WHEN NOT json_valid(j) THEN 'not valid JSON'
                     WHEN NOT starts_with(ltrim(j), '{') THEN 'not a JSON object'
                     WHEN len(json_keys(j)) <> len(list_distinct(json_keys(j)))
                     THEN 'the key "' || list_filter(json_keys(j), lambda k, i: list_position(json_keys(j), k) < i)[1]
                          || '" appears twice' END AS problem
FROM vl_json;
DROP TABLE vl_json

-- name: json_bracketed
-- records with more opening brackets than $depth: those that may nest deeper (ingest.jsonfiles._mark_deep)
SELECT line, j FROM vl_json_checked
WHERE problem IS NULL AND length(j) - length(replace(replace(j, '[', ''), '{', '')) > $depth

-- name: json_mark_deep
UPDATE vl_json_checked SET problem = 'nested deeper than ' || $depth || ' levels' WHERE list_contains($lines, line)

-- name: json_blank
SELECT count(*) FROM vl_json_checked WHERE problem = 'blank'

-- name: json_bad
SELECT line, left(j, 200), problem FROM vl_json_checked WHERE problem IS NOT NULL AND problem <> 'blank' ORDER BY line

-- name: json_sample
SELECT j FROM vl_json_checked WHERE problem IS NULL ORDER BY line LIMIT $n

-- name: json_fields
-- every leaf field of each record, extracted in one pass ($paths: one JSON path a column; {{columns}}: v[1] AS c0, ...)
CREATE OR REPLACE TEMP TABLE vl_raw_rows AS
SELECT line, {{columns}}
FROM (SELECT line, json_extract_string(j, $paths) AS v FROM vl_json_checked WHERE problem IS NULL);
DROP TABLE vl_json_checked

-- name: json_fields_head
-- the same for the first $limit records (a preview)
CREATE OR REPLACE TEMP TABLE vl_raw_rows AS
SELECT line, {{columns}}
FROM (SELECT line, json_extract_string(j, $paths) AS v FROM vl_json_checked WHERE problem IS NULL ORDER BY line
      LIMIT $limit);
DROP TABLE vl_json_checked

-- name: time_zone
SELECT current_setting('TimeZone')

-- name: json_typed_columns
DESCRIBE SELECT * FROM read_json($path, format = 'newline_delimited', records = true, compression = $compression)

-- name: json_typed
-- DuckDB's typed reader ($columns: top-level key -> type; {{columns}}: "key" AS k0, ...)
CREATE OR REPLACE TEMP TABLE vl_raw_rows AS
SELECT {{columns}}
FROM read_json($path, format = 'newline_delimited', records = true, compression = $compression, columns = $columns)

-- name: set_json_file
-- the file, compression and column types the view of raw_of_json_file reads (a view takes no parameters)
SET VARIABLE vl_path = $path;
SET VARIABLE vl_json_compression = $compression;
SET VARIABLE vl_json_columns = $columns

-- name: raw_of_json_file
-- the same reader as a view: read where vl_raw is read, once, by validation; `line` is NULL (a clean file's rows
-- need none; ingest stages a file whose lines must be named) ({{columns}} and {{fields}} as above)
CREATE OR REPLACE TEMP VIEW vl_raw AS
SELECT CAST(NULL AS BIGINT) AS line, {{fields}}
FROM (SELECT {{columns}}
      FROM read_json(getvariable('vl_path'), format = 'newline_delimited', records = true,
                     compression = getvariable('vl_json_compression'), columns = getvariable('vl_json_columns')))

-- name: drop_rows
DROP TABLE IF EXISTS vl_raw_rows

-- name: set_json_paths
-- the JSON paths of nested fields, read by the view vl_raw
SET VARIABLE vl_json_paths = $paths::VARCHAR[]

-- name: raw_of_typed_json
-- {{fields}}: k0 AS c0, json_extract_string(k1, getvariable('vl_json_paths')[1]) AS c1, ...
CREATE OR REPLACE TEMP VIEW vl_raw AS SELECT rowid + 1 AS line, {{fields}} FROM vl_raw_rows

-- name: staging_objects
-- the temp views and tables (all named vl_*) an import or preview leaves on its cursor
SELECT view_name, true FROM duckdb_views() WHERE temporary AND starts_with(view_name, 'vl_')
UNION ALL
SELECT table_name, false FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'vl_')
ORDER BY 2 DESC

-- name: drop_view
DROP VIEW IF EXISTS {{object}}

-- name: drop_table
DROP TABLE IF EXISTS {{object}}
