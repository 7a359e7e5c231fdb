"""What every reader shares: the staged file (`_Raw`: vl_raw(line, c0..cN) and what was learnt reading it), format
sniffing, header names and the helpers that count lines in the background."""
from __future__ import annotations

import codecs
import hashlib
import os
import threading
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from isal import isal_zlib

from metrics.store import DataError, run

_CHUNK = 1 << 22
_GZIP_ERRORS = cast(tuple[type[BaseException], ...], (OSError, EOFError, zlib.error, isal_zlib.error))
_PREVIEW_BYTES = 1 << 16
_PREVIEW_ROWS = 200


# ---------------------------------------------------------------- reading

@dataclass
class _Raw:
    """A file staged as temp table vl_raw(line, c0..cN) plus what was learnt reading it."""

    file_format: str
    encoding: str | None
    headers: list[str]
    structural_rejects: list[tuple[int, str, str]]  # line, value, reason
    rows: int  # records read: staged rows plus structural rejects
    excluded: int = 0  # lines excluded by a rule (blank lines)
    delimiter: str | None = None
    # an archive or folder read as one file: (first line in the combined file, last line, member, line offset), so
    # that a reject names the member and its own line number (line - offset)
    members: tuple[tuple[int, int, str, int], ...] = ()
    # a file read lazily (vl_raw a view over the file itself, nothing staged, `line` NULL: _stage_json_lines_typed,
    # _stage_csv): its records, still being counted, and whether they are its data lines, one a line (False: a file
    # only the careful reader reads right); `rows` is 0 until the import has validated them
    lines: Future[tuple[int, bool]] | None = None
    notes: tuple[str, ...] = ()  # what the summary says of the reading: members of an archive not read

    def records(self) -> int:
        """Records read (waiting for the count of a lazily read file)."""
        return self.lines.result()[0] if self.lines is not None else self.rows


def _sniff_format(head: bytes, file_name: str) -> str:
    """The format by content, never by name: parquet, avro, xlsx, gzip, json or csv (UTF-16 text with its BOM too)."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"Obj\x01"):  # the Avro object container file's magic
        return "avro"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"  # UTF-16 text: its NUL bytes are the encoding's, not binary content
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.lstrip(codecs.BOM_UTF8 + b" \t\r\n")[:1] in (b"[", b"{"):
        return "json"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"%PDF"):
        raise DataError(f"{file_name}: this is a PDF, not a CSV, XLSX or Parquet export")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(f"{file_name}: old binary Excel (.xls) is not supported; save it as .xlsx or CSV")
    if b"\x00" in head[:4096]:
        raise DataError(f"{file_name}: binary content; expected a CSV, TSV, JSON, XLSX, Parquet or Avro export")
    return "csv"


def _unique_headers(raw: Sequence[object]) -> list[str]:
    out: list[str] = []
    for i, h in enumerate(raw):
        name = str(h).strip() if h is not None and str(h).strip() else f"column_{i + 1}"
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in_background(count: Callable[..., tuple[int, bool]], *args: object) -> Future[tuple[int, bool]]:
    """count(*args) on a thread of its own, at the lowest priority, while DuckDB reads the file: at the same
    priority, the core it took from the reader (whose gzip inflation is one thread the rest waits for) cost a
    10M-event import 4.5-7 s for a count of 1.4 s (bench/RESULTS.md, sixth session)."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(_at_lowest_priority, count, *args)
    pool.shutdown(wait=False)  # the thread ends with the count; nobody waits for it here
    return future


def _at_lowest_priority(count: Callable[..., tuple[int, bool]], *args: object) -> tuple[int, bool]:
    """Linux keeps a nice value per thread (setpriority(2), PRIO_PROCESS with a thread id); elsewhere the count
    runs at the process's priority."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass
    return count(*args)


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return _sha256_of(fh)


def _sha256_of(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _drop_staging(cur) -> None:
    """Drop the temp views and tables (all named vl_*) an import or preview leaves on its cursor."""
    for name, is_view in run(cur, "ingest_readers.staging_objects").fetchall():
        run(cur, "ingest_readers.drop_view" if is_view else "ingest_readers.drop_table", object=_quote_ident(name))
