"""The health score's back-test: the ROC AUC and the lowest-decile lift by hand, the scoring window before a renewal,
and on the demo's planted renewals the default weights against each component alone."""
from __future__ import annotations

import json
from datetime import date

import pytest

from metrics import backtest, health
from metrics.demo import load_demo
from metrics.period import Period
from metrics.store import connect


def test_auc_counts_the_pairs_the_score_orders_right_ties_half():
    assert backtest.auc([0.9, 0.8, 0.3, 0.5], [True, True, False, True]) == 1.0
    assert backtest.auc([0.9, 0.8, 0.3, 0.5], [False, True, True, True]) == 0.0
    # goods 0.6, 0.4; bads 0.5, 0.4: (0.6>0.5) 1 + (0.6>0.4) 1 + (0.4<0.5) 0 + (0.4=0.4) 0.5 = 2.5 of 4
    assert backtest.auc([0.6, 0.4, 0.5, 0.4], [True, True, False, False]) == 0.625
    assert backtest.auc([0.6, 0.4], [True, True]) is None


def test_a_renewal_is_scored_on_the_three_months_ending_at_least_90_days_before_it():
    assert backtest.scoring_period(date(2026, 8, 14)) == Period(date(2026, 2, 1), date(2026, 5, 1))
    assert backtest.scoring_period(date(2026, 3, 31)) == Period(date(2025, 10, 1), date(2026, 1, 1))  # 89 days
    assert backtest.scoring_period(date(2026, 3, 30)) == Period(date(2025, 9, 1), date(2025, 12, 1))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    db = tmp_path_factory.mktemp("backtest") / "demo.duckdb"
    con = connect(db)
    load_demo(con)
    return con, db


def test_on_the_planted_renewals_the_default_weights_beat_each_component_alone(demo):
    con, _ = demo
    result = backtest.backtest(con)
    assert (len(result.samples), result.scored, result.bad) == (18, 18, 5)
    assert result.weights == health.WEIGHTS
    assert all(result.auc > part for part in result.component_auc.values())
    # the lowest-scored tenth (2 of 18) holds a higher share of bad renewals than all 18 do
    assert result.lowest_decile == 2 and result.lowest_decile_lift == pytest.approx(
        result.lowest_decile_bad_share / (5 / 18)) and result.lowest_decile_lift > 1
    # every renewal scored with the days to that renewal, not to the accounts file's next renewal
    a021 = next(s for s in result.samples if s.account_id == "A021")
    assert (a021.renewal_date, a021.outcome, a021.period) == (
        date(2025, 12, 9), "churned", Period(date(2025, 6, 1), date(2025, 9, 1)))
    assert a021.components["renewal"] == pytest.approx((date(2025, 12, 9) - date(2025, 9, 1)).days / 180)
    # all the weight on one component: the score is that component, so its AUC is the component's
    alone = backtest.backtest(con, {name: 0.0 for name in health.WEIGHTS} | {"seats": 1.0})
    assert alone.auc == pytest.approx(result.component_auc["seats"])
    # its own uncertainty: an interval around the AUC, and 5 lost renewals are too few to judge
    assert result.auc_low < result.auc < result.auc_high <= 1 and not result.judged
    assert result.auc_high - result.auc_low > 0.2  # 18 renewals: a wide interval


def test_the_bootstrap_interval_is_scikit_learns_auc_over_resampled_renewals_and_narrows_with_more():
    import numpy as np
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(7)
    good = [bool(g) for g in rng.random(40) < 0.7]
    scores = [float(s) for s in np.round(rng.normal(60, 15, 40) + 10 * np.array(good), 0)]  # ties included
    low, high = backtest.auc_interval(scores, good)
    # the same draws one at a time through scikit-learn give the same quantiles
    draws = np.random.default_rng(0).integers(0, 40, (backtest.BOOTSTRAP_SAMPLES, 40))
    y, x = np.array(good), np.array(scores)
    every = [roc_auc_score(y[d], x[d]) for d in draws if y[d].any() and not y[d].all()]
    assert (low, high) == pytest.approx(tuple(np.quantile(every, [0.05, 0.95])))
    assert low < backtest.auc(scores, good) < high
    more_low, more_high = backtest.auc_interval(scores * 4, good * 4)
    assert more_high - more_low < high - low
    assert backtest.auc_interval([1.0, 2.0], [True, True]) == (None, None)


def test_the_cli_prints_the_backtest_in_both_languages(demo, capsys):
    import cli

    _, db = demo
    assert cli.main(["backtest", "--json", "--db", str(db)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["renewals"], printed["bad"]) == (18, 5) and len(printed["samples"]) == 18
    assert cli.main(["backtest", "--lang", "zh", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "健康度对照 18 次续约（其中缩减或流失 5 次，0 次无法计分）" in out
    assert "续约太少，尚不足以判断：续约或扩容 13 次，缩减或流失 5 次；每类至少需要 10 次" in out
    assert printed["judged"] is False and printed["auc_interval"][0] < printed["auc"] < printed["auc_interval"][1]
