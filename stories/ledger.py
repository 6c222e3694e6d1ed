"""Recording what left the portal, so a withdrawal can name who already has the story (SAFETY.md S6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit import Actor, record
from portal.db import utcnow
from portal.runtime import Runtime
from portal.text import clean_text
from stories.ledger_models import ExportItem, ExportRecord

KINDS = frozenset({"stories-xlsx", "stories-docx", "letters-xlsx", "letters-xlsx-emails",
                   "letters-docx"})
FORMATS = ("xlsx", "docx")
OUTLET_MAX = 200


@dataclass(frozen=True)
class RecallEntry:
    """One export that included a story: whom to tell if the story is withdrawn."""

    export_id: int
    at: datetime
    kind: str
    outlet: str | None
    actor: str
    story_version: int


def clean_outlet(outlet: str | None) -> str | None:
    """The outlet's name as it is recorded; ValueError when it is too long to record whole."""
    text = clean_text(outlet)
    if len(text) > OUTLET_MAX:
        raise ValueError(f"the outlet's name is longer than {OUTLET_MAX} characters")
    return text or None


def record_export(session: Session, actor: Actor, *, kind: str, outlet: str | None,
                  stories: list[tuple[int, int]], now: datetime | None = None,
                  item_count: int | None = None) -> ExportRecord:
    """Add the export, its (story id, version) items and one audit entry, in the caller's transaction.

    `item_count` is for exports of other things than stories (letters), which have no items.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    ids = [story_id for story_id, _version in stories]
    if len(set(ids)) != len(ids):
        raise ValueError("a story appears twice in one export")
    now = now or utcnow()
    outlet = clean_outlet(outlet)
    count = len(stories) if item_count is None else item_count
    export = ExportRecord(at=now, moderator_id=actor.moderator_id, actor=clean_text(actor.email)[:254],
                          kind=kind, outlet=outlet, item_count=count)
    session.add(export)
    session.flush()
    session.add_all(ExportItem(export_id=export.id, story_id=story_id, story_version=version)
                    for story_id, version in stories)
    # Who, what and how many; the outlet is the moderator's own label. Never any story text.
    record(session, actor, "export", now=now,
           detail=f"export {export.id}: {kind}, {count} items, for {outlet or '(not given)'}")
    return export


def recall_list(session: Session, story_id: int) -> list[RecallEntry]:
    """Every export that included the story, oldest first (it outlives a withdrawal and a purge)."""
    rows = session.execute(
        select(ExportRecord, ExportItem.story_version)
        .join(ExportItem, ExportItem.export_id == ExportRecord.id)
        .where(ExportItem.story_id == story_id)
        .order_by(ExportRecord.at, ExportRecord.id))
    return [RecallEntry(export_id=export.id, at=export.at, kind=export.kind, outlet=export.outlet,
                        actor=export.actor, story_version=version)
            for export, version in rows]


def export_stories(runtime: Runtime, actor: Actor, stream: BinaryIO, *, fmt: str,
                   outlet: str | None, campaign: str, now: datetime | None = None) -> int:
    """Write the press stories to `stream` as xlsx or docx and record them; return how many.

    Reading the stories, writing the file and recording the ledger happen in one write
    transaction: a withdrawal waits for it, so its recall list is complete, and if recording
    fails the caller gets the error and must discard what was written. The ledger holds exactly
    the (id, version) pairs handed to the file writer.
    """
    from stories.exports import press_stories, write_press_kit_docx, write_stories_xlsx

    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use xlsx or docx")
    outlet = clean_outlet(outlet)
    now = now or utcnow()
    seekable = getattr(stream, "seekable", lambda: False)()
    start = stream.tell() if seekable else 0

    def work(session: Session) -> int:
        if seekable:  # a retry after a busy database starts the file again
            stream.seek(start)
            stream.truncate()
        written: list[tuple[int, int]] = []

        def tracked():
            for story in press_stories(runtime, session):
                written.append((story.id, story.version))
                yield story

        if fmt == "xlsx":
            write_stories_xlsx(stream, tracked(), campaign=campaign, exported_at=now)
        else:
            write_press_kit_docx(stream, tracked(), campaign=campaign, exported_at=now,
                                 photos=_photo_loader(runtime))
        record_export(session, actor, kind=f"stories-{fmt}", outlet=outlet, stories=written, now=now)
        return len(written)

    return runtime.db.run(work, attempts=5 if seekable else 1)


def _photo_loader(runtime: Runtime):
    from stories.intake import photos_dir
    from stories.photos import load_photo

    folder = photos_dir(runtime)

    def load(name: str) -> bytes | None:
        # Stored photos were re-encoded from pixels at intake (I3): they carry no metadata.
        try:
            return load_photo(name, folder, runtime.cipher.fernet)
        except FileNotFoundError:
            return None  # a photo deleted since (narrowed consent): the story goes without it

    return load
