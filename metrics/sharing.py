"""The customer's own value page: signed links, what each one may show, who viewed it, and what the customer
confirmed.

A link is a record in the share store (SQLite beside the database: `<database>.share.sqlite`, written by the team's
app, the CLI and share.py alike; SQLite takes writers from several processes, the DuckDB file does not) and a token
that names it, signed with the secret in the secrets file ([share] secret; itsdangerous's URLSafeTimedSerializer,
https://itsdangerous.palletsprojects.com/en/stable/url_safe/). No secret: no link is made and none is honoured (fail
closed). A link holds the page it shows, built when it is made (exports.share_page.payload: one account, one period,
one language, customer-safe figures only), so share.py never opens the database and no query parameter can reach
another account: a snapshot of exactly what the link may show, which the customer confirms as it saw it.

A token that does not verify, a link expired or revoked, an unknown link: `resolve` returns None and the page shows
nothing. A passcode (optional) is kept as a scrypt hash; MAX_ATTEMPTS wrong ones within LOCK_MINUTES lock the link
for that long, counted in the store so that a new session does not reset them. Every view is counted."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import tomllib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from metrics.errors import DataError
from metrics.store import ROOT, db_path, sql

DEFAULT_DAYS = 30
MAX_DAYS = 180
MAX_ATTEMPTS = 5  # wrong passcodes before a link locks
LOCK_MINUTES = 15
MIN_SECRET = 32  # characters of the [share] secret
SECRETS_ENV = "VALUELENS_SECRETS"
_SALT = "valuelens-share-link"



@dataclass(frozen=True)
class Link:
    """One link: what it shows and to whom, when it lapses, how often it was opened."""

    link_id: str
    account_id: str
    period_start: str
    period_end: str
    lang: str
    created_by: str
    created_at: str
    expires: str
    has_passcode: bool
    revoked: bool
    views: int
    last_view: str | None

    def to_json(self) -> dict[str, object]:
        return {"link_id": self.link_id, "account_id": self.account_id, "period": {"start": self.period_start,
                                                                                   "end": self.period_end},
                "lang": self.lang, "created_by": self.created_by, "created_at": self.created_at,
                "expires": self.expires, "passcode": self.has_passcode, "views": self.views,
                "last_view": self.last_view, "revoked": self.revoked}


@dataclass(frozen=True)
class Confirmation:
    """What the customer's contact said of the figures it saw: confirmed, or a comment."""

    kind: str
    name: str
    role: str
    text: str | None
    at: str
    figures: dict[str, object]
    value_model_version: int | None
    period_start: str
    period_end: str


def store_path(database: str | Path | None = None) -> Path:
    """The share store beside the database file."""
    return Path(f"{db_path(database)}.share.sqlite")


@contextmanager
def _store(database: str | Path | None) -> Iterator[sqlite3.Connection]:
    path = store_path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=30)) as con:
        con.execute(sql("sharing.wal"))
        con.executescript(sql("sharing.schema"))
        with con:  # one transaction
            yield con


def secret(path: str | Path | None = None) -> str | None:
    """The [share] secret of the secrets file ($VALUELENS_SECRETS, else .streamlit/secrets.toml), or None when
    there is none or it is shorter than MIN_SECRET: then no link is made or honoured."""
    file = Path(path or os.environ.get(SECRETS_ENV) or ROOT / ".streamlit" / "secrets.toml")
    try:
        found = tomllib.loads(file.read_text(encoding="utf-8")).get("share", {}).get("secret")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return found if isinstance(found, str) and len(found) >= MIN_SECRET else None


def _required_secret() -> str:
    found = secret()
    if found is None:
        raise DataError(f"no [share] secret of at least {MIN_SECRET} characters in the secrets file "
                        "(.streamlit/secrets.toml or $VALUELENS_SECRETS): no link can be made")
    return found


def _serializer(key: str):
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(key, salt=_SALT)


def _hash(passcode: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(passcode.encode("utf-8"), salt=salt, n=2 ** 14, r=8, p=1)
    return f"{salt.hex()}${digest.hex()}"


def _passcode_ok(stored: str, given: str) -> bool:
    salt, _, digest = stored.partition("$")
    return hmac.compare_digest(_hash(given, bytes.fromhex(salt)).partition("$")[2], digest)


def create(payload: dict[str, object], *, account_id: str, period: tuple[str, str], lang: str, created_by: str,
           days: int = DEFAULT_DAYS, passcode: str | None = None, database: str | Path | None = None,
           now: datetime | None = None) -> tuple[Link, str]:
    """Make a link to `payload` (exports.share_page.payload) and its token; DataError without a secret or for
    `days` outside 1-MAX_DAYS."""
    if not 1 <= days <= MAX_DAYS:
        raise DataError(f"--days: a link lasts 1 to {MAX_DAYS} days, not {days}")
    key = _required_secret()
    now = now or datetime.now()
    link_id = secrets.token_urlsafe(9)
    expires = (now + timedelta(days=days)).isoformat(timespec="seconds")
    with _store(database) as con:
        con.execute(sql("sharing.insert_link"),
                    (link_id, account_id, period[0], period[1], lang, created_by, now.isoformat(timespec="seconds"),
                     expires, _hash(passcode) if passcode else None, json.dumps(payload, ensure_ascii=False)))
    token = _serializer(key).dumps(link_id)
    return links(database, link_id=link_id)[0], token


def links(database: str | Path | None = None, *, account_id: str | None = None,
          link_id: str | None = None) -> list[Link]:
    """The links made, newest first; of one account or one link when asked."""
    with _store(database) as con:
        rows = con.execute(sql("sharing.links"), (account_id, account_id, link_id, link_id)).fetchall()
    return [Link(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), bool(r[9]), int(r[10]), r[11])
            for r in rows]


