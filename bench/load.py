"""A CS team at quarter end: many Streamlit sessions rerunning the account report at once, at the protocol level.

Run: python bench/load.py [--sessions 1,5,10,20,40] [--runs 12] [--processes N] [--downloads]
     python bench/load.py --url http://127.0.0.1:8501 ...   (against an app that is already running)

Without --url it starts the app itself on the embedded demo data (a temporary database) and stops it at the end:
with --processes 1 (the default) as the README's first command does (`streamlit run app.py`, the repository's
.streamlit/config.toml); with more, as the README's deployment section does (`python serve.py --processes N`).
Like a browser, a session first loads the page (whose response sets HAProxy's cookie naming its app process) and
sends that cookie with its websocket and its downloads.

Each session is a websocket client speaking Streamlit's own protocol (BackMsg / ForwardMsg protobufs on
/_stcore/stream, no browser): it asks for a rerun of the account report with ?account=<id> and waits for the run's
`script_finished`, for four accounts in turn, `--runs` times. A run counts as an error when it does not finish
successfully, shows an exception, or takes more than 30 s. With --downloads every session also fetches the Excel
report and the QBR deck of its account once, midway, as the browser does for a deferred download button (a
backend_operation_request for the button's file, then an HTTP GET of the URL it answers), and checks that each is a
zip (xlsx and pptx are). All sessions are warmed by one run first (caches filled, as after a team's first look).

With --kill-after S (and --processes 2 or more) one app process is killed (kill -9) S seconds into each level, as a
crash would: a session whose connection closes does what the browser does, loads the page again (HAProxy sends it
to a live process) and opens a new websocket; the runs that lost their connection are counted, and those lost later
than WINDOW seconds after the kill (the time HAProxy takes to take a process out) printed apart.

Printed per level of concurrency: runs, errors, p50 / p95 / max seconds of a run, runs per second, the server's
CPU seconds per run (its processes, from /proc; with --url only given --pid), and each as a ratio to the level of
one session alone (measured in the same run).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from serve import wait_healthy  # noqa: E402

WINDOW = 3.0  # seconds after a kill -9 within which HAProxy has taken the process out (tests/test_serve.py)
ACCOUNTS = ("A001", "A002", "A003", "A004")  # demo accounts; each session walks them in turn, from its own start
RUN_TIMEOUT = 30.0


class Session:
    """One browser tab, as far as the server can tell."""

    def __init__(self, base: str, first: int) -> None:
        self.base, self.first = base, first
        self.times: list[float] = []
        self.errors: list[str] = []
        self.downloads: list[str] = []  # "xlsx ok 41234 bytes" / "pptx failed: ..."
        self._ws = None
        self._pending: dict[str, asyncio.Future] = {}
        self._run_done: asyncio.Future | None = None
        self._exception = False
        self.session_id = ""
        self.cookie = ""
        self._deferred: dict[str, str] = {}  # download button label suffix -> deferred file id
        self.lost: list[float] = []  # when a run failed because the connection closed (epoch seconds)

    async def __aenter__(self) -> "Session":
        url = urlparse(self.base)
        page = await asyncio.to_thread(lambda: urllib.request.urlopen(self.base + "/", timeout=60))
        self.cookie = "; ".join(c.split(";")[0] for c in page.headers.get_all("Set-Cookie") or [])
        self._ws = await connect(f"ws://{url.netloc}/_stcore/stream", subprotocols=["streamlit"], max_size=None,
                                 open_timeout=60, ping_interval=None,
                                 additional_headers={"Cookie": self.cookie} if self.cookie else None)
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc) -> None:
        self._reader.cancel()
        await self._ws.close()

    async def _read(self) -> None:
        try:
            await self._read_all()
        except ConnectionClosed:
            pass
        if self._run_done and not self._run_done.done():  # a run in flight ends with its connection
            self._run_done.set_exception(ConnectionError("the connection closed"))

    async def _read_all(self) -> None:
        async for data in self._ws:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    self._exception = True
                elif which == "download_button" and element.download_button.deferred_file_id:
                    self._deferred[element.download_button.id] = element.download_button.deferred_file_id
            elif kind == "script_finished" and self._run_done and not self._run_done.done():
                self._run_done.set_result(msg.script_finished)
            elif kind == "backend_operation_response":
                future = self._pending.pop(msg.backend_operation_response.request_id, None)
                if future and not future.done():
                    future.set_result(msg.backend_operation_response)

    async def reconnect(self) -> None:
        """What a browser does when its connection drops (its process died): load the page again (HAProxy sends it
        to a live process and names that one in a new cookie) and open a new websocket, where the page reruns."""
        self._reader.cancel()
        try:
            await self._ws.close()
        except Exception:  # noqa: BLE001 - the connection is already gone
            pass
        deadline = time.time() + 60
        while True:  # Streamlit's page retries with a pause, as here
            try:
                await self.__aenter__()
                return
            except OSError:  # urllib's HTTPError (a 502 while HAProxy takes the process out) is one
                if time.time() > deadline:
                    raise
                await asyncio.sleep(0.5)

    async def rerun(self, account_id: str) -> None:
        msg = BackMsg()
        msg.rerun_script.query_string = f"account={account_id}"
        self._exception = False
        self._run_done = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        try:
            await self._ws.send(msg.SerializeToString())
            status = await asyncio.wait_for(self._run_done, RUN_TIMEOUT)
        except asyncio.TimeoutError:
            self.errors.append(f"{account_id}: no script_finished within {RUN_TIMEOUT:.0f} s")
            self.times.append(RUN_TIMEOUT)
            return
        except (ConnectionError, OSError, ConnectionClosed) as exc:  # the process died: reconnect, as a browser
            self.lost.append(time.time())
            self.errors.append(f"{account_id}: connection lost ({type(exc).__name__})")
            self.times.append(time.perf_counter() - started)
            await self.reconnect()
            return
        self.times.append(time.perf_counter() - started)
        if status != ForwardMsg.FINISHED_SUCCESSFULLY:
            self.errors.append(f"{account_id}: script finished with status {status}")
        elif self._exception:
            self.errors.append(f"{account_id}: the page showed an exception")

    async def download(self, fmt: str) -> None:
        """Ask for the deferred file of the download button keyed dl-<fmt>, then GET it."""
        file_id = next((v for k, v in self._deferred.items() if k.endswith(f"dl-{fmt}")), None)
        if file_id is None:
            self.downloads.append(f"{fmt} failed: no download button")
            return
        msg = BackMsg()
        request_id = f"{id(self)}-{fmt}-{time.monotonic_ns()}"
        msg.backend_operation_request.request_id = request_id
        msg.backend_operation_request.session_id = self.session_id
        msg.backend_operation_request.deferred_file.file_id = file_id
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        started = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        try:
            answer = await asyncio.wait_for(future, 120)
        except asyncio.TimeoutError:
            self.downloads.append(f"{fmt} failed: no answer within 120 s")
            return
        if answer.error_msg:
            self.downloads.append(f"{fmt} failed: {answer.error_msg}")
            return
        url = answer.deferred_file.url
        request = urllib.request.Request(self.base + url, headers={"Cookie": self.cookie} if self.cookie else {})
        try:
            body = await asyncio.to_thread(lambda: urllib.request.urlopen(request, timeout=120).read())
        except OSError as exc:  # urllib's HTTPError (a 404) is one
            self.downloads.append(f"{fmt} failed: GET {url}: {exc}")
            return
        ok = body[:2] == b"PK"
        self.downloads.append(f"{fmt} {'ok' if ok else 'failed: not a zip'} {len(body)} bytes "
                              f"{time.perf_counter() - started:.2f} s")


async def one_session(base: str, first: int, runs: int, downloads: bool, ready: asyncio.Barrier) -> Session:
    async with Session(base, first) as s:
        await s.rerun(ACCOUNTS[first % len(ACCOUNTS)])  # warm-up run, not counted
        s.times.clear()
        s.errors.clear()
        await ready.wait()
        for i in range(runs):
            await s.rerun(ACCOUNTS[(first + i) % len(ACCOUNTS)])
            if downloads and i == runs // 2:
                await asyncio.gather(s.download("xlsx"), s.download("pptx"))
        return s


async def level(base: str, sessions: int, runs: int, downloads: bool, pid: int | None = None,
                kill: tuple[float, Path] | None = None) -> dict:
    """`sessions` at once, each `runs` counted runs; `kill`: (seconds, serve.py's folder): kill -9 its first app
    process that long into the level, and count the runs that failed later than WINDOW seconds after it."""
    ready = asyncio.Barrier(sessions + 1)
    tasks = [asyncio.create_task(one_session(base, i, runs, downloads, ready)) for i in range(sessions)]
    await ready.wait()
    killed: list[float] = []
    if kill is not None:
        async def killer() -> None:
            await asyncio.sleep(kill[0])
            pid = await asyncio.to_thread(app_pid, kill[1], "app0")
            if pid <= 0:  # never os.kill(0): that is this process group
                raise SystemExit("app0 is not running: nothing to kill")
            os.kill(pid, signal.SIGKILL)
            killed.append(time.time())
        asyncio.create_task(killer())
    started, cpu = time.perf_counter(), server_cpu(pid)
    done = await asyncio.gather(*tasks)
    wall = time.perf_counter() - started
    cpu = None if cpu is None or kill is not None else server_cpu(pid) - cpu  # a killed process takes its CPU along
    times = sorted(t for s in done for t in s.times)
    errors = [e for s in done for e in s.errors]
    files = [d for s in done for d in s.downloads]
    lost = [t for s in done for t in s.lost]
    late = [t for t in lost if killed and t > killed[0] + WINDOW]
    return {"sessions": sessions, "runs": len(times), "errors": len(errors), "error_examples": errors[:3],
            "lost": len(lost), "lost_after_window": len(late) if killed else None,
            "p50": statistics.median(times), "p95": times[min(len(times) - 1, int(0.95 * len(times)))],
            "max": times[-1], "per_second": len(times) / wall, "downloads": files,
            "cpu_per_run": None if cpu is None else cpu / len(times)}


def server_cpu(pid: int | None) -> float | None:
    """CPU seconds used so far by process `pid` and its descendants (Linux /proc), None without a pid."""
    if pid is None:
        return None
    ticks, children = 0, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(stat.parent.name), int(fields[11]) + int(fields[12])))
    todo, seen = [pid], {pid}
    own = {p: t for kids in children.values() for p, t in kids}
    while todo:
        current = todo.pop()
        ticks += own.get(current, 0)
        for kid, _ in children.get(current, []):
            if kid not in seen:
                seen.add(kid)
                todo.append(kid)
    return ticks / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_pid(serve_dir: Path, program: str) -> int:
    """The process id of one of serve.py's programs (app0, haproxy...), from supervisord; 0 when it is not running."""
    out = subprocess.run([sys.executable, "-m", "supervisor.supervisorctl", "-c", str(serve_dir / "supervisord.conf"),
                          "pid", program], capture_output=True, text=True, timeout=30)
    return int(out.stdout.strip()) if out.stdout.strip().isdigit() else 0


def start_app(processes: int, *options: str) -> tuple[subprocess.Popen, str]:
    """The app on a free port with a temporary database: `streamlit run app.py` for one process, else serve.py
    (HAProxy and supervised app processes; `options` are serve.py's); (its process, its URL) once every process
    answers its health check."""
    port = _free_port()
    folder = Path(tempfile.mkdtemp())
    env = dict(os.environ, VALUELENS_DB=str(folder / "load.duckdb"), VALUELENS_SERVE_DIR=str(folder / "serve"))
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1"] if processes == 1 else \
        [sys.executable, "serve.py", "--port", str(port), "--processes", str(processes), *options]
    app = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    app.serve_dir = folder / "serve"  # type: ignore[attr-defined]  # serve.py's configurations and logs
    try:
        wait_healthy([base] + [f"http://127.0.0.1:{port + 1 + i}" for i in range(processes if processes > 1 else 0)])
    except SystemExit:
        app.kill()
        raise
    return app, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,5,10,20,40")
    parser.add_argument("--runs", type=int, default=12, help="counted runs per session")
    parser.add_argument("--processes", type=int, default=1, help="app processes (serve.py) when it starts the app")
    parser.add_argument("--downloads", action="store_true", help="each session also downloads xlsx and pptx")
    parser.add_argument("--url", help="an app already running, e.g. http://127.0.0.1:8501")
    parser.add_argument("--pid", type=int, help="with --url: the app's process id, to print its CPU per run")
    parser.add_argument("--kill-after", type=float, metavar="S",
                        help="with --processes 2 or more: kill -9 one app process S seconds into each level; runs "
                             "lost after the reconnect window are printed")
    args = parser.parse_args()
    app, base = (None, args.url.rstrip("/")) if args.url else start_app(args.processes)
    try:
        asyncio.run(_warm(base))
        pid = app.pid if app is not None else args.pid
        kill = (args.kill_after, app.serve_dir) if args.kill_after is not None and app is not None else None
        results = []
        for n in args.sessions.split(","):
            results.append(asyncio.run(level(base, int(n), args.runs, args.downloads, pid, kill)))
            if kill is not None:  # the killed process back (supervisord) before the next level
                wait_healthy([f"{base.rsplit(':', 1)[0]}:{int(base.rsplit(':', 1)[1]) + 1}"])
                time.sleep(3)
    finally:
        if app is not None:
            app.terminate()
            app.wait(30)
    alone = results[0]
    print(f"{'sessions':>8} {'runs':>5} {'errors':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'runs/s':>7} "
          f"{'CPU s/run':>9}   ratios to {alone['sessions']} session(s): p50 / p95 / runs/s")
    for r in results:
        cpu = "" if r["cpu_per_run"] is None else f"{r['cpu_per_run']:.3f}"
        print(f"{r['sessions']:>8} {r['runs']:>5} {r['errors']:>6} {r['p50']:>7.3f} {r['p95']:>7.3f} {r['max']:>7.3f} "
              f"{r['per_second']:>7.2f} {cpu:>9}   {r['p50'] / alone['p50']:.2f} / {r['p95'] / alone['p95']:.2f} / "
              f"{r['per_second'] / alone['per_second']:.2f}")
        if r["lost_after_window"] is not None:
            print(f"{'':>8} one app process killed: {r['lost']} runs lost their connection, "
                  f"{r['lost_after_window']} of them later than {WINDOW:.0f} s after the kill")
        for e in r["error_examples"]:
            print(f"{'':>8} error: {e}")
        if r["downloads"]:
            ok = sum(" ok " in d for d in r["downloads"])
            print(f"{'':>8} downloads: {ok} of {len(r['downloads'])} ok; e.g. {r['downloads'][0]}")
            for d in [d for d in r["downloads"] if " ok " not in d][:3]:
                print(f"{'':>8} {d}")


async def _warm(base: str) -> None:
    """Fill the server's caches once, as a team's first look does: every demo account walked by eight sessions
    (spread over serve.py's processes by its cookie, so that each process has seen every account)."""
    async def walk(first: int) -> None:
        async with Session(base, first) as s:
            for i in range(len(ACCOUNTS)):
                await s.rerun(ACCOUNTS[(first + i) % len(ACCOUNTS)])
    await asyncio.gather(*(walk(i) for i in range(8)))


if __name__ == "__main__":
    main()
