"""The receipt code: status, narrowing, withdrawal (S5), and purges that leave no bytes (D2, L1)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from stories.consent import PURPOSES, ConsentAnswers, consent_text
from stories.intake import ContactFields, submit_story
from stories.models import AgeConfirmation, ConsentChange, ConsentEvent, Credit, Story, StoryStatus
from stories.purge import REJECTED_RETENTION_DAYS, purge
from stories.receipts import new_receipt_code
from stories.withdrawal import (STATUS_TEXT, NotNarrowing, narrow_consent, story_status,
                                withdraw_story)
from tests.unit.story_fixtures import (CREDITED_NAME, EMAIL, PHONE, TEXT, TITLE, clean_jpeg,
                                       load_story, raw_database, row_counts, stored_photos,
                                       submission)

SENTINEL = "SENTINEL-7f3a9c"
EVERYTHING = ConsentAnswers(keep_for_review=True, publish=True, press=True, quote=True, photo=True,
                            credit=Credit.FULL_NAME, age=AgeConfirmation.ADULT)
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def full_story(runtime, *, text: str = TEXT, title: str = TITLE, answers: ConsentAnswers = EVERYTHING,
               now: datetime = T0):
    """A story with every permission, a photo, a credited name and contact details."""
    return submit_story(runtime, submission(
        answers=answers, title=title, text=text, credited_name=CREDITED_NAME,
        contact=ContactFields(EMAIL, PHONE), photo=clean_jpeg() if answers.photo else None), now=now)


def shown():
    return consent_text("es")


def chunks(token: bytes, size: int = 32) -> list[bytes]:
    """Pieces of a Fernet token past its version-and-timestamp prefix (shared by tokens of one second)."""
    body = token[16:]
    return [body[i:i + size] for i in range(0, len(body) - size + 1, size // 2)]


def traces(raw: bytes, tokens) -> list[bytes]:
    return [piece for token in tokens for piece in chunks(token) if piece in raw]


# --- status ---------------------------------------------------------------------------------

def test_every_status_has_words_for_the_storyteller():
    assert set(STATUS_TEXT) == set(StoryStatus)
    assert all(text.strip() for text in STATUS_TEXT.values())


def test_the_right_code_shows_status_and_answers(runtime):
    receipt = full_story(runtime)
    view = story_status(runtime, receipt.code)
    assert view.status is StoryStatus.NEW and view.submitted_at == T0
    assert view.answers == EVERYTHING and view.has_photo
    # Typed by hand: lowercase, no dashes.
    assert story_status(runtime, receipt.code.replace("-", "").lower()).status is StoryStatus.NEW


@pytest.mark.parametrize("code", ["wrong", "malformed", "", "   ", "truncated"])
def test_a_wrong_code_reveals_nothing(runtime, code):
    receipt = full_story(runtime)
    typed = {"wrong": new_receipt_code(), "malformed": "not-a-code",
             "truncated": receipt.code[:-1]}.get(code, code)
    assert story_status(runtime, typed) is None


# --- withdrawal -----------------------------------------------------------------------------

def test_withdrawal_takes_effect_at_once_and_purges_everything(runtime):
    receipt = full_story(runtime)
    [photo] = stored_photos(runtime)
    later = T0 + timedelta(hours=3)
    assert withdraw_story(runtime, receipt.code, shown(), now=later) is True

    assert story_status(runtime, receipt.code).status is StoryStatus.WITHDRAWN
    story = load_story(runtime, receipt.story_id)
    assert story.status is StoryStatus.WITHDRAWN
    assert story.withdrawn_at == later and story.purged_at == later
    assert story.title_enc is None and story.text_enc is None and story.photo_name is None
    assert story.contact is None and row_counts(runtime) == (1, 2, 0)
    assert not photo.exists() and stored_photos(runtime) == []
    # Out of every later export: the story row allows nothing.
    assert not (story.consent_publish or story.consent_press or story.consent_quote
                or story.consent_photo) and story.credit is Credit.NONE

    given, withdrawn = story.consent_events
    assert given.change is ConsentChange.GIVEN and given.publish and given.press
    assert withdrawn.change is ConsentChange.WITHDRAWN
    assert withdrawn.id > given.id and withdrawn.recorded_at == later > given.recorded_at
    assert not any(getattr(withdrawn, p) for p in PURPOSES) and withdrawn.credit is Credit.NONE
    assert (withdrawn.text_version, withdrawn.language, withdrawn.text_sha256) == (
        shown().version, "es", shown().sha256)


def test_a_second_withdrawal_is_harmless(runtime):
    receipt = full_story(runtime)
    assert withdraw_story(runtime, receipt.code, shown())
    assert withdraw_story(runtime, receipt.code, shown())
    assert row_counts(runtime) == (1, 2, 0)
    assert story_status(runtime, receipt.code).status is StoryStatus.WITHDRAWN


def test_withdrawing_with_a_wrong_code_changes_nothing(runtime):
    receipt = full_story(runtime)
    before = load_story(runtime, receipt.story_id)
    for typed in (new_receipt_code(), "", "nonsense"):
        assert withdraw_story(runtime, typed, shown()) is False
    after = load_story(runtime, receipt.story_id)
    assert after.status is StoryStatus.NEW and row_counts(runtime) == (1, 1, 1)
    assert (after.title_enc, after.text_enc, after.photo_name) == (
        before.title_enc, before.text_enc, before.photo_name)
    assert len(stored_photos(runtime)) == 1


def test_withdrawing_one_story_leaves_the_others(runtime):
    mine, theirs = full_story(runtime), full_story(runtime)
    withdraw_story(runtime, mine.code, shown())
    other = load_story(runtime, theirs.story_id)
    assert other.status is StoryStatus.NEW and other.text_enc and other.contact is not None
    assert runtime.cipher.decrypt(other.text_enc) == TEXT
    assert len(stored_photos(runtime)) == 1


# --- narrowing ------------------------------------------------------------------------------

def test_turning_off_press_keeps_publishing(runtime):
    receipt = full_story(runtime)
    narrower = ConsentAnswers(keep_for_review=True, publish=True, press=False, quote=True,
                              photo=True, credit=Credit.FULL_NAME)
    assert narrow_consent(runtime, receipt.code, narrower, shown(), now=T0 + timedelta(days=1))
    story = load_story(runtime, receipt.story_id)
    assert story.consent_publish and not story.consent_press and story.consent_quote
    assert story.status is StoryStatus.NEW and story.text_enc is not None
    given, narrowed = story.consent_events
    assert narrowed.change is ConsentChange.NARROWED and not narrowed.press and narrowed.publish
    # Keeping for review and the age are not changed here.
    assert narrowed.keep_for_review and narrowed.age is AgeConfirmation.ADULT
    assert story_status(runtime, receipt.code).answers.press is False


@pytest.mark.parametrize("change", [
    dict(publish=True, press=True, quote=True),                     # quote back on after off
    dict(credit=Credit.FULL_NAME),                                  # name back
    dict(photo=True, keep_for_review=True),
], ids=["quote", "credit", "photo"])
def test_a_widening_attempt_is_refused_and_records_nothing(runtime, change):
    answers = ConsentAnswers(keep_for_review=True, publish=True, press=True, quote=False,
                             credit=Credit.NONE, age=AgeConfirmation.ADULT)
    receipt = full_story(runtime, answers=answers)
    before = load_story(runtime, receipt.story_id)
    with pytest.raises(NotNarrowing):
        narrow_consent(runtime, receipt.code, ConsentAnswers(**{**answers.__dict__, **change}),
                       shown())
    after = load_story(runtime, receipt.story_id)
    assert len(after.consent_events) == 1
    assert (after.consent_publish, after.consent_press, after.consent_quote, after.consent_photo,
            after.credit) == (before.consent_publish, before.consent_press, before.consent_quote,
                              before.consent_photo, before.credit)


def test_narrowing_credit_to_none_removes_the_name(runtime):
    receipt = full_story(runtime)
    assert narrow_consent(runtime, receipt.code, ConsentAnswers(
        keep_for_review=True, publish=True, press=True, quote=True, photo=True), shown())
    story = load_story(runtime, receipt.story_id)
    assert story.credit is Credit.NONE and story.contact.credited_name_enc is None
    # Follow-up details were not part of that choice.
    assert runtime.cipher.decrypt(story.contact.email_enc) == EMAIL


def test_narrowing_full_name_to_first_name_keeps_only_the_first_name(runtime):
    receipt = full_story(runtime)
    with runtime.db.session() as s:
        full = runtime.cipher.decrypt(s.get(Story, receipt.story_id).contact.credited_name_enc)
    assert " " in full
    assert narrow_consent(runtime, receipt.code, ConsentAnswers(
        keep_for_review=True, publish=True, press=True, quote=True, photo=True,
        credit=Credit.FIRST_NAME), shown())
    story = load_story(runtime, receipt.story_id)
    assert story.credit is Credit.FIRST_NAME
    assert runtime.cipher.decrypt(story.contact.credited_name_enc) == full.split()[0]


def test_turning_off_the_photo_deletes_the_file(runtime):
    receipt = full_story(runtime)
    [photo] = stored_photos(runtime)
    assert narrow_consent(runtime, receipt.code, ConsentAnswers(
        keep_for_review=True, publish=True, press=True, quote=True, photo=False,
        credit=Credit.FULL_NAME), shown())
    assert not photo.exists()
    story = load_story(runtime, receipt.story_id)
    assert story.photo_name is None and not story.consent_photo
    assert story_status(runtime, receipt.code).has_photo is False


def test_narrowing_a_withdrawn_story_or_with_a_wrong_code_does_nothing(runtime):
    receipt = full_story(runtime)
    assert narrow_consent(runtime, new_receipt_code(), ConsentAnswers(), shown()) is False
    assert row_counts(runtime) == (1, 1, 1)
    withdraw_story(runtime, receipt.code, shown())
    assert narrow_consent(runtime, receipt.code, ConsentAnswers(), shown()) is False
    assert row_counts(runtime) == (1, 2, 0)


# --- purge leaves no bytes (D2) --------------------------------------------------------------

def encrypted_fields(runtime, story_id: int) -> list[bytes]:
    story = load_story(runtime, story_id)
    tokens = [story.title_enc, story.text_enc]
    if story.contact is not None:
        tokens += [story.contact.email_enc, story.contact.phone_enc, story.contact.credited_name_enc]
    return [bytes(t) for t in tokens if t]


@pytest.mark.sqlite_only(reason="reads the bytes of the SQLite database and WAL files")
def test_withdrawal_leaves_no_trace_of_the_story_in_the_database_files(runtime, data_dir):
    receipt = full_story(runtime, title=f"Title {SENTINEL}",
                         text=f"We were separated in 2019 at the port of entry. {SENTINEL}")
    bystander = full_story(runtime, text="Another family's story, which must stay in place.")
    tokens = encrypted_fields(runtime, receipt.story_id)
    assert len(tokens) == 5
    raw = raw_database(data_dir)
    # Encrypted from the start: the words themselves were never in the files ...
    assert SENTINEL.encode() not in raw and EMAIL.encode() not in raw
    # ... but their ciphertext is, which is what the purge has to remove.
    assert all(token in raw for token in tokens)

    assert withdraw_story(runtime, receipt.code, shown())
    # While the portal keeps running (no restart to fold the WAL back in):
    assert traces(raw_database(data_dir), tokens) == []
    assert SENTINEL.encode() not in raw_database(data_dir)
    runtime.db.dispose()
    assert traces(raw_database(data_dir), tokens) == []
    # The other story is still there, byte for byte.
    assert all(t in raw_database(data_dir) for t in encrypted_fields(runtime, bystander.story_id))


def set_status(runtime, story_id: int, status: StoryStatus, changed_at: datetime) -> None:
    def work(session):
        story = session.get(Story, story_id)
        story.status, story.status_changed_at = status, changed_at
    runtime.db.run(work)


def test_rejected_stories_are_purged_after_30_days_and_not_before(runtime, data_dir):
    assert REJECTED_RETENTION_DAYS == 30
    now = T0 + timedelta(days=60)
    old = full_story(runtime, text=f"An old rejected story, long enough. {SENTINEL}-old")
    recent = full_story(runtime, text=f"A recent rejected story, long enough. {SENTINEL}-new")
    waiting = full_story(runtime, text="A story still waiting for review, long enough.")
    set_status(runtime, old.story_id, StoryStatus.REJECTED, now - timedelta(days=31))
    set_status(runtime, recent.story_id, StoryStatus.REJECTED, now - timedelta(days=29))
    old_tokens = encrypted_fields(runtime, old.story_id)
    recent_tokens = encrypted_fields(runtime, recent.story_id)
    old_photo = load_story(runtime, old.story_id).photo_name
    files = runtime.db.dialect == "sqlite"  # the byte-level checks read the SQLite files
    assert not files or all(t in raw_database(data_dir) for t in old_tokens)

    report = purge(runtime, now=now)
    assert (report.rejected, report.withdrawn) == (1, 0)

    gone = load_story(runtime, old.story_id)
    assert gone.title_enc is None and gone.text_enc is None and gone.contact is None
    assert gone.photo_name is None and gone.purged_at == now
    assert old_photo not in {p.name for p in stored_photos(runtime)}
    assert gone.status is StoryStatus.REJECTED and len(gone.consent_events) == 1  # history kept
    for kept in (recent, waiting):
        story = load_story(runtime, kept.story_id)
        assert story.text_enc and story.contact is not None and story.purged_at is None
    assert len(stored_photos(runtime)) == 2

    if files:
        assert traces(raw_database(data_dir), old_tokens) == []
        assert all(t in raw_database(data_dir) for t in recent_tokens)
        runtime.db.dispose()
        assert traces(raw_database(data_dir), old_tokens) == []

    # A second run finds nothing left to do.
    assert purge(runtime, now=now) == type(report)(withdrawn=0, rejected=0)


def test_purge_catches_a_withdrawn_story_whose_content_is_still_there(runtime, data_dir):
    # Say a moderator marked it withdrawn on the storyteller's behalf, outside withdraw_story.
    receipt = full_story(runtime)
    tokens = encrypted_fields(runtime, receipt.story_id)
    set_status(runtime, receipt.story_id, StoryStatus.WITHDRAWN, T0)
    assert purge(runtime, now=T0 + timedelta(minutes=1)).withdrawn == 1
    story = load_story(runtime, receipt.story_id)
    assert story.text_enc is None and story.contact is None and stored_photos(runtime) == []
    if runtime.db.dialect == "sqlite":  # the byte-level check reads the SQLite files
        assert traces(raw_database(data_dir), tokens) == []


def test_the_retention_period_can_be_changed(runtime):
    receipt = full_story(runtime)
    set_status(runtime, receipt.story_id, StoryStatus.REJECTED, T0)
    assert purge(runtime, now=T0 + timedelta(days=8)).rejected == 0
    assert purge(runtime, retention_days=7, now=T0 + timedelta(days=8)).rejected == 1


# --- logs (L1) ------------------------------------------------------------------------------

def test_status_narrowing_and_withdrawal_log_no_words_contact_or_code(runtime, caplog):
    caplog.set_level(logging.DEBUG)
    receipt = full_story(runtime, text=f"Words that must never reach a log line. {SENTINEL}")
    story_status(runtime, receipt.code)
    narrow_consent(runtime, receipt.code, ConsentAnswers(keep_for_review=True, publish=True),
                   shown())
    withdraw_story(runtime, receipt.code, shown())
    withdraw_story(runtime, new_receipt_code(), shown())
    purge(runtime)
    messages = [r.getMessage() for r in caplog.records]
    assert any("purged" in m for m in messages)  # the capture works
    compact = receipt.code.replace("-", "")
    for secret in (TITLE, SENTINEL, EMAIL, PHONE, CREDITED_NAME, receipt.code, compact,
                   compact.lower()):
        assert not any(secret in m for m in messages), secret
        assert secret not in caplog.text


def test_consent_events_are_only_ever_added(runtime):
    receipt = full_story(runtime)
    narrow_consent(runtime, receipt.code, ConsentAnswers(keep_for_review=True, publish=True),
                   shown())
    withdraw_story(runtime, receipt.code, shown())
    with runtime.db.session() as s:
        changes = s.scalars(select(ConsentEvent.change).order_by(ConsentEvent.id)).all()
    assert changes == [ConsentChange.GIVEN, ConsentChange.NARROWED, ConsentChange.WITHDRAWN]
