"""Claiming outbox rows for delivery and recording the outcome, under leases (SAFETY.md R3, R4).

A worker claims due rows by writing a fresh lease token on them in one atomic statement, sends,
and records the result only where its token is still on the row. A worker that dies leaves
its lease to expire, and the rows become due for another worker. No letter text is ever logged
or stored in `last_error`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, update

from letters.models import DeliveryStatus, Letter, OutboxMessage
from letters.transports import Outcome, OutgoingMail, SendResult
from portal.config import Config
from portal.crypto import FieldCipher
from portal.db import Database, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a temporarily refused message again, and when to stop trying."""

    # Production: first retry after a minute, then slower, capped at 6 hours (RFC 5321 4.5.4.1).
    delays: tuple[float, ...] = (60, 300, 900, 1800, 3600, 7200, 14400, 21600)
    # RFC 5321 asks for at least 4-5 days before giving up.
    give_up_after: float = 4 * 24 * 3600

    def __post_init__(self):
        if not self.delays or min(self.delays) <= 0:
            raise ValueError("retry delays must be positive, or a drain would never end")

    def delay_after(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failed attempt (1 for the first)."""
        return timedelta(seconds=self.delays[min(max(attempts, 1), len(self.delays)) - 1])


DEFAULT_RETRY_POLICY = RetryPolicy()


def send_seconds_for(config: Config) -> float:
    """The longest one message may take: a send with its one reconnect, then a busy database."""
    smtp_timeout = config.smtp.timeout if config.smtp is not None else 30.0
    return smtp_timeout * 2 + config.busy_timeout_seconds


def lease_seconds_for(config: Config) -> float:
    """A lease that outlasts one send (with its one reconnect) plus a wait on a busy database."""
    return send_seconds_for(config) + 30


@dataclass(frozen=True)
class ClaimedMessage:
    outbox_id: int
    lease_token: str
    attempts: int
    first_attempt_at: datetime | None
    mail: OutgoingMail

    def __repr__(self) -> str:
        return f"ClaimedMessage(outbox_id={self.outbox_id}, attempts={self.attempts})"


# Claims and outcomes are the worker's hot path (a commit per message): they run as Core
# statements on a bare connection, built once so each execution only binds values.
_OUTBOX = OutboxMessage.__table__
_LETTERS = Letter.__table__


def _due(now):
    return (
        (_OUTBOX.c.status == DeliveryStatus.PENDING)
        & (_OUTBOX.c.next_attempt_at <= now)
        & or_(_OUTBOX.c.lease_until.is_(None), _OUTBOX.c.lease_until <= now)
    )


_DUE_IDS = (select(_OUTBOX.c.id).where(_due(bindparam("now")))
            .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id).limit(bindparam("limit")))
# PostgreSQL: rows another worker is claiming right now are skipped, not waited for.
_LOCK_DUE_IDS = _DUE_IDS.with_for_update(skip_locked=True)
_LEASE_LISTED = (update(_OUTBOX)
                 .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _due(bindparam("now")))
                 .values(lease_token=bindparam("token"), lease_until=bindparam("lease_until")))
# SQLite: this runs under BEGIN IMMEDIATE, so no other writer sits between the subquery and
# the update; the repeated due condition keeps it safe anyway.
_LEASE_DUE = (update(_OUTBOX)
              .where(_OUTBOX.c.id.in_(_DUE_IDS.scalar_subquery()), _due(bindparam("now")))
              .values(lease_token=bindparam("token"), lease_until=bindparam("lease_until")))
_LEASED = (select(_OUTBOX.c.id, _OUTBOX.c.letter_id, _OUTBOX.c.office_id, _OUTBOX.c.recipient,
                  _OUTBOX.c.subject, _OUTBOX.c.body_enc, _OUTBOX.c.attempts,
                  _OUTBOX.c.first_attempt_at, _OUTBOX.c.created_at,
                  _LETTERS.c.first_name_enc, _LETTERS.c.last_name_enc, _LETTERS.c.email_enc)
           .join(_LETTERS, _LETTERS.c.id == _OUTBOX.c.letter_id)
           .where(_OUTBOX.c.lease_token == bindparam("token"))
           .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id))
# The row, only while this worker's lease is on it. Columns to set are given at execution.
_HELD = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("held_id"),
                              _OUTBOX.c.lease_token == bindparam("held_token"))
_RENEW = _HELD.where(_OUTBOX.c.status == DeliveryStatus.PENDING)


def claim_due(db: Database, cipher: FieldCipher, *, worker_id: str, limit: int,
              lease_seconds: float, now: datetime | None = None) -> list[ClaimedMessage]:
    """Lease up to `limit` due rows to this worker and return them decrypted, oldest due first."""
    now = now or utcnow()
    lease = {"token": uuid.uuid4().hex, "lease_until": now + timedelta(seconds=lease_seconds),
             "now": now}

    def work(conn):
        if db.dialect == "postgresql":
            ids = conn.execute(_LOCK_DUE_IDS, {"now": now, "limit": limit}).scalars().all()
            if not ids:
                return []
            conn.execute(_LEASE_LISTED, {**lease, "ids": ids})
        else:
            conn.execute(_LEASE_DUE, {**lease, "limit": limit})
        return conn.execute(_LEASED, {"token": lease["token"]}).all()

    rows = db.run_core(work)
    if rows:
        log.info("worker %s claimed %d outbox message(s)", worker_id, len(rows))
    # Decrypt after the commit, so the write lock is held no longer than the update; a
    # letter's sender once for all its offices in the batch.
    senders: dict[int, tuple[str, str, str]] = {}
    claimed = []
    for r in rows:
        if r.letter_id not in senders:
            senders[r.letter_id] = (cipher.decrypt(r.first_name_enc), cipher.decrypt(r.last_name_enc),
                                    cipher.decrypt(r.email_enc))
        first_name, last_name, email = senders[r.letter_id]
        claimed.append(ClaimedMessage(
            outbox_id=r.id, lease_token=lease["token"], attempts=r.attempts,
            first_attempt_at=r.first_attempt_at,
            mail=OutgoingMail(
                outbox_id=r.id, letter_id=r.letter_id, office_id=r.office_id,
                recipient=r.recipient, subject=r.subject, body=cipher.decrypt(r.body_enc),
                sender_first_name=first_name, sender_last_name=last_name, sender_email=email,
                created_at=r.created_at)))
    return claimed


def _held(claimed: ClaimedMessage) -> dict:
    return {"held_id": claimed.outbox_id, "held_token": claimed.lease_token}


def renew(db: Database, claimed: ClaimedMessage, *, lease_seconds: float,
          now: datetime | None = None) -> bool:
    """Extend the lease just before sending; False if another worker has taken the row."""
    now = now or utcnow()
    params = {**_held(claimed), "lease_until": now + timedelta(seconds=lease_seconds)}
    return db.run_core(lambda conn: conn.execute(_RENEW, params).rowcount) == 1


def release(db: Database, claimed: list[ClaimedMessage]) -> None:
    """Give unsent rows back at once (on shutdown) instead of waiting for their leases to expire."""
    for c in claimed:
        params = {**_held(c), "lease_token": None, "lease_until": None}
        db.run_core(lambda conn, params=params: conn.execute(_HELD, params))


def complete(db: Database, claimed: ClaimedMessage, result: SendResult, *,
             now: datetime | None = None, retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY) -> bool:
    """Record a send's outcome if this worker's lease still holds; returns whether it did."""
    now = now or utcnow()
    attempts = claimed.attempts + 1
    first = claimed.first_attempt_at or now
    values: dict = dict(attempts=attempts, first_attempt_at=first, lease_token=None, lease_until=None)
    if result.outcome is Outcome.SENT:
        values.update(status=DeliveryStatus.SENT, sent_at=now, last_error=None)
    elif result.outcome is Outcome.FAILED:
        values.update(status=DeliveryStatus.FAILED, last_error=result.summary)
    elif now - first >= timedelta(seconds=retry_policy.give_up_after):
        values.update(status=DeliveryStatus.FAILED,
                      last_error=f"gave up after {attempts} attempts: {result.summary}"[:300])
    else:
        values.update(next_attempt_at=now + retry_policy.delay_after(attempts),
                      last_error=result.summary)
    params = {**_held(claimed), **values}
    if db.run_core(lambda conn: conn.execute(_HELD, params).rowcount) == 1:
        return True
    log.warning("outbox %d: lease lost before its outcome (%s) was recorded",
                claimed.outbox_id, result.outcome.value)
    return False


def delivery_counts(db: Database) -> dict[str, int]:
    """Outbox rows by status, every status present (zero if none)."""
    counts = {status.value: 0 for status in DeliveryStatus}
    with db.session() as session:
        for status, n in session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)):
            counts[DeliveryStatus(status).value] = n
    return counts


@dataclass(frozen=True)
class FailedMessage:
    outbox_id: int
    letter_id: int
    office_id: str
    recipient: str
    attempts: int
    last_error: str


def failed_messages(db: Database, limit: int = 100) -> list[FailedMessage]:
    """Messages refused for good, newest first, for the admin view (no names, no text)."""
    with db.session() as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.letter_id, OutboxMessage.office_id,
                   OutboxMessage.recipient, OutboxMessage.attempts, OutboxMessage.last_error)
            .where(OutboxMessage.status == DeliveryStatus.FAILED)
            .order_by(OutboxMessage.id.desc()).limit(limit)
        ).all()
    return [FailedMessage(r.id, r.letter_id, r.office_id, r.recipient, r.attempts, r.last_error or "")
            for r in rows]
