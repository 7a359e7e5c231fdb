"""The suggested priority of a requirement (A > B > C > D), bounded so that letters tell requirements apart.

The suggestion (`suggest`) is bounded: each requirement starts from what it is and moves at most two letters,
one for urgency and one for demand, so letters keep telling requirements apart (README, "Requirement letters").
1. Importance, the floor: a core selling point is A; a capability gap the product cannot solve is B, A when a
   competitor solves it (a request names one); a competitor having it without a gap is B (must have); more revenue
   or less cost is B; quick to learn is B; less workload is C; brand value and looks are D; nothing known is C.
2. Urgency: a requirement is urgent when at least URGENT_SHARE of its requests were raised as high urgency; an
   urgent bug is A (stability first); an urgent request moves up one letter.
3. Demand, one letter at most however many of its signals hold: repetition (REPEAT_REQUESTS or more requests
   spread over REPEAT_MONTHS or more months; not for bugs, the newest bug ranks first) and coverage (WIDE_ACCOUNTS
   or more accounts, influential customers counted inside: a benchmark customer counts as INFLUENTIAL accounts; or
   the requesting accounts renewing RENEWING_ACV_SHARE or more of their contract value within RENEWAL_DAYS).
A is the top. Within a letter urgency decides before importance: urgent requirements first, then the higher floor,
then demand (accounts, benchmark customers, renewing value, repetition; for bugs how recent the newest is).
Nothing is filtered away: a request not supported now keeps its words and the reason, and is reviewed again.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from metrics.accounts import Account
from metrics.registry import metric

LETTERS = ("A", "B", "C", "D")
BENEFITS = ("revenue", "cost", "learnability", "workload", "brand", "looks")
REPEAT_REQUESTS = 3    # requests raising it ...
REPEAT_MONTHS = 3      # ... spread over this many calendar months: moves up
WIDE_ACCOUNTS = 10     # accounts asking: moves up (a widespread bug too) ...
INFLUENTIAL = 3        # ... a benchmark customer counting as this many accounts
URGENT_SHARE = 1 / 3   # of its requests raised as high urgency: the requirement is urgent
RENEWING_ACV_SHARE = 0.5  # share of the requesters' contract value renewing ...
RENEWAL_DAYS = 90      # ... within this many days (a quarter, as attention counts): moves up


@dataclass(frozen=True)
class Request:
    """One customer request as imported."""

    request_id: str
    account_id: str
    request_date: date
    words: str
    requester: str | None
    channel: str | None
    area: str | None
    type: str
    urgency: str
    competitor: str | None


@dataclass(frozen=True)
class Coverage:
    """Who asks, from ValueLens's own data: the requesting accounts, their contract value per currency (all, and
    renewing within RENEWAL_DAYS), industries, regions, and the benchmark customers among them."""

    accounts: tuple[str, ...]
    acv: dict[str, float]
    acv_renewing: dict[str, float]
    industries: tuple[str, ...]
    regions: tuple[str, ...]
    benchmark: tuple[str, ...]


@dataclass(frozen=True)
class Reason:
    """What one dimension did to the suggestion: `effect` is "floor X", "+1", "A" or "order"; `code` names the rule
    (wording.requirement_reason words it) and `values` its figures."""

    dimension: str
    effect: str
    code: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    """The suggested letter, its ranking score and each dimension's contribution."""

    letter: str
    score: float
    reasons: tuple[Reason, ...]


def _up(letter: str, steps: int = 1) -> str:
    return LETTERS[max(0, LETTERS.index(letter) - steps)]


def coverage_of(requests: Sequence[Request], accounts: dict[str, Account], benchmark: Iterable[str],
                today: date) -> Coverage:
    """The Coverage of a requirement's requests (`accounts` by id; `benchmark`: the benchmark customers' ids)."""
    ids = tuple(sorted({r.account_id for r in requests}))
    acv: dict[str, float] = {}
    renewing: dict[str, float] = {}
    for account_id in ids:
        a = accounts[account_id]
        if a.annual_contract_value and a.currency:
            acv[a.currency] = acv.get(a.currency, 0.0) + a.annual_contract_value
            if a.renewal_date is not None and 0 <= (a.renewal_date - today).days <= RENEWAL_DAYS:
                renewing[a.currency] = renewing.get(a.currency, 0.0) + a.annual_contract_value
    stars = set(benchmark)
    industries = {str(accounts[i].industry) for i in ids if accounts[i].industry}
    regions = {str(accounts[i].region) for i in ids if accounts[i].region}
    return Coverage(ids, acv, renewing, tuple(sorted(industries)), tuple(sorted(regions)),
                    tuple(i for i in ids if i in stars))


