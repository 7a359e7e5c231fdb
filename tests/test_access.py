"""Confidentiality: with sign-in configured a user sees only the accounts the roles file gives them, nobody
sees anything before signing in, and two sessions on two accounts never see each other's figures."""
from __future__ import annotations

import pytest
from conftest import ROOT, displayed
from streamlit.testing.v1 import AppTest

from i18n import STRINGS
from metrics import access, people, report
from metrics.accounts import get_account
from metrics.period import default_period
from metrics.store import DataError, connect
from ui.text import plain

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret",
        "client_id": "valuelens", "client_secret": "x",
        "server_metadata_url": "https://login.example.com/.well-known/openid-configuration"}
ROLES = """
[[user]]
email = "li.wei@example.com"
role = "csm"
accounts = ["A002"]

[[user]]
email = "Boss@Example.com"
role = "executive"

[[user]]
email = "ops@example.com"
role = "ops"
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A demo database shared by this module's tests (the first app run loads it)."""
    return str(tmp_path_factory.mktemp("access") / "app.duckdb")


@pytest.fixture
def roles_file(tmp_path, monkeypatch):
    path = tmp_path / "roles.toml"
    path.write_text(ROLES, encoding="utf-8")
    monkeypatch.setenv("VALUELENS_ROLES", str(path))
    return path


