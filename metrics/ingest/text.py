"""Delimited text (CSV, TSV, semicolon files): encodings, DuckDB's fast reader, and the careful reader that accounts
for every physical line."""
from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from metrics.ingest.presets import headerless_layout
from metrics.ingest.staging import _CHUNK, DataError, _in_background, _Raw, _unique_headers
from metrics.store import run


def _decode_to_utf8(path: Path, file_name: str, workdir: Path) -> tuple[Path, str]:
    """UTF-8 files are read in place; others are transcoded to a UTF-8 copy (DuckDB reads only UTF-8): UTF-16 with
    its BOM, GBK/GB18030 when the text reads as Chinese, else the encoding charset-normalizer names with confidence
    (Windows-1252 / ISO-8859-1 as Salesforce writes by default, Shift-JIS, Big5, ...). Returns the path and the
    encoding's name; raises DataError naming what was found and how to re-save when no reading is sure."""
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
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return _transcode(path, "utf-16", out, file_name), "utf-16 with BOM"
    first_utf8 = first_other = None  # line numbers: a file mixing the two is refused, never half-garbled
    chinese = other = 0  # non-ASCII characters of the GB18030 reading inside / outside GB2312
    sample = bytearray()  # non-ASCII lines, to name the encoding when the file is not Chinese
    gbk = True
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        for line_no, raw in enumerate(src, start=1):
            if raw.isascii():
                dst.write(raw.decode("ascii"))
                continue
            if len(sample) < _SAMPLE_BYTES:
                sample += raw
            try:
                raw.decode("utf-8")
                first_utf8 = first_utf8 or line_no
            except UnicodeDecodeError:
                first_other = first_other or line_no
            if not gbk:
                continue  # only the sample and the mixed-encoding check are wanted now
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError:
                gbk = False
                continue
            for ch in text:
                if ord(ch) > 127:
                    chinese, other = (chinese + 1, other) if _in_gb2312(ch) else (chinese, other + 1)
            dst.write(text)
    if first_utf8 and first_other:
        raise DataError(f"{file_name}: mixed encodings: line {first_utf8} is UTF-8 but line {first_other} is not "
                        "(GBK?); save the whole file in one encoding, preferably UTF-8, and import it again")
    if gbk and other <= GBK_MAX_RARE * (chinese + other):
        return out, "gb18030"
    guess = _confident_encoding(bytes(sample))
    if guess is None:
        raise DataError(f"{file_name}: not UTF-8, and no other encoding reads it with confidence"
                        f"{_detected(bytes(sample))}; save the file as UTF-8 (Excel: Save As > CSV UTF-8) and "
                        "import it again")
    return _transcode(path, guess, out, file_name), guess


_SAMPLE_BYTES = 1 << 18
_MAX_CHAOS = 0.1
# single-byte code pages in which Western text reads cleanly too: where charset-normalizer prefers one of them and
# Windows-1252 reads the sample as cleanly, Windows-1252 is taken (Salesforce writes ISO-8859-1 by default, Excel
# on Windows 1252; 1252 is a superset of ISO-8859-1's printable characters)
_LATIN = {"cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "cp775", "cp850", "cp437", "latin_1", "iso8859_2",
          "iso8859_15", "mac_roman", "mac_latin2"}


def _confident_encoding(sample: bytes) -> str | None:
    """The encoding charset-normalizer reads the sample in with little noise (chaos at most _MAX_CHAOS) when every
    reading that clean gives the same text; Windows-1252 for Western text it reads cleanly; else None (random bytes
    read as Big5, Shift-JIS and GBK alike, with no noise in any: that is no answer)."""
    from charset_normalizer import from_bytes

    if not sample:
        return None
    matches = list(from_bytes(sample))
    if not matches or min(m.chaos for m in matches) > _MAX_CHAOS:
        return None
    least = min(m.chaos for m in matches)
    clean = [m.encoding for m in matches if m.chaos <= least]
    if len({sample.decode(e, "replace") for e in clean}) == 1:
        return clean[0]
    if clean[0] in _LATIN:
        western = from_bytes(sample, cp_isolation=["cp1252"]).best()
        if western is not None and western.chaos <= least:
            return "cp1252"
    return None


