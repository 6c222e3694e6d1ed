"""Letter exports: a print bundle for hand delivery, and counts of senders by place.

The bundle holds each letter exactly as its office receives it (salutation, then the text). The
spreadsheet counts senders by city and state from one aggregate query; names and e-mail
addresses are added only when the caller, who checked the right to see them, asks for them.
"""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from docx import Document
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from letters.compose import office_letter
from letters.models import DeliveryStatus, Letter, OutboxMessage
from portal.db import utcnow
from portal.i18n import DEFAULT_LANGUAGE, normalize_language
from portal.office_files import add_paragraphs, neutral_docx_properties, new_workbook, one_line, write_table
from portal.runtime import Runtime

BATCH_SIZE = 500
PLACE_HEADERS = ("campaign", "state", "city", "letters")
SENDER_HEADERS = ("campaign", "first name", "last name", "e-mail", "agreed to updates")


class UnknownExportFilter(ValueError):
    """A campaign or office the export was asked to filter on does not exist."""


def check_filters(runtime: Runtime, session: Session, *, campaign_id: str | None = None,
                  office_id: str | None = None) -> None:
    """Raise UnknownExportFilter for an office not configured or a campaign with no template or letter."""
    if office_id is not None and office_id not in runtime.config.offices:
        raise UnknownExportFilter(f"unknown office {office_id!r}")
    if campaign_id is not None and runtime.campaigns.get(campaign_id) is None:
        # A campaign whose template was retired may still have letters to deliver.
        if not session.scalar(select(exists().where(Letter.campaign_id == campaign_id))):
            raise UnknownExportFilter(f"unknown campaign {campaign_id!r}")


def _campaign_title(runtime: Runtime, campaign_id: str) -> str:
    campaign = runtime.campaigns.get(campaign_id)
    return campaign.text(DEFAULT_LANGUAGE).title if campaign is not None else campaign_id


def write_letters_docx(stream: BinaryIO, runtime: Runtime, session: Session, *,
                       campaign_id: str | None = None, office_id: str | None = None,
                       now: datetime | None = None) -> int:
    """Write the print bundle: per office and campaign a heading page, then one letter per page.

    Every letter addressed to the office is included, whatever became of its e-mail (hand
    delivery is the other way in), except messages cancelled before they went out. Returns the
    number of letter pages.
    """
    check_filters(runtime, session, campaign_id=campaign_id, office_id=office_id)
    offices = runtime.config.offices
    conditions = [OutboxMessage.status != DeliveryStatus.CANCELLED,
                  OutboxMessage.office_id.in_(list(offices) if office_id is None else [office_id])]
    if campaign_id is not None:
        conditions.append(Letter.campaign_id == campaign_id)

    counts = {(office, campaign): n for office, campaign, n in session.execute(
        select(OutboxMessage.office_id, Letter.campaign_id, func.count())
        .join(Letter, Letter.id == OutboxMessage.letter_id).where(*conditions)
        .group_by(OutboxMessage.office_id, Letter.campaign_id))}
    rows = session.execute(
        select(OutboxMessage.office_id, Letter.campaign_id, Letter.language, Letter.text_enc)
        .join(Letter, Letter.id == OutboxMessage.letter_id).where(*conditions)
        .order_by(OutboxMessage.office_id, Letter.campaign_id, Letter.id)
        .execution_options(yield_per=BATCH_SIZE))

    doc = Document()
    cipher = runtime.cipher
    group = None
    pages = 0
    for row in rows:
        office = offices[row.office_id]
        if (row.office_id, row.campaign_id) != group:
            if group is not None:
                doc.add_page_break()
            group = (row.office_id, row.campaign_id)
            doc.add_heading(one_line(office.title[DEFAULT_LANGUAGE]), level=0)
            doc.add_paragraph(one_line(_campaign_title(runtime, row.campaign_id)))
            doc.add_paragraph(f"{counts[group]} letters")
        doc.add_page_break()
        language = normalize_language(row.language)
        add_paragraphs(doc, office_letter(office, language, cipher.decrypt(row.text_enc)))
        pages += 1
    if not pages:
        doc.add_paragraph("No letters to deliver.")
    neutral_docx_properties(doc, title="Letters for hand delivery", when=now or utcnow())
    doc.save(stream)
    return pages


def write_letters_xlsx(stream: BinaryIO, runtime: Runtime, session: Session, *,
                       campaign_id: str | None = None, include_emails: bool = False,
                       now: datetime | None = None) -> int:
    """Write senders' counts by campaign, state and city, and (if asked) their names and e-mails.

    The caller checks the right to see e-mail addresses before passing include_emails=True.
    Returns the number of letters counted.
    """
    check_filters(runtime, session, campaign_id=campaign_id)
    filters = [] if campaign_id is None else [Letter.campaign_id == campaign_id]
    wb = new_workbook(title="Letters by place", when=now or utcnow())

    places = session.execute(
        select(Letter.campaign_id, Letter.state, Letter.city, func.count())
        .where(*filters)
        .group_by(Letter.campaign_id, Letter.state, Letter.city)
        .order_by(Letter.campaign_id, Letter.state, Letter.city))
    total = 0

    def place_rows():
        nonlocal total
        for campaign, state, city, n in places:
            total += n
            yield (campaign, state, city, n)

    write_table(wb.create_sheet("Letters by place"), PLACE_HEADERS, place_rows())

    if include_emails:
        cipher = runtime.cipher
        senders = session.execute(
            select(Letter.campaign_id, Letter.first_name_enc, Letter.last_name_enc,
                   Letter.email_enc, Letter.opt_in)
            .where(*filters).order_by(Letter.campaign_id, Letter.id)
            .execution_options(yield_per=BATCH_SIZE))
        write_table(wb.create_sheet("Senders"), SENDER_HEADERS, (
            (row.campaign_id, cipher.decrypt(row.first_name_enc), cipher.decrypt(row.last_name_enc),
             cipher.decrypt(row.email_enc), "yes" if row.opt_in else "no")
            for row in senders))
    wb.save(stream)
    return total


def export_letters(runtime: Runtime, actor, stream: BinaryIO, *, fmt: str, campaign_id: str | None = None,
                   office_id: str | None = None, include_emails: bool = False) -> int:
    """Write a letters file and record it in the export ledger; returns the number of letters."""
    from stories.ledger import record_export

    with runtime.db.session() as session:
        if fmt == "docx":
            count = write_letters_docx(stream, runtime, session, campaign_id=campaign_id,
                                       office_id=office_id)
        else:
            count = write_letters_xlsx(stream, runtime, session, campaign_id=campaign_id,
                                       include_emails=include_emails)
    kind = f"letters-{fmt}" + ("-emails" if include_emails and fmt == "xlsx" else "")
    runtime.db.run(lambda s: record_export(s, actor, kind=kind, outlet=None, stories=[],
                                           item_count=count))
    return count
