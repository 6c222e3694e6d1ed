"""Aggregate figures about letters for the dashboard, each one read from an index or a tally."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, select

from letters.models import CampaignTally, Letter
from portal.db import utcnow
from portal.runtime import Runtime


def letters_per_day(runtime: Runtime, *, days: int = 60) -> list[tuple[str, int]]:
    """(YYYY-MM-DD, letters) for the last `days` days, days without letters included as 0.

    One range count per day on the created_at index: a GROUP BY on date(created_at) would compute
    the date of every letter and sort them all, several times slower at a million letters.
    """
    since = utcnow() - timedelta(days=days)
    first = since.date()
    every_day = [first + timedelta(days=i) for i in range(days + 1)]
    counts = []
    with runtime.db.session() as session:
        for day in every_day:
            start = datetime.combine(day, time.min, tzinfo=timezone.utc)
            counts.append(session.scalar(select(func.count()).select_from(Letter).where(
                Letter.created_at >= max(start, since),
                Letter.created_at < start + timedelta(days=1))) or 0)
    return [(day.isoformat(), n) for day, n in zip(every_day, counts)]


def letters_by_state(runtime: Runtime) -> list[tuple[str, int]]:
    """(state, letters), most letters first."""
    with runtime.db.session() as session:
        rows = session.execute(select(Letter.state, func.count()).group_by(Letter.state)
                               .order_by(func.count().desc())).all()
    return [(state, n) for state, n in rows]


def letters_total(runtime: Runtime) -> int:
    """Every letter stored: the sum of the campaign tallies kept in step with each insert."""
    with runtime.db.session() as session:
        return session.scalar(select(func.sum(CampaignTally.letters))) or 0