@metric("requirement_priority", unit="letter (A > B > C > D)", higher_is_better=True,
        description="The priority a requirement is suggested from what it is, how urgent it is, and how often, how "
                    "long and by whom it has been asked; at most one letter for urgency and one for demand above "
                    "its floor; a person may set another letter with a reason (both kept).",
        formula="floor from the nature: core selling point A; capability gap B, A when a competitor solves it; a "
                "competitor has it B; revenue, cost or quick to learn B; less workload C; brand or looks D; else C. "
                f"Urgency (>= {URGENT_SHARE:.0%} of its requests high urgency): a bug A, a request +1. Demand, +1 "
                f"at most: >= {REPEAT_REQUESTS} requests over >= {REPEAT_MONTHS} months (not bugs), "
                f">= {WIDE_ACCOUNTS} accounts (a benchmark customer counts {INFLUENTIAL}), or "
                f">= {RENEWING_ACV_SHARE:.0%} of the "
                f"requesters' contract value renewing within {RENEWAL_DAYS} days; at most A. Order within a "
                "letter: 1000 if urgent + 100 x floor (A 3 .. D 0) + demand (5 x accounts up to 10, 10 x benchmark "
                "customers up to 3, 10 x renewing share, requests up to 9 when repeated, for bugs up to 30 for the "
                "newest, less 1 a fortnight; at most 99)")
def suggest(requests: Sequence[Request], coverage: Coverage, *, capability_gap: bool = False,
            core_selling_point: bool = False, benefit: str | None = None, today: date) -> Suggestion:
    """The suggested priority of a requirement from its requests and the dimensions people judged (see the
    module's rules)."""
    reasons: list[Reason] = []
    competitors = sorted({str(r.competitor) for r in requests if r.competitor})
    bug = bool(requests) and all(r.type == "bug" for r in requests)
    # 1. importance: the floor
    floors: list[tuple[str, str, dict[str, object]]] = []
    if core_selling_point:
        floors.append(("A", "core_selling_point", {}))
    if capability_gap:
        floors.append(("A", "gap_competitor", {"competitors": competitors}) if competitors else ("B", "gap", {}))
    elif competitors:
        floors.append(("B", "competitor_has", {"competitors": competitors}))
    if benefit is not None:
        floors.append(({"revenue": "B", "cost": "B", "learnability": "B", "workload": "C", "brand": "D",
                        "looks": "D"}[benefit], f"benefit_{benefit}", {}))
    if floors:
        letter = min(f[0] for f in floors)
        reasons += [Reason("nature", f"floor {f[0]}", f[1], f[2]) for f in floors]
    else:
        letter = "C"
        reasons.append(Reason("nature", "floor C", "nature_unknown"))
    floor = letter
    # 2. urgency: decides before importance
    high = sum(r.urgency == "high" for r in requests)
    urgent = bool(requests) and high / len(requests) >= URGENT_SHARE
    if urgent:
        if bug:
            letter = floor = "A"  # stability first: an urgent bug ranks as the most important
            reasons.append(Reason("urgency", "A", "urgent_bug", {"urgent": high, "requests": len(requests)}))
        else:
            letter = _up(letter)
            reasons.append(Reason("urgency", "+1", "urgent", {"urgent": high, "requests": len(requests)}))
    # 3. demand: repetition and coverage together, one letter at most
    signals: list[Reason] = []
    months = {(r.request_date.year, r.request_date.month) for r in requests}
    repeated = not bug and len(requests) >= REPEAT_REQUESTS and len(months) >= REPEAT_MONTHS
    if repeated:
        first = min(r.request_date for r in requests)
        signals.append(Reason("repetition", "signal", "repeated", {"requests": len(requests), "months": len(months),
                                                                   "since": first.isoformat()}))
    newest = max((r.request_date for r in requests), default=today)
    acv = sum(coverage.acv.values())
    renewing_share = sum(coverage.acv_renewing.values()) / acv if acv else 0.0
    weight = len(coverage.accounts) + (INFLUENTIAL - 1) * len(coverage.benchmark)
    if weight >= WIDE_ACCOUNTS:
        signals.append(Reason("coverage", "signal", "benchmark" if coverage.benchmark else "wide",
                              {"accounts": len(coverage.accounts), "benchmark": list(coverage.benchmark),
                               "weight": weight}))
    if renewing_share >= RENEWING_ACV_SHARE:
        signals.append(Reason("coverage", "signal", "renewing", {"renewing_share": renewing_share}))
    if signals:
        letter = _up(letter)
        reasons += signals
        reasons.append(Reason("demand", "+1", "demand_up", {"signals": len(signals)}))
    else:
        reasons.append(Reason("coverage", "order", "coverage", {"accounts": len(coverage.accounts),
                                                                "renewing_share": renewing_share}))
    if bug:
        reasons.append(Reason("repetition", "order", "newest_bug", {"newest": newest.isoformat()}))
    demand = (5 * min(len(coverage.accounts), 10) + 10 * min(len(coverage.benchmark), 3) + 10 * renewing_share
              + (min(len(requests), 9) if repeated else 0))
    if bug:  # the newest first: up to 30 points, one less per fortnight of age
        demand += max(0.0, 30 - (today - newest).days / 14)
    score = 1000.0 * urgent + 100.0 * (len(LETTERS) - 1 - LETTERS.index(floor)) + min(demand, 99.0)
    return Suggestion(letter, score, tuple(reasons))


class _Lettered(Protocol):
    @property
    def priority(self) -> str: ...


def distribution(items: Iterable[_Lettered]) -> dict[str, int]:
    """How many requirements have each letter in force, A to D (every letter present, zero when none)."""
    out = dict.fromkeys(LETTERS, 0)
    for item in items:
        out[item.priority] += 1
    return out
