"""Helpers shared by the story tests: a complete submission, a clean photo, the raw database bytes."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from stories.consent import ConsentAnswers, consent_text
from stories.intake import ContactFields, StoryFields, StorySubmission, photos_dir
from stories.models import AgeConfirmation, ConsentEvent, Connection, Credit, Story, StoryContact

TITLE = "Mi papá en Tornillo TITLE-b41e"
TEXT = ("They took my father at the port of entry and we did not see him for four months. "
        "STORY-TEXT-9d2c")
EMAIL = "rosa.contact-5e1a@example.org"
PHONE = "+52 55 1234 5678"
CREDITED_NAME = "Rosalinda Quintanilla-Zepeda"

# Every use allowed except the photo, and the storyteller is an adult.
GENEROUS = ConsentAnswers(keep_for_review=True, publish=True, press=True, quote=True, photo=False,
                          credit=Credit.NONE, age=AgeConfirmation.ADULT)
# Only what is needed to submit.
MINIMAL = ConsentAnswers(keep_for_review=True, age=AgeConfirmation.ADULT)


def story_fields(**changes) -> StoryFields:
    values = dict(title=TITLE, text=TEXT, language="es", state="TX",
                  connection=Connection.FAMILY_MEMBER, year=2018)
    values.update(changes)
    return StoryFields(**values)


def submission(*, answers: ConsentAnswers = GENEROUS, language: str = "es", shown=None,
               credited_name: str = "", contact: ContactFields = ContactFields(), photo=None,
               **fields) -> StorySubmission:
    """A complete submission; `shown` is the ConsentText shown (the current one in `language`)."""
    return StorySubmission(story=story_fields(**fields), answers=answers,
                           consent_text=shown or consent_text(language),
                           credited_name=credited_name, contact=contact, photo=photo)


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    img = Image.new("RGB", size, "red")
    img.paste("blue", (size[0] // 2, 0, size[0], size[1]))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def clean_jpeg():
    from stories.photos import clean_photo

    return clean_photo(jpeg_bytes())


def stored_photos(runtime) -> list[Path]:
    folder = photos_dir(runtime)
    return sorted(folder.iterdir()) if folder.exists() else []


DB_FILES = ("portal.db", "portal.db-wal", "portal.db-shm")


def raw_database(data_dir: Path) -> bytes:
    """Every byte of the SQLite database and its WAL and shared-memory files, as on disk."""
    return b"".join((data_dir / name).read_bytes() for name in DB_FILES if (data_dir / name).exists())


def row_counts(runtime) -> tuple[int, int, int]:
    with runtime.db.session() as s:
        return tuple(s.scalar(select(func.count()).select_from(model))
                     for model in (Story, ConsentEvent, StoryContact))


def load_story(runtime, story_id: int) -> Story:
    """The story with its contact and consent events loaded (usable after the session ends)."""
    with runtime.db.session() as s:
        story = s.get(Story, story_id)
        story.contact, list(story.consent_events)  # noqa: B018 - load the relationships now
        return story
