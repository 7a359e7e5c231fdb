"""Every metric, registered with what it means: name, description, unit, formula and direction."""
from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class MetricDef:
    """What a metric is: documented in METRICS.md under a heading of its name."""

    name: str
    description: str
    unit: str
    formula: str
    higher_is_better: bool | None
    function: str


METRICS: dict[str, MetricDef] = {}


def define(name: str, *, description: str, unit: str, formula: str, higher_is_better: bool | None,
           function: str) -> None:
    """Register metric `name`, computed by `function` (a dotted path)."""
    if name in METRICS:
        raise ValueError(f"metric {name} registered twice")
    METRICS[name] = MetricDef(name, description, unit, formula, higher_is_better, function)


def metric(name: str, *, description: str, unit: str, formula: str,
           higher_is_better: bool | None) -> Callable[[F], F]:
    """Register the decorated function as the one source of metric `name`."""
    def register(fn: F) -> F:
        define(name, description=description, unit=unit, formula=formula, higher_is_better=higher_is_better,
               function=f"{fn.__module__}.{fn.__qualname__}")
        return fn
    return register


@dataclass(frozen=True)
class Kpi:
    """One headline figure of a registered metric: value, unit, direction, and why it is missing when it is."""

    name: str
    value: float | None
    unit: str
    higher_is_better: bool | None
    reason: str | None = None


def kpi(name: str, value: float | None, *, reason: str | None = None) -> Kpi:
    """A Kpi for a registered metric; `reason` is kept only when the value is missing."""
    spec = METRICS[name]
    return Kpi(name, value, spec.unit, spec.higher_is_better, reason if value is None else None)


# ---------------------------------------------------------------- METRICS.md, generated
# The prose of METRICS.md (conventions, section introductions) is written by hand; each metric's block under its
# "### `name`" heading is the registry's text, rewritten by `python -m metrics.registry`. A test fails when the file
# differs from what this would write, so a changed formula cannot leave the documentation stale.
METRICS_MD = Path(__file__).resolve().parent.parent / "METRICS.md"
MODULES = ("metrics.adoption", "metrics.efficiency", "metrics.cost", "metrics.portfolio", "metrics.benchmarks",
           "metrics.lifecycle", "metrics.health", "metrics.objectives", "metrics.backtest",
           "metrics.priority", "metrics.requirements", "metrics.people",
           "metrics.case_study")  # every module that registers metrics
_BLOCK = re.compile(r"^### `([a-z_]+)`\n.*?(?=^### |^## |\Z)", re.M | re.S)


def _direction(higher_is_better: bool | None) -> str:
    return {True: "higher is better", False: "lower is better", None: "neither higher nor lower is better"}[
        higher_is_better]


def metric_block(spec: MetricDef) -> str:
    """One metric's section of METRICS.md."""
    return (f"### `{spec.name}`\n\n{spec.description}\n\n- unit: {spec.unit}; {_direction(spec.higher_is_better)}\n"
            f"- formula: {spec.formula}\n- computed by: `{spec.function}`\n\n")


def metrics_md(text: str) -> str:
    """METRICS.md with every metric block rewritten from the registry; a registered metric the file lacks is added
    under "## Not yet placed", and a block whose metric is no longer registered is dropped."""
    for module in MODULES:
        importlib.import_module(module)
    seen: set[str] = set()

    def rewrite(match: re.Match[str]) -> str:
        name = match.group(1)
        seen.add(name)
        return metric_block(METRICS[name]) if name in METRICS else ""
    text = _BLOCK.sub(rewrite, text)
    missing = [spec for name, spec in METRICS.items() if name not in seen]
    if missing:
        text = text.rstrip("\n") + "\n\n## Not yet placed\n\n" + "".join(metric_block(s) for s in missing)
    return text.rstrip("\n") + "\n"


if __name__ == "__main__":  # python -m metrics.registry: rewrite METRICS.md from the registry
    from metrics import registry  # the module the metric modules register into (this one runs as __main__)

    registry.METRICS_MD.write_text(registry.metrics_md(registry.METRICS_MD.read_text(encoding="utf-8")),
                                   encoding="utf-8")
    sys.exit(0)
