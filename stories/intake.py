"""Taking in a story: checking each step's fields and storing it with its consent (SAFETY.md S1-S5, I1).

The story is stored in one transaction with its first consent event and, apart, the encrypted
contact details. The storyteller gets a receipt code; only its keyed hash is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.fields import check_person_name, check_phone, normalize_email, too_long
from portal.i18n import N_, Msg
from portal.runtime import Runtime
from portal.text import clean_text
from portal.us_states import STATE_CODES
from stories.consent import ConsentAnswers, ConsentText, check_answers, record_consent
from stories.models import ConsentChange, Connection, Credit, IntakeMethod, Story, StoryContact, StoryStatus
from stories.receipts import new_receipt_code, receipt_hash
from stories.search_terms import index_story

if TYPE_CHECKING:
    from stories.photos import CleanPhoto

log = logging.getLogger(__name__)

FIELD_LIMITS = {"title": 120, "text": 10_000, "credited_name": 80, "email": 254, "phone": 25}
MIN_STORY_CHARS = 20
FIRST_YEAR = 1990

# Languages a story may be told in: the portal's two, and others families commonly speak.
STORY_LANGUAGES: dict[str, str] = {
    "en": N_("English"), "es": N_("Spanish"), "pt": N_("Portuguese"), "fr": N_("French"),
    "ht": N_("Haitian Creole"), "quc": N_("K'iche'"), "mam": N_("Mam"), "kjb": N_("Q'anjob'al"),
    "other": N_("Another language"),
}
CONNECTIONS: dict[Connection, str] = {
    Connection.SEPARATED: N_("I was separated from my family"),
    Connection.FAMILY_MEMBER: N_("A member of my family was separated"),
    Connection.WITNESS: N_("I witnessed a separation"),
    Connection.OTHER: N_("Other"),
}


@dataclass(frozen=True)
class StoryFields:
    title: str
    text: str
    language: str
    state: str | None
    connection: Connection
    year: int | None


@dataclass(frozen=True)
class ContactFields:
    email: str = ""
    phone: str = ""


def validate_story_fields(raw: Mapping[str, object], *, this_year: int) -> tuple[StoryFields | None, dict[str, Msg]]:
    """Check the "your story" step; returns (fields, {}) or (None, {field: message})."""
    errors: dict[str, Msg] = {}
    title = clean_text(_text(raw.get("title")))
    text = clean_text(_text(raw.get("text")), multiline=True)
    if not title:
        errors["title"] = Msg(N_("Give your story a short title."))
    elif too_long(title, FIELD_LIMITS["title"]):
        errors["title"] = too_long(title, FIELD_LIMITS["title"])
    if len(text) < MIN_STORY_CHARS:
        errors["text"] = Msg(N_("Please write your story: at least a few sentences."))
    elif too_long(text, FIELD_LIMITS["text"]):
        errors["text"] = Msg(N_("Your story has {count} characters; the limit is {limit}. "
                                "Please shorten it."), {"count": len(text), "limit": FIELD_LIMITS["text"]})
    language = _text(raw.get("language"))
    if language not in STORY_LANGUAGES:
        errors["language"] = Msg(N_("Choose the language of your story from the list."))
    state = _text(raw.get("state")).upper() or None
    if state is not None and state not in STATE_CODES:
        errors["state"] = Msg(N_("Choose your state from the list."))
    try:
        connection = Connection(_text(raw.get("connection")))
    except ValueError:
        connection = None
        errors["connection"] = Msg(N_("Choose how you are connected to this story."))
    year = _year(raw.get("year"), this_year, errors)
    if errors:
        return None, errors
    return StoryFields(title, text, language, state, connection, year), {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _year(value: object, this_year: int, errors: dict[str, Msg]) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        year = None
    if year is None or not FIRST_YEAR <= year <= this_year:
        errors["year"] = Msg(N_("Enter a year between {first} and {last}, or leave it empty."),
                             {"first": FIRST_YEAR, "last": this_year})
        return None
    return year


def validate_contact(raw: Mapping[str, object]) -> tuple[ContactFields | None, dict[str, Msg]]:
    """Check the optional follow-up contact; both fields may stay empty."""
    errors: dict[str, Msg] = {}
    email = clean_text(_text(raw.get("email")))
    phone = clean_text(_text(raw.get("phone")))
    if email:
        email, problem = normalize_email(email, FIELD_LIMITS["email"])
        if problem:
            errors["email"] = problem
    if phone:
        problem = too_long(phone, FIELD_LIMITS["phone"]) or check_phone(phone, us_only=False)
        if problem:
            errors["phone"] = problem
    if errors:
        return None, errors
    return ContactFields(email, phone), {}


def validate_credited_name(value: object, credit: Credit) -> tuple[str, Msg | None]:
    """The name to print, asked only when the storyteller chose to be named."""
    if credit is Credit.NONE:
        return "", None
    name = clean_text(_text(value))
    if not name:
        if credit is Credit.FIRST_NAME:
            return "", Msg(N_("Enter the first name you want us to use, or choose no name."))
        return "", Msg(N_("Enter the name you want us to use, or choose another option."))
    return name, too_long(name, FIELD_LIMITS["credited_name"]) or check_person_name(name)


@dataclass(frozen=True)
class StorySubmission:
    """Everything the storyteller gave, checked step by step, ready to store."""

    story: StoryFields
    answers: ConsentAnswers
    consent_text: ConsentText
    credited_name: str = ""
    contact: ContactFields = ContactFields()
    photo: CleanPhoto | None = None  # from stories.photos.clean_photo, never the raw upload
    method: IntakeMethod = IntakeMethod.WEB


class StoryRejected(Exception):
    """The submission breaks a consent rule; `errors` says which, by field."""

    def __init__(self, errors: dict[str, Msg]):
        super().__init__(", ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Receipt:
    code: str
    story_id: int


def photos_dir(runtime: Runtime) -> Path:
    """Photos live in the data folder, never in anything the web server serves."""
    return runtime.config.data_dir / "photos"


def store_story(session: Session, runtime: Runtime, submission: StorySubmission, now: datetime, *,
                code: str | None = None, photo_name: str | None = None) -> tuple[Story, str]:
    """Add the story, its first consent event and its contact details to `session`; flushed.

    The caller owns the transaction (several paper stories can share one). Returns the story and
    its receipt code. Raises StoryRejected when the consent answers do not allow storing it.
    """
    errors = check_answers(submission.answers, has_photo=photo_name is not None,
                           credited_name=submission.credited_name)
    if errors:
        raise StoryRejected(errors)
    code = code or new_receipt_code()
    cipher = runtime.cipher
    fields = submission.story
    story = Story(
        receipt_hash=receipt_hash(cipher, code), status=StoryStatus.NEW,
        language=fields.language, state=fields.state, connection=fields.connection,
        year=fields.year, method=submission.method, title_enc=cipher.encrypt(fields.title),
        text_enc=cipher.encrypt(fields.text), photo_name=photo_name,
        submitted_at=now, status_changed_at=now)
    session.add(story)
    record_consent(session, story, submission.consent_text, submission.answers,
                   change=ConsentChange.GIVEN, method=submission.method, now=now)
    contact = submission.contact
    # A name they chose not to have printed is not kept at all.
    credited_name = "" if submission.answers.credit is Credit.NONE else submission.credited_name
    if contact.email or contact.phone or credited_name:
        session.add(StoryContact(story=story, email_enc=cipher.encrypt(contact.email),
                                 phone_enc=cipher.encrypt(contact.phone),
                                 credited_name_enc=cipher.encrypt(credited_name)))
    session.flush()
    index_story(session, cipher, story.id, (fields.title, fields.text))
    return story, code


def submit_story(runtime: Runtime, submission: StorySubmission, *, now: datetime | None = None) -> Receipt:
    """Store the story, its consent and its contact details together; return the receipt code."""
    from stories.photos import delete_photo, store_photo

    errors = check_answers(submission.answers, has_photo=submission.photo is not None,
                           credited_name=submission.credited_name)
    if errors:
        raise StoryRejected(errors)
    now = now or utcnow()
    code = new_receipt_code()
    cipher = runtime.cipher
    photo_name = None
    if submission.photo is not None and submission.answers.photo:
        # A photo they did not allow us to use is not kept at all.
        photo_name = store_photo(submission.photo, photos_dir(runtime), cipher.fernet)

    def work(session) -> int:
        story, _code = store_story(session, runtime, submission, now, code=code, photo_name=photo_name)
        return story.id

    try:
        story_id = runtime.db.run(work)
    except Exception:
        if photo_name:
            delete_photo(photo_name, photos_dir(runtime))
        raise
    log.info("story %d received (%s)", story_id, submission.method.value)
    return Receipt(code=code, story_id=story_id)
