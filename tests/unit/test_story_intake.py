"""Taking in a story: field checks (I1), storing it with its consent (S1-S3, S5) and at rest (D1, L1)."""

from __future__ import annotations

import logging
import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select

from stories.consent import ConsentAnswers, consent_text
from stories.intake import (STORY_LANGUAGES, ContactFields, StoryFields, StoryRejected,
                            submit_story, validate_contact, validate_credited_name,
                            validate_story_fields)
from stories.models import (AgeConfirmation, ConsentChange, Connection, Credit, IntakeMethod, Story,
                            StoryStatus)
from stories.receipts import normalize_receipt_code, receipt_hash
from tests.unit.story_fixtures import (CREDITED_NAME, EMAIL, GENEROUS, MINIMAL, PHONE, TEXT, TITLE,
                                       clean_jpeg, load_story, raw_database, row_counts,
                                       stored_photos, submission)

THIS_YEAR = 2026
VALID = {"title": "Separated at the border", "text": "My brother was detained for six months.",
         "language": "es", "state": "", "connection": "witness", "year": ""}


def render(msg) -> str:
    return msg.render(lambda s: s)


def check(**changes):
    return validate_story_fields({**VALID, **changes}, this_year=THIS_YEAR)


# --- validate_story_fields (I1) --------------------------------------------------------------

def test_a_valid_story_step():
    fields, errors = check()
    assert errors == {}
    assert fields == StoryFields(VALID["title"], VALID["text"], "es", None, Connection.WITNESS, None)


@pytest.mark.parametrize("title, ok", [
    ("", False), ("   ", False), ("\x00\x07", False), (None, False), (42, False),
    ("A", True), ("x" * 120, True), ("x" * 121, False), ("  " + "x" * 120 + "  ", True),
    ("ñ" * 120, True), ("n\u0303" * 120, True),   # 240 code points, 120 once composed
])
def test_title_is_required_and_at_most_120_characters(title, ok):
    fields, errors = check(title=title)
    assert ("title" not in errors) is ok
    if not ok and title and isinstance(title, str) and len(title.strip()) > 120:
        assert errors["title"].params == {"limit": 120}


@pytest.mark.parametrize("length, ok", [(0, False), (19, False), (20, True), (10_000, True),
                                        (10_001, False), (25_000, False)])
def test_story_text_length_limits(length, ok):
    fields, errors = check(text="a" * length)
    assert ("text" not in errors) is ok
    if ok:
        assert len(fields.text) == length


def test_a_too_long_story_is_told_its_count_and_the_limit():
    _, errors = check(text="word " * 2500)  # 12,500 characters, 12,499 once trimmed
    assert errors["text"].params == {"count": 12_499, "limit": 10_000}
    assert "12499" in render(errors["text"]) and "10000" in render(errors["text"])


def test_text_made_only_of_spaces_or_control_characters_is_not_a_story():
    assert "text" in check(text=" " * 50)[1]
    assert "text" in check(text="\x00\x01\x02" * 10 + "short")[1]


@pytest.mark.parametrize("language, ok", [
    *[(code, True) for code in STORY_LANGUAGES],
    ("", False), ("xx", False), ("EN", False), ("english", False), ("en-US", False), (None, False),
])
def test_language_must_come_from_the_list(language, ok):
    fields, errors = check(language=language)
    assert ("language" not in errors) is ok
    if ok:
        assert fields.language == language


@pytest.mark.parametrize("state, stored, ok", [
    ("", None, True), (None, None, True), ("TX", "TX", True), ("tx", "TX", True),
    (" ca ", "CA", True), ("PR", "PR", True), ("ZZ", None, False), ("Texas", None, False),
    ("T", None, False), ("<b>", None, False),
])
def test_state_is_optional_but_must_come_from_the_list(state, stored, ok):
    fields, errors = check(state=state)
    assert ("state" not in errors) is ok
    if ok:
        assert fields.state == stored


@pytest.mark.parametrize("connection, ok", [
    *[(c.value, True) for c in Connection], ("", False), (None, False), ("SEPARATED", False),
    ("friend", False),
])
def test_connection_is_required_and_from_the_list(connection, ok):
    fields, errors = check(connection=connection)
    assert ("connection" not in errors) is ok
    if ok:
        assert fields.connection.value == connection


@pytest.mark.parametrize("year, stored, ok", [
    ("", None, True), (None, None, True), ("1990", 1990, True), (" 2019 ", 2019, True),
    (2026, 2026, True), ("1989", None, False), ("2027", None, False), ("abc", None, False),
    ("2019.5", None, False), ("-2019", None, False), ("9" * 5000, None, False),
])
def test_year_is_optional_and_between_1990_and_this_year(year, stored, ok):
    fields, errors = check(year=year)
    assert ("year" not in errors) is ok
    if ok:
        assert fields.year == stored
    else:
        assert errors["year"].params == {"first": 1990, "last": THIS_YEAR}


