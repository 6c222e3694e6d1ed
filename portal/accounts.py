"""Moderator accounts: passwords, sign-in with throttling, and session lifetimes (SAFETY.md M1-M3).

Accounts are made by an administrator on the command line; nobody signs up. A failed sign-in
always gives the same answer (None), whether the address is unknown, the account disabled, the
password wrong or the account locked, so the form reveals neither who has an account nor why.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts_models import Moderator
from portal.audit import Actor, record
from portal.db import utcnow
from portal.fields import normalize_email
from portal.i18n import N_, Msg
from portal.rate_limit import SlidingWindowLimiter
from portal.text import clean_text

if TYPE_CHECKING:
    from portal.runtime import Runtime

log = logging.getLogger(__name__)

# Argon2id at OWASP's minimum for Argon2id (Password Storage Cheat Sheet): 19 MiB of memory,
# 2 passes, 1 lane; about 60 ms per hash here. Raise them, never lower them: hashes made with
# older values are upgraded at the next successful sign-in (check_needs_rehash).
ARGON2_TIME_COST = 2
ARGON2_MEMORY_COST_KIB = 19456
ARGON2_PARALLELISM = 1
ARGON2_HASH_LEN = 32
ARGON2_SALT_LEN = 16

# Length is the only rule (NIST SP 800-63B, OWASP): no composition rules, any script, spaces
# welcome. Counted in Unicode code points after NFKC, which is what 800-63B calls a character.
MIN_PASSWORD_CHARS = 15
MAX_PASSWORD_CHARS = 1024

# Throttling (SAFETY.md M2). Failures are counted per account, keyed by a hash of the normalized
# address so unknown addresses are counted exactly like real ones, and across all accounts.
ACCOUNT_FAILURES_BEFORE_LOCK = 5
FAILURE_WINDOW_SECONDS = 60.0
LOCK_DURATION = timedelta(minutes=15)
OVERALL_FAILURES_PER_WINDOW = 100
OVERALL_PAUSE = timedelta(minutes=1)

# Session lifetimes (SAFETY.md M3, ours).
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=8)

CLI_ACTOR = Actor(moderator_id=None, email="cli")
# What the log records instead of a typed "address" that is not one: it may be a password typed
# into the wrong field.
NOT_AN_ADDRESS = "(not an e-mail address)"
ALL_ACCOUNTS = "(all accounts)"
_MAX_TYPED_EMAIL = 1024

_hasher = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_COST_KIB,
                         parallelism=ARGON2_PARALLELISM, hash_len=ARGON2_HASH_LEN,
                         salt_len=ARGON2_SALT_LEN, type=Type.ID)


class AccountError(Exception):
    """A domain error about accounts; `msg` is the message for the person."""

    def __init__(self, msg: Msg):
        super().__init__(msg.render(lambda text: text))
        self.msg = msg


class PasswordTooShort(AccountError):
    def __init__(self, length: int):
        super().__init__(Msg(N_("Use a password of at least {minimum} characters (this one has "
                                "{length}). A few unrelated words with spaces are easy to remember."),
                             {"minimum": MIN_PASSWORD_CHARS, "length": length}))


class PasswordTooLong(AccountError):
    def __init__(self, length: int):
        super().__init__(Msg(N_("Use a password of at most {maximum} characters (this one has "
                                "{length})."), {"maximum": MAX_PASSWORD_CHARS, "length": length}))


class InvalidEmail(AccountError):
    pass


class ModeratorExists(AccountError):
    def __init__(self, email: str):
        super().__init__(Msg(N_("A moderator account for {email} already exists."), {"email": email}))


class UnknownModerator(AccountError):
    def __init__(self, email: str):
        super().__init__(Msg(N_("There is no moderator account for {email}."), {"email": email}))


# --- passwords ---------------------------------------------------------------------------------

def normalize_password(password: str) -> str:
    """NFKC, so the same passphrase typed on another keyboard or OS gives the same bytes."""
    return unicodedata.normalize("NFKC", password)


def check_password(password: str) -> str:
    """The normalized password, or PasswordTooShort / PasswordTooLong."""
    normal = normalize_password(password)
    if len(normal) < MIN_PASSWORD_CHARS:
        raise PasswordTooShort(len(normal))
    if len(normal) > MAX_PASSWORD_CHARS:
        raise PasswordTooLong(len(normal))
    return normal


def hash_password(password: str) -> str:
    """An Argon2id hash of an acceptable password (checked first)."""
    return _hasher.hash(check_password(password))


def _verify(stored_hash: str, normal_password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, normal_password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_lock = threading.Lock()
_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash nobody knows the password of, verified for unknown accounts so they take as long."""
    global _dummy_hash
    with _dummy_lock:
        if _dummy_hash is None:
            _dummy_hash = _hasher.hash(secrets.token_urlsafe(24))
        return _dummy_hash


# --- addresses ---------------------------------------------------------------------------------

