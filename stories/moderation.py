"""The moderators' work on stories: the queue, the review, redaction, decisions (SAFETY.md M5, M6, I2).

Every function that changes a story also appends an audit entry in the same transaction. The
original words stay encrypted and are only ever shown to a moderator; what may leave the portal
is the publication version they prepare.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from portal.audit import Actor, record
from portal.db import utcnow
from portal.i18n import N_
from portal.runtime import Runtime
from portal.text import clean_text
from stories.consent import ConsentAnswers, answers_of
from stories.intake import FIELD_LIMITS
from stories.models import Credit, Story, StoryStatus
from stories.pii import redact_all  # noqa: F401  (the review's one-step redaction)
from stories.search_terms import index_story, matching

PER_PAGE = 25
# Someone who opened a story this recently is taken to be still working on it.
REVIEW_FRESH = timedelta(minutes=30)

# The decisions a moderator can take, and the audit action each one records.
DECISIONS = {
    StoryStatus.IN_REVIEW: "set_status",
    StoryStatus.APPROVED: "approve",
    StoryStatus.REJECTED: "reject",
    StoryStatus.NEEDS_LEGAL_REVIEW: "needs_legal_review",
}


class EditConflict(Exception):
    """Another moderator saved this story since it was opened; nothing was overwritten."""

    message = N_("Another moderator saved this story while you were editing it. Your changes were "
                 "not saved. Reload the story to see their version, then make your changes again.")


class NotAllowed(Exception):
    """The decision does not fit the story (withdrawn, or approval without a publication version)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class QueueFilters:
    statuses: tuple[StoryStatus, ...] = ()
    language: str | None = None
    state: str | None = None
    has_photo: bool | None = None
    press_consent: bool | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None
    search: str = ""

    def status_only(self) -> bool:
        """True when the filter is on status alone, so status counts give its total."""
        return self == QueueFilters(statuses=self.statuses)


@dataclass(frozen=True)
class QueueRow:
    id: int
    status: StoryStatus
    title: str  # the publication title once saved, else the original (moderators only)
    language: str
    state: str | None
    submitted_at: datetime
    has_photo: bool
    consent_publish: bool
    consent_press: bool


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _filtered(runtime: Runtime, filters: QueueFilters):
    query = select(Story)
    if filters.statuses:
        query = query.where(Story.status.in_(filters.statuses))
    if filters.language:
        query = query.where(Story.language == filters.language)
    if filters.state:
        query = query.where(Story.state == filters.state)
    if filters.has_photo is not None:
        query = query.where(Story.photo_name.is_not(None) if filters.has_photo
                            else Story.photo_name.is_(None))
    if filters.press_consent is not None:
        query = query.where(Story.consent_press.is_(filters.press_consent))
    if filters.submitted_from:
        query = query.where(Story.submitted_at >= _day_start(filters.submitted_from))
    if filters.submitted_to:
        query = query.where(Story.submitted_at < _day_start(filters.submitted_to + timedelta(days=1)))
    words = matching(runtime.cipher, filters.search)
    if words is not None:
        query = query.where(words)
    return query


