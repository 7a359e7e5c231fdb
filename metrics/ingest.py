"""Customer exports (CSV, XLSX, Parquet; UTF-8 or GBK; English or Chinese headers) -> validated DuckDB tables -> rollups."""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pandas as pd

from metrics.store import ROOT, WRITER, DataError, commit, is_empty, sql

KINDS: tuple[str, ...] = ("accounts", "value_drivers", "events", "outcomes")
DEMO_DIR = ROOT / "data" / "demo"
DEMO_FILES = ("accounts.csv", "value_drivers.csv", "events.parquet", "outcomes.xlsx")
MAX_REJECTS_SHOWN = 1000
MAX_UPLOAD_MB = 200  # keep equal to server.maxUploadSize in .streamlit/config.toml
_CHUNK = 1 << 22
ROLLUP_PART_ROWS = 2_000_000  # changed events rolled up at a time (see _merge_events)
_PREVIEW_BYTES = 1 << 16
_PREVIEW_ROWS = 200


@dataclass(frozen=True)
class Column:
    """One column of the data contract: its name, whether it is required, its type and accepted header aliases."""

    name: str
    required: bool
    type: str
    description: str
    aliases: tuple[str, ...] = ()


_ACCOUNT_ID = Column("account_id", True, "text", "Customer account identifier",
                     ("客户ID", "客户编号", "客户代码", "账户ID", "account", "customer_id", "customer", "tenant_id"))
_FEATURE = Column("feature", True, "text", "Feature or module name",
                  ("功能", "功能模块", "模块", "功能名称", "feature_name", "module"))

CONTRACT: dict[str, tuple[Column, ...]] = {
    "events": (
        _ACCOUNT_ID,
        Column("user_id", True, "text", "User identifier (unique within the account)",
               ("用户ID", "用户编号", "用户", "员工ID", "user", "member_id")),
        Column("event_time", True, "date-time", "When the feature was used",
               ("事件时间", "时间", "发生时间", "使用时间", "timestamp", "time", "event_timestamp", "occurred_at")),
        _FEATURE,
        Column("duration_seconds", False, "number >= 0", "Time spent in the feature, seconds",
               ("时长(秒)", "时长", "耗时(秒)", "使用时长(秒)", "duration", "duration_s", "seconds")),
        Column("units", False, "number >= 0", "Work items completed with the event",
               ("处理量", "数量", "件数", "work_items", "items", "quantity")),
    ),
    "accounts": (
        _ACCOUNT_ID,
        Column("account_name", True, "text", "Customer name", ("客户名称", "公司名称", "企业名称", "name", "company")),
        Column("industry", False, "text", "Industry", ("行业", "所属行业")),
        Column("region", False, "text", "Region", ("区域", "地区", "大区")),
        Column("segment", False, "text", "Segment (e.g. SMB, Enterprise)", ("客户分层", "分层", "客户类型", "tier")),
        Column("seats", False, "whole number >= 0", "Licensed seats", ("席位数", "席位", "账号数", "licenses", "seat_count")),
        Column("go_live_date", False, "date", "Go-live date", ("上线日期", "上线时间", "go_live", "golive", "launch_date")),
        Column("hourly_cost", False, "number >= 0", "Loaded cost per person-hour, in the account's currency",
               ("时薪", "人力成本", "小时成本", "人力成本(时)", "loaded_hourly_cost", "cost_per_hour")),
        Column("currency", False, "ISO code", "Currency of money figures (USD, CNY, ...)", ("币种", "货币")),
        Column("annual_contract_value", False, "number >= 0", "Annual contract value",
               ("年合同额", "合同金额", "年度合同金额", "acv", "arr")),
        Column("renewal_date", False, "date", "Next renewal date", ("续约日期", "到期日", "到期日期", "renewal")),
    ),
    "outcomes": (
        _ACCOUNT_ID,
        Column("month", True, "month (YYYY-MM)", "Month of the business result", ("月份", "月", "期间", "period")),
        Column("output_units", True, "number >= 0", "Business output in the month (orders, tickets, ...)",
               ("产出量", "产出", "业务量", "output")),
        Column("headcount", True, "number > 0", "People producing that output", ("人数", "员工数", "人员数", "fte")),
        Column("hours_worked", False, "number >= 0", "Hours worked by those people", ("工时", "工作时长", "hours")),
    ),
    "value_drivers": (
        _FEATURE,
        Column("minutes_saved", True, "number >= 0", "Minutes saved per use or per work item",
               ("节省分钟", "节省时长(分钟)", "节省时间(分钟)", "节省时间", "minutes")),
        Column("basis", False, "use | unit", "use = per event, unit = per work item (default use)",
               ("计量方式", "计算基础", "基础")),
        Column("category", False, "cost | efficiency | revenue | risk", "Kind of value",
               ("类别", "价值类别", "分类", "价值类型")),
        Column("description", False, "text", "What the feature saves", ("说明", "描述", "备注")),
    ),
}

# natural keys (after coding) and the stored table of each kind
_TARGET = {"accounts": "account", "outcomes": "outcomes", "value_drivers": "value_drivers", "events": "events"}
_KEYS = {"accounts": ("account_key",), "outcomes": ("account_key", "month"), "value_drivers": ("feature_key",)}
# the same keys before coding: a repeated key within one file keeps its last row
_BATCH_KEYS = {"accounts": ("account_id",), "outcomes": ("account_key", "month"), "value_drivers": ("feature",),
               "events": ("account_key", "user_key", "feature_key", "event_time")}  # coded: see _merge_events


