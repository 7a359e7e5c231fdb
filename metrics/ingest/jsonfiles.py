"""JSON exports: JSON lines (gzipped or not), arrays of objects and API responses wrapping their rows."""
from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import IO, cast

import duckdb
from isal import igzip

from metrics.ingest.inflation import Budget
from metrics.ingest.staging import (
    _CHUNK,
    _GZIP_ERRORS,
    _PREVIEW_BYTES,
    _PREVIEW_ROWS,
    DataError,
    _in_background,
    _quote_ident,
    _Raw,
    _unique_headers,
)
from metrics.ingest.text import _check_blank_lines, _decode_to_utf8, blank_lines
from metrics.store import run

# ---------------------------------------------------------------- JSON
# Three shapes, as analytics tools export them: JSON lines (one object a line: Mixpanel, PostHog, Amplitude's
# export files), an array of objects, and an API response wrapping its rows in one array field ({"results": [...]}).
# DuckDB reads them (read_csv for lines, so each line keeps its number; read_json_objects for the others); nested
# fields become dotted headers ("properties.company_id") that a mapping can name, and a one-element list is unwrapped.
_JSON_SAMPLE = 1000
_JSON_MIN_OBJECT = 16 << 20  # DuckDB's default maximum_object_size


def _json_max_object(path: Path) -> int:
    """The largest JSON object a file can hold: the file itself (a wrapped API response is one object). DuckDB
    allocates this much per buffer, so a fixed 1 GB fails under the default memory limit."""
    return max(_JSON_MIN_OBJECT, path.stat().st_size + 1)


def _json_shape(path: Path, file_name: str) -> tuple[str, str | None]:
    """("lines", None), ("array", None) or ("wrapped", field) for a JSON export. JSON lines are told by their first
    line, however long (a record of 100 KB is one line): a whole JSON object on it is a JSON-lines file."""
    first, more = _first_line(path)
    if first[:1] == b"[":
        return "array", None
    if first[:1] == b"{" and more and _is_json(first):
        return "lines", None
    complete_line = _is_json(first)  # a single record on its one line, or an API response
    with path.open("rb") as fh:
        head = fh.read(_PREVIEW_BYTES)
    try:
        with path.open("rb") as fh:
            whole = json.load(fh) if path.stat().st_size <= 64 << 20 else None
    except RecursionError as exc:
        raise DataError(f"{file_name}: not valid JSON (nested deeper than {MAX_JSON_DEPTH} levels)") from exc
    except ValueError as exc:
        raise DataError(f"{file_name}: not valid JSON (neither one object a line nor one array or object of "
                        "rows)") from exc
    if whole is None:  # a big single object: take the first array field the head shows
        match = re.search(rb'"([^"]+)"\s*:\s*\[', head)
        if not match:
            raise DataError(f"{file_name}: a JSON object without an array of rows")
        return "wrapped", match.group(1).decode("utf-8", "replace")
    arrays = [k for k, v in whole.items() if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)] \
        if isinstance(whole, dict) else []
    if complete_line and not arrays:
        return "lines", None  # a single JSON line
    if len(arrays) != 1:
        raise DataError(f"{file_name}: a JSON object with {len(arrays)} arrays of rows; expected one "
                        "(as in an API response {\"results\": [...]})")
    return "wrapped", arrays[0]


MAX_JSON_LINE = 64 << 20  # one JSON-lines record (GA4's richest events are a few KB; 64 MB is no event)
MAX_JSON_DEPTH = 64  # levels of nesting in one record (GA4's BigQuery export, the deepest known here, has 4)


def _first_line(path: Path) -> tuple[bytes, bool]:
    """The first line with content (a BOM and blank lines before it skipped), read up to MAX_JSON_LINE, and whether
    anything but blank space follows it."""
    with path.open("rb") as fh:
        while line := fh.readline(MAX_JSON_LINE):
            line = line.lstrip(codecs.BOM_UTF8 + b" \t\r\n")
            if line:
                more = any(chunk.strip() for chunk in iter(lambda: fh.read(1 << 16), b""))
                return line.rstrip(), more
    return b"", False


