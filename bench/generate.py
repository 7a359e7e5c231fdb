"""Deterministic usage exports at a chosen size, in the data contract: accounts with skewed sizes (log-normal users
per account), go-live dates over two years, 40 features of skewed popularity, outcomes with a planted per-person
efficiency uplift after go-live, events as CSV and Parquet.

Run: python bench/generate.py --events 10000000 --out /tmp/vlbench/10m   (same arguments, same files)
"""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

INDUSTRIES = ("Logistics", "Retail", "Manufacturing", "Financial services", "Healthcare", "Professional services")
REGIONS = ("East China", "North China", "South China", "Europe", "North America", "APAC")
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
FEATURES = 40
START, MONTHS = date(2024, 11, 1), 24
UPLIFT = 0.15  # planted per-person efficiency uplift after go-live


def accounts_frame(n_accounts: int, n_users: int, rng: np.random.Generator) -> pd.DataFrame:
    weights = rng.lognormal(mean=0.0, sigma=1.2, size=n_accounts)
    users = np.maximum(1, np.floor(weights / weights.sum() * n_users)).astype(int)
    go_live = pd.to_datetime(START) + pd.to_timedelta(rng.integers(60, 30 * MONTHS - 90, n_accounts), unit="D")
    return pd.DataFrame({
        "account_id": [f"C{i:05d}" for i in range(n_accounts)],
        "account_name": [f"Customer {i:05d}" for i in range(n_accounts)],
        "industry": rng.choice(INDUSTRIES, n_accounts), "region": rng.choice(REGIONS, n_accounts),
        "segment": np.where(users > 300, "Enterprise", np.where(users > 60, "Mid-market", "SMB")),
        "seats": np.ceil(users * 1.15).astype(int), "go_live_date": go_live.date,
        "hourly_cost": rng.choice([45.0, 60.0, 180.0, 240.0], n_accounts),
        "currency": rng.choice(["USD", "CNY"], n_accounts), "annual_contract_value": users * 300.0,
        "users": users})


def drivers_frame(rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({"feature": [f"Feature {f:02d}" for f in range(FEATURES)],
                         "minutes_saved": rng.integers(1, 16, FEATURES).astype(float),
                         "basis": np.where(np.arange(FEATURES) % 4 == 0, "unit", "use"),
                         "category": rng.choice(["cost", "efficiency", "revenue", "risk"], FEATURES),
                         "description": ""})


def outcomes_frame(accounts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    months = pd.date_range(START, periods=MONTHS, freq="MS")
    rows = accounts.loc[accounts.index.repeat(MONTHS), ["account_id", "users", "go_live_date"]].reset_index(drop=True)
    rows["month"] = np.tile(months, len(accounts))
    live = rows["month"] > pd.to_datetime(rows["go_live_date"])
    headcount = np.maximum(1, rows["users"] * 0.8).round()
    per_person = 100 * (1 + 0.003 * np.tile(np.arange(MONTHS), len(accounts))) * np.where(live, 1 + UPLIFT, 1.0)
    noise = rng.normal(1.0, 0.03, len(rows))
    return pd.DataFrame({"account_id": rows["account_id"], "month": rows["month"].dt.strftime("%Y-%m"),
                         "output_units": (per_person * headcount * noise).round(1), "headcount": headcount})


def write(out: Path, n_events: int, n_accounts: int, n_users: int, seed: int = 7) -> None:
    """Write accounts.csv, value_drivers.csv, outcomes.csv, events.parquet, events.csv and events.ndjson.gz into
    `out`."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    accounts = accounts_frame(n_accounts, n_users, rng)
    accounts.drop(columns="users").to_csv(out / "accounts.csv", index=False)
    drivers_frame(rng).to_csv(out / "value_drivers.csv", index=False)
    outcomes_frame(accounts, rng).to_csv(out / "outcomes.csv", index=False)
    users = pd.DataFrame({"account_id": np.repeat(accounts["account_id"], accounts["users"]).to_numpy()})
    users["user_no"] = np.arange(len(users))
    con = duckdb.connect()
    con.register("users_df", users)
    con.execute("CREATE TABLE u AS SELECT * FROM users_df")
    seconds = MONTHS * 30 * 86400
    # every random draw is a hash of the row number: the same arguments give the same file, at any thread count
    con.execute(f"""
        CREATE VIEW events AS
        SELECT u.account_id, 'u' || u.user_no AS user_id,
               TIMESTAMP '{START}' + to_seconds(CAST(hash(i, 2) % {seconds} AS BIGINT)) AS event_time,
               'Feature ' || lpad(CAST(CAST(floor({FEATURES} * pow((hash(i, 3) % 1000003) / 1000003.0, 2))
                                        AS INTEGER) AS VARCHAR), 2, '0') AS feature,
               CAST(hash(i, 4) % 600 AS INTEGER) AS duration_seconds,
               CAST(hash(i, 5) % 4 AS INTEGER) AS units
        FROM range({n_events}) AS t(i)
        JOIN u ON u.user_no = hash(i, 1) % {len(users)}""")
    con.execute(f"COPY (SELECT * FROM events ORDER BY event_time) TO '{out / 'events.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY (SELECT * FROM read_parquet('{out / 'events.parquet'}')) TO '{out / 'events.csv'}' (HEADER)")
    # JSON lines, gzipped, as analytics tools export them (event_time as ISO text with Z)
    con.execute(f"""COPY (SELECT account_id, user_id, strftime(event_time, '%Y-%m-%dT%H:%M:%SZ') AS event_time, feature,
                                 duration_seconds, units FROM read_parquet('{out / 'events.parquet'}'))
                     TO '{out / 'events.ndjson.gz'}' (FORMAT json, COMPRESSION gzip)""")
    # the same events in Mixpanel's pipeline layout (https://docs.mixpanel.com/docs/data-pipelines/schematized-export-
    # pipeline): a Parquet file a day in a folder, time a naive UTC TIMESTAMP, insert_id, properties as JSON text;
    # the events folded into 183 days (issue 42's half year of daily files)
    pipeline = out / "mixpanel_pipeline"
    con.execute(f"""COPY (SELECT feature AS event_name, time, user_id AS distinct_id,
                                 md5(CAST(row_number() OVER () AS VARCHAR)) AS insert_id,
                                 json_object('company_id', account_id, 'duration', duration_seconds,
                                             '$browser', 'Chrome') AS properties,
                                 CAST(time AS DATE) AS day
                          FROM (SELECT *, TIMESTAMP '{START}' + to_seconds(CAST(epoch(event_time - TIMESTAMP
                                       '{START}') AS BIGINT) % (183 * 86400)) AS time
                                FROM read_parquet('{out / 'events.parquet'}')))
                     TO '{pipeline}' (FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE)""")
    # the same usage pre-aggregated per user, feature and day, as Pendo's feature events (a row stands for N events)
    con.execute(f"""COPY (SELECT account_id, user_id, strftime(date_trunc('day', event_time), '%Y-%m-%dT00:00:00Z')
                                 AS event_time, feature, count(*) AS event_count,
                                 sum(duration_seconds) / 60 AS duration_minutes, sum(units) AS units
                          FROM read_parquet('{out / 'events.parquet'}') GROUP BY ALL)
                     TO '{out / 'events_daily.ndjson.gz'}' (FORMAT json, COMPRESSION gzip)""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    write(Path(args.out), args.events, args.accounts, args.users)
    print(f"wrote {args.events:,} events for {args.accounts:,} accounts into {args.out}")


if __name__ == "__main__":
    main()
