"""Export time on the demo data: one account's Excel report and QBR deck, and the whole portfolio of each,
against computing that account's report (the figures the files show) in the same run.

Run: python bench/export_files.py   (uses a temporary database; median of 5 runs for one account, one run for the
portfolio; peak resident memory of the process at the end).
"""
from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from exports import batch  # noqa: E402
from metrics import catalog, report  # noqa: E402
from metrics.demo import load_demo  # noqa: E402
from metrics.period import default_period  # noqa: E402
from metrics.store import connect  # noqa: E402

RUNS = 5
ACCOUNT = "A001"


def median_seconds(work, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    con = connect(Path(tempfile.mkdtemp()) / "bench.duckdb")
    load_demo(con)
    period = default_period(con)
    accounts = len(catalog.list_accounts(con))
    baseline = median_seconds(lambda: report.account_report(con, account_id=ACCOUNT, period=period))
    rows = [("account report, figures only (baseline)", baseline)]
    for fmt in ("xlsx", "pptx"):
        rows.append((f"one account, {fmt}",
                     median_seconds(lambda fmt=fmt: batch.export_one(con, ACCOUNT, period, fmt, "zh"))))
    for fmt in ("xlsx", "pptx"):
        rows.append((f"portfolio of {accounts} accounts, {fmt} zip",
                     median_seconds(lambda fmt=fmt: batch.zip_all(con, period, fmt, lang="zh"), runs=1)))
    print(f"{'scenario':<44}{'seconds':>10}{'x baseline':>12}")
    for name, seconds in rows:
        print(f"{name:<44}{seconds:>10.3f}{seconds / baseline:>12.1f}")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
