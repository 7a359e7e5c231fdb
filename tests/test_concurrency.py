"""One writer, many readers: readers never see a half-imported batch, and a killed import leaves the database
as it was."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import duckdb
from conftest import FIXTURES, ROOT, snapshot

from metrics import ingest
from metrics.store import connect, reader

ROWS = 600_000


def _big_events(path, rows: int = ROWS) -> None:
    duckdb.execute(f"""COPY (SELECT 'A1' AS account_id, 'u' || (i % 400) AS user_id,
                                    TIMESTAMP '2025-01-01' + to_seconds(i * 37) AS event_time,
                                    'F' || (i % 25) AS feature, 30 AS duration_seconds, 1 AS units
                             FROM range({rows}) AS t(i)) TO '{path}' (HEADER)""")


def test_readers_see_either_none_or_all_of_a_batch_while_it_imports(tmp_path):
    con = connect(tmp_path / "c.duckdb")
    ingest.import_file(con, FIXTURES / "accounts.csv")
    _big_events(tmp_path / "events.csv")
    seen: list[tuple[int, int, int]] = []
    stop = threading.Event()

    def read() -> None:
        cur = reader(con)  # what the app's pages use
        while not stop.is_set():
            seen.append(cur.execute(
                """SELECT (SELECT CAST(coalesce(sum(units), 0) AS BIGINT) FROM events),
                          (SELECT CAST(coalesce(sum(events), 0) AS BIGINT) FROM account_month),
                          (SELECT count(*) FROM imports WHERE kind = 'events')""").fetchall()[0])

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    result = ingest.import_file(con, tmp_path / "events.csv")
    time.sleep(0.2)
    stop.set()
    for thread in readers:
        thread.join()
    assert result.rows_loaded == ROWS
    # reads happened before and after the import, and each saw all of it or none of it
    assert set(seen) == {(0, 0, 0), (ROWS, ROWS, 1)}, sorted(set(seen))


class _SlowCursor:
    """Stands in for a DuckDB cursor: records when each statement starts and ends, and a COMMIT takes until
    `release` is set, so the order of a commit and a reader's statement is decided by the gate, not by timing."""

    def __init__(self, log: list[str], release: threading.Event | None = None) -> None:
        self.log, self.release = log, release

    def execute(self, query: str, parameters: object = None) -> None:
        self.log.append(f"start {query}")
        if self.release is not None:
            self.release.wait(5)
        self.log.append(f"end {query}")


def test_a_reader_statement_never_starts_during_a_commit_and_a_commit_waits_for_running_statements():
    """The gate (store.commit and store.Reader) deterministically: the race test above catches a missing gate only
    when a read happens to fall into a COMMIT's milliseconds."""
    from metrics.store import Reader, commit

    log: list[str] = []
    release = threading.Event()
    committer = threading.Thread(target=commit, args=(_SlowCursor(log, release),))
    committer.start()
    while "start COMMIT" not in log:
        time.sleep(0.001)
    reading = threading.Thread(target=Reader(_SlowCursor(log)).execute, args=("SELECT",))  # type: ignore[arg-type]
    reading.start()
    time.sleep(0.1)  # the reader is now waiting at the gate (without it, it would have run)
    release.set()
    committer.join()
    reading.join()
    assert log == ["start COMMIT", "end COMMIT", "start SELECT", "end SELECT"]

    log.clear()
    release.clear()
    reading = threading.Thread(target=Reader(_SlowCursor(log, release)).execute, args=("SELECT",))  # type: ignore
    reading.start()
    while "start SELECT" not in log:
        time.sleep(0.001)
    committer = threading.Thread(target=commit, args=(_SlowCursor(log),))
    committer.start()
    time.sleep(0.1)
    release.set()
    reading.join()
    committer.join()
    assert log == ["start SELECT", "end SELECT", "start COMMIT", "end COMMIT"]


def test_an_import_killed_midway_leaves_the_database_as_before(tmp_path):
    db = tmp_path / "k.duckdb"
    con = connect(db)
    ingest.import_file(con, FIXTURES / "accounts.csv")
    before = snapshot(con)
    con.close()
    _big_events(tmp_path / "events.csv", rows=4 * ROWS)  # big enough to still be importing when killed
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from metrics import ingest
        from metrics.store import connect
        con = connect({str(db)!r})
        print("ready", flush=True)
        ingest.import_file(con, {str(tmp_path / 'events.csv')!r})
        print("done", flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.8)
    proc.kill()
    rest = proc.communicate()[0]
    assert "done" not in rest, "the import finished before it could be killed; make the file bigger"
    con = connect(db)
    assert snapshot(con) == before


def _accounts_file(path, prefix: str, n: int) -> None:
    rows = "\n".join(f"{prefix}{i},{prefix} company {i},Retail,EMEA,SMB,10" for i in range(n))
    path.write_text("account_id,account_name,industry,region,segment,seats\n" + rows + "\n", encoding="utf-8")


def _events_file(path, prefix: str, n: int) -> None:
    rows = "\n".join(f"{prefix}{i % 20},{prefix}-user{i},2025-03-0{1 + i % 9} 10:00:00,{prefix}-feature{i % 3},60,1"
                     for i in range(n))
    path.write_text("account_id,user_id,event_time,feature,duration_seconds,units\n" + rows + "\n", encoding="utf-8")