def _flatten(record: object, prefix: tuple[str, ...], out: dict[tuple[str, ...], str]) -> None:
    """Leaf paths of a record -> how to reach them ("key" or "[0]" steps); a one-element list is unwrapped, but a
    list of key/value records (GA4's event_params) is one field, whose keys ingest.nested addresses."""
    if isinstance(record, list) and record and all(isinstance(r, dict) and "key" in r and "value" in r
                                                   for r in record):
        if prefix:
            out.setdefault(prefix, "leaf")
    elif isinstance(record, dict):
        for key, value in record.items():
            _flatten(value, prefix + (str(key),), out)
    elif isinstance(record, list) and len(record) == 1 and isinstance(record[0], (dict, list)):
        _flatten(record[0], prefix + ("[0]",), out)
    elif prefix:
        out.setdefault(prefix, "list" if isinstance(record, list) and len(record) == 1 else "leaf")


def _dotted_headers(paths: dict[tuple[str, ...], str]) -> list[str]:
    """The headers of leaf paths: "properties.company_id" (a one-element list's "[0]" step left out)."""
    return _unique_headers([".".join(s for s in steps if s != "[0]") for steps in paths])


def _json_path(steps: tuple[str, ...], unwrap: bool = False) -> str:
    """A DuckDB JSON path for keys (quoted, so `$` and `.` inside a key are literal) and "[0]" steps."""
    parts = "".join("[0]" if s == "[0]" else '."' + s.replace('"', '\\"') + '"' for s in steps)
    return "$" + parts + ("[0]" if unwrap else "")


def _is_json(text: bytes) -> bool:
    try:
        json.loads(text)
        return True
    except (ValueError, RecursionError):
        return False


def _json_shape_of_head(head: bytes) -> str | None:
    """"lines" when the head's first line is a whole JSON value and more follows, else None (look closer)."""
    first, _, rest = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").partition(b"\n")
    return "lines" if _is_json(first) and rest.strip() else None


def _stage_json(con, path: Path, file_name: str, workdir: Path, head_only: bool = False,
                compressed: bool = False, lazy: bool = False) -> _Raw:
    """Stage a JSON export as vl_raw: one row per record, one column per leaf field (dotted headers). With
    `compressed`, `path` is a gzipped JSON-lines file DuckDB reads as it is (JSON is UTF-8 by definition); with
    `lazy`, a JSON-lines file's vl_raw may read the file itself (_stage_json_lines_typed)."""
    if compressed:
        text_path, encoding, shape, field_name = path, "utf-8", "lines", None
    else:
        text_path, encoding = _decode_to_utf8(path, file_name, workdir)
        shape, field_name = _json_shape(text_path, file_name)
    if shape == "lines" and not head_only:
        fast = _stage_json_lines_typed(con, text_path, compressed, lazy, file_name)
        if fast is not None:
            headers, records, lines = fast
            return _Raw("json", encoding.replace("-sig", " with BOM"), headers, [], records, lines=lines)
    if shape == "lines":  # counted before DuckDB reads it: a gzip bomb (metrics.ingest.inflation) or a file of
        # blank lines is refused unread
        physical, blank = _line_facts(text_path, compressed, Budget(file_name, text_path.stat().st_size))
        _check_blank_lines(file_name, physical, blank)
    params = {"path": str(text_path), "max_size": _json_max_object(text_path)}
    try:
        if shape == "lines":
            run(con, "ingest_readers.json_lines", {**params, "compression": "gzip" if compressed else "none",
                                                   "max_line": MAX_JSON_LINE})
        elif shape == "array":
            run(con, "ingest_readers.json_array", params)
        else:
            key = str(field_name).replace('"', '\\"')
            run(con, "ingest_readers.json_wrapped", {**params, "field_path": f'$."{key}"[*]'})
    except duckdb.Error as exc:
        line = re.search(r"Line: (\d+)", str(exc))
        where = f"line {line[1]}" if line else "a record"
        raise DataError(f"{file_name}: cannot be read as JSON: {where} is longer than {MAX_JSON_LINE >> 20} MB or "
                        "the file is not valid JSON") from exc
    # each record is parsed once to check it and once to extract every field (one list of paths)
    run(con, "ingest_readers.json_checked")
    _mark_deep(con)
    blank = run(con, "ingest_readers.json_blank").fetchall()[0][0]
    bad = run(con, "ingest_readers.json_bad").fetchall()
    sample = [json.loads(j) for (j,) in run(con, "ingest_readers.json_sample", {"n": _JSON_SAMPLE}).fetchall()]

    paths: dict[tuple[str, ...], str] = {}
    for record in sample:
        _flatten(record, (), paths)
    if not paths:
        raise DataError(f"{file_name}: no JSON object with fields found")
    headers = _dotted_headers(paths)
    run(con, "ingest_readers.json_fields_head" if head_only else "ingest_readers.json_fields",
        {"paths": [_json_path(steps, kind == "list") for steps, kind in paths.items()], "limit": _PREVIEW_ROWS},
        columns=", ".join(f"v[{i + 1}] AS c{i}" for i in range(len(paths))))
    run(con, "ingest_readers.raw_of_rows")
    rows = run(con, "ingest_readers.rows_count").fetchall()[0][0]
    structural = [(int(line), str(text), f"malformed JSON record: {reason}") for line, text, reason in bad]
    return _Raw("json", encoding.replace("-sig", " with BOM"), headers, structural, rows + len(structural),
                excluded=blank if shape == "lines" else 0)


