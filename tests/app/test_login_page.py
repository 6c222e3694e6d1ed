"""Signing in, the guard on moderator pages, and session expiry, through AppTest (M2-M4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from portal.accounts import add_moderator
from portal.accounts_models import AuditEntry
from portal.config import load_config
from portal.db import utcnow
from portal.runtime import open_runtime
from tests.app.conftest import ROOT, page, texts

EMAIL = "rosa@example.org"
PASSWORD = "las familias juntas siempre"
GENERIC = "Sign-in failed. Check your e-mail and password, or wait a few minutes and try again."

# What a moderator page looks like to the guard: start, check, then (only then) the data.
PROTECTED = """
import streamlit as st
from web.auth import require_moderator
from web.layout import start_page

runtime, _, language = start_page("Story queue")
moderator = require_moderator(_, admin={admin})
st.write("SECRET-ROW")
"""


@pytest.fixture
def accounts(app_env):
    runtime = open_runtime(load_config())
    add_moderator(runtime, EMAIL, PASSWORD, is_admin=False)
    add_moderator(runtime, "boss@example.org", PASSWORD, is_admin=True)
    runtime.db.dispose()
    return app_env


def audit_actions() -> list[str]:
    runtime = open_runtime(load_config())
    with runtime.db.session() as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    runtime.db.dispose()
    return actions


def sign_in(at: AppTest, email: str = EMAIL, password: str = PASSWORD) -> AppTest:
    at.text_input(key="login-email").input(email)
    at.text_input(key="login-password").input(password)
    at.button(key="login-submit").click()
    return at.run()


def protected(admin: bool = False) -> AppTest:
    return AppTest.from_string(PROTECTED.format(admin=admin), default_timeout=60)


def test_logged_out_shows_the_form_and_no_provider_button(accounts):
    at = page("login.py").run()
    assert not at.exception
    assert "Moderator sign-in" in texts(at)
    assert at.text_input(key="login-email").label == "E-mail address"
    assert at.text_input(key="login-password").label == "Password"
    # Without an [auth] section there is no organization sign-in at all.
    assert not any(b.key == "idp-login" for b in at.button)
    assert "Sign in with your organization" not in [b.label for b in at.button]


def test_wrong_password_and_unknown_account_get_the_same_generic_error(accounts):
    at = page("login.py").run()
    sign_in(at, EMAIL, "not the password at all")
    assert not at.exception
    assert [e.value for e in at.error] == [GENERIC]
    sign_in(at, "nobody@example.org", PASSWORD)
    assert [e.value for e in at.error] == [GENERIC]
    assert "You are signed in" not in texts(at)
    # The server does not keep what was typed in the password field.
    assert "login-password" not in at.session_state
    assert audit_actions() == ["moderator_added", "moderator_added", "login_failed", "login_failed"]


def test_right_password_signs_in_and_the_menu_shows_moderator_pages(accounts):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/login.py").run()
    assert not at.exception
    links = [link.label for link in at.sidebar.get("page_link")]
    assert "Moderator sign-in" in links and "Story queue" not in links

    sign_in(at)
    assert not at.exception
    assert "You are signed in as" in texts(at)
    links = [link.label for link in at.sidebar.get("page_link")]
    assert {"Story queue", "Review a story", "Exports", "Dashboard"} <= set(links)
    assert "Audit log" not in links  # administrators only
    assert audit_actions()[-1] == "login"


def test_sign_out_ends_the_session_and_is_audited(accounts):
    at = sign_in(page("login.py").run())
    assert "You are signed in as" in texts(at)
    at.sidebar.button(key="moderator-logout").click().run()
    assert not at.exception
    assert at.text_input(key="login-email")  # the form again
    assert audit_actions()[-2:] == ["login", "logout"]


@pytest.mark.parametrize("key, age", [
    ("moderator_last_seen", timedelta(minutes=31)),   # idle
    ("moderator_started_at", timedelta(hours=8, seconds=1)),  # absolute
])
def test_expired_session_goes_back_to_the_prompt(accounts, key, age):
    at = sign_in(protected().run())
    assert "SECRET-ROW" in texts(at)
    at.session_state[key] = utcnow() - age
    at.run()
    assert not at.exception
    assert "SECRET-ROW" not in texts(at)
    assert "Your session has ended" in texts(at)
    assert at.text_input(key="login-email")


def test_activity_keeps_the_session_alive(accounts):
    at = sign_in(protected().run())
    at.session_state["moderator_last_seen"] = utcnow() - timedelta(minutes=29)
    at.run()
    assert "SECRET-ROW" in texts(at)
    assert utcnow() - at.session_state["moderator_last_seen"] < timedelta(minutes=1)


def test_protected_page_shows_nothing_until_signed_in(accounts):
    at = protected().run()
    assert not at.exception
    assert "SECRET-ROW" not in texts(at)
    assert "This page is for moderators. Please sign in." in texts(at)
    sign_in(at, EMAIL, "a wrong guess, long enough")
    assert "SECRET-ROW" not in texts(at)
    sign_in(at)
    assert not at.exception
    assert "SECRET-ROW" in texts(at)


def test_admin_page_refuses_a_moderator(accounts):
    at = sign_in(protected(admin=True).run())
    assert "SECRET-ROW" not in texts(at)
    assert "This page is for administrators." in texts(at)
    at = sign_in(protected(admin=True).run(), "boss@example.org")
    assert "SECRET-ROW" in texts(at)


def test_disabling_an_account_ends_its_session_at_once(accounts):
    from portal.accounts import disable_moderator

    at = sign_in(protected().run())
    assert "SECRET-ROW" in texts(at)
    runtime = open_runtime(load_config())
    disable_moderator(runtime, EMAIL)
    runtime.db.dispose()
    at.run()
    assert "SECRET-ROW" not in texts(at)


def test_guard_can_be_followed_by_an_explicit_logout_button(accounts):
    script = PROTECTED.format(admin=False) + (
        "from web.auth import logout_button\nlogout_button(_)\n")
    at = sign_in(AppTest.from_string(script, default_timeout=60).run())
    assert not at.exception
    assert len([b for b in at.sidebar.button if b.key == "moderator-logout"]) == 1


# Identity provider: st.login itself cannot run under AppTest; the mapping after it can.
AUTH_SECRETS = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                "client_id": "portal", "client_secret": "secret",
                "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration"}


def test_provider_sign_in_maps_to_our_own_table(accounts):
    at = protected()
    at.secrets["auth"] = AUTH_SECRETS
    at.user = {"is_logged_in": True, "email": "ROSA@example.org", "email_verified": True}
    at.run()
    assert not at.exception
    assert "SECRET-ROW" in texts(at)
    assert audit_actions()[-1] == "login"


def test_provider_user_who_is_not_a_moderator_sees_no_data(accounts):
    at = protected()
    at.secrets["auth"] = AUTH_SECRETS
    at.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at.run()
    assert not at.exception
    assert "SECRET-ROW" not in texts(at)
    assert "Your account is not a moderator here." in texts(at)


def test_provider_button_offered_when_configured(accounts):
    at = page("login.py")
    at.secrets["auth"] = AUTH_SECRETS
    at.run()
    assert not at.exception
    assert "Sign in with your organization" in [b.label for b in at.button]
