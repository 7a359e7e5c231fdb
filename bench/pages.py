"""Warm rerun time of every page on the demo data, against a bare one-line Streamlit page in the same run.

Run: python bench/pages.py   (uses a temporary database; the first run of each page fills caches, then the
median of 5 warm reruns is reported, as seconds and as a ratio to the bare page's warm rerun).
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["views/account_report.py", "views/portfolio.py", "views/adoption.py", "views/data_import.py",
         "views/value_model.py"]
RERUNS = 5


def warm(at: AppTest) -> float:
    """Median seconds of RERUNS reruns of an app that already ran once."""
    times = []
    for _ in range(RERUNS):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    return statistics.median(times)


def main() -> None:
    os.environ["VALUELENS_DB"] = str(Path(tempfile.mkdtemp()) / "bench.duckdb")
    sys.path.insert(0, str(ROOT))
    bare = AppTest.from_string("import streamlit as st\nst.write('hello')", default_timeout=120)
    bare.run()
    baseline = warm(bare)
    print(f"{'scenario':<32}{'seconds':>10}{'x bare page':>14}")
    print(f"{'bare one-line page (baseline)':<32}{baseline:>10.3f}{1:>14.1f}")
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        at.switch_page(page).run()
        seconds = warm(at)
        print(f"{'warm rerun ' + Path(page).stem:<32}{seconds:>10.3f}{seconds / baseline:>14.1f}")


if __name__ == "__main__":
    main()
