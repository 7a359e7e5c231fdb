"""DuckDB connection, schema, the named-query helper and the domain error."""
from __future__ import annotations

import fcntl
import os
import re
import shutil
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


MEMORY_CAP_MB = 640  # the default memory limit: at most this, at least MEMORY_FLOOR_MB, else a quarter of the machine
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
    256 and 640 MB. DuckDB spills to the temp directory beyond it, so a 10M- or 50M-event import peaks under 1 GB of
    the process's memory (bench/RESULTS.md: 700 MB let a 50M import reach 1,017-1,030 MB) and the app, an import and
    the OS share a small server; DuckDB's own default (80 % of the machine) would take 3 GB for the same import."""
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
                raise DataError(f"{Path(target).name}: cannot open the database (damaged, not a ValueLens database, or "
                                "not readable)") from exc
            if time.monotonic() >= deadline:
                pid = re.search(r"PID (\d+)", str(exc))
                holder = f"process {pid.group(1)}" if pid else "another process"
                raise DataError(f"{Path(target).name}: the database is in use by {holder} (the app, or another "
                                f"import); waited {wait:g} s. Try again when it has finished, or stop the app "
                                "for large imports.") from exc
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
    _configure(con, target)
    con.execute(sql("schema"))
    return con


def _configure(con: duckdb.DuckDBPyConnection, target: str) -> None:
    """The session's settings of every connection, read-write or a snapshot's: UTC, the memory limit, the spill
    directory."""
    run(con, "store.session")
    # $VALUELENS_MEMORY_LIMIT: e.g. "2GB"; "duckdb" keeps DuckDB's own default (80 % of the machine)
    limit = os.environ.get("VALUELENS_MEMORY_LIMIT") or default_memory_limit()
    if limit.lower() != "duckdb":
        run(con, "store.memory_limit", {"limit": limit})
    run(con, "store.temp_directory", {"path": temp_directory(target)})


# Serving with several app processes (serve.py): DuckDB lets one process open a file read-write, or many open it
# read-only, never both. The app processes read snapshots of the database (copies, read-only); a write (an import,
# a value-model or objectives save, the requirement board) opens the database file itself, one process at a time,
# and publishes a new snapshot that every process reads from its next run on.
SNAPSHOTS_ENV = "VALUELENS_SNAPSHOTS"  # "1": this process reads snapshots (serve.py sets it for its app processes)
SNAPSHOTS_KEPT = 3  # older snapshots are deleted (a process still reading one keeps its open file until it lets go)


def snapshot_mode() -> bool:
    """True in an app process started by serve.py: reads go to snapshots, writes through primary_writer."""
    return os.environ.get(SNAPSHOTS_ENV) == "1"


def snapshot_dir(primary: str | Path) -> Path:
    return Path(f"{primary}.snapshots")


def current_snapshot(primary: str | Path) -> Path:
    """The newest published snapshot of the database `primary`."""
    pointer = snapshot_dir(primary) / "current"
    try:
        return snapshot_dir(primary) / pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise DataError(f"{Path(primary).name}: no snapshot published; start the app with serve.py") from None


def publish_snapshot(primary: str | Path) -> Path:
    """Copy the database file (closed and checkpointed by the caller: no write-ahead log) to a new snapshot and
    point `current` at it; both renames are atomic, so a reader finds the old snapshot or the new one whole."""
    folder = snapshot_dir(primary)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}.duckdb"
    shutil.copyfile(primary, folder / f"{name}.part")
    os.replace(folder / f"{name}.part", folder / name)
    (folder / "current.part").write_text(name, encoding="utf-8")
    os.replace(folder / "current.part", folder / "current")
    for old in sorted(folder.glob("*.duckdb"))[:-SNAPSHOTS_KEPT]:
        old.unlink(missing_ok=True)
    return folder / name


def snapshot_copy(con: duckdb.DuckDBPyConnection, primary: str | Path, folder: Path) -> Path:
    """A read-only copy of the database `primary`, which `con` holds open, for worker processes (a portfolio
    export): checkpointed first, so the file holds every committed change. One writer at a time in this process
    (WRITER), so no write of this process lands during the copy; another process cannot hold the file meanwhile."""
    with WRITER:
        run(con, "store.checkpoint")
        shutil.copyfile(primary, folder / "snapshot.duckdb")
    return folder / "snapshot.duckdb"


def connect_snapshot(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a snapshot (many processes may hold one), with the session's settings."""
    con = duckdb.connect(str(path), read_only=True)
    _configure(con, str(path))
    return con


@contextmanager
def publishing(primary: str | Path) -> Iterator[None]:
    """Around a write to the database file: when serve.py serves it (it has snapshots), one writer at a time
    across processes (an exclusive lock on <database>.snapshots/lock), and on success the file is checkpointed
    and published as the newest snapshot before the lock is released; on failure nothing is published (the
    write rolled back). Without snapshots (the plain app, the CLI alone) it does nothing."""
    folder = snapshot_dir(primary)
    if not folder.is_dir():
        yield
        return
    with open(folder / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
        con = connect(primary)  # the writer's connections are closed by now: this one sees every change
        run(con, "store.checkpoint")
        con.close()
        publish_snapshot(primary)


@contextmanager
def primary_writer(primary: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database file itself, read-write, for one write from an app process under serve.py (see publishing)."""
    snapshot_dir(primary).mkdir(parents=True, exist_ok=True)
    with publishing(primary):
        con = connect(primary)
        try:
            yield con
        finally:
            con.close()


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