def test_every_problem_is_reported_by_field():
    fields, errors = validate_story_fields({}, this_year=THIS_YEAR)
    assert fields is None
    assert set(errors) == {"title", "text", "language", "connection"}


def test_text_is_nfc_normalized_and_control_characters_are_removed():
    fields, errors = check(title="Jose\u0301 y\x00 Mari\u0301a\x1b\u200b",
                           text="Line one\r\nLine\x07 two\x00 is longer, Jose\u0301.\u202e")
    assert errors == {}
    assert fields.title == "José y María"
    assert fields.title == unicodedata.normalize("NFC", fields.title)
    assert fields.text == "Line one\nLine two is longer, José."


def test_a_title_stays_on_one_line():
    fields, _ = check(title="First\nSecond\rThird")
    assert "\n" not in fields.title and "\r" not in fields.title


KEYS = st.sampled_from(["title", "text", "language", "state", "connection", "year", "other"])
VALUES = st.one_of(st.text(max_size=300), st.none(), st.integers(), st.sampled_from(
    ["en", "es", "TX", "witness", "2020", "x" * 121, "a" * 10_001]))


@given(st.dictionaries(KEYS, VALUES))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_validate_story_fields_never_raises(raw):
    fields, errors = validate_story_fields(raw, this_year=THIS_YEAR)
    assert (fields is None) == bool(errors)
    if fields is not None:
        assert 1 <= len(fields.title) <= 120 and 20 <= len(fields.text) <= 10_000
        assert fields.language in STORY_LANGUAGES
        assert not any(unicodedata.category(ch) == "Cc" for ch in fields.title)
        assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in fields.text)


# --- validate_contact and validate_credited_name --------------------------------------------

def test_contact_details_are_optional():
    assert validate_contact({}) == (ContactFields("", ""), {})
    assert validate_contact({"email": "  ", "phone": ""}) == (ContactFields("", ""), {})


@pytest.mark.parametrize("raw, field", [
    ({"email": "rosa@"}, "email"), ({"email": "rosa at example.org"}, "email"),
    ({"email": "a" * 250 + "@example.org"}, "email"),
    ({"phone": "555-CALL-NOW"}, "phone"), ({"phone": "call me"}, "phone"),
    ({"phone": "12345"}, "phone"), ({"phone": "+1 " + "2" * 30}, "phone"),
])
def test_bad_contact_details_are_rejected(raw, field):
    fields, errors = validate_contact(raw)
    assert fields is None and set(errors) == {field}


@pytest.mark.parametrize("phone", ["+52 55 1234 5678", "(915) 555-0142", "+502 2345 6789",
                                   "915.555.0142"])
def test_phone_numbers_from_any_country_are_accepted(phone):
    fields, errors = validate_contact({"phone": phone})
    assert errors == {} and fields.phone == phone


def test_email_is_normalized():
    fields, errors = validate_contact({"email": " Rosa@EXAMPLE.org "})
    assert errors == {} and fields.email == "Rosa@example.org"


@given(st.dictionaries(st.sampled_from(["email", "phone"]),
                       st.one_of(st.text(max_size=300), st.none(), st.integers())))
@settings(max_examples=300)
def test_validate_contact_never_raises(raw):
    fields, errors = validate_contact(raw)
    assert (fields is None) == bool(errors)


@pytest.mark.parametrize("value, credit, name, error", [
    ("Rosa", Credit.NONE, "", False),
    ("", Credit.NONE, "", False),
    ("", Credit.FIRST_NAME, "", True),
    ("  ", Credit.FULL_NAME, "", True),
    ("Rosa", Credit.FIRST_NAME, "Rosa", False),
    ("Rosa\x00 Quintana", Credit.FULL_NAME, "Rosa Quintana", False),
    ("Jose\u0301", Credit.FIRST_NAME, "José", False),
    ("x" * 81, Credit.FULL_NAME, None, True),
    ("www.spam.example", Credit.FULL_NAME, None, True),
    ("rosa@example.org", Credit.FIRST_NAME, None, True),
    ("12345", Credit.FULL_NAME, None, True),
])
def test_validate_credited_name(value, credit, name, error):
    got, problem = validate_credited_name(value, credit)
    assert (problem is not None) is error
    if name is not None:
        assert got == name


def test_missing_first_name_message_offers_no_name():
    _, problem = validate_credited_name("", Credit.FIRST_NAME)
    assert "first name" in render(problem) and "no name" in render(problem)


