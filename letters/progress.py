"""The campaign's goal ladder: a goal that moves up once it is reached, so the bar is never full.

The rungs are the base goal times 1, 2, 5, 10, 20, 50, 100, ... and the goal shown is the smallest
rung above the current count.
"""

from __future__ import annotations

from dataclasses import dataclass

_STEPS = (1, 2, 5)


@dataclass(frozen=True)
class Progress:
    count: int
    goal: int
    fraction: float  # count / goal, in [0, 1]


def goal_for(count: int, base_goal: int) -> int:
    """The smallest rung of base_goal x (1, 2, 5, 10, 20, 50, ...) strictly greater than `count`."""
    if base_goal < 1:
        raise ValueError(f"base_goal must be at least 1, got {base_goal}")
    if count < 0:
        raise ValueError(f"count cannot be negative, got {count}")
    decade = 1
    while True:  # one pass per power of ten: a dozen passes even for counts in the trillions
        for step in _STEPS:
            rung = base_goal * step * decade
            if rung > count:
                return rung
        decade *= 10


def progress(count: int, base_goal: int) -> Progress:
    """How far `count` is towards its current goal."""
    goal = goal_for(count, base_goal)
    return Progress(count=count, goal=goal, fraction=min(1.0, max(0.0, count / goal)))
