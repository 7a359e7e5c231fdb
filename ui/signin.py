"""Sign-in and who may see what: the app's gate, each page's guard, and the accounts a user may open. Fails closed:
a sign-in configured wrongly lets nobody in."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from i18n import t
from metrics.access import LOCAL, Access, access_for, auth_problem, load_roles, secrets_problem
from metrics.store import DataError
from ui.text import plain


def sign_in_state() -> tuple[str, str | None]:
    """("local", None) when no sign-in is configured at all, ("on", None) when it is, ("broken", why) when a
    secrets file exists but cannot be read or its [auth] is incomplete: then nobody gets in (fail closed).
    Checked on every run, so a secrets file edited while the server runs is judged as it is now."""
    from streamlit import config

    paths = list(config.get_option("secrets.files") or [])
    problem = secrets_problem(paths)
    if problem:
        return "broken", problem
    try:
        has_auth = "auth" in st.secrets
    except st.errors.StreamlitSecretNotFoundError as exc:
        if any(Path(p).exists() for p in paths):
            return "broken", str(exc)
        return "local", None
    except FileNotFoundError:
        return "local", None
    if not has_auth:
        return "local", None
    problem = auth_problem(st.secrets["auth"])
    return ("broken", problem) if problem else ("on", None)


def sign_in_configured() -> bool:
    """True when sign-in is configured, also when it is configured wrongly (then nobody gets in)."""
    return sign_in_state()[0] != "local"


def current_access() -> Access | None:
    """This run's user and what they may see: LOCAL without sign-in, None when signed out, not in the roles
    file, or when the sign-in configuration is broken."""
    state, _ = sign_in_state()
    if state == "local":
        return LOCAL
    if state == "broken" or not st.user.get("is_logged_in"):
        return None
    return access_for(st.user.get("email"), load_roles())


def require_access() -> Access:
    """The app's gate: a sign-in screen when sign-in is configured and nobody (allowed) is signed in."""
    state, problem = sign_in_state()
    if state == "local":
        st.sidebar.caption(t("local_mode"))
        return LOCAL
    if state == "broken":
        st.title(t("app_title"))
        st.error(t("sign_in_broken", reason=plain(problem or "")))
        st.stop()
    if not st.user.get("is_logged_in"):
        st.title(t("app_title"))
        st.info(t("sign_in_needed"))
        st.button(t("sign_in"), on_click=st.login, type="primary")
        st.stop()
    try:
        access = current_access()
    except DataError as exc:
        st.error(str(exc))
        st.stop()
    if access is None:
        st.error(t("not_authorized", email=plain(st.user.get("email") or "?")))
        st.button(t("sign_out"), on_click=st.logout)
        st.stop()
    st.sidebar.caption(t("signed_in_as", email=plain(access.user), role=t(f"role_{access.role}")))
    st.sidebar.button(t("sign_out"), on_click=st.logout)
    return access


def guard(need: str = "accounts") -> Access:
    """First line of every page: stop unless this run's user may open it. app.py's navigation already leaves
    pages out by role, but a page must never rely on that alone (a Streamlit app with a pages/ folder served it
    directly to the first visitor after a restart, before app.py had declared the navigation: the pages now live in
    views/, which Streamlit does not serve by itself), so each page checks again.
    need: "accounts" (any signed-in user), "all_accounts" (executive, ops) or "data" (ops, local)."""
    try:
        access = current_access()
    except DataError:  # an unreadable roles file: nobody gets in (app.py shows the file's error)
        access = None
    allowed = access is not None and (need == "accounts" or (need == "all_accounts" and access.all_accounts)
                                      or (need == "data" and access.manages_data))
    if not allowed:
        st.error(t("page_not_allowed"))
        st.stop()
    return access


def visible_accounts() -> pd.DataFrame:
    """The loaded accounts this run's user may see (every account in local mode)."""
    from ui.session import accounts_list, cache_key

    access = current_access()
    accounts = accounts_list(cache_key())
    return access.scope(accounts) if access else accounts.iloc[0:0]


def current_user() -> str:
    """Who is acting: the signed-in user's email when sign-in is configured, else 'local'."""
    return str(st.user.get("email") or "local") if st.user.get("is_logged_in") else "local"