@dataclass(frozen=True)
class Preview:
    """What an import would read: format, encoding, detected kind, header mapping and a sample."""

    file_name: str
    file_format: str
    encoding: str | None
    kind: str | None
    headers: list[str]
    mapping: dict[str, str]
    unmapped: list[str]
    missing: list[str]
    sample: pd.DataFrame


@dataclass(frozen=True)
class ImportResult:
    """The outcome of importing one file."""

    file_name: str
    kind: str
    import_id: int | None
    rows_read: int
    rows_loaded: int
    rows_unchanged: int
    rows_rejected: int
    skipped: bool
    rejects: pd.DataFrame = field(repr=False, compare=False)
    rows_excluded: int = 0  # lines excluded by a rule (blank lines); with the counts above, every line of the file


# ---------------------------------------------------------------- headers

def _norm(header: str) -> str:
    """Header comparison form: NFKC (full-width -> half-width), lower case, no spaces, _ or -."""
    return re.sub(r"[\s_\-.]+", "", unicodedata.normalize("NFKC", str(header)).strip().lower())


_ALIASES: dict[str, dict[str, str]] = {
    kind: {_norm(alias): col.name for col in cols for alias in (col.name, *col.aliases)}
    for kind, cols in CONTRACT.items()
}


def _auto_mapping(headers: list[str], kind: str) -> dict[str, str]:
    aliases = _ALIASES[kind]
    return {h: aliases[_norm(h)] for h in headers if _norm(h) in aliases}


