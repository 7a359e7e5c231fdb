"""The requirement pool: customers' requests (the `requests` kind, in their own words) grouped by people into
requirements, each with a suggested priority letter (A > B > C > D) from six dimensions, the letter a person set
over it with a reason, and a status from new to shipped; the follow-up list, release notes, and whether the
customers who asked use what shipped. The suggested letter's rules are metrics.priority's. Nothing is filtered
away: a request not supported now keeps its words and the reason, and is reviewed again.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from metrics.accounts import RowsByAccount, all_accounts
from metrics.errors import DataError
from metrics.priority import (  # the suggestion's rules, and the names the board and its callers use
    BENEFITS as BENEFITS,
)
from metrics.priority import (
    INFLUENTIAL as INFLUENTIAL,
)
from metrics.priority import (
    LETTERS as LETTERS,
)
from metrics.priority import (
    RENEWAL_DAYS as RENEWAL_DAYS,
)
from metrics.priority import (
    RENEWING_ACV_SHARE as RENEWING_ACV_SHARE,
)
from metrics.priority import (
    REPEAT_MONTHS as REPEAT_MONTHS,
)
from metrics.priority import (
    REPEAT_REQUESTS as REPEAT_REQUESTS,
)
from metrics.priority import (
    URGENT_SHARE as URGENT_SHARE,
)
from metrics.priority import (
    WIDE_ACCOUNTS as WIDE_ACCOUNTS,
)
from metrics.priority import (
    Coverage as Coverage,
)
from metrics.priority import (
    Reason as Reason,
)
from metrics.priority import (
    Request as Request,
)
from metrics.priority import (
    Suggestion as Suggestion,
)
from metrics.priority import (
    coverage_of as coverage_of,
)
from metrics.priority import (
    distribution as distribution,
)
from metrics.priority import (
    suggest as suggest,
)
from metrics.registry import metric
from metrics.store import run, sql, write_transaction

STATUSES = ("new", "accepted", "scheduled", "in_progress", "shipped", "not_supported")
FOLLOW_UP_DAYS = 90    # an open requirement unchanged this long is on the follow-up list
SIMILAR = 0.35         # cosine similarity of the requests' grams from which a request is suggested as similar


# ---------------------------------------------------------------- similar requests (grouping is a user's action)

def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()


_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[^\W\d_]+|\d+")


def _grams(text: str) -> list[str]:
    """What two requests are compared by: in Chinese (no spaces between words) each character and each pair of
    neighbours; in other words (English), each word's character 3-grams (so "report" meets "reports"), function
    words left out. Single letters shared by any two English sentences made unrelated requests look alike."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    text = _normal(text)
    out: list[str] = []
    for han in _HAN_RUN.findall(text):
        out += list(han) + [han[i:i + 2] for i in range(len(han) - 1)]
    for word in _WORD.findall(_HAN_RUN.sub(" ", text)):
        if len(word) > 1 and word not in ENGLISH_STOP_WORDS:
            padded = f" {word} "
            out += [padded[i:i + 3] for i in range(len(padded) - 2)]
    return out


def similarity(texts: Sequence[str]):  # -> numpy array (scikit-learn and numpy load only when asked)
    """Pairwise cosine similarity of the texts' grams (_grams), TF-IDF weighted (scikit-learn's TfidfVectorizer
    with that analyzer); a text without any gram is like no other."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    if not any(_grams(t) for t in texts):
        import numpy as np

        return np.eye(len(texts))
    return cosine_similarity(TfidfVectorizer(analyzer=_grams).fit_transform(texts))


def similar_to(requests: Sequence[Request], request_id: str, *, limit: int = 5) -> list[tuple[Request, float]]:
    """The requests most like `request_id`'s words (similarity >= SIMILAR), most alike first; never merged."""
    ids = [r.request_id for r in requests]
    if request_id not in ids or len(requests) < 2:
        return []
    i = ids.index(request_id)
    scores = similarity([r.words for r in requests])[i]
    ranked = sorted(((float(s), j) for j, s in enumerate(scores) if j != i and s >= SIMILAR), reverse=True)
    return [(requests[j], s) for s, j in ranked[:limit]]


