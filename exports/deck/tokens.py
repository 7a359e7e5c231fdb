"""What a team's own deck template may name, and each name's text for one account in the deck's language.

A token is `{{path}}`: a path of `cli.py report --json` (`{{cost.value}}`, `{{adoption.key_feature_adoption}}`),
or `period`, `today`, `csm`. Each figure is formatted by its metric's unit in the metric registry (money with its
currency, shares as percentages, hours with their unit, changes signed). Two more kinds fill slides rather than
text: `{{each:NAME}}` repeats its slide once per item of a collection, whose `{{item.FIELD}}` tokens it fills, and
a shape holding only `{{chart:NAME}}` or `{{table:NAME}}` becomes that native chart or table (exports.deck.parts).

The CSM's figures (health, lifecycle stage) are tokens too, filled only in an internal export: the customer's deck
never shows them (exports.audience keeps the same split for the built-in deck)."""
from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable
from datetime import date

from exports.audience import asked_rows
from exports.data import ExportData
from exports.strings import fmt, reason, text
from metrics.objectives import UNITS as OBJECTIVE_UNITS
from metrics.registry import METRICS
from metrics.report import AccountReport
from metrics.story import TOP_GAPS
from wording import STAGES, term

TOKEN = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
INTERNAL = ("health.", "lifecycle.")  # the CSM's figures: filled only when the export is internal
EXTRA = ("period", "today", "csm")
LEFT_OUT = ("efficiency.method", "period.start", "period.end")  # words only in English; `period` says the period

# path -> the registered metric whose unit formats it (a path not named here is text, a date, or a count)
METRIC_OF = {
    "adoption.key_feature_adoption": "key_feature_adoption", "adoption.breadth": "breadth",
    "adoption.seat_utilization": "seat_utilization", "adoption.stickiness": "stickiness",
    "efficiency.baseline": "output_per_person", "efficiency.current": "output_per_person",
    "efficiency.delta": "efficiency_delta", "efficiency.ci_low": "efficiency_delta",
    "efficiency.ci_high": "efficiency_delta", "efficiency.comparison_delta": "efficiency_delta",
    "efficiency.adjusted_delta": "adjusted_delta", "efficiency.adjusted_ci_low": "adjusted_delta",
    "efficiency.adjusted_ci_high": "adjusted_delta", "cost.hours_saved": "hours_saved", "cost.value": "value",
    "cost.fte_equivalent": "fte_equivalent", "cost.roi": "roi", "cost.payback_months": "payback_months",
    "health.score": "health_score", "value_delivered": "value_delivered",
    "projection.annual_value": "projected_value", "projection.projected_to_date": "projected_value",
    "projection.realized_to_date": "projected_value", "projection.realized_share": "value_delivered",
    "lifecycle.days_to_activation": "time_to_first_use"}


def unit_of(metric: str) -> str:
    """The formatter's unit (wording.numbers.fmt) for a registered metric's unit."""
    unit = METRICS[metric].unit
    if unit in ("fraction", "currency", "hours", "months"):
        return unit
    if unit in ("users", "days", "score (0-100)"):
        return "count"
    return "number"


def _leaves(cls: type, prefix: str = "") -> list[tuple[str, type]]:
    """The scalar fields of a report dataclass as dotted paths (tuples are collections, not tokens)."""
    hints = typing.get_type_hints(cls)
    out: list[tuple[str, type]] = []
    for f in dataclasses.fields(cls):
        kind = hints[f.name]
        inner = [a for a in typing.get_args(kind) if a is not type(None)]
        base = inner[0] if typing.get_origin(kind) in (typing.Union, types.UnionType) and inner else kind
        if dataclasses.is_dataclass(base):
            out += _leaves(base, f"{prefix}{f.name}.")  # type: ignore[arg-type]
        elif typing.get_origin(base) is dict:
            out += [(f"{prefix}{f.name}.{stage}", int) for stage in STAGES["en"]]
        elif typing.get_origin(base) is not tuple:
            out.append((f"{prefix}{f.name}", base))
    return out


_LEAVES = _leaves(AccountReport)
PATHS = tuple(p for p, _ in _LEAVES if p not in LEFT_OUT) + EXTRA
DATES = frozenset(p for p, kind in _LEAVES if kind is date) | {"today"}


def _walk(report: AccountReport, path: str) -> object:
    """The report's value at a dotted path: attributes, then a dict's key (lifecycle.months_by_stage.loyal)."""
    value: object = report
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
    return value


def values(data: ExportData, lang: str, *, csm: str = "", internal: bool = False) -> dict[str, str]:
    """Every token path's text for this account in `lang` (PATHS); the CSM's figures only when `internal`."""
    out: dict[str, str] = {}
    for path in PATHS:
        if path.startswith(INTERNAL) and not internal:
            continue
        out[path] = _text(data, lang, path, _walk(data.report, path))
    out["period"] = data.period.label()
    out["today"] = (data.today or date.today()).isoformat()
    out["csm"] = csm
    return out


