"""Searching stories by word while their text stays encrypted."""

from __future__ import annotations

from sqlalchemy import func, select

from stories.consent import ConsentAnswers
from stories.intake import submit_story
from stories.models import AgeConfirmation, Story, StoryTerm
from stories.search_terms import matching, term_hash, words
from stories.withdrawal import withdraw_story
from tests.unit.story_fixtures import submission


def find(runtime, query):
    with runtime.db.session() as s:
        return set(s.scalars(select(Story.id).where(matching(runtime.cipher, query))))


def test_words_fold_case_and_accents():
    assert words("Separación en la FRONTERA, niños!") == {"separacion", "en", "la", "frontera", "ninos"}


def test_stories_are_found_by_every_word_of_the_query(runtime):
    answers = ConsentAnswers(keep_for_review=True, age=AgeConfirmation.ADULT)
    a = submit_story(runtime, submission(title="Cuatro meses", answers=answers,
                     text="Nos separaron en El Paso y mi hija tenía seis años."))
    b = submit_story(runtime, submission(title="Volvimos a casa", answers=answers,
                     text="Mi hija volvió después de seis semanas en un albergue."))
    assert find(runtime, "hija seis") == {a.story_id, b.story_id}
    assert find(runtime, "HIJA albergue") == {b.story_id}
    assert find(runtime, "Paso") == {a.story_id}
    assert find(runtime, "nadie") == set()
    assert matching(runtime.cipher, "  ,. ") is None


def test_terms_are_keyed_hashes_and_go_with_a_withdrawal(runtime):
    answers = ConsentAnswers(keep_for_review=True, age=AgeConfirmation.ADULT)
    receipt = submit_story(runtime, submission(answers=answers))
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StoryTerm)) > 3
    # Without the key, a word's hash cannot be computed: it differs from a plain hash of the word.
    import hashlib
    plain = int.from_bytes(hashlib.sha256(b"hija").digest()[:8], "big") >> 1
    assert term_hash(runtime.cipher, "hija") != plain
    from stories.consent import consent_text
    withdraw_story(runtime, receipt.code, consent_text("en"))
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(StoryTerm)) == 0
