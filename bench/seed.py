"""A throwaway portal database at scale, filled fast: stories, letters, their outbox and audit rows.

Rows go in with SQLAlchemy Core executemany, tens of thousands per transaction, with ids assigned
here so nothing has to be read back. Encrypting every value would take most of the time and changes
nothing a page or an export measures (a token's size does, and is kept), so encrypted values come
from a pool made once. Everything else is as the portal leaves it: stories in every status with
their consent events, contacts, search terms and moderators' audit entries; letters spread over
three months, each with one outbox row per office and the campaign tally in step.

Never for a real database: it writes fake letters straight into the outbox tables.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import Connection, func, insert, select, update

from letters.compose import draft_text, office_letter
from letters.demo import FIRST_NAMES, LAST_NAMES, PARAGRAPHS, PLACES
from letters.models import CampaignTally, DeliveryStatus, Letter, OutboxMessage
from letters.sender import Sender
from portal.accounts_models import AuditEntry, Moderator
from portal.db import utcnow
from portal.runtime import Runtime
from stories.consent import consent_text
from stories.demo import STATES, STATUS_WEIGHTS, story_text
from stories.models import (AgeConfirmation, ConsentChange, ConsentEvent, Connection as StoryConnection,
                            Credit, IntakeMethod, Story, StoryContact, StoryStatus, StoryTerm)
from stories.purge import REJECTED_RETENTION_DAYS
from stories.receipts import new_receipt_code, receipt_hash
from stories.search_terms import term_hash, words

# Rows per transaction: large enough that commits cost nothing, small enough to keep memory low.
LETTERS_PER_CHUNK = 20_000
STORIES_PER_CHUNK = 10_000
LETTER_DAYS = 90
STORY_DAYS = 365
POOL = 64  # encrypted variants of each kind of value


@dataclass(frozen=True)
class Seeded:
    stories: int  # in the database, in all
    letters: int
    seconds: float  # spent adding this time
    receipt_code: str | None  # opens the first story added this time ("My story" page)


class _Loader:
    """Plain rows into tables through the driver's executemany, on one connection.

    The statement is compiled by SQLAlchemy Core; the values are given as the database stores
    them (enum values, naive UTC times), which skips per-value type processing: over millions
    of rows that processing, not the database, would take most of the time.
    """

    def __init__(self, conn: Connection):
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        if self.sqlite:
            # Only this throwaway database's loading connection: no fsync, and a cache large
            # enough for the indexes. Set on the driver's connection, outside the transaction
            # the engine would begin.
            raw = conn.connection.dbapi_connection
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA cache_size=-1000000")

    def stamp(self, when: datetime | None):
        """A naive UTC time as the UTCDateTime column stores it (SQLite keeps text)."""
        if when is None or not self.sqlite:
            return when
        return when.isoformat(" ", "microseconds")

    def insert(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        compiled = insert(model).compile(dialect=self.conn.dialect, column_keys=list(rows[0]))
        if compiled.positional:
            order = compiled.positiontup
            rows = [tuple(row[name] for name in order) for row in rows]
        self.conn.exec_driver_sql(str(compiled), rows)

    def next_id(self, column) -> int:
        return (self.conn.scalar(select(func.max(column))) or 0) + 1

    def ids_given(self, *models) -> None:
        """After rows went in with their own ids: PostgreSQL's sequences must continue after them."""
        if self.conn.dialect.name != "postgresql":
            return  # SQLite takes the next id after the largest one
        for model in models:
            column = model.__table__.c.id
            self.conn.execute(select(func.setval(
                func.pg_get_serial_sequence(model.__tablename__, "id"),
                select(func.coalesce(func.max(column), 0) + 1).scalar_subquery(), False)))


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(start + size, total)


def _now() -> datetime:
    return utcnow().replace(tzinfo=None)


# --- letters ---

