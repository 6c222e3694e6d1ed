"""Moderator accounts: Argon2id at OWASP's minimum, length-only passwords, throttled sign-in,
the same answer for every failure, audit entries without secrets, session lifetimes (M1-M3, M5)."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from argon2 import Type, extract_parameters
from sqlalchemy import select

from portal import accounts
from portal.accounts import (ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, LoginThrottle, ModeratorExists,
                             PasswordTooLong, PasswordTooShort, actor_for_identity,
                             actor_for_session, add_moderator, authenticate, disable_moderator,
                             list_moderators, session_expired)
from portal.accounts_models import AuditEntry, Moderator
from portal.db import utcnow

EMAIL = "ana.moderator@example.org"
PASSWORD = "tortuga azul bajo la lluvia"  # 27 characters, spaces and all


@pytest.fixture
def moderator(runtime):
    return add_moderator(runtime, EMAIL, PASSWORD, is_admin=False)


def audit(runtime, action: str | None = None) -> list[AuditEntry]:
    with runtime.db.session() as s:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(s.scalars(query))


def stored_hash(runtime, email: str = EMAIL) -> str:
    with runtime.db.session() as s:
        return s.scalar(select(Moderator.password_hash).where(Moderator.email == email))


# --- hashing -----------------------------------------------------------------------------------

def test_hash_is_argon2id_at_or_above_owasp_minimum(runtime, moderator):
    h = stored_hash(runtime)
    assert h.startswith("$argon2id$")
    params = extract_parameters(h)
    assert params.type is Type.ID
    assert params.memory_cost >= 19456
    assert params.time_cost >= 2
    assert params.parallelism >= 1
    assert PASSWORD not in h


def test_each_account_gets_its_own_salt(runtime, moderator):
    add_moderator(runtime, "ben@example.org", PASSWORD, is_admin=False)
    assert stored_hash(runtime) != stored_hash(runtime, "ben@example.org")


@pytest.mark.parametrize("password, ok", [
    ("家人应该在一起无论他们来自哪里", True),        # 15 Chinese characters (45 bytes in UTF-8)
    ("家人应该在一起无论他们来自哪", False),          # 14
    ("🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵", True),           # 15 emoji (60 bytes)
    ("🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵🌵", False),             # 14
    ("a" * 15, True),
    ("a" * 14, False),
    ("               ", True),                       # no composition rules: spaces count
    ("", False),
])
def test_minimum_length_is_counted_in_characters(password, ok):
    if ok:
        assert accounts.check_password(password)
    else:
        with pytest.raises(PasswordTooShort) as info:
            accounts.check_password(password)
        assert info.value.msg.params["length"] == len(password)


def test_too_short_says_why_in_one_line():
    with pytest.raises(PasswordTooShort) as info:
        accounts.check_password("short one")
    assert "at least 15 characters" in str(info.value) and "\n" not in str(info.value)


def test_maximum_length():
    accounts.check_password("x" * 1024)
    with pytest.raises(PasswordTooLong):
        accounts.check_password("x" * 1025)


def test_chinese_passphrase_signs_in(runtime):
    phrase = "家人应该在一起无论他们来自哪里"
    add_moderator(runtime, "li@example.org", phrase, is_admin=False)
    assert authenticate(runtime, "li@example.org", phrase) is not None


def test_password_typed_with_a_decomposed_accent_matches_the_composed_one(runtime):
    composed = "canción de la familia unida"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    add_moderator(runtime, EMAIL, composed, is_admin=False)
    assert authenticate(runtime, EMAIL, decomposed) is not None


def test_long_passphrase_works(runtime):
    phrase = ("we keep the stories safe and the families together " * 6)[:300]
    assert len(phrase) == 300
    add_moderator(runtime, EMAIL, phrase, is_admin=False)
    assert authenticate(runtime, EMAIL, phrase) is not None
    assert authenticate(runtime, EMAIL, phrase[:-1]) is None


def test_weaker_hashes_are_upgraded_at_sign_in(runtime, moderator, monkeypatch):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID)
    with runtime.db.session(write=True) as s:
        s.get(Moderator, moderator.id).password_hash = old.hash(PASSWORD)
    assert authenticate(runtime, EMAIL, PASSWORD) is not None
    params = extract_parameters(stored_hash(runtime))
    assert (params.memory_cost, params.time_cost) == (19456, 2)


# --- accounts ----------------------------------------------------------------------------------

def test_duplicate_address_is_refused_whatever_its_case(runtime, moderator):
    with pytest.raises(ModeratorExists, match="already exists"):
        add_moderator(runtime, "Ana.Moderator@EXAMPLE.org", PASSWORD, is_admin=True)


def test_invalid_address_is_refused(runtime):
    with pytest.raises(accounts.InvalidEmail):
        add_moderator(runtime, "not an address", PASSWORD, is_admin=False)


def test_list_has_no_hashes(runtime, moderator):
    [row] = list_moderators(runtime)
    assert (row.email, row.is_admin, row.disabled, row.last_login_at) == (EMAIL, False, False, None)
    assert not any("argon2" in str(v) for v in vars(row).values())


def test_adding_and_disabling_are_audited_as_cli(runtime, moderator):
    assert disable_moderator(runtime, EMAIL) is True
    assert disable_moderator(runtime, EMAIL) is False
    entries = audit(runtime)
    assert [(e.action, e.actor) for e in entries] == [("moderator_added", "cli"),
                                                      ("moderator_disabled", "cli")]


# --- signing in --------------------------------------------------------------------------------

def test_right_password_signs_in_and_is_audited(runtime, moderator):
    actor = authenticate(runtime, "  Ana.Moderator@Example.ORG ", PASSWORD)
    assert actor is not None and (actor.moderator_id, actor.email) == (moderator.id, EMAIL)
    [entry] = audit(runtime, "login")
    assert entry.moderator_id == moderator.id
    assert list_moderators(runtime)[0].last_login_at is not None


@pytest.mark.parametrize("email, password", [
    (EMAIL, "tortuga azul bajo la nieve"),     # wrong password
    ("nobody@example.org", PASSWORD),           # unknown account
    ("not an address at all", PASSWORD),        # not even an address
    (EMAIL, ""),
])
def test_every_failure_gives_the_same_answer(runtime, moderator, email, password):
    assert authenticate(runtime, email, password) is None


def test_disabled_account_cannot_sign_in(runtime, moderator):
    disable_moderator(runtime, EMAIL)
    assert authenticate(runtime, EMAIL, PASSWORD) is None
    assert actor_for_session(runtime, moderator.id) is None


def test_failed_sign_ins_are_audited_without_the_password(runtime, moderator):
    authenticate(runtime, EMAIL, "wrong password but long enough")
    authenticate(runtime, "nobody@example.org", PASSWORD)
    # A password typed into the address field is not written down either.
    authenticate(runtime, PASSWORD, PASSWORD)
    entries = audit(runtime, "login_failed")
    assert [e.actor for e in entries] == [EMAIL, "nobody@example.org", "(not an e-mail address)"]
    for e in audit(runtime):
        for value in (e.actor, e.detail or ""):
            assert PASSWORD not in value and "wrong password" not in value


def test_five_failures_lock_the_account_for_fifteen_minutes(runtime, moderator):
    start = utcnow()
    for i in range(5):
        assert authenticate(runtime, EMAIL, f"wrong password number {i}",
                            now=start + timedelta(seconds=i)) is None
    # Locked: even the right password is refused, with the same answer.
    assert authenticate(runtime, EMAIL, PASSWORD, now=start + timedelta(seconds=10)) is None
    assert authenticate(runtime, EMAIL, PASSWORD, now=start + timedelta(minutes=14)) is None
    [lockout] = audit(runtime, "lockout")
    assert lockout.actor == EMAIL
    assert not audit(runtime, "login")
    # After the lock period it works again.
    assert authenticate(runtime, EMAIL, PASSWORD, now=start + timedelta(minutes=16)) is not None
    assert len(audit(runtime, "lockout")) == 1


def test_failures_spread_over_time_do_not_lock(runtime, moderator):
    start = utcnow()
    for i in range(6):
        authenticate(runtime, EMAIL, "wrong password, slowly", now=start + timedelta(seconds=20 * i))
    assert authenticate(runtime, EMAIL, PASSWORD, now=start + timedelta(seconds=121)) is not None
    assert not audit(runtime, "lockout")


def test_unknown_accounts_are_throttled_like_real_ones(runtime):
    start = utcnow()
    for i in range(5):
        authenticate(runtime, "Nobody@Example.org", "some guess or other", now=start)
    [lockout] = audit(runtime, "lockout")
    assert lockout.actor == "nobody@example.org"


def test_lock_follows_the_normalized_address(runtime, moderator):
    start = utcnow()
    for variant in (EMAIL, EMAIL.upper(), f" {EMAIL}", "Ana.Moderator@example.ORG", EMAIL):
        authenticate(runtime, variant, "wrong password again", now=start)
    assert authenticate(runtime, EMAIL, PASSWORD, now=start) is None
    assert len(audit(runtime, "lockout")) == 1


def test_overall_limit_pauses_every_account(runtime, moderator):
    # A small overall limit, so the test does not hash a hundred times.
    throttle = LoginThrottle(overall_failures=4)
    start = utcnow()
    for i in range(4):
        authenticate(runtime, f"guess{i}@example.org", "credential stuffing", now=start,
                     throttle=throttle)
    assert authenticate(runtime, EMAIL, PASSWORD, now=start, throttle=throttle) is None
    assert [e.actor for e in audit(runtime, "lockout")] == ["(all accounts)"]
    later = start + accounts.OVERALL_PAUSE + timedelta(seconds=1)
    assert authenticate(runtime, EMAIL, PASSWORD, now=later, throttle=throttle) is not None


def test_default_throttle_is_one_per_runtime(runtime):
    assert accounts.throttle_for(runtime) is accounts.throttle_for(runtime)
    assert accounts.OVERALL_FAILURES_PER_WINDOW == 100
    assert accounts.ACCOUNT_FAILURES_BEFORE_LOCK == 5


# --- identity provider -------------------------------------------------------------------------

def test_identity_provider_address_maps_to_an_enabled_moderator(runtime, moderator):
    actor = actor_for_identity(runtime, "ANA.moderator@example.org")
    assert actor is not None and actor.moderator_id == moderator.id and not actor.is_admin
    assert actor_for_identity(runtime, "stranger@example.org") is None
    assert actor_for_identity(runtime, None) is None
    assert actor_for_identity(runtime, "") is None
    disable_moderator(runtime, EMAIL)
    assert actor_for_identity(runtime, EMAIL) is None


def test_provider_only_account_has_no_password_to_guess(runtime):
    add_moderator(runtime, "sso@example.org", None, is_admin=True)
    assert authenticate(runtime, "sso@example.org", "") is None
    assert authenticate(runtime, "sso@example.org", "anything at all, long enough") is None
    assert actor_for_identity(runtime, "sso@example.org").is_admin


# --- sessions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("since_start, idle, expired", [
    (timedelta(0), timedelta(0), False),
    (timedelta(minutes=29), timedelta(minutes=29), False),
    (timedelta(minutes=30), timedelta(minutes=30), True),        # 30 minutes idle
    (timedelta(hours=2), timedelta(minutes=31), True),
    (timedelta(hours=7, minutes=59), timedelta(minutes=1), False),  # active all day
    (timedelta(hours=8), timedelta(seconds=5), True),              # 8 hours in all
    (timedelta(hours=12), timedelta(0), True),
])
def test_session_expired(since_start, idle, expired):
    now = utcnow()
    assert session_expired(now - since_start, now - idle, now) is expired


def test_session_lifetimes():
    assert IDLE_TIMEOUT == timedelta(minutes=30)
    assert ABSOLUTE_TIMEOUT == timedelta(hours=8)
