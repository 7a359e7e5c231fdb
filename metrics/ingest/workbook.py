"""Excel workbooks: checked for what would take too much memory before any XML is parsed, then read sheet by sheet."""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from metrics.ingest.staging import _CHUNK, DataError, _Raw, _unique_headers
from metrics.store import run


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
        raise DataError(f"{file_name}: cannot open the Excel workbook (damaged or truncated)") from exc


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

