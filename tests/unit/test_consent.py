"""Per-purpose consent: the versioned texts, the answers and their record (SAFETY.md S1-S2)."""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from stories.consent import (CONSENT_DIR, PURPOSES, WITHDRAWN, ConsentAnswers, answers_of,
                             check_answers, consent_text, current_version, load_consent_texts)
from stories.intake import submit_story
from stories.models import AgeConfirmation, ConsentChange, Credit
from stories.withdrawal import narrow_consent
from tests.unit.story_fixtures import load_story, submission

OLD = "2026-11"
OLD_SENTENCE = "Publish my story on this website."
NEW_SENTENCE = "Publish my story on this website, with a link to share it."


def render(msg) -> str:
    return msg.render(lambda s: s)


# --- the texts -------------------------------------------------------------------------------

def test_every_version_has_english_and_spanish():
    languages = defaultdict(set)
    for version, language in load_consent_texts():
        languages[version].add(language)
    assert OLD in languages
    for version, found in languages.items():
        assert {"en", "es"} <= found, version


@pytest.mark.parametrize("key", sorted(load_consent_texts()), ids="/".join)
def test_no_part_of_a_consent_text_is_empty(key):
    text = load_consent_texts()[key]
    assert text.before_you_start.strip() and text.intro.strip()
    assert set(text.purposes) == set(PURPOSES)
    for purpose in PURPOSES:
        assert text.purposes[purpose].strip(), purpose
    assert text.credit_question.strip() and text.age_question.strip()
    assert set(text.credit_options) == set(Credit)
    assert set(text.age_options) == set(AgeConfirmation)
    assert all(v.strip() for v in [*text.credit_options.values(), *text.age_options.values()])


@pytest.mark.parametrize("key", sorted(load_consent_texts()), ids="/".join)
def test_hash_is_the_sha256_of_exactly_the_text_shown(key):
    text = load_consent_texts()[key]
    assert text.sha256 == hashlib.sha256(text.shown_text().encode()).hexdigest()
    shown = text.shown_text()
    # Every purpose, every credit and age option is part of what was hashed.
    for part in [text.intro, *text.purposes.values(), text.credit_question,
                 *text.credit_options.values(), text.age_question, *text.age_options.values()]:
        assert part in shown


def test_english_and_spanish_texts_hash_differently():
    versions = {version for version, _ in load_consent_texts()}
    for version in versions:
        en, es = consent_text("en", version), consent_text("es", version)
        assert en.language == "en" and es.language == "es"
        assert en.sha256 != es.sha256
        assert "Publicar mi historia" in es.shown_text()


def test_a_language_without_translation_gets_the_english_text():
    assert consent_text("pt").sha256 == consent_text("en").sha256


def test_the_repository_version_is_current():
    assert current_version() == max(v for v, _ in load_consent_texts())
    assert consent_text("en").version == current_version()


def copy_version(src_root, dst_root, name, *, replace=None):
    shutil.copytree(src_root / OLD, dst_root / name)
    if replace:
        path = dst_root / name / "en.toml"
        source = path.read_text(encoding="utf-8")
        assert replace[0] in source
        path.write_text(source.replace(*replace), encoding="utf-8")


def test_a_new_version_folder_becomes_current_and_old_stories_keep_the_old_version(tmp_path, runtime):
    copy_version(CONSENT_DIR, tmp_path, OLD)
    old_text = consent_text("en", directory=tmp_path)
    assert old_text.version == OLD
    story_id = submit_story(runtime, submission(shown=old_text)).story_id

    # Someone edits the wording: a new folder, never an edit of the published one.
    copy_version(CONSENT_DIR, tmp_path, "2026-12", replace=(OLD_SENTENCE, NEW_SENTENCE))
    load_consent_texts.cache_clear()  # the portal restarts with the new folder
    try:
        assert current_version(tmp_path) == "2026-12"
        new_text = consent_text("en", directory=tmp_path)
        assert new_text.version == "2026-12"
        assert NEW_SENTENCE in new_text.shown_text()
        assert new_text.sha256 != old_text.sha256
        # The old version is still there, word for word, to prove what the first storyteller saw.
        assert consent_text("en", OLD, directory=tmp_path).sha256 == old_text.sha256

        later = submit_story(runtime, submission(shown=new_text)).story_id
        first = load_story(runtime, story_id).consent_events
        assert [(e.text_version, e.text_sha256) for e in first] == [(OLD, old_text.sha256)]
        second = load_story(runtime, later).consent_events
        assert [(e.text_version, e.text_sha256) for e in second] == [("2026-12", new_text.sha256)]

        # A later narrowing is recorded under the text shown then; the first event is unchanged.
        receipt = submit_story(runtime, submission(shown=old_text))
        assert narrow_consent(runtime, receipt.code, ConsentAnswers(
            keep_for_review=True, publish=True, press=False, quote=True), new_text)
        events = load_story(runtime, receipt.story_id).consent_events
        assert [(e.change, e.text_version, e.text_sha256) for e in events] == [
            (ConsentChange.GIVEN, OLD, old_text.sha256),
            (ConsentChange.NARROWED, "2026-12", new_text.sha256)]
    finally:
        load_consent_texts.cache_clear()


def test_a_consent_file_missing_a_purpose_stops_the_start(tmp_path):
    copy_version(CONSENT_DIR, tmp_path, OLD, replace=('press = "', 'pres = "'))
    load_consent_texts.cache_clear()
    try:
        with pytest.raises(KeyError):
            load_consent_texts(tmp_path)
    finally:
        load_consent_texts.cache_clear()


