"""Recording what left the portal, so a withdrawal can name who already has the story (SAFETY.md S6)."""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, BinaryIO, Iterable, Iterator

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal.audit import Actor, record
from portal.db import utcnow
from portal.i18n import N_
from portal.runtime import Runtime
from portal.text import clean_text
from stories.ledger_models import ExportItem, ExportRecord

if TYPE_CHECKING:
    from stories.exports import PressStory

KINDS = frozenset({"stories-xlsx", "stories-docx", "letters-xlsx", "letters-xlsx-emails",
                   "letters-docx"})
FORMATS = ("xlsx", "docx")
OUTLET_MAX = 200
ITEMS_PER_INSERT = 1000
# How often a file is made again when stories keep changing while it is written.
EXPORT_ATTEMPTS = 3


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


def _has_duplicates(stories: Collection[tuple[int, int]]) -> bool:
    ids = (story_id for story_id, _version in stories)
    previous = next(ids, None)
    for story_id in ids:
        if story_id <= previous:  # not in id order (never from an export): check them all
            return len({i for i, _version in stories}) != len(stories)
        previous = story_id
    return False


def record_export(session: Session, actor: Actor, *, kind: str, outlet: str | None,
                  stories: Collection[tuple[int, int]], now: datetime | None = None,
                  item_count: int | None = None) -> ExportRecord:
    """Add the export, its (story id, version) items and one audit entry, in the caller's transaction.

    `item_count` is for exports of other things than stories (letters), which have no items.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown export kind {kind!r}")
    if _has_duplicates(stories):
        raise ValueError("a story appears twice in one export")
    now = now or utcnow()
    outlet = clean_outlet(outlet)
    count = len(stories) if item_count is None else item_count
    export = ExportRecord(at=now, moderator_id=actor.moderator_id, actor=clean_text(actor.email)[:254],
                          kind=kind, outlet=outlet, item_count=count)
    session.add(export)
    session.flush()
    # Core inserts in batches, on the session's connection: an export of 100,000 stories makes
    # no ORM objects, and holds one batch of rows in memory at a time.
    items, pairs = ExportItem.__table__, iter(stories)
    while batch := list(islice(pairs, ITEMS_PER_INSERT)):
        session.connection().execute(insert(items), [
            {"export_id": export.id, "story_id": story_id, "story_version": version}
            for story_id, version in batch])
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


class StoriesChanged(Exception):
    """A story in the file changed while it was written (withdrawn, narrowed, edited, decided)."""

    message = N_("Some stories changed while the file was being prepared: one was withdrawn, or "
                 "its consent or its text changed. Please prepare the file again.")


class _Written:
    """The stories written to a file, in id order: id, version and state key of each.

    The ledger needs every (id, version) pair and the final check every state key. They go to a
    private temporary file in blocks of machine integers (nothing a story says), so the memory an
    export takes does not grow with the number of stories.
    """

    _BLOCK = 3 * 4096  # integers: 4,096 stories

    def __init__(self, spool: BinaryIO):
        self._spool = spool
        self._block = array("q")
        self._count = 0

    def tracked(self, stories: Iterable[PressStory]) -> Iterator[PressStory]:
        for story in stories:
            self._block.extend((story.id, story.version, story.state_key))
            self._count += 1
            if len(self._block) >= self._BLOCK:
                self._block.tofile(self._spool)
                del self._block[:]
            yield story

    def __len__(self) -> int:
        return self._count

    def _triples(self) -> Iterator[tuple[int, int, int]]:
        self._spool.seek(0)
        left = self._count * 3 - len(self._block)
        while left:
            block = array("q")
            block.fromfile(self._spool, min(left, self._BLOCK))
            left -= len(block)
            yield from zip(block[0::3], block[1::3], block[2::3])
        yield from zip(self._block[0::3], self._block[1::3], self._block[2::3])

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((story_id, version) for story_id, version, _key in self._triples())

    def unchanged(self, session: Session) -> bool:
        """True when every story written may still go to the press exactly as it was written."""
        from stories.exports import press_story_keys

        current = press_story_keys(session)
        for story_id, _version, key in self._triples():
            # Both in id order: walk the current press stories up to this one.
            for found_id, found_key in current:
                if found_id >= story_id:
                    break
            else:
                return False  # no longer for the press (withdrawn, narrowed, decided otherwise)
            if found_id != story_id or found_key != key:
                return False
        return True


def export_stories(runtime: Runtime, actor: Actor, stream: BinaryIO, *, fmt: str,
                   outlet: str | None, campaign: str, now: datetime | None = None) -> int:
    """Write the press stories to `stream` as xlsx or docx and record them; return how many.

    The stories are read in one read-only transaction, a consistent snapshot that holds no lock
    other writers wait for: letters and decisions go on being stored during a long export. Then
    one short write transaction checks that no story in the file has changed since it was read,
    and records the export in the ledger; a withdrawal either comes before that check, and the
    file is made again without the story, or after it, and finds the export on its recall list.
    If a story changed, the file is made again (a stream that cannot be rewound gets
    StoriesChanged instead, as does one that keeps changing). If recording fails the caller
    gets the error and must discard what was written. The ledger holds exactly the (id,
    version) pairs handed to the file writer.
    """
    from stories.exports import press_stories, write_press_kit_docx, write_stories_xlsx

    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use xlsx or docx")
    outlet = clean_outlet(outlet)
    now = now or utcnow()
    seekable = getattr(stream, "seekable", lambda: False)()
    start = stream.tell() if seekable else 0
    attempts = EXPORT_ATTEMPTS if seekable else 1

    for attempt in range(1, attempts + 1):
        if seekable:  # a story changed since: the file starts again
            stream.seek(start)
            stream.truncate()
        with tempfile.TemporaryFile() as spool:
            written = _Written(spool)
            with runtime.db.session() as session:
                stories = written.tracked(press_stories(runtime, session))
                if fmt == "xlsx":
                    write_stories_xlsx(stream, stories, campaign=campaign, exported_at=now)
                else:
                    write_press_kit_docx(stream, stories, campaign=campaign, exported_at=now,
                                         photos=_photo_loader(runtime))

            def work(session: Session) -> int:
                if not written.unchanged(session):
                    raise StoriesChanged()
                record_export(session, actor, kind=f"stories-{fmt}", outlet=outlet,
                              stories=written, now=now)
                return len(written)

            try:
                return runtime.db.run(work)
            except StoriesChanged:
                if attempt == attempts:
                    raise
    raise AssertionError("unreachable")


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
