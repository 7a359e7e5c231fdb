"""bench/run.py's summary of several rounds: the figure quoted in bench/RESULTS.md on a noisy machine."""
from __future__ import annotations

import importlib.util

from conftest import ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rounds_print_the_median_of_each_rounds_ratio_not_the_ratio_of_medians(capsys):
    """Three rounds whose bare reads swing: the import's ratio is taken within each round (3.0, 4.0, 2.5) and the
    median of those printed (3.00), with their range; the ratio of the median seconds would be 25 / 10 = 2.50."""
    rounds = [{"bare_json": {"seconds": 10.0, "peak_mb": 500}, "import_json": {"seconds": 30.0, "peak_mb": 800}},
              {"bare_json": {"seconds": 5.0, "peak_mb": 510}, "import_json": {"seconds": 20.0, "peak_mb": 820}},
              {"bare_json": {"seconds": 10.0, "peak_mb": 490}, "import_json": {"seconds": 25.0, "peak_mb": 810}}]
    _bench()._print_medians(rounds)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "medians of 3 rounds"
    assert lines[1].split() == ["bare_json", "10.000", "s", "510", "MB", "x1.00"]
    assert lines[2].split() == ["import_json", "25.000", "s", "820", "MB", "x3.00", "(2.50-4.00)", "bare_json"]
