"""ValueLens for a whole team: several app processes behind one port.

    python serve.py [--port 8501] [--address 127.0.0.1] [--processes N]

One Streamlit process runs one script at a time and uses about one core (bench/load.py: ~10 account-report runs
a second at 20 sessions on the demo). This starts N of them (default: one per core) on the next ports, each
reading snapshots of the database (metrics.store: DuckDB lets many processes read a file only when none writes
it), and a small proxy on --port that keeps each browser on one process: a browser's first response sets a cookie
(vl_proc) naming its process, and every later connection of that browser (the page's websocket, its downloads and
uploads, which live in that process's memory) goes there. Imports and saves from any process write the database
file itself, one at a time, and publish a new snapshot that every process reads from its next run.

The database ($VALUELENS_DB, default data/valuelens.duckdb) gets the demo data when empty, as `streamlit run
app.py` does. Stop with Ctrl+C or SIGTERM: the app processes stop with it. A single user needs none of this:
`streamlit run app.py` stays the default.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COOKIE = "vl_proc"
_COOKIE_RE = re.compile(rb"^cookie:.*\b" + COOKIE.encode() + rb"=(\d+)", re.I | re.M)
HEAD_LIMIT = 64 * 1024  # bytes of a request's head the proxy reads to route it


def prepare_database() -> None:
    """Create the database (demo data when empty) and publish its first snapshot, before any app process."""
    sys.path.insert(0, str(ROOT))
    from metrics.demo import ensure_demo
    from metrics.store import connect, db_path, publish_snapshot

    con = connect(db_path())
    ensure_demo(con)
    con.close()
    publish_snapshot(db_path())


def start_apps(count: int, first_port: int) -> list[subprocess.Popen]:
    env = dict(os.environ, VALUELENS_SNAPSHOTS="1")
    return [subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless",
                              "true", "--server.address", "127.0.0.1", "--server.port", str(first_port + i)],
                             cwd=ROOT, env=env) for i in range(count)]


def wait_healthy(urls: list[str], timeout: float = 180) -> None:
    """Wait until every Streamlit server at `urls` answers its health check (also bench/load.py's)."""
    deadline = time.time() + timeout
    for url in urls:
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit(f"the app at {url} did not start within {timeout:.0f} s") from None
                time.sleep(0.5)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        sink.close()


class Proxy:
    """Routes each client connection, by its first request's vl_proc cookie, to one app process; a connection
    without the cookie goes to the next process in turn and its first response sets the cookie."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self._turn = itertools.cycle(range(len(ports)))

    async def handle(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        try:
            head = await client_in.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            client_out.close()
            return
        found = _COOKIE_RE.search(head)
        index = int(found.group(1)) if found and int(found.group(1)) < len(self.ports) else None
        new = index is None
        if new:
            index = next(self._turn)
        try:
            app_in, app_out = await asyncio.open_connection("127.0.0.1", self.ports[index], limit=HEAD_LIMIT)
        except OSError:
            client_out.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            client_out.close()
            return
        app_out.write(head)
        await app_out.drain()
        upstream = asyncio.create_task(_pipe(client_in, app_out))
        if new:  # the browser's first response names its process
            try:
                response = await app_in.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                client_out.close()
                upstream.cancel()
                return
            status, _, rest = response.partition(b"\r\n")
            client_out.write(status + b"\r\nSet-Cookie: " + f"{COOKIE}={index}".encode()
                             + b"; Path=/; HttpOnly; SameSite=Lax\r\n" + rest)
        await _pipe(app_in, client_out)
        upstream.cancel()


async def serve(address: str, port: int, ports: list[int]) -> None:
    proxy = Proxy(ports)
    server = await asyncio.start_server(proxy.handle, address, port, limit=HEAD_LIMIT)
    print(f"ValueLens on http://{address}:{port} ({len(ports)} app processes on ports "
          f"{ports[0]}-{ports[-1]})", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    prepare_database()
    ports = [args.port + 1 + i for i in range(args.processes)]
    apps = start_apps(args.processes, ports[0])

    def stop(*_: object) -> None:
        for app in apps:
            app.terminate()
        for app in apps:
            try:
                app.wait(20)
            except subprocess.TimeoutExpired:
                app.kill()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        wait_healthy([f"http://127.0.0.1:{port}" for port in ports])
        asyncio.run(serve(args.address, args.port, ports))
    finally:
        stop()


if __name__ == "__main__":
    main()
