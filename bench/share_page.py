"""The customer's value page's first view on the demo data, against the account page's first view, each in a fresh
process (nothing cached, the modules a page imports imported in its first run, as after a server starts), as
Streamlit's AppTest runs the page's script on the server: what a browser waits for before it draws (the network and
the browser's own drawing are alike for both pages).

Run: python bench/share_page.py [--rounds 3] [--db FILE [--account ID]]   (the demo is loaded into a temporary
database first; --db: a copy of that database instead, e.g. bench/run.py's 10M-event valuelens.duckdb, its largest
account by default)"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_RUN = """
import json, os, sys, time
sys.path.insert(0, {root!r})
from streamlit.testing.v1 import AppTest
which = {which!r}
if which == "share":
    at = AppTest.from_file({share!r}, default_timeout=120)
    at.query_params["token"] = {token!r}
    started = time.perf_counter()
    at.run()
else:
    at = AppTest.from_file({app!r}, default_timeout=120)
    started = time.perf_counter()
    at.run()  # the app's first run opens its default page: the account page (app.py)
print(json.dumps({{"seconds": time.perf_counter() - started, "errors": [str(e.value) for e in at.exception]}}))
"""


def first_view(which: str, token: str, env: dict[str, str]) -> float:
    code = _RUN.format(root=str(ROOT), which=which, share=str(ROOT / "share.py"), app=str(ROOT / "app.py"),
                       token=token)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise SystemExit(f"{which}: {result['errors']}")
    return float(result["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", type=Path, help="a database to copy and use instead of the demo")
    parser.add_argument("--account", help="the account (default: A001 of the demo, or the one with most events)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from exports.share_page import payload
    from metrics import sharing
    from metrics.demo import load_demo
    from metrics.period import default_period
    from metrics.store import connect

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.duckdb"
        secrets = Path(tmp) / "secrets.toml"
        secrets.write_text('[share]\nsecret = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"\n', "utf-8")
        env = {**os.environ, "VALUELENS_DB": str(db), sharing.SECRETS_ENV: str(secrets)}
        os.environ.update({sharing.SECRETS_ENV: str(secrets)})
        if args.db:
            shutil.copyfile(args.db, db)
        con = connect(db)
        if not args.db:
            load_demo(con)
        account = args.account or ("A001" if not args.db else con.execute(
            "SELECT a.account_id FROM account_month JOIN account AS a USING (account_key) GROUP BY ALL "
            "ORDER BY sum(events) DESC, 1 LIMIT 1").fetchall()[0][0])
        page = payload(con, account, default_period(con), "zh")
        con.close()
        _, token = sharing.create(page, account_id=account, period=(page["period"]["start"], page["period"]["end"]),
                                  lang="zh", created_by="bench", database=db)
        share = [first_view("share", token, env) for _ in range(args.rounds)]
        account = [first_view("account", token, env) for _ in range(args.rounds)]
    s, a = statistics.median(share), statistics.median(account)
    print(f"share.py first view      {s:7.3f} s (median of {args.rounds}: {', '.join(f'{x:.3f}' for x in share)})")
    print(f"account page first view  {a:7.3f} s (median of {args.rounds}: {', '.join(f'{x:.3f}' for x in account)})")
    print(f"share / account          x{s / a:.2f}")


if __name__ == "__main__":
    main()
