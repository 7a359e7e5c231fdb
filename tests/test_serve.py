"""serve.py: HAProxy (started for real) in front of supervised app processes: each browser kept on one process,
a killed process's browsers moved to another and the process restarted, slow and half-sent requests timed out
without holding the others, bodies over the upload limit refused, logs bounded; every process reads snapshots of
the database, and a save in one process is seen by the others."""
from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import duckdb
import pytest
from conftest import ROOT, run_page

from i18n import STRINGS
from metrics.store import current_snapshot

sys.path.insert(0, str(ROOT))
import serve  # noqa: E402

pytestmark = pytest.mark.skipif(serve.find_haproxy() is None, reason="HAProxy is not installed (.ci/run installs it)")


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def served():
    """serve.py with two app processes and a temporary database; a request head must be complete in 2 s."""
    app, base = _load_bench().start_app(2, "--head-timeout", "2")
    yield base, app.serve_dir
    app.terminate()
    app.wait(60)


def _get(url: str, cookie: str | None = None) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.headers["Set-Cookie"]
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_serve_spreads_browsers_over_its_processes_and_keeps_each_on_one(served):
    base, _ = served
    deadline = time.time() + 30  # HAProxy takes a process in after two passed health checks (a second apart)
    while len({_get(base + "/")[1] for _ in range(2)}) < 2 and time.time() < deadline:
        time.sleep(0.5)
    cookies = [urllib.request.urlopen(base + "/", timeout=30).headers["Set-Cookie"] for _ in range(4)]
    named = [c.split(";")[0] for c in cookies]  # in turn (roundrobin)
    assert set(named[:2]) == {"vl_proc=app0", "vl_proc=app1"} and named[2:] == named[:2]
    assert "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]
    assert _get(base + "/", "vl_proc=app1") == (200, None)  # a browser with its cookie keeps it
    load = _load_bench()

    async def two_sessions() -> list:
        async def one(first: int):
            async with load.Session(base, first) as s:
                await s.rerun("A002")
                await s.download("xlsx")
                return s
        return await asyncio.gather(one(0), one(1))

    sessions = asyncio.run(two_sessions())
    assert {s.cookie for s in sessions} == {"vl_proc=app0", "vl_proc=app1"}  # one session on each process
    for s in sessions:  # the account report ran, and its Excel download came from the session's own process
        assert not s.errors and len(s.times) == 1
        assert s.downloads and s.downloads[0].startswith("xlsx ok"), s.downloads


def test_half_sent_requests_time_out_without_holding_others_and_large_bodies_are_refused(served):
    base, run = served
    port = int(base.rsplit(":", 1)[1])
    stalled = []
    for _ in range(50):  # half-open clients: a request head never finished
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        stalled.append(s)
    assert _get(base + "/_stcore/health")[0] == 200  # the others are served meanwhile
    stalled[0].settimeout(30)
    assert stalled[0].recv(100).startswith(b"HTTP/1.1 408")  # dropped once the head timeout passed
    for s in stalled:
        s.close()
    limit = serve.upload_limit_bytes()
    big = socket.create_connection(("127.0.0.1", port))
    big.sendall(b"POST /_stcore/upload_file/x/y HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                % (limit + (2 << 20)))
    big.settimeout(30)
    assert big.recv(100).startswith(b"HTTP/1.1 413")  # refused before any of the body is read
    big.close()
    config = (run / "haproxy.cfg").read_text()
    assert f"gt {limit + (1 << 20)}" in config and "timeout http-request 2s" in config
    # logs are bounded: errors only (the 408s), each program's file rotated at 5 MB
    assert "maxconn" in config and "option dontlog-normal" in config
    assert (run / "haproxy.log").stat().st_size < 1 << 20
    supervised = (run / "supervisord.conf").read_text()
    assert supervised.count("stdout_logfile_maxbytes=5MB") == 3 and "logfile_maxbytes=5MB" in supervised


WINDOW = 3.0  # seconds after a kill within which HAProxy has marked the process down (checks: 1 s, fall 2)


def _running(run, program: str) -> bool:
    out = subprocess.run([sys.executable, "-m", "supervisor.supervisorctl", "-c", str(run / "supervisord.conf"),
                          "status", program], capture_output=True, text=True, timeout=30)
    return " RUNNING " in out.stdout


def test_a_killed_app_process_loses_no_browser_and_is_restarted(served):
    base, run = served
    deadline = time.time() + 60  # up past its start (startsecs): a kill now is a crash, not a failed start
    while not _running(run, "app0") and time.time() < deadline:
        time.sleep(0.5)
    before = _load_bench().app_pid(run, "app0")
    assert before > 0  # never os.kill(0): that is this process group
    os.kill(before, signal.SIGKILL)
    killed = time.time()
    deadline, served_again = time.time() + 30, None
    while time.time() < deadline:  # within HAProxy's check (1 s, 2 failures) the browser is moved
        status, cookie = _get(base + "/", "vl_proc=app0")
        if status == 200:
            served_again = cookie
            break
        time.sleep(0.2)
    assert served_again is not None
    time.sleep(max(0.0, killed + WINDOW - time.time()))
    answers = [_get(base + "/", "vl_proc=app0")[0] for _ in range(20)]  # after the window: none fails
    assert answers == [200] * 20
    deadline = time.time() + 60
    while time.time() < deadline:  # supervisord starts it again
        after = _load_bench().app_pid(run, "app0")
        if after and after != before:
            break
        time.sleep(0.5)
    assert after and after != before
    app0 = base.rsplit(":", 1)[0] + f":{int(base.rsplit(':', 1)[1]) + 1}"
    serve.wait_healthy([app0], timeout=60)
    assert "exited: app0 (terminated by SIGKILL; not expected)" in (run / "supervisord.log").read_text()


def test_serve_says_how_to_install_haproxy_when_it_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(serve, "find_haproxy", lambda: None)
    assert serve.main(["--processes", "1"]) == 2
    assert "sudo apt-get install haproxy" in capsys.readouterr().err


def test_the_configuration_is_rendered_for_n_processes_and_haproxy_accepts_it(tmp_path):
    files = serve.render(tmp_path, processes=3, port=9000, address="0.0.0.0", share_port=9100,
                         haproxy=serve.find_haproxy())
    config = files["haproxy.cfg"].read_text()
    assert [line.split()[1:3] for line in config.splitlines() if line.strip().startswith("server ")] == [
        ["app0", "127.0.0.1:9001"], ["app1", "127.0.0.1:9002"], ["app2", "127.0.0.1:9003"]]
    checked = subprocess.run([serve.find_haproxy(), "-c", "-f", str(files["haproxy.cfg"])], capture_output=True,
                             text=True)
    assert checked.returncode == 0, checked.stderr
    supervised = files["supervisord.conf"].read_text()
    assert "[program:share]" in supervised and "--server.port 9100" in supervised
    assert supervised.count("autorestart=true") == 5  # three app processes, HAProxy, share.py


def test_a_save_in_an_app_process_writes_the_database_and_every_process_reads_it(tmp_path, monkeypatch):
    """Under serve.py (VALUELENS_SNAPSHOTS=1) the account page reads a snapshot; saving objectives writes the
    database file and publishes a new snapshot, which the next run (of any process) reads."""
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
