"""The audit log: one row per moderator action (SAFETY.md M5), never any story text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.accounts_models import AuditEntry
from portal.db import utcnow
from portal.text import clean_text

# The actions the log knows; a typo in a caller fails loudly instead of logging nonsense.
ACTIONS = frozenset({
    "login", "login_failed", "lockout", "logout", "open_story", "save_publication", "redact",
    "set_status", "approve", "reject", "needs_legal_review", "export", "withdrawal_processed",
    "moderator_added", "moderator_disabled",
})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in moderator (or, for a failed login, the address that was tried)."""

    moderator_id: int | None
    email: str
    is_admin: bool = False


def record(session: Session, actor: Actor, action: str, *, story_id: int | None = None,
           detail: str | None = None, now: datetime | None = None) -> None:
    """Append one entry in the caller's transaction, so the action and its record stand or fall together."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(AuditEntry(
        at=now or utcnow(), moderator_id=actor.moderator_id, actor=clean_text(actor.email)[:254],
        action=action, story_id=story_id,
        detail=clean_text(detail)[:300] if detail else None))


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int


def browse(session: Session, *, page: int = 0, per_page: int = 50, action: str | None = None,
           story_id: int | None = None) -> AuditPage:
    """Newest first, paged in SQL."""
    query = select(AuditEntry)
    if action:
        query = query.where(AuditEntry.action == action)
    if story_id is not None:
        query = query.where(AuditEntry.story_id == story_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = list(session.scalars(query.order_by(AuditEntry.id.desc())
                                   .offset(page * per_page).limit(per_page)))
    return AuditPage(entries, total)
