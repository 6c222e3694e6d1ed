"""Tables for stories, their consent records and the storyteller's contact details.

The story's own words are encrypted (the original, before any redaction). Contact details and
the name to credit live in a separate table, encrypted field by field. Consent is a history of
events; the story row carries a copy of the current answers so queues and exports can filter on
them in SQL.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False,
                length=24, validate_strings=True)


class StoryStatus(str, enum.Enum):
    NEW = "new"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_LEGAL_REVIEW = "needs_legal_review"
    WITHDRAWN = "withdrawn"


class Connection(str, enum.Enum):
    SEPARATED = "separated"          # I was separated from my family
    FAMILY_MEMBER = "family_member"  # a member of my family was
    WITNESS = "witness"              # I witnessed it
    OTHER = "other"


class Credit(str, enum.Enum):
    NONE = "none"
    FIRST_NAME = "first_name"
    FULL_NAME = "full_name"


class AgeConfirmation(str, enum.Enum):
    ADULT = "adult"        # 18 or older
    GUARDIAN = "guardian"  # a parent or guardian submitting


class IntakeMethod(str, enum.Enum):
    WEB = "web"
    PAPER = "paper"  # collected on a paper form at an event and imported


class ConsentChange(str, enum.Enum):
    GIVEN = "given"
    NARROWED = "narrowed"
    WITHDRAWN = "withdrawn"


class Story(Base):
    __tablename__ = "stories"
    __table_args__ = (
        Index("ix_stories_status_submitted", "status", "submitted_at"),
        Index("ix_stories_language", "language"),
        Index("ix_stories_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only a keyed hash of the receipt code is kept: the database alone cannot open a story.
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[StoryStatus] = mapped_column(_enum(StoryStatus), default=StoryStatus.NEW)
    language: Mapped[str] = mapped_column(String(5))
    state: Mapped[str | None] = mapped_column(String(2))
    connection: Mapped[Connection] = mapped_column(_enum(Connection))
    year: Mapped[int | None]
    method: Mapped[IntakeMethod] = mapped_column(_enum(IntakeMethod), default=IntakeMethod.WEB)
    # The original words, encrypted; None once purged.
    title_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_name: Mapped[str | None] = mapped_column(String(64))
    # Current consent, copied from the newest consent event.
    consent_publish: Mapped[bool] = mapped_column(default=False)
    consent_press: Mapped[bool] = mapped_column(default=False)
    consent_quote: Mapped[bool] = mapped_column(default=False)
    consent_photo: Mapped[bool] = mapped_column(default=False)
    credit: Mapped[Credit] = mapped_column(_enum(Credit), default=Credit.NONE)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]
    # The publication version: what moderators prepared for use, redacted; encrypted like the
    # original, which is kept apart and never exported. None until a moderator saves one.
    publication_title_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    publication_text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Bumped on every moderator save, so a second moderator's stale edit is refused (M6).
    version: Mapped[int] = mapped_column(default=1)
    approved_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(300))
    # Who opened it last and when, so a second moderator is told someone is on it (M6).
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    review_started_at: Mapped[datetime | None]

    contact: Mapped[StoryContact | None] = relationship(
        back_populates="story", cascade="all, delete-orphan", passive_deletes=True, uselist=False)
    consent_events: Mapped[list[ConsentEvent]] = relationship(
        back_populates="story", order_by="ConsentEvent.id", passive_deletes=True)


class StoryTerm(Base):
    """A keyed hash of one word of a story, so moderators can search text that is stored encrypted."""

    __tablename__ = "story_terms"

    term: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)


class StoryContact(Base):
    """How to reach the storyteller, and the name they allowed us to print: kept apart, encrypted."""

    __tablename__ = "story_contacts"

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"),
                                          primary_key=True)
    email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    credited_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    story: Mapped[Story] = relationship(back_populates="contact")


class ConsentEvent(Base):
    """One decision about a story's use, as it was shown and answered (SAFETY.md S2).

    Events are only ever added. They hold no story text, so they outlive a purge and can show
    later what was agreed and when it was withdrawn.
    """

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    change: Mapped[ConsentChange] = mapped_column(_enum(ConsentChange))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    text_version: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(5))
    text_sha256: Mapped[str] = mapped_column(String(64))
    method: Mapped[IntakeMethod] = mapped_column(_enum(IntakeMethod))
    keep_for_review: Mapped[bool]
    publish: Mapped[bool]
    press: Mapped[bool]
    quote: Mapped[bool]
    photo: Mapped[bool]
    credit: Mapped[Credit] = mapped_column(_enum(Credit))
    age: Mapped[AgeConfirmation | None] = mapped_column(_enum(AgeConfirmation))

    story: Mapped[Story] = relationship(back_populates="consent_events")
