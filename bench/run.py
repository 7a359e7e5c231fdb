"""The scale benchmark: each scenario in a fresh process, printed as seconds, peak memory and a ratio to its
baseline measured in the same run.

Run: python bench/generate.py --events 10000000 --out /tmp/vlbench/10m && python bench/run.py /tmp/vlbench/10m
(`--only import_parquet,report_one` runs some scenarios; a scenario's baseline must run too for its ratio;
`--rounds 3` runs them three times in turn and prints the medians)

Scenarios (baseline in brackets):
- import events CSV / JSON lines (gzipped) / Parquet through metrics.ingest, rollups included [DuckDB's bare CREATE
  TABLE AS SELECT * FROM read_csv / read_json / read_parquet of the same file]; import_daily: the same usage
  pre-aggregated per user, feature and day (event_count, duration_minutes), as Pendo exports it [its bare read_json]
  (the imports run with the default memory limit, store.default_memory_limit: 640 MB on a machine of 2.56 GB or more)
- import_parquet_uncapped / import_json_uncapped: the same with VALUELENS_MEMORY_LIMIT=duckdb (DuckDB's own limit,
  80 % of the machine), into a fresh database [bare read_parquet / read_json]
- bare_rollups: the rollups' aggregations written plainly, by text ids, over the table bare_parquet loaded (no
  validation, coding, deduplication or sorting) [bare read_parquet]. Each import is also printed against its bare
  load plus these: what loading the file and then aggregating it as it is would cost.
- bare_ufm: the first of them alone, the user-feature-month grouping [bare read_parquet]; with the bare load, the
  floor issue 22 names for an import (the load plus the one grouping no import can skip), printed as a ratio
- import_pipeline: a folder of daily Parquet files in Mixpanel's pipeline layout (bench/generate.py's
  mixpanel_pipeline, one file a day, properties as JSON text) imported as one, with the mixpanel preset [bare_pipeline:
  DuckDB's bare read_parquet of the same glob]; issue 42's target: within 3x, peak under 1 GB
- one account's full report from the rollups, warm median of 10, the period's shared inputs built
  (metrics.report.period_inputs, once per period and data version, as the account page caches them) [itself];
  building those inputs [report]; first_view: a period's inputs and then its peer table from them, as the account
  page builds them the first time a period is opened (the quarter before warms DuckDB up) [report]; the report
  computing them itself, as the CLI does [report]; the same account's
  figures in pandas from the raw Parquet [report]
- all-accounts recompute (portfolio table) [the same figures in pandas from the raw Parquet]
- every account's peer-benchmark figures for the period, built once per period and data version [all-accounts
  recompute]
- Excel report and QBR deck of one account as the app builds them (ui/downloads.export_file: the period's peer
  figures and report inputs already built, cached by the app for the period) [that account's report];
  export_xlsx_cold: the Excel report with the peer figures only, the report inputs built for it (the scenario
  of the earlier sessions' figures) [that account's report]
- portfolio_xlsx / portfolio_pptx: every account's file at quarter end as `cli.py export --all` writes them, one
  worker process per core reading a checkpointed copy of the database (exports.batch.write_all_parallel, the
  period's inputs built once in each worker) [itself]; target 120 s for 2,000 accounts on 2 cores;
  portfolio_pptx_template: the same decks from docs/sample_template.pptx, the team's own slides filled with tokens,
  charts, tables and repeated slides (exports.deck.fill) [portfolio_pptx]; target: within the built-in deck's time
- spark_rollup: metrics/spark_rollup.py's job (validation and the four rollups, written as Parquet) on the same
  Parquet file, Spark in local mode on 2 cores, the session started before the clock [import_parquet]; its events
  per second and per core size a cluster (README, "Beyond one machine"). Memory: the JVM's, not measured here.
  spark_import: loading what it wrote into a database holding the accounts (ingest.import_rollups) [import_parquet]
"""
from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("bare_pipeline", "import_pipeline",
             "bare_csv", "import_csv", "bare_json", "import_json", "bare_daily", "import_daily", "bare_parquet",
             "bare_rollups", "bare_ufm", "import_parquet",
             "import_parquet_uncapped", "import_json_uncapped",
             "report_one", "report_inputs", "first_view", "report_cold", "pandas_one", "recompute_all", "pandas_all",
             "peer_table",
             "export_xlsx", "export_xlsx_cold", "export_pptx", "portfolio_xlsx", "portfolio_pptx",
             "portfolio_pptx_template", "spark_rollup", "spark_import", "share_link", "share_first_view")
