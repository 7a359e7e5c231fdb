"""ValueLens for a whole team: several app processes behind HAProxy, supervised.

    python serve.py [--port 8501] [--address 127.0.0.1] [--processes N] [--share-port 8601]

One Streamlit process runs one script at a time and uses about one core. This starts N of them (default: one per
core) on the ports after --port, each reading snapshots of the database (metrics.store: DuckDB lets many processes
read a file only when none writes it), with HAProxy (the Debian package) on --port in front: a browser's first
response sets a cookie (vl_proc) naming its process, and the browser stays there (its page's websocket, downloads
and uploads live in that process's memory) while the process is up. HAProxy checks each process's /_stcore/health
every second: a dead one is out within about two seconds, its browsers' connections are closed and they reconnect
to another process, where the page reruns. It times out slow and half-sent requests, limits connections per
process and in all, refuses a body larger than the app's upload limit, and logs only errors.

supervisord (Supervisor, from the package registry) runs the app processes and HAProxy, and restarts any that
exits, waiting longer after each failed start; their logs are rotated at 5 MB. `--share-port` also runs share.py,
the customers' value pages, as its own frontend on that port, so a team can expose it alone. The configurations
are deploy/haproxy.cfg and deploy/supervisord.conf, rendered for N processes into the run folder
($VALUELENS_SERVE_DIR, default data/serve).

The database ($VALUELENS_DB, default data/valuelens.duckdb) gets the demo data when empty, as `streamlit run
app.py` does. Stop with Ctrl+C or SIGTERM: supervisord stops everything it runs. A single user needs none of this:
`streamlit run app.py` stays the default.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
COOKIE = "vl_proc"
INSTALL = "sudo apt-get install haproxy"
MAXCONN_PER_PROCESS = 200  # browsers' websockets and requests an app process takes at once; more wait in a queue


def prepare_database() -> None:
    """Create the database (demo data when empty) and publish its first snapshot, before any app process."""
    sys.path.insert(0, str(ROOT))
    from metrics.demo import ensure_demo
    from metrics.store import connect, db_path, publish_snapshot

    con = connect(db_path())
    ensure_demo(con)
    con.close()
    publish_snapshot(db_path())


def upload_limit_bytes() -> int:
    """The app's upload limit (.streamlit/config.toml server.maxUploadSize, in MB), in bytes."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    return int(config.get("server", {}).get("maxUploadSize", 200)) << 20


def render(run: Path, *, processes: int, port: int, address: str, share_port: int | None, haproxy: str,
           head_timeout: int = 10, client_timeout: int = 60) -> dict[str, Path]:
    """deploy/haproxy.cfg and deploy/supervisord.conf for `processes` app processes, written into `run`."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(ROOT / "deploy"), undefined=StrictUndefined, keep_trailing_newline=True,
                      autoescape=False)
    servers = [(f"app{i}", port + 1 + i) for i in range(processes)]
    values = {"servers": servers, "address": address, "port": port, "run": str(run), "root": str(ROOT),
              "python": sys.executable, "haproxy": haproxy, "share_port": share_port,
              "maxconn_per_process": MAXCONN_PER_PROCESS, "maxconn_total": MAXCONN_PER_PROCESS * processes + 100,
              # the multipart's own headers ride on top of the file
              "max_body": upload_limit_bytes() + (1 << 20), "head_timeout": head_timeout,
              "client_timeout": client_timeout}
    run.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in ("haproxy.cfg", "supervisord.conf"):
        out[name] = run / name
        out[name].write_text(env.get_template(name).render(**values), encoding="utf-8")
    return out


def wait_healthy(urls: list[str], timeout: float = 180) -> None:
    """Wait until every server at `urls` answers its health check (also bench/load.py's)."""
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


def find_haproxy() -> str | None:
    """The haproxy binary: on the PATH, or where Debian puts it (/usr/sbin is not on every user's PATH)."""
    return shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
                                            if Path(p).exists()), None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--share-port", type=int, help="also serve share.py (the customers' pages) on this port")
    parser.add_argument("--head-timeout", type=int, default=10,
                        help="seconds a client has to send a request's head (slow or half-sent ones are dropped)")
    parser.add_argument("--client-timeout", type=int, default=60, help="seconds a client may stay silent")
    args = parser.parse_args(argv)
    haproxy = find_haproxy()
    if haproxy is None:
        print(f"error: serve.py needs HAProxy in front of the app processes; install it with `{INSTALL}` "
              "(one user needs none of this: `streamlit run app.py`)", file=sys.stderr)
        return 2
    if args.processes < 1:
        print("error: --processes: at least 1", file=sys.stderr)
        return 2
    prepare_database()
    run = Path(os.environ.get("VALUELENS_SERVE_DIR", ROOT / "data" / "serve"))
    files = render(run, processes=args.processes, port=args.port, address=args.address, share_port=args.share_port,
                   haproxy=haproxy, head_timeout=args.head_timeout, client_timeout=args.client_timeout)
    checked = subprocess.run([haproxy, "-c", "-q", "-f", str(files["haproxy.cfg"])], capture_output=True, text=True)
    if checked.returncode:
        print(f"error: HAProxy refused {files['haproxy.cfg']}: {checked.stderr.strip()}", file=sys.stderr)
        return 2
    supervisor = subprocess.Popen([sys.executable, "-m", "supervisor.supervisord", "-c",
                                   str(files["supervisord.conf"])], cwd=ROOT,
                                  env=dict(os.environ, VALUELENS_SNAPSHOTS="1"))

    def stop(*_: object) -> None:
        supervisor.send_signal(signal.SIGTERM)  # supervisord stops HAProxy and the app processes, then exits

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ports = [args.port + 1 + i for i in range(args.processes)]
    try:
        wait_healthy([f"http://127.0.0.1:{p}" for p in ports])
        time.sleep(2.5)  # HAProxy takes a process in after two passed checks, a second apart (rise 2, inter 1s)
        print(f"ValueLens on http://{args.address}:{args.port} (HAProxy in front of {args.processes} app "
              f"processes on ports {ports[0]}-{ports[-1]}; logs in {run})", flush=True)
    except SystemExit:
        stop()
        raise
    return supervisor.wait()


if __name__ == "__main__":
    sys.exit(main())