def _transcode(path: Path, encoding: str, out: Path, file_name: str) -> Path:
    """`path` decoded as `encoding` into a UTF-8 copy; DataError naming the line that does not decode."""
    if encoding.replace("_", "-").startswith("utf-16"):  # two bytes a unit: lines are split after decoding
        try:
            with path.open(encoding=encoding, newline="") as src, out.open("w", encoding="utf-8", newline="") as dst:
                for chunk in iter(lambda: src.read(_CHUNK), ""):
                    dst.write(chunk)
        except UnicodeDecodeError as exc:
            raise DataError(f"{file_name}: not valid UTF-16 text; save the file as UTF-8 and import "
                            "it again") from exc
        return out
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        for line_no, raw in enumerate(src, start=1):
            try:
                dst.write(raw.decode(encoding))
            except UnicodeDecodeError as exc:
                raise DataError(f"{file_name}: line {line_no}: not valid {encoding} text, though the "
                                f"file's start reads as {encoding}; save the file as UTF-8 and import it "
                                "again") from exc
    return out


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
    if best is None or not best.encoding:
        return " (no encoding charset-normalizer knows reads it cleanly)"
    return f" (the nearest reading, {best.encoding}, leaves {best.chaos:.0%} of its text as noise)"


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


_BLANK_RUN = re.compile(rb"\n(?:[ \t]*\r?\n)+")


def blank_lines(chunks: Iterable[bytes]) -> int:
    """The blank lines (empty, or spaces and a line ending) after the first line of a file's chunks, a run of them
    counted by one regular-expression match: a second per GB of newlines, and nothing but a scan for a file
    without. Only the careful readers ask (a file DuckDB reads cleanly has no blank line)."""
    blank, carry = 0, b"\n"  # a file that starts with a blank line: counted as one
    for chunk in chunks:
        text = carry + chunk
        last = text.rfind(b"\n")
        if last < 0:
            carry = text
            continue
        # runs end at the text's last line break, which the next text starts with: a run across chunks is counted
        # once, each of its blank lines in the text that holds its line break
        blank += sum(m.group().count(b"\n") - 1 for m in _BLANK_RUN.finditer(text, 0, last + 1))
        carry = text[last:]
    return blank


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        yield from iter(lambda: fh.read(_CHUNK), b"")


MAX_BLANK_LINES = 1_000_000  # a tool writes no export with a million blank lines


def _check_blank_lines(file_name: str, lines: int, blank: int) -> None:
    """Refuse a file of more blank lines than MAX_BLANK_LINES and than lines of data (padding, not an export), before
    the careful reader would spend a Python step on each of them."""
    if blank > MAX_BLANK_LINES and blank > lines - blank:
        raise DataError(f"{file_name}: {blank:,} of its {lines:,} lines are blank, more than its lines of "
                        "data: this is not an export as a tool writes it; remove the blank lines and import it again")


@dataclass(frozen=True)
class _Dialect:
    """How a delimited file is written: its delimiter, whether a quote character quotes (not in a TSV: a value may
    start with a quote, as a Snowplow page title does), and whether its first line is a header (a documented
    headerless layout's columns come from the preset)."""

    delim: str
    quoted: bool = True
    header_lines: int = 1

    @property
    def quote(self) -> str:
        return '"' if self.quoted else ""

    def fields(self, text: str, strict: bool = False) -> list[str]:
        if self.quoted:
            return next(csv.reader([text], delimiter=self.delim, quotechar='"', strict=strict))
        return next(csv.reader([text], delimiter=self.delim, quoting=csv.QUOTE_NONE, strict=strict))


