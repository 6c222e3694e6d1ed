"""Storing a supporter's letter and its outbox messages in one transaction (SAFETY.md R1, A2)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from letters.compose import office_letter
from letters.models import CampaignTally, DeliveryStatus, Letter, OutboxMessage
from letters.sender import Sender
from portal.db import utcnow
from portal.i18n import N_
from portal.runtime import Runtime

log = logging.getLogger(__name__)

# The opt-in wording is versioned: a record says which text the person agreed to.
OPT_IN_TEXT = N_("Send me occasional e-mail updates about this campaign. I can unsubscribe at any time.")
OPT_IN_TEXT_VERSION = "updates-2026-11"


class AlreadyWrote(Exception):
    """This e-mail address already sent a letter for this campaign; it may be replaced."""

    message = N_("A letter from this e-mail address was already sent for this campaign. "
                 "You can replace it with this one.")


class UnknownCampaign(Exception):
    message = N_("This campaign is not available. Please choose another one.")


@dataclass(frozen=True)
class LetterDraft:
    """Everything the letter page hands over when the supporter presses Send."""

    campaign_id: str
    language: str
    sender: Sender
    text: str
    edited: bool
    opt_in: bool
    idempotency_key: str


@dataclass(frozen=True)
class SubmitResult:
    letter_id: int
    created: bool      # False when this exact form was already stored (a double click)
    replaced: bool     # True when an earlier letter from this address was replaced
    pending_offices: tuple[str, ...]  # offices that will receive this version


def submit_letter(runtime: Runtime, draft: LetterDraft, *, replace: bool = False,
                  now: datetime | None = None) -> SubmitResult:
    """Store the letter and one outbox message per recipient, all or nothing.

    Raises AlreadyWrote when the address already wrote for this campaign and `replace` is
    false, UnknownCampaign for a campaign that is not loaded, and portal.db.StorageBusy when
    the database stayed busy through every retry.
    """
    campaign = runtime.campaigns.get(draft.campaign_id)
    if campaign is None:
        raise UnknownCampaign()
    now = now or utcnow()
    email_hash = runtime.cipher.lookup_hash(draft.sender.email)

    def work(session: Session) -> SubmitResult:
        return _store(session, runtime, draft, campaign, email_hash, replace, now)

    try:
        return runtime.db.run(work)
    except IntegrityError:
        # Another request stored the same form or address between our read and our insert
        # (possible on PostgreSQL); a second pass sees its row and answers accordingly.
        return runtime.db.run(work)


def _store(session: Session, runtime: Runtime, draft: LetterDraft, campaign, email_hash: str,
           replace: bool, now: datetime) -> SubmitResult:
    same_form = session.scalar(select(Letter).where(Letter.idempotency_key == draft.idempotency_key))
    if same_form is not None:
        return SubmitResult(same_form.id, created=False, replaced=False, pending_offices=())

    earlier = session.scalar(select(Letter).where(Letter.campaign_id == campaign.id,
                                                  Letter.email_hash == email_hash))
    if earlier is not None and not replace:
        raise AlreadyWrote()

    cipher = runtime.cipher
    letter = earlier or Letter(campaign_id=campaign.id, email_hash=email_hash, created_at=now)
    _fill(letter, draft, cipher, now)
    if earlier is None:
        session.add(letter)
        session.flush()
        offices = tuple(campaign.recipients)
        for office_id in offices:
            session.add(_message(runtime, letter, campaign, draft, office_id, now))
        _bump_tally(session, campaign.id)
        return SubmitResult(letter.id, created=True, replaced=False, pending_offices=offices)

    # Replacing: rewrite what has not gone out yet; never send a second copy to an office
    # that already received the first.
    pending = []
    for message in earlier.messages:
        if message.status == DeliveryStatus.PENDING:
            message.body_enc = _body(runtime, campaign, draft, message.office_id)
            message.subject = campaign.text(draft.language).subject
            pending.append(message.office_id)
    return SubmitResult(letter.id, created=True, replaced=True, pending_offices=tuple(pending))


def _fill(letter: Letter, draft: LetterDraft, cipher, now: datetime) -> None:
    sender = draft.sender
    letter.language = draft.language
    letter.idempotency_key = draft.idempotency_key
    letter.first_name_enc = cipher.encrypt(sender.first_name)
    letter.last_name_enc = cipher.encrypt(sender.last_name)
    letter.email_enc = cipher.encrypt(sender.email)
    letter.phone_enc = cipher.encrypt(sender.phone)
    letter.street_enc = cipher.encrypt(sender.street)
    letter.city = sender.city
    letter.state = sender.state
    letter.zip_code = sender.zip_code
    letter.text_enc = cipher.encrypt(draft.text)
    letter.edited = draft.edited
    letter.opt_in = draft.opt_in
    letter.opt_in_at = now if draft.opt_in else None
    letter.opt_in_text_version = OPT_IN_TEXT_VERSION if draft.opt_in else None
    letter.updated_at = now


def _body(runtime: Runtime, campaign, draft: LetterDraft, office_id: str) -> bytes:
    office = runtime.config.offices[office_id]
    return runtime.cipher.encrypt(office_letter(office, draft.language, draft.text))


def _message(runtime: Runtime, letter: Letter, campaign, draft: LetterDraft, office_id: str,
             now: datetime) -> OutboxMessage:
    return OutboxMessage(
        letter_id=letter.id,
        office_id=office_id,
        recipient=runtime.config.offices[office_id].email,
        subject=campaign.text(draft.language).subject,
        body_enc=_body(runtime, campaign, draft, office_id),
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )


def _bump_tally(session: Session, campaign_id: str) -> None:
    """Add one to the campaign's tally in the same transaction as the letter."""
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is not None:
        stmt = insert(CampaignTally).values(campaign_id=campaign_id, letters=1)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[CampaignTally.campaign_id],
            set_={"letters": CampaignTally.letters + 1}))
        return
    bumped = session.execute(update(CampaignTally).where(CampaignTally.campaign_id == campaign_id)
                             .values(letters=CampaignTally.letters + 1))
    if bumped.rowcount == 0:
        session.add(CampaignTally(campaign_id=campaign_id, letters=1))


def letter_count(runtime: Runtime, campaign_id: str) -> int:
    """How many people wrote for a campaign: one primary-key read, cheap at any size."""
    with runtime.db.session() as session:
        return session.scalar(select(CampaignTally.letters)
                              .where(CampaignTally.campaign_id == campaign_id)) or 0


@dataclass(frozen=True)
class StoredLetter:
    """A stored letter, decrypted, for the supporter's own copy."""

    campaign_id: str
    language: str
    first_name: str
    zip_code: str
    text: str
    created_at: datetime
    offices: tuple[str, ...]


def load_letter(runtime: Runtime, letter_id: int) -> StoredLetter | None:
    """Read back one letter (decrypted) for the person who just sent it."""
    with runtime.db.session() as session:
        letter = session.get(Letter, letter_id)
        if letter is None:
            return None
        cipher = runtime.cipher
        return StoredLetter(
            campaign_id=letter.campaign_id,
            language=letter.language,
            first_name=cipher.decrypt(letter.first_name_enc),
            zip_code=letter.zip_code,
            text=cipher.decrypt(letter.text_enc),
            created_at=letter.created_at,
            offices=tuple(m.office_id for m in letter.messages),
        )
