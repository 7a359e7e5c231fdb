"""DuckDB connection, schema, the named-query helper and the domain error."""
from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = Path(__file__).resolve().parent / "sql"
DEFAULT_DB = ROOT / "data" / "valuelens.duckdb"


class DataError(Exception):
    """A problem the user can fix (bad file, missing column, unknown account); the message says where."""


def db_path(path: str | Path | None = None) -> Path:
    """The database file: the argument, else $VALUELENS_DB, else data/valuelens.duckdb."""
    return Path(path or os.environ.get("VALUELENS_DB") or DEFAULT_DB)


def connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a ValueLens database; ':memory:' gives a throwaway one."""
    target = ":memory:" if str(path) == ":memory:" else str(db_path(path))
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(target)
    con.execute(sql("schema"))
    return con


@cache
def sql(name: str) -> str:
    """The text of metrics/sql/<name>.sql."""
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    """Run metrics/sql/<name>.sql with $named parameters and return a DataFrame."""
    return con.execute(sql(name), params or None).df()


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no account has been imported yet."""
    return con.execute("SELECT count(*) FROM account").fetchall()[0][0] == 0
