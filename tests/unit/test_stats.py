"""The dashboard's letter figures: per day from the created_at index, the total from the tallies."""

from __future__ import annotations

from datetime import timedelta

from letters.stats import letters_by_state, letters_per_day, letters_total
from letters.submit import submit_letter
from portal.db import utcnow
from tests.unit.test_submit import make_draft


def test_letters_per_day_counts_each_day_of_the_window_zeros_included(runtime):
    now = utcnow()
    for n, days_ago in enumerate([0, 0, 3, 59, 75]):  # the last one is outside the window
        submit_letter(runtime, make_draft(n), now=now - timedelta(days=days_ago))
    per_day = dict(letters_per_day(runtime, days=60))
    assert len(per_day) == 61 and sum(per_day.values()) == 4
    assert per_day[now.date().isoformat()] == 2
    assert per_day[(now - timedelta(days=3)).date().isoformat()] == 1
    assert per_day[(now - timedelta(days=59)).date().isoformat()] == 1
    assert per_day[(now - timedelta(days=10)).date().isoformat()] == 0


def test_the_total_is_every_letter_stored_and_states_are_counted(runtime):
    assert letters_total(runtime) == 0
    for n in range(3):
        submit_letter(runtime, make_draft(n))
    submit_letter(runtime, make_draft(0, key="another-form"), replace=True)  # a replacement adds none
    assert letters_total(runtime) == 3
    assert sum(n for _state, n in letters_by_state(runtime)) == 3