BASELINE = {"import_pipeline": "bare_pipeline",
            "import_csv": "bare_csv", "import_json": "bare_json", "import_daily": "bare_daily",
            "bare_rollups": "bare_parquet", "bare_ufm": "bare_parquet",
            "import_parquet": "bare_parquet",
            "import_parquet_uncapped": "bare_parquet", "import_json_uncapped": "bare_json",
            "report_one": "report_one", "report_inputs": "report_one", "first_view": "report_one",
            "report_cold": "report_one",
            "pandas_one": "report_one", "recompute_all": "recompute_all", "pandas_all": "recompute_all",
            "peer_table": "recompute_all", "export_xlsx": "report_one", "export_xlsx_cold": "report_one",
            "export_pptx": "report_one",
            "portfolio_xlsx": "portfolio_xlsx", "portfolio_pptx": "portfolio_pptx",
            "portfolio_pptx_template": "portfolio_pptx",
            "spark_rollup": "import_parquet", "spark_import": "import_parquet",
            "share_link": "first_view", "share_first_view": "first_view"}
# an import against loading its file and aggregating it as it is: its bare load plus the bare rollups
LOAD_THEN_AGGREGATE = {"import_csv": ("bare_csv", "bare_rollups"),
                       "import_parquet": ("bare_parquet", "bare_rollups"),
                       "import_parquet_uncapped": ("bare_parquet", "bare_rollups")}
BARE_ROLLUPS = """
CREATE TABLE ufm AS
SELECT account_id, user_id, feature, CAST(date_trunc('month', event_time) AS DATE) AS month,
       bit_or(CAST(1 AS INTEGER) << (day(event_time) - 1)) AS day_mask, count(*) AS events,
       sum(duration_seconds) AS duration_seconds, sum(units) AS units, min(event_time) AS first_used_at
FROM events GROUP BY ALL;
CREATE TABLE aum AS
SELECT account_id, user_id, month, bit_count(bit_or(day_mask)) AS active_days, sum(events) AS events,
       sum(duration_seconds) AS duration_seconds, sum(units) AS units, count(*) AS features_used,
       list_sort(list(feature)) AS features
FROM ufm GROUP BY ALL;
CREATE TABLE afm AS
SELECT account_id, feature, month, count(*) AS users, sum(events) AS events, sum(units) AS units,
       sum(duration_seconds) AS duration_seconds, min(first_used_at) AS first_used_at
FROM ufm GROUP BY ALL;
CREATE TABLE am AS
SELECT account_id, month, count(*) AS active_users, sum(active_days) AS active_user_days, sum(events) AS events
FROM aum GROUP BY ALL;
"""
# the one grouping no import of this data model can skip (the floor: the bare load plus it), written plainly
# by text ids over the table bare_parquet loaded, with DuckDB's own settings like the bare loads
BARE_UFM = BARE_ROLLUPS.split(";")[0].replace("CREATE TABLE ufm AS", "CREATE OR REPLACE TABLE ufm_floor AS")
UNCAPPED = "duckdb"  # VALUELENS_MEMORY_LIMIT of the _uncapped imports: DuckDB's own limit, 80 % of the machine


def _timed(work, runs: int = 1) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _largest_account(con) -> str:
    return con.execute("""SELECT a.account_id FROM account_month JOIN account AS a USING (account_key)
                          GROUP BY ALL ORDER BY sum(events) DESC, 1 LIMIT 1""").fetchall()[0][0]