def detect_kind(headers: list[str]) -> str | None:
    """The kind whose required columns the headers cover, preferring the one matching most columns."""
    best: tuple[int, int, str] | None = None
    for kind in ("events", "outcomes", "value_drivers", "accounts"):
        mapped = set(_auto_mapping(headers, kind).values())
        required = {c.name for c in CONTRACT[kind] if c.required}
        score = (len(required & mapped) * 100 // len(required), len(mapped), kind)
        if best is None or score[:2] > best[:2]:
            best = score
    return best[2] if best and best[0] > 0 else None


def default_source(file_name: str) -> str:
    """A stable name for where a file comes from: its stem without dates, numbers and separators."""
    stem = Path(file_name).stem.lower()
    return re.sub(r"[\d\s_\-.()]+", " ", stem).strip() or stem


def saved_mapping(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """Header -> column mapping remembered for a source."""
    rows = con.execute("SELECT header, column_name FROM column_mapping WHERE source = $s", {"s": source}).fetchall()
    return dict(rows)


def _resolve_mapping(con, headers: list[str], kind: str, mapping: dict[str, str] | None,
                     source: str | None) -> dict[str, str]:
    allowed = {c.name for c in CONTRACT[kind]}
    resolved = _auto_mapping(headers, kind)
    remembered = saved_mapping(con, source) if source else {}
    for header, column in {**remembered, **(mapping or {})}.items():
        if header in headers and column in allowed:
            resolved[header] = column
        elif header in headers and column in ("", None):
            resolved.pop(header, None)
    for header, column in (mapping or {}).items():
        if column and column not in allowed:
            raise DataError(f"'{column}' is not a column of {kind} (expected one of: {', '.join(sorted(allowed))})")
    seen: dict[str, str] = {}
    for header, column in resolved.items():
        if column in seen:
            raise DataError(f"headers '{seen[column]}' and '{header}' both map to {column}; map only one of them")
        seen[column] = header
    return resolved


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


def _sniff_format(head: bytes, file_name: str) -> str:
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"%PDF"):
        raise DataError(f"{file_name}: this is a PDF, not a CSV, XLSX or Parquet export")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise DataError(f"{file_name}: old binary Excel (.xls) is not supported; save it as .xlsx or CSV")
    if b"\x00" in head[:4096]:
        raise DataError(f"{file_name}: binary content; expected a CSV, XLSX or Parquet export")
    return "csv"


def _unique_headers(raw: list[object]) -> list[str]:
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


def _stage_csv(con, path: Path, file_name: str, workdir: Path) -> _Raw:
    """Stage a CSV file. DuckDB's reader is tried first; when its rows and rejects do not account for every
    physical line (a quoted line break, an unterminated quote swallowing the rest of the file, mixed or lone-CR
    line endings, blank lines) or it refuses the file, the careful reader (_stage_csv_lines) reads it instead."""
    text_path, encoding = _decode_to_utf8(path, file_name, workdir)
    with text_path.open(encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise DataError(f"{file_name}: the file is empty (no header row)")
    delim = max([",", ";", "\t", "|"], key=lambda d: first.count(d))
    headers = _unique_headers(next(csv.reader([first], delimiter=delim, quotechar='"')))
    encoding = encoding.replace("-sig", " with BOM")
    physical, mixed_endings = _physical_lines(text_path)
    staged = None if mixed_endings else _stage_csv_duckdb(con, text_path, headers, delim)
    if staged is not None and staged[0] + len(staged[1]) + 1 == physical:
        rows, structural = staged
        return _Raw("csv", encoding, headers, structural, rows + len(structural), delimiter=delim)
    return _stage_csv_lines(con, text_path, file_name, headers, delim, encoding, physical)


def _stage_csv_duckdb(con, text_path: Path, headers: list[str], delim: str) -> tuple[int, list] | None:
    """DuckDB's fast reader: (good rows, malformed-line rejects), staged as vl_raw; None when it refuses."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    con.execute("DROP TABLE IF EXISTS vl_csv_rejects; DROP TABLE IF EXISTS vl_csv_scans")
    try:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE vl_raw_rows AS
               SELECT * FROM read_csv($path, columns = $columns, header = true, auto_detect = false, delim = $delim,
                                      quote = '"', escape = '"', null_padding = true, store_rejects = true,
                                      rejects_table = 'vl_csv_rejects', rejects_scan = 'vl_csv_scans')""",
            {"path": str(text_path), "columns": columns, "delim": delim},
        )
    except duckdb.Error:
        con.execute("DROP TABLE IF EXISTS vl_csv_rejects; DROP TABLE IF EXISTS vl_csv_scans")
        return None
    bad = con.execute("SELECT DISTINCT line, csv_line, error_message FROM vl_csv_rejects ORDER BY line").fetchall()
    con.execute("DROP TABLE IF EXISTS vl_csv_rejects; DROP TABLE IF EXISTS vl_csv_scans")
    # good row i sits on line i + 2, plus the malformed lines DuckDB skipped before it
    shifts = [line - 2 - j for j, (line, _, _) in enumerate(bad)]
    if shifts:
        con.execute("""CREATE OR REPLACE TEMP TABLE vl_raw_lines AS
                       SELECT rowid + 2 + len(list_filter($shifts, lambda s: s <= rowid)) AS line, *
                       FROM vl_raw_rows""", {"shifts": shifts})
        con.execute("CREATE OR REPLACE TEMP VIEW vl_raw AS SELECT * FROM vl_raw_lines")
    else:
        con.execute("CREATE OR REPLACE TEMP VIEW vl_raw AS SELECT rowid + 2 AS line, * FROM vl_raw_rows")
    rows = con.execute("SELECT count(*) FROM vl_raw").fetchall()[0][0]
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
    con.execute("CREATE OR REPLACE TEMP TABLE vl_raw_rows (line BIGINT, "
                + ", ".join(f"c{i} VARCHAR" for i in range(width)) + ")")

    def flush() -> None:
        if batch[0]:
            table = pa.table({"line": pa.array(batch[0], pa.int64()),
                              **{f"c{i}": pa.array(batch[i + 1], pa.string()) for i in range(width)}})
            con.register("vl_batch", table)
            con.execute("INSERT INTO vl_raw_rows SELECT * FROM vl_batch")
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
    con.execute("CREATE OR REPLACE TEMP VIEW vl_raw AS SELECT * FROM vl_raw_rows")
    rows = con.execute("SELECT count(*) FROM vl_raw_rows").fetchall()[0][0]
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
        header_row, headers, records = 0, None, []
        for excel_row, values in enumerate(rows, start=1):
            if excel_row > MAX_XLSX_ROWS + 1:
                raise DataError(f"{file_name}: more rows than Excel's {MAX_XLSX_ROWS:,}; export the data as CSV or "
                                "Parquet instead")
            if headers is None:
                if any(v is not None and str(v).strip() for v in values):
                    header_row, headers = excel_row, _unique_headers(list(values))
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
    con.execute(f"CREATE OR REPLACE TEMP TABLE vl_raw_rows AS SELECT line, {casts} FROM vl_xlsx")
    con.unregister("vl_xlsx")
    con.execute("CREATE OR REPLACE TEMP VIEW vl_raw AS SELECT * FROM vl_raw_rows")
    return _Raw("xlsx", None, headers, [], len(records))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _stage_parquet(con, path: Path, file_name: str) -> _Raw:
    try:
        names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet($p)", {"p": str(path)}).fetchall()]
    except duckdb.Error as exc:
        raise DataError(f"{file_name}: cannot read the Parquet file: {exc}") from exc
    headers = _unique_headers(names)
    cols = ", ".join(f"{_quote_ident(n)} AS c{i}" for i, n in enumerate(names))
    literal = "'" + str(path).replace("'", "''") + "'"  # a view cannot take parameters
    con.execute(f"""CREATE OR REPLACE TEMP VIEW vl_raw AS
                    SELECT file_row_number + 1 AS line, {cols} FROM read_parquet({literal}, file_row_number = true)""")
    rows = con.execute("SELECT count(*) FROM vl_raw").fetchall()[0][0]
    return _Raw("parquet", None, headers, [], rows)


def _stage(con, path: Path, file_name: str, workdir: Path, head_only: bool = False,
           sheet: str | None = None) -> _Raw:
    """Stage a file as vl_raw; with head_only, just enough of it for a preview; `sheet`: a workbook's sheet."""
    with path.open("rb") as fh:
        head = fh.read(_PREVIEW_BYTES if head_only else 8192)
    if not head:
        raise DataError(f"{file_name}: the file is empty")
    fmt = _sniff_format(head, file_name)
    if fmt == "xlsx":
        return _stage_xlsx(con, path, file_name, max_rows=_PREVIEW_ROWS if head_only else None, sheet_name=sheet)
    if fmt == "parquet":
        return _stage_parquet(con, path, file_name)
    if head_only and len(head) == _PREVIEW_BYTES:
        path = workdir / "head.csv"
        path.write_bytes(head[: head.rfind(b"\n") + 1] or head)
    return _stage_csv(con, path, file_name, workdir)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- preview

def preview_file(con, path: str | Path, *, file_name: str | None = None, kind: str | None = None,
                 mapping: dict[str, str] | None = None, source: str | None = None, rows: int = 20,
                 sheet: str | None = None) -> Preview:
    """Read a file's header and first rows and say how it would be imported; nothing is stored."""
    path = Path(path)
    file_name = file_name or path.name
    cur = con.cursor()
    with tempfile.TemporaryDirectory() as tmp:
        raw = _stage(cur, path, file_name, Path(tmp), head_only=True, sheet=sheet)
        sample = cur.execute("SELECT * EXCLUDE (line) FROM vl_raw ORDER BY line LIMIT $n", {"n": rows}).df()
        _drop_staging(cur)
    sample.columns = raw.headers
    kind = _check_kind(kind) or detect_kind(raw.headers)
    source = source or default_source(file_name)
    resolved = _resolve_mapping(con, raw.headers, kind, mapping, source) if kind else {}
    missing = [c.name for c in CONTRACT[kind] if c.required and c.name not in resolved.values()] if kind else []
    return Preview(file_name, raw.file_format, raw.encoding, kind, raw.headers, resolved,
                   [h for h in raw.headers if h not in resolved], missing, sample)


def preview_bytes(con, data: bytes, file_name: str, **kwargs) -> Preview:
    """preview_file for uploaded content."""
    with _spooled(data, file_name) as path:
        return preview_file(con, path, file_name=file_name, **kwargs)


def _check_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in KINDS:
        raise DataError(f"unknown kind '{kind}' (expected one of: {', '.join(KINDS)})")
    return kind


class _spooled:
    """Uploaded bytes as a temporary file, removed afterwards."""

    def __init__(self, data: bytes, file_name: str) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.path = Path(self._dir.name) / (Path(file_name).name or "upload")
        self.path.write_bytes(data)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        self._dir.cleanup()


# ---------------------------------------------------------------- import

def import_bytes(con, data: bytes, file_name: str, **kwargs) -> ImportResult:
    """import_file for uploaded content."""
    with _spooled(data, file_name) as path:
        return import_file(con, path, file_name=file_name, **kwargs)


def import_file(con, path: str | Path, *, file_name: str | None = None, kind: str | None = None,
                mapping: dict[str, str] | None = None, source: str | None = None,
                force: bool = False, sheet: str | None = None) -> ImportResult:
    """Validate and load one export in a single transaction; bad rows go to `rejects`, the rest upsert.

    Raises DataError, with the database unchanged, when the file cannot be read or lacks a required column.
    Re-importing the same content (SHA-256) for the same kind is a no-op unless `force`.
    """
    path = Path(path)
    file_name = file_name or path.name
    if not path.is_file():
        raise DataError(f"{file_name}: no such file")
    _check_kind(kind)
    digest = _sha256(path)
    source = source or default_source(file_name)
    cur = con.cursor()
    cur.execute(sql("macros"))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # staging is connection-local and outside the transaction, so row ids are file positions
            raw = _stage(cur, path, file_name, Path(tmp), sheet=sheet)
        with WRITER:  # new keys are max + 1: one writing transaction at a time (store.WRITER)
            cur.execute("BEGIN TRANSACTION")
            try:
                result = _import(cur, raw, file_name, digest, kind, mapping, source, force)
                commit(cur)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
    finally:
        _drop_staging(cur)
    return result


def _drop_staging(cur) -> None:
    """Drop the temp views and tables (all named vl_*) an import or preview leaves on its cursor."""
    for name, is_view in cur.execute(
            """SELECT view_name, true FROM duckdb_views() WHERE temporary AND starts_with(view_name, 'vl_')
               UNION ALL
               SELECT table_name, false FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'vl_')
               ORDER BY 2 DESC""").fetchall():
        cur.execute(f"DROP {'VIEW' if is_view else 'TABLE'} IF EXISTS {name}")


def _import(cur, raw: _Raw, file_name: str, digest: str, kind: str | None, mapping: dict[str, str] | None,
            source: str, force: bool) -> ImportResult:
    kind = kind or detect_kind(raw.headers)
    if kind is None:
        raise DataError(f"{file_name}: cannot tell what this file is; its headers ({', '.join(raw.headers[:12])}) "
                        "match none of events, accounts, outcomes, value_drivers. Choose the kind and map the columns.")
    if not force:
        done = cur.execute("SELECT import_id FROM imports WHERE sha256 = $d AND kind = $k",
                           {"d": digest, "k": kind}).fetchall()
        if done:
            return ImportResult(file_name, kind, done[0][0], raw.rows, 0, 0, 0, True, _empty_rejects())
    resolved = _resolve_mapping(cur, raw.headers, kind, mapping, source)
    missing = [c.name for c in CONTRACT[kind] if c.required and c.name not in resolved.values()]
    if missing:
        raise DataError(f"{file_name}: required column(s) missing for {kind}: {', '.join(missing)}. "
                        f"Found headers: {', '.join(raw.headers[:20])}. Rename them or map them to contract columns.")
    if raw.rows == 0:
        raise DataError(f"{file_name}: the file has a header but no data rows")
    by_column = {column: f"c{raw.headers.index(header)}" for header, column in resolved.items()}
    select = ", ".join(f"{by_column.get(c.name, 'NULL')} AS {c.name}" for c in CONTRACT[kind])
    cur.execute(f"CREATE OR REPLACE TEMP VIEW vl_stage AS SELECT line, {select} FROM vl_raw")
    import_id = cur.execute("SELECT nextval('import_seq')").fetchall()[0][0]
    if raw.delimiter == ";":  # ',' is the decimal mark there
        cur.execute(sql("macros_decimal_comma"))
    cur.execute(sql(f"validate_{kind}"), {"now": datetime.now()} if kind in ("events", "outcomes") else None)
    _check_identifiers(cur, kind)
    rejected = _store_rejects(cur, import_id, file_name, raw.structural_rejects)
    good = cur.execute("SELECT count(*) FROM vl_checked WHERE len(errors) = 0").fetchall()[0][0]
    loaded = _merge(cur, kind, [c.name for c in CONTRACT[kind] if c.name in by_column]) if good else 0
    unchanged = good - loaded
    cur.execute(
        """INSERT INTO imports VALUES ($id, $file, $sha, $kind, $source, $fmt, $enc, now()::TIMESTAMP,
                                      $read, $loaded, $unchanged, $rejected, $excluded)""",
        {"id": import_id, "file": file_name, "sha": digest, "kind": kind, "source": source, "fmt": raw.file_format,
         "enc": raw.encoding, "read": raw.rows, "loaded": loaded, "unchanged": unchanged, "rejected": rejected,
         "excluded": raw.excluded},
    )
    _save_mapping(cur, source, resolved)
    rejects = cur.execute(
        "SELECT line, column_name, value, reason FROM rejects WHERE import_id = $id ORDER BY line, column_name LIMIT $n",
        {"id": import_id, "n": MAX_REJECTS_SHOWN}).df()
    return ImportResult(file_name, kind, import_id, raw.rows, loaded, unchanged, rejected, False, rejects,
                        raw.excluded)


# identifier columns of vl_checked per kind (events keep account_key only: an unknown account id is rejected anyway)
_IDENTIFIERS = {"events": ("user_id", "feature"), "accounts": ("account_id",), "outcomes": ("account_id",),
                "value_drivers": ("feature",)}
# columns whose total rows (合计, Total, ...) only this pass catches; the validate_*.sql files check the others
_TOTALS_HERE = {"events": ("user_id", "feature")}
_TOTAL_WORDS = frozenset({"合计", "总计", "小计", "共计", "总合计", "total", "totals", "subtotal", "grandtotal"})
_INVISIBLE = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}  # control, format (zero-width, bidi), private, separators
BAD_IDENTIFIER = "invisible or look-alike characters in an identifier"
TOTAL_ROW = "a total or subtotal row, not data"  # also in the validate_*.sql files


