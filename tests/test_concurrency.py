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
