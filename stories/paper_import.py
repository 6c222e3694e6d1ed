"""Importing stories collected on paper forms at events (SAFETY.md S1-S3, S5, I1, L1).

Each row of the CSV file is one paper form. It goes through the same checks as the web form
(`validate_story_fields`, `validate_contact`, `validate_credited_name`, `check_answers`) and is
stored the same way (`store_story`, or `submit_story` row by row), with the consent text of the
version and language printed on the form and `IntakeMethod.PAPER`. Photos are never imported.

Problems are reported by spreadsheet row number (the header is row 1) and column, in English for
the operator. No message ever repeats what a cell holds, so a report can be shown or logged
without leaking a story or a contact detail.
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping, TextIO

from portal.db import utcnow
from portal.i18n import Msg, translator
from portal.runtime import Runtime
from stories.consent import ConsentAnswers, ConsentText, check_answers, load_consent_texts
from stories.intake import (STORY_LANGUAGES, StoryRejected, StorySubmission, store_story,
                            submit_story, validate_contact, validate_credited_name,
                            validate_story_fields)
from stories.models import AgeConfirmation, Connection, Credit, IntakeMethod

log = logging.getLogger(__name__)

CSV_COLUMNS: tuple[str, ...] = (
    "title", "story", "language", "state", "connection", "year",
    "consent_keep_for_review", "consent_publish", "consent_press", "consent_quote",
    "credit", "credited_name", "age", "contact_email", "contact_phone",
    "consent_form_version", "consent_form_language",
)
FORM_LANGUAGES = ("en", "es")
YES = frozenset({"yes", "y", "true", "1", "sí", "si"})
NO = frozenset({"no", "n", "false", "0", ""})  # an unticked box on paper is a no
HEADER_LINE = 1

CSV_HELP = """\
Paper story import: one row per paper form, saved from a spreadsheet as "CSV UTF-8".
The first row is the header below (column names in any order, any case). Photos are not imported.
Problems are reported by spreadsheet row number; the header is row 1.

title                    required, at most 120 characters
story                    required, the story as written on the form (line breaks are kept)
language                 language of the story: {languages}
state                    optional, two-letter US state code (TX, CA, ...)
connection               separated, family_member, witness or other
year                     optional, the year it happened (1990 to this year)
consent_keep_for_review  must be yes (without it the story cannot be kept)
consent_publish          yes or no: publish on our site
consent_press            yes or no: give to reporters and partner organizations
consent_quote            yes or no: quote in supporters' letters and campaign materials
credit                   none, first_name or full_name (empty means none)
credited_name            the name to print; required when credit is first_name or full_name
age                      adult (18 or older) or guardian (a parent or guardian sharing)
contact_email            optional, for follow-up only
contact_phone            optional, with country code if outside the US
consent_form_version     the consent version printed on the form, e.g. {version}
consent_form_language    language of the printed consent form: en or es