def identifier_problem(value: str) -> str | None:
    """The identifier `value` (already trimmed) as it should have been written, when it differs from it by
    invisible characters, or by look-alike letters, digits or spaces that NFKC folds (full-width Ａ００２, ligatures,
    no-break spaces); None when it is clean. Full-width punctuation in Chinese text (（）：) is left alone."""
    cleaned = "".join(ch for ch in value if unicodedata.category(ch) not in _INVISIBLE)
    folded = "".join(n if n != ch and any((c.isascii() and c.isalnum()) or c.isspace() for c in n) else ch
                     for ch in cleaned for n in [unicodedata.normalize("NFKC", ch)])
    return folded if folded != value else None


def is_total(value: str) -> bool:
    """True for the label of a spreadsheet's total line (macros.sql vl_is_total says the same in SQL)."""
    return len(value) <= 16 and value.replace(" ", "").lower().rstrip(":：") in _TOTAL_WORDS


def _check_identifiers(cur, kind: str) -> None:
    """Reject the rows of vl_checked whose identifiers carry invisible or look-alike characters, or (where the SQL
    does not) read as a total row. Checked once per distinct value, not per row; plain printable ASCII can only be
    a total label, so the Unicode work is done for the few other values."""
    bad: list[tuple[str, str, str]] = []
    for column in _IDENTIFIERS[kind]:
        totals = column in _TOTALS_HERE.get(kind, ())
        for (value,) in cur.execute(f"SELECT DISTINCT {column} FROM vl_checked WHERE {column} IS NOT NULL").fetchall():
            if totals and is_total(value):
                bad.append((column, value, TOTAL_ROW))
            elif not (value.isascii() and value.isprintable()) and identifier_problem(value):
                bad.append((column, value, BAD_IDENTIFIER))
    cur.execute("DELETE FROM vl_bad_ids")
    if not bad:
        return
    cur.executemany("INSERT INTO vl_bad_ids VALUES (?, ?, ?)", bad)
    for column in {c for c, _, _ in bad}:
        cur.execute(f"""UPDATE vl_checked AS c
                        SET errors = list_append(c.errors, {{'column_name': b.column_name, 'value': left(b.value, 200),
                                                             'reason': b.reason}})
                        FROM vl_bad_ids AS b WHERE b.column_name = '{column}' AND c.{column} = b.value""")