def _text(data: ExportData, lang: str, path: str, value: object) -> str:
    if path in METRIC_OF:
        unit = unit_of(METRIC_OF[path])
        return _figure(data, lang, value, unit, signed=path.endswith(("delta", "_low", "_high")))  # type: ignore[arg-type]
    if path.endswith("reason"):
        return reason(lang, value) if value else ""  # type: ignore[arg-type]
    if path == "efficiency.basis":
        usage = isinstance(value, str) and value.startswith("usage")
        return text(lang, "basis_usage_words" if usage else "basis_outcomes_short")
    if path == "industry":
        return term("industry", value, lang) if isinstance(value, str) else ""  # type: ignore[arg-type]
    if path == "lifecycle.stage":
        return STAGES.get(lang, STAGES["en"]).get(str(value), str(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return fmt(value, "count", lang)
    if isinstance(value, float):
        return fmt(value, "number", lang)
    return str(value)


# ---------------------------------------------------------------- collections a slide repeats over

def _figure(data: ExportData, lang: str, value: float | None, unit: str, signed: bool = False) -> str:
    """A figure as the deck shows it (exports.deck.builder.Deck.f): money and hours in their compact form."""
    return fmt(value, unit, lang, data.currency, signed=signed, compact=True)


def objective_figure(data: ExportData, lang: str, metric: str, value: float | None) -> str:
    """An objective's baseline, current or target figure in its metric's unit, a change signed."""
    return _figure(data, lang, value, OBJECTIVE_UNITS[metric], signed=metric.endswith("_delta"))


def _objectives(data: ExportData, lang: str) -> list[dict[str, str]]:
    def figure(metric: str, value: float | None) -> str:
        return objective_figure(data, lang, metric, value)

    return [{"metric": text(lang, f"metric_{o.metric}"), "baseline": figure(o.metric, o.baseline),
             "current": figure(o.metric, o.current), "target": figure(o.metric, o.target),
             "target_date": o.target_date.isoformat(), "progress": fmt(o.progress, "fraction", lang),
             "status": text(lang, f"status_{o.status}"), "owner": o.owner or "", "note": o.note or ""}
            for o in data.report.objectives]


def _underused(data: ExportData, lang: str) -> list[dict[str, str]]:
    """The story's room to grow: the TOP_GAPS valuable features furthest under the peers, as the built-in deck
    shows them (none when peer figures are withheld)."""
    if not data.peers_shown:
        return []
    return [{"feature": data.name(i.feature, lang), "adoption_rate": fmt(i.adoption_rate, "fraction", lang),
             "peer_median": fmt(i.peer_median, "fraction", lang), "non_adopters": fmt(i.non_adopters, "count", lang),
             "hours_left": _figure(data, lang, i.hours_left, "hours"),
             "value_left": _figure(data, lang, i.value_left, "currency")}
            for i in data.report.adoption.underused_features[:TOP_GAPS]]


def _requests(data: ExportData, lang: str) -> list[dict[str, str]]:
    return [dict(zip(("title", "asked_on", "status", "version"), row)) for row in asked_rows(data, lang)[1:]]


def _features(data: ExportData, lang: str) -> list[dict[str, str]]:
    return [{"feature": data.name(f.feature, lang), "adopters": fmt(f.adopters, "count", lang),
             "adoption_rate": fmt(f.adoption_rate, "fraction", lang), "depth": fmt(f.depth, "number", lang)}
            for f in data.report.adoption.features]


def _value_by_feature(data: ExportData, lang: str) -> list[dict[str, str]]:
    return [{"feature": data.name(r.feature, lang), "hours_saved": _figure(data, lang, r.hours_saved, "hours"),
             "value": _figure(data, lang, r.value, "currency")} for r in data.report.cost.by_feature]


EACH: dict[str, tuple[tuple[str, ...], Callable[[ExportData, str], list[dict[str, str]]]]] = {
    "objectives": (("metric", "baseline", "current", "target", "target_date", "progress", "status", "owner", "note"),
                   _objectives),
    "underused": (("feature", "adoption_rate", "peer_median", "non_adopters", "hours_left", "value_left"),
                  _underused),
    "requests": (("title", "asked_on", "status", "version"), _requests),
    "features": (("feature", "adopters", "adoption_rate", "depth"), _features),
    "value_by_feature": (("feature", "hours_saved", "value"), _value_by_feature),
}


def catalog() -> dict[str, object]:
    """Everything a template may name (`cli.py export --list-placeholders`)."""
    from exports.deck.parts import CHARTS, TABLES

    return {"tokens": [{"token": f"{{{{{p}}}}}", "internal": p.startswith(INTERNAL),
                        "unit": unit_of(METRIC_OF[p]) if p in METRIC_OF else "date" if p in DATES else "text"}
                       for p in PATHS],
            "each": {name: [f"{{{{item.{f}}}}}" for f in fields] for name, (fields, _) in EACH.items()},
            "charts": [f"{{{{chart:{name}}}}}" for name in CHARTS],
            "tables": [f"{{{{table:{name}}}}}" for name in TABLES]}