# ---------------------------------------------------------------- stored requests and requirements

def requests_of(con: duckdb.DuckDBPyConnection) -> list[Request]:
    """Every imported request, oldest first."""
    return [Request(*row) for row in con.execute(sql("requirements.requests")).fetchall()]


def create(con: duckdb.DuckDBPyConnection, title: str, request_ids: Sequence[str], *, user: str,
           area: str | None = None, at: datetime | None = None) -> int:
    """A new requirement grouping `request_ids` (taken from any requirement they were in), created now (or `at`,
    for a history recorded elsewhere); its id."""
    if not title.strip():
        raise DataError("requirement: title: missing value")
    with write_transaction(con.cursor()) as cur:
        new_id = run(cur, "requirements.next_id").fetchall()[0][0]
        run(cur, "requirements.insert", {"id": new_id, "title": title.strip(), "area": area,
                                         "at": at or datetime.now(), "by": user})
        _group(cur, new_id, request_ids)
        run(cur, "requirements.snapshot", {"id": new_id, "suggested": None})
    return int(new_id)


def group_into(con: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[str, str]], *, user: str) -> tuple[int, int]:
    """(request id, requirement title) pairs grouped in one transaction: each request into the requirement of that
    title (any case or width, either language of a "中文 / English" title: as an imported `requirement` column is
    matched), created when none matches; DataError naming unknown requests, nothing changed then. Returns how many
    requirements were created and how many stored ones gained requests."""
    from metrics.ingest.merge import group_pairs

    with write_transaction(con.cursor()) as cur:
        known = {row[0] for row in run(cur, "requirements.request_ids").fetchall()}
        unknown = sorted({r for r, _ in pairs if r not in known})
        if unknown:
            raise DataError(f"requirement: requests: unknown request {', '.join(unknown)}")
        return group_pairs(cur, [(r, t) for r, t in pairs if t and t.strip()], user)


_REQUEST_ID = ("request_id", "需求编号", "工单号", "ticket_id", "id", "request")
_REQUIREMENT = ("requirement", "需求名称", "需求标题", "requirement_title", "feature_request", "title")


def grouping_file(path: Path) -> list[tuple[str, str]]:
    """The (request id, requirement) pairs of a two-column CSV or XLSX file, its headers in English or Chinese."""
    try:
        frame = pd.read_excel(path, dtype=str) if path.suffix.lower() in (".xlsx", ".xlsm") else \
            pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name}: cannot be read as a CSV or XLSX file of request ids and requirements") \
            from exc
    headers = {str(c).strip().lower(): c for c in frame.columns}
    ids = next((headers[h] for h in _REQUEST_ID if h in headers), None)
    titles = next((headers[h] for h in _REQUIREMENT if h in headers), None)
    if ids is None or titles is None:
        raise DataError(f"{path.name}: needs a request id column (request_id, 需求编号) and a requirement column "
                        "(requirement, 需求名称)")
    return [(str(r).strip(), str(t).strip()) for r, t in zip(frame[ids], frame[titles])
            if isinstance(r, str) and r.strip() and isinstance(t, str) and t.strip()]


def group(con: duckdb.DuckDBPyConnection, requirement_id: int, request_ids: Sequence[str]) -> None:
    """Put `request_ids` in the requirement (out of any other)."""
    with write_transaction(con.cursor()) as cur:
        _group(cur, requirement_id, request_ids)


def _group(cur, requirement_id: int, request_ids: Sequence[str]) -> None:
    known = {row[0] for row in run(cur, "requirements.request_ids").fetchall()}
    unknown = [r for r in request_ids if r not in known]
    if unknown:
        raise DataError(f"requirement: requests: unknown request {', '.join(unknown)}")
    cur.executemany(sql("requirements.ungroup"), [(r,) for r in request_ids])
    cur.executemany(sql("requirements.group"), [(requirement_id, r) for r in request_ids])


