"""Workspace settings stored with the data: the time zone months are counted in."""
from __future__ import annotations

import duckdb

from metrics.errors import DataError
from metrics.store import run, write_transaction

DEFAULT_TIMEZONE = "UTC"


def workspace_timezone(con: duckdb.DuckDBPyConnection) -> str:
    """The zone the workspace counts months in: offset timestamps are converted to it at import (default UTC)."""
    rows = run(con, "store.timezone").fetchall()
    return rows[0][0] if rows and rows[0][0] else DEFAULT_TIMEZONE


def set_workspace_timezone(con: duckdb.DuckDBPyConnection, zone: str) -> str:
    """Set the workspace time zone (an IANA name such as Asia/Shanghai); it applies to imports from now on."""
    zone = str(zone).strip()
    known = run(con, "store.known_timezone", {"zone": zone}).fetchall()[0][0]
    if not known:
        raise DataError(f"unknown time zone '{zone}' (use an IANA name such as UTC, Asia/Shanghai, Europe/Berlin)")
    with write_transaction(con.cursor()) as cur:
        run(cur, "store.set_timezone", {"zone": zone})
    return zone
