"""The bad inputs of the third reliability round (issue 44), written as a hostile or clumsy user would hand them over:
compression bombs at every layer, JSON lines the first reader choked on, archives with a BOM, a nested zip or a
path outside the archive, objectives, renewals and users that contradict themselves. Each builder writes its file
into a folder and returns its path; tests/test_hostile_inputs.py holds the product to what it owes each of them."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

from isal import igzip

EVENTS_HEADER = b"account_id,user_id,event_time,feature,duration_seconds,units\n"
EVENT_ROW = b"A1,h1,2025-03-02 10:00:00,Dispatch,60,1\n"


def record(i: int, **extra: object) -> str:
    """One JSON-lines event of the fixtures' account A1."""
    return json.dumps({"account_id": "A1", "user_id": f"j{i}", "event_time": "2025-03-02 10:00:00",
                       "feature": "Dispatch", **extra})


def gzip_of(head: bytes, filler: bytes, megabytes: int) -> bytes:
    """`head` and then `megabytes` MB of `filler`, gzipped as concatenated members (RFC 1952 allows them): 16 MB
    compressed once and repeated, so that a test builds a file that inflates to hundreds of MB in milliseconds."""
    unit = igzip.compress(filler * ((16 << 20) // len(filler)), 1)
    return igzip.compress(head, 1) + unit * max(1, megabytes // 16)


def newline_csv_gz(folder: Path) -> Path:
    """A small .csv.gz of a header, one row and 512 MB of newlines (the issue's 1 GB, halved to keep tests quick)."""
    path = folder / "padded.csv.gz"
    path.write_bytes(gzip_of(EVENTS_HEADER + EVENT_ROW, b"\n", 512))
    return path


def jsonl_gz_bomb(folder: Path) -> Path:
    """A .jsonl.gz DuckDB would inflate itself: one real record, then 1 GB of empty objects."""
    path = folder / "events.jsonl.gz"
    path.write_bytes(gzip_of((record(0) + "\n").encode(), b"{}\n", 1024))
    return path


def zip_of_gzip_bomb(folder: Path) -> Path:
    """A zip holding a .jsonl.gz that inflates to 2 GB of spaces (the issue's was 10 KB -> 6 GB)."""
    path = folder / "amplitude_export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("123/123_2025-03-02_10#0.json.gz", gzip_of((record(0) + "\n").encode(), b" ", 2048))
    return path


def zip_of_whitespace(folder: Path) -> Path:
    """A zip whose deflated CSV member is a header, one row and 256 MB of spaces."""
    path = folder / "padded.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
            zf.open("events.csv", "w") as member:
        member.write(EVENTS_HEADER + EVENT_ROW)
        block = b" " * (4 << 20)
        for _ in range(64):
            member.write(block)
    return path


def blank_lines_csv(folder: Path) -> Path:
    """An uncompressed CSV of a header, one row and 1.5 million blank lines (1.5 MB on disk)."""
    path = folder / "blank_padded.csv"
    path.write_bytes(EVENTS_HEADER + EVENT_ROW + b"\n" * 1_500_000)
    return path


def json_lines_cases(folder: Path) -> dict[str, Path]:
    """Valid JSON-lines files the first reader refused whole, and one line of each kind a line reader must reject."""
    cases = {
        "long_first_line": record(0, pad="x" * 100_000) + "\n" + record(1) + "\n",
        "blank_then_long_line": record(0) + "\n\n" + record(1) + "\n" + record(2, pad="y" * 3_000_000) + "\n"
                                + record(3) + "\n",
        "deep_line": record(0) + "\n" + '{"account_id": "A1", "x": ' + "[" * 5000 + "]" * 5000 + "}\n"
                     + record(2) + "\n",
        "duplicate_key": record(0) + "\n" + '{"account_id": "A1", "user_id": "j1", "user_id": "j9", '
                                            '"event_time": "2025-03-02 10:00:00", "feature": "Dispatch"}\n',
    }
    out = {}
    for name, text in cases.items():
        out[name] = folder / f"{name}.jsonl"
        out[name].write_text(text, encoding="utf-8")
    return out


def csv_zip(folder: Path, name: str, members: dict[str, bytes]) -> Path:
    path = folder / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def bom_zip(folder: Path) -> Path:
    """Two CSV members of one layout, the second saved with a UTF-8 BOM and its header in another case."""
    return csv_zip(folder, "days.zip", {
        "day1.csv": EVENTS_HEADER + b"A1,b1,2025-03-02 10:00:00,Dispatch,60,1\n",
        "day2.csv": b"\xef\xbb\xbf" + EVENTS_HEADER.upper().replace(b"\n", b"\r\n")
                    + b"A1,b2,2025-03-03 10:00:00,Dispatch,60,1\r\n"})


def nested_zip(folder: Path) -> Path:
    """A zip of one CSV, an inner zip, a member outside the archive's folder and macOS's metadata."""
    inner = folder / "inner.zip"
    csv_zip(folder, "inner.zip", {"more.csv": EVENTS_HEADER + b"A1,n9,2025-03-02 10:00:00,Dispatch,60,1\n"})
    return csv_zip(folder, "nested.zip", {
        "events.csv": EVENTS_HEADER + b"A1,n1,2025-03-02 10:00:00,Dispatch,60,1\n",
        "inner.zip": inner.read_bytes(),
        "../../escape.csv": EVENTS_HEADER + b"A1,n2,2025-03-02 10:00:00,Dispatch,60,1\n",
        "__MACOSX/._events.csv": b"\x00\x05\x16\x07",
    })
