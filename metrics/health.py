"""An explainable health score: a weighted sum of named components, each shown with its value and contribution.

Each component is a figure the report already has, scaled to 0-1 by a rule written here:
- adoption: key-feature adoption, as it is (0-1);
- efficiency: the per-person efficiency change, -10 % -> 0, +30 % -> 1, linear between;
- seats: seat utilization, 0 -> 0, 80 % or more -> 1;
- usage_trend: active users against as many months before the period, -50 % -> 0, unchanged -> 0.5, +50 % -> 1;
- renewal: days from the period's end to the renewal, 0 or overdue -> 0, 180 or more -> 1 (no date: left out);
- value_delivered: the mean capped progress of the account's objectives (metrics.objectives), as it is (none: left
  out);
- concentration: 1 - the share of the hours saved the account's top user produces (metrics.people), offered at
  weight 0: a team that weights it makes every report read the account's people.
The score is 100 x the weighted mean of the components that have a value; "insufficient data" (no score) when the
account is not live or fewer than MIN_COMPONENTS components have one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from metrics.registry import metric
from metrics.store import DataError, query, run, write_transaction

# the default weights: usage signals first; renewal proximity says how urgent more than how healthy, and the
# efficiency change is the noisiest figure (chosen with metrics.backtest on the demo's planted renewals: see README)
WEIGHTS = {"adoption": 0.30, "efficiency": 0.10, "seats": 0.20, "usage_trend": 0.20, "renewal": 0.05,
           "value_delivered": 0.15, "concentration": 0.0}
MIN_COMPONENTS = 3
RENEWAL_HORIZON_DAYS = 180


@dataclass(frozen=True)
class Component:
    """One part of the score: its raw figure, its 0-1 value, its weight, and the points it adds to the score."""

    name: str
    figure: float | None
    value: float | None
    weight: float
    contribution: float | None


@dataclass(frozen=True)
class Health:
    """The score (0-100), or None with the reason; always the components."""

    score: float | None
    reason: str | None
    components: tuple[Component, ...]


def weights_of(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """The weights in force: the latest saved version, or WEIGHTS when none was saved."""
    rows = run(con, "health_weights.current").fetchall()
    return dict(zip(WEIGHTS, (float(v) for v in rows[0]))) if rows else dict(WEIGHTS)


def weight_problems(weights: dict[str, float]) -> list[str]:
    """Why these weights cannot be saved (empty when they can): every component, each between 0 and 1, some > 0."""
    problems = [f"{name}: missing" for name in WEIGHTS if name not in weights]
    problems += [f"{name}: unknown component" for name in weights if name not in WEIGHTS]
    problems += [f"{name}: must be between 0 and 1" for name, w in weights.items()
                 if name in WEIGHTS and not 0 <= w <= 1]
    if not problems and sum(weights.values()) <= 0:
        problems.append("at least one weight must be above 0")
    return problems


def save_weights(con: duckdb.DuckDBPyConnection, weights: dict[str, float], *, user: str, note: str = "") -> int:
    """Save `weights` as a new version (the one in force from now on); DataError listing the problems otherwise."""
    problems = weight_problems(weights)
    if problems:
        raise DataError("; ".join(problems))
    with write_transaction(con.cursor()) as cur:
        version = run(cur, "health_weights.last_version").fetchall()[0][0] + 1
        run(cur, "health_weights.save", {"v": version, "at": datetime.now(), "by": user, "note": note,
                                          **{name: float(weights[name]) for name in WEIGHTS}})
    return version


def weight_versions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Saved weight versions, newest first (version, saved_at, saved_by, note and one column a component)."""
    return query(con, "health_weights.versions")


def _clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def scaled(name: str, figure: float | None) -> float | None:
    """A component's raw figure on the 0-1 scale (see the module's rules); None stays None."""
    if figure is None:
        return None
    rules = {"adoption": lambda x: x, "efficiency": lambda x: (x + 0.10) / 0.40, "seats": lambda x: x / 0.80,
             "usage_trend": lambda x: 0.5 + x, "renewal": lambda x: x / RENEWAL_HORIZON_DAYS,
             "value_delivered": lambda x: x, "concentration": lambda x: 1 - x}
    return _clip(rules[name](figure))


@metric("health_score", unit="score (0-100)", higher_is_better=True,
        description="How healthy the account's use of the product is, as a weighted sum of named components the "
                    "page lists with their contributions; withheld as insufficient data when the account is not "
                    "live or too few components can be measured.",
        formula="100 x sum(weight x component) / sum(weights of the components measured); components: "
                "adoption = key-feature adoption; efficiency = (efficiency change + 0.10) / 0.40; seats = seat "
                "utilization / 0.80; usage_trend = 0.5 + change of active users on the months before; renewal = "
                f"days to renewal / {RENEWAL_HORIZON_DAYS}; value_delivered = mean capped objective progress; "
                "concentration = 1 - the top user's share of the hours saved; each "
                "clipped to 0-1; weights "
                + ", ".join(f"{k} {v:g}" for k, v in WEIGHTS.items())
                + f" by default (saved as versions on Data > Value model); none with fewer than {MIN_COMPONENTS} "
                "components or before go-live")
def health(*, live: bool, adoption: float | None, efficiency: float | None, seats: float | None,
           usage_trend: float | None, days_to_renewal: int | None, value_delivered: float | None = None,
           weights: dict[str, float] | None = None, top_user_share: float | None = None) -> Health:
    """The Health of an account from its report's figures (see the module)."""
    weights = weights or WEIGHTS
    figures = {"adoption": adoption, "efficiency": efficiency, "seats": seats, "usage_trend": usage_trend,
               "renewal": None if days_to_renewal is None else float(days_to_renewal),
               "value_delivered": value_delivered, "concentration": top_user_share}
    values = {name: scaled(name, figure) for name, figure in figures.items()}
    measured = sum(weights[n] for n, v in values.items() if v is not None)
    def points(name: str) -> float | None:
        value = values[name]
        return 100 * weights[name] * value / measured if value is not None and measured else None

    components = tuple(Component(n, figures[n], values[n], weights[n], points(n)) for n in WEIGHTS)
    count = sum(v is not None for v in values.values())
    if not live:
        return Health(None, "not live yet", components)
    if count < MIN_COMPONENTS:
        return Health(None, f"fewer than {MIN_COMPONENTS} components measured", components)
    if not measured:
        return Health(None, "no measured component has a weight", components)
    return Health(sum(c.contribution or 0.0 for c in components), None, components)
