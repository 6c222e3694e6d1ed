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

from sqlalchemy import func, or_, select, update

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


def lease_seconds_for(config: Config) -> float:
    """A lease that outlasts one send (with its one reconnect) plus a wait on a busy database."""
    smtp_timeout = config.smtp.timeout if config.smtp is not None else 30.0
    return smtp_timeout * 2 + config.busy_timeout_seconds + 30


@dataclass(frozen=True)
class ClaimedMessage:
    outbox_id: int
    lease_token: str
    attempts: int
    first_attempt_at: datetime | None
    mail: OutgoingMail

    def __repr__(self) -> str:
        return f"ClaimedMessage(outbox_id={self.outbox_id}, attempts={self.attempts})"


def _due(now: datetime):
    return (
        (OutboxMessage.status == DeliveryStatus.PENDING)
        & (OutboxMessage.next_attempt_at <= now)
        & or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now)
    )


def claim_due(db: Database, cipher: FieldCipher, *, worker_id: str, limit: int,
              lease_seconds: float, now: datetime | None = None) -> list[ClaimedMessage]:
    """Lease up to `limit` due rows to this worker and return them decrypted, oldest due first."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    lease_until = now + timedelta(seconds=lease_seconds)

    def work(session):
        due_ids = (select(OutboxMessage.id).where(_due(now))
                   .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
        if db.dialect == "postgresql":
            # Rows another worker is claiming right now are skipped, not waited for.
            ids = session.scalars(due_ids.with_for_update(skip_locked=True)).all()
            if not ids:
                return []
            chosen = OutboxMessage.id.in_(ids)
        else:
            # SQLite: this runs under BEGIN IMMEDIATE, so no other writer sits between the
            # subquery and the update; the repeated due condition keeps it safe anyway.
            chosen = OutboxMessage.id.in_(due_ids.scalar_subquery())
        session.execute(update(OutboxMessage).where(chosen, _due(now))
                        .values(lease_token=token, lease_until=lease_until)
                        .execution_options(synchronize_session=False))
        return session.execute(
            select(OutboxMessage.id, OutboxMessage.letter_id, OutboxMessage.office_id,
                   OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body_enc,
                   OutboxMessage.attempts, OutboxMessage.first_attempt_at, OutboxMessage.created_at,
                   Letter.first_name_enc, Letter.last_name_enc, Letter.email_enc)
            .join(Letter, Letter.id == OutboxMessage.letter_id)
            .where(OutboxMessage.lease_token == token)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        ).all()

    rows = db.run(work)
    if rows:
        log.info("worker %s claimed %d outbox message(s)", worker_id, len(rows))
    # Decrypt after the commit, so the write lock is held no longer than the update.
    return [
        ClaimedMessage(
            outbox_id=r.id, lease_token=token, attempts=r.attempts,
            first_attempt_at=r.first_attempt_at,
            mail=OutgoingMail(
                outbox_id=r.id, letter_id=r.letter_id, office_id=r.office_id,
                recipient=r.recipient, subject=r.subject, body=cipher.decrypt(r.body_enc),
                sender_first_name=cipher.decrypt(r.first_name_enc),
                sender_last_name=cipher.decrypt(r.last_name_enc),
                sender_email=cipher.decrypt(r.email_enc), created_at=r.created_at),
        )
        for r in rows
    ]


def _held(claimed: ClaimedMessage):
    return (OutboxMessage.id == claimed.outbox_id) & (OutboxMessage.lease_token == claimed.lease_token)


def renew(db: Database, claimed: ClaimedMessage, *, lease_seconds: float,
          now: datetime | None = None) -> bool:
    """Extend the lease just before sending; False if another worker has taken the row."""
    now = now or utcnow()
    stmt = (update(OutboxMessage)
            .where(_held(claimed), OutboxMessage.status == DeliveryStatus.PENDING)
            .values(lease_until=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False))
    return db.run(lambda s: s.execute(stmt).rowcount) == 1


def release(db: Database, claimed: list[ClaimedMessage]) -> None:
    """Give unsent rows back at once (on shutdown) instead of waiting for their leases to expire."""
    for c in claimed:
        stmt = (update(OutboxMessage).where(_held(c))
                .values(lease_token=None, lease_until=None)
                .execution_options(synchronize_session=False))
        db.run(lambda s, stmt=stmt: s.execute(stmt))


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
    stmt = (update(OutboxMessage).where(_held(claimed)).values(**values)
            .execution_options(synchronize_session=False))
    if db.run(lambda s: s.execute(stmt).rowcount) == 1:
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