def scenario(name: str, data: Path, work: Path) -> float:
    """Run one scenario in this process; returns its seconds."""
    sys.path.insert(0, str(ROOT))
    import duckdb

    from metrics import ingest, portfolio, report
    from metrics.period import default_period
    from metrics.store import connect

    db = work / "valuelens.duckdb"
    if name == "spark_rollup":
        from metrics import spark_rollup

        spark = spark_rollup.session("local[2]")
        seconds = _timed(lambda: spark_rollup.run(spark, [str(data / "events.parquet")], str(data / "accounts.csv"),
                                                  str(work / "spark_rollups")))
        spark.stop()
        return seconds
    if name == "spark_import":
        con = connect(work / "spark_import.duckdb")
        ingest.import_file(con, data / "accounts.csv")
        return _timed(lambda: ingest.import_rollups(con, work / "spark_rollups"))
    if name in ("bare_rollups", "bare_ufm"):
        con = duckdb.connect(str(work / "bare_parquet.duckdb"))
        return _timed(lambda: con.execute(BARE_ROLLUPS if name == "bare_rollups" else BARE_UFM))
    if name.startswith("bare_"):
        reader, file = {"bare_csv": ("read_csv", data / "events.csv"),
                        "bare_pipeline": ("read_parquet", data / "mixpanel_pipeline" / "*" / "*.parquet"),
                        "bare_json": ("read_json", data / "events.ndjson.gz"),
                        "bare_daily": ("read_json", data / "events_daily.ndjson.gz")}.get(
            name, ("read_parquet", data / "events.parquet"))
        con = duckdb.connect(str(work / f"{name}.duckdb"))
        return _timed(lambda: con.execute(f"CREATE TABLE events AS SELECT * FROM {reader}('{file}')"))
    if name.startswith("import_"):
        if name.endswith("_uncapped"):
            import os

            os.environ["VALUELENS_MEMORY_LIMIT"] = UNCAPPED
        target = db if name == "import_parquet" else work / f"{name}.duckdb"
        con = connect(target)
        for small in ("accounts.csv", "value_drivers.csv", "outcomes.csv"):
            ingest.import_file(con, data / small)
        if name == "import_pipeline":
            return _timed(lambda: ingest.import_file(con, data / "mixpanel_pipeline", preset="mixpanel"))
        file = data / {"import_csv": "events.csv", "import_json": "events.ndjson.gz",
                       "import_json_uncapped": "events.ndjson.gz",
                       "import_daily": "events_daily.ndjson.gz"}.get(name, "events.parquet")
        return _timed(lambda: ingest.import_file(con, file))
    con = connect(db)
    period = default_period(con)
    account_id = _largest_account(con)
    if name == "report_inputs":
        report.period_inputs(con, period)
        return _timed(lambda: report.period_inputs(con, period), runs=5)
    if name == "first_view":
        from metrics.period import Period, add_months

        def first_view(p: Period) -> None:
            inputs = report.period_inputs(con, p)
            report.peer_figures(con, p, inputs)

        first_view(Period(add_months(period.start, -3), add_months(period.end, -3)))
        return _timed(lambda: first_view(period))
    if name.startswith("share_"):
        return _share(con, db, work, account_id, period, name)
    if name == "report_cold":
        report.account_report(con, account_id=account_id, period=period)  # the first run fills DuckDB's caches
        return _timed(lambda: report.account_report(con, account_id=account_id, period=period), runs=5)
    if name == "report_one":
        inputs = report.period_inputs(con, period)
        report.account_report(con, account_id=account_id, period=period, inputs=inputs)
        return _timed(lambda: report.account_report(con, account_id=account_id, period=period, inputs=inputs),
                      runs=10)
    if name == "recompute_all":
        portfolio.portfolio_table(con, start=period.start, end=period.end)
        return _timed(lambda: portfolio.portfolio_table(con, start=period.start, end=period.end), runs=5)
    from metrics.benchmarks import metric_table

    if name == "peer_table":
        return _timed(lambda: metric_table(con, start=period.start, end=period.end))
    if name.startswith("export_"):
        from exports.batch import export_one

        fmt = name.removeprefix("export_").removesuffix("_cold")
        # what the app caches per period (ui/session.report_inputs, peer_table) and passes to each file
        inputs = report.period_inputs(con, period)
        peers = report.peer_figures(con, period, inputs)
        shared = {"peers": peers} if name.endswith("_cold") else {"peers": peers, "inputs": inputs}
        export_one(con, account_id, period, fmt, **shared)
        return _timed(lambda: export_one(con, account_id, period, fmt, **shared), runs=5)
    if name.startswith("portfolio_"):
        import os
        import tempfile

        from exports import batch
        from metrics.store import connect_snapshot, snapshot_copy

        with tempfile.TemporaryDirectory() as tmp:
            copy = snapshot_copy(con, db, Path(tmp))  # what the CLI's workers read (this process holds the file)
            template = (ROOT / "docs" / "sample_template.pptx").read_bytes() if name.endswith("_template") else None
            return _timed(lambda: batch.write_all_parallel(con, connect_snapshot, str(copy), period,
                                                           name.removeprefix("portfolio_").removesuffix("_template"),
                                                           Path(tmp) / "out", workers=os.cpu_count() or 2,
                                                           template=template))
    if name in ("pandas_one", "pandas_all"):
        return _timed(lambda: pandas_figures(data, period, account_id if name == "pandas_one" else None))
    raise SystemExit(f"unknown scenario {name}")


