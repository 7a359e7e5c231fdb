"""DuckDB connection, schema, the named-query helper and the domain error."""
from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Iterator, Mapping

import duckdb
import pandas as pd

from metrics.errors import DataError  # noqa: F401  (re-exported: the store raises it, callers catch it from here too)

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = Path(__file__).resolve().parent / "sql"
DEFAULT_DB = ROOT / "data" / "valuelens.duckdb"


def db_path(path: str | Path | None = None) -> Path:
    """The database file: the argument, else $VALUELENS_DB, else data/valuelens.duckdb."""
    return Path(path or os.environ.get("VALUELENS_DB") or DEFAULT_DB)


MEMORY_CAP_MB = 700  # the default memory limit: at most this, at least MEMORY_FLOOR_MB, else a quarter of the machine
MEMORY_FLOOR_MB = 256


def machine_memory_mb() -> int:
    """The memory this process may use: the machine's, or the container's limit (cgroup v2) when lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            total = min(total, int(limit))
    except OSError:
        pass
    return total // 2**20


def default_memory_limit() -> str:
    """DuckDB's memory limit when $VALUELENS_MEMORY_LIMIT is not set: a quarter of the machine's memory, between
    256 and 700 MB. DuckDB spills to the temp directory beyond it, so a 10M-event import peaks under 1 GB of the
    process's memory (bench/RESULTS.md) and the app, an import and the OS share a small server; DuckDB's own
    default (80 % of the machine) would take 3 GB for the same import."""
    return f"{min(MEMORY_CAP_MB, max(MEMORY_FLOOR_MB, machine_memory_mb() // 4))}MB"


def temp_directory(target: str) -> str:
    """Where DuckDB spills: $VALUELENS_TEMP_DIR, else beside the database file (<file>.tmp, DuckDB's own choice),
    else (an in-memory database) the system's temp directory."""
    if os.environ.get("VALUELENS_TEMP_DIR"):
        return os.environ["VALUELENS_TEMP_DIR"]
    if target == ":memory:":
        return str(Path(tempfile.gettempdir()) / "valuelens-spill")
    return target + ".tmp"


LOCK_WAIT_SECONDS = 60.0  # how long a process waits for another one holding the database file ($VALUELENS_LOCK_WAIT)


def connect(path: str | Path | None = None, *, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a ValueLens database; ':memory:' gives a throwaway one.

    DuckDB lets one process hold a database file. While another process holds it (an import from a second
    terminal, the app), this waits up to `wait` seconds ($VALUELENS_LOCK_WAIT, default 60) and then raises
    DataError naming that process, never a traceback.
    """
    target = ":memory:" if str(path) == ":memory:" else str(db_path(path))
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    if wait is None:
        wait = float(os.environ.get("VALUELENS_LOCK_WAIT") or LOCK_WAIT_SECONDS)
    deadline, pause = time.monotonic() + wait, 0.05
    while True:
        try:
            con = duckdb.connect(target)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise DataError(f"{Path(target).name}: cannot open the database: {str(exc).splitlines()[0]}") from exc
            if time.monotonic() >= deadline:
                pid = re.search(r"PID (\d+)", str(exc))
                holder = f"process {pid.group(1)}" if pid else "another process"
                raise DataError(f"{Path(target).name}: the database is in use by {holder} (the app, or another "
                                f"import); waited {wait:g} s. Try again when it has finished, or stop the app "
                                "for large imports.") from exc
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
    run(con, "store.session")
    # $VALUELENS_MEMORY_LIMIT: e.g. "2GB"; "duckdb" keeps DuckDB's own default (80 % of the machine)
    limit = os.environ.get("VALUELENS_MEMORY_LIMIT") or default_memory_limit()
    if limit.lower() != "duckdb":
        run(con, "store.memory_limit", {"limit": limit})
    run(con, "store.temp_directory", {"path": temp_directory(target)})
    con.execute(sql("schema"))
    return con


@cache
def _sections(file: str) -> dict[str, str]:
    """The named statements of metrics/sql/<file>.sql: each starts with a line `-- name: <section>` (as aiosql
    writes them) and runs to the next one."""
    parts = re.split(r"^-- name: (\w+)[ \t]*$", (SQL_DIR / f"{file}.sql").read_text(encoding="utf-8"), flags=re.M)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


@cache
def sql(name: str) -> str:
    """The text of metrics/sql/<name>.sql, or for "file.section" the statement named `section` in
    metrics/sql/<file>.sql. Values go in as $named parameters, never into the text."""
    file, _, section = name.partition(".")
    if section:
        return _sections(file)[section]
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def sql_with(name: str, **parts: str) -> str:
    """sql(name) with its {{part}} placeholders filled: identifiers (quoted by contract._ident, or taken from the
    code's own contract) and SQL built from them, for what a parameter cannot be: a table or column name, a
    column list. Never a value from a file: values are $named parameters."""
    text = sql(name)
    for key, part in parts.items():
        if "{{" + key + "}}" not in text:
            raise KeyError(f"{name} has no {{{{{key}}}}}")
        text = text.replace("{{" + key + "}}", part)
    if "{{" in text:
        raise KeyError(f"{name}: unfilled {text[text.index('{{'):].split('}}')[0]}}}}}")
    return text


def run(cur, name: str, params: Mapping[str, object] | None = None, **parts: str):
    """Execute the statements of sql(name) (filled by sql_with when `parts` are given) in order, each with the
    $named parameters it uses, and return the cursor of the last one (DuckDB binds parameters to one statement)."""
    text = sql_with(name, **parts) if parts else sql(name)
    statements = [s for s in re.split(r";[ \t]*(?:\n|$)", text) if s.strip()]
    for statement in statements:
        used = {k: v for k, v in (params or {}).items() if re.search(rf"\${k}\b", statement)}
        result = cur.execute(statement, used or None)
    return result


def query(con: duckdb.DuckDBPyConnection, name: str, **params: object) -> pd.DataFrame:
    """Run metrics/sql/<name>.sql with $named parameters and return a DataFrame."""
    return con.execute(sql(name), params or None).df()


class _Gate:
    """Statements of this process take turns with commits: many statements at once, or one COMMIT alone.

    DuckDB 2.0 lets a statement that starts while another connection's COMMIT is running see part of that
    transaction (an import's events without their rollups); tests/test_concurrency.py shows it. A COMMIT
    waits for running statements to finish, and new statements wait for the COMMIT, which takes milliseconds.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._statements = 0
        self._committers = 0  # waiting or committing; new statements queue behind them so commits never starve

    @contextmanager
    def statement(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: self._committers == 0)
            self._statements += 1
        try:
            yield
        finally:
            with self._cond:
                self._statements -= 1
                self._cond.notify_all()

    @contextmanager
    def committing(self) -> Iterator[None]:
        with self._cond:
            self._committers += 1
            self._cond.wait_for(lambda: self._statements == 0)
        try:
            yield
        finally:
            with self._cond:
                self._committers -= 1
                self._cond.notify_all()


GATE = _Gate()

# One writer at a time in this process. New integer keys (accounts, users, features) are max + 1 inside the
# writer's transaction and DuckDB has no lock that two transactions taking the same max would meet (they commit
# different rows), so two imports from two sessions of the app must not overlap. Across processes DuckDB's file
# lock already admits one process (see connect).
WRITER = threading.RLock()


class Reader:
    """A cursor whose statements never start in the middle of another connection's COMMIT (see _Gate).

    Everything the app reads goes through one; other methods pass through to the DuckDB cursor.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.raw = cursor

    def execute(self, query: str, parameters: object = None) -> "Reader":
        with GATE.statement():
            self.raw.execute(query, parameters)  # materializes the result, so the snapshot is taken here
        return self

    def cursor(self) -> "Reader":
        return Reader(self.raw.cursor())

    def __getattr__(self, name: str) -> object:
        return getattr(self.raw, name)


def reader(con: duckdb.DuckDBPyConnection) -> Reader:
    """A gated cursor of `con` for this thread."""
    return Reader(con.cursor())


def commit(cur: duckdb.DuckDBPyConnection | Reader) -> None:
    """COMMIT the open transaction of `cur` while no gated statement is running."""
    with GATE.committing():
        run(getattr(cur, "raw", cur), "store.commit")


@contextmanager
def write_transaction(cur: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One writing transaction: taken in turn with the process's other writers (WRITER), committed while no reader
    statement runs (commit), rolled back on any error, which is raised again."""
    with WRITER:
        run(cur, "store.begin")
        try:
            yield cur
            commit(cur)
        except BaseException:
            run(cur, "store.rollback")
            raise


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no account has been imported yet."""
    return bool(run(con, "store.is_empty").fetchall()[0][0])