Yes/no cells accept yes, no, y, n, true, false, 1, 0, si, sí in any case; an empty cell means no.
"""


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    message: str


@dataclass(frozen=True)
class ImportedRow:
    line: int
    # The receipt code opens the story: kept out of reprs so a logged report cannot leak it.
    code: str = field(repr=False)


@dataclass
class ImportReport:
    imported: int
    problems: list[RowProblem]
    receipts: list[ImportedRow] = field(default_factory=list)

    @property
    def rejected_lines(self) -> list[int]:
        """The rows (or the header, line 1) that kept something from being imported."""
        return sorted({p.line for p in self.problems})


def csv_template() -> str:
    """The header line of an import file."""
    return ",".join(CSV_COLUMNS) + "\n"


def csv_help() -> str:
    """CSV_HELP with the current allowed values filled in (for the README and the CLI)."""
    versions = sorted({v for v, _lang in load_consent_texts()})
    return CSV_HELP.format(languages=", ".join(STORY_LANGUAGES), version=versions[-1])


# Which CSV column each checker's field names.
_COLUMN_OF = {"title": "title", "text": "story", "language": "language", "state": "state",
              "connection": "connection", "year": "year", "email": "contact_email",
              "phone": "contact_phone", "keep_for_review": "consent_keep_for_review",
              "credited_name": "credited_name", "age": "age", "photo": "consent_photo"}


@dataclass(frozen=True)
class _Row:
    line: int
    submission: StorySubmission


def import_stories(runtime: Runtime, stream: TextIO, *, all_or_nothing: bool,
                   now: datetime | None = None) -> ImportReport:
    """Check every row, then store the good ones; see the module docstring.

    With `all_or_nothing`, one bad row means nothing is stored; otherwise all rows are stored in
    one transaction. Without it, each good row is stored on its own and bad rows are reported.
    A broken file (bad header, unreadable CSV) imports nothing either way.
    """
    now = now or utcnow()
    rows, problems, file_ok = check_file(stream, this_year=now.year)
    receipts: list[ImportedRow] = []
    if not file_ok or (all_or_nothing and problems):
        rows = []  # a broken file, or one bad row when it is all or nothing: store nothing
    if all_or_nothing and rows:
        def work(session) -> list[ImportedRow]:
            return [ImportedRow(row.line, store_story(session, runtime, row.submission, now)[1])
                    for row in rows]

        receipts = runtime.db.run(work)
    else:
        for row in rows:
            try:
                receipts.append(ImportedRow(row.line, submit_story(runtime, row.submission, now=now).code))
            except StoryRejected as exc:  # checked already; kept for safety
                english = translator("en")
                problems += [RowProblem(row.line, _COLUMN_OF.get(name, name), msg.render(english))
                             for name, msg in exc.errors.items()]
            except Exception as exc:  # noqa: BLE001 - the codes already issued must not be lost
                log.error("paper import: row %d not saved (%s)", row.line, type(exc).__name__)
                problems.append(RowProblem(row.line, "row", "not saved because of a storage error; "
                                                            "import this row again"))
    problems.sort(key=lambda p: p.line)
    log.info("paper import: %d stories imported, %d rows rejected", len(receipts),
             len({p.line for p in problems}))
    return ImportReport(imported=len(receipts), problems=problems, receipts=receipts)


def check_file(stream: TextIO, *, this_year: int) -> tuple[list[_Row], list[RowProblem], bool]:
    """Parse and check every row; (good rows, problems, whether the file itself is usable)."""
    try:
        text = stream.read()
    except UnicodeDecodeError:
        return [], [RowProblem(HEADER_LINE, "file", 'the file is not UTF-8 text; in the spreadsheet '
                                                    'use "Save as CSV UTF-8"')], False
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], [RowProblem(HEADER_LINE, "file", "the file is empty; its first line must be the "
                                                    "header: " + ",".join(CSV_COLUMNS))], False
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    records: list[list[str]] = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error:
        return [], [RowProblem(len(records) + 1, "file",
                               "the file cannot be read as CSV from this row on (an unclosed "
                               "quote, or a cell longer than a story can be)")], False
    header = [_normal_name(name) for name in records[0]]
    header_problem = _check_header(header)
    if header_problem:
        return [], [RowProblem(HEADER_LINE, "header", header_problem)], False
    texts = load_consent_texts()
    rows, problems = [], []
    for index, record in enumerate(records[1:], start=HEADER_LINE + 1):
        if not any(cell.strip() for cell in record):
            continue  # blank rows spreadsheets leave at the end
        if len(record) != len(header):
            problems.append(RowProblem(index, "row", f"this row has {len(record)} cells but the "
                                       f"header has {len(header)} (a stray separator or quote?)"))
            continue
        cells = dict(zip(header, record))
        if any(value.strip() for name, value in zip(header, record) if not name):
            problems.append(RowProblem(index, "row", "a cell under a column without a name holds "
                                                     "text; name the column or empty it"))
            continue
        submission, found = check_row(cells, this_year=this_year, texts=texts)
        if found:
            problems += [RowProblem(index, column, message) for column, message in found]
        else:
            rows.append(_Row(index, submission))
    return rows, problems, True


def _delimiter(text: str) -> str:
    """Comma, or the semicolon or tab some spreadsheets write, judged from the header line."""
    first = text.splitlines()[0]
    known = set(CSV_COLUMNS)

    def score(sep: str) -> int:
        return sum(_normal_name(name) in known for name in first.split(sep))

    return max((",", ";", "\t"), key=score)


def _normal_name(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def _check_header(header: list[str]) -> str | None:
    named = [name for name in header if name]
    missing = [c for c in CSV_COLUMNS if c not in named]
    unexpected = [name for name in named if name not in CSV_COLUMNS]
    twice = sorted({name for name in named if named.count(name) > 1})
    parts = []
    if missing:
        parts.append("missing columns: " + ", ".join(missing))
    if unexpected:
        # Column names are the operator's own text, not a storyteller's: safe to repeat, shortened.
        parts.append("unexpected columns: " + ", ".join(n[:40] for n in unexpected)
                     + " (photos and other fields are not imported)")
    if twice:
        parts.append("columns named twice: " + ", ".join(twice))
    return "; ".join(parts) or None


def check_row(cells: Mapping[str, str], *, this_year: int,
              texts: Mapping[tuple[str, str], ConsentText] | None = None,
              ) -> tuple[StorySubmission | None, list[tuple[str, str]]]:
    """One paper form: the submission to store, or [(column, reason)] in English."""
    english = translator("en")
    texts = load_consent_texts() if texts is None else texts
    found: dict[str, str] = {}

    def add(errors: Mapping[str, Msg]) -> None:
        for name, msg in errors.items():
            found.setdefault(_COLUMN_OF.get(name, name), msg.render(english))

    story, errors = validate_story_fields({
        "title": cells["title"], "text": cells["story"], "language": _word(cells["language"]),
        "state": cells["state"], "connection": _word(cells["connection"]), "year": cells["year"],
    }, this_year=this_year)
    add(errors)
    if "language" in found:
        found["language"] += " (" + ", ".join(STORY_LANGUAGES) + ")"
    if "connection" in found:
        found["connection"] += " (" + ", ".join(c.value for c in Connection) + ")"

    flags = {}
    for purpose in ("keep_for_review", "publish", "press", "quote"):
        column = "consent_" + purpose
        flags[purpose] = _yes_no(cells[column])
        if flags[purpose] is None:
            found[column] = "write yes or no"
    credit = _choice(cells["credit"], Credit, empty=Credit.NONE)
    if credit is None:
        found["credit"] = "write none, first_name or full_name"
    age = _choice(cells["age"], AgeConfirmation, empty=None)
    if age is None and cells["age"].strip():
        found["age"] = "write adult or guardian"
    consent = _consent_text(cells, texts, found)

    contact, errors = validate_contact({"email": cells["contact_email"],
                                        "phone": cells["contact_phone"]})
    add(errors)
    credited_name = ""
    if credit is not None:
        credited_name, problem = validate_credited_name(cells["credited_name"], credit)
        if problem:
            add({"credited_name": problem})
    answers = ConsentAnswers(
        keep_for_review=bool(flags["keep_for_review"]), publish=bool(flags["publish"]),
        press=bool(flags["press"]), quote=bool(flags["quote"]), photo=False,
        credit=credit or Credit.NONE, age=age)
    # setdefault in add() keeps a more precise reason already found for the same column.
    add(check_answers(answers, has_photo=False, credited_name=credited_name))
    if found:
        ordered = sorted(found.items(), key=lambda item: _column_order(item[0]))
        return None, ordered
    return StorySubmission(story=story, answers=answers, consent_text=consent,
                           credited_name=credited_name, contact=contact,
                           method=IntakeMethod.PAPER), []


def _column_order(column: str) -> int:
    return CSV_COLUMNS.index(column) if column in CSV_COLUMNS else len(CSV_COLUMNS)


def _word(value: str) -> str:
    return unicodedata.normalize("NFC", value or "").strip().casefold()


def _yes_no(value: str) -> bool | None:
    word = _word(value)
    if word in YES:
        return True
    if word in NO:
        return False
    return None


def _choice(value: str, enum_type, *, empty):
    word = _word(value).replace("-", "_").replace(" ", "_")
    if not word:
        return empty
    try:
        return enum_type(word)
    except ValueError:
        return None


def _consent_text(cells: Mapping[str, str], texts: Mapping[tuple[str, str], ConsentText],
                  found: dict[str, str]) -> ConsentText | None:
    version = (cells["consent_form_version"] or "").strip()
    language = _word(cells["consent_form_language"])
    versions = sorted({v for v, _lang in texts})
    if not version:
        found["consent_form_version"] = ("write the consent version printed on the form, e.g. "
                                         + versions[-1])
    elif version not in versions:
        found["consent_form_version"] = "no consent text has this version; known: " + ", ".join(versions)
    if language not in FORM_LANGUAGES:
        found["consent_form_language"] = "write en or es"
    if "consent_form_version" in found or "consent_form_language" in found:
        return None
    if (version, language) not in texts:
        found["consent_form_language"] = "this consent version has no text in this language"
        return None
    return texts[(version, language)]