def revoke(link_id: str, database: str | Path | None = None, now: datetime | None = None) -> bool:
    """Revoke a link; False when there is none of that id."""
    at = (now or datetime.now()).isoformat(timespec="seconds")
    with _store(database) as con:
        return con.execute(sql("sharing.revoke"),
                           (at, link_id)).rowcount == 1


def resolve(token: str | None, database: str | Path | None = None, now: datetime | None = None) -> Link | None:
    """The link a token names, or None: no secret, a token that does not verify (tampered, or signed with another
    secret), an unknown, expired or revoked link."""
    from itsdangerous import BadData

    key = secret()
    if key is None or not token:
        return None
    try:
        link_id = _serializer(key).loads(token, max_age=MAX_DAYS * 86_400)
    except BadData:
        return None
    found = links(database, link_id=str(link_id))
    now = now or datetime.now()
    if not found or found[0].revoked or datetime.fromisoformat(found[0].expires) <= now:
        return None
    return found[0]


def locked(link: Link, database: str | Path | None = None, now: datetime | None = None) -> bool:
    """Whether the link is locked by MAX_ATTEMPTS wrong passcodes within LOCK_MINUTES."""
    since = ((now or datetime.now()) - timedelta(minutes=LOCK_MINUTES)).isoformat(timespec="seconds")
    with _store(database) as con:
        return con.execute(sql("sharing.attempts_since"),
                           (link.link_id, since)).fetchone()[0] >= MAX_ATTEMPTS


def check_passcode(link: Link, passcode: str, database: str | Path | None = None,
                   now: datetime | None = None) -> bool:
    """Whether `passcode` opens the link; a wrong one is counted, and a locked link opens for none."""
    if not link.has_passcode:
        return True
    now = now or datetime.now()
    if locked(link, database, now):
        return False
    with _store(database) as con:
        stored = con.execute(sql("sharing.passcode"), (link.link_id,)).fetchone()[0]
        ok = _passcode_ok(stored, passcode)
        if not ok:
            con.execute(sql("sharing.attempt"), (link.link_id, now.isoformat(timespec="seconds")))
    return ok


def page_of(link: Link, database: str | Path | None = None, now: datetime | None = None) -> dict[str, object]:
    """The page a link shows, its view counted."""
    at = (now or datetime.now()).isoformat(timespec="seconds")
    with _store(database) as con:
        con.execute(sql("sharing.view"), (at, link.link_id))
        payload = con.execute(sql("sharing.payload"), (link.link_id,)).fetchone()[0]
    return json.loads(payload)


MAX_NAME, MAX_TEXT = 100, 2000


def confirm(link: Link, payload: dict[str, object], *, kind: str, name: str, role: str, text: str | None = None,
            database: str | Path | None = None, now: datetime | None = None) -> None:
    """Keep the customer's confirmation of the figures it saw (or its comment on them), with those figures and
    the value-model version they were computed with; DataError naming what is missing."""
    name, role, text = name.strip()[:MAX_NAME], role.strip()[:MAX_NAME], (text or "").strip()[:MAX_TEXT] or None
    if kind not in ("confirmed", "comment"):
        raise DataError(f"unknown answer '{kind}'")
    if not name or not role:
        raise DataError("a name and a role are needed")
    if kind == "comment" and not text:
        raise DataError("a comment needs its text")
    with _store(database) as con:
        con.execute(sql("sharing.confirm"),
                    (link.link_id, link.account_id, link.period_start, link.period_end, kind, name, role, text,
                     (now or datetime.now()).isoformat(timespec="seconds"),
                     json.dumps(payload.get("figures", {})), payload.get("value_model_version"),
                     payload.get("data_version")))


def confirmations(account_id: str, database: str | Path | None = None) -> list[Confirmation]:
    """The account's confirmations and comments, newest first (an account without a share store has none)."""
    if not store_path(database).exists():
        return []
    with _store(database) as con:
        rows = con.execute(sql("sharing.confirmations"), (account_id,)).fetchall()
    return [Confirmation(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8]) for r in rows]


def latest_for(account_id: str, start: str, database: str | Path | None = None) -> Confirmation | None:
    """The newest confirmation or comment of the account for the period starting at `start`."""
    return next((c for c in confirmations(account_id, database) if c.period_start == start), None)


CHANGE_TOLERANCE = 0.005  # a figure that moved by more than this share since it was confirmed "changed since"


def changed_since(confirmation: Confirmation, current: dict[str, object]) -> list[str]:
    """The figures recalculated since the confirmation: those whose value moved by more than CHANGE_TOLERANCE."""
    moved = []
    for name, then in confirmation.figures.items():
        now = current.get(name)
        if isinstance(then, (int, float)) and isinstance(now, (int, float)):
            if abs(now - then) > CHANGE_TOLERANCE * max(abs(then), 1e-9):
                moved.append(name)
        elif then != now:
            moved.append(name)
    return moved


def database_of(con) -> Path | None:
    """The database file a DuckDB connection reads, for its share store: a snapshot (serve.py's, in
    `<database>.snapshots/`) reads its primary's; an in-memory database has none."""
    rows = con.execute(sql("sharing.database_file")).fetchall()
    file = rows[0][0] if rows else None
    if not file:
        return None
    path = Path(file)
    if path.parent.name.endswith(".snapshots"):
        return path.parent.with_name(path.parent.name.removesuffix(".snapshots"))
    return path


def copy_store(database: str | Path, target: str | Path) -> None:
    """Copy the share store of `database` beside `target` (a copy of the database for worker processes), with
    SQLite's online backup: a consistent copy even while share.py writes."""
    source = store_path(database)
    if not source.exists():
        return
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(store_path(target))) as dst:
        src.backup(dst)