def canonical_email(value: str) -> str:
    """The address as stored and looked up: normalized, then lower-cased (raises InvalidEmail)."""
    # Lower-casing the local part too: "Ana@x.org" and "ana@x.org" are one moderator here.
    normal, problem = normalize_email(clean_text(value))
    if problem is not None:
        raise InvalidEmail(problem)
    return normal.lower()


def _typed_address(value: str) -> str:
    """What a failed sign-in records as its actor: the address, never anything else typed."""
    try:
        return canonical_email(value)
    except InvalidEmail:
        return NOT_AN_ADDRESS


def _find(session: Session, email: str) -> Moderator | None:
    return session.scalar(select(Moderator).where(func.lower(Moderator.email) == email))


# --- managing accounts -------------------------------------------------------------------------

def add_moderator(runtime: Runtime, email: str, password: str | None, *, is_admin: bool,
                  actor: Actor = CLI_ACTOR) -> Moderator:
    """Create an account (password None: sign-in through the identity provider only)."""
    address = canonical_email(email)
    password_hash = hash_password(password) if password is not None else None

    def work(session: Session) -> Moderator:
        if _find(session, address) is not None:
            raise ModeratorExists(address)
        moderator = Moderator(email=address, password_hash=password_hash, is_admin=is_admin)
        session.add(moderator)
        session.flush()
        record(session, actor, "moderator_added",
               detail=f"{address}{' (administrator)' if is_admin else ''}")
        return moderator

    return runtime.db.run(work)


def disable_moderator(runtime: Runtime, email: str, *, actor: Actor = CLI_ACTOR) -> bool:
    """Disable an account at once (its open sessions end at their next page run).

    Returns False when it was already disabled; raises UnknownModerator.
    """
    address = canonical_email(email)

    def work(session: Session) -> bool:
        moderator = _find(session, address)
        if moderator is None:
            raise UnknownModerator(address)
        if moderator.disabled:
            return False
        moderator.disabled = True
        record(session, actor, "moderator_disabled", detail=address)
        return True

    return runtime.db.run(work)


@dataclass(frozen=True)
class ModeratorSummary:
    """An account as the command line lists it; never its hash."""

    email: str
    is_admin: bool
    disabled: bool
    last_login_at: datetime | None


def list_moderators(runtime: Runtime) -> list[ModeratorSummary]:
    with runtime.db.session() as session:
        rows = session.scalars(select(Moderator).order_by(Moderator.email))
        return [ModeratorSummary(m.email, m.is_admin, m.disabled, m.last_login_at) for m in rows]


def actor_for_identity(runtime: Runtime, email: str | None) -> Actor | None:
    """The moderator behind an identity provider's (verified) address, if enabled here.

    The provider only says who someone is; what they may do comes from our own table.
    """
    try:
        address = canonical_email(email or "")
    except InvalidEmail:
        return None
    with runtime.db.session() as session:
        moderator = _find(session, address)
        if moderator is None or moderator.disabled:
            return None
        return Actor(moderator.id, moderator.email, moderator.is_admin)


def actor_for_session(runtime: Runtime, moderator_id: int) -> Actor | None:
    """The signed-in moderator as the database sees them now (None once disabled)."""
    with runtime.db.session() as session:
        moderator = session.get(Moderator, moderator_id)
        if moderator is None or moderator.disabled:
            return None
        return Actor(moderator.id, moderator.email, moderator.is_admin)


def record_sign_in(runtime: Runtime, actor: Actor, *, detail: str | None = None,
                   now: datetime | None = None) -> None:
    """Log a sign-in that did not go through `authenticate` (the identity provider)."""
    now = now or utcnow()

    def work(session: Session) -> None:
        moderator = session.get(Moderator, actor.moderator_id)
        if moderator is not None:
            moderator.last_login_at = now
        record(session, actor, "login", detail=detail, now=now)

    runtime.db.run(work)


def record_sign_out(runtime: Runtime, actor: Actor, *, detail: str | None = None) -> None:
    runtime.db.run(lambda session: record(session, actor, "logout", detail=detail))


# --- signing in --------------------------------------------------------------------------------

