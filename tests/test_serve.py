"""serve.py: several app processes behind one port, each browser kept on one process, every process reading
snapshots of the database, and a save in one process seen by the others."""
from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
import urllib.request

import duckdb
import pytest
from conftest import ROOT, run_page

from i18n import STRINGS
from metrics.store import current_snapshot


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def served():
    app, base = _load_bench().start_app(2)  # serve.py with two app processes, a temporary database
    yield base
    app.terminate()
    app.wait(30)


def test_serve_spreads_browsers_over_its_processes_and_keeps_each_on_one(served):
    cookies = [urllib.request.urlopen(served + "/", timeout=30).headers["Set-Cookie"] for _ in range(4)]
    named = [c.split(";")[0] for c in cookies]  # in turn (the fixture's health checks took some turns)
    assert set(named[:2]) == {"vl_proc=0", "vl_proc=1"} and named[2:] == named[:2]
    assert "HttpOnly" in cookies[0]
    kept = urllib.request.urlopen(urllib.request.Request(served + "/", headers={"Cookie": "vl_proc=1"}), timeout=30)
    assert kept.status == 200 and kept.headers["Set-Cookie"] is None  # a browser with its cookie keeps it
    load = _load_bench()

    async def two_sessions() -> list:
        async def one(first: int):
            async with load.Session(served, first) as s:
                await s.rerun("A002")
                await s.download("xlsx")
                return s
        return await asyncio.gather(one(0), one(1))

    sessions = asyncio.run(two_sessions())
    assert {s.cookie for s in sessions} == {"vl_proc=0", "vl_proc=1"}  # one session on each process
    for s in sessions:  # the account report ran, and its Excel download came from the session's own process
        assert not s.errors and len(s.times) == 1
        assert s.downloads and s.downloads[0].startswith("xlsx ok"), s.downloads


def test_a_save_in_an_app_process_writes_the_database_and_every_process_reads_it(tmp_path, monkeypatch):
    """Under serve.py (VALUELENS_SNAPSHOTS=1) the account page reads a snapshot; saving objectives writes the
    database file and publishes a new snapshot, which the next run (of any process) reads."""
    sys.path.insert(0, str(ROOT))
    import serve

    db = tmp_path / "o.duckdb"
    monkeypatch.setenv("VALUELENS_DB", str(db))
    serve.prepare_database()
    first = current_snapshot(db)
    monkeypatch.setenv("VALUELENS_SNAPSHOTS", "1")
    at = run_page(str(db), monkeypatch, "views/account_report.py")
    assert not at.exception
    next(b for b in at.button if b.label == STRINGS["en"]["objectives_save"]).click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [STRINGS["en"]["objectives_saved"].format(version=1)]
    assert current_snapshot(db) != first
    for path in (db, current_snapshot(db)):  # the database file and the snapshot the processes read
        con = duckdb.connect(str(path), read_only=True)
        assert con.execute("SELECT count(DISTINCT version) FROM objective_history").fetchall() == [(1,)]
        con.close()


def test_an_import_from_the_command_line_publishes_a_snapshot_the_app_processes_read(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT))
    import serve

    db = tmp_path / "c.duckdb"
    monkeypatch.setenv("VALUELENS_DB", str(db))
    serve.prepare_database()
    first = current_snapshot(db)
    events = "SELECT count(*) FROM events"
    before = duckdb.connect(str(first), read_only=True).execute(events).fetchall()[0][0]
    done = subprocess.run([sys.executable, "cli.py", "import", str(ROOT / "tests" / "fixtures" / "accounts.csv"),
                           str(ROOT / "tests" / "fixtures" / "events.csv"), "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert current_snapshot(db) != first
    after = duckdb.connect(str(current_snapshot(db)), read_only=True).execute(events).fetchall()[0][0]
    assert after > before
