"""Columnar and binary row files: Parquet (DuckDB's reader, types kept) and Avro (fastavro)."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO

import duckdb

from metrics.ingest.staging import _PREVIEW_ROWS, DataError, _quote_ident, _Raw, _unique_headers
from metrics.store import run

_AVRO_BATCH = 100_000


def _stage_parquet(con, path: Path, file_name: str) -> _Raw:
    try:
        names = [r[0] for r in run(con, "ingest_readers.parquet_columns", {"path": str(path)}).fetchall()]
    except duckdb.Error as exc:
        raise DataError(f"{file_name}: cannot read the Parquet file (damaged or truncated)") from exc
    headers = _unique_headers(names)
    cols = ", ".join(f"{_quote_ident(n)} AS c{i}" for i, n in enumerate(names))
    run(con, "ingest_readers.set_path", {"path": str(path)})
    run(con, "ingest_readers.raw_of_parquet", columns=cols)
    rows = run(con, "ingest_readers.raw_count").fetchall()[0][0]
    return _Raw("parquet", None, headers, [], rows)


def _stage_parquet_files(con, files: list[tuple[str, Path]], file_name: str) -> _Raw:
    """Parquet files of one layout (a folder of daily files, a glob) read together by DuckDB where they lie: a row's
    line is its position in the combined rows, and each member's span lets a reject name the member and its row."""
    paths = [str(p) for _, p in files]
    try:
        names = [r[0] for r in run(con, "ingest_readers.parquet_files_columns", {"paths": paths}).fetchall()]
        counts = dict(run(con, "ingest_readers.parquet_files_rows", {"paths": paths}).fetchall())
    except duckdb.Error as exc:
        raise DataError(f"{file_name}: cannot read its Parquet files together (damaged, or of other layouts)") \
            from exc
    offsets, spans, total = [], [], 0
    for (member, path) in files:
        rows = int(counts.get(str(path), 0))
        offsets.append(total)
        if rows:
            spans.append((total + 1, total + rows, member, total))
        total += rows
    headers = _unique_headers(names)
    cols = ", ".join(f"{_quote_ident(n)} AS c{i}" for i, n in enumerate(names))
    run(con, "ingest_readers.set_parquet_files", {"paths": paths, "offsets": offsets})
    run(con, "ingest_readers.raw_of_parquet_files", columns=cols)
    return _Raw("parquet", None, headers, [], total, members=tuple(spans))


def _avro_text(value: object) -> str | None:
    """A cell as text: nested records and arrays as JSON (their fields are then paths: ingest.nested)."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time, Decimal)):
        return str(value)
    return str(value)


def _stage_avro(con, members: list[tuple[str, Callable[[], IO[bytes]]]], file_name: str,
                head_only: bool = False) -> _Raw:
    """Avro object container files (Pendo Data Sync) read with fastavro, one after the other, as text cells of the
    first file's fields; a record's line is its position in the combined rows."""
    import fastavro
    import pyarrow as pa

    headers: list[str] | None = None
    spans: list[tuple[int, int, str, int]] = []
    total = 0
    batch: list[list[object]] = []

    def flush() -> None:
        if batch and headers is not None:
            table = pa.table({"line": pa.array([r[0] for r in batch], pa.int64()),
                              **{f"c{i}": pa.array([r[i + 1] for r in batch], pa.string())
                                 for i in range(len(headers))}})
            con.register("vl_batch", table)
            run(con, "ingest_readers.insert_batch")
            con.unregister("vl_batch")
            batch.clear()

    for member, opener in members:
        first = total
        with opener() as fh:
            try:
                reader = fastavro.reader(fh)
                fields = [f["name"] for f in reader.writer_schema.get("fields", ())]  # type: ignore[union-attr]
                if headers is None:
                    headers = _unique_headers(fields)
                    run(con, "ingest_readers.create_rows",
                        columns=", ".join(f"c{i} VARCHAR" for i in range(len(headers))))
                elif fields != headers:
                    raise DataError(f"{file_name}: {member} has other fields than the first Avro file")
                for record in reader:
                    total += 1
                    batch.append([total, *(_avro_text(record.get(f)) for f in fields)])  # type: ignore[union-attr]
                    if len(batch) >= _AVRO_BATCH:
                        flush()
                    if head_only and total >= _PREVIEW_ROWS:
                        break
            except DataError:
                raise
            except Exception as exc:  # fastavro raises many kinds for a damaged file
                raise DataError(f"{file_name}: {member}: cannot read the Avro file (damaged or truncated)") \
                    from exc
        if total > first:
            spans.append((first + 1, total, member, first))
        if head_only and total >= _PREVIEW_ROWS:
            break
    if headers is None:
        raise DataError(f"{file_name}: no Avro records inside")
    flush()
    run(con, "ingest_readers.raw_of_rows")
    return _Raw("avro", None, headers, [], total, members=tuple(spans) if len(members) > 1 else ())
