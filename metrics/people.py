"""The people behind an account's numbers, from the user-feature-month rollup (never raw events): each user's
activity and the hours saved attributed to them (their own events and work items x the value model's minutes, so
the users' hours add up exactly to the account's hours saved), their segment, the training list of each underused
value feature, and how much of the account's value hangs on one person.

Segments, in this order (the thresholds live here once; METRICS.md documents them through the registry):
- dormant: active before, but not in the DORMANT_DAYS days up to the period's end;
- champion: among the CHAMPION_SHARE of the period's active users ranked by active days, then value features used
  (at least one user), with at least CHAMPION_DAYS active days and CHAMPION_FEATURES value features;
- regular: at least REGULAR_DAYS active days a month on average over the period;
- occasional: any other user active in the period;
- never active: in the account's user directory (the `users` kind), without any activity.
User identifiers are personal data: only someone who may see the account sees its people (the pages check the
account's access first); everything that leaves the account is counts and shares.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from metrics.accounts import Account
from metrics.period import Period
from metrics.registry import metric
from metrics.store import sql

DORMANT_DAYS = 30
CHAMPION_SHARE = 0.10
CHAMPION_DAYS = 8
CHAMPION_FEATURES = 3
REGULAR_DAYS = 4.0
SINGLE_CHAMPION = 0.5  # one user producing more than this share of the account's hours saved
SEGMENTS = ("champion", "regular", "occasional", "dormant", "never_active")
COLUMNS = ["user_id", "name", "email", "role", "department", "segment", "active_days", "events", "hours_saved",
           "value_features", "first_activity", "last_active"]


@dataclass(frozen=True)
class Concentration:
    """The share of the account's hours saved its top user and top three users produce; the single-champion flag."""

    top1_share: float | None
    top3_share: float | None
    single_champion: bool


def segment_of(frame: pd.DataFrame, period: Period) -> list[str]:
    """The segment of each row of `frame` (people.users' columns, active_days in the period) by the module's
    rules; a row without any activity is never active."""
    last_day = period.end - timedelta(days=1)
    active = frame["active_days"].fillna(0) > 0
    ranked = frame[active].assign(breadth=frame["value_features"].map(len)).sort_values(
        ["active_days", "breadth", "user_id"], ascending=[False, False, True])
    top = set(ranked["user_id"].head(max(1, math.ceil(CHAMPION_SHARE * len(ranked)))) if len(ranked) else [])
    months = len(period.months)
    out = []
    for row in frame.itertuples(index=False):
        last = row.last_active if isinstance(row.last_active, date) else None
        if last is None:
            out.append("never_active")
        elif (last_day - last).days >= DORMANT_DAYS:
            out.append("dormant")
        elif row.user_id in top and row.active_days >= CHAMPION_DAYS and len(row.value_features) >= CHAMPION_FEATURES:
            out.append("champion")
        elif row.active_days / months >= REGULAR_DAYS:
            out.append("regular")
        else:
            out.append("occasional")
    return out


@metric("user_hours_saved", unit="hours", higher_is_better=True,
        description="The account's people in the period: each user's active days, events, value features used and "
                    "the hours saved attributed to them, with a segment (champion, regular, occasional, dormant, "
                    "never active).",
        formula="per user: sum over features and months of the period of hours_saved_of(basis, the user's events, "
                "the user's work items, minutes saved), so the users' hours add up to the account's; segments: "
                f"dormant when the last active day is {DORMANT_DAYS} or more days before the period's end; champion "
                f"among the top {CHAMPION_SHARE:.0%} by active days then value features (at least one user) with "
                f">= {CHAMPION_DAYS} active days and >= {CHAMPION_FEATURES} value features; regular with >= "
                f"{REGULAR_DAYS:g} active days a month; occasional otherwise; never active: in the user directory "
                "without activity")
def people(con: duckdb.DuckDBPyConnection, account: Account, period: Period) -> pd.DataFrame:
    """The account's people (COLUMNS): everyone active up to the period's end, and the never-active users of its
    directory; most hours saved first."""
    params = {"account_key": account.key, "start": period.start, "end": period.end}
    cur = con.execute(sql("people.users"), params)
    frame = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
    frame["segment"] = segment_of(frame, period) if len(frame) else []
    cur = con.execute(sql("people.never_active"), {"account_key": account.key, "end": period.end})
    never = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
    never = never.assign(segment="never_active", active_days=0, events=0, hours_saved=0.0,
                         value_features=[[] for _ in range(len(never))], first_activity=None, last_active=None)
    both = pd.concat([frame[COLUMNS], never[COLUMNS]], ignore_index=True) if len(never) else frame[COLUMNS]
    both["events"] = both["events"].fillna(0).astype("int64")
    both["active_days"] = both["active_days"].fillna(0).astype("int64")
    both["hours_saved"] = both["hours_saved"].fillna(0.0).astype(float)
    return both.reset_index(drop=True)


