"""Fields inside nested columns, found in an export's first rows and read as text by SQL: key/value record arrays
(GA4's event_params and user_properties: `event_params.company_id` is the non-null typed value of the record whose key
is company_id), JSON text (Mixpanel's pipeline properties, Amplitude's GROUPS) and Parquet or Avro structs."""
from __future__ import annotations

import json
import re

from metrics.ingest.presets import FieldSet, split_field
from metrics.store import DataError, run

_SAMPLE_ROWS = 1000
# a Salesforce account's record id: 15 characters (18 with its checksum), its object prefix 001
_SALESFORCE_ACCOUNT_ID = re.compile(r"001[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")
_MAX_PATHS = 500  # a column of free-form JSON lists at most this many paths to map


def field_set(cur, headers: list[str]) -> tuple[FieldSet, dict[str, str]]:
    """The staged file's fields (headers and the nested paths of its first rows) and each column's DuckDB type."""
    described = run(cur, "ingest_run.raw_types").fetchall()
    types = {name: kind for name, kind in described if name != "line"}
    column_types = {h: types.get(f"c{i}", "VARCHAR") for i, h in enumerate(headers)}
    candidates = [(i, h) for i, h in enumerate(headers)
                  if column_types[h] in ("VARCHAR", "JSON") or column_types[h].startswith(("STRUCT", "MAP"))
                  or column_types[h].endswith("[]")]
    if not candidates:
        return FieldSet(tuple(headers)), column_types
    rows = run(cur, "ingest_run.raw_sample_columns", {"n": _SAMPLE_ROWS},
               columns=", ".join(f"c{i}" for i, _ in candidates)).fetchall()
    nested: dict[str, str] = {}
    paths: dict[str, None] = {}
    values: dict[str, tuple[str, ...]] = {}
    crm_ids = tuple(header for position, (_, header) in enumerate(candidates) if _all_salesforce_ids(
        [row[position] for row in rows]))
    for position, (_, header) in enumerate(candidates):
        native = column_types[header] not in ("VARCHAR", "JSON")
        for row in rows:
            value = row[position]
            if isinstance(value, str) and not native:
                text = value.lstrip()
                if not text.startswith(("{", "[")):
                    continue
                try:
                    value = json.loads(text)
                except ValueError:
                    continue
            kind = _kind_of(value)
            if kind is None:
                continue
            kind = kind if native else {"kv": "kv_json", "struct": "json"}[kind]
            nested.setdefault(header, kind)
            if nested[header] != kind:
                continue
            if kind in ("kv", "kv_json"):
                for record in value:
                    if record.get("key") is not None:
                        paths.setdefault(f"{header}.{record['key']}")
                    if kind == "kv" and isinstance(record.get("value"), dict):  # not set_timestamp_micros
                        values.setdefault(header, tuple(f for f in record["value"] if not f.endswith("_micros")))
            elif len(paths) < _MAX_PATHS:
                for leaf in _leaves(value, (header,)):
                    paths.setdefault(".".join(leaf))
    return FieldSet(tuple(headers), tuple(paths), nested, values, crm_ids), column_types


def _all_salesforce_ids(values: list[object]) -> bool:
    """True when a column's first values are all Salesforce account record ids (and there is one at least)."""
    texts = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    return bool(texts) and all(_SALESFORCE_ACCOUNT_ID.fullmatch(t) for t in texts)


def _kind_of(value: object) -> str | None:
    """"kv" for a list of {key, value} records, "struct" for an object, else None."""
    if isinstance(value, dict) and value:
        return "struct"
    if (isinstance(value, list) and value and all(isinstance(r, dict) for r in value)
            and all("key" in r and "value" in r for r in value)):
        return "kv"
    return None


def _leaves(value: object, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    if isinstance(value, dict):
        return [leaf for key, inner in value.items() for leaf in _leaves(inner, prefix + (str(key),))]
    return [prefix]


def json_path(steps: tuple[str, ...], unwrap: bool = False) -> str:
    """A DuckDB JSON path for keys (quoted, so `$` and `.` inside a key are literal) and "[0]" steps."""
    parts = "".join("[0]" if s == "[0]" else '."' + s.replace('"', '\\"') + '"' for s in steps)
    return "$" + parts + ("[0]" if unwrap else "")


def field_sql(name: str, fields: FieldSet, paths: list[str]) -> str:
    """SQL reading `name` from vl_raw: a header's column, or the text of a path into a nested column (NULL where the
    row has none). Keys and JSON paths are appended to `paths`, which the SQL reads from the variable
    vl_field_paths: no value from a file is pasted into SQL."""
    headers = list(fields.headers)
    if name in headers:
        return f"c{headers.index(name)}"
    split = split_field(name, headers)
    if split is None:
        raise DataError(f"'{name}' is neither a header nor a path into a nested column")
    header, steps = split
    column = f"c{headers.index(header)}"
    kind = fields.nested.get(header, "json")
    if kind in ("kv", "kv_json"):
        paths.append(".".join(steps))
        key = f"getvariable('vl_field_paths')[{len(paths)}]"
        if kind == "kv_json":
            return f"vl_kv_json({column}, {key})"
        record = f"list_filter({column}, lambda x: x.key = {key})[1].value"
        typed = fields.value_fields.get(header, ())
        if not typed:
            return f"CAST({record} AS VARCHAR)"
        return "coalesce(" + ", ".join(f"CAST(struct_extract({record}, '{f}') AS VARCHAR)" for f in typed
                                       if f.isidentifier()) + ")"
    paths.append(json_path(steps))
    path = f"getvariable('vl_field_paths')[{len(paths)}]"
    # a one-element array is its element (Amplitude's groups: {"company": ["A1"]}), as the JSON reader unwraps it
    if kind == "struct":
        return f"vl_unwrap(json_extract_string(to_json({column}), {path}))"
    return f"vl_unwrap(try(json_extract_string({column}, {path})))"


def as_utc(expression: str, staged_type: str) -> str:
    """`expression` with a time written without an offset read as UTC (the tool documents it so); times with an
    offset and epochs are left as they are."""
    if staged_type == "TIMESTAMP":
        return f"timezone('UTC', {expression})"
    if staged_type in ("VARCHAR", "JSON"):
        return f"vl_utc_text({expression})"
    return expression
