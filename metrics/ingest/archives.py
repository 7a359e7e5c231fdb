"""Archives and folders: their members read as one file (one import, one transaction), a reject naming the member
and its own line."""
from __future__ import annotations

import codecs
import glob
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import IO, cast

from isal import igzip

from metrics.ingest.columnar import _stage_avro, _stage_parquet_files
from metrics.ingest.inflation import Budget
from metrics.ingest.jsonfiles import _stage_json
from metrics.ingest.presets import headerless_layout, member_layout, select_members
from metrics.ingest.staging import _GZIP_ERRORS, _PREVIEW_BYTES, _PREVIEW_ROWS, DataError, _Raw, _sniff_format
from metrics.ingest.text import _stage_csv

# Amplitude's Export API answers with a zip of gzipped JSON-lines files, one an hour; warehouses, S3 exports and
# Mixpanel's pipelines come as folders of such files or of Parquet files, a file a day; Pendo's Data Sync as a folder
# of Avro files. Their members (JSON lines or CSV with one header, gzipped or not; Parquet; Avro) are read as one
# file: one import, one transaction, and a reject names the member and the line (row) within it.
Member = tuple[str, Callable[[], IO[bytes]]]  # a member's name, and how to open it
_SKIPPED = ("__MACOSX", ".")


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return True  # a damaged workbook: the workbook reader says so


def _zip_members(path: Path, file_name: str) -> list[Member]:
    """(member name, opener) for the files of a zip archive, in name order; each opener's bytes counted against
    one inflation budget for the archive (metrics.ingest.inflation: what is inflated, not what the zip declares)."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DataError(f"{file_name}: the zip archive is damaged") from exc
    budget = Budget(file_name, path.stat().st_size)
    infos = [i for i in zf.infolist() if not i.is_dir()]
    return [(i.filename, partial(_open_counted, zf, i, budget)) for i in sorted(infos, key=lambda i: i.filename)]


def _open_counted(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> IO[bytes]:
    return cast(IO[bytes], budget.reader(zf.open(info), info.filename))


def _skip_reason(name: str, on_disk: bool = False) -> str | None:
    """Why a member of an archive or folder is not read, by its name: a path outside the archive's folder (a zip
    may name ../../etc/passwd), macOS's metadata, a hidden file. A folder's or glob's files are where they lie:
    only their own names count (a glob names them by their whole path)."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if on_disk:
        parts = ("__MACOSX",) if "__MACOSX" in parts else parts[-1:]
    elif name.startswith(("/", "\\")) or ".." in parts or (parts and parts[0].endswith(":")):
        return "outside the archive's folder"
    if any(part.startswith(_SKIPPED) for part in parts):
        return "system or hidden file"
    return None


def folder_members(folder: Path) -> list[Member]:
    """(relative name, opener) for the data files of a folder and its subfolders, in name order."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return [(p.relative_to(folder).as_posix(), _FileOpener(p)) for p in files]


def glob_members(pattern: str) -> list[Member]:
    """(path, opener) for the files a glob names (`exports/2025-*/*.parquet`, `**` for any depth), in name order."""
    files = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    return [(p.as_posix(), _FileOpener(p)) for p in files if not p.name.startswith(".")]


class _FileOpener:
    """Opens a file of a folder or glob; its path lets DuckDB read a Parquet member where it lies."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self) -> IO[bytes]:
        return self.path.open("rb")


def _layout_members(members: list[Member]) -> list[Member]:
    """The members that hold a documented layout's rows (Pendo Data Sync's matchedEvents/Feature/*.avro beside its
    manifest and definition files), or all of them."""
    names = [name for name, _ in members]
    found = member_layout(names)
    if found is None:
        return members
    chosen = set(select_members(names, found[1]))
    return [m for m in members if m[0] in chosen]


def _member_format(name: str, opener: Callable[[], IO[bytes]], file_name: str) -> str | None:
    """The format of a member by its content (gzip looked into), or None when it is empty; "archive" for a zip
    (another archive, or a workbook) inside the archive."""
    with opener() as raw_stream:
        head = raw_stream.read(8192)
    if head[:2] == b"\x1f\x8b":
        try:
            with opener() as raw_stream, igzip.IGzipFile(fileobj=raw_stream) as inner:
                head = inner.read(8192)
        except _GZIP_ERRORS as exc:
            raise DataError(f"{file_name}: {name}: damaged or truncated") from exc
    if head.startswith(b"PK\x03\x04"):
        return "archive"
    if not head.strip():
        return None
    return _sniff_format(head, f"{file_name}: {name}")


def _stage_members(con, members: list[Member], file_name: str, workdir: Path,
                   head_only: bool = False, lazy: bool = False) -> _Raw:
    """Members of one format staged as one file: Parquet files read together where they lie (a zip's unpacked
    first), Avro files one after the other, text members unpacked (gzip too) into one combined file. Members
    not read (a path outside the archive, hidden files, an archive or workbook inside it) are named in the
    import's summary."""
    notes: list[str] = []
    kept = []
    for name, opener in members:
        reason = _skip_reason(name, on_disk=isinstance(opener, _FileOpener))
        if reason is None:
            kept.append((name, opener))
        else:
            notes.append(f"{name}: not read ({reason})")
    members = _layout_members(kept)
    if not members:
        raise DataError(f"{file_name}: no data files inside")
    formats = {name: _member_format(name, opener, file_name) for name, opener in members}
    for name, fmt in formats.items():
        if fmt == "archive":
            notes.append(f"{name}: not read (an archive or workbook inside the archive: unpack it and import it "
                         "on its own)")
    members = [m for m in members if formats[m[0]] != "archive"]
    found = sorted({f for f in formats.values() if f not in (None, "archive")})
    if not members:
        raise DataError(f"{file_name}: no data files inside, only archives or workbooks: unpack them and import "
                        "each on its own")
    raw = _stage_members_of_format(con, members, formats, found, file_name, workdir, head_only, lazy)
    return replace(raw, notes=tuple(notes) + raw.notes)