class LoginThrottle:
    """Failed sign-ins, counted in process memory (nothing about attempts is kept on disk)."""

    def __init__(self, *, failures_before_lock: int = ACCOUNT_FAILURES_BEFORE_LOCK,
                 overall_failures: int = OVERALL_FAILURES_PER_WINDOW,
                 window_seconds: float = FAILURE_WINDOW_SECONDS,
                 lock_duration: timedelta = LOCK_DURATION, overall_pause: timedelta = OVERALL_PAUSE):
        # allow() refuses the event that would go past its limit, so a limiter admitting
        # n - 1 failures refuses the n-th: that failure is the one that starts the lock.
        self.failures_before_lock = failures_before_lock
        self._per_account = SlidingWindowLimiter(failures_before_lock - 1, window_seconds)
        self._overall = SlidingWindowLimiter(overall_failures - 1, window_seconds)
        self.lock_duration = lock_duration
        self.overall_pause = overall_pause
        self._locked_until: dict[str, datetime] = {}
        self._overall_paused_until: datetime | None = None
        self._lock = threading.Lock()

    def is_blocked(self, key: str, now: datetime) -> bool:
        """True while this account is locked or every sign-in is paused."""
        with self._lock:
            if self._overall_paused_until is not None and now < self._overall_paused_until:
                return True
            until = self._locked_until.get(key)
            return until is not None and now < until

    def failed(self, key: str, now: datetime) -> tuple[bool, bool]:
        """Count a failure; returns (account lock started, overall pause started)."""
        t = now.timestamp()
        with self._lock:
            account_lock = not self._per_account.allow(key, t)
            if account_lock:
                self._forget_expired_locks(now)
                self._locked_until[key] = now + self.lock_duration
            overall_pause = not self._overall.allow(ALL_ACCOUNTS, t)
            if overall_pause:
                self._overall_paused_until = now + self.overall_pause
            return account_lock, overall_pause

    def _forget_expired_locks(self, now: datetime) -> None:
        for key in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[key]


def throttle_for(runtime: Runtime) -> LoginThrottle:
    """The runtime's throttle: one per process, like the runtime itself, and fresh per test."""
    # Kept on the runtime object rather than in a module global so that each runtime (each
    # process in production, each test) counts on its own.
    throttle = runtime.__dict__.get("_login_throttle")
    if throttle is None:
        throttle = runtime.__dict__.setdefault("_login_throttle", LoginThrottle())
    return throttle


def _throttle_key(typed_email: str) -> str:
    try:
        address = canonical_email(typed_email)
    except InvalidEmail:
        address = clean_text(typed_email).casefold()
    return hashlib.sha256(address.encode("utf-8")).hexdigest()


def authenticate(runtime: Runtime, email: str, password: str, *, now: datetime | None = None,
                 throttle: LoginThrottle | None = None) -> Actor | None:
    """The moderator for this address and password, or None for every kind of failure."""
    now = now or utcnow()
    throttle = throttle or throttle_for(runtime)
    # The browser's length limits are not enforced by the server: bound the work here.
    email, password = email[:_MAX_TYPED_EMAIL], password[:MAX_PASSWORD_CHARS * 4]
    key = _throttle_key(email)
    typed = Actor(None, _typed_address(email))

    if throttle.is_blocked(key, now):
        # No hash is checked while locked: its answer would not be used, and skipping it keeps a
        # flood from costing 19 MiB and 60 ms per attempt. The lock covers unknown addresses
        # too, so this reveals nothing about which accounts exist.
        log.info("sign-in refused while throttled")
        return None

    normal = normalize_password(password)
    with runtime.db.session() as session:
        moderator = _find(session, typed.email) if typed.email != NOT_AN_ADDRESS else None
        stored = (moderator.password_hash
                  if moderator is not None and not moderator.disabled else None)
        moderator_id = moderator.id if moderator is not None else None
    # Unknown, disabled and identity-provider-only accounts check a dummy hash, so that every
    # failure costs the same time as a wrong password.
    too_long = len(normal) > MAX_PASSWORD_CHARS
    ok = _verify(stored or _dummy(), normal[:MAX_PASSWORD_CHARS]) and stored is not None \
        and not too_long

    if not ok:
        account_lock, overall_pause = throttle.failed(key, now)

        def log_failure(session: Session) -> None:
            record(session, typed, "login_failed", now=now)
            if account_lock:
                record(session, typed, "lockout", now=now,
                       detail=f"{throttle.failures_before_lock} failed sign-ins; locked for "
                              f"{int(throttle.lock_duration.total_seconds() // 60)} minutes")
            if overall_pause:
                record(session, Actor(None, ALL_ACCOUNTS), "lockout", now=now,
                       detail="too many failed sign-ins across all accounts; every sign-in "
                              f"paused for {int(throttle.overall_pause.total_seconds())} seconds")

        runtime.db.run(log_failure)
        if account_lock:
            log.warning("a moderator account was locked after repeated failed sign-ins")
        if overall_pause:
            log.warning("all sign-ins paused: too many failures across accounts")
        return None

    rehash = _hasher.check_needs_rehash(stored)
    new_hash = _hasher.hash(normal) if rehash else None

    def log_success(session: Session) -> Actor | None:
        account = session.get(Moderator, moderator_id)
        if account is None or account.disabled:  # disabled in the meantime
            return None
        account.last_login_at = now
        if new_hash is not None:
            account.password_hash = new_hash
        actor = Actor(account.id, account.email, account.is_admin)
        record(session, actor, "login", now=now)
        return actor

    return runtime.db.run(log_success)


# --- sessions ----------------------------------------------------------------------------------

def session_expired(started_at: datetime, last_seen: datetime, now: datetime) -> bool:
    """True once a session has been idle for IDLE_TIMEOUT or open for ABSOLUTE_TIMEOUT."""
    return now - last_seen >= IDLE_TIMEOUT or now - started_at >= ABSOLUTE_TIMEOUT
