"""The rollup step on Apache Spark, for event volumes beyond one machine.

Reads raw events (Parquet or CSV, the data contract's columns) and the accounts file, applies the same rules as
metrics/ingest (required values, known accounts, no negative durations or units, nothing in the future; every row
is an event, a pre-aggregated row counting `event_count` of them, and a repeated `event_id` keeps its last row) and
writes the four rollups ValueLens reads, keyed
by the contract's text ids, as Parquet: DIR/account_user_month, DIR/account_feature_month, DIR/account_month,
DIR/user_feature_month, and
the rows it refused in DIR/rejects. `python cli.py import DIR` loads them (metrics.ingest.import_rollups).

    python -m metrics.spark_rollup --events events/*.parquet --accounts accounts.csv --out rollups/
    spark-submit --master yarn metrics/spark_rollup.py --events s3://bucket/events/ --accounts ... --out ...
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta

ROLLUPS = ("account_user_month", "account_feature_month", "account_month", "user_feature_month")
ID_KEY = ("account_id", "event_id", "feature")  # an event re-sent under its id: the last row of each feature wins
# the date/time shapes metrics/ingest accepts in text (ISO, slashes, Chinese dates)
TIME_FORMATS = ("yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd", "yyyy/M/d H:mm:ss",
                "yyyy/M/d H:mm", "yyyy/M/d", "yyyy年M月d日 H:mm:ss", "yyyy年M月d日")


def _read(spark, paths: list[str]):
    """A DataFrame of every input file, with its input position kept for the last-row-wins rule."""
    from pyspark.sql import functions as F

    if all(p.lower().endswith(".csv") for p in paths):
        frame = spark.read.option("header", True).option("quote", '"').option("encoding", "UTF-8").csv(paths)
    else:
        frame = spark.read.parquet(*paths)
    return frame.withColumn("_position", F.monotonically_increasing_id())


def _text(column):
    from pyspark.sql import functions as F

    value = F.trim(column.cast("string"))
    return F.when(value == "", None).otherwise(value)


def _timestamp(column, dtype: str):
    from pyspark.sql import functions as F

    if dtype.startswith("timestamp"):
        return column.cast("timestamp_ntz")  # in the session's zone, UTC
    text = _text(column)
    return F.coalesce(*[F.to_timestamp_ntz(text, F.lit(fmt)) for fmt in TIME_FORMATS])


def validated(spark, events_paths: list[str], accounts_path: str, now: datetime | None = None):
    """(good events, rejects): typed, checked and deduplicated events; refused rows with their reason."""
    from pyspark.sql import functions as F

    raw = _read(spark, events_paths)
    columns = {c.lower().strip(): c for c in raw.columns}
    missing = [c for c in ("account_id", "user_id", "event_time", "feature") if c not in columns]
    if missing:
        raise SystemExit(f"events: required column(s) missing: {', '.join(missing)}")
    dtypes = dict(raw.dtypes)
    col = {c: F.col(columns[c]) for c in columns}
    typed = raw.select(
        _text(col["account_id"]).alias("account_id"), _text(col["user_id"]).alias("user_id"),
        _timestamp(col["event_time"], dtypes[columns["event_time"]]).alias("event_time"),
        _text(col["feature"]).alias("feature"),
        (col["duration_seconds"].cast("double") if "duration_seconds" in col else F.lit(None).cast("double"))
        .alias("duration_seconds"),
        (col["units"].cast("double") if "units" in col else F.lit(None).cast("double")).alias("units"),
        (col["event_count"].cast("long") if "event_count" in col else F.lit(1).cast("long")).alias("event_count"),
        (_text(col["event_id"]) if "event_id" in col else F.lit(None).cast("string")).alias("event_id"),
        F.col("_position"))
    accounts = _read(spark, [accounts_path]).select(_text(F.col("account_id")).alias("account_id")).distinct() \
        .withColumn("_known", F.lit(True))
    limit = (now or datetime.now()) + timedelta(days=1)
    checked = typed.join(accounts, "account_id", "left").withColumn("reason", F.coalesce(
        F.when(F.col("account_id").isNull(), F.lit("account_id: missing value")),
        F.when(F.col("_known").isNull(), F.lit("account_id: unknown account")),
        F.when(F.col("user_id").isNull(), F.lit("user_id: missing value")),
        F.when(F.col("event_time").isNull(), F.lit("event_time: missing or not a date/time")),
        F.when(F.col("event_time") > F.lit(limit).cast("timestamp_ntz"), F.lit("event_time: in the future")),
        F.when(F.col("feature").isNull(), F.lit("feature: missing value")),
        F.when(F.col("duration_seconds") < 0, F.lit("duration_seconds: must be >= 0")),
        F.when(F.col("units") < 0, F.lit("units: must be >= 0")),
        F.when(F.col("event_count").isNull() | (F.col("event_count") < 1), F.lit("event_count: must be >= 1"))))
    from pyspark.sql.window import Window

    good = checked.where(F.col("reason").isNull())
    if "event_id" in col:  # without ids no row is dropped, and the window's shuffle and sort are not needed
        latest = Window.partitionBy(*ID_KEY).orderBy(F.col("_position").desc())
        good = good.withColumn("_n", F.when(F.col("event_id").isNull(), F.lit(1))
                               .otherwise(F.row_number().over(latest))).where(F.col("_n") == 1)
    good = good.select("account_id", "user_id", "feature", "event_time", "duration_seconds", "units", "event_count") \
        .withColumn("month", F.to_date(F.date_trunc("month", F.col("event_time"))))
    rejects = checked.where(F.col("reason").isNotNull()).select(
        "account_id", "user_id", F.col("event_time").cast("string").alias("event_time"), "feature", "reason")
    return good, rejects


def rollups(good) -> dict[str, object]:
    """The four rollups from good events, as metrics/sql/rollup.sql builds them, keyed by text ids: the events are
    grouped once per user, feature and month (kept, with durations, for the next steps), and the user-months and
    feature-months are grouped from those rows, as DuckDB does (a user's active days are the bits of the day masks;
    grouping the events three times cost 2.4x)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    user_feature = good.groupBy("account_id", "user_id", "feature", "month").agg(
        F.expr("bit_or(shiftleft(1, dayofmonth(event_time) - 1))").cast("int").alias("day_mask"),
        F.sum("event_count").alias("events"),
        F.sum("duration_seconds").alias("duration_seconds"),
        F.coalesce(F.sum("units"), F.lit(0.0)).alias("units"),
        F.min("event_time").alias("first_used_at")).persist(StorageLevel.MEMORY_AND_DISK)
    user_month = user_feature.groupBy("account_id", "user_id", "month").agg(
        F.expr("bit_count(bit_or(day_mask))").cast("int").alias("active_days"),
        F.sum("events").alias("events"),
        F.coalesce(F.sum("duration_seconds"), F.lit(0.0)).alias("duration_seconds"),
        F.sum("units").alias("units"),
        F.count(F.lit(1)).cast("int").alias("features_used"))
    feature_month = user_feature.groupBy("account_id", "feature", "month").agg(
        F.count(F.lit(1)).cast("int").alias("users"),
        F.sum("events").alias("events"),
        F.sum("units").alias("units"),
        F.coalesce(F.sum("duration_seconds"), F.lit(0.0)).alias("duration_seconds"),
        F.min("first_used_at").alias("first_used_at"))
    by_user = user_month.groupBy("account_id", "month").agg(
        F.count(F.lit(1)).cast("int").alias("active_users"),
        F.sum("active_days").cast("long").alias("active_user_days"),
        F.sum("events").alias("events"),
        F.sum("duration_seconds").alias("duration_seconds"),
        F.sum("units").alias("units"))
    by_feature = feature_month.groupBy("account_id", "month").agg(F.count(F.lit(1)).cast("int").alias("features_used"))
    return {"user_feature_month": user_feature.drop("duration_seconds"), "account_user_month": user_month,
            "account_feature_month": feature_month,
            "account_month": by_user.join(by_feature, ["account_id", "month"])}