class _LetterPool:
    """Encrypted letters, names and bodies made once, picked at random for each row."""

    def __init__(self, runtime: Runtime, rng: random.Random):
        cipher = runtime.cipher
        self.campaigns = list(runtime.campaigns)
        self.offices = runtime.config.offices
        self.first = [cipher.encrypt(n) for n in FIRST_NAMES]
        self.last = [cipher.encrypt(n) for n in LAST_NAMES]
        self.emails = [cipher.encrypt(f"supporter.{i}@example.org") for i in range(POOL)]
        self.streets = [cipher.encrypt(f"{100 + i} Main Street") for i in range(POOL)]
        # Per campaign and language: (letter text, {office: (subject, body)}) tokens.
        self.texts: dict[tuple[str, str], list] = {}
        for campaign in self.campaigns:
            for language in ("en", "es"):
                text = campaign.text(language)
                variants = []
                for i in range(POOL // 4):
                    city, state, zip_code = rng.choice(PLACES)
                    sender = Sender(first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES),
                                    email="x@example.org", city=city, state=state, zip_code=zip_code,
                                    personal_paragraph=PARAGRAPHS[i % len(PARAGRAPHS)])
                    letter = draft_text(text, sender)
                    bodies = {o: (text.subject, cipher.encrypt(office_letter(self.offices[o], language, letter)))
                              for o in campaign.recipients}
                    variants.append((cipher.encrypt(letter), bodies))
                self.texts[(campaign.id, language)] = variants


def add_letters(runtime: Runtime, count: int, *, seed: int = 0) -> int:
    """Add `count` letters with their outbox rows, and bump the campaign tallies to match."""
    rng = random.Random(seed)
    pool = _LetterPool(runtime, rng)
    if not pool.campaigns or count <= 0:
        return 0
    now = _now()
    span = LETTER_DAYS * 86400
    sent, failed, pending = (s.value for s in (DeliveryStatus.SENT, DeliveryStatus.FAILED,
                                               DeliveryStatus.PENDING))
    tallies: dict[str, int] = {}
    with runtime.db.engine.execution_options(portal_write=True).connect() as conn:
        load = _Loader(conn)
        stamp = load.stamp
        letter_id, message_id = load.next_id(Letter.id), load.next_id(OutboxMessage.id)
        run = f"{seed:x}-{letter_id:x}"
        for start, end in _chunks(count, LETTERS_PER_CHUNK):
            letters, messages = [], []
            # Sorted within the chunk: ids and dates rise together, as they do in a live portal.
            moments = sorted(now - timedelta(seconds=rng.uniform(0, span)) for _ in range(end - start))
            for n, when in zip(range(start, end), moments):
                campaign = rng.choice(pool.campaigns)
                language = "en" if rng.random() < 0.75 else "es"
                city, state, zip_code = rng.choice(PLACES)
                text_enc, bodies = rng.choice(pool.texts[(campaign.id, language)])
                opt_in = rng.random() < 0.4
                at = stamp(when)
                letters.append(dict(
                    id=letter_id, campaign_id=campaign.id, language=language,
                    idempotency_key=f"seed-{run}-{n}",
                    # A keyed hash in the portal: random-looking and unique per address.
                    email_hash=hashlib.sha256(f"{run}-{n}".encode()).hexdigest(),
                    first_name_enc=rng.choice(pool.first), last_name_enc=rng.choice(pool.last),
                    email_enc=rng.choice(pool.emails), phone_enc=None,
                    street_enc=rng.choice(pool.streets) if rng.random() < 0.3 else None,
                    city=city, state=state, zip_code=zip_code, text_enc=text_enc,
                    edited=rng.random() < 0.2, opt_in=opt_in, opt_in_at=at if opt_in else None,
                    opt_in_text_version="updates-2026-11" if opt_in else None,
                    created_at=at, updated_at=at))
                tallies[campaign.id] = tallies.get(campaign.id, 0) + 1
                recent = now - when < timedelta(hours=2)
                for office_id, (subject, body_enc) in bodies.items():
                    # Delivered, refused for good, or (only the last hours' letters) still waiting.
                    roll = rng.random()
                    status = pending if recent and roll < 0.5 else failed if roll < 0.02 else sent
                    messages.append(dict(
                        id=message_id, letter_id=letter_id, office_id=office_id,
                        recipient=pool.offices[office_id].email, subject=subject, body_enc=body_enc,
                        status=status, attempts=0 if status == pending else 1, next_attempt_at=at,
                        first_attempt_at=None if status == pending else at,
                        lease_token=None, lease_until=None,
                        sent_at=stamp(when + timedelta(seconds=30)) if status == sent else None,
                        last_error="550 5.1.1 mailbox unavailable" if status == failed else None,
                        created_at=at))
                    message_id += 1
                letter_id += 1
            load.insert(Letter, letters)
            load.insert(OutboxMessage, messages)
            conn.commit()
        load.ids_given(Letter, OutboxMessage)
        for campaign_id, added in tallies.items():
            bumped = conn.execute(update(CampaignTally).where(CampaignTally.campaign_id == campaign_id)
                                  .values(letters=CampaignTally.letters + added))
            if bumped.rowcount == 0:
                conn.execute(insert(CampaignTally).values(campaign_id=campaign_id, letters=added))
        conn.commit()
    return count


