"""What a storyteller can do with their receipt code: see the status, narrow consent, withdraw (S5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.i18n import N_
from portal.runtime import Runtime
from stories.consent import WITHDRAWN, ConsentAnswers, ConsentText, answers_of, record_consent
from stories.models import ConsentChange, Credit, IntakeMethod, Story, StoryStatus
from stories.purge import purge_content, scrub_database_file
from stories.receipts import receipt_hash

# What each status means, in the storyteller's words.
STATUS_TEXT: dict[StoryStatus, str] = {
    StoryStatus.NEW: N_("Received. Your story is waiting for our team to read it."),
    StoryStatus.IN_REVIEW: N_("In review. Our team is reading your story."),
    StoryStatus.NEEDS_LEGAL_REVIEW: N_("In review. Our team is reading your story."),
    StoryStatus.APPROVED: N_("Published. Your story is used only in the ways you allowed."),
    StoryStatus.REJECTED: N_("Not published. Thank you for trusting us with your story; it will "
                             "not be used, and it will be deleted."),
    StoryStatus.WITHDRAWN: N_("Withdrawn. Your story has been deleted and will not be used."),
}


class NotNarrowing(Exception):
    """A change of consent through the receipt code may only take permissions away."""

    message = N_("Here you can only remove permissions. To allow more, please share your story again.")


@dataclass(frozen=True)
class StoryStatusView:
    status: StoryStatus
    submitted_at: datetime
    answers: ConsentAnswers
    has_photo: bool


def _find(session: Session, runtime: Runtime, code: str) -> Story | None:
    key = receipt_hash(runtime.cipher, code)
    if key is None:
        return None
    return session.scalar(select(Story).where(Story.receipt_hash == key))


def story_status(runtime: Runtime, code: str) -> StoryStatusView | None:
    """The story behind a receipt code, or None: a wrong code reveals nothing."""
    with runtime.db.session() as session:
        story = _find(session, runtime, code)
        if story is None:
            return None
        return StoryStatusView(story.status, story.submitted_at, answers_of(story),
                               story.photo_name is not None)


def withdraw_story(runtime: Runtime, code: str, consent_text: ConsentText, *,
                   now: datetime | None = None) -> bool:
    """Withdraw consent and purge the content at once; False when the code opens nothing."""
    now = now or utcnow()

    def work(session: Session) -> bool:
        story = _find(session, runtime, code)
        if story is None:
            return False
        if story.status is StoryStatus.WITHDRAWN:
            return True
        record_consent(session, story, consent_text, WITHDRAWN, change=ConsentChange.WITHDRAWN,
                       method=IntakeMethod.WEB, now=now)
        story.status = StoryStatus.WITHDRAWN
        story.status_changed_at = now
        story.withdrawn_at = now
        purge_content(session, story, runtime, now)
        return True

    found = runtime.db.run(work)
    if found:
        scrub_database_file(runtime)
    return found


def narrow_consent(runtime: Runtime, code: str, answers: ConsentAnswers, consent_text: ConsentText,
                   *, now: datetime | None = None) -> bool:
    """Take away some permissions (say, stop press use but stay on the portal)."""
    now = now or utcnow()

    def work(session: Session) -> bool:
        story = _find(session, runtime, code)
        if story is None or story.status is StoryStatus.WITHDRAWN:
            return False
        current = answers_of(story)
        if not current.narrowed_to(answers):
            raise NotNarrowing()
        # Keeping for review and the age confirmation are not choices made here.
        kept = ConsentAnswers(keep_for_review=current.keep_for_review, publish=answers.publish,
                              press=answers.press, quote=answers.quote, photo=answers.photo,
                              credit=answers.credit, age=current.age)
        record_consent(session, story, consent_text, kept, change=ConsentChange.NARROWED,
                       method=IntakeMethod.WEB, now=now)
        contact = story.contact
        if contact is not None and contact.credited_name_enc:
            if kept.credit is Credit.NONE:
                contact.credited_name_enc = None
            elif kept.credit is Credit.FIRST_NAME and current.credit is Credit.FULL_NAME:
                # Keep only what may now be printed: the first name.
                first = runtime.cipher.decrypt(contact.credited_name_enc).split()[0]
                contact.credited_name_enc = runtime.cipher.encrypt(first)
        if not kept.photo and story.photo_name:
            from stories.intake import photos_dir
            from stories.photos import delete_photo

            delete_photo(story.photo_name, photos_dir(runtime))
            story.photo_name = None
        return True

    return runtime.db.run(work)
