"""Stories for the press: a spreadsheet and a press kit (SAFETY.md E1-E4).

Only approved stories whose tellers agreed to press use, and only their publication (redacted)
version: the original words, contact details and moderator identities never reach these files.
The name to credit is only what the storyteller allowed, the photo only if they allowed it.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Callable, Iterable, Iterator

from docx import Document
from docx.enum.section import WD_SECTION
from docx.shared import Inches, Pt, RGBColor
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.office_files import (add_paragraphs, naive_utc, neutral_docx_properties, new_workbook,
                                 one_line, write_table)
from portal.runtime import Runtime
from stories.models import Credit, Story, StoryContact, StoryStatus

# Rows fetched per round trip: memory stays flat however many stories there are.
BATCH_SIZE = 500

TITLE_XLSX = "Stories for the press"
TITLE_DOCX = "Press kit"
STORY_HEADERS = ("id", "title", "publication text", "credit", "state", "language", "approval date")
TERMS_OF_USE = (
    "These stories were shared by families affected by immigration family separation, who agreed "
    "to their use by the press. Use each story only as given here: you may quote or shorten it, but "
    "do not alter its meaning or add details. Credit it exactly as shown, and where no name is "
    "shown, do not try to identify the storyteller or their family. Contact the campaign before "
    "publishing, so we can confirm the story is still available: a storyteller may withdraw a story "
    "at any time, and we will tell you if one you received is withdrawn. Do not pass these files on "
    "to others."
)
ANONYMOUS = "Do not name the storyteller"


@dataclass(frozen=True, slots=True)
class PressStory:
    """One story as it may go to the press: the publication version and what consent allows."""

    id: int
    version: int
    title: str
    text: str
    credit: str  # "" when no name may be printed
    state: str | None
    language: str
    approved_at: datetime | None
    photo_name: str | None  # only when the photo may be used
    credit_choice: Credit = Credit.NONE  # as the teller chose it when read (a narrowing changes it)

    @property
    def state_key(self) -> int:
        """What decides this story's part in a file; equal keys mean nothing it shows has changed."""
        return _state_key(self.version, self.credit_choice, self.photo_name)


def _state_key(version: int, credit: Credit, photo_name: str | None) -> int:
    return hash((version, credit.value, photo_name))


def _credit(credit: Credit, credited_name: str) -> str:
    name = one_line(credited_name)
    if credit is Credit.FULL_NAME:
        return name
    if credit is Credit.FIRST_NAME:
        # The first name only, even if more was stored (an older consent, a paper form).
        return name.split(" ")[0] if name else ""
    return ""


def _for_the_press(*columns):
    """The stories that may go to the press now, in id order, fetched in batches."""
    return (select(*columns)
            .where(Story.status == StoryStatus.APPROVED, Story.consent_press.is_(True),
                   Story.publication_text_enc.is_not(None))
            .order_by(Story.id)
            .execution_options(yield_per=BATCH_SIZE))


def press_stories(runtime: Runtime, session: Session) -> Iterator[PressStory]:
    """Every story that may go to the press, in id order, fetched in batches."""
    cipher = runtime.cipher
    # Plain columns, not ORM objects: nothing accumulates in the session's identity map, and the
    # original text, e-mail and phone are never even read.
    query = _for_the_press(
        Story.id, Story.version, Story.publication_title_enc, Story.publication_text_enc,
        Story.credit, Story.state, Story.language, Story.approved_at, Story.photo_name,
        Story.consent_photo, StoryContact.credited_name_enc,
    ).outerjoin(StoryContact, StoryContact.story_id == Story.id)
    # On the session's connection: a plain Core result, without the ORM's handling of each row.
    for row in session.connection().execute(query):
        credit = Credit.NONE if row.credit is None else row.credit
        yield PressStory(
            id=row.id, version=row.version,
            title=cipher.decrypt(row.publication_title_enc),
            text=cipher.decrypt(row.publication_text_enc),
            credit=_credit(credit, cipher.decrypt(row.credited_name_enc)) if credit is not Credit.NONE else "",
            state=row.state, language=row.language, approved_at=row.approved_at,
            photo_name=row.photo_name if row.consent_photo else None, credit_choice=credit)


def press_story_keys(session: Session) -> Iterator[tuple[int, int]]:
    """(id, state_key) of every story that may go to the press now, in id order; nothing decrypted."""
    query = _for_the_press(Story.id, Story.version, Story.credit, Story.photo_name, Story.consent_photo)
    for row in session.connection().execute(query):
        credit = Credit.NONE if row.credit is None else row.credit
        yield row.id, _state_key(row.version, credit, row.photo_name if row.consent_photo else None)


def write_stories_xlsx(stream: BinaryIO, stories: Iterable[PressStory], *, campaign: str,
                       exported_at: datetime) -> int:
    """Write the stories as a spreadsheet ("Stories" and "Summary" sheets); return how many."""
    wb = new_workbook(title=TITLE_XLSX, when=exported_at)
    sheet = wb.create_sheet("Stories")
    by_language: Counter[str] = Counter()
    by_state: Counter[str] = Counter()

    def rows() -> Iterator[tuple]:
        for story in stories:
            by_language[story.language] += 1
            by_state[story.state or ""] += 1
            approved = naive_utc(story.approved_at).date() if story.approved_at else None
            yield (story.id, story.title, story.text, story.credit, story.state or "",
                   story.language, approved)

    count = write_table(sheet, STORY_HEADERS, rows())

    summary = wb.create_sheet("Summary")
    lines: list[tuple] = [
        ("campaign", campaign),
        ("export date", naive_utc(exported_at).date()),
        ("number of stories", count),
        *((f"stories in language {language}", n) for language, n in sorted(by_language.items())),
        *((f"stories from state {state or '(not given)'}", n) for state, n in sorted(by_state.items())),
        ("terms of use", TERMS_OF_USE),
    ]
    write_table(summary, ("item", "value"), lines)
    wb.save(stream)
    return count


def _footer(section, text: str) -> None:
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    paragraph.text = text


def write_press_kit_docx(stream: BinaryIO, stories: Iterable[PressStory], *, campaign: str,
                         exported_at: datetime,
                         photos: Callable[[str], bytes | None] | None = None) -> int:
    """Write a press kit: a cover page, then one story per page with its id in the footer."""
    doc = Document()
    when = naive_utc(exported_at).date().isoformat()
    doc.add_heading(one_line(campaign), level=0)
    doc.add_paragraph(f"Stories for the press, exported {when}")
    count_paragraph = doc.add_paragraph()
    doc.add_heading("Terms of use", level=2)
    doc.add_paragraph(TERMS_OF_USE)
    _footer(doc.sections[0], one_line(campaign))

    count = 0
    for story in stories:
        count += 1
        section = doc.add_section(WD_SECTION.NEW_PAGE)
        _footer(section, f"Story {story.id}")
        doc.add_heading(one_line(story.title) or f"Story {story.id}", level=1)
        credit = doc.add_paragraph().add_run(
            f"Credit: {one_line(story.credit)}" if story.credit else ANONYMOUS)
        credit.italic = True
        details = " · ".join(part for part in (story.state, story.language) if part)
        if details:
            note = doc.add_paragraph().add_run(details)
            note.font.size = Pt(9)
            note.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
        if story.photo_name and photos is not None:
            data = photos(story.photo_name)
            if data:
                doc.add_picture(io.BytesIO(data), width=Inches(4))
        add_paragraphs(doc, story.text)
    count_paragraph.text = f"Number of stories: {count}"
    neutral_docx_properties(doc, title=TITLE_DOCX, when=exported_at)
    doc.save(stream)
    return count