def update(con: duckdb.DuckDBPyConnection, requirement_id: int, *, user: str, suggested: str | None = None,
           at: datetime | None = None, **changes: object) -> None:
    """Change a requirement's fields (status, status_note, target_version, shipped_version, shipped_date,
    capability_gap, core_selling_point, benefit, priority, priority_reason, features, title, area) and keep the
    saved row in its history with `suggested` (the suggestion when it was saved). A priority needs a reason;
    shipped needs a version and a date; not supported needs a reason. Saved now, or `at` (a history recorded
    elsewhere)."""
    allowed = {"status", "status_note", "target_version", "shipped_version", "shipped_date", "capability_gap",
               "core_selling_point", "benefit", "priority", "priority_reason", "features", "title", "area"}
    problems = [f"requirement: {k}: not a field" for k in changes if k not in allowed]
    current = details(con, requirement_id)
    merged = {**current, **changes}
    if merged["status"] not in STATUSES:
        problems.append("requirement: status: must be one of " + ", ".join(STATUSES))
    if merged["priority"] is not None and merged["priority"] not in LETTERS:
        problems.append("requirement: priority: must be A, B, C or D")
    if merged["priority"] is not None and not str(merged["priority_reason"] or "").strip():
        problems.append("requirement: priority_reason: a letter set over the suggestion needs a reason")
    if merged["benefit"] is not None and merged["benefit"] not in BENEFITS:
        problems.append("requirement: benefit: must be one of " + ", ".join(BENEFITS))
    if merged["status"] == "shipped" and not (merged["shipped_version"] and merged["shipped_date"]):
        problems.append("requirement: shipped: needs the version and the date")
    if merged["status"] == "not_supported" and not str(merged["status_note"] or "").strip():
        problems.append("requirement: not supported: needs the reason")
    if problems:
        raise DataError("; ".join(problems))
    with write_transaction(con.cursor()) as cur:
        run(cur, "requirements.update", {**{k: merged[k] for k in allowed}, "id": requirement_id,
                                         "at": at or datetime.now(), "by": user})
        run(cur, "requirements.snapshot", {"id": requirement_id, "suggested": suggested})


def details(con: duckdb.DuckDBPyConnection, requirement_id: int) -> dict[str, object]:
    """A requirement's stored fields; DataError when there is none."""
    cur = con.execute(sql("requirements.one"), {"id": requirement_id})
    rows = cur.fetchall()
    if not rows:
        raise DataError(f"unknown requirement {requirement_id}")
    return dict(zip([d[0] for d in cur.description], rows[0]))


def history(con: duckdb.DuckDBPyConnection, requirement_id: int) -> pd.DataFrame:
    """Every save of the requirement, newest first (saved_at, saved_by, status, priority, suggested, reason)."""
    return con.execute(sql("requirements.history"), {"id": requirement_id}).df()


@dataclass(frozen=True)
class Requirement:
    """A requirement on the board: its stored fields, requests, coverage and suggestion, and the letter in force
    (the one a person set, else the suggestion)."""

    requirement_id: int
    title: str
    area: str | None
    status: str
    fields: dict[str, object]
    requests: tuple[Request, ...]
    coverage: Coverage
    suggestion: Suggestion

    @property
    def priority(self) -> str:
        return str(self.fields["priority"] or self.suggestion.letter)


def board(con: duckdb.DuckDBPyConnection, *, today: date, benchmark: Iterable[str] = ()) -> list[Requirement]:
    """Every requirement, ranked: the letter in force (A first), then the suggestion's score (highest first)."""
    accounts = {a.account_id: a for a in all_accounts(con)}
    by_id = {r.request_id: r for r in requests_of(con)}
    members: dict[int, list[Request]] = {}
    for requirement_id, request_id in con.execute(sql("requirements.members")).fetchall():
        members.setdefault(int(requirement_id), []).append(by_id[request_id])
    cur = con.execute(sql("requirements.all"))
    names = [d[0] for d in cur.description]
    stars = list(benchmark)
    out = []
    for row in cur.fetchall():
        f = dict(zip(names, row))
        asked = sorted(members.get(int(f["requirement_id"]), []), key=lambda r: (r.request_date, r.request_id))
        cov = coverage_of(asked, accounts, stars, today)
        sug = suggest(asked, cov, capability_gap=bool(f["capability_gap"]),
                      core_selling_point=bool(f["core_selling_point"]), benefit=f["benefit"], today=today)
        out.append(Requirement(int(f["requirement_id"]), str(f["title"]), f["area"], str(f["status"]), f, tuple(asked),
                               cov, sug))
    return sorted(out, key=lambda r: (LETTERS.index(r.priority), -r.suggestion.score, r.requirement_id))


