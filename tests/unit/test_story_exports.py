"""Press exports (SAFETY.md E1-E4) and the export ledger (S6).

Stories are built directly in the database in every state that must NOT reach the press, next to
the ones that may. Each file is opened again and every part of it searched for what must not be
there: the original words, contact details, a surname when only the first name may be printed.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.accounts_models import AuditEntry
from portal.audit import Actor
from portal.office_files import printable
from stories.consent import consent_text
from stories.exports import (ANONYMOUS, STORY_HEADERS, TERMS_OF_USE, PressStory, press_stories,
                             write_press_kit_docx, write_stories_xlsx)
from stories.intake import photos_dir
from stories.ledger import export_stories, recall_list, record_export
from stories.ledger_models import ExportItem, ExportRecord
from stories.models import Connection, Credit, Story, StoryContact, StoryStatus
from stories.photos import store_photo
from stories.receipts import new_receipt_code, receipt_hash
from stories.withdrawal import withdraw_story
from tests.unit.office_file_checks import (core_properties, empty_or_absent, field, formula_count,
                                           leaks, open_sheet_rows, zip_parts)
from tests.unit.story_fixtures import clean_jpeg

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
ACTOR = Actor(moderator_id=None, email="cli")

ORIGINAL = "ORIGINAL-SENTINEL"
PUBLISHED = "PUBLISHED-TEXT"
EMAIL = "contact-sentinel-7f3a@example.org"
PHONE = "+1 915 555 0199"
SURNAME = "SURNAME-SENTINEL"
# Sentinels of stories that must never be exported, whatever the file.
NOT_FOR_PRESS = ["NOPRESS-SENTINEL", "INREVIEW-SENTINEL", "WITHDRAWN-SENTINEL", "REJECTED-SENTINEL",
                 "LEGAL-SENTINEL", "NONE-CREDIT-SENTINEL"]
MUST_NOT_APPEAR = [ORIGINAL, EMAIL, PHONE, SURNAME, *NOT_FOR_PRESS]


def add_story(runtime, *, status=StoryStatus.APPROVED, press=True, publication: str | None = None,
              pub_title: str = "", credit=Credit.NONE, credited_name="", photo=False,
              consent_photo=False, language="es", state="TX", version=1, code=None) -> int:
    """One story straight into the database, with its original words marked ORIGINAL-SENTINEL."""
    cipher = runtime.cipher
    code = code or new_receipt_code()
    photo_name = store_photo(clean_jpeg(), photos_dir(runtime), cipher.fernet) if photo else None
    with runtime.db.session(write=True) as s:
        story = Story(
            receipt_hash=receipt_hash(cipher, code), status=status, language=language, state=state,
            connection=Connection.SEPARATED, title_enc=cipher.encrypt(f"{ORIGINAL} title"),
            text_enc=cipher.encrypt(f"{ORIGINAL} the original words, with the A-number 123456789"),
            consent_publish=True, consent_press=press, consent_photo=consent_photo, credit=credit,
            photo_name=photo_name, publication_title_enc=cipher.encrypt(pub_title),
            publication_text_enc=cipher.encrypt(publication), version=version,
            approved_at=NOW - timedelta(days=2) if status is StoryStatus.APPROVED else None,
            submitted_at=NOW - timedelta(days=10), status_changed_at=NOW - timedelta(days=2))
        s.add(story)
        s.flush()
        s.add(StoryContact(story_id=story.id, email_enc=cipher.encrypt(EMAIL),
                           phone_enc=cipher.encrypt(PHONE),
                           credited_name_enc=cipher.encrypt(credited_name)))
        return story.id


@pytest.fixture
def stories(runtime):
    """The stories that may go to the press (by name) and those that may not."""
    ids = {}
    ids["first_name"] = add_story(
        runtime, publication=f"{PUBLISHED} one: they took my father at the port of entry.",
        pub_title="PUBLISHED-TITLE one", credit=Credit.FIRST_NAME,
        credited_name=f"Rosalinda {SURNAME}", photo=True, consent_photo=True, version=3)
    ids["full_name"] = add_story(
        runtime, publication=f"{PUBLISHED} two: four months apart.", pub_title="PUBLISHED-TITLE two",
        credit=Credit.FULL_NAME, credited_name="Marta Quintanilla-Zepeda", photo=True,
        consent_photo=False, language="en", state="AZ")
    ids["no_credit"] = add_story(
        runtime, publication=f"{PUBLISHED} three: my sister was seven.", pub_title="PUBLISHED-TITLE three",
        credit=Credit.NONE, credited_name="NONE-CREDIT-SENTINEL")
    # Not for the press, each for a different reason.
    add_story(runtime, press=False, publication="NOPRESS-SENTINEL approved, no press consent")
    add_story(runtime, publication=None)  # approved, press consent, no publication version yet
    add_story(runtime, status=StoryStatus.IN_REVIEW, publication="INREVIEW-SENTINEL")
    add_story(runtime, status=StoryStatus.WITHDRAWN, publication="WITHDRAWN-SENTINEL")
    add_story(runtime, status=StoryStatus.REJECTED, publication="REJECTED-SENTINEL")
    add_story(runtime, status=StoryStatus.NEEDS_LEGAL_REVIEW, publication="LEGAL-SENTINEL")
    return ids


def exported(runtime) -> list[PressStory]:
    with runtime.db.session() as s:
        return list(press_stories(runtime, s))


def xlsx_bytes(stories_list, **kwargs) -> bytes:
    out = io.BytesIO()
    write_stories_xlsx(out, stories_list, campaign=kwargs.get("campaign", "Families Together"),
                       exported_at=NOW)
    return out.getvalue()


def docx_bytes(stories_list, photos=None) -> bytes:
    out = io.BytesIO()
    write_press_kit_docx(out, stories_list, campaign="Families Together", exported_at=NOW, photos=photos)
    return out.getvalue()


def press_story(story_id=1, *, title="A title", text="A text", credit="", state="TX", language="en",
                photo_name=None, version=1) -> PressStory:
    return PressStory(id=story_id, version=version, title=title, text=text, credit=credit,
                      state=state, language=language, approved_at=NOW, photo_name=photo_name)


def photo_loader(runtime):
    from stories.photos import load_photo

    return lambda name: load_photo(name, photos_dir(runtime), runtime.cipher.fernet)


# --- which stories, which fields (E1) ---

def test_only_approved_stories_with_press_consent_and_a_publication_version_are_exported(runtime, stories):
    found = exported(runtime)
    assert [s.id for s in found] == sorted(stories.values())
    assert all(s.text.startswith(PUBLISHED) for s in found)
    assert not any(ORIGINAL in s.title + s.text for s in found)


def test_credit_is_only_what_the_storyteller_allowed(runtime, stories):
    by_id = {s.id: s for s in exported(runtime)}
    assert by_id[stories["first_name"]].credit == "Rosalinda"
    assert by_id[stories["full_name"]].credit == "Marta Quintanilla-Zepeda"
    assert by_id[stories["no_credit"]].credit == ""


def test_photo_only_when_its_use_was_allowed(runtime, stories):
    by_id = {s.id: s for s in exported(runtime)}
    assert by_id[stories["first_name"]].photo_name is not None
    assert by_id[stories["full_name"]].photo_name is None  # a photo is stored, but not allowed


def test_a_story_whose_press_consent_is_narrowed_disappears_from_the_next_export(runtime, stories):
    with runtime.db.session(write=True) as s:
        s.get(Story, stories["full_name"]).consent_press = False
    assert stories["full_name"] not in [s.id for s in exported(runtime)]


# --- the spreadsheet (E2-E4) ---

def test_xlsx_has_the_publication_text_and_nothing_it_must_not(runtime, stories):
    data = xlsx_bytes(exported(runtime))
    header, *rows = open_sheet_rows(data, "Stories")
    assert header == STORY_HEADERS
    assert [row[0] for row in rows] == sorted(stories.values())
    assert all(field(header, row, "publication text").startswith(PUBLISHED) for row in rows)
    assert {field(header, row, "credit") for row in rows} == {"Rosalinda", "Marta Quintanilla-Zepeda", ""}
    assert rows[0][6].date() == (NOW - timedelta(days=2)).date()
    assert leaks(data, MUST_NOT_APPEAR) == []
    assert formula_count(data) == 0


def test_xlsx_summary_counts_and_states_the_terms(runtime, stories):
    data = xlsx_bytes(exported(runtime), campaign="Keep Families Together")
    summary = dict(open_sheet_rows(data, "Summary")[1:])
    assert summary["campaign"] == "Keep Families Together"
    assert summary["number of stories"] == 3
    assert summary["stories in language es"] == 2 and summary["stories in language en"] == 1
    assert summary["stories from state TX"] == 2 and summary["stories from state AZ"] == 1
    assert summary["export date"].date() == NOW.date()
    assert summary["terms of use"] == TERMS_OF_USE


def test_xlsx_properties_are_neutral(runtime, stories):
    xml = core_properties(xlsx_bytes(exported(runtime)))
    assert empty_or_absent(xml, "dc:creator") and empty_or_absent(xml, "cp:lastModifiedBy")
    assert "Stories for the press" in xml


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\n", "\t=", "\r", "\r\n=", " ="])
def test_formula_like_text_stays_text_with_quote_prefix(start):
    payload = f"{start}HYPERLINK(\"http://evil.invalid\",\"click\")"
    data = xlsx_bytes([press_story(title=payload, text=payload, credit=payload)])
    assert formula_count(data) == 0
    sheet = load_workbook(io.BytesIO(data))["Stories"]
    header = [c.value for c in sheet[1]]
    row = sheet[2]
    for name in ("title", "publication text", "credit"):
        cell = row[header.index(name)]
        assert cell.data_type == "s"
        assert cell.value == printable(payload)
        assert cell.quotePrefix is True


def test_control_characters_are_removed_and_the_file_opens():
    text = "Mi\x00 papá\x01 fue\x0b deportado\x1b en\x7f 2018\ufffe.\r\nFin\x0c."
    data = xlsx_bytes([press_story(title="Tí\x08tulo", text=text)])
    header, row = open_sheet_rows(data, "Stories")
    assert field(header, row, "publication text") == "Mi papá fue deportado en 2018.\nFin."
    assert field(header, row, "title") == "Título"
    docx = Document(io.BytesIO(docx_bytes([press_story(title="Tí\x08tulo", text=text)])))
    body = "\n".join(p.text for p in docx.paragraphs)
    assert "Mi papá fue deportado en 2018." in body and "\x00" not in body


def test_a_70000_character_value_is_split_across_columns_never_cut():
    long_title = ("Título largo " * 6000)[:70_000]
    long_text = "=" + ("palabra " * 9000)[:69_999]
    data = xlsx_bytes([press_story(1, title=long_title, text=long_text), press_story(2)])
    header, first, second = open_sheet_rows(data, "Stories")
    assert "title (continued)" in header and "publication text (continued 2)" in header
    assert field(header, first, "title") == long_title
    assert field(header, first, "publication text") == long_text
    assert field(header, second, "publication text") == "A text"
    assert formula_count(data) == 0


@given(st.text())
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_any_text_survives_the_xlsx_export_minus_control_characters(text):
    data = xlsx_bytes([press_story(title=text, text=text, credit=text)])
    assert formula_count(data) == 0
    header, row = open_sheet_rows(data, "Stories")
    # The model of "only control characters removed", written independently of the code:
    # line ends become LF, a tab a space, and what XML cannot hold or is a control character goes.
    expected = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    expected = "".join(ch for ch in expected if ch == "\n" or not (
        ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF
        or ch in "\ufffe\uffff"))
    for name in ("title", "publication text", "credit"):
        assert field(header, row, name) == expected


# --- the press kit (E1, E3, E4) ---

def test_docx_press_kit_has_a_cover_and_one_story_per_section_with_its_id_in_the_footer(runtime, stories):
    data = docx_bytes(exported(runtime), photos=photo_loader(runtime))
    doc = Document(io.BytesIO(data))
    cover = "\n".join(p.text for p in doc.paragraphs[:8])
    assert "Families Together" in cover and "Number of stories: 3" in cover and "2026-11-20" in cover
    assert TERMS_OF_USE in cover
    ids = sorted(stories.values())
    sections = doc.sections
    assert len(sections) == 1 + len(ids)
    assert [s.footer.paragraphs[0].text for s in sections[1:]] == [f"Story {i}" for i in ids]
    assert all(not s.footer.is_linked_to_previous for s in sections[1:])
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "PUBLISHED-TITLE one" in body and f"{PUBLISHED} two" in body
    assert "Credit: Rosalinda" in body and "Credit: Marta Quintanilla-Zepeda" in body
    assert ANONYMOUS in body


def test_docx_holds_nothing_it_must_not(runtime, stories):
    data = docx_bytes(exported(runtime), photos=photo_loader(runtime))
    assert leaks(data, MUST_NOT_APPEAR) == []
    xml = core_properties(data)
    assert empty_or_absent(xml, "dc:creator") and empty_or_absent(xml, "cp:lastModifiedBy")
    assert empty_or_absent(xml, "dc:description") and "python-docx" not in xml


def test_docx_embeds_only_the_allowed_photo_without_metadata(runtime, stories):
    from PIL import Image

    data = docx_bytes(exported(runtime), photos=photo_loader(runtime))
    media = {name: content for name, content in zip_parts(data).items() if name.startswith("word/media/")}
    assert len(media) == 1  # the full-name story's photo was not allowed
    image = Image.open(io.BytesIO(next(iter(media.values()))))
    assert "exif" not in image.info and not image.getexif()
    # and it sits on the first story's page, in its section
    doc = Document(io.BytesIO(data))
    assert len(doc.inline_shapes) == 1


def test_docx_without_a_photo_loader_has_no_photos(runtime, stories):
    data = docx_bytes(exported(runtime))
    assert not [name for name in zip_parts(data) if name.startswith("word/media/")]


# --- the ledger (S6) ---

def audit_rows(runtime):
    with runtime.db.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == "export")
                              .order_by(AuditEntry.id)))


def test_export_records_exactly_the_story_versions_written(runtime, stories):
    out = io.BytesIO()
    count = export_stories(runtime, ACTOR, out, fmt="xlsx", outlet="El Paso Times",
                           campaign="Families Together", now=NOW)
    assert count == 3
    header, *rows = open_sheet_rows(out.getvalue(), "Stories")
    with runtime.db.session() as s:
        export = s.scalar(select(ExportRecord))
        items = sorted((i.story_id, i.story_version) for i in s.scalars(select(ExportItem)))
    assert items == sorted([(stories["first_name"], 3), (stories["full_name"], 1), (stories["no_credit"], 1)])
    assert [row[0] for row in rows] == [story_id for story_id, _ in items]
    assert (export.kind, export.outlet, export.actor, export.item_count) == ("stories-xlsx", "El Paso Times", "cli", 3)


def test_recall_list_names_every_export_of_a_story_even_after_withdrawal(runtime):
    code = new_receipt_code()
    story_id = add_story(runtime, publication=f"{PUBLISHED} to be withdrawn", code=code)
    other = add_story(runtime, publication=f"{PUBLISHED} another")
    export_stories(runtime, ACTOR, io.BytesIO(), fmt="xlsx", outlet="Univision", campaign="FT", now=NOW)
    with runtime.db.session(write=True) as s:
        s.get(Story, story_id).version = 2  # a moderator edited the publication version
    export_stories(runtime, ACTOR, io.BytesIO(), fmt="docx", outlet="AP",
                   campaign="FT", now=NOW + timedelta(hours=1))

    assert withdraw_story(runtime, code, consent_text("es"))
    with runtime.db.session() as s:
        recall = recall_list(s, story_id)
        assert [(r.outlet, r.kind, r.story_version, r.actor) for r in recall] == [
            ("Univision", "stories-xlsx", 1, "cli"), ("AP", "stories-docx", 2, "cli")]
        assert recall[0].at < recall[1].at
        assert len(recall_list(s, other)) == 2
    # and the withdrawn story is in no later export
    out = io.BytesIO()
    assert export_stories(runtime, ACTOR, out, fmt="xlsx", outlet="AP", campaign="FT") == 1
    assert "to be withdrawn" not in str(open_sheet_rows(out.getvalue(), "Stories"))
    with runtime.db.session() as s:
        assert len(recall_list(s, story_id)) == 2


def test_each_export_adds_one_audit_row_without_story_text(runtime, stories):
    export_stories(runtime, ACTOR, io.BytesIO(), fmt="xlsx", outlet="KFOX", campaign="FT", now=NOW)
    export_stories(runtime, ACTOR, io.BytesIO(), fmt="docx", outlet=None, campaign="FT", now=NOW)
    rows = audit_rows(runtime)
    assert len(rows) == 2
    assert all(r.actor == "cli" and r.story_id is None for r in rows)
    assert "stories-xlsx" in rows[0].detail and "3 items" in rows[0].detail and "KFOX" in rows[0].detail
    for row in rows:
        assert PUBLISHED not in row.detail and "PUBLISHED-TITLE" not in row.detail
        assert not any(secret in row.detail for secret in MUST_NOT_APPEAR)


def test_a_failed_ledger_write_records_nothing(runtime, stories, monkeypatch):
    import stories.ledger as ledger

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ledger, "record_export", broken)
    with pytest.raises(RuntimeError):
        export_stories(runtime, ACTOR, io.BytesIO(), fmt="xlsx", outlet="X", campaign="FT")
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ExportRecord)) == 0
    assert audit_rows(runtime) == []


def test_record_export_refuses_unknown_kinds_duplicates_and_overlong_outlets(runtime):
    with runtime.db.session(write=True) as s:
        with pytest.raises(ValueError):
            record_export(s, ACTOR, kind="stories-csv", outlet=None, stories=[])
        with pytest.raises(ValueError):
            record_export(s, ACTOR, kind="stories-xlsx", outlet=None, stories=[(1, 1), (1, 2)])
        with pytest.raises(ValueError):
            record_export(s, ACTOR, kind="stories-xlsx", outlet="x" * 201, stories=[])
    with pytest.raises(ValueError):
        export_stories(runtime, ACTOR, io.BytesIO(), fmt="csv", outlet=None, campaign="FT")


def changing_after_the_first_story(monkeypatch, change):
    """Make `change` happen once, while the file is being written (after its first story)."""
    import stories.exports as exports

    real = exports.press_stories
    calls = []

    def press_stories(runtime, session):
        calls.append(1)
        found = real(runtime, session)
        first = next(found, None)
        if first is not None:
            if len(calls) == 1:
                change()
            yield first
        yield from found

    monkeypatch.setattr(exports, "press_stories", press_stories)
    return calls


@pytest.mark.parametrize("change", ["withdrawn", "credit narrowed", "press consent narrowed"])
def test_a_story_changed_while_the_file_is_written_is_not_in_the_file_or_the_ledger(
        runtime, stories, monkeypatch, change):
    target = stories["full_name"]

    def happen():
        with runtime.db.session(write=True) as s:
            story = s.get(Story, target)
            if change == "withdrawn":
                story.status, story.consent_press = StoryStatus.WITHDRAWN, False
            elif change == "credit narrowed":
                story.credit = Credit.FIRST_NAME
            else:
                story.consent_press = False

    calls = changing_after_the_first_story(monkeypatch, happen)
    out = io.BytesIO()
    count = export_stories(runtime, ACTOR, out, fmt="xlsx", outlet="AP", campaign="FT", now=NOW)
    assert len(calls) == 2  # the first file was thrown away and made again
    rows = open_sheet_rows(out.getvalue(), "Stories")[1:]
    with runtime.db.session() as s:
        items = sorted(s.scalars(select(ExportItem.story_id)))
    if change == "credit narrowed":  # still for the press, now under its first name only
        assert count == 3 and items == sorted(stories.values())
        assert "Quintanilla-Zepeda" not in str(rows) and "Marta" in str(rows)
    else:
        assert count == 2 and target not in items and [row[0] for row in rows] == items
        assert "four months apart" not in str(rows)


def test_an_unseekable_stream_is_refused_when_a_story_changed_and_nothing_is_recorded(
        runtime, stories, monkeypatch):
    from stories.ledger import StoriesChanged

    class Unseekable(io.BytesIO):
        def seekable(self):
            return False

    def withdraw():
        with runtime.db.session(write=True) as s:
            s.get(Story, stories["no_credit"]).status = StoryStatus.WITHDRAWN

    changing_after_the_first_story(monkeypatch, withdraw)
    with pytest.raises(StoriesChanged):
        export_stories(runtime, ACTOR, Unseekable(), fmt="docx", outlet="AP", campaign="FT")
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(ExportRecord)) == 0
    assert audit_rows(runtime) == []


@pytest.mark.sqlite_only(reason="holds and probes the SQLite write lock")
def test_other_writers_are_not_kept_waiting_while_the_file_is_written(runtime, stories, monkeypatch):
    import sqlite3

    def write_elsewhere():
        # A writer that gives up at once if the export held the database's write lock.
        conn = sqlite3.connect(runtime.config.database_url.removeprefix("sqlite:///"), timeout=0.05,
                               isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("UPDATE stories SET year = 2019 WHERE id = ?", (stories["no_credit"],))
            conn.execute("COMMIT")
        finally:
            conn.close()

    changing_after_the_first_story(monkeypatch, write_elsewhere)
    assert export_stories(runtime, ACTOR, io.BytesIO(), fmt="xlsx", outlet="AP", campaign="FT") == 3


@pytest.mark.parametrize("n", [0, 1, 4096, 8197])
def test_the_written_stories_come_back_whole_and_in_order_from_their_spool(n, tmp_path):
    from stories.ledger import _Written

    stories = [press_story(i, version=i % 7) for i in range(1, n + 1)]
    with (tmp_path / "spool").open("w+b") as spool:
        written = _Written(spool)
        assert list(written.tracked(stories)) == stories
        assert len(written) == n
        for _twice in range(2):
            assert list(written) == [(s.id, s.version) for s in stories]
        assert [key for _i, _v, key in written._triples()] == [s.state_key for s in stories]


def test_an_export_with_no_stories_is_still_a_valid_file_and_recorded(runtime):
    out = io.BytesIO()
    assert export_stories(runtime, ACTOR, out, fmt="docx", outlet="AP", campaign="FT") == 0
    doc = Document(io.BytesIO(out.getvalue()))
    assert "Number of stories: 0" in "\n".join(p.text for p in doc.paragraphs)
    with runtime.db.session() as s:
        assert s.scalar(select(ExportRecord.item_count)) == 0


# --- the command line ---

@pytest.fixture
def cli_env(data_dir, monkeypatch):
    from tests.conftest import portal_environ

    for name, value in portal_environ(data_dir).items():
        monkeypatch.setenv(name, value)
    return data_dir


@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_cli_exports_stories_to_a_private_file_and_records_it(cli_env, runtime, stories, tmp_path,
                                                              capsys, fmt):
    import stat

    from portal.cli import main

    out = tmp_path / f"press.{fmt}"
    assert main(["export", "stories", "--format", fmt, "--out", str(out), "--for", "Univision"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = out.read_bytes()
    if fmt == "xlsx":
        assert [row[0] for row in open_sheet_rows(data, "Stories")[1:]] == sorted(stories.values())
    else:
        assert len(Document(io.BytesIO(data)).sections) == 4
    assert leaks(data, MUST_NOT_APPEAR) == []
    printed = capsys.readouterr().out
    assert "wrote 3 stories" in printed and PUBLISHED not in printed
    with runtime.db.session() as s:
        assert [e.outlet for e in recall_list(s, stories["first_name"])] == ["Univision"]


@pytest.mark.parametrize("args,message", [
    (["--format", "csv"], "unknown format"),
    (["--format", "xlsx", "--status", "in_review"], "only approved"),
    (["--format", "xlsx", "--for", "x" * 201], "longer than"),
])
def test_cli_story_export_errors_are_one_line_with_exit_2(cli_env, tmp_path, capsys, args, message):
    from portal.cli import main

    out = tmp_path / "press.out"
    assert main(["export", "stories", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_cli_never_overwrites_an_existing_file(cli_env, tmp_path, capsys):
    from portal.cli import main

    out = tmp_path / "press.xlsx"
    out.write_bytes(b"earlier")
    assert main(["export", "stories", "--format", "xlsx", "--out", str(out)]) == 2
    assert out.read_bytes() == b"earlier"
    assert "already exists" in capsys.readouterr().err
