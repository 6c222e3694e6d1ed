"""Tables for letters, their outbox messages and the per-campaign tally.

Personal details (names, e-mail, phone, street address, and the letter text that carries them)
are stored encrypted; city, state and ZIP stay in clear for counts by place.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    """Enums are stored by value, as plain strings, so the database reads well and migrates easily."""
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False,
                length=20, validate_strings=True)


class DeliveryStatus(str, enum.Enum):
    PENDING = "pending"      # waiting for its first or next attempt
    SENT = "sent"            # the recipient's server accepted it
    FAILED = "failed"        # refused for good, or retried past the give-up time
    CANCELLED = "cancelled"  # replaced before it was sent


class Letter(Base):
    __tablename__ = "letters"
    __table_args__ = (
        # One letter per e-mail address per campaign (SAFETY.md A2).
        UniqueConstraint("campaign_id", "email_hash", name="uq_letters_campaign_email"),
        Index("ix_letters_created_at", "created_at"),
        Index("ix_letters_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(5))
    # Made when the form is drawn, so a double click or a resubmitted form stores one letter.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    email_hash: Mapped[str] = mapped_column(String(64))
    first_name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    last_name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    email_enc: Mapped[bytes] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    street_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    city: Mapped[str] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(2))
    zip_code: Mapped[str] = mapped_column(String(10))
    text_enc: Mapped[bytes] = mapped_column(LargeBinary)
    edited: Mapped[bool] = mapped_column(default=False)
    opt_in: Mapped[bool] = mapped_column(default=False)
    opt_in_at: Mapped[datetime | None]
    opt_in_text_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    messages: Mapped[list[OutboxMessage]] = relationship(
        back_populates="letter", cascade="all, delete-orphan", passive_deletes=True)


class OutboxMessage(Base):
    """One e-mail to one recipient: a partial refusal can never cause a resend to another."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_attempt_at: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    letter: Mapped[Letter] = relationship(back_populates="messages")


class CampaignTally(Base):
    """Letters per campaign, kept in step with inserts so "N people wrote" is one row read."""

    __tablename__ = "campaign_tallies"

    campaign_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    letters: Mapped[int] = mapped_column(default=0)