def add_request(con: duckdb.DuckDBPyConnection, *, account_id: str, request_date: date, words: str, user: str,
                requester: str | None = None, channel: str | None = None, area: str | None = None,
                type: str = "request", urgency: str = "medium", competitor: str | None = None) -> str:
    """Record one request typed on the Requirements page: imported like a file of the `requests` kind (the same
    checks, the same id, in the import log under the source "requirements page"); its request_id. DataError with
    the reasons when it is refused (nothing stored)."""
    from metrics import ingest  # the import machinery loads only when a request is typed in

    row = {"request_id": None, "account_id": account_id, "request_date": request_date.isoformat(), "words": words,
           "requester": requester, "channel": channel, "area": area, "type": type, "urgency": urgency,
           "competitor": competitor}
    data = pd.DataFrame([row]).drop(columns="request_id").to_csv(index=False).encode("utf-8")
    result = ingest.import_bytes(con, data, f"request typed by {user}.csv", kind="requests",
                                 source="requirements page", force=True)
    if result.rows_rejected:
        raise DataError("; ".join(f"request: {c}: {r}" for c, r in zip(result.rejects["column_name"],
                                                                        result.rejects["reason"])))
    return next(r.request_id for r in reversed(requests_of(con))
                if r.account_id == account_id and r.request_date == request_date and r.words == words.strip())


def follow_up(items: Sequence[Requirement], *, today: date, days: int = FOLLOW_UP_DAYS) -> list[Requirement]:
    """Requirements to follow up: every status but shipped (one not supported now is reviewed again too) unchanged
    for `days` days or more, the oldest change first."""
    stale = [r for r in items if r.status != "shipped"
             and (today - _day(r.fields["updated_at"])).days >= days]
    return sorted(stale, key=lambda r: (_day(r.fields["updated_at"]), r.requirement_id))


def release_notes(items: Sequence[Requirement]) -> dict[str, list[Requirement]]:
    """Shipped requirements by version, the latest release first, each with its note (status_note)."""
    shipped = sorted((r for r in items if r.status == "shipped"),
                     key=lambda r: (_day(r.fields["shipped_date"]), str(r.fields["shipped_version"])), reverse=True)
    out: dict[str, list[Requirement]] = {}
    for r in shipped:
        out.setdefault(str(r.fields["shipped_version"]), []).append(r)
    return out


def _moment(day: str | None) -> datetime | None:
    """The start of an ISO day, None for none."""
    return datetime.fromisoformat(day) if day else None


def _day(value: object) -> date:
    return value.date() if isinstance(value, datetime) else value  # type: ignore[return-value]


def apply(con: duckdb.DuckDBPyConnection, made: Sequence[dict], *, user: str) -> list[int]:
    """Create requirements as a person would: each item's title (with title_zh, both kept), its requests, then
    its fields (status, versions, note, features, the judged dimensions); their ids. An item may carry the day it
    was `created` and its `history` (each earlier status with its day, the last one the day of the fields): every
    step is saved on its day, so the history and the follow-up list read as they happened. Requirements already
    present with the same title are left alone, so applying twice changes nothing."""
    existing = {str(r[0]) for r in con.execute(sql("requirements.titles")).fetchall()}
    area_of = {r.request_id: r.area for r in requests_of(con)}  # read once, not once a requirement
    out = []
    for item in made:
        title = " / ".join(t for t in (item.get("title_zh"), item["title"]) if t)
        if title in existing:
            continue
        areas = [area_of[r] for r in item["requests"] if area_of.get(r)]
        created = _moment(item.get("created"))
        new_id = create(con, title, item["requests"], user=user, area=item.get("area") or next(iter(areas), None),
                        at=created)
        steps = item.get("history") or []
        for step in steps[:-1]:
            update(con, new_id, user=user, at=_moment(step["at"]),
                   **{k: v for k, v in step.items() if k != "at"})
        fields = {k: item.get(k) for k in ("status", "target_version", "shipped_version", "status_note",
                                            "capability_gap", "core_selling_point", "benefit")}
        fields["shipped_date"] = date.fromisoformat(item["shipped_date"]) if item.get("shipped_date") else None
        fields["features"] = item.get("features") or None
        update(con, new_id, user=user, at=_moment(steps[-1]["at"]) if steps else created,
               **{k: v for k, v in fields.items() if v is not None or k == "shipped_date"})
        out.append(new_id)
    return out