def _stage_members_of_format(con, members: list[Member], formats: dict[str, str | None], found: list[str],
                             file_name: str, workdir: Path, head_only: bool, lazy: bool) -> _Raw:
    if len(found) > 1:
        raise DataError(f"{file_name}: its files are of several formats ({', '.join(found)}); a folder or archive "
                        "must hold files of one format and layout")
    if found == ["parquet"]:
        return _stage_parquet_files(con, _member_paths(members, workdir, head_only), file_name)
    if found == ["avro"]:
        return _stage_avro(con, [m for m in members if formats[m[0]]], file_name, head_only)
    return _stage_text_members(con, members, file_name, workdir, head_only, lazy)


def _member_paths(members: list[Member], workdir: Path, head_only: bool) -> list[tuple[str, Path]]:
    """(member, path) of Parquet members: a folder's files where they lie, an archive's unpacked (one for a
    preview)."""
    out = []
    for i, (name, opener) in enumerate(members[:1] if head_only else members):
        if isinstance(opener, _FileOpener):
            out.append((name, opener.path))
            continue
        target = workdir / f"member_{i}.parquet"
        with opener() as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)  # a zip member's opener counts what it inflates
        out.append((name, target))
    return out


def _stage_text_members(con, members: list[Member], file_name: str, workdir: Path, head_only: bool,
                        lazy: bool) -> _Raw:
    """JSON-lines or CSV members unpacked, streaming, into one combined file, each CSV member's header line dropped
    but the first's (a headerless layout's members keep every line). Headers are compared without a BOM, case or
    surrounding space (Excel saves some CSV files with a BOM, some without). A gzipped member is counted as it
    inflates, against the archive's budget (metrics.ingest.inflation)."""
    combined = workdir / "combined"
    spans: list[tuple[int, int, str, int]] = []
    budget = Budget(file_name, 0)
    fmt, header, lines, headerless = None, None, 0, False
    with combined.open("wb") as out:
        for name, opener in members:
            with opener() as raw_stream:
                magic = raw_stream.read(2)
            with opener() as raw_stream:
                stream: IO[bytes] = cast(IO[bytes], budget.reader(igzip.IGzipFile(fileobj=raw_stream), name)) \
                    if magic == b"\x1f\x8b" else raw_stream
                try:
                    head = stream.read(_PREVIEW_BYTES).removeprefix(codecs.BOM_UTF8)
                    if head_only:
                        head = head[: head.rfind(b"\n") + 1]
                    if not head.strip():
                        _drain_blank(stream, file_name, name)
                        continue
                    kind = _sniff_format(head[:8192], f"{file_name}: {name}")
                    if kind not in ("json", "csv") or (fmt is not None and kind != fmt):
                        raise DataError(f"{file_name}: {name} is {kind}; an archive or folder must hold JSON lines, "
                                        "CSV, Parquet or Avro files of one format"
                                        f"{f' (the first was {fmt})' if fmt else ''}")
                    fmt = fmt or kind
                    offset = lines
                    if kind == "csv":
                        first, _, rest = head.partition(b"\n")
                        if header is None:
                            header = first
                            text = first.decode("utf-8", "replace")
                            headerless = headerless_layout(text, "\t" if "\t" in text else ",") is not None
                        elif headerless:
                            pass  # every line is data
                        elif _header_key(first) != _header_key(header):
                            raise DataError(f"{file_name}: {name} has other headers than the first CSV file")
                        else:
                            head, offset = rest, lines - 1  # its header line is dropped: its line 2 is the next
                    count, last = _copy_lines(head, None if head_only else stream, out)
                except _GZIP_ERRORS as exc:
                    raise DataError(f"{file_name}: {name}: damaged or truncated") from exc
            if last != b"\n":
                out.write(b"\n")
                count += 1
            spans.append((lines + 1, lines + count, name, offset))
            lines += count
            if head_only and lines >= _PREVIEW_ROWS:
                break
    if fmt is None:
        raise DataError(f"{file_name}: the data files inside are empty")
    raw = _stage_json(con, combined, file_name, workdir, head_only, lazy=lazy) if fmt == "json" else \
        _stage_csv(con, combined, file_name, workdir, lazy=lazy)
    return replace(raw, members=tuple(spans))


def _header_key(line: bytes) -> bytes:
    """A CSV header line as members are compared: no BOM, no surrounding space or line ending, any case."""
    return line.removeprefix(codecs.BOM_UTF8).strip().lower()


def _copy_lines(head: bytes, rest: IO[bytes] | None, out: IO[bytes]) -> tuple[int, bytes]:
    """Write `head` and then the rest of a stream, in chunks; the line breaks written and the last byte."""
    count, last = head.count(b"\n"), head[-1:]
    out.write(head)
    for chunk in iter(lambda: rest.read(1 << 22), b"") if rest is not None else ():
        out.write(chunk)
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count, last or b"\n"


def _drain_blank(stream: IO[bytes], file_name: str, name: str) -> None:
    """A member that starts with blank space: skipped when it is all blank (read in chunks, counted), refused when
    data follows so much space."""
    for chunk in iter(lambda: stream.read(1 << 22), b""):
        if chunk.strip():
            raise DataError(f"{file_name}: {name} starts with more than {_PREVIEW_BYTES >> 10} KB of blank space; "
                            "remove it and import again")
