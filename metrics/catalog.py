"""What is stored, for pages and exports to list: accounts, the value model, recent imports, and the data version
every cache key carries. Read only; writing is metrics.ingest's."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from metrics.store import is_empty, sql

__all__ = ["DataVersion", "built_from", "data_version", "feature_names", "is_empty", "list_accounts",
           "list_value_drivers", "recent_imports"]


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes whenever stored data changes: part of every cache key."""
    return con.execute(sql("data_version")).fetchall()[0][0]


def recent_imports(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """The latest imports, newest first."""
    return con.execute(sql("recent_imports"), {"n": limit}).df()


def list_accounts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All accounts with their attributes, by account_id."""
    return con.execute(sql("list_accounts")).df()


def list_value_drivers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The value model: minutes saved per use or work item, by feature."""
    return con.execute(sql("list_value_drivers")).df()


@dataclass(frozen=True)
class DataVersion:
    """What a file was built from: the last import (id and time) and the value-model version in force (0: the
    model as imported, never edited)."""

    import_id: int | None
    imported_at: datetime | None
    value_model_version: int


def built_from(con: duckdb.DuckDBPyConnection) -> DataVersion:
    """The DataVersion of the store as it is now."""
    import_id, at, model = con.execute(sql("built_from")).fetchall()[0]
    return DataVersion(None if import_id is None else int(import_id), at, int(model))


def feature_names(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str | None]]:
    """Each value-model feature's display names (English, Chinese) as the value model holds them (None: none)."""
    frame = list_value_drivers(con)
    return {f: (en if isinstance(en, str) else None, zh if isinstance(zh, str) else None)
            for f, en, zh in zip(frame["feature"], frame["name_en"], frame["name_zh"])}