# ---------------------------------------------------------------- closing the loop: do the customers who asked use it?

@dataclass(frozen=True)
class LoopGroup:
    """One group of accounts live before the release (the requesting ones, or the others): how many, the share that
    used the requirement's features after the release month, how many of those had not used them before, their
    median days from the release to the first use, and the hours those features saved per account and month."""

    accounts: int
    using: float | None
    new_users: int
    days_to_first_use: float | None
    hours_per_account_month: float | None


@metric("requirement_adoption", unit="fraction", higher_is_better=True,
        description="After a requirement shipped: whether the accounts that asked for it use the value-model "
                    "features that deliver it, against the accounts that did not ask.",
        formula="over accounts live before the release, requesting and not: using = share with events of the "
                "features in the months after the release month; new users = of those, the ones without any before "
                "the release month; days to first use = median (first use after the release month - release date) "
                "of the new users; hours = hours saved by the features in those months / (accounts x months)")
def loop(con: duckdb.DuckDBPyConnection, item: Requirement, *, end: date) -> dict[str, LoopGroup] | None:
    """The requesting and the other accounts' use of a shipped requirement's features up to `end` (the data's
    end: the first day after its last month); None unless it shipped with features and a full month has passed."""
    release, features = item.fields["shipped_date"], [str(f) for f in item.fields["features"] or []]  # type: ignore[attr-defined]
    if item.status != "shipped" or not features or release is None:
        return None
    release = _day(release)
    months = (end.year - release.year) * 12 + end.month - release.month - 1  # full months after the release month
    if months < 1:
        return None
    rows = con.execute(sql("requirements.loop"), {"features": features, "release": release, "end": end}).fetchall()
    asked = set(item.coverage.accounts)
    out = {}
    for name, members in (("requesting", [r for r in rows if r[0] in asked]),
                          ("others", [r for r in rows if r[0] not in asked])):
        using = [r for r in members if r[2] is not None]
        new = [r for r in using if not r[1]]
        days = sorted((_day(r[2]) - release).days for r in new)
        median = None if not days else (days[len(days) // 2] if len(days) % 2 else
                                         (days[len(days) // 2 - 1] + days[len(days) // 2]) / 2)
        out[name] = LoopGroup(len(members), len(using) / len(members) if members else None, len(new), median,
                              sum(float(r[3]) for r in members) / (len(members) * months) if members else None)
    return out


def of_account(con: duckdb.DuckDBPyConnection, account_id: str, *, every: RowsByAccount | None = None,
               account_key: int | None = None) -> pd.DataFrame:
    """One account's requests, newest first, each with its requirement's title, status and versions (none while
    not grouped): request_date, words, type, title, status, target_version, shipped_version, shipped_date.
    `every` (of_every_account) with the account's `account_key`: found there, for the files of many accounts."""
    if every is not None and account_key is not None:
        return every.of(account_key)
    return con.execute(sql("requirements.of_account"), {"account_id": account_id}).df().drop(columns="account_key")


def of_every_account(con: duckdb.DuckDBPyConnection) -> RowsByAccount:
    """Every account's of_account rows by one statement, for a portfolio's files."""
    return RowsByAccount(con.execute(sql("requirements.of_account"), {"account_id": None}).df())