def _share(con, db: Path, work: Path, account_id: str, period, name: str) -> float:
    """share_link: making a link to the largest account's value page (its page built: exports.share_page.payload);
    share_first_view: what share.py does before it draws, the first time a link is opened (the token verified, the
    link's page read, its view counted, its chart built)."""
    import os

    from exports.share_page import adoption_figure, payload
    from metrics import sharing

    secrets = work / "secrets.toml"
    secrets.write_text('[share]\nsecret = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"\n', encoding="utf-8")
    os.environ[sharing.SECRETS_ENV] = str(secrets)

    def make() -> str:
        page = payload(con, account_id, period, "zh")
        return sharing.create(page, account_id=account_id, period=(page["period"]["start"], page["period"]["end"]),
                              lang="zh", created_by="bench", database=db)[1]

    if name == "share_link":
        return _timed(make)
    token = make()

    def first_view() -> None:
        adoption_figure(sharing.page_of(sharing.resolve(token, db), db))

    return _timed(first_view)


def pandas_figures(data: Path, period, account_id: str | None) -> dict:
    """The comparison: MAU per month, feature adoption and hours saved per account, in plain pandas from the raw
    file (what a notebook would do without rollups)."""
    import pandas as pd

    filters = [("account_id", "==", account_id)] if account_id else None
    events = pd.read_parquet(data / "events.parquet", filters=filters)
    in_period = (events["event_time"] >= pd.Timestamp(period.start)) & (events["event_time"] < pd.Timestamp(period.end))
    events = events[in_period]
    events["month"] = events["event_time"].dt.to_period("M")
    mau = events.groupby(["account_id", "month"])["user_id"].nunique()
    active = events.groupby("account_id")["user_id"].nunique()
    adopters = events.groupby(["account_id", "feature"])["user_id"].nunique()
    adoption = adopters / active.reindex(adopters.index.get_level_values(0)).to_numpy()
    drivers = pd.read_csv(data / "value_drivers.csv")
    merged = events.merge(drivers, on="feature")
    merged["hours"] = merged["minutes_saved"] / 60 * merged["units"].where(merged["basis"] == "unit", 1)
    hours = merged.groupby("account_id")["hours"].sum()
    return {"mau": mau, "adoption": adoption, "hours": hours}


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--scenario":  # child process
        seconds = scenario(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "peak_mb": peak}))
        return
    args = _arguments()
    data = args.data
    only = args.only.split(",") if args.only else SCENARIOS
    import duckdb

    events = duckdb.execute("SELECT sum(num_rows) FROM parquet_file_metadata($f)",
                            {"f": str(data / "events.parquet")}).fetchall()[0][0]
    print(f"{events:,} events in {data}")
    for name in ("events.csv", "events.parquet"):  # into the page cache first, so no scenario pays the first read
        with open(data / name, "rb") as fh:
            while fh.read(1 << 24):
                pass
    rounds: list[dict[str, dict]] = []
    work = None
    for number in range(1, args.rounds + 1):
        if work is not None:  # each round builds its databases afresh; the last round's are kept
            shutil.rmtree(work)
        work = Path(tempfile.mkdtemp(prefix="vlbench-", dir=data.parent))
        print(f"{f'round {number} of {args.rounds}: ' if args.rounds > 1 else ''}work in {work}", flush=True)
        results: dict[str, dict] = {}
        for name in [n for n in SCENARIOS if n in only]:
            out = subprocess.run([sys.executable, __file__, "--scenario", name, str(data), str(work)],
                                 capture_output=True, text=True)
            if out.returncode:
                print(f"{name}: failed\n{out.stderr[-2000:]}")
                continue
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
            _print_line(name, results)
        rounds.append(results)
    if args.rounds > 1:
        _print_medians(rounds)