def _store_rejects(cur, import_id: int, file_name: str, structural: list[tuple[int, str, str]]) -> int:
    """Write one reject per failed check; return the number of rejected rows."""
    cur.execute(
        """INSERT INTO rejects
           SELECT $id, $file, line, e.column_name, e.value, e.reason
           FROM (SELECT line, unnest(errors) AS e FROM vl_checked WHERE len(errors) > 0)""",
        {"id": import_id, "file": file_name},
    )
    if structural:
        cur.executemany("INSERT INTO rejects VALUES (?, ?, ?, NULL, ?, ?)",
                        [(import_id, file_name, line, value, reason) for line, value, reason in structural])
    bad_rows = cur.execute("SELECT count(*) FROM vl_checked WHERE len(errors) > 0").fetchall()[0][0]
    return bad_rows + len(structural)


def _merge(cur, kind: str, present: list[str]) -> int:
    """Upsert the good rows of vl_checked into the kind's table; return how many rows were new or changed."""
    if kind == "events":
        return _merge_events(cur)
    names = [c.name for c in CONTRACT[kind]]
    partition = ", ".join(_BATCH_KEYS[kind])
    # the last row of the file wins when a key repeats within the batch
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE vl_good AS
                    SELECT * EXCLUDE (errors) FROM vl_checked WHERE len(errors) = 0
                    QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY line DESC) = 1""")
    if kind == "accounts":
        cur.execute(sql("key_accounts"))
    if kind == "value_drivers":
        cur.execute(sql("key_features"))
    table, keys = _TARGET[kind], _KEYS[kind]
    attrs = [n for n in names if n not in keys and n not in ("account_id", "feature")] + (
        ["account_id"] if kind == "accounts" else [])
    _merge_table(cur, table, keys, attrs, present)
    return cur.execute("SELECT count(*) FROM vl_changed").fetchall()[0][0]


def _merge_events(cur) -> int:
    """Code, deduplicate and upsert the good events of vl_checked, then rebuild the touched rollups."""
    cur.execute(sql("code_events"))
    cur.execute("CREATE OR REPLACE TEMP TABLE vl_touched AS SELECT DISTINCT account_key, month FROM vl_coded")
    overlap = cur.execute("""SELECT count(*) FROM (SELECT 1 FROM events AS e
                             SEMI JOIN vl_touched AS t ON t.account_key = e.account_key AND t.month = e.month
                             LIMIT 1)""").fetchall()[0][0]
    if overlap:
        # the batch is compared with the stored events of its account-months (merge_events.sql), which leaves
        # vl_touched = the account-months it changed; their rollups are rebuilt from the stored events
        _drop_repeated(cur)
        cur.execute(sql("merge_events"))
        changed = cur.execute("SELECT count(*) FROM vl_changed").fetchall()[0][0]
        source, changes = "events", "vl_changed"
        within = "SEMI JOIN vl_touched AS t ON t.account_key = e.account_key AND t.month = e.month"
    else:
        # no stored event shares the batch's account-months (a first load, or the next months' export): every row
        # is new, so its rollups are built from the batch itself, which is inserted as is after them
        source, changes, within = "vl_coded", "vl_coded", ""
    # a rollup's aggregates hold state per user-month in memory, so a big batch is rolled up in parts: ranges of
    # accounts with about ROLLUP_PART_ROWS changed events each. Under a memory limit (VALUELENS_MEMORY_LIMIT) a
    # part fits in memory, and a part reads only its blocks of the batch, which is stored in account order.
    parts = cur.execute(f"""SELECT min(account_key), max(account_key) FROM (
                                SELECT account_key, (sum(n) OVER (ORDER BY account_key) - n) // $rows AS part
                                FROM (SELECT account_key, count(*) AS n FROM {changes} GROUP BY account_key))
                            GROUP BY part ORDER BY part""", {"rows": ROLLUP_PART_ROWS}).fetchall()
    if overlap:
        cur.execute("DROP TABLE vl_changed")
    cur.execute("ALTER TABLE vl_touched RENAME TO vl_touched_all")
    for span in parts if len(parts) > 1 else [None]:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE vl_touched AS SELECT * FROM vl_touched_all AS t "
                    f"WHERE {_accounts('t', span)}")
        cur.execute(f"CREATE OR REPLACE TEMP VIEW vl_rollup_events AS SELECT e.* FROM {source} AS e {within} "
                    f"WHERE {_accounts('e', span)}")
        cur.execute(f"CREATE OR REPLACE TEMP TABLE vl_user_feature_month AS {sql('user_feature_month')}")
        if not overlap:
            _drop_repeated_in_groups(cur, span)
        cur.execute(sql("rollup"))
    cur.execute("DROP VIEW vl_rollup_events")
    if not overlap:
        changed = cur.execute("SELECT count(*) FROM vl_coded").fetchall()[0][0]
        cur.execute("INSERT INTO events BY NAME SELECT * EXCLUDE (line) FROM vl_coded")
        cur.execute("DROP TABLE vl_coded")
    return changed


def _accounts(alias: str, span: tuple[int, int] | None) -> str:
    """SQL condition: the account key of `alias` lies in span (all when None). Keys are ints from the database,
    written into the text because a view takes no parameters."""
    return "true" if span is None else f"{alias}.account_key BETWEEN {int(span[0])} AND {int(span[1])}"


def _drop_repeated_in_groups(cur, span: tuple[int, int] | None) -> None:
    """_drop_repeated for the rows of a new batch with account keys in span, whose vl_user_feature_month is built;
    the groups that held a repeated key are rebuilt.

    A key can repeat only within a user-feature-month group of two or more events, and two events at different
    times cannot repeat one, so only the other groups' rows (a few percent of a batch) are looked at.
    """
    within = f"""SEMI JOIN vl_user_feature_month AS g
        ON g.account_key = c.account_key AND g.user_key = c.user_key AND g.feature_key = c.feature_key
        AND g.month = c.month AND (g.events > 2 OR (g.events = 2 AND g.first_used_at = g.last_used_at))
        WHERE {_accounts('c', span)}"""
    if not _drop_repeated(cur, within, keep=True):
        cur.execute("DROP TABLE vl_repeated")
        return
    groups = "SELECT DISTINCT account_key, user_key, feature_key, month FROM vl_repeated"
    on = ("g.account_key = r.account_key AND g.user_key = r.user_key AND g.feature_key = r.feature_key "
          "AND g.month = r.month")
    cur.execute(f"DELETE FROM vl_user_feature_month AS g USING ({groups}) AS r WHERE {on}")
    cur.execute(f"""CREATE OR REPLACE TEMP VIEW vl_rollup_events AS
                    SELECT g.* FROM vl_coded AS g SEMI JOIN ({groups}) AS r ON {on}""")
    cur.execute(f"INSERT INTO vl_user_feature_month {sql('user_feature_month')}")
    cur.execute("DROP TABLE vl_repeated")


def _drop_repeated(cur, within: str = "", keep: bool = False) -> int:
    """Keep the file's last row where an event key repeats in vl_coded (coded keys are the batch keys one to one),
    looking only at the rows `within` selects; return how many rows were dropped. With `keep`, the repeated keys
    stay in vl_repeated.

    Only the repeated keys are kept (an aggregate, which spills to disk), never a window over the whole batch.
    """
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE vl_repeated AS
                    SELECT c.account_key, c.user_key, c.feature_key, c.month, c.event_time, max(c.line) AS last_line
                    FROM vl_coded AS c {within}
                    GROUP BY c.account_key, c.user_key, c.feature_key, c.month, c.event_time HAVING count(*) > 1""")
    dropped = cur.execute("""DELETE FROM vl_coded AS c USING vl_repeated AS r
                             WHERE c.account_key = r.account_key AND c.user_key = r.user_key
                               AND c.feature_key = r.feature_key AND c.event_time = r.event_time
                               AND c.line <> r.last_line""").fetchall()[0][0]
    if not keep:
        cur.execute("DROP TABLE vl_repeated")
    return dropped


