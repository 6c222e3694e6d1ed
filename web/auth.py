"""The moderator guard: who is signed in, the sign-in form, and signing out (SAFETY.md M2-M4).

Every moderator page calls `require_moderator(_)` right after `start_page`, before any query. It
checks on every run (a fresh server may run a page file without app.py), and when nobody is
signed in it draws the sign-in form and stops the script, so the page produces no data.

Signing in through an identity provider (Streamlit's OIDC, `st.login`) is offered only when
`.streamlit/secrets.toml` has an `[auth]` section; without one, st.login and st.user are never
touched. The provider says who someone is; what they may do still comes from our own table.
"""

from __future__ import annotations

import logging
import re

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey, StreamlitSecretNotFoundError

from portal.accounts import (MAX_PASSWORD_CHARS, actor_for_identity, actor_for_session,
                             authenticate, record_sign_in, record_sign_out, session_expired)
from portal.audit import Actor
from portal.db import StorageBusy, utcnow
from portal.i18n import N_, Translate
from portal.runtime import Runtime
from web.runtime import get_runtime

log = logging.getLogger(__name__)

# session_state keys. The actor is a small frozen record (id, e-mail, admin), re-read from the
# database on every run, so disabling an account ends its sessions at once.
ACTOR_KEY = "moderator"
STARTED_KEY = "moderator_started_at"
LAST_SEEN_KEY = "moderator_last_seen"
VIA_KEY = "moderator_via"  # "password" or "identity_provider"
_NOTICE_KEY = "moderator_notice"

SIGN_IN_FAILED = N_("Sign-in failed. Check your e-mail and password, or wait a few minutes and "
                    "try again.")
SESSION_ENDED = N_("Your session has ended (30 minutes without activity, or 8 hours in all). "
                  "Please sign in again.")
NOT_A_MODERATOR = N_("Your account is not a moderator here.")


def _clear() -> None:
    for key in (ACTOR_KEY, STARTED_KEY, LAST_SEEN_KEY, VIA_KEY):
        st.session_state.pop(key, None)


def _start_session(actor: Actor, via: str) -> None:
    now = utcnow()
    st.session_state[ACTOR_KEY] = actor
    st.session_state[STARTED_KEY] = now
    st.session_state[LAST_SEEN_KEY] = now
    st.session_state[VIA_KEY] = via


def identity_provider_configured() -> bool:
    """True when Streamlit's OIDC sign-in is set up (an [auth] section in the secrets)."""
    try:
        return "auth" in st.secrets
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return False


def _from_identity_provider(runtime: Runtime) -> Actor | None:
    """Start a session for someone the provider signed in, if they are a moderator here."""
    # Only reached with an [auth] section configured (see current_moderator).
    if not st.user.get("is_logged_in") or st.session_state.get(_NOTICE_KEY) == "identity_paused":
        return None
    if st.user.get("email_verified") is False:  # an address the provider did not check
        return None
    actor = actor_for_identity(runtime, st.user.get("email"))
    if actor is None:
        return None
    record_sign_in(runtime, actor, detail="identity provider")
    _start_session(actor, "identity_provider")
    return actor


def current_moderator() -> Actor | None:
    """The signed-in moderator, or None. Ends the session when it is idle or too old."""
    actor = st.session_state.get(ACTOR_KEY)
    if actor is None:
        if identity_provider_configured():
            return _from_identity_provider(get_runtime())
        return None
    now = utcnow()
    started = st.session_state.get(STARTED_KEY)
    last_seen = st.session_state.get(LAST_SEEN_KEY)
    if started is None or last_seen is None or session_expired(started, last_seen, now):
        via = st.session_state.get(VIA_KEY)
        _clear()
        st.session_state[_NOTICE_KEY] = "expired"
        if via == "identity_provider":
            # The provider's cookie would sign them straight back in; they must go through the
            # provider again, by pressing its button.
            st.session_state[_NOTICE_KEY] = "identity_paused"
            st.logout()
        return None
    fresh = actor_for_session(get_runtime(), actor.moderator_id)
    if fresh is None:  # disabled (or removed) since signing in
        _clear()
        return None
    st.session_state[ACTOR_KEY] = fresh
    st.session_state[LAST_SEEN_KEY] = now
    return fresh


def require_moderator(_: Translate, *, admin: bool = False) -> Actor:
    """The guard for moderator pages: returns the moderator, or shows the sign-in form and stops."""
    actor = current_moderator()
    if actor is not None and (actor.is_admin or not admin):
        logout_button(_)
        return actor
    if actor is not None:
        st.error(_("This page is for administrators."))
        logout_button(_)
        st.stop()
    st.info(_("This page is for moderators. Please sign in."))
    login_form(get_runtime(), _)
    st.stop()
    raise AssertionError("st.stop() returned")  # pragma: no cover


def login_form(runtime: Runtime, _: Translate) -> None:
    """The sign-in form; on success it starts the session and reruns the page."""
    notice = st.session_state.get(_NOTICE_KEY)
    if notice in ("expired", "identity_paused"):
        st.warning(_(SESSION_ENDED))
    if identity_provider_configured():
        _identity_provider_button(_)
    # Cleared on submit, so the password does not stay in the session after this run.
    with st.form("moderator-login", clear_on_submit=True):
        email = st.text_input(_("E-mail address"), max_chars=254, key="login-email",
                              autocomplete="username")
        password = st.text_input(_("Password"), type="password", max_chars=MAX_PASSWORD_CHARS,
                                 key="login-password", autocomplete="current-password")
        submitted = st.form_submit_button(_("Sign in"), key="login-submit", type="primary")
    if not submitted:
        return
    # The browser clears the field (clear_on_submit); the server's copy goes now, too.
    st.session_state.pop("login-password", None)
    try:
        actor = authenticate(runtime, email, password)
    except StorageBusy:
        st.error(_("The portal is very busy right now. Please try again in a moment."))
        return
    if actor is None:
        st.error(_(SIGN_IN_FAILED))
        return
    st.session_state.pop(_NOTICE_KEY, None)
    _start_session(actor, "password")
    st.rerun()


def _identity_provider_button(_: Translate) -> None:
    # Only called with an [auth] section configured.
    if st.user.get("is_logged_in"):
        st.error(_(NOT_A_MODERATOR))
        if st.button(_("Sign out of your organization's account"), key="idp-logout"):
            st.logout()
        return
    if st.button(_("Sign in with your organization"), key="idp-login"):
        st.session_state.pop(_NOTICE_KEY, None)
        st.login()
    st.caption(_("Or sign in with the e-mail and password of your moderator account:"))


def logout_button(_: Translate) -> None:
    """A sign-out button in the sidebar (drawn once per run, however often it is called)."""
    try:
        clicked = st.sidebar.button(_("Sign out"), key="moderator-logout")
    except StreamlitDuplicateElementKey:
        return  # the guard already drew it on this run
    if clicked:
        sign_out()


def sign_out() -> None:
    """End the session now, log it, and rerun the page (which then asks to sign in)."""
    actor = st.session_state.get(ACTOR_KEY)
    via = st.session_state.get(VIA_KEY)
    _clear()
    if actor is not None:
        try:
            record_sign_out(get_runtime(), actor)
        except StorageBusy:
            log.warning("sign-out not recorded: the database stayed busy")
    if via == "identity_provider":
        st.logout()  # also forgets the provider's identity cookie
        return
    st.rerun()


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$])")


def inert(text: str) -> str:
    """Text with markdown syntax escaped, for showing an address inside a message."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)
