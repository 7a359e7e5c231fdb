"""Who may see which accounts: the roles file read into one Access record per signed-in user."""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from metrics.store import ROOT, DataError

DEFAULT_ROLES = ROOT / "roles.toml"
ROLES = {
    "ops": "CS operations: every account, imports data and maintains the value model",
    "executive": "every account, the portfolio and adoption pages; no imports or value-model edits",
    "csm": "only the accounts listed for them",
}


@dataclass(frozen=True)
class Access:
    """What one user may see: `accounts` None means every account."""

    user: str
    role: str
    accounts: frozenset[str] | None

    @property
    def all_accounts(self) -> bool:
        return self.accounts is None

    @property
    def manages_data(self) -> bool:
        """Imports and value-model edits: CS operations, and the single user of a local install."""
        return self.role in ("ops", "local")

    @property
    def sees_people(self) -> bool:
        """User identifiers (metrics.people): the CSMs of the account and CS operations; executives see counts and
        shares only."""
        return self.role in ("csm", "ops", "local")

    def scope(self, frame: pd.DataFrame, column: str = "account_id") -> pd.DataFrame:
        """The rows of `frame` about accounts this user may see."""
        if self.accounts is None:
            return frame
        return frame[frame[column].astype(str).isin(self.accounts)].reset_index(drop=True)


LOCAL = Access(user="local", role="local", accounts=None)


def roles_path(path: str | Path | None = None) -> Path:
    """The roles file: the argument, else $VALUELENS_ROLES, else roles.toml beside app.py."""
    return Path(path or os.environ.get("VALUELENS_ROLES") or DEFAULT_ROLES)


def load_roles(path: str | Path | None = None) -> dict[str, Access]:
    """Read the roles file into {email (lower case): Access}; a missing file means nobody has access.

    Format (TOML): one [[user]] table per person with `email`, `role` (ops, executive or csm) and, for a CSM,
    `accounts` (a list of account ids).
    """
    file = roles_path(path)
    if not file.is_file():
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{file.name}: not a valid TOML roles file{_toml_place(exc)}") from exc
    users: dict[str, Access] = {}
    for number, entry in enumerate(data.get("user", []), start=1):
        email, role = str(entry.get("email", "")).strip().lower(), str(entry.get("role", "")).strip()
        if not email or role not in ROLES:
            raise DataError(f"{file.name}: user entry {number} needs an email and a role "
                            f"({', '.join(ROLES)}); found email={email!r}, role={role!r}")
        if role == "csm":
            accounts = entry.get("accounts")
            if not isinstance(accounts, list) or not accounts:
                raise DataError(f"{file.name}: user entry {number} ({email}) is a csm without an accounts list")
            users[email] = Access(email, role, frozenset(str(a) for a in accounts))
        else:
            users[email] = Access(email, role, None)
    return users


AUTH_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


def secrets_problem(paths: list[str] | tuple[str, ...]) -> str | None:
    """Why the sign-in secrets on disk cannot be trusted, or None. A secrets file that exists but does not parse
    must stop the app (fail closed), not read as "sign-in not configured"."""
    for name in paths:
        path = Path(name)
        if not path.exists():
            continue
        if path.suffix != ".toml":
            if not path.is_dir():
                return f"{path}: a secrets path must be a .toml file or a folder"
            continue
        try:
            tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return f"{path.name}: the sign-in secrets cannot be read{_toml_place(exc)}"
    return None


def auth_problem(auth: object) -> str | None:
    """Why an [auth] section of the secrets cannot sign anyone in, or None. The provider's keys sit in [auth]
    itself or in one [auth.<provider>] table each (Streamlit's st.login)."""
    if not hasattr(auth, "get"):
        return "[auth] in the secrets file is not a table"
    missing = [k for k in AUTH_KEYS if not str(auth.get(k) or "").strip()]
    providers = [v for v in (auth.values() if hasattr(auth, "values") else []) if hasattr(v, "get")]
    candidates = providers or [auth]
    if not any(all(str(c.get(k) or "").strip() for k in PROVIDER_KEYS) for c in candidates):
        missing.append(" / ".join(PROVIDER_KEYS))
    return f"[auth] in the secrets file lacks {', '.join(missing)}" if missing else None


def access_for(email: str | None, roles: dict[str, Access]) -> Access | None:
    """The Access of a signed-in user, or None when the roles file does not list them."""
    return roles.get(str(email or "").strip().lower())


def _toml_place(exc: Exception) -> str:
    """Where a TOML file fails to parse (" (line 3, column 5)"), in the product's words; the parser's own sentence
    is not shown."""
    found = re.search(r"line (\d+), column (\d+)", str(exc))
    return f" (line {found[1]}, column {found[2]})" if found else ""