def queue(runtime: Runtime, filters: QueueFilters, *, page: int = 0, per_page: int = PER_PAGE,
          total: int | None = None) -> QueuePage:
    """One page of the queue, newest first; filtering, counting and paging all happen in SQL.

    `total` is how many stories match, when the caller already knows it (from `status_counts`
    for a filter on status alone); otherwise they are counted.
    """
    query = _filtered(runtime, filters)
    cipher = runtime.cipher
    with runtime.db.session() as session:
        if total is None:
            total = session.scalar(select(func.count()).select_from(
                query.with_only_columns(Story.id).subquery())) or 0
        pages = max(1, -(-total // per_page))
        page = min(max(page, 0), pages - 1)
        stories = session.scalars(query.order_by(Story.submitted_at.desc(), Story.id.desc())
                                  .offset(page * per_page).limit(per_page)).all()
        rows = [QueueRow(
            id=s.id, status=s.status,
            title=cipher.decrypt(s.publication_title_enc or s.title_enc) if s.title_enc else "",
            language=s.language, state=s.state, submitted_at=s.submitted_at,
            has_photo=s.photo_name is not None, consent_publish=s.consent_publish,
            consent_press=s.consent_press) for s in stories]
    return QueuePage(rows, total, page, pages)


def status_counts(runtime: Runtime) -> dict[StoryStatus, int]:
    """How many stories are in each status: one GROUP BY over the status index."""
    with runtime.db.session() as session:
        found = dict(session.execute(select(Story.status, func.count()).group_by(Story.status)).all())
    return {status: found.get(status, 0) for status in StoryStatus}


@dataclass(frozen=True)
class Review:
    """Everything the review view shows about one story."""

    id: int
    status: StoryStatus
    version: int
    language: str
    state: str | None
    year: int | None
    submitted_at: datetime
    consent: ConsentAnswers
    credited_name: str
    has_photo: bool
    original_title: str
    original_text: str
    publication_title: str
    publication_text: str
    has_publication: bool
    rejection_reason: str | None
    other_reviewer: str | None = None  # someone else opened it recently
    other_reviewer_at: datetime | None = None
    photo_name: str | None = None
    withdrawn_at: datetime | None = None


def open_story(runtime: Runtime, actor: Actor, story_id: int, *, now: datetime | None = None) -> bool:
    """Record that a moderator opened a story; a new one moves to "in review". False if unknown."""
    now = now or utcnow()

    def work(session: Session) -> bool:
        story = session.get(Story, story_id)
        if story is None:
            return False
        if story.status is not StoryStatus.WITHDRAWN:
            if story.reviewer_id != actor.moderator_id or story.review_started_at is None \
                    or now - story.review_started_at >= REVIEW_FRESH:
                story.reviewer_id = actor.moderator_id
                story.review_started_at = now
        if story.status is StoryStatus.NEW:
            story.status = StoryStatus.IN_REVIEW
            story.status_changed_at = now
        record(session, actor, "open_story", story_id=story.id, now=now)
        return True

    return runtime.db.run(work)


def load_review(runtime: Runtime, actor: Actor, story_id: int, *, now: datetime | None = None) -> Review | None:
    """Everything the review view shows, read-only (safe to call on every rerun)."""
    from portal.accounts_models import Moderator

    now = now or utcnow()
    cipher = runtime.cipher
    with runtime.db.session() as session:
        story = session.get(Story, story_id)
        if story is None:
            return None
        other, other_at = None, None
        if (story.reviewer_id not in (None, actor.moderator_id) and story.review_started_at
                and now - story.review_started_at < REVIEW_FRESH):
            reviewer = session.get(Moderator, story.reviewer_id)
            other, other_at = (reviewer.email if reviewer else "?"), story.review_started_at
        title = cipher.decrypt(story.title_enc) if story.title_enc else ""
        text = cipher.decrypt(story.text_enc) if story.text_enc else ""
        has_pub = story.publication_text_enc is not None
        pub_title = cipher.decrypt(story.publication_title_enc) if has_pub else title
        pub_text = cipher.decrypt(story.publication_text_enc) if has_pub else text
        contact = story.contact
        name = cipher.decrypt(contact.credited_name_enc) if contact and contact.credited_name_enc else ""
        return Review(
            id=story.id, status=story.status, version=story.version, language=story.language,
            state=story.state, year=story.year, submitted_at=story.submitted_at,
            consent=answers_of(story), credited_name=name, has_photo=story.photo_name is not None,
            original_title=title, original_text=text, publication_title=pub_title,
            publication_text=pub_text, has_publication=has_pub,
            rejection_reason=story.rejection_reason, other_reviewer=other,
            other_reviewer_at=other_at, photo_name=story.photo_name,
            withdrawn_at=story.withdrawn_at)


def process_withdrawal(runtime: Runtime, actor: Actor, story_id: int) -> None:
    """Record that a moderator handled a withdrawal (told the outlets on its recall list)."""
    def work(session: Session) -> None:
        story = session.get(Story, story_id)
        if story is None or story.status is not StoryStatus.WITHDRAWN:
            raise NotAllowed(N_("Only a withdrawn story can be marked as processed."))
        record(session, actor, "withdrawal_processed", story_id=story_id)

    runtime.db.run(work)


def save_publication(runtime: Runtime, actor: Actor, story_id: int, *, expected_version: int,
                     title: str, text: str, action: str = "save_publication",
                     now: datetime | None = None) -> int:
    """Save the publication version if nobody saved since `expected_version`; returns the new version.

    Raises EditConflict instead of overwriting a colleague's edit (SAFETY.md M6).
    """
    now = now or utcnow()
    title = clean_text(title)[:FIELD_LIMITS["title"]]
    text = clean_text(text, multiline=True)
    if not title or not text:
        raise NotAllowed(N_("The publication version needs a title and a text."))
    if len(text) > FIELD_LIMITS["text"]:
        raise NotAllowed(N_("The publication text is longer than 10,000 characters."))
    cipher = runtime.cipher

    def work(session: Session) -> int:
        changed = session.execute(
            update(Story)
            .where(Story.id == story_id, Story.version == expected_version,
                   Story.status != StoryStatus.WITHDRAWN)
            .values(publication_title_enc=cipher.encrypt(title),
                    publication_text_enc=cipher.encrypt(text), version=Story.version + 1))
        if changed.rowcount == 0:
            story = session.get(Story, story_id)
            if story is None or story.status is StoryStatus.WITHDRAWN:
                raise NotAllowed(N_("This story was withdrawn by its author and can no longer be edited."))
            raise EditConflict()
        index_story(session, cipher, story_id, (title, text))
        record(session, actor, action, story_id=story_id, detail=f"version {expected_version + 1}", now=now)
        return expected_version + 1

    return runtime.db.run(work)


def decide(runtime: Runtime, actor: Actor, story_id: int, status: StoryStatus, *,
           expected_version: int, reason: str = "", now: datetime | None = None) -> None:
    """Move a story to a new status; approval needs a saved publication version."""
    if status not in DECISIONS:
        raise ValueError(f"not a moderator decision: {status}")
    now = now or utcnow()
    reason = clean_text(reason)[:300]
    if status is StoryStatus.REJECTED and not reason:
        raise NotAllowed(N_("Give a reason for rejecting the story (it is not shown to the author)."))

    def work(session: Session) -> None:
        story = session.get(Story, story_id)
        if story is None or story.status is StoryStatus.WITHDRAWN:
            raise NotAllowed(N_("This story was withdrawn by its author and can no longer be edited."))
        if story.version != expected_version:
            raise EditConflict()
        if status is StoryStatus.APPROVED and story.publication_text_enc is None:
            raise NotAllowed(N_("Save a publication version before approving the story."))
        story.status = status
        story.status_changed_at = now
        story.rejection_reason = reason if status is StoryStatus.REJECTED else None
        story.approved_at = now if status is StoryStatus.APPROVED else story.approved_at
        story.version += 1
        record(session, actor, DECISIONS[status], story_id=story_id,
               detail=reason if status is StoryStatus.REJECTED else None, now=now)

    runtime.db.run(work)


def credit_line(credit: Credit, credited_name: str) -> str:
    """The name a story may be printed with: none, the first name only, or the full name."""
    if credit is Credit.NONE or not credited_name:
        return ""
    return credited_name.split()[0] if credit is Credit.FIRST_NAME else credited_name
