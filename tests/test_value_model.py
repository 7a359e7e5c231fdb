"""The value model editor's engine: validation, effect preview, versioned saves and revert."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from conftest import FIXTURES

from metrics import catalog, cost, ingest, value_model
from metrics.store import DataError

P = {"start": date(2025, 5, 1), "end": date(2025, 8, 1)}


@pytest.fixture
def mcon(con):
    for name in ("accounts.csv", "value_drivers.csv", "events.csv", "outcomes.csv"):
        ingest.import_file(con, FIXTURES / "metrics" / name)
    return con


def test_validation_names_the_row_and_column_of_each_problem(mcon):
    drivers, hourly = value_model.current_model(mcon)
    drivers.loc[0, "minutes_saved"] = -1
    drivers.loc[1, "basis"] = "hour"
    drivers = pd.concat([drivers, drivers.iloc[[0]]], ignore_index=True)
    hourly.loc[0, "hourly_cost"] = -5
    assert value_model.validate(drivers, hourly) == [
        "value drivers row 1, minutes_saved: must be a number >= 0",
        "value drivers row 2, basis: must be use or unit",
        "value drivers row 3, minutes_saved: must be a number >= 0",
        "value drivers, feature: 'Dispatch' appears more than once",
        "hourly costs M1, hourly_cost: must be a number >= 0",
    ]
    with pytest.raises(DataError, match="basis: must be use or unit"):
        value_model.save(mcon, drivers, hourly, user="ops")


def test_validation_refuses_infinite_numbers_total_rows_and_look_alike_features(mcon):
    drivers, hourly = value_model.current_model(mcon)
    drivers = pd.concat([drivers.iloc[[0]]] * 3, ignore_index=True)
    drivers.loc[0, "minutes_saved"] = float("inf")
    drivers.loc[1, "feature"] = "合计"
    drivers.loc[2, "feature"] = "Dis\u200bpatch"
    hourly.loc[0, "hourly_cost"] = float("inf")
    assert value_model.validate(drivers, hourly) == [
        "value drivers row 1, minutes_saved: must be a number >= 0",
        "value drivers row 2, feature: a total or subtotal row, not a feature",
        "value drivers row 3, feature: invisible or look-alike characters (did you mean 'Dispatch'?)",
        "hourly costs M1, hourly_cost: must be a number >= 0",
    ]


def test_the_effect_preview_prices_the_proposed_model_without_saving_it(mcon):
    drivers, hourly = value_model.current_model(mcon)
    drivers.loc[drivers["feature"] == "Dispatch", "minutes_saved"] = 12  # 6 -> 12 minutes per dispatch
    frame = value_model.effect(mcon, drivers, hourly, **P).set_index("currency")
    # M1 (USD, 100/h): 4 dispatches x 6 more minutes = +0.4 h = +40 USD; M2 (CNY, 50/h): 2 dispatches = +0.2 h
    assert frame.loc["USD", "value_before"] == pytest.approx(190.0)
    assert frame.loc["USD", "value_change"] == pytest.approx(40.0)
    assert frame.loc["CNY", "value_change"] == pytest.approx(10.0)
    assert cost.cost(mcon, account_id="M1", **P).value == pytest.approx(190.0)  # nothing saved


def test_a_save_is_a_new_version_and_revert_restores_the_imported_model(mcon):
    drivers, hourly = value_model.current_model(mcon)
    imported = drivers.copy()
    before = catalog.data_version(mcon)
    drivers.loc[drivers["feature"] == "Dispatch", "minutes_saved"] = 12
    hourly.loc[hourly["account_id"] == "M1", "hourly_cost"] = 200
    assert value_model.save(mcon, drivers, hourly, user="ops@example.com", note="new study") == 2
    assert catalog.data_version(mcon) != before
    assert cost.cost(mcon, account_id="M1", **P).value == pytest.approx((0.8 + 1.5) * 200)
    history = value_model.versions(mcon)
    assert list(zip(history["version"], history["saved_by"], history["note"])) == [
        (2, "ops@example.com", "new study"), (1, "import", "value model as imported")]
    assert value_model.revert(mcon, 1, user="ops@example.com") == 3
    assert cost.cost(mcon, account_id="M1", **P).value == pytest.approx(190.0)
    pd.testing.assert_frame_equal(value_model.current_model(mcon)[0], imported)
    assert value_model.versions(mcon)["note"].iloc[0] == "reverted to version 1"


def test_zero_minutes_and_a_zero_hourly_cost_are_valid_and_a_missing_feature_or_unknown_category_is_not(mcon):
    drivers, hourly = value_model.current_model(mcon)
    drivers.loc[0, "minutes_saved"] = 0  # a feature kept in the model at no value: allowed
    drivers.loc[1, "minutes_saved"] = 0.5
    hourly.loc[0, "hourly_cost"] = 0
    hourly.loc[1, "hourly_cost"] = 0.5
    assert value_model.validate(drivers, hourly) == []
    drivers.loc[0, "feature"] = "  "
    drivers.loc[1, "category"] = "speed"
    extra = drivers.iloc[[1]].assign(feature=None, category="")
    assert value_model.validate(pd.concat([drivers, extra], ignore_index=True), hourly) == [
        "value drivers row 1, feature: missing",
        "value drivers row 2, category: must be one of cost, efficiency, revenue, risk",
        "value drivers row 3, feature: missing"]


def test_the_effect_preview_counts_accounts_without_usage_and_without_currency(mcon):
    """M3 (no currency, no usage) and M4/M5 (USD, no usage) are counted with 0 hours, M3 under "(none)"."""
    drivers, hourly = value_model.current_model(mcon)
    frame = value_model.effect(mcon, drivers, hourly, **P).set_index("currency")
    assert sorted(frame.index) == ["(none)", "CNY", "USD"]
    assert frame.loc["(none)", "hours_saved_before"] == 0.0 and pd.isna(frame.loc["(none)", "value_before"])
    assert frame.loc["USD", "hours_saved_before"] == pytest.approx(1.9)  # M1 only: M4 and M5 have no usage
    assert frame.loc["CNY", "value_after"] == pytest.approx(172.5)