# --- submit_story ---------------------------------------------------------------------------

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def test_a_story_is_stored_new_with_its_consent_event(runtime):
    shown = consent_text("es")
    receipt = submit_story(runtime, submission(answers=GENEROUS, shown=shown), now=NOW)
    assert normalize_receipt_code(receipt.code)
    story = load_story(runtime, receipt.story_id)
    assert story.status is StoryStatus.NEW and story.method is IntakeMethod.WEB
    assert (story.language, story.state, story.connection, story.year) == (
        "es", "TX", Connection.FAMILY_MEMBER, 2018)
    assert runtime.cipher.decrypt(story.title_enc) == TITLE
    assert runtime.cipher.decrypt(story.text_enc) == TEXT
    assert story.submitted_at == NOW
    assert story.receipt_hash == receipt_hash(runtime.cipher, receipt.code)

    [event] = story.consent_events
    assert event.change is ConsentChange.GIVEN
    assert event.recorded_at == NOW and event.recorded_at.tzinfo is UTC
    assert (event.text_version, event.language, event.text_sha256) == (
        shown.version, "es", shown.sha256)
    assert event.method is IntakeMethod.WEB
    assert (event.keep_for_review, event.publish, event.press, event.quote, event.photo) == (
        True, True, True, True, False)
    assert event.credit is Credit.NONE and event.age is AgeConfirmation.ADULT
    # The story row mirrors the answers, for the queue and the exports.
    assert (story.consent_publish, story.consent_press, story.consent_quote,
            story.consent_photo, story.credit) == (True, True, True, False, Credit.NONE)


def test_consent_time_is_utc_when_not_given(runtime):
    before = datetime.now(UTC)
    receipt = submit_story(runtime, submission())
    [event] = load_story(runtime, receipt.story_id).consent_events
    assert event.recorded_at.tzinfo is UTC
    assert before - timedelta(seconds=1) <= event.recorded_at <= datetime.now(UTC)


def test_saying_no_to_every_use_still_stores_the_story(runtime):
    receipt = submit_story(runtime, submission(answers=MINIMAL, language="en"))
    story = load_story(runtime, receipt.story_id)
    assert story.status is StoryStatus.NEW
    assert not (story.consent_publish or story.consent_press or story.consent_quote)
    assert story.consent_events[0].language == "en"


def test_each_submission_gets_its_own_receipt(runtime):
    a, b = submit_story(runtime, submission()), submit_story(runtime, submission())
    assert a.code != b.code and a.story_id != b.story_id


@pytest.mark.parametrize("answers, field", [
    (ConsentAnswers(publish=True, press=True, age=AgeConfirmation.ADULT), "keep_for_review"),
    (ConsentAnswers(keep_for_review=True), "age"),
    (ConsentAnswers(keep_for_review=True, age=AgeConfirmation.ADULT, credit=Credit.FULL_NAME),
     "credited_name"),
    (ConsentAnswers(keep_for_review=True, age=AgeConfirmation.ADULT, photo=True), "photo"),
])
def test_a_submission_breaking_a_consent_rule_stores_nothing(runtime, answers, field):
    with pytest.raises(StoryRejected) as caught:
        submit_story(runtime, submission(answers=answers, contact=ContactFields(EMAIL, PHONE)))
    assert field in caught.value.errors
    assert row_counts(runtime) == (0, 0, 0)
    assert stored_photos(runtime) == []


def test_without_keep_for_review_even_a_photo_is_not_kept(runtime):
    answers = ConsentAnswers(photo=True, age=AgeConfirmation.ADULT)
    with pytest.raises(StoryRejected):
        submit_story(runtime, submission(answers=answers, photo=clean_jpeg()))
    assert row_counts(runtime) == (0, 0, 0) and stored_photos(runtime) == []


def test_no_contact_row_without_contact_details(runtime):
    submit_story(runtime, submission())
    assert row_counts(runtime) == (1, 1, 0)


def test_contact_details_are_stored_apart_and_encrypted(runtime):
    answers = ConsentAnswers(keep_for_review=True, credit=Credit.FULL_NAME, age=AgeConfirmation.ADULT)
    receipt = submit_story(runtime, submission(answers=answers, credited_name=CREDITED_NAME,
                                               contact=ContactFields(EMAIL, PHONE)))
    assert row_counts(runtime) == (1, 1, 1)
    contact = load_story(runtime, receipt.story_id).contact
    decrypt = runtime.cipher.decrypt
    assert (decrypt(contact.email_enc), decrypt(contact.phone_enc),
            decrypt(contact.credited_name_enc)) == (EMAIL, PHONE, CREDITED_NAME)
    assert EMAIL.encode() not in contact.email_enc


def test_only_an_email_is_stored_when_only_an_email_is_given(runtime):
    receipt = submit_story(runtime, submission(contact=ContactFields(email=EMAIL)))
    contact = load_story(runtime, receipt.story_id).contact
    assert contact.email_enc and contact.phone_enc is None and contact.credited_name_enc is None