def app(db: str, monkeypatch, user: dict | None, query: dict | None = None) -> AppTest:
    """The app with sign-in configured (user given) or not (user None), run once."""
    monkeypatch.setenv("VALUELENS_DB", db)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    if user is not None:
        at.secrets["auth"] = AUTH
        at.user.clear()
        at.user.update(user)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def everything_shown(at: AppTest) -> str:
    """All text an AppTest run put on the page, widgets' options included."""
    parts = [str(e.value) for kind in ("title", "markdown", "caption", "info", "warning", "error", "metric")
             for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [str(o) for box in at.selectbox for o in box.options]
    parts += [frame.value.to_csv() for frame in at.dataframe]  # tables: the people list, training lists
    return "\n".join(parts)


def test_the_roles_file_gives_each_user_their_role_and_accounts(roles_file):
    roles = access.load_roles()
    assert roles == {
        "li.wei@example.com": access.Access("li.wei@example.com", "csm", frozenset({"A002"})),
        "boss@example.com": access.Access("boss@example.com", "executive", None),
        "ops@example.com": access.Access("ops@example.com", "ops", None),
    }
    assert access.access_for(" BOSS@example.com", roles).all_accounts
    assert access.access_for("stranger@example.com", roles) is None


def test_a_roles_file_with_a_csm_without_accounts_is_refused_with_the_entry_named(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text('[[user]]\nemail = "a@x.com"\nrole = "csm"\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"roles.toml: user entry 1 \(a@x.com\) is a csm without an accounts list"):
        access.load_roles(path)
    path.write_text('[[user]]\nemail = "a@x.com"\nrole = "admin"\n', encoding="utf-8")
    with pytest.raises(DataError, match="user entry 1 needs an email and a role"):
        access.load_roles(path)


def test_without_sign_in_configured_the_app_runs_in_local_mode_and_says_so(db, monkeypatch):
    at = app(db, monkeypatch, user=None)
    assert not at.exception
    assert STRINGS["en"]["local_mode"] in [c.value for c in at.sidebar.caption]
    assert len(at.selectbox[0].options) == 40


def test_nobody_sees_an_account_before_signing_in(db, monkeypatch, roles_file):
    at = app(db, monkeypatch, user={"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == [STRINGS["en"]["sign_in"]]
    assert not at.selectbox and not at.metric
    con = connect(db)
    names = [r[0] for r in con.execute("SELECT account_name FROM account").fetchall()]
    assert not any(name in everything_shown(at) for name in names)


def test_a_signed_in_user_missing_from_the_roles_file_sees_no_account(db, monkeypatch, roles_file):
    at = app(db, monkeypatch, user={"is_logged_in": True, "email": "stranger@example.com"})
    assert not at.exception
    assert at.error[0].value == STRINGS["en"]["not_authorized"].format(email=plain("stranger@example.com"))
    assert not at.selectbox and not at.metric


def test_a_csm_sees_only_their_own_accounts_even_when_the_url_names_another(db, monkeypatch, roles_file):
    at = app(db, monkeypatch, user={"is_logged_in": True, "email": "li.wei@example.com"}, query={"account": "A001"})
    assert not at.exception
    assert at.selectbox[0].options == [at.selectbox[0].format_func("A002")]
    assert at.selectbox[0].value == "A002"
    con = connect(db)
    other = con.execute("SELECT account_name FROM account WHERE account_id = 'A001'").fetchall()[0][0]
    assert other not in everything_shown(at)
    # the people behind the numbers: A002's users are listed, none of A001's (user ids are personal data)
    shown = everything_shown(at)
    assert "A002-U" in shown and "A001-U" not in shown
    # portfolio, adoption explorer, import and value model are not in a CSM's navigation, so not reachable
    for page in ("views/portfolio.py", "views/adoption.py", "views/data_import.py", "views/value_model.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page).run()


def test_an_executive_sees_every_account_and_the_portfolio_but_cannot_import(db, monkeypatch, roles_file):
    at = app(db, monkeypatch, user={"is_logged_in": True, "email": "boss@example.com"})
    assert not at.exception
    assert len(at.selectbox[0].options) == 40
    assert STRINGS["en"]["signed_in_as"].format(email=plain("boss@example.com"), role="executive") in [
        c.value for c in at.sidebar.caption]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/data_import.py").run()
    # an executive sees the account's people as counts and shares only: no user, no training list, no deck switch
    shown = everything_shown(at)
    assert "-U0" not in shown and STRINGS["en"]["people_counts_only"] in shown
    assert STRINGS["en"]["segment_champion"] in shown
    assert not any(s.label == STRINGS["en"]["deck_people"] for s in at.selectbox)
    assert not at.switch_page("views/portfolio.py").run().exception


def kpis_of(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def expected_kpis(db: str, account_id: str) -> dict[str, str]:
    con = connect(db)
    data = report.account_report(con, account_id=account_id, period=default_period(con))
    return {**{STRINGS["en"][f"kpi_{k.name}"]: displayed(k.value, k.unit, data.cost.currency,
                                                    signed=k.unit == "fraction" and "delta" in k.name, compact=True)
               for k in report.headline_kpis(data)},
            "Lifecycle stage": STRINGS["en"][f"stage_{data.lifecycle.stage}"],
            "Health": f"{displayed(data.health.score, 'count')} / 100",
            **{STRINGS["en"][f"segment_{s}"]: str(n) for s, n in people.segment_counts(
                people.people(con, get_account(con, account_id), default_period(con))).items()}}


def test_two_sessions_on_two_accounts_never_see_each_others_figures(db, monkeypatch):
    first = app(db, monkeypatch, user=None)
    second = app(db, monkeypatch, user=None)
    first.selectbox[0].select("A003").run()
    second.selectbox[0].select("A007").run()
    first.run()  # both now served from the shared cache
    second.run()
    own_first, own_second = expected_kpis(db, "A003"), expected_kpis(db, "A007")
    assert own_first != own_second
    assert kpis_of(first) == own_first
    assert kpis_of(second) == own_second


def test_the_shipped_roles_example_is_a_valid_roles_file():
    roles = access.load_roles(ROOT / "roles.example.toml")
    assert {a.role for a in roles.values()} == {"ops", "executive", "csm"}
    assert roles["li.wei@example.com"].accounts == frozenset({"A001", "A002", "A017"})


@pytest.mark.parametrize("page", ["views/portfolio.py", "views/adoption.py", "views/data_import.py",
                                  "views/value_model.py"])
def test_a_page_run_on_its_own_still_refuses_a_csm(db, monkeypatch, roles_file, page):
    # defence in depth: a page script run without app.py's navigation (as Streamlit served pages/ to the first
    # visitor after a restart, before the pages moved to views/)
    app(db, monkeypatch, user=None)  # make sure the demo is loaded
    monkeypatch.setenv("VALUELENS_DB", db)
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    at.session_state["lang"] = "en"
    at.secrets["auth"] = AUTH
    at.user.clear()
    at.user.update({"is_logged_in": True, "email": "li.wei@example.com"})
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [STRINGS["en"]["page_not_allowed"]]
    assert not at.dataframe and not at.metric and not at.get("plotly_chart")


def test_a_page_run_on_its_own_refuses_anyone_not_signed_in(db, monkeypatch, roles_file):
    monkeypatch.setenv("VALUELENS_DB", db)
    at = AppTest.from_file(str(ROOT / "views/account_report.py"), default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user.clear()
    at.user.update({"is_logged_in": False})
    at.run()
    assert [e.value for e in at.error] == [STRINGS["en"]["page_not_allowed"]]
    assert not at.selectbox and not at.metric


@pytest.fixture
def secrets_on_disk(tmp_path, monkeypatch):
    """Point Streamlit's secrets.files at one file of this test's; the test writes it."""
    import streamlit as st
    from streamlit import config

    path = tmp_path / "secrets.toml"
    saved = config.get_option("secrets.files")
    config.set_option("secrets.files", [str(path)])
    st.secrets._reset()
    yield path
    config.set_option("secrets.files", saved)
    st.secrets._reset()


VALID_SECRETS = "[auth]\n" + "\n".join(f'{k} = "{v}"' for k, v in AUTH.items()) + "\n"


def test_sign_in_settings_are_judged_by_what_is_on_disk(tmp_path):
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(VALID_SECRETS, encoding="utf-8")
    bad.write_text(VALID_SECRETS.replace('client_id = "', 'client_id = '), encoding="utf-8")
    assert access.secrets_problem([str(tmp_path / "absent.toml"), str(good)]) is None
    assert access.secrets_problem([str(good), str(bad)]).startswith("bad.toml: the sign-in secrets cannot be read")
    assert access.auth_problem(AUTH) is None
    assert access.auth_problem({"cookie_secret": "x", "google": {k: AUTH[k] for k in access.PROVIDER_KEYS}}) == (
        "[auth] in the secrets file lacks redirect_uri")
    assert access.auth_problem({**AUTH, "client_id": " "}) == (
        "[auth] in the secrets file lacks client_id / client_secret / server_metadata_url")


@pytest.mark.parametrize("content", [
    VALID_SECRETS.replace('cookie_secret = "', 'cookie_secret = '),  # a typo: the file does not parse
    VALID_SECRETS.replace("[auth]", "[auth\n"),
    "[auth]\nredirect_uri = \"http://localhost:8501/oauth2callback\"\n",  # [auth] without the provider
])
def test_sign_in_settings_that_cannot_be_used_let_nobody_in(db, monkeypatch, roles_file, secrets_on_disk, content):
    app(db, monkeypatch, user=None)  # the demo is loaded (local mode: no secrets file yet)
    secrets_on_disk.write_text(content, encoding="utf-8")
    at = app(db, monkeypatch, user=None)
    assert not at.exception
    assert at.error and at.error[0].value.startswith(STRINGS["en"]["sign_in_broken"].split("{")[0])
    assert STRINGS["en"]["local_mode"] not in [c.value for c in at.sidebar.caption]
    assert not at.selectbox and not at.metric and not at.dataframe
    for page in ("views/data_import.py", "views/value_model.py", "views/account_report.py"):
        direct = AppTest.from_file(str(ROOT / page), default_timeout=120).run()
        assert [e.value for e in direct.error] == [STRINGS["en"]["page_not_allowed"]], page
        assert not direct.selectbox and not direct.metric and not direct.dataframe


def test_a_secrets_file_broken_while_the_server_runs_closes_the_app(db, monkeypatch, roles_file, secrets_on_disk):
    secrets_on_disk.write_text(VALID_SECRETS, encoding="utf-8")
    at = app(db, monkeypatch, user=None)
    assert [b.label for b in at.button] == [STRINGS["en"]["sign_in"]]  # sign-in is on
    secrets_on_disk.write_text(VALID_SECRETS + "oops =\n", encoding="utf-8")
    at.run()
    assert at.error and at.error[0].value.startswith(STRINGS["en"]["sign_in_broken"].split("{")[0])
    assert not at.button and not at.selectbox
