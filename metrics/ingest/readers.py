"""One reader per format: a file staged as the temp table vl_raw(line, c0..cN), every line accounted for."""
from __future__ import annotations

import codecs
import csv
import hashlib
import json
import os
import re
import shutil
import threading
import zipfile
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import partial
from pathlib import Path
from typing import IO, cast

import duckdb
import pandas as pd
from isal import igzip, isal_zlib  # ISA-L's inflate: 2.3x the standard library's on a 10M-event export

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

    def records(self) -> int:
        """Records read (waiting for the count of a lazily read file)."""
        return self.lines.result()[0] if self.lines is not None else self.rows


def _sniff_format(head: bytes, file_name: str) -> str:
    """The format by content, never by name: parquet, xlsx, gzip, json or csv."""
    if head.startswith(b"PAR1"):
        return "parquet"
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
        raise DataError(f"{file_name}: binary content; expected a CSV, JSON, XLSX or Parquet export")
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


def _decode_to_utf8(path: Path, file_name: str, workdir: Path) -> tuple[Path, str]:
    """UTF-8 files are read in place; GBK/GB18030 files are transcoded to a UTF-8 copy (DuckDB reads only UTF-8)."""
    with path.open("rb") as fh:
        head = fh.read(3)
        encoding = "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return path, encoding
        except UnicodeDecodeError:
            pass
    out = workdir / "transcoded.csv"
    first_utf8 = first_other = None  # line numbers: a file mixing the two is refused, never half-garbled
    chinese = other = 0  # non-ASCII characters of the GB18030 reading inside / outside GB2312
    sample = bytearray()  # non-ASCII lines, to name the encoding when the file is not Chinese
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        for line_no, raw in enumerate(src, start=1):
            if raw.isascii():
                dst.write(raw.decode("ascii"))
                continue
            if len(sample) < 1 << 16:
                sample += raw
            try:
                raw.decode("utf-8")
                first_utf8 = first_utf8 or line_no
            except UnicodeDecodeError:
                first_other = first_other or line_no
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError as exc:
                raise DataError(f"{file_name}: line {line_no}: not valid UTF-8 or GBK text ({exc.reason})"
                                f"{_detected(bytes(sample))}; save the file as UTF-8 and import it again") from exc
            for ch in text:
                if ord(ch) > 127:
                    chinese, other = (chinese + 1, other) if _in_gb2312(ch) else (chinese, other + 1)
            dst.write(text)
    if first_utf8 and first_other:
        raise DataError(f"{file_name}: mixed encodings: line {first_utf8} is UTF-8 but line {first_other} is not "
                        "(GBK?); save the whole file in one encoding, preferably UTF-8, and import it again")
    if other > GBK_MAX_RARE * (chinese + other):
        raise DataError(f"{file_name}: not UTF-8, and read as GBK it would be garbled text{_detected(bytes(sample))}; "
                        "only UTF-8 and GBK/GB18030 are supported: save the file as UTF-8 and import it again")
    return out, "gb18030"


# Chinese text in GBK is almost all GB2312 characters; Big5, Shift-JIS or cp1252 bytes read as GBK are mostly not
# (measured: Big5 35 %, Shift-JIS 0 % inside GB2312, real GBK customer lists 97 %)
GBK_MAX_RARE = 0.2


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _detected(sample: bytes) -> str:
    """' (it looks like <encoding>)' from charset_normalizer's best guess, or ''."""
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best() if sample else None
    return f" (it looks like {best.encoding})" if best is not None and best.encoding else ""


def _physical_lines(path: Path) -> tuple[int, bool]:
    """How many physical lines a text file has (a last line without a line break counts), and whether its line
    endings are mixed (some \\r\\n, some \\n) or include a lone \\r (old Mac style): such files go to the careful
    reader, which splits lines itself and leaves no \\r in a value."""
    lines = crlf = cr = 0
    last = b"\n"
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            lines += chunk.count(b"\n")
            if b"\r" in chunk or last == b"\r":
                cr += chunk.count(b"\r")
                crlf += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    return lines + (last not in (b"\n", b"")), cr > 0 and not (cr == crlf == lines)