def segment_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many people are in each segment (every segment, 0 included)."""
    counts = frame["segment"].value_counts()
    return {s: int(counts.get(s, 0)) for s in SEGMENTS}


@metric("value_concentration", unit="fraction", higher_is_better=False,
        description="How much of the account's hours saved hangs on its top user and its top three users; a "
                    "single-champion risk when one user produces more than half.",
        formula=f"top1_share = the largest user's hours / the account's hours; top3_share = the three largest; "
                f"single_champion when top1_share > {SINGLE_CHAMPION:g}; none without hours saved")
def concentration(frame: pd.DataFrame) -> Concentration:
    """The Concentration of the people frame's hours saved."""
    hours = sorted(frame["hours_saved"].fillna(0.0), reverse=True)
    total = sum(hours)
    if total <= 0:
        return Concentration(None, None, False)
    top1, top3 = hours[0] / total, sum(hours[:3]) / total
    return Concentration(top1, top3, top1 > SINGLE_CHAMPION)


@metric("training_list", unit="users", higher_is_better=None,
        description="For each underused value feature, the users active in the period who have not used it: who "
                    "to invite to training.",
        formula="per underused feature f: users with active days in the period and no event of f in the period; "
                "their count is the feature's non-adopters")
def training(con: duckdb.DuckDBPyConnection, account: Account, period: Period, features: list[str],
             frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """For each of `features` (the report's underused features), the period's active users of the people frame
    who did not use it, most active first (user_id, name, email, department, active_days, events)."""
    cur = con.execute(sql("people.feature_users"),
                      {"account_key": account.key, "start": period.start, "end": period.end})
    used: dict[str, set[str]] = {}
    for feature, user_id in cur.fetchall():
        used.setdefault(str(feature), set()).add(str(user_id))
    active = frame[frame["active_days"] > 0].sort_values(["active_days", "events", "user_id"],
                                                         ascending=[False, False, True])
    shown = ["user_id", "name", "email", "department", "active_days", "events"]
    return {f: active[~active["user_id"].isin(used.get(f, set()))][shown].reset_index(drop=True) for f in features}


def portfolio(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Every account's counts per segment and value concentration for the period, in one read (counts and shares
    only: no user identifier leaves this function): account_key, one column a segment, top1_share, top3_share,
    single_champion. Never-active users are not counted here (the directory is per account, on its own page)."""
    cur = con.execute(sql("people.users"), {"account_key": None, "start": period.start, "end": period.end})
    frame = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
    rows = []
    for key, users in frame.groupby("account_key"):
        users = users.assign(segment=segment_of(users, period))
        share = concentration(users)
        rows.append({"account_key": int(key), **segment_counts(users), "top1_share": share.top1_share,
                     "top3_share": share.top3_share, "single_champion": share.single_champion})
    return pd.DataFrame(rows, columns=["account_key", *SEGMENTS, "top1_share", "top3_share", "single_champion"])


LABELS = ("names", "initials", "pseudonyms")  # how an export shows people: a switch, pseudonyms the safest


def labels(frame: pd.DataFrame, mode: str, salt: bytes) -> list[str]:
    """How an export shows each user of `frame` (user_id, name): their name (the user id without one), initials
    (王*, J. S.; a user without a name as a pseudonym), or a pseudonym: "#" and six hex digits (the same in every
    language) of an HMAC of the user id under `salt`, a random key per export that the file never carries, so the
    same user reads the same within one export and cannot be traced back from it."""
    import hashlib
    import hmac

    if mode not in LABELS:
        raise ValueError(f"people labels: {mode!r} is not one of {', '.join(LABELS)}")

    def pseudonym(user_id: str) -> str:
        return "#" + hmac.new(salt, user_id.encode("utf-8"), hashlib.sha256).hexdigest()[:6].upper()

    def initials(name: str) -> str:
        if any("\u4e00" <= ch <= "\u9fff" for ch in name):
            return name[0] + "*" * (len(name) - 1)
        return " ".join(part[0].upper() + "." for part in name.split() if part)

    out = []
    for user_id, name in zip(frame["user_id"], frame["name"]):
        has_name = isinstance(name, str) and name.strip()
        if mode == "names":
            out.append(name.strip() if has_name else str(user_id))
        elif mode == "initials" and has_name:
            out.append(initials(name.strip()))
        else:
            out.append(pseudonym(str(user_id)))
    return out