# --- stories ---

class _StoryPool:
    """Encrypted story texts with their search terms, contacts and names, made once."""

    def __init__(self, runtime: Runtime, rng: random.Random):
        cipher = runtime.cipher
        self.texts: dict[str, list] = {}
        for language in ("en", "es", "pt", "fr"):
            variants = []
            for _i in range(POOL):
                title, text = story_text(rng, language)
                terms = sorted({term_hash(cipher, w) for w in words(f"{title}\n{text}")})
                variants.append((cipher.encrypt(title), cipher.encrypt(text), terms))
            self.texts[language] = variants
        self.emails = [cipher.encrypt(f"teller.{i}@example.org") for i in range(POOL)]
        self.phones = [cipher.encrypt(f"+1 915-555-01{i:02d}") for i in range(100)]
        self.names = {credit: [cipher.encrypt(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                                              if credit is Credit.FULL_NAME else rng.choice(FIRST_NAMES))
                               for _i in range(POOL)]
                      for credit in (Credit.FIRST_NAME, Credit.FULL_NAME)}
        self.consent = {lang: consent_text(lang) for lang in ("en", "es")}


_DECISION_ACTION = {StoryStatus.APPROVED: "approve", StoryStatus.REJECTED: "reject",
                    StoryStatus.NEEDS_LEGAL_REVIEW: "needs_legal_review"}


