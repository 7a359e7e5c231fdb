"""Every metric, registered with what it means: name, description, unit, formula and direction."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    """One headline figure: value, optional baseline and delta, and why it is missing when it is."""

    name: str
    value: float | None
    unit: str
    higher_is_better: bool | None
    baseline: float | None = None
    delta: float | None = None
    reason: str | None = None


def kpi(name: str, value: float | None, *, baseline: float | None = None, delta: float | None = None,
        reason: str | None = None) -> Kpi:
    """A Kpi for a registered metric; the delta is value / baseline - 1 unless given, None for a zero baseline."""
    spec = METRICS[name]
    if delta is None and value is not None and baseline:
        delta = value / baseline - 1
    return Kpi(name, value, spec.unit, spec.higher_is_better, baseline, delta,
               reason if value is None else None)