def _arguments():
    import argparse

    parser = argparse.ArgumentParser(description="ValueLens benchmark: each scenario in its own process, timed "
                                                 "against its baseline in the same run (see this module's text)")
    parser.add_argument("data", type=Path, help="a folder bench/generate.py wrote")
    parser.add_argument("--only", help="scenarios to run, comma-separated (a scenario's baseline must run too)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the scenarios this many times in turn and print, per scenario, the median "
                             "seconds and the median of its rounds' ratios: on a noisy machine a ratio of "
                             "adjacent runs, taken several times, is the figure to quote")
    return parser.parse_args()


def _ratio(name: str, results: dict[str, dict]) -> float | None:
    base = results.get(BASELINE.get(name, ""))
    return results[name]["seconds"] / base["seconds"] if base and name in results else None


def _print_line(name: str, results: dict[str, dict]) -> None:
    ratio = _ratio(name, results)
    plain = [results[n]["seconds"] for n in LOAD_THEN_AGGREGATE.get(name, ()) if n in results]
    print(f"{name:<22}{results[name]['seconds']:>10.3f} s{results[name]['peak_mb']:>10.0f} MB   "
          f"x{ratio if ratio is not None else 1:.2f}"
          + (f" {BASELINE[name]}" if name in BASELINE and BASELINE[name] != name else "")
          + (f", x{results[name]['seconds'] / sum(plain):.2f} {' + '.join(LOAD_THEN_AGGREGATE[name])}"
             if len(plain) == 2 else "")
          + (f"; the floor, bare_parquet + bare_ufm: x{1 + ratio:.2f} bare_parquet"
             if name == "bare_ufm" and ratio is not None else ""), flush=True)


def _print_medians(rounds: list[dict[str, dict]]) -> None:
    """Per scenario: median seconds, highest peak, and the median (and range) of the rounds' ratios."""
    print(f"medians of {len(rounds)} rounds")
    for name in [n for n in SCENARIOS if any(n in r for r in rounds)]:
        seconds = [r[name]["seconds"] for r in rounds if name in r]
        ratios = [x for x in (_ratio(name, r) for r in rounds) if x is not None]
        spread = f" ({min(ratios):.2f}-{max(ratios):.2f})" if ratios else ""
        ratio = f"x{statistics.median(ratios):.2f}{spread} {BASELINE[name]}" if ratios and BASELINE[name] != name \
            else "x1.00"
        print(f"{name:<22}{statistics.median(seconds):>10.3f} s"
              f"{max(r[name]['peak_mb'] for r in rounds if name in r):>10.0f} MB   {ratio}", flush=True)

if __name__ == "__main__":
    main()