def _mark_deep(con) -> None:
    """Records nested deeper than MAX_JSON_DEPTH are rejected, each on its line (DuckDB reads any depth; Python's
    parser and a person reading the field do not). Only records with that many brackets at all are looked into."""
    deep = [line for line, text in run(con, "ingest_readers.json_bracketed", {"depth": MAX_JSON_DEPTH}).fetchall()
            if _depth(text) > MAX_JSON_DEPTH]
    if deep:
        run(con, "ingest_readers.json_mark_deep", {"lines": deep, "depth": MAX_JSON_DEPTH})


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]")


def _depth(text: str) -> int:
    """The deepest nesting of a JSON text: its brackets counted outside strings."""
    depth = deepest = 0
    for ch in _NOT_BRACKET.sub("", _STRING.sub("", text)):
        depth += 1 if ch in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


# DuckDB's typed reader parses each record once, in parallel, and is what a clean export takes. It has no line numbers
# and skips blank lines, so it is used only when the records it returns are exactly the file's physical lines (each
# is then its own line number, the table keeping the file's order); any malformed or non-object line, blank line or
# value its column type cannot hold makes it fail, and the careful reader above (one line a row) takes over. Types
# are kept only where they lose nothing: numbers are read as their text (a BIGINT column rounds 1.5 to 2, a DOUBLE
# one loses digits of a long id), times with a zone (TIMESTAMPTZ) only in a UTC workspace (a zone-less time is read
# as UTC, as the workspace reads it; a TIMESTAMP column would drop an offset), nested fields as JSON.
_TYPED_JSON_KEEP = {"TIMESTAMP": "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ", "DATE": "DATE",
                    "BOOLEAN": "BOOLEAN"}


def _head_records(path: Path, compressed: bool, budget: Budget | None) -> list[dict] | None:
    """The first _JSON_SAMPLE records of a JSON-lines file, or None when one of them is not a JSON object, is
    longer than MAX_JSON_LINE, nests too deep for Python's parser or repeats a key: the careful reader names it."""
    records = []
    with _open_lines(path, compressed, budget) as fh:
        while raw := fh.readline(MAX_JSON_LINE):
            if not raw.endswith(b"\n") and len(raw) == MAX_JSON_LINE:
                return None
            try:
                record = json.loads(raw, object_pairs_hook=_unique_keys)
            except (ValueError, RecursionError):
                return None
            if not isinstance(record, dict):
                return None
            records.append(record)
            if len(records) == _JSON_SAMPLE:
                break
    return records


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """An object's keys, refusing one that repeats (JSON parsers disagree on which value wins)."""
    record = dict(pairs)
    if len(record) != len(pairs):
        raise ValueError("a repeated key")
    return record


def _open_lines(path: Path, compressed: bool, budget: Budget | None) -> IO[bytes]:
    """A JSON-lines file to read, a gzipped one inflated as it is read, counted against `budget`."""
    if not compressed:
        return path.open("rb")
    stream = igzip.open(path, "rb")
    return cast(IO[bytes], budget.reader(stream, path.name) if budget is not None else stream)


def _line_count(path: Path, compressed: bool, budget: Budget | None = None) -> int:
    """Physical lines of a file (a last line without a line break counts), unpacking a gzipped one as it goes."""
    lines, last = 0, b"\n"
    try:
        with _open_lines(path, compressed, budget) as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except _GZIP_ERRORS as exc:
        raise DataError(f"{path.name}: the gzip file is damaged or truncated") from exc
    return lines + (last != b"\n")


def _line_facts(path: Path, compressed: bool, budget: Budget | None = None) -> tuple[int, int]:
    """_line_count and how many lines are blank (text.blank_lines), in one pass."""
    lines, last = 0, b"\n"

    def chunks(fh: IO[bytes]) -> Iterator[bytes]:
        nonlocal lines, last
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            yield chunk

    try:
        with _open_lines(path, compressed, budget) as fh:
            blank = blank_lines(chunks(fh))
    except _GZIP_ERRORS as exc:
        raise DataError(f"{path.name}: the gzip file is damaged or truncated") from exc
    return lines + (last != b"\n"), blank