def _merge_table(cur, table: str, keys: tuple[str, ...], attrs: list[str], present: list[str]) -> None:
    """Generic keyed upsert of vl_good into `table`. Identifiers come from CONTRACT, never from files.

    A contract column absent from the file keeps its stored value; a present but empty cell clears it.
    """
    on = " AND ".join(f"cur.{k} = g.{k}" for k in keys)
    merged = ", ".join(
        f"CASE WHEN cur.{keys[0]} IS NULL OR list_contains($present, '{a}') THEN g.{a} ELSE cur.{a} END AS {a}"
        for a in attrs)
    same = " AND ".join([f"cur.{k} = m.{k}" for k in keys] + [f"cur.{a} IS NOT DISTINCT FROM m.{a}" for a in attrs])
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE vl_merged AS
                    SELECT {', '.join(f'g.{k}' for k in keys)}, {merged}
                    FROM vl_good AS g LEFT JOIN {table} AS cur ON {on}""", {"present": present})
    cur.execute(f"CREATE OR REPLACE TEMP TABLE vl_changed AS SELECT m.* FROM vl_merged AS m ANTI JOIN {table} AS cur ON {same}")
    cur.execute(f"DELETE FROM {table} AS cur USING vl_changed AS g WHERE {on}")
    cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM vl_changed")


def _save_mapping(cur, source: str, resolved: dict[str, str]) -> None:
    """Remember the header mapping of a source for its next file."""
    cur.execute("DELETE FROM column_mapping WHERE source = $s", {"s": source})
    if resolved:
        cur.executemany("INSERT INTO column_mapping VALUES (?, ?, ?)",
                        [(source, header, column) for header, column in resolved.items()])


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({"line": pd.Series(dtype="int64"), "column_name": pd.Series(dtype="object"),
                         "value": pd.Series(dtype="object"), "reason": pd.Series(dtype="object")})


# ---------------------------------------------------------------- rollups built elsewhere (Spark)

ROLLUP_DIRS = ("account_user_month", "account_feature_month", "account_month")


def is_rollup_dir(path: str | Path) -> bool:
    """True for a folder holding the three rollups as metrics/spark_rollup.py writes them."""
    path = Path(path)
    return path.is_dir() and all(any((path / name).glob("*.parquet")) for name in ROLLUP_DIRS)


def import_rollups(con, path: str | Path, *, force: bool = False) -> ImportResult:
    """Load rollups built by metrics/spark_rollup.py (text ids) in one transaction, replacing the rollups of the
    account-months they cover; rows of accounts this database does not know are refused and listed.

    A customer's events go either through `import_file` or through Spark, not both for the same months: a later
    raw import of such a month rebuilds its rollups from the raw events stored here only.
    """
    path = Path(path)
    if not is_rollup_dir(path):
        raise DataError(f"{path.name}: not a rollup folder (needs Parquet files in {', '.join(ROLLUP_DIRS)})")
    files = sorted(f for name in ROLLUP_DIRS for f in (path / name).glob("*.parquet"))
    digest = hashlib.sha256("".join(f"{f.relative_to(path)}:{_sha256(f)}" for f in files).encode()).hexdigest()
    cur = con.cursor()
    done = cur.execute("SELECT import_id FROM imports WHERE sha256 = $d AND kind = 'rollups'", {"d": digest}).fetchall()
    if done and not force:
        return ImportResult(path.name, "rollups", done[0][0], 0, 0, 0, 0, True, _empty_rejects())
    staged = {"vl_aum": "account_user_month", "vl_afm": "account_feature_month", "vl_am": "account_month"}
    try:
        for table, name in staged.items():
            cur.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_parquet($files)",
                        {"files": [str(f) for f in (path / name).glob("*.parquet")]})
    except duckdb.Error as exc:
        _drop_staging(cur)
        raise DataError(f"{path.name}: cannot read the rollups ({exc})") from exc
    read = sum(cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in staged)
    with WRITER:
        return _import_rollups_locked(cur, path, digest, staged, read)


def _import_rollups_locked(cur, path: Path, digest: str, staged: dict[str, str], read: int) -> ImportResult:
    """The writing half of import_rollups, under store.WRITER."""
    cur.execute("BEGIN TRANSACTION")
    try:
        cur.execute(sql("merge_rollups"))
        import_id = cur.execute("SELECT nextval('import_seq')").fetchall()[0][0]
        unknown = [r[0] for r in cur.execute("SELECT account_id FROM vl_unknown ORDER BY 1").fetchall()]
        refused = sum(cur.execute(f"SELECT count(*) FROM {table} SEMI JOIN vl_unknown USING (account_id)")
                      .fetchall()[0][0] for table in staged)
        loaded = read - refused
        if unknown:
            cur.executemany("INSERT INTO rejects VALUES (?, ?, NULL, 'account_id', ?, ?)",
                            [(import_id, path.name, a, "unknown account (import it in an accounts file first)")
                             for a in unknown])
        cur.execute("""INSERT INTO imports VALUES ($id, $file, $sha, 'rollups', 'spark', 'parquet', NULL,
                                                  now()::TIMESTAMP, $read, $loaded, 0, $refused, 0)""",
                    {"id": import_id, "file": path.name, "sha": digest, "read": read, "loaded": loaded,
                     "refused": refused})
        rejects = cur.execute("SELECT line, column_name, value, reason FROM rejects WHERE import_id = $id",
                              {"id": import_id}).df()
        commit(cur)
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    finally:
        _drop_staging(cur)
    return ImportResult(path.name, "rollups", import_id, read, loaded, 0, refused, False, rejects)


# ---------------------------------------------------------------- many files, demo, listings

def kind_order(con, paths: list[Path]) -> list[Path]:
    """Paths ordered so that accounts and value drivers load before the events and outcomes that refer to them."""
    def rank(path: Path) -> int:
        try:
            kind = preview_file(con, path, rows=1).kind
        except Exception:  # noqa: BLE001 - unreadable files go last; importing them reports why
            return len(KINDS)
        return KINDS.index(kind) if kind else len(KINDS)
    return sorted(paths, key=rank)


def load_demo(con) -> list[ImportResult]:
    """Import the embedded demo dataset in data/demo."""
    return [import_file(con, DEMO_DIR / name, source="demo " + Path(name).stem) for name in DEMO_FILES]


def ensure_demo(con) -> bool:
    """Load the demo data when the database holds no account yet; True if it did."""
    if not is_empty(con):
        return False
    load_demo(con)
    return True


def check_size(file_name: str, size: int, limit_mb: int = MAX_UPLOAD_MB) -> None:
    """Refuse an upload over the limit before reading it (the CLI has no limit: use it, with Parquet, for big data)."""
    if size > limit_mb * 1024 * 1024:
        raise DataError(f"{file_name}: {size / 1024 / 1024:,.0f} MB is over the {limit_mb} MB upload limit; "
                        "import it with `python cli.py import` instead (Parquet is fastest for large exports)")


def data_version(con) -> int:
    """A number that changes whenever stored data changes: part of every cache key."""
    return con.execute("""SELECT (SELECT coalesce(max(import_id), 0) FROM imports) * 1000000
                                 + (SELECT coalesce(max(version), 0) FROM value_model_version)""").fetchall()[0][0]


def recent_imports(con, limit: int = 20) -> pd.DataFrame:
    """The latest imports, newest first."""
    return con.execute(
        """SELECT import_id, file_name, kind, source, file_format, encoding, imported_at,
                  rows_read, rows_loaded, rows_unchanged, rows_rejected
           FROM imports ORDER BY import_id DESC LIMIT $n""", {"n": limit}).df()


def list_accounts(con) -> pd.DataFrame:
    """All accounts with their attributes, by account_id."""
    return con.execute(
        """SELECT account_id, account_name, industry, region, segment, seats, go_live_date, hourly_cost, currency,
                  annual_contract_value, renewal_date
           FROM account ORDER BY account_id""").df()


def list_value_drivers(con) -> pd.DataFrame:
    """The value model: minutes saved per use or work item, by feature."""
    return con.execute(
        """SELECT f.feature, v.minutes_saved, v.basis, v.category, v.description
           FROM value_drivers AS v JOIN feature AS f USING (feature_key) ORDER BY f.feature""").df()