# --- the answers (S1) ------------------------------------------------------------------------

def test_every_box_starts_unticked():
    fresh = ConsentAnswers()
    assert not any(getattr(fresh, p) for p in PURPOSES)
    assert fresh.credit is Credit.NONE and fresh.age is None


def test_keep_for_review_is_required_and_says_the_rest_may_be_no():
    answers = ConsentAnswers(publish=True, press=True, quote=True, age=AgeConfirmation.ADULT)
    errors = check_answers(answers, has_photo=False, credited_name="")
    assert set(errors) == {"keep_for_review"}
    message = render(errors["keep_for_review"])
    assert "keep it for review" in message and "say no to every other use" in message


def test_age_must_be_confirmed():
    errors = check_answers(ConsentAnswers(keep_for_review=True), has_photo=False, credited_name="")
    assert set(errors) == {"age"}
    assert "parent or guardian" in render(errors["age"])


@pytest.mark.parametrize("age", list(AgeConfirmation))
def test_an_adult_or_a_guardian_may_submit(age):
    assert check_answers(ConsentAnswers(keep_for_review=True, age=age), has_photo=False,
                         credited_name="") == {}


def test_photo_consent_without_a_photo_is_an_error():
    answers = ConsentAnswers(keep_for_review=True, photo=True, age=AgeConfirmation.ADULT)
    errors = check_answers(answers, has_photo=False, credited_name="")
    assert set(errors) == {"photo"}
    assert check_answers(answers, has_photo=True, credited_name="") == {}


@pytest.mark.parametrize("credit, name, error", [
    (Credit.FULL_NAME, "", True),
    (Credit.FULL_NAME, "Rosa Quintana", False),
    (Credit.FIRST_NAME, "", True),
    (Credit.FIRST_NAME, "Rosa", False),
    (Credit.NONE, "", False),
])
def test_being_named_needs_a_name(credit, name, error):
    answers = ConsentAnswers(keep_for_review=True, credit=credit, age=AgeConfirmation.ADULT)
    errors = check_answers(answers, has_photo=False, credited_name=name)
    assert set(errors) == ({"credited_name"} if error else set())


def test_saying_no_to_every_use_still_allows_submitting():
    answers = ConsentAnswers(keep_for_review=True, publish=False, press=False, quote=False,
                             photo=False, credit=Credit.NONE, age=AgeConfirmation.GUARDIAN)
    assert check_answers(answers, has_photo=True, credited_name="") == {}


def test_all_problems_are_reported_at_once():
    answers = ConsentAnswers(photo=True, credit=Credit.FULL_NAME)
    errors = check_answers(answers, has_photo=False, credited_name="")
    assert set(errors) == {"keep_for_review", "photo", "credited_name", "age"}


# --- narrowing -------------------------------------------------------------------------------

BASE = ConsentAnswers(keep_for_review=True, publish=True, press=True, quote=False, photo=True,
                      credit=Credit.FIRST_NAME, age=AgeConfirmation.ADULT)


def with_(**changes) -> ConsentAnswers:
    return ConsentAnswers(**{**BASE.__dict__, **changes})


@pytest.mark.parametrize("other, narrowing", [
    (BASE, True),                                  # no change allows nothing new
    (with_(press=False), True),
    (with_(publish=False, press=False, photo=False), True),
    (with_(credit=Credit.NONE), True),             # first name -> no name
    (WITHDRAWN, True),                             # everything off
    (with_(quote=True), False),                    # a use they had refused
    (with_(press=False, quote=True), False),       # one off, one on is still a widening
    (with_(credit=Credit.FULL_NAME), False),       # first name -> full name
    (with_(age=AgeConfirmation.GUARDIAN), True),   # age is not a permission
], ids=["same", "press-off", "three-off", "credit-first-to-none", "withdrawn", "quote-on",
        "swap", "credit-first-to-full", "age"])
def test_narrowed_to(other, narrowing):
    assert BASE.narrowed_to(other) is narrowing


@pytest.mark.parametrize("before, after, narrowing", [
    (Credit.FULL_NAME, Credit.FIRST_NAME, True),
    (Credit.FULL_NAME, Credit.NONE, True),
    (Credit.FIRST_NAME, Credit.NONE, True),
    (Credit.NONE, Credit.NONE, True),
    (Credit.NONE, Credit.FIRST_NAME, False),
    (Credit.NONE, Credit.FULL_NAME, False),
    (Credit.FIRST_NAME, Credit.FULL_NAME, False),
])
def test_credit_order_is_none_first_name_full_name(before, after, narrowing):
    assert with_(credit=before).narrowed_to(with_(credit=after)) is narrowing


def test_keep_for_review_cannot_be_given_back_once_off():
    off = with_(keep_for_review=False)
    assert not off.narrowed_to(BASE)
    assert BASE.narrowed_to(off)


def test_answers_of_reads_the_current_consent(runtime):
    receipt = submit_story(runtime, submission(answers=ConsentAnswers(
        keep_for_review=True, publish=True, quote=True, credit=Credit.NONE,
        age=AgeConfirmation.GUARDIAN)))
    story = load_story(runtime, receipt.story_id)
    assert answers_of(story) == ConsentAnswers(keep_for_review=True, publish=True, quote=True,
                                               age=AgeConfirmation.GUARDIAN)
    assert story.consent_events[0].recorded_at.tzinfo is UTC
    assert story.consent_events[0].recorded_at <= datetime.now(UTC)