def test_a_name_is_not_kept_when_they_chose_no_name(runtime):
    # Say the name was typed, then "no name" chosen: we keep nothing we may not use.
    receipt = submit_story(runtime, submission(credited_name=CREDITED_NAME))
    assert load_story(runtime, receipt.story_id).contact is None
    assert row_counts(runtime) == (1, 1, 0)


def test_no_column_holds_an_address_device_or_location(runtime):
    names = set()
    for table in ("stories", "story_contacts", "consent_events"):
        names |= {c["name"] for c in inspect(runtime.db.engine).get_columns(table)}
    for forbidden in ("ip", "address", "user_agent", "agent", "lat", "lon", "gps", "location"):
        assert not any(forbidden in name.split("_") or name == forbidden for name in names), forbidden
    story_columns = {c["name"] for c in inspect(runtime.db.engine).get_columns("stories")}
    assert not story_columns & {"email_enc", "phone_enc", "credited_name_enc"}


# --- photos ---------------------------------------------------------------------------------

def test_an_allowed_photo_is_stored_encrypted(runtime):
    from stories.photos import load_photo

    photo = clean_jpeg()
    answers = ConsentAnswers(keep_for_review=True, photo=True, age=AgeConfirmation.ADULT)
    receipt = submit_story(runtime, submission(answers=answers, photo=photo))
    story = load_story(runtime, receipt.story_id)
    [path] = stored_photos(runtime)
    assert story.photo_name == path.name and story.consent_photo
    assert photo.data not in path.read_bytes()
    assert load_photo(path.name, path.parent, runtime.cipher.fernet) == photo.data


def test_a_photo_without_consent_is_not_kept(runtime):
    receipt = submit_story(runtime, submission(answers=GENEROUS, photo=clean_jpeg()))
    assert load_story(runtime, receipt.story_id).photo_name is None
    assert stored_photos(runtime) == []


def test_a_failed_save_leaves_no_photo_behind(runtime, monkeypatch):
    answers = ConsentAnswers(keep_for_review=True, photo=True, age=AgeConfirmation.ADULT)

    def broken(work, **_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runtime.db, "run", broken)
    with pytest.raises(RuntimeError):
        submit_story(runtime, submission(answers=answers, photo=clean_jpeg()))
    assert stored_photos(runtime) == []


# --- at rest (D1) and in the logs (L1) -------------------------------------------------------

@pytest.mark.sqlite_only(reason="reads the bytes of the SQLite database and WAL files")
def test_a_raw_read_of_the_database_files_finds_no_plaintext(runtime, data_dir):
    assert runtime.config.database_url == f"sqlite:///{data_dir / 'portal.db'}"
    answers = ConsentAnswers(keep_for_review=True, publish=True, credit=Credit.FULL_NAME,
                             age=AgeConfirmation.ADULT)
    receipt = submit_story(runtime, submission(answers=answers, credited_name=CREDITED_NAME,
                                               contact=ContactFields(EMAIL, PHONE)))
    with runtime.db.session() as s:
        stored_hash = s.scalar(select(Story.receipt_hash))
    assert stored_hash != receipt.code and normalize_receipt_code(receipt.code) not in stored_hash
    secrets = [TITLE, TEXT, "TITLE-b41e", "STORY-TEXT-9d2c", EMAIL, PHONE, "1234 5678",
               CREDITED_NAME, receipt.code, normalize_receipt_code(receipt.code)]

    def leaks(raw: bytes) -> list[str]:
        return [s for s in secrets if s.encode("utf-8") in raw or s.encode("utf-16-le") in raw]

    # While the portal runs (the newest pages sit in the WAL) ...
    live = raw_database(data_dir)
    assert (data_dir / "portal.db-wal").exists()
    assert b"family_member" in live and stored_hash.encode() in live  # the read sees the data
    assert leaks(live) == []
    # ... and once it has stopped and everything is in the main file.
    runtime.db.dispose()
    assert leaks(raw_database(data_dir)) == []


def test_submitting_logs_no_words_contact_or_code(runtime, caplog):
    caplog.set_level(logging.DEBUG)
    answers = ConsentAnswers(keep_for_review=True, credit=Credit.FULL_NAME, age=AgeConfirmation.ADULT)
    receipt = submit_story(runtime, submission(answers=answers, credited_name=CREDITED_NAME,
                                               contact=ContactFields(EMAIL, PHONE)))
    with pytest.raises(StoryRejected):
        submit_story(runtime, submission(answers=ConsentAnswers(), contact=ContactFields(EMAIL, PHONE)))
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"story {receipt.story_id} received" in m for m in messages)
    for secret in (TITLE, "TITLE-b41e", "STORY-TEXT-9d2c", EMAIL, PHONE, CREDITED_NAME,
                   receipt.code, normalize_receipt_code(receipt.code)):
        assert not any(secret in m for m in messages), secret
        assert secret not in caplog.text
