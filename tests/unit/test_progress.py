"""The goal ladder: base x (1, 2, 5, 10, 20, 50, ...), always one rung above the count."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letters.progress import Progress, goal_for, progress


def ladder(base: int, *, below: int) -> list[int]:
    """The rungs under `below`, written out the slow way."""
    rungs, decade = [], 1
    while base * decade < below:
        rungs += [base * step * decade for step in (1, 2, 5) if base * step * decade < below]
        decade *= 10
    return rungs


def is_rung(goal: int, base: int) -> bool:
    multiple, remainder = divmod(goal, base)
    if remainder:
        return False
    while multiple % 10 == 0:
        multiple //= 10
    return multiple in (1, 2, 5)


@pytest.mark.parametrize("count, base, goal", [
    (0, 1000, 1000),
    (999, 1000, 1000),
    (1000, 1000, 2000),
    (1999, 1000, 2000),
    (2000, 1000, 5000),
    (5000, 1000, 10000),
    (10000, 1000, 20000),
    (20000, 1000, 50000),
    (50000, 1000, 100000),
    (999999, 1000, 1000000),
    (1000000, 1000, 2000000),
    (0, 1, 1),
    (1, 1, 2),
    (4, 1, 5),
    (5, 1, 10),
    (7, 3, 15),
    (15, 3, 30),
])
def test_goal_table(count, base, goal):
    assert goal_for(count, base) == goal


@pytest.mark.parametrize("base", [0, -1, -1000])
def test_base_goal_below_one_is_rejected(base):
    with pytest.raises(ValueError):
        goal_for(10, base)
    with pytest.raises(ValueError):
        progress(10, base)


def test_negative_count_is_rejected():
    with pytest.raises(ValueError):
        goal_for(-1, 100)


@pytest.mark.parametrize("count, fraction", [(0, 0.0), (250, 0.25), (999, 0.999), (1000, 0.5), (3500, 0.7)])
def test_progress(count, fraction):
    result = progress(count, 1000)
    assert result == Progress(count=count, goal=goal_for(count, 1000), fraction=pytest.approx(fraction))


@given(count=st.integers(min_value=0, max_value=10**15), base=st.integers(min_value=1, max_value=10**6))
def test_goal_is_the_next_rung_above_the_count(count, base):
    goal = goal_for(count, base)
    assert goal > count
    assert goal >= base
    assert is_rung(goal, base)
    # Nothing lower on the ladder would do: every rung below the goal is already reached.
    assert all(rung <= count for rung in ladder(base, below=goal))
    result = progress(count, base)
    assert 0.0 <= result.fraction < 1.0
    assert result.goal == goal and result.count == count
