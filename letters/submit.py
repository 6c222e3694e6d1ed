"""Storing a supporter's letter and its outbox messages in one transaction (SAFETY.md R1, A2)."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, bindparam, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

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
    # Encrypted before the transaction, so the write lock is held for the statements only.
    sealed = _seal(runtime, campaign, draft, now)

    def work(conn: Connection) -> SubmitResult:
        return _store(conn, runtime, draft, campaign, sealed, replace, now)

    try:
        return runtime.db.run_core(work)
    except IntegrityError:
        # Another request stored the same form or address between our read and our insert
        # (possible on PostgreSQL); a second pass sees its row and answers accordingly.
        return runtime.db.run_core(work)


# The write path uses Core statements on a bare connection: the ORM's unit of work (identity
# map, autoflush before each query, flush ordering) cost several times the statements
# themselves. Built once, their compiled forms are cached, so a submission only binds values.
_LETTERS = Letter.__table__
_OUTBOX = OutboxMessage.__table__
_TALLIES = CampaignTally.__table__

# One read answers both questions: was this form already stored, did this address already write.
_FIND_EARLIER = select(_LETTERS.c.id, _LETTERS.c.idempotency_key).where(or_(
    _LETTERS.c.idempotency_key == bindparam("idempotency_key"),
    and_(_LETTERS.c.campaign_id == bindparam("campaign_id"),
         _LETTERS.c.email_hash == bindparam("email_hash"))))
_INSERT_LETTER = insert(_LETTERS)
_INSERT_MESSAGES = insert(_OUTBOX)
_PENDING_MESSAGES = (select(_OUTBOX.c.id, _OUTBOX.c.office_id)
                     .where(_OUTBOX.c.letter_id == bindparam("letter_id"),
                            _OUTBOX.c.status == DeliveryStatus.PENDING)
                     .order_by(_OUTBOX.c.id))
_REWRITE_MESSAGE = (update(_OUTBOX).where(_OUTBOX.c.id == bindparam("message_id"))
                    .values(body_enc=bindparam("body_enc"), subject=bindparam("subject")))


@dataclass(frozen=True)
class _Sealed:
    """A draft's columns, personal fields encrypted, ready to bind."""

    email_hash: str
    letter: dict
    bodies: dict[str, bytes]  # office id -> encrypted letter as that office receives it


def _seal(runtime: Runtime, campaign, draft: LetterDraft, now: datetime) -> _Sealed:
    cipher, sender = runtime.cipher, draft.sender
    letter = dict(
        language=draft.language,
        idempotency_key=draft.idempotency_key,
        first_name_enc=cipher.encrypt(sender.first_name),
        last_name_enc=cipher.encrypt(sender.last_name),
        email_enc=cipher.encrypt(sender.email),
        phone_enc=cipher.encrypt(sender.phone),
        street_enc=cipher.encrypt(sender.street),
        city=sender.city,
        state=sender.state,
        zip_code=sender.zip_code,
        text_enc=cipher.encrypt(draft.text),
        edited=draft.edited,
        opt_in=draft.opt_in,
        opt_in_at=now if draft.opt_in else None,
        opt_in_text_version=OPT_IN_TEXT_VERSION if draft.opt_in else None,
        updated_at=now,
    )
    bodies = {office_id: _body(runtime, draft, office_id) for office_id in campaign.recipients}
    return _Sealed(cipher.lookup_hash(sender.email), letter, bodies)


def _store(conn: Connection, runtime: Runtime, draft: LetterDraft, campaign, sealed: _Sealed,
           replace: bool, now: datetime) -> SubmitResult:
    earlier_id = None
    for row in conn.execute(_FIND_EARLIER, {"idempotency_key": draft.idempotency_key,
                                            "campaign_id": campaign.id,
                                            "email_hash": sealed.email_hash}):
        if row.idempotency_key == draft.idempotency_key:
            return SubmitResult(row.id, created=False, replaced=False, pending_offices=())
        earlier_id = row.id
    if earlier_id is not None and not replace:
        raise AlreadyWrote()

    subject = campaign.text(draft.language).subject
    if earlier_id is None:
        # The new id comes back as the driver reports it (lastrowid on SQLite, RETURNING on
        # PostgreSQL); an explicit RETURNING costs SQLite a buffered result set.
        letter_id = conn.execute(_INSERT_LETTER, {
            **sealed.letter, "campaign_id": campaign.id, "email_hash": sealed.email_hash,
            "created_at": now}).inserted_primary_key[0]
        offices = tuple(campaign.recipients)
        conn.execute(_INSERT_MESSAGES, [
            dict(letter_id=letter_id, office_id=office_id,
                 recipient=runtime.config.offices[office_id].email, subject=subject,
                 body_enc=sealed.bodies[office_id], status=DeliveryStatus.PENDING, attempts=0,
                 next_attempt_at=now, created_at=now)
            for office_id in offices])
        _bump_tally(conn, campaign.id)
        return SubmitResult(letter_id, created=True, replaced=False, pending_offices=offices)

    # Replacing: rewrite what has not gone out yet; never send a second copy to an office
    # that already received the first.
    conn.execute(update(_LETTERS).where(_LETTERS.c.id == earlier_id).values(**sealed.letter))
    pending = conn.execute(_PENDING_MESSAGES, {"letter_id": earlier_id}).all()
    for message_id, office_id in pending:
        body = sealed.bodies.get(office_id) or _body(runtime, draft, office_id)
        conn.execute(_REWRITE_MESSAGE, {"message_id": message_id, "body_enc": body,
                                        "subject": subject})
    return SubmitResult(earlier_id, created=True, replaced=True,
                        pending_offices=tuple(office_id for _, office_id in pending))


def _body(runtime: Runtime, draft: LetterDraft, office_id: str) -> bytes:
    office = runtime.config.offices[office_id]
    return runtime.cipher.encrypt(office_letter(office, draft.language, draft.text))


@functools.cache
def _tally_upsert(dialect: str):
    """INSERT ... ON CONFLICT DO UPDATE for the tally, where the database has it."""
    insert_for = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert_for is None:
        return None
    stmt = insert_for(_TALLIES).values(campaign_id=bindparam("campaign_id"), letters=1)
    return stmt.on_conflict_do_update(index_elements=[_TALLIES.c.campaign_id],
                                      set_={"letters": _TALLIES.c.letters + 1})


def _bump_tally(conn: Connection, campaign_id: str) -> None:
    """Add one to the campaign's tally in the same transaction as the letter."""
    upsert = _tally_upsert(conn.dialect.name)
    if upsert is not None:
        conn.execute(upsert, {"campaign_id": campaign_id})
        return
    bumped = conn.execute(update(_TALLIES).where(_TALLIES.c.campaign_id == campaign_id)
                          .values(letters=_TALLIES.c.letters + 1))
    if bumped.rowcount == 0:
        conn.execute(insert(_TALLIES).values(campaign_id=campaign_id, letters=1))


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
