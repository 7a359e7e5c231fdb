"""The embedded demo data: it loads into an empty database at start, and its rollups match the raw events."""
from __future__ import annotations

import pandas as pd
import pytest

from metrics import catalog, ingest, report
from metrics.demo import ensure_demo
from metrics.period import default_period
from metrics.store import connect


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A database file with the demo loaded the way the app does it."""
    con = connect(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    assert ensure_demo(con) is True
    yield con
    con.close()


def test_the_demo_loads_into_an_empty_database_once_and_without_rejects(demo):
    imports = catalog.recent_imports(demo)
    assert sorted(imports["kind"]) == ["accounts", "events", "objectives", "outcomes", "renewals", "requests",
                                       "value_drivers"]
    assert imports["rows_rejected"].sum() == 0
    assert ensure_demo(demo) is False
    assert len(catalog.recent_imports(demo)) == len(ingest.DEMO_FILES)


def test_the_demo_has_the_promised_shape(demo):
    accounts = catalog.list_accounts(demo)
    assert 35 <= len(accounts) <= 45
    assert accounts["industry"].nunique() >= 4 and accounts["region"].nunique() >= 3
    assert accounts["account_name"].str.contains(r"[\u4e00-\u9fff]").sum() >= 5
    assert accounts["go_live_date"].isna().sum() >= 2
    months = demo.execute("SELECT count(DISTINCT month) FROM account_month").fetchall()[0][0]
    assert 18 <= months <= 24
    assert 12 <= len(catalog.list_value_drivers(demo)) <= 18
    with_outcomes = demo.execute("SELECT count(DISTINCT account_key) FROM outcomes").fetchall()[0][0]
    assert with_outcomes > len(accounts) / 2


def test_demo_rollups_equal_the_same_figures_computed_with_pandas_from_the_raw_file(demo):
    raw = pd.read_parquet(ingest.DEMO_DIR / "events.parquet")
    raw["month"] = raw["event_time"].dt.to_period("M").dt.to_timestamp()
    raw["day"] = raw["event_time"].dt.normalize()
    expected = (raw.groupby(["account_id", "user_id", "month"])
                .agg(active_days=("day", "nunique"), events=("feature", "size"),
                     duration_seconds=("duration_seconds", "sum"), units=("units", "sum"),
                     features_used=("feature", "nunique"))
                .reset_index().sort_values(["account_id", "user_id", "month"]).reset_index(drop=True))
    stored = demo.execute(
        """SELECT a.account_id, u.user_id, r.month, r.active_days, r.events, r.duration_seconds, r.units,
                  r.features_used
           FROM account_user_month r JOIN account a USING (account_key) JOIN users u USING (user_key)
           ORDER BY a.account_id, u.user_id, r.month""").df()
    stored["month"] = pd.to_datetime(stored["month"])
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False, check_exact=False, rtol=1e-9)

    per_feature = (raw.groupby(["account_id", "feature", "month"])
                   .agg(users=("user_id", "nunique"), events=("user_id", "size"), units=("units", "sum"),
                        first_used_at=("event_time", "min"))
                   .reset_index().sort_values(["account_id", "feature", "month"]).reset_index(drop=True))
    stored = demo.execute(
        """SELECT a.account_id, f.feature, r.month, r.users, r.events, r.units, r.first_used_at
           FROM account_feature_month r JOIN account a USING (account_key) JOIN feature f USING (feature_key)
           ORDER BY a.account_id, f.feature, r.month""").df()
    stored["month"] = pd.to_datetime(stored["month"])
    pd.testing.assert_frame_equal(stored, per_feature, check_dtype=False, check_exact=False, rtol=1e-9)

    per_account = (raw.groupby(["account_id", "month"])
                   .agg(active_users=("user_id", "nunique"), events=("user_id", "size"),
                        features_used=("feature", "nunique"))
                   .reset_index().sort_values(["account_id", "month"]).reset_index(drop=True))
    stored = demo.execute(
        """SELECT a.account_id, r.month, r.active_users, r.events, r.features_used
           FROM account_month r JOIN account a USING (account_key) ORDER BY a.account_id, r.month""").df()
    stored["month"] = pd.to_datetime(stored["month"])
    pd.testing.assert_frame_equal(stored, per_account, check_dtype=False)


def test_a_report_given_its_periods_shared_inputs_equals_the_report_computing_them_itself(demo):
    period = default_period(demo)
    inputs = report.period_inputs(demo, period)
    for account_id in ("A001", "A017", "A040"):
        assert report.account_report(demo, account_id=account_id, period=period, inputs=inputs) == \
            report.account_report(demo, account_id=account_id, period=period), account_id
