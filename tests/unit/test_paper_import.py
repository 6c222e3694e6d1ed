"""Paper forms imported from CSV: the web's checks, the form's consent version, nothing half-stored.

No assertion message here repeats a story's words or a contact detail (SAFETY.md L1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import time

import pytest
from sqlalchemy import func, select

from stories.consent import consent_text
from stories.models import ConsentEvent, Credit, IntakeMethod, Story, StoryContact, StoryStatus
from stories.paper_import import (CSV_COLUMNS, ImportedRow, csv_help, csv_template,
                                  import_stories)
from stories.withdrawal import story_status

VERSION = "2026-11"


def form(n: int = 0, **changes: str) -> dict[str, str]:
    row = {
        "title": f"Eleven months apart {n}",
        "story": "We were kept apart for eleven months. A volunteer helped us find each other.",
        "language": "en", "state": "TX", "connection": "separated", "year": "2019",
        "consent_keep_for_review": "yes", "consent_publish": "no", "consent_press": "Sí",
        "consent_quote": "1", "credit": "first_name", "credited_name": "Rosa", "age": "adult",
        "contact_email": "rosa@example.org", "contact_phone": "", "consent_form_version": VERSION,
        "consent_form_language": "es",
    }
    row.update(changes)
    return row


def to_csv(rows: list[dict[str, str]], columns=CSV_COLUMNS, delimiter=",") -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter)  # Excel dialect: CRLF, quotes where needed
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue()


def run(runtime, text: str, *, all_or_nothing: bool = True):
    return import_stories(runtime, io.StringIO(text, newline=""), all_or_nothing=all_or_nothing)


def story_count(runtime) -> int:
    with runtime.db.session() as s:
        return s.scalar(select(func.count()).select_from(Story))


def test_template_is_the_documented_header():
    assert csv_template() == ",".join(CSV_COLUMNS) + "\n"
    assert next(csv.reader(io.StringIO(csv_template()))) == list(CSV_COLUMNS)
    assert "photo" not in csv_template()
    help_text = csv_help()
    assert all(column in help_text for column in CSV_COLUMNS)
    assert VERSION in help_text


def test_good_file_imports_every_row_with_paper_consent_of_the_stated_version(runtime):
    rows = [form(0), form(1, consent_form_language="en", credit="none", credited_name="",
                          contact_email="", language="ES", connection="Witness"),
            form(2, consent_press="no", consent_quote="false", credit="full_name",
                 credited_name="Rosa Quintana", age="guardian", contact_phone="+52 55 1234 5678")]
    report = run(runtime, to_csv(rows))
    assert report.problems == []
    assert report.imported == 3
    assert [r.line for r in report.receipts] == [2, 3, 4]
    with runtime.db.session() as s:
        stories = s.scalars(select(Story).order_by(Story.id)).all()
        events = s.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
        contacts = {c.story_id: c for c in s.scalars(select(StoryContact))}
    assert [st.method for st in stories] == [IntakeMethod.PAPER] * 3
    assert [st.status for st in stories] == [StoryStatus.NEW] * 3
    assert [st.language for st in stories] == ["en", "es", "en"]
    assert len(events) == 3
    for event, language in zip(events, ["es", "en", "es"]):
        shown = consent_text(language, VERSION).shown_text()
        assert event.method is IntakeMethod.PAPER
        assert (event.text_version, event.language) == (VERSION, language)
        assert event.text_sha256 == hashlib.sha256(shown.encode("utf-8")).hexdigest()
        assert event.keep_for_review and not event.photo
    first, second, third = stories
    assert (first.consent_publish, first.consent_press, first.consent_quote) == (False, True, True)
    assert (third.consent_press, third.consent_quote, third.credit) == (False, False, Credit.FULL_NAME)
    assert events[2].age.value == "guardian"
    assert second.id not in contacts  # anonymous, no contact: nothing stored apart
    cipher = runtime.cipher
    assert cipher.decrypt(contacts[first.id].email_enc) == "rosa@example.org"
    assert cipher.decrypt(contacts[first.id].credited_name_enc) == "Rosa"
    assert cipher.decrypt(contacts[third.id].phone_enc) == "+52 55 1234 5678"
    for receipt in report.receipts:
        assert story_status(runtime, receipt.code).status is StoryStatus.NEW


@pytest.mark.parametrize("changes,column", [
    ({"consent_keep_for_review": "no"}, "consent_keep_for_review"),
    ({"consent_keep_for_review": ""}, "consent_keep_for_review"),
    ({"state": "ZZ"}, "state"),
    ({"language": "klingon"}, "language"),
    ({"year": "1800"}, "year"),
    ({"credit": "full_name", "credited_name": ""}, "credited_name"),
    ({"contact_email": "rosa-at-example"}, "contact_email"),
    ({"contact_phone": "call me"}, "contact_phone"),
    ({"consent_publish": "maybe"}, "consent_publish"),
    ({"credit": "nickname"}, "credit"),
    ({"age": ""}, "age"),
    ({"age": "child"}, "age"),
    ({"connection": "neighbour"}, "connection"),
    ({"title": ""}, "title"),
    ({"story": "Too short."}, "story"),
    ({"consent_form_version": "1999-01"}, "consent_form_version"),
    ({"consent_form_version": ""}, "consent_form_version"),
    ({"consent_form_language": "fr"}, "consent_form_language"),
])
def test_bad_row_is_reported_by_line_and_column_and_nothing_of_it_is_stored(runtime, changes, column):
    report = run(runtime, to_csv([form(0), form(1, **changes), form(2)]), all_or_nothing=False)
    assert [(p.line, p.field) for p in report.problems] == [(3, column)]
    message = report.problems[0].message
    assert message and "{" not in message
    for value in changes.values():  # a reason never repeats what the cell held
        assert len(value) < 4 or value not in message
    assert report.imported == 2 and [r.line for r in report.receipts] == [2, 4]
    assert story_count(runtime) == 2


def test_several_problems_in_one_row_are_all_reported(runtime):
    report = run(runtime, to_csv([form(0, state="ZZ", year="1800", contact_email="x")]))
    assert [(p.line, p.field) for p in report.problems] == [
        (2, "state"), (2, "year"), (2, "contact_email")]


def test_year_message_is_rendered_in_english_with_its_numbers(runtime):
    report = run(runtime, to_csv([form(0, year="1800")]))
    assert report.problems[0].message.startswith("Enter a year between 1990 and ")


def test_all_or_nothing_imports_nothing_when_one_row_is_bad(runtime):
    rows = [form(n) for n in range(5)]
    rows[3]["state"] = "ZZ"
    report = run(runtime, to_csv(rows), all_or_nothing=True)
    assert report.imported == 0 and report.receipts == []
    assert [(p.line, p.field) for p in report.problems] == [(5, "state")]
    assert report.rejected_lines == [5]
    assert story_count(runtime) == 0


def test_row_by_row_imports_the_good_rows(runtime):
    rows = [form(n) for n in range(5)]
    rows[1]["consent_keep_for_review"] = "n"
    rows[3]["language"] = ""
    report = run(runtime, to_csv(rows), all_or_nothing=False)
    assert report.imported == 3
    assert [r.line for r in report.receipts] == [2, 4, 6]
    assert report.rejected_lines == [3, 5]
    assert story_count(runtime) == 3


@pytest.mark.parametrize("word,expected", [
    ("yes", True), ("YES", True), ("y", True), ("True", True), ("1", True), ("sí", True),
    ("SÍ", True), ("Si", True), (" yes ", True), ("no", False), ("N", False), ("FALSE", False),
    ("0", False), ("", False)])
def test_yes_and_no_are_read_in_every_accepted_spelling(runtime, word, expected):
    report = run(runtime, to_csv([form(0, consent_publish=word)]))
    assert report.imported == 1
    with runtime.db.session() as s:
        assert s.scalar(select(Story.consent_publish)) is expected


def test_bom_crlf_and_a_story_with_line_breaks_are_read_like_excel_writes_them(runtime):
    text_with_breaks = "First paragraph of the story, long enough.\r\n\r\nSecond paragraph, \"quoted\", too."
    rows = [form(0, story=text_with_breaks), form(1, state="ZZ")]
    raw = to_csv(rows).encode("utf-8-sig")
    assert raw.startswith(b"\xef\xbb\xbf")
    # Decoded without stripping the BOM, as a stream opened with plain "utf-8" gives it.
    report = run(runtime, raw.decode("utf-8"), all_or_nothing=False)
    assert report.imported == 1
    # Line numbers are spreadsheet rows: the story's line breaks do not shift them.
    assert [(p.line, p.field) for p in report.problems] == [(3, "state")]
    with runtime.db.session() as s:
        stored = runtime.cipher.decrypt(s.scalar(select(Story.text_enc)))
    assert stored == text_with_breaks.replace("\r\n", "\n")


def test_semicolon_separated_files_from_european_spreadsheets_are_read(runtime):
    report = run(runtime, to_csv([form(0, story="One; two; three, and more words here.")],
                                 delimiter=";"))
    assert report.problems == [] and report.imported == 1


def test_columns_in_another_order_and_case_are_accepted(runtime):
    columns = tuple(reversed(CSV_COLUMNS))
    text = to_csv([form(0)], columns=columns)
    text = text.replace("consent_form_language", "Consent_Form_Language ", 1)
    assert run(runtime, text).imported == 1


def test_missing_and_unexpected_columns_are_named_and_nothing_is_imported(runtime):
    columns = tuple(c for c in CSV_COLUMNS if c not in ("age", "consent_press")) + ("photo",)
    report = run(runtime, to_csv([form(0)], columns=columns), all_or_nothing=False)
    assert report.imported == 0
    [problem] = report.problems
    assert (problem.line, problem.field) == (1, "header")
    assert "missing columns: consent_press, age" in problem.message
    assert "unexpected columns: photo" in problem.message
    assert story_count(runtime) == 0


def test_a_column_named_twice_is_refused(runtime):
    text = to_csv([], columns=CSV_COLUMNS + ("title",))
    [problem] = run(runtime, text).problems
    assert "columns named twice: title" in problem.message


@pytest.mark.parametrize("text", ["", "\ufeff", "\r\n\r\n  "])
def test_an_empty_file_is_reported(runtime, text):
    report = run(runtime, text)
    assert report.imported == 0
    assert [(p.line, p.field) for p in report.problems] == [(1, "file")]
    assert "empty" in report.problems[0].message


def test_a_header_alone_or_blank_trailing_rows_import_nothing_without_error(runtime):
    text = to_csv([]) + ",,,,,,,,,,,,,,,,\r\n\r\n"
    report = run(runtime, text)
    assert report.imported == 0 and report.problems == []


def test_a_row_with_too_many_or_too_few_cells_is_reported(runtime):
    good = to_csv([form(0)])
    header, row = good.splitlines()[:2]
    text = "\r\n".join([header, row + ",extra", ",".join(row.split(",")[:-2]), row]) + "\r\n"
    report = run(runtime, text, all_or_nothing=False)
    assert [(p.line, p.field) for p in report.problems] == [(2, "row"), (3, "row")]
    assert report.imported == 1 and report.receipts[0].line == 4


def test_a_cell_longer_than_csv_allows_stops_the_file(runtime):
    text = to_csv([form(0), form(1, story="x" * 200_000)])
    report = run(runtime, text, all_or_nothing=False)
    assert report.imported == 0
    assert [(p.line, p.field) for p in report.problems] == [(3, "file")]


def test_receipt_codes_stay_out_of_reprs():
    assert "SECRET" not in repr(ImportedRow(2, "SECRET-CODE"))


def test_ten_thousand_rows_import_in_one_transaction(runtime):
    rows = [form(n, contact_email="", credited_name="", credit="none") for n in range(10_001)]
    started = time.perf_counter()
    report = run(runtime, to_csv(rows), all_or_nothing=True)
    assert report.problems == [] and report.imported == 10_001
    assert report.receipts[-1].line == 10_002
    assert len({r.code for r in report.receipts}) == 10_001
    assert story_count(runtime) == 10_001
    assert time.perf_counter() - started < 60


def test_row_by_row_reports_a_row_the_store_refuses_and_keeps_the_other_codes(runtime, monkeypatch):
    from stories import paper_import
    from stories.intake import StoryRejected, submit_story

    calls = []

    def flaky(rt, submission, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise StoryRejected({"keep_for_review": paper_import.Msg("Refused.")})
        if len(calls) == 3:
            raise RuntimeError("disk trouble")
        return submit_story(rt, submission, **kwargs)

    monkeypatch.setattr(paper_import, "submit_story", flaky)
    report = run(runtime, to_csv([form(n) for n in range(4)]), all_or_nothing=False)
    assert [r.line for r in report.receipts] == [2, 5]
    assert [(p.line, p.field) for p in report.problems] == [
        (3, "consent_keep_for_review"), (4, "row")]