def _stage_csv(con, path: Path, file_name: str, workdir: Path, lazy: bool = False) -> _Raw:
    """Stage a CSV or TSV file. DuckDB's reader is tried first; when its rows and rejects do not account for every
    physical line (a quoted line break, an unterminated quote swallowing the rest of the file, mixed or lone-CR
    line endings, blank lines) or it refuses the file, the careful reader (_stage_csv_lines) reads it instead.
    A TSV is read with no quote character; a headerless file of a documented layout (Snowplow's enriched TSV)
    takes the layout's columns; a report's footer (a blank line, then lines of one cell: Salesforce's copyright
    and "Generated By") is excluded, counted as such.

    With `lazy`, nothing is staged: vl_raw reads the file with DuckDB's reader, strictly (a malformed line fails the
    statement), and the import checks the rows it validated against the lines counted meanwhile (as for JSON lines,
    _stage_json_lines_typed)."""
    text_path, encoding = _decode_to_utf8(path, file_name, workdir)
    with text_path.open(encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise DataError(f"{file_name}: the file is empty (no header row)")
    delim = max([",", ";", "\t", "|"], key=lambda d: first.count(d))
    headerless = headerless_layout(first.lstrip("\ufeff"), delim)
    dialect = _Dialect(delim, quoted=delim != "\t", header_lines=0 if headerless else 1)
    headers = list(headerless[1].header) if headerless else _unique_headers(dialect.fields(first))
    encoding = encoding.replace("-sig", " with BOM")
    text_path, footer = _without_footer(text_path, dialect, len(headers), workdir)
    if lazy:
        records = _in_background(_csv_data_lines, text_path, dialect.header_lines)
        run(con, "ingest_readers.set_csv_file",
            {"path": str(text_path), "columns": {f"c{i}": "VARCHAR" for i in range(len(headers))}, "delim": delim,
             "quote": dialect.quote, "header": bool(dialect.header_lines)})
        run(con, "ingest_readers.raw_of_csv_file")
        return _Raw("csv", encoding, headers, [], 0, excluded=footer, delimiter=delim, lines=records)
    physical, mixed_endings = _physical_lines(text_path)
    staged = None if mixed_endings else _stage_csv_duckdb(con, text_path, headers, dialect)
    if staged is not None and staged[0] + len(staged[1]) + dialect.header_lines == physical:
        rows, structural = staged
        return _Raw("csv", encoding, headers, structural, rows + len(structural), excluded=footer, delimiter=delim)
    _check_blank_lines(file_name, physical, blank_lines(_file_chunks(text_path)))
    raw = _stage_csv_lines(con, text_path, file_name, headers, dialect, encoding, physical)
    return replace(raw, excluded=raw.excluded + footer)


_FOOTER_BYTES = 1 << 16  # a report's footer is a few lines at the end


def _without_footer(text_path: Path, dialect: _Dialect, width: int, workdir: Path) -> tuple[Path, int]:
    """The file without a report footer, and how many lines that was (0 and the file itself when it has none). A
    footer is what follows the last blank line when every line of it holds one cell and the header has several."""
    if width < 2:
        return text_path, 0
    size = text_path.stat().st_size
    with text_path.open("rb") as fh:
        fh.seek(max(0, size - _FOOTER_BYTES))
        tail = fh.read()
    lines = tail.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the last line's line break
    count = 0
    for raw in reversed(lines):
        text = raw.decode("utf-8", "replace").strip("\r")
        if not text.strip():
            break
        try:
            cells = dialect.fields(text)
        except (csv.Error, StopIteration):
            return text_path, 0
        if len(cells) > 1:
            return text_path, 0
        count += 1
    else:
        return text_path, 0  # no blank line before: no footer
    if count == 0:
        return text_path, 0
    blank = 0
    for raw in reversed(lines[: len(lines) - count]):
        if raw.strip(b"\r \t"):
            break
        blank += 1
    drop = count + blank
    keep = size - sum(len(line) + 1 for line in lines[len(lines) - drop:]) + (0 if tail.endswith(b"\n") else 1)
    out = workdir / "without_footer.csv"
    with text_path.open("rb") as src, out.open("wb") as dst:
        remaining = keep
        while remaining > 0:
            chunk = src.read(min(_CHUNK, remaining))
            if not chunk:
                break
            dst.write(chunk)
            remaining -= len(chunk)
    return out, drop


def _csv_data_lines(path: Path, header_lines: int = 1) -> tuple[int, bool]:
    """A CSV file's data lines (its lines but the header), and False when its line endings are mixed or include a
    lone \\r (_physical_lines)."""
    physical, mixed_endings = _physical_lines(path)
    return physical - header_lines, not mixed_endings


def _stage_csv_duckdb(con, text_path: Path, headers: list[str], dialect: _Dialect) -> tuple[int, list] | None:
    """DuckDB's fast reader: (good rows, malformed-line rejects), staged as vl_raw; None when it refuses."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(headers))}
    run(con, "ingest_readers.drop_csv_rejects")
    try:
        run(con, "ingest_readers.read_csv", {"path": str(text_path), "columns": columns, "delim": dialect.delim,
                                             "quote": dialect.quote, "header": bool(dialect.header_lines)})
    except duckdb.Error:
        run(con, "ingest_readers.drop_csv_rejects")
        return None
    bad = run(con, "ingest_readers.csv_rejects").fetchall()
    run(con, "ingest_readers.drop_csv_rejects")
    # good row i sits on line i + 2 (i + 1 without a header), plus the malformed lines DuckDB skipped before it
    first = 1 + dialect.header_lines
    shifts = [line - first - j for j, (line, _, _) in enumerate(bad)]
    if shifts:
        run(con, "ingest_readers.csv_lines_shifted", {"shifts": shifts, "first": first})
        run(con, "ingest_readers.raw_of_lines")
    else:
        run(con, "ingest_readers.raw_of_csv_rows", first=str(int(first)))
    rows = run(con, "ingest_readers.raw_count").fetchall()[0][0]
    structural = [(int(line), str(csv_line)[:200], _malformed(str(error_type), str(csv_line), dialect, len(headers)))
                  for line, csv_line, error_type in bad]
    return rows, structural


# a malformed line in the product's words, by DuckDB's reject error_type (https://duckdb.org/docs/stable/
# data/csv/reading_faulty_csv_files) or the csv module's complaint: never the reader's own message
_MALFORMED = {"UNQUOTED VALUE": "a quote inside a value that is not quoted as a whole",
              "INVALID ENCODING": "not valid UTF-8 text", "INVALID UNICODE": "not valid UTF-8 text",
              "LINE SIZE OVER MAXIMUM": "longer than the longest line a CSV file may have"}


def _malformed(error_type: str, text: str, dialect: _Dialect, width: int) -> str:
    """"malformed CSV row: ..." for a line DuckDB's reader rejected."""
    if error_type.replace("_", " ").upper() in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        try:
            return f"malformed CSV row: {len(dialect.fields(text))} fields, the header has {width}"
        except (csv.Error, StopIteration):
            pass
    return "malformed CSV row: " + _MALFORMED.get(error_type.replace("_", " ").upper(),
                                                  "its fields cannot be told apart")


def _csv_problem(message: str) -> str:
    """The csv module's complaint about a line, in the product's words."""
    if "expected after" in message:
        return "a quoted value is followed by more text before the next delimiter"
    if "NUL" in message:
        return "contains a NUL character"
    return "its fields cannot be told apart"


MAX_RECORD_LINES = 50  # a quoted field may span this many lines; past it the opening line is an unterminated quote
_RECORD_BATCH = 100_000


def _stage_csv_lines(con, text_path: Path, file_name: str, headers: list[str], dialect: _Dialect, encoding: str,
                     physical: int) -> _Raw:
    """The careful CSV reader: every physical line ends up in a staged row, a reject or the excluded count.

    A record is one line, or several when a quoted field holds line breaks (up to MAX_RECORD_LINES). A line that
    opens a quote never closed within that span is rejected alone ("unterminated quote") and reading goes on
    with the next line, so one bad line never takes the rest of the file with it. Blank lines are excluded.
    """
    import pyarrow as pa

    delim = dialect.delim
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
            return dialect.fields(text, strict=True)
        except csv.Error as exc:
            return str(exc)
        except StopIteration:
            return []

    with text_path.open(encoding="utf-8-sig", newline="") as fh:
        lines = iter(fh)
        if dialect.header_lines:
            next(lines)  # the header
        queue: list[tuple[int, str]] = []  # lines read ahead for a multi-line record, not yet accounted for
        line_no = dialect.header_lines

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
                structural.append((start, text.rstrip("\r\n")[:200], f"malformed CSV row: {_csv_problem(fields)}"))
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