def _stage_csv(con, path: Path, file_name: str, workdir: Path, lazy: bool = False) -> _Raw:
    """Stage a CSV file. DuckDB's reader is tried first; when its rows and rejects do not account for every
    physical line (a quoted line break, an unterminated quote swallowing the rest of the file, mixed or lone-CR
    line endings, blank lines) or it refuses the file, the careful reader (_stage_csv_lines) reads it instead.

    With `lazy`, nothing is staged: vl_raw reads the file with DuckDB's reader, strictly (a malformed line fails the
    statement), and the import checks the rows it validated against the lines counted meanwhile (as for JSON lines,
    _stage_json_lines_typed)."""
    text_path, encoding = _decode_to_utf8(path, file_name, workdir)
    with text_path.open(encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise DataError(f"{file_name}: the file is empty (no header row)")
    delim = max([",", ";", "\t", "|"], key=lambda d: first.count(d))
    headers = _unique_headers(list(csv.reader([first], delimiter=delim, quotechar='"'))[0])
    encoding = encoding.replace("-sig", " with BOM")
    if lazy:
        records = _in_background(_csv_data_lines, text_path)
        run(con, "ingest_readers.set_csv_file",
            {"path": str(text_path), "columns": {f"c{i}": "VARCHAR" for i in range(len(headers))}, "delim": delim})
        run(con, "ingest_readers.raw_of_csv_file")
        return _Raw("csv", encoding, headers, [], 0, delimiter=delim, lines=records)
    physical, mixed_endings = _physical_lines(text_path)
    staged = None if mixed_endings else _stage_csv_duckdb(con, text_path, headers, delim)
    if staged is not None and staged[0] + len(staged[1]) + 1 == physical:
        rows, structural = staged
        return _Raw("csv", encoding, headers, structural, rows + len(structural), delimiter=delim)
    return _stage_csv_lines(con, text_path, file_name, headers, delim, encoding, physical)


def _csv_data_lines(path: Path) -> tuple[int, bool]:
    """A CSV file's data lines (its lines but the header), and False when its line endings are mixed or include a
    lone \\r (_physical_lines)."""
    physical, mixed_endings = _physical_lines(path)
    return physical - 1, not mixed_endings


def _stage_csv_duckdb(con, text_path: Path, headers: list[str], delim: str) -> tuple[int, list] | None:
    """DuckDB's fast reader: (good rows, malformed-line rejects), staged as vl_raw; None when it refuses."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    run(con, "ingest_readers.drop_csv_rejects")
    try:
        run(con, "ingest_readers.read_csv", {"path": str(text_path), "columns": columns, "delim": delim})
    except duckdb.Error:
        run(con, "ingest_readers.drop_csv_rejects")
        return None
    bad = run(con, "ingest_readers.csv_rejects").fetchall()
    run(con, "ingest_readers.drop_csv_rejects")
    # good row i sits on line i + 2, plus the malformed lines DuckDB skipped before it
    shifts = [line - 2 - j for j, (line, _, _) in enumerate(bad)]
    if shifts:
        run(con, "ingest_readers.csv_lines_shifted", {"shifts": shifts})
        run(con, "ingest_readers.raw_of_lines")
    else:
        run(con, "ingest_readers.raw_of_csv_rows")
    rows = run(con, "ingest_readers.raw_count").fetchall()[0][0]
    structural = [(int(line), str(csv_line)[:200], f"malformed CSV row: {msg.splitlines()[0]}")
                  for line, csv_line, msg in bad]
    return rows, structural


MAX_RECORD_LINES = 50  # a quoted field may span this many lines; past it the opening line is an unterminated quote
_RECORD_BATCH = 100_000


def _stage_csv_lines(con, text_path: Path, file_name: str, headers: list[str], delim: str, encoding: str,
                     physical: int) -> _Raw:
    """The careful CSV reader: every physical line ends up in a staged row, a reject or the excluded count.

    A record is one line, or several when a quoted field holds line breaks (up to MAX_RECORD_LINES). A line that
    opens a quote never closed within that span is rejected alone ("unterminated quote") and reading goes on
    with the next line, so one bad line never takes the rest of the file with it. Blank lines are excluded.
    """
    import pyarrow as pa

    width = len(headers)
    structural: list[tuple[int, str, str]] = []
    batch: list[list[object]] = [[] for _ in range(width + 1)]
    excluded = 0
    run(con, "ingest_readers.create_rows", columns=", ".join(f"c{i} VARCHAR" for i in range(width)))

    def flush() -> None:
        if batch[0]:
            table = pa.table({"line": pa.array(batch[0], pa.int64()),
                              **{f"c{i}": pa.array(batch[i + 1], pa.string()) for i in range(width)}})
            con.register("vl_batch", table)
            run(con, "ingest_readers.insert_batch")
            con.unregister("vl_batch")
            for column in batch:
                column.clear()

    def emit(line_no: int, fields: list[str]) -> None:
        if len(fields) > width:
            structural.append((line_no, delim.join(fields)[:200],
                               f"malformed CSV row: {len(fields)} fields, the header has {width}"))
            return
        batch[0].append(line_no)
        for i in range(width):
            batch[i + 1].append(fields[i] if i < len(fields) else None)
        if len(batch[0]) >= _RECORD_BATCH:
            flush()

    def parse(text: str) -> list[str] | str:
        try:
            return next(csv.reader([text], delimiter=delim, quotechar='"', strict=True))
        except csv.Error as exc:
            return str(exc)
        except StopIteration:
            return []

    with text_path.open(encoding="utf-8-sig", newline="") as fh:
        lines = iter(fh)
        next(lines)  # the header
        queue: list[tuple[int, str]] = []  # lines read ahead for a multi-line record, not yet accounted for
        line_no = 1

        def take() -> tuple[int, str] | None:
            nonlocal line_no
            if queue:
                return queue.pop(0)
            text = next(lines, None)
            if text is None:
                return None
            line_no += 1
            return line_no, text

        while (item := take()) is not None:
            start, text = item
            if not text.strip():
                excluded += 1
                continue
            fields = parse(text)
            if not isinstance(fields, str):
                emit(start, fields)
                continue
            if "unexpected end of data" not in fields:  # broken quoting within the line
                structural.append((start, text.rstrip("\r\n")[:200], f"malformed CSV row: {fields}"))
                continue
            # an open quote: join the next lines until the record parses, within MAX_RECORD_LINES
            ahead: list[tuple[int, str]] = []
            record, joined = text, None
            while len(ahead) < MAX_RECORD_LINES - 1 and (following := take()) is not None:
                ahead.append(following)
                record += following[1]
                result = parse(record)
                if not isinstance(result, str):
                    joined = result
                    break
                if "unexpected end of data" not in result:
                    break
            if joined is not None and len(joined) <= width:
                emit(start, joined)
                continue
            structural.append((start, text.rstrip("\r\n")[:200],
                               "malformed CSV row: a quote opened on this line is never closed"))
            queue[:0] = ahead  # the lines read ahead are read again as lines of their own
    flush()
    run(con, "ingest_readers.raw_of_rows")
    rows = run(con, "ingest_readers.rows_count").fetchall()[0][0]
    return _Raw("csv", encoding, headers, structural, rows + len(structural), excluded=excluded, delimiter=delim)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


MAX_XLSX_ROWS = 1_048_576  # Excel's own sheet limit; larger exports belong in CSV or Parquet
MAX_XLSX_UNZIPPED = 1 << 30  # all parts of a workbook, uncompressed
MAX_SHARED_STRINGS = 256 << 20  # xl/sharedStrings.xml, uncompressed
MAX_CELL_BYTES = 32_767 * 4 + 1024  # Excel's 32,767 characters a cell, at up to 4 bytes each, plus markup slack


def _check_workbook(path: Path, file_name: str, sheet_name: str | None) -> None:
    """Refuse a workbook whose parts would take too much memory or time before any XML is parsed: a zip bomb, a
    huge shared string, more rows than a sheet can hold."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_XLSX_UNZIPPED:
                raise DataError(f"{file_name}: the workbook unpacks to more than {MAX_XLSX_UNZIPPED >> 20:,} MB; "
                                "export the data as CSV or Parquet instead")
            names = {i.filename: i for i in infos}
            if "xl/workbook.xml" not in names:
                raise DataError(f"{file_name}: a zip archive, not an Excel workbook ({len(infos)} files inside); "
                                "unpack it and import the exports it holds")
            shared = names.get("xl/sharedStrings.xml")
            if shared is not None:
                if shared.file_size > MAX_SHARED_STRINGS:
                    raise DataError(f"{file_name}: the workbook's text table unpacks to more than "
                                    f"{MAX_SHARED_STRINGS >> 20} MB; export the data as CSV or Parquet instead")
                with zf.open(shared) as fh:
                    run = 0  # bytes since the last '<': the longest text between two tags
                    for chunk in iter(lambda: fh.read(_CHUNK), b""):
                        parts = chunk.split(b"<")
                        run += len(parts[0])
                        longest = max([run, *map(len, parts[1:-1])]) if len(parts) > 1 else run
                        if longest > MAX_CELL_BYTES:
                            raise DataError(f"{file_name}: a cell holds more text than Excel allows "
                                            "(32,767 characters); the workbook is damaged or not a real export")
                        run = len(parts[-1]) if len(parts) > 1 else run
            for info in infos:
                if info.filename.startswith("xl/worksheets/sheet") and info.filename.endswith(".xml"):
                    with zf.open(info) as fh:
                        head = fh.read(4096)
                    found = re.search(rb'<(?:\w+:)?dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
                    if found and int(found.group(1)) > MAX_XLSX_ROWS:
                        raise DataError(f"{file_name}: a sheet claims {int(found.group(1)):,} rows, more than Excel's "
                                        f"{MAX_XLSX_ROWS:,}; export the data as CSV or Parquet instead")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise DataError(f"{file_name}: cannot open the Excel workbook (damaged or truncated): {exc}") from exc


def _pick_sheet(wb, file_name: str, sheet_name: str | None):
    """The sheet named `sheet_name`, else the first visible sheet with content; hidden sheets are never read."""
    visible = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
    if sheet_name is not None:
        chosen = next((ws for ws in wb.worksheets if ws.title == sheet_name), None)
        if chosen is None:
            raise DataError(f"{file_name}: no sheet named '{sheet_name}' (sheets: "
                            f"{', '.join(ws.title for ws in visible)})")
        return chosen
    if not visible:
        raise DataError(f"{file_name}: the workbook has no visible sheet")
    return next((ws for ws in visible if ws.max_row and ws.max_row > 0), visible[0])


def _stage_xlsx(con, path: Path, file_name: str, max_rows: int | None = None, sheet_name: str | None = None) -> _Raw:
    from openpyxl import load_workbook

    _check_workbook(path, file_name, sheet_name)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except DataError:
        raise
    except Exception as exc:  # openpyxl and the XML parser raise many kinds; every one is a damaged workbook
        raise DataError(f"{file_name}: cannot open the Excel workbook: its XML is damaged, truncated or not "
                        "what Excel writes; open it in Excel and save it again, or export CSV") from exc
    try:
        sheet = _pick_sheet(wb, file_name, sheet_name)
        rows = sheet.iter_rows(values_only=True)
        headers, records = None, []
        for excel_row, values in enumerate(rows, start=1):
            if excel_row > MAX_XLSX_ROWS + 1:
                raise DataError(f"{file_name}: more rows than Excel's {MAX_XLSX_ROWS:,}; export the data as CSV or "
                                "Parquet instead")
            if headers is None:
                if any(v is not None and str(v).strip() for v in values):
                    headers = _unique_headers(list(values))
                continue
            if any(v is not None and str(v).strip() != "" for v in values):
                cells = [_cell_text(v) for v in values[: len(headers)]]
                records.append([excel_row, *cells, *[None] * (len(headers) - len(cells))])
                if max_rows is not None and len(records) >= max_rows:
                    break
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{file_name}: cannot read the Excel workbook: its XML is damaged, truncated or not "
                        "what Excel writes; open it in Excel and save it again, or export CSV") from exc
    finally:
        wb.close()
    if headers is None:
        raise DataError(f"{file_name}: the workbook's first sheet is empty (no header row)")
    frame = pd.DataFrame(records, columns=["line", *[f"c{i}" for i in range(len(headers))]], dtype=object)
    frame["line"] = frame["line"].astype("int64")
    con.register("vl_xlsx", frame)
    casts = ", ".join(f"CAST(c{i} AS VARCHAR) AS c{i}" for i in range(len(headers)))
    run(con, "ingest_readers.rows_of_xlsx", casts=casts)
    con.unregister("vl_xlsx")
    run(con, "ingest_readers.raw_of_rows")
    return _Raw("xlsx", None, headers, [], len(records))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _stage_parquet(con, path: Path, file_name: str) -> _Raw:
    try:
        names = [r[0] for r in run(con, "ingest_readers.parquet_columns", {"path": str(path)}).fetchall()]
    except duckdb.Error as exc:
        raise DataError(f"{file_name}: cannot read the Parquet file: {exc}") from exc
    headers = _unique_headers(names)
    cols = ", ".join(f"{_quote_ident(n)} AS c{i}" for i, n in enumerate(names))
    run(con, "ingest_readers.set_path", {"path": str(path)})
    run(con, "ingest_readers.raw_of_parquet", columns=cols)
    rows = run(con, "ingest_readers.raw_count").fetchall()[0][0]
    return _Raw("parquet", None, headers, [], rows)


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
        try:
            with igzip.open(path, "rb") as src:
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
                            shutil.copyfileobj(src, dst, _CHUNK)
        except _GZIP_ERRORS as exc:
            raise DataError(f"{file_name}: the gzip file is damaged or truncated ({exc})") from exc
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
    if head_only and len(head) == _PREVIEW_BYTES:
        path = workdir / "head.csv"
        path.write_bytes(head[: head.rfind(b"\n") + 1] or head)
    return _stage_csv(con, path, file_name, workdir, lazy=lazy)


# ---------------------------------------------------------------- archives and folders
# Amplitude's Export API answers with a zip of gzipped JSON-lines files, one an hour; warehouses and S3 exports come
# as folders of such files. Their members (JSON lines or CSV with one header, gzipped or not) are read as one file:
# one import, one transaction, and a reject names the member and the line within it.
Member = tuple[str, Callable[[], IO[bytes]]]  # a member's name, and how to open it
MAX_ARCHIVE_UNZIPPED = 4 << 30  # Amplitude's own export limit
_SKIPPED = ("__MACOSX/", ".")


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return True  # a damaged workbook: the workbook reader says so


def _zip_members(path: Path, file_name: str) -> list[Member]:
    """(member name, opener) for the data files of a zip archive, in name order."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DataError(f"{file_name}: the zip archive is damaged ({exc})") from exc
    infos = [i for i in zf.infolist() if not i.is_dir() and not any(
        part.startswith(_SKIPPED) for part in Path(i.filename).parts)]
    if sum(i.file_size for i in infos) > MAX_ARCHIVE_UNZIPPED:
        raise DataError(f"{file_name}: the archive unpacks to more than {MAX_ARCHIVE_UNZIPPED >> 30} GB")
    return [(i.filename, partial(zf.open, i)) for i in sorted(infos, key=lambda i: i.filename)]


def folder_members(folder: Path) -> list[Member]:
    """(relative name, opener) for the data files of a folder and its subfolders, in name order."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(_SKIPPED) for part in p.relative_to(folder).parts))
    return [(str(p.relative_to(folder)), _binary_opener(p)) for p in files]


def _binary_opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _stage_members(con, members: list[Member], file_name: str, workdir: Path,
                   head_only: bool = False, lazy: bool = False) -> _Raw:
    """Members of one format, unpacked (gzip too) into one combined file, staged as one."""
    if not members:
        raise DataError(f"{file_name}: no data files inside")
    combined = workdir / "combined"
    spans: list[tuple[int, int, str, int]] = []
    fmt, header, lines = None, None, 0
    with combined.open("wb") as out:
        for name, opener in members:
            with opener() as raw_stream:
                magic = raw_stream.read(2)
            with opener() as raw_stream:
                stream = igzip.IGzipFile(fileobj=raw_stream) if magic == b"\x1f\x8b" else raw_stream
                try:
                    data = stream.read(_PREVIEW_BYTES) if head_only else stream.read()
                except _GZIP_ERRORS as exc:
                    raise DataError(f"{file_name}: {name}: damaged or truncated ({exc})") from exc
            if head_only:
                data = data[: data.rfind(b"\n") + 1]
            if not data.strip():
                continue
            kind = _sniff_format(data[:8192], f"{file_name}: {name}")
            if kind not in ("json", "csv") or (fmt is not None and kind != fmt):
                raise DataError(f"{file_name}: {name} is {kind}; an archive or folder must hold JSON lines or CSV "
                                f"files of one format{f' (the first was {fmt})' if fmt else ''}")
            fmt = fmt or kind
            offset = lines
            if kind == "csv":
                first, _, rest = data.partition(b"\n")
                if header is None:
                    header = first
                elif first.strip() != header.strip():
                    raise DataError(f"{file_name}: {name} has other headers than the first CSV file")
                else:
                    data, offset = rest, lines - 1  # its header line is dropped: its line 2 is the next line
            if not data.endswith(b"\n"):
                data += b"\n"
            out.write(data)
            count = data.count(b"\n")
            spans.append((lines + 1, lines + count, name, offset))
            lines += count
            if head_only and lines >= _PREVIEW_ROWS:
                break
    if fmt is None:
        raise DataError(f"{file_name}: the data files inside are empty")
    raw = _stage_json(con, combined, file_name, workdir, head_only, lazy=lazy) if fmt == "json" else \
        _stage_csv(con, combined, file_name, workdir, lazy=lazy)
    return _Raw(raw.file_format, raw.encoding, raw.headers, raw.structural_rejects, raw.rows, raw.excluded,
                raw.delimiter, tuple(spans), raw.lines)


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
    """("lines", None), ("array", None) or ("wrapped", field) for a JSON export."""
    with path.open("rb") as fh:
        head = fh.read(_PREVIEW_BYTES).lstrip(codecs.BOM_UTF8 + b" \t\r\n")
    if head[:1] == b"[":
        return "array", None
    if _json_shape_of_head(head) == "lines":
        return "lines", None
    complete_line = _is_json(head.split(b"\n", 1)[0])  # a single record on its one line
    try:
        with path.open("rb") as fh:
            whole = json.load(fh) if path.stat().st_size <= 64 << 20 else None
    except ValueError as exc:
        raise DataError(f"{file_name}: not valid JSON ({exc})") from exc
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


def _flatten(record: object, prefix: tuple[str, ...], out: dict[tuple[str, ...], str]) -> None:
    """Leaf paths of a record -> how to reach them ("key" or "[0]" steps); a one-element list is unwrapped."""
    if isinstance(record, dict):
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
    except ValueError:
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
        fast = _stage_json_lines_typed(con, text_path, compressed, lazy)
        if fast is not None:
            headers, records, lines = fast
            return _Raw("json", encoding.replace("-sig", " with BOM"), headers, [], records, lines=lines)
    params = {"path": str(text_path), "max_size": _json_max_object(text_path)}
    try:
        if shape == "lines":
            run(con, "ingest_readers.json_lines", {**params, "compression": "gzip" if compressed else "none"})
        elif shape == "array":
            run(con, "ingest_readers.json_array", params)
        else:
            key = str(field_name).replace('"', '\\"')
            run(con, "ingest_readers.json_wrapped", {**params, "field_path": f'$."{key}"[*]'})
    except duckdb.Error as exc:
        raise DataError(f"{file_name}: cannot be read as JSON: {str(exc).splitlines()[0]}") from exc
    # each record is parsed once to check it and once to extract every field (one list of paths)
    run(con, "ingest_readers.json_checked")
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


# DuckDB's typed reader parses each record once, in parallel, and is what a clean export takes. It has no line numbers
# and skips blank lines, so it is used only when the records it returns are exactly the file's physical lines (each
# is then its own line number, the table keeping the file's order); any malformed or non-object line, blank line or
# value its column type cannot hold makes it fail, and the careful reader above (one line a row) takes over. Types
# are kept only where they lose nothing: numbers are read as their text (a BIGINT column rounds 1.5 to 2, a DOUBLE
# one loses digits of a long id), times with a zone (TIMESTAMPTZ) only in a UTC workspace (a zone-less time is read
# as UTC, as the workspace reads it; a TIMESTAMP column would drop an offset), nested fields as JSON.
_TYPED_JSON_KEEP = {"TIMESTAMP": "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ", "DATE": "DATE",
                    "BOOLEAN": "BOOLEAN"}


def _head_records(path: Path, compressed: bool) -> list[dict] | None:
    """The first _JSON_SAMPLE records of a JSON-lines file, or None when one of them is not a JSON object."""
    records = []
    with (igzip.open(path, "rb") if compressed else path.open("rb")) as fh:
        for raw in fh:
            try:
                record = json.loads(raw)
            except ValueError:
                return None
            if not isinstance(record, dict):
                return None
            records.append(record)
            if len(records) == _JSON_SAMPLE:
                break
    return records


def _line_count(path: Path, compressed: bool) -> int:
    """Physical lines of a file (a last line without a line break counts), unpacking a gzipped one as it goes."""
    lines, last = 0, b"\n"
    with (igzip.open(path, "rb") if compressed else path.open("rb")) as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def _json_lines(path: Path, compressed: bool) -> tuple[int, bool]:
    """_line_count of a JSON-lines file (every line a record, so True)."""
    return _line_count(path, compressed), True


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


def _stage_json_lines_typed(con, path: Path, compressed: bool,
                            lazy: bool = False) -> tuple[list[str], int, Future[tuple[int, bool]] | None] | None:
    """Stage a clean JSON-lines file with DuckDB's typed reader as vl_raw; its headers, record count and, when
    `lazy`, its line count still being taken; or None (nothing staged) when the careful reader must read it.

    With `lazy`, vl_raw is a view over the file and nothing is staged: validation reads the file once, instead of
    once into a staged copy (3-4 s of a 10M-event import) and once from it. Its rows then have no line numbers, and
    the file is known to be clean only once it is validated: the import (ingest._import) compares the validated
    rows with the file's lines, and stages the file this way without `lazy` when they differ, the reader fails, or
    a line must be named (a rejected row, a repeated event id)."""
    sample = _head_records(path, compressed)
    paths: dict[tuple[str, ...], str] = {}
    for record in sample or ():
        _flatten(record, (), paths)
    if not paths:
        return None
    params = {"path": str(path), "compression": "gzip" if compressed else "none"}
    utc = run(con, "ingest_readers.time_zone").fetchall()[0][0] in ("UTC", "Etc/UTC", "GMT")
    # the file's lines are counted on another thread while DuckDB reads it (a gzipped file is inflated on one
    # core; the count took 1.0 s of a 10M-event import before it overlapped the read), in the time DuckDB leaves
    lines = _in_background(_json_lines, path, compressed)
    try:
        detected = {r[0]: r[1] for r in run(con, "ingest_readers.json_typed_columns", params).fetchall()}
    except duckdb.Error:
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
        run(con, "ingest_readers.drop_rows")
        return None
    records = run(con, "ingest_readers.rows_count").fetchall()[0][0]
    if records != lines.result()[0]:  # a blank line somewhere: the careful reader counts it
        run(con, "ingest_readers.drop_rows")
        return None
    run(con, "ingest_readers.raw_of_typed_json", fields=selected)
    return _dotted_headers(paths), records, None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _drop_staging(cur) -> None:
    """Drop the temp views and tables (all named vl_*) an import or preview leaves on its cursor."""
    for name, is_view in run(cur, "ingest_readers.staging_objects").fetchall():
        run(cur, "ingest_readers.drop_view" if is_view else "ingest_readers.drop_table", object=_quote_ident(name))
