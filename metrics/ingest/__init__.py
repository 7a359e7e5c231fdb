"""Customer exports (CSV, TSV, XLSX, JSON, Parquet, Avro; any encoding read with confidence; English or Chinese
headers) -> validated DuckDB tables -> rollups.

The package: `contract` (kinds, columns, aliases, header mapping, result records), `presets` (the tools' documented
layouts), `nested` (paths into nested columns), `readers` and the modules it dispatches to (one per family of formats,
every line accounted for), `checks` (identifier and total-row checks, rejects), `merge` (upserts and rollups),
`rollups` (rollups built on Spark), `importer` (one preview or import through them, in one transaction per file).
This module is the public API, plus what spans several files: kind order, files of one layout given one by one,
the demo's file list (metrics.demo loads it: the import knows nothing of the requirement pool).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from metrics.ingest.checks import BAD_IDENTIFIER, TOTAL_ROW, identifier_problem, is_total
from metrics.ingest.contract import (
    CONTRACT,
    KINDS,
    MAX_REJECTS_SHOWN,
    Column,
    ImportResult,
    Preview,
    _auto_mapping,
    default_source,
    detect_kind,
    saved_mapping,
)
from metrics.ingest.importer import (
    import_bytes,
    import_export,
    import_export_bytes,
    import_file,
    preview_bytes,
    preview_file,
)
from metrics.ingest.presets import PRESETS, EventFilter, FieldSet, Layout, Preset, saved_settings, suggest_preset
from metrics.ingest.readers import glob_members
from metrics.ingest.rollups import ROLLUP_DIRS, import_rollups, is_rollup_dir
from metrics.store import ROOT, DataError

DEMO_DIR = ROOT / "data" / "demo"
DEMO_FILES = ("accounts.csv", "value_drivers.csv", "events.parquet", "outcomes.xlsx", "objectives.csv",
              "renewals.csv", "requests.csv")
MAX_UPLOAD_MB = 200  # keep equal to server.maxUploadSize in .streamlit/config.toml

__all__ = ["BAD_IDENTIFIER", "CONTRACT", "PRESETS", "EventFilter", "Preset", "suggest_preset", "DEMO_DIR",
           "DEMO_FILES", "KINDS", "MAX_REJECTS_SHOWN", "MAX_UPLOAD_MB",
           "ROLLUP_DIRS", "TOTAL_ROW", "Column", "ImportResult", "Preview", "check_size",
           "default_source", "detect_kind", "glob_members", "import_export", "import_export_bytes",
           "identifier_problem", "import_group", "layout_groups",
           "import_bytes", "import_file",
           "import_rollups", "is_rollup_dir", "is_total", "kind_order",
           "preview_bytes", "preview_file", "saved_mapping", "saved_settings", "FieldSet", "Layout",
           "_auto_mapping"]


# ---------------------------------------------------------------- many files, demo, listings

def kind_order(con, paths: list[Path]) -> list[Path]:
    """Paths ordered so that accounts and value drivers load before the events and outcomes that refer to them."""
    return [path for group in layout_groups(con, paths) for path in group]


def layout_groups(con, paths: list[Path]) -> list[list[Path]]:
    """The files given, in kind order (accounts and value drivers before the events and outcomes that refer to them),
    those of one folder, suffix, kind and headers together: a shell-expanded glob of 183 daily files is one group,
    imported as one (import_group), not 183 imports."""
    keyed: dict[tuple, list[Path]] = {}
    ranks: dict[tuple, int] = {}
    for path in paths:
        try:
            preview = preview_file(con, path, rows=1)
            key: tuple = (path.parent, "".join(path.suffixes), preview.kind, tuple(preview.headers))
            rank = KINDS.index(preview.kind) if preview.kind else len(KINDS)
        except Exception:  # noqa: BLE001 - unreadable files go last, alone; importing them reports why
            key, rank = (path,), len(KINDS)
        if not path.is_file():
            key = (path,)  # a folder or a glob is its own group already
        keyed.setdefault(key, []).append(path)
        ranks[key] = rank
    return [keyed[key] for key in sorted(keyed, key=lambda k: ranks[k])]


def import_group(con, files: list[Path], **kwargs) -> list[ImportResult]:
    """import_export of one file, or of files of one layout as one import: they are linked into a temporary folder
    named after theirs and read as that folder is (one import record, one summary; a reject names the file)."""
    if len(files) == 1:
        return import_export(con, files[0], **kwargs)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / (files[0].parent.resolve().name or "files")
        folder.mkdir()
        for path in files:
            (folder / path.name).symlink_to(path.resolve())
        return import_export(con, folder, **kwargs)


def check_size(file_name: str, size: int, limit_mb: int = MAX_UPLOAD_MB) -> None:
    """Refuse an upload over the limit before reading it (the CLI has no limit: use it, with Parquet, for big data)."""
    if size > limit_mb * 1024 * 1024:
        raise DataError(f"{file_name}: {size / 1024 / 1024:,.0f} MB is over the {limit_mb} MB upload limit; "
                        "import it with `python cli.py import` instead (Parquet is fastest for large exports)")