def session(master: str | None = None):
    """A Spark session in UTC with naive timestamps, like DuckDB's TIMESTAMP."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("valuelens-rollup") \
        .config("spark.sql.session.timeZone", "UTC") \
        .config("spark.sql.timestampType", "TIMESTAMP_NTZ") \
        .config("spark.sql.shuffle.partitions", "8") \
        .config("spark.ui.enabled", "false")
    if master:
        builder = builder.master(master)
    return builder.getOrCreate()


def run(spark, events: list[str], accounts: str, out: str, now: datetime | None = None) -> dict[str, int]:
    """Validate, roll up and write; returns row counts per output table."""
    good, rejects = validated(spark, events, accounts, now)
    counts = {}
    for name, frame in {**rollups(good), "rejects": rejects}.items():
        frame.write.mode("overwrite").parquet(f"{out.rstrip('/')}/{name}")
        counts[name] = spark.read.parquet(f"{out.rstrip('/')}/{name}").count()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="metrics.spark_rollup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", nargs="+", required=True, help="event files or folders (Parquet or CSV)")
    parser.add_argument("--accounts", required=True, help="the accounts file (CSV or Parquet with account_id)")
    parser.add_argument("--out", required=True, help="output folder for the rollups (Parquet)")
    parser.add_argument("--master", help="Spark master (default: spark-submit's, else local[*])")
    args = parser.parse_args(argv)
    spark = session(args.master)
    counts = run(spark, args.events, args.accounts, args.out)
    for name, rows in counts.items():
        print(f"{name}: {rows} rows")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
