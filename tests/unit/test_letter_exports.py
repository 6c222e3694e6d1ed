"""Letter exports: the print bundle for hand delivery and the senders-by-place spreadsheet."""

from __future__ import annotations

import io

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy import update

from letters.compose import office_letter
from letters.exports import UnknownExportFilter, write_letters_docx, write_letters_xlsx
from letters.models import DeliveryStatus, OutboxMessage
from letters.sender import Sender
from letters.submit import LetterDraft, submit_letter
from tests.unit.office_file_checks import (core_properties, empty_or_absent, formula_count, leaks,
                                           open_sheet_rows)

FAMILY = "end-family-separation"
DETENTION = "end-child-detention"
STREET = "1200 Calle STREET-SENTINEL"
PHONE = "915-555-0142"

SENDERS = [
    # (campaign, first, last, city, state, zip, language, opt_in)
    (FAMILY, "Rosa", "Quintana", "El Paso", "TX", "79901", "en", True),
    (FAMILY, "Luis", "Ortega", "El Paso", "TX", "79902", "es", False),
    (FAMILY, "Ana", "=cmd|' /C calc'!A0", "Tucson", "AZ", "85701", "en", False),
    (DETENTION, "Mia", "Chen", "El Paso", "TX", "79903", "en", True),
]


def letter_text(first: str, last: str, n: int) -> str:
    return f"Please reunite every family. LETTER-{n}\n\nSincerely,\n{first} {last}"


@pytest.fixture
def letters(runtime):
    for n, (campaign, first, last, city, state, zip_code, language, opt_in) in enumerate(SENDERS):
        sender = Sender(first_name=first, last_name=last, email=f"sender{n}-sentinel@example.org",
                        city=city, state=state, zip_code=zip_code, street=STREET, phone=PHONE)
        submit_letter(runtime, LetterDraft(campaign_id=campaign, language=language, sender=sender,
                                           text=letter_text(first, last, n), edited=False,
                                           opt_in=opt_in, idempotency_key=f"key-{n}"))
    return SENDERS


def docx_bytes(runtime, **kwargs) -> bytes:
    out = io.BytesIO()
    with runtime.db.session() as s:
        write_letters_docx(out, runtime, s, **kwargs)
    return out.getvalue()


def xlsx_bytes(runtime, **kwargs) -> bytes:
    out = io.BytesIO()
    with runtime.db.session() as s:
        write_letters_xlsx(out, runtime, s, **kwargs)
    return out.getvalue()


def pages(data: bytes) -> list[str]:
    """The document's text split at its page breaks, one string per page."""
    doc = Document(io.BytesIO(data))
    result, current = [], []
    for paragraph in doc.paragraphs:
        breaks = paragraph._p.findall(".//" + qn("w:br"))
        if any(br.get(qn("w:type")) == "page" for br in breaks):
            result.append("\n".join(current))
            current = []
            continue
        current.append(paragraph.text)
    result.append("\n".join(current))
    return result


def test_print_bundle_has_a_heading_page_per_office_and_campaign_then_one_letter_per_page(runtime, letters):
    found = pages(docx_bytes(runtime))
    offices = runtime.config.offices
    # Two offices, two campaigns: four groups; three letters for one campaign, one for the other.
    headings = [p for p in found if p.endswith(" letters")]
    assert len(headings) == 4
    assert len(found) == 4 + 2 * len(SENDERS)
    assert sorted(h.splitlines()[-1] for h in headings) == ["1 letters", "1 letters", "3 letters", "3 letters"]
    letter_pages = [p for p in found if "LETTER-" in p]
    assert len(letter_pages) == 2 * len(SENDERS)
    assert all(p.count("LETTER-") == 1 for p in letter_pages)
    # Each page is the letter exactly as the office receives it: its greeting, then the text.
    first, last, language = SENDERS[1][1], SENDERS[1][2], SENDERS[1][6]
    for office_id in ("president", "dhs_secretary"):
        expected = office_letter(offices[office_id], language, letter_text(first, last, 1))
        assert expected.replace("\n\n", "\n") in letter_pages


def test_print_bundle_filters_by_office_and_campaign(runtime, letters):
    found = pages(docx_bytes(runtime, office_id="president", campaign_id=FAMILY))
    assert found[0].splitlines()[0] == runtime.config.offices["president"].title["en"]
    assert found[0].endswith("3 letters") and len(found) == 4
    president = runtime.config.offices["president"]
    assert [p.splitlines()[0] for p in found[1:]] == [president.greeting(lang) for lang in ("en", "es", "en")]
    assert not any(runtime.config.offices["dhs_secretary"].greeting("en") in p for p in found)


def test_cancelled_messages_are_not_printed(runtime, letters):
    with runtime.db.session(write=True) as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.office_id == "president")
                  .values(status=DeliveryStatus.CANCELLED))
        s.execute(update(OutboxMessage).where(OutboxMessage.office_id == "dhs_secretary")
                  .values(status=DeliveryStatus.SENT))
    found = pages(docx_bytes(runtime))
    assert len(found) == 2 + len(SENDERS)
    assert not any(p.startswith(runtime.config.offices["president"].greeting("en")) for p in found)