def add_stories(runtime: Runtime, count: int, *, seed: int = 0, for_press: bool = False) -> str | None:
    """Add `count` stories in every status; returns a receipt code that opens the first one.

    With `for_press`, every story is approved with consent to press use: what a press export
    of `count` stories reads.
    """
    if count <= 0:
        return None
    rng = random.Random(seed)
    pool = _StoryPool(runtime, rng)
    cipher = runtime.cipher
    now = _now()
    code = new_receipt_code()
    statuses, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
    with runtime.db.engine.execution_options(portal_write=True).connect() as conn:
        load = _Loader(conn)
        stamp = load.stamp
        moderators = list(conn.execute(select(Moderator.id, Moderator.email)).all()) or [(None, "seed")]
        story_id, event_id = load.next_id(Story.id), load.next_id(ConsentEvent.id)
        audit_id = load.next_id(AuditEntry.id)
        first_id = story_id
        for start, end in _chunks(count, STORIES_PER_CHUNK):
            stories, events, contacts, terms, audit = [], [], [], [], []
            moments = sorted(now - timedelta(seconds=rng.uniform(3600, STORY_DAYS * 86400))
                             for _ in range(end - start))
            for submitted in moments:
                # The first one opens on the "My story" page: a story still in review shows the most.
                status = StoryStatus.APPROVED if for_press else StoryStatus.IN_REVIEW \
                    if story_id == first_id else rng.choices(statuses, weights=weights)[0]
                language = rng.choices(["en", "es", "pt", "fr"], weights=[10, 8, 1, 1])[0]
                title_enc, text_enc, words_of = rng.choice(pool.texts[language])
                changed = submitted if status is StoryStatus.NEW else \
                    submitted + (now - submitted) * rng.uniform(0.01, 0.3)
                purged = status is StoryStatus.WITHDRAWN or (
                    status is StoryStatus.REJECTED
                    and now - changed > timedelta(days=REJECTED_RETENTION_DAYS))
                withdrawn = status is StoryStatus.WITHDRAWN
                approved = status is StoryStatus.APPROVED
                credit = rng.choices(list(Credit), weights=[6, 3, 2])[0]
                given = dict(keep_for_review=True, publish=rng.random() < 0.7,
                             press=for_press or rng.random() < 0.6,
                             quote=rng.random() < 0.5, photo=False, credit=credit.value,
                             age=(AgeConfirmation.ADULT if rng.random() < 0.9 else AgeConfirmation.GUARDIAN).value)
                current = dict(given, publish=False, press=False, quote=False,
                               credit=Credit.NONE.value) if withdrawn else given
                method = (IntakeMethod.PAPER if rng.random() < 0.1 else IntakeMethod.WEB).value
                at_submit, at_change = stamp(submitted), stamp(changed)
                moderator_id, actor = rng.choice(moderators)
                stories.append(dict(
                    id=story_id,
                    receipt_hash=receipt_hash(cipher, code) if story_id == first_id
                    else hashlib.sha256(f"receipt-{seed}-{story_id}".encode()).hexdigest(),
                    status=status.value, language=language,
                    state=rng.choice(STATES) if rng.random() < 0.8 else None,
                    connection=rng.choices(list(StoryConnection), weights=[5, 4, 2, 1])[0].value,
                    year=rng.randint(2017, 2025) if rng.random() < 0.85 else None, method=method,
                    title_enc=None if purged else title_enc, text_enc=None if purged else text_enc,
                    photo_name=None, consent_publish=current["publish"], consent_press=current["press"],
                    consent_quote=current["quote"], consent_photo=False, credit=current["credit"],
                    submitted_at=at_submit, status_changed_at=at_change,
                    withdrawn_at=at_change if withdrawn else None, purged_at=at_change if purged else None,
                    # An approved story always has the publication version a moderator saved.
                    publication_title_enc=title_enc if approved else None,
                    publication_text_enc=text_enc if approved else None,
                    version=3 if approved else 1, approved_at=at_change if approved else None,
                    rejection_reason="Not about family separation" if status is StoryStatus.REJECTED else None,
                    reviewer_id=None if status is StoryStatus.NEW else moderator_id,
                    review_started_at=None if status is StoryStatus.NEW else at_change))
                form = pool.consent[language if language in pool.consent else "en"]
                common = dict(story_id=story_id, text_version=form.version, language=form.language,
                              text_sha256=form.sha256)
                events.append(dict(common, id=event_id, change=ConsentChange.GIVEN.value,
                                   recorded_at=at_submit, method=method, **given))
                event_id += 1
                if withdrawn:
                    events.append(dict(common, id=event_id, change=ConsentChange.WITHDRAWN.value,
                                       recorded_at=at_change, method=IntakeMethod.WEB.value,
                                       keep_for_review=False, publish=False, press=False,
                                       quote=False, photo=False, credit=Credit.NONE.value, age=None))
                    event_id += 1
                if not purged:
                    terms.extend({"term": t, "story_id": story_id} for t in words_of)
                    named = credit is not Credit.NONE
                    if named or rng.random() < 0.3:
                        contacts.append(dict(
                            story_id=story_id,
                            email_enc=rng.choice(pool.emails) if rng.random() < 0.7 else None,
                            phone_enc=rng.choice(pool.phones) if rng.random() < 0.5 else None,
                            credited_name_enc=rng.choice(pool.names[credit]) if named else None))
                # What moderating it left in the audit log: opened, edited, decided.
                actions = [] if status in (StoryStatus.NEW, StoryStatus.WITHDRAWN) else ["open_story"]
                if approved:
                    actions.append("save_publication")
                if status in _DECISION_ACTION:
                    actions.append(_DECISION_ACTION[status])
                for action in actions:
                    audit.append(dict(id=audit_id, at=at_change, moderator_id=moderator_id, actor=actor,
                                      action=action, story_id=story_id,
                                      detail="version 3" if action == "save_publication" else None))
                    audit_id += 1
                story_id += 1
            load.insert(Story, stories)
            load.insert(ConsentEvent, events)
            load.insert(StoryContact, contacts)
            load.insert(StoryTerm, terms)
            load.insert(AuditEntry, audit)
            conn.commit()
        load.ids_given(Story, ConsentEvent, AuditEntry)
        conn.commit()
    return code


def seed(runtime: Runtime, *, stories: int, letters: int, seed: int = 0) -> Seeded:
    """Add stories and letters until the database holds `stories` and `letters` in all."""
    started = time.perf_counter()
    with runtime.db.session() as session:
        have_stories = session.scalar(select(func.count()).select_from(Story)) or 0
        have_letters = session.scalar(select(func.count()).select_from(Letter)) or 0
    code = add_stories(runtime, stories - have_stories, seed=seed)
    add_letters(runtime, letters - have_letters, seed=seed + 1)
    return Seeded(stories=max(stories, have_stories), letters=max(letters, have_letters),
                  seconds=time.perf_counter() - started, receipt_code=code)
