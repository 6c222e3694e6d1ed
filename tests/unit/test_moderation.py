"""Moderators' work on stories: queue, review, redaction, decisions, conflicts, audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.accounts_models import AuditEntry, Moderator
from portal.audit import Actor
from portal.db import utcnow
from stories.consent import ConsentAnswers, consent_text
from stories.intake import submit_story
from stories.models import AgeConfirmation, Story, StoryStatus
from stories.moderation import (EditConflict, NotAllowed, QueueFilters, decide, load_review,
                                open_story, process_withdrawal, queue, redact_all,
                                save_publication, status_counts)
from stories.withdrawal import withdraw_story
from tests.unit.story_fixtures import submission

ANSWERS = ConsentAnswers(keep_for_review=True, publish=True, press=True, age=AgeConfirmation.ADULT)


@pytest.fixture
def moderators(runtime):
    with runtime.db.session(write=True) as s:
        ana = Moderator(email="ana@campaign.org", password_hash="x")
        ben = Moderator(email="ben@campaign.org", password_hash="x")
        s.add_all([ana, ben])
        s.flush()
        return Actor(ana.id, ana.email), Actor(ben.id, ben.email)


def add(runtime, **fields):
    answers = fields.pop("answers", ANSWERS)
    return submit_story(runtime, submission(answers=answers, **fields))


def audit(runtime):
    with runtime.db.session() as s:
        return [(e.actor, e.action, e.story_id, e.detail) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_queue_filters_and_searches_in_sql(runtime):
    a = add(runtime, title="En la frontera", text="Nos separaron en la frontera de Texas por semanas.",
            state="TX")
    b = add(runtime, title="At the border", text="They took my daughter at the border in Arizona.",
            state="AZ", answers=ConsentAnswers(keep_for_review=True, age=AgeConfirmation.ADULT))
    with runtime.db.session(write=True) as s:
        s.get(Story, b.story_id).language = "en"
    everything = QueueFilters()
    assert {r.id for r in queue(runtime, everything).rows} == {a.story_id, b.story_id}
    assert [r.id for r in queue(runtime, QueueFilters(language="es")).rows] == [a.story_id]
    assert [r.id for r in queue(runtime, QueueFilters(state="AZ")).rows] == [b.story_id]
    assert [r.id for r in queue(runtime, QueueFilters(press_consent=True)).rows] == [a.story_id]
    assert [r.id for r in queue(runtime, QueueFilters(search="daughter")).rows] == [b.story_id]
    assert queue(runtime, QueueFilters(search="daughter frontera")).total == 0
    assert queue(runtime, QueueFilters(has_photo=True)).total == 0
    today = utcnow().date()
    assert queue(runtime, QueueFilters(submitted_from=today, submitted_to=today)).total == 2
    assert queue(runtime, QueueFilters(submitted_to=today - timedelta(days=1))).total == 0
    assert queue(runtime, QueueFilters(statuses=(StoryStatus.APPROVED,))).total == 0


def test_queue_pages_newest_first(runtime):
    ids = [add(runtime).story_id for _ in range(7)]
    first = queue(runtime, QueueFilters(), per_page=3)
    assert (first.total, first.pages) == (7, 3)
    assert [r.id for r in first.rows] == ids[::-1][:3]
    last = queue(runtime, QueueFilters(), page=99, per_page=3)
    assert last.page == 2 and [r.id for r in last.rows] == [ids[0]]


def test_a_total_known_from_the_status_counts_is_not_counted_again(runtime):
    ids = [add(runtime).story_id for _ in range(4)]
    open_work = QueueFilters(statuses=(StoryStatus.NEW, StoryStatus.IN_REVIEW))
    assert open_work.status_only() and QueueFilters().status_only()
    assert not QueueFilters(statuses=(StoryStatus.NEW,), language="es").status_only()
    assert not QueueFilters(search="hija").status_only()
    counts = status_counts(runtime)
    given = queue(runtime, open_work, per_page=3,
                  total=counts[StoryStatus.NEW] + counts[StoryStatus.IN_REVIEW])
    assert given == queue(runtime, open_work, per_page=3)
    # A total a few seconds old only moves the page count; the rows are always current.
    stale = queue(runtime, open_work, per_page=3, total=2)
    assert (stale.pages, [r.id for r in stale.rows]) == (1, ids[::-1][:3])


def test_opening_moves_a_new_story_to_review_and_is_audited(runtime, moderators):
    ana, _ben = moderators
    receipt = add(runtime)
    assert open_story(runtime, ana, receipt.story_id)
    assert status_counts(runtime)[StoryStatus.IN_REVIEW] == 1
    assert audit(runtime) == [("ana@campaign.org", "open_story", receipt.story_id, None)]
    assert not open_story(runtime, ana, 999)


def test_second_moderator_is_told_and_a_stale_save_is_refused(runtime, moderators):
    ana, ben = moderators
    story_id = add(runtime).story_id
    open_story(runtime, ana, story_id)
    open_story(runtime, ben, story_id)
    seen_by_ben = load_review(runtime, ben, story_id)
    assert load_review(runtime, ana, story_id).other_reviewer == "ben@campaign.org"
    seen_by_ana = load_review(runtime, ana, story_id)
    save_publication(runtime, ben, story_id, expected_version=seen_by_ben.version,
                     title="Ben's title", text="Ben's careful redaction of the story text.")
    with pytest.raises(EditConflict):
        save_publication(runtime, ana, story_id, expected_version=seen_by_ana.version,
                         title="Ana's title", text="Ana's version, made from a stale copy.")
    assert load_review(runtime, ana, story_id).publication_title == "Ben's title"


def test_redaction_removes_detected_details():
    text = "My A-number is A123456789 and my e-mail is rosa@example.org. We were apart 4 months."
    redacted = redact_all(text)
    assert "A123456789" not in redacted and "rosa@example.org" not in redacted
    assert redacted.count("[removed]") == 2 and "We were apart 4 months." in redacted


def test_approval_needs_a_saved_publication_version(runtime, moderators):
    ana, _ben = moderators
    story_id = add(runtime).story_id
    review = load_review(runtime, ana, story_id)
    with pytest.raises(NotAllowed):
        decide(runtime, ana, story_id, StoryStatus.APPROVED, expected_version=review.version)
    version = save_publication(runtime, ana, story_id, expected_version=review.version,
                               title=review.original_title, text=redact_all(review.original_text))
    decide(runtime, ana, story_id, StoryStatus.APPROVED, expected_version=version)
    with runtime.db.session() as s:
        story = s.get(Story, story_id)
        assert story.status is StoryStatus.APPROVED and story.approved_at is not None
    # The original stays as written; only the publication version changed.
    assert load_review(runtime, ana, story_id).original_text == review.original_text


def test_rejection_needs_a_reason_and_it_is_audited_without_story_text(runtime, moderators):
    ana, _ben = moderators
    story_id = add(runtime, text="A sentence only the storyteller wrote, SENTINEL-TEXT-42.").story_id
    version = load_review(runtime, ana, story_id).version
    with pytest.raises(NotAllowed):
        decide(runtime, ana, story_id, StoryStatus.REJECTED, expected_version=version)
    decide(runtime, ana, story_id, StoryStatus.REJECTED, expected_version=version,
           reason="Duplicate of another submission")
    entries = audit(runtime)
    assert entries[-1] == ("ana@campaign.org", "reject", story_id, "Duplicate of another submission")
    assert not any("SENTINEL-TEXT-42" in str(e) for e in entries)


def test_withdrawn_story_cannot_be_edited_and_its_processing_is_audited(runtime, moderators):
    ana, _ben = moderators
    receipt = add(runtime)
    version = load_review(runtime, ana, receipt.story_id).version
    withdraw_story(runtime, receipt.code, consent_text("en"))
    review = load_review(runtime, ana, receipt.story_id)
    assert review.withdrawn_at is not None and review.original_text == ""
    with pytest.raises(NotAllowed):
        save_publication(runtime, ana, receipt.story_id, expected_version=version,
                         title="t", text="some text here")
    with pytest.raises(NotAllowed):
        decide(runtime, ana, receipt.story_id, StoryStatus.APPROVED, expected_version=version)
    process_withdrawal(runtime, ana, receipt.story_id)
    assert audit(runtime)[-1][1] == "withdrawal_processed"


def test_saved_publication_version_is_searchable_and_the_original_words_too(runtime, moderators):
    ana, _ben = moderators
    story_id = add(runtime, text="Mi hija Marisol estuvo en un albergue en Brownsville.").story_id
    version = load_review(runtime, ana, story_id).version
    save_publication(runtime, ana, story_id, expected_version=version, title="Un albergue",
                     text="Mi hija [removed] estuvo en un albergue.")
    assert queue(runtime, QueueFilters(search="albergue")).total == 1
    # Once redacted, the removed name no longer finds the story.
    assert queue(runtime, QueueFilters(search="Marisol")).total == 0


def test_date_filter_bounds_are_whole_days(runtime):
    add(runtime)
    today = utcnow().date()
    assert queue(runtime, QueueFilters(submitted_from=today + timedelta(days=1))).total == 0
    assert queue(runtime, QueueFilters(submitted_from=date(2000, 1, 1))).total == 1