def test_print_bundle_has_neutral_properties_and_no_contact_details_beyond_the_letter(runtime, letters):
    data = docx_bytes(runtime)
    xml = core_properties(data)
    assert empty_or_absent(xml, "dc:creator") and empty_or_absent(xml, "cp:lastModifiedBy")
    assert leaks(data, ["sentinel@example.org", "STREET-SENTINEL", PHONE]) == []


def test_unknown_office_or_campaign_is_refused(runtime, letters):
    with pytest.raises(UnknownExportFilter):
        docx_bytes(runtime, office_id="governor")
    with pytest.raises(UnknownExportFilter):
        xlsx_bytes(runtime, campaign_id="no-such-campaign")


def test_an_empty_bundle_is_still_a_document(runtime):
    assert pages(docx_bytes(runtime)) == ["No letters to deliver."]


def test_xlsx_counts_senders_by_campaign_state_and_city(runtime, letters):
    data = xlsx_bytes(runtime)
    header, *rows = open_sheet_rows(data, "Letters by place")
    assert header == ("campaign", "state", "city", "letters")
    assert rows == [(DETENTION, "TX", "El Paso", 1), (FAMILY, "AZ", "Tucson", 1),
                    (FAMILY, "TX", "El Paso", 2)]
    assert load_sheetnames(data) == ["Letters by place"]
    assert leaks(data, ["sentinel@example.org", "Quintana", "Ortega", "STREET-SENTINEL", PHONE]) == []
    assert formula_count(data) == 0


def test_xlsx_counts_come_from_one_aggregate_query(runtime, letters):
    from sqlalchemy import event

    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(runtime.db.engine, "before_cursor_execute", listener)
    try:
        xlsx_bytes(runtime, campaign_id=FAMILY)
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", listener)
    selects = [s for s in statements if "FROM letters" in s]
    grouped = [s for s in selects if "GROUP BY" in s]
    assert len(grouped) == 1 and len(selects) == 1


def test_xlsx_has_names_and_emails_only_when_asked(runtime, letters):
    data = xlsx_bytes(runtime, include_emails=True, campaign_id=FAMILY)
    assert load_sheetnames(data) == ["Letters by place", "Senders"]
    header, *rows = open_sheet_rows(data, "Senders")
    assert header == ("campaign", "first name", "last name", "e-mail", "agreed to updates")
    assert [(r[1], r[3], r[4]) for r in rows] == [
        ("Rosa", "sender0-sentinel@example.org", "yes"), ("Luis", "sender1-sentinel@example.org", "no"),
        ("Ana", "sender2-sentinel@example.org", "no")]
    # A name typed as a formula stays text.
    assert formula_count(data) == 0
    from openpyxl import load_workbook

    cell = load_workbook(io.BytesIO(data))["Senders"]["C4"]
    assert cell.value == "=cmd|' /C calc'!A0" and cell.quotePrefix and cell.data_type == "s"
    assert leaks(data, ["STREET-SENTINEL", PHONE]) == []
    xml = core_properties(data)
    assert empty_or_absent(xml, "dc:creator") and empty_or_absent(xml, "cp:lastModifiedBy")


def load_sheetnames(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data)).sheetnames



# --- the command line ---

@pytest.fixture
def cli_env(data_dir, monkeypatch):
    from tests.conftest import portal_environ

    for name, value in portal_environ(data_dir).items():
        monkeypatch.setenv(name, value)
    return data_dir


@pytest.mark.parametrize("fmt,extra", [("docx", ["--office", "president"]),
                                       ("xlsx", ["--with-emails"]), ("xlsx", [])])
def test_cli_exports_letters_to_a_private_file(cli_env, runtime, letters, tmp_path, capsys, fmt, extra):
    import stat

    from sqlalchemy import select

    from portal.accounts_models import AuditEntry
    from portal.cli import main
    from stories.ledger_models import ExportRecord

    out = tmp_path / f"letters.{fmt}"
    assert main(["export", "letters", "--format", fmt, "--out", str(out),
                 "--campaign", FAMILY, *extra]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = out.read_bytes()
    if fmt == "docx":
        assert len(pages(data)) == 1 + 3
    else:
        assert sum(row[3] for row in open_sheet_rows(data, "Letters by place")[1:]) == 3
        assert ("Senders" in load_sheetnames(data)) == bool(extra)
    assert "sentinel" not in capsys.readouterr().out
    with runtime.db.session() as s:
        record = s.scalar(select(ExportRecord))
        audit = s.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert record.kind == f"letters-{fmt}" + ("-emails" if extra == ["--with-emails"] else "")
    assert record.item_count == 3 and record.actor == "cli"
    assert audit is not None and "sentinel" not in audit.detail


@pytest.mark.parametrize("args,message", [
    (["--format", "pdf"], "unknown format"),
    (["--format", "docx", "--office", "governor"], "unknown office"),
    (["--format", "xlsx", "--campaign", "nope"], "unknown campaign"),
    (["--format", "xlsx", "--office", "president"], "--office applies"),
    (["--format", "docx", "--with-emails"], "--with-emails applies"),
])
def test_cli_letter_export_errors_are_one_line_with_exit_2(cli_env, tmp_path, capsys, args, message):
    from portal.cli import main

    out = tmp_path / "letters.out"
    assert main(["export", "letters", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()
