"""Removing a story's content for good, leaving no bytes behind (SAFETY.md D2).

Withdrawn stories are purged at once; rejected ones after a retention period. On SQLite,
`secure_delete` zeroes freed cells and pages in place, and a WAL checkpoint removes the old page
images from the write-ahead log. No VACUUM: it would add nothing to that and rewrite the whole
database under the write lock (88 s at 100,000 stories and a million letters, while no letter
could be stored).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.runtime import Runtime
from stories.models import Story, StoryStatus
from stories.search_terms import forget_story

log = logging.getLogger(__name__)

REJECTED_RETENTION_DAYS = 30


def purge_content(session: Session, story: Story, runtime: Runtime, now: datetime) -> None:
    """Drop the story's words, photo and contact details; keep the bare row and consent history."""
    from stories.intake import photos_dir
    from stories.photos import delete_photo

    if story.photo_name:
        delete_photo(story.photo_name, photos_dir(runtime))
    story.title_enc = None
    story.text_enc = None
    story.publication_title_enc = None
    story.publication_text_enc = None
    story.photo_name = None
    forget_story(session, story.id)
    if story.contact is not None:
        session.delete(story.contact)
    story.purged_at = now


def scrub_database_file(runtime: Runtime) -> None:
    """On SQLite, push deleted bytes out of the WAL (secure_delete has zeroed them in the file)."""
    if runtime.db.dialect != "sqlite":
        return
    with runtime.db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        if not _checkpoint(conn):
            # A reader still holds old pages; the next purge run checkpoints them away.
            log.warning("write-ahead log not fully checkpointed; run purge again later")


def _checkpoint(conn, attempts: int = 20) -> bool:
    """Truncate the WAL; readers can hold it for a moment, so try a few times."""
    for _attempt in range(attempts):
        busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return True
        time.sleep(0.05)
    return False


@dataclass(frozen=True)
class PurgeReport:
    withdrawn: int
    rejected: int


def purge(runtime: Runtime, *, retention_days: int = REJECTED_RETENTION_DAYS,
          now: datetime | None = None) -> PurgeReport:
    """Purge withdrawn stories now and rejected ones older than the retention period."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    counts = {"withdrawn": 0, "rejected": 0}

    def work(session: Session) -> None:
        due = session.scalars(select(Story).where(
            Story.purged_at.is_(None),
            or_(Story.status == StoryStatus.WITHDRAWN,
                (Story.status == StoryStatus.REJECTED) & (Story.status_changed_at <= cutoff))))
        for story in due:
            purge_content(session, story, runtime, now)
            counts["withdrawn" if story.status == StoryStatus.WITHDRAWN else "rejected"] += 1

    runtime.db.run(work)
    scrub_database_file(runtime)
    log.info("purged %d withdrawn and %d rejected stories", counts["withdrawn"], counts["rejected"])
    return PurgeReport(**counts)
