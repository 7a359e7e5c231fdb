"""One reader per format: a file staged as the temp table vl_raw(line, c0..cN), every line accounted for. This module
picks the reader by content (staging: what they share; text: CSV and TSV; jsonfiles; workbook: Excel; columnar:
Parquet and Avro; archives: zip files and folders)."""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import IO

from isal import igzip

from metrics.ingest.archives import _is_workbook, _stage_members, _zip_members, folder_members, glob_members
from metrics.ingest.columnar import _stage_avro, _stage_parquet
from metrics.ingest.inflation import Budget
from metrics.ingest.jsonfiles import _json_path, _json_shape_of_head, _stage_json
from metrics.ingest.staging import (
    _GZIP_ERRORS,
    _PREVIEW_BYTES,
    _PREVIEW_ROWS,
    DataError,
    _drop_staging,
    _Raw,
    _sha256,
    _sniff_format,
)
from metrics.ingest.text import _stage_csv
from metrics.ingest.workbook import _stage_xlsx
from metrics.store import run

__all__ = ["_Raw", "_drop_staging", "_json_path", "_sha256", "_stage", "_stage_members", "folder_members",
           "glob_members"]


def _open_binary(path: Path) -> IO[bytes]:
    return path.open("rb")


def _stage(con, path: Path, file_name: str, workdir: Path, head_only: bool = False,
           sheet: str | None = None, lazy: bool = False) -> _Raw:
    """Stage a file as vl_raw; with head_only, just enough of it for a preview; `sheet`: a workbook's sheet; with
    `lazy`, a JSON-lines or CSV file is not staged but read where vl_raw is read (_stage_json_lines_typed)."""
    with path.open("rb") as fh:
        head = fh.read(_PREVIEW_BYTES if head_only else 8192)
    if not head:
        raise DataError(f"{file_name}: the file is empty")
    fmt = _sniff_format(head, file_name)
    if fmt == "gzip":  # a gzipped export: unpacked beside the other temporary files, then read as what it holds
        inner = workdir / (Path(file_name).stem or "unpacked")
        budget = Budget(file_name, path.stat().st_size)  # counted as it inflates (metrics.ingest.inflation)
        try:
            with budget.reader(igzip.open(path, "rb"), file_name) as src:
                inner_head = src.read(_PREVIEW_BYTES)
                inner_format = _sniff_format(inner_head, file_name)
                # JSON lines are read by DuckDB from the .gz itself; anything else is unpacked, a preview of CSV
                # or JSON only its head
                direct = not head_only and inner_format == "json" and _json_shape_of_head(inner_head) == "lines"
                whole = not head_only or inner_format not in ("csv", "json")
                if not direct:
                    with inner.open("wb") as dst:
                        dst.write(inner_head)
                        if whole:
                            budget.copy(src, dst, file_name)
        except _GZIP_ERRORS as exc:
            raise DataError(f"{file_name}: the gzip file is damaged or truncated") from exc
        if direct:
            return _stage_json(con, path, file_name, workdir, compressed=True, lazy=lazy)
        if not whole:
            return _stage(con, inner, file_name, workdir, head_only=True)
        raw = _stage(con, inner, file_name, workdir, sheet=sheet, lazy=lazy)
        if raw.file_format == "parquet":  # its view reads the unpacked file, which goes with the workdir
            run(con, "ingest_readers.rows_of_raw")
            run(con, "ingest_readers.raw_of_rows")
        return raw
    if fmt == "json":
        return _stage_json(con, path, file_name, workdir, head_only, lazy=lazy)
    if fmt == "xlsx" and not _is_workbook(path):
        return _stage_members(con, _zip_members(path, file_name), file_name, workdir, head_only, lazy)
    if fmt == "xlsx":
        return _stage_xlsx(con, path, file_name, max_rows=_PREVIEW_ROWS if head_only else None, sheet_name=sheet)
    if fmt == "parquet":
        return _stage_parquet(con, path, file_name)
    if fmt == "avro":
        return _stage_avro(con, [(file_name, partial(_open_binary, path))], file_name, head_only)
    if head_only and len(head) == _PREVIEW_BYTES:
        path = workdir / "head.csv"
        path.write_bytes(head[: head.rfind(b"\n") + 1] or head)
    return _stage_csv(con, path, file_name, workdir, lazy=lazy)

