"""Aggregate figures about letters for the dashboard: each one a single GROUP BY."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from letters.models import Letter
from portal.db import utcnow
from portal.runtime import Runtime


def letters_per_day(runtime: Runtime, *, days: int = 60) -> list[tuple[str, int]]:
    """(YYYY-MM-DD, letters) for the last `days` days, days without letters included as 0."""
    since = utcnow() - timedelta(days=days)
    day = func.date(Letter.created_at)
    with runtime.db.session() as session:
        found = {str(d): n for d, n in session.execute(
            select(day, func.count()).where(Letter.created_at >= since).group_by(day))}
    start = since.date()
    every_day = [(start + timedelta(days=i)).isoformat() for i in range(days + 1)]
    return [(d, found.get(d, 0)) for d in every_day]


def letters_by_state(runtime: Runtime) -> list[tuple[str, int]]:
    """(state, letters), most letters first."""
    with runtime.db.session() as session:
        rows = session.execute(select(Letter.state, func.count()).group_by(Letter.state)
                               .order_by(func.count().desc())).all()
    return [(state, n) for state, n in rows]


def letters_total(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(Letter)) or 0