def _json_lines(path: Path, compressed: bool, budget: Budget | None = None) -> tuple[int, bool]:
    """_line_count of a JSON-lines file (every line a record, so True)."""
    return _line_count(path, compressed, budget), True


def _stage_json_lines_typed(con, path: Path, compressed: bool, lazy: bool = False,
                            file_name: str | None = None
                            ) -> tuple[list[str], int, Future[tuple[int, bool]] | None] | None:
    """Stage a clean JSON-lines file with DuckDB's typed reader as vl_raw; its headers, record count and, when
    `lazy`, its line count still being taken; or None (nothing staged) when the careful reader must read it.

    With `lazy`, vl_raw is a view over the file and nothing is staged: validation reads the file once, instead of
    once into a staged copy (3-4 s of a 10M-event import) and once from it. Its rows then have no line numbers, and
    the file is known to be clean only once it is validated: the import (ingest._import) compares the validated
    rows with the file's lines, and stages the file this way without `lazy` when they differ, the reader fails, or
    a line must be named (a rejected row, a repeated event id).

    A gzipped file is inflated by DuckDB itself; the count beside it is charged to an inflation budget that, when
    passed, interrupts DuckDB's read (metrics.ingest.inflation) and raises where the count is awaited."""
    budget = None
    if compressed:
        budget = Budget(file_name or path.name, path.stat().st_size)
        budget.on_trip = con.interrupt
    sample = _head_records(path, compressed, budget)
    paths: dict[tuple[str, ...], str] = {}
    for record in sample or ():
        _flatten(record, (), paths)
    if not paths:
        return None
    params = {"path": str(path), "compression": "gzip" if compressed else "none"}
    utc = run(con, "ingest_readers.time_zone").fetchall()[0][0] in ("UTC", "Etc/UTC", "GMT")
    # the file's lines are counted on another thread while DuckDB reads it (a gzipped file is inflated on one
    # core; the count took 1.0 s of a 10M-event import before it overlapped the read), in the time DuckDB leaves
    lines = _in_background(_json_lines, path, compressed, budget)
    try:
        detected = {r[0]: r[1] for r in run(con, "ingest_readers.json_typed_columns", params).fetchall()}
    except duckdb.Error:
        _raise_tripped(budget)
        return None
    nested = {steps[0] for steps, kind in paths.items() if len(steps) > 1 or kind == "list"}
    tops = list(dict.fromkeys(steps[0] for steps in paths))
    columns = {key: "JSON" if key in nested else
               (_TYPED_JSON_KEEP.get(detected.get(key, ""), "VARCHAR") if utc else "VARCHAR") for key in tops}
    names = {key: f"k{i}" for i, key in enumerate(tops)}
    renamed = ", ".join(f"{_quote_ident(k)} AS {names[k]}" for k in tops)
    fields, inner_paths = [], []
    for steps, kind in paths.items():
        column = names[steps[0]]
        if steps[0] not in nested:
            fields.append(column)
        else:
            inner_paths.append(_json_path(steps[1:], kind == "list"))
            fields.append(f"json_extract_string({column}, getvariable('vl_json_paths')[{len(inner_paths)}])")
    run(con, "ingest_readers.set_json_paths", {"paths": inner_paths})
    selected = ", ".join(f"{f} AS c{i}" for i, f in enumerate(fields))
    if lazy:
        run(con, "ingest_readers.set_json_file", {**params, "columns": columns})
        run(con, "ingest_readers.raw_of_json_file", columns=renamed, fields=selected)
        return _dotted_headers(paths), 0, lines
    try:
        run(con, "ingest_readers.json_typed", {**params, "columns": columns}, columns=renamed)
    except duckdb.Error:
        _raise_tripped(budget)
        run(con, "ingest_readers.drop_rows")
        return None
    records = run(con, "ingest_readers.rows_count").fetchall()[0][0]
    if records != lines.result()[0]:  # a blank line somewhere: the careful reader counts it
        run(con, "ingest_readers.drop_rows")
        return None
    run(con, "ingest_readers.raw_of_typed_json", fields=selected)
    return _dotted_headers(paths), records, None



def _raise_tripped(budget: Budget | None) -> None:
    """The inflation limit's refusal, when DuckDB's read failed because the count beside it passed the limit."""
    if budget is not None and budget.tripped is not None:
        raise budget.tripped