def _keys_are_unique(con) -> None:
    for table, key, natural in (("account", "account_key", "account_id"), ("users", "user_key", "account_key, user_id"),
                                ("feature", "feature_key", "feature")):
        assert con.execute(f"SELECT count(*) - count(DISTINCT {key}) FROM {table}").fetchall()[0][0] == 0, table
        assert con.execute(f"SELECT count(*) - count(DISTINCT ({natural})) FROM {table}").fetchall()[0][0] == 0, table


def test_imports_from_many_sessions_at_once_give_every_account_user_and_feature_its_own_key(tmp_path):
    con = connect(tmp_path / "t.duckdb")
    prefixes = [f"P{p}-" for p in range(6)]
    for prefix in prefixes:
        _accounts_file(tmp_path / f"{prefix}accounts.csv", prefix, 300)
        _events_file(tmp_path / f"{prefix}events.csv", prefix, 3000)
    errors: list[BaseException] = []

    def run(prefix: str) -> None:  # one app session: its own cursor, accounts then their events
        try:
            ingest.import_file(con.cursor(), tmp_path / f"{prefix}accounts.csv")
            ingest.import_file(con.cursor(), tmp_path / f"{prefix}events.csv")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in prefixes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    _keys_are_unique(con)
    assert con.execute("SELECT count(*) FROM account").fetchall()[0][0] == 6 * 300
    # every account's events stayed with that account: user ids carry their account's prefix
    assert con.execute("""SELECT count(*) FROM users AS u JOIN account AS a USING (account_key)
                          WHERE NOT starts_with(u.user_id, split_part(a.account_id, '-', 1))""").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM users").fetchall()[0][0] == 6 * 3000


def test_two_cli_imports_at_once_wait_for_each_other_and_both_land(tmp_path):
    db = tmp_path / "p.duckdb"
    for prefix in ("X-", "Y-"):
        _accounts_file(tmp_path / f"{prefix}accounts.csv", prefix, 2000)
        _events_file(tmp_path / f"{prefix}events.csv", prefix, 20000)
    procs = [subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "import", str(tmp_path / f"{p}accounts.csv"),
                               str(tmp_path / f"{p}events.csv"), "--db", str(db)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in ("X-", "Y-")]
    outs = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outs
    con = connect(db)
    _keys_are_unique(con)
    assert con.execute("SELECT count(*) FROM account").fetchall() == [(4000,)]
    assert con.execute("SELECT count(*) FROM events").fetchall() == [(40000,)]


def test_a_database_held_by_another_process_gives_one_message_after_waiting(tmp_path):
    db = tmp_path / "h.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
                               "print('held', flush=True); time.sleep(30)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "accounts", "--db", str(db)],
                              capture_output=True, text=True, env={**__import__("os").environ,
                                                                   "VALUELENS_LOCK_WAIT": "1"})
    finally:
        holder.kill()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"h.duckdb: the database is in use by process {holder.pid}" in done.stderr


def test_one_script_run_at_a_time_and_long_work_lets_the_others_run():
    """app.py runs each page inside ui.session.run_slot (one run at a time per process: twenty threads at once
    thrashed the interpreter lock); an import or every account's export runs inside long_work, which gives the
    slot back so that the other sessions' runs are not queued behind it for minutes."""
    from ui.session import long_work, run_slot

    order: list[str] = []
    inside, second_done = threading.Event(), threading.Event()

    def other_session() -> None:
        inside.wait(5)
        with run_slot():
            order.append("other run")
        second_done.set()

    thread = threading.Thread(target=other_session)
    thread.start()
    with run_slot():
        inside.set()
        assert not second_done.wait(0.3)  # the slot is held: the other run waits
        with long_work():
            assert second_done.wait(5)  # ...until this run does long work
            order.append("long work")
        order.append("run resumed")
    thread.join(5)
    assert order == ["other run", "long work", "run resumed"]
    with long_work():  # outside a run (the CLI, a test): nothing to give back
        pass


def test_app_processes_read_snapshots_while_another_process_writes_the_database(tmp_path):
    """serve.py's app processes: DuckDB lets many processes read a file only when none writes it, so they read
    snapshots (read-only copies) and a write opens the database file itself and publishes a new snapshot. A
    process holding a snapshot open does not stop another process's import; its own snapshot stays whole and
    unchanged; a failed write publishes nothing."""
    from metrics.store import connect_snapshot, current_snapshot, publish_snapshot

    primary = tmp_path / "v.duckdb"
    con = connect(primary)
    ingest.import_file(con, FIXTURES / "accounts.csv")
    con.close()
    first = publish_snapshot(primary)
    assert current_snapshot(primary) == first
    held = connect_snapshot(first)  # this process reads, as an app process does
    count = "SELECT count(*) FROM events"
    assert held.execute(count).fetchall() == [(0,)]
    write = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from metrics import ingest
        from metrics.store import primary_writer
        with primary_writer({str(primary)!r}) as con:
            ingest.import_file(con, sys.argv[1])
    """)
    done = subprocess.run([sys.executable, "-c", write, str(FIXTURES / "events.csv")], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    second = current_snapshot(primary)
    assert second != first
    loaded = connect_snapshot(second).execute(count).fetchall()[0][0]
    assert loaded > 0
    assert held.execute(count).fetchall() == [(0,)]  # the snapshot it holds did not change under it
    failed = subprocess.run([sys.executable, "-c", write, str(FIXTURES / "not_a_csv.csv")], capture_output=True,
                            text=True, timeout=120)
    assert failed.returncode != 0 and "DataError" in failed.stderr
    assert current_snapshot(primary) == second  # nothing published
