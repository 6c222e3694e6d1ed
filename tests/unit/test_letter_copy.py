"""The supporter's copy of their letters: written to a stream, opened again with python-docx and unzip."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import letters.letter_copy as letter_copy
from letters.letter_copy import write_letter_copy

SENT_ON = date(2026, 11, 23)
SUBJECT = "Keep families together"
PRESIDENT = "The President of the United States"
SECRETARY = "The Secretary of Homeland Security"
LETTER_1 = (
    "Dear President,\n\n"
    "Please reunite the families that were separated at the border.\n\n"
    "Sincerely,\nAna López\nAustin, TX 78701"
)
LETTER_2 = (
    "Dear Secretary,\n\n"
    "Stop separating children from their parents.\n\n"
    "Sincerely,\nAna López\nAustin, TX 78701"
)
HEADER_PARAGRAPHS = 4  # note, "To:" heading, date, subject


def write(letters=((PRESIDENT, LETTER_1),), *, language="en", subject=SUBJECT) -> bytes:
    stream = io.BytesIO()
    write_letter_copy(stream, letters=list(letters), language=language, sent_on=SENT_ON,
                      subject=subject)
    return stream.getvalue()


def is_page_break(paragraph) -> bool:
    return any(br.get(qn("w:type")) == "page" for br in paragraph._p.iter(qn("w:br")))


def pages(data: bytes) -> list[list]:
    """The document's paragraphs, one list per page (split at explicit page breaks)."""
    result: list[list] = [[]]
    for paragraph in Document(io.BytesIO(data)).paragraphs:
        if is_page_break(paragraph):
            result.append([])
        else:
            result[-1].append(paragraph)
    return result


def body_texts(page: list) -> list[str]:
    return [p.text for p in page[HEADER_PARAGRAPHS:]]


def test_two_offices_one_page_each_in_order():
    data = write([(PRESIDENT, LETTER_1), (SECRETARY, LETTER_2)])
    texts = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    breaks = [i for i, p in enumerate(Document(io.BytesIO(data)).paragraphs) if is_page_break(p)]
    assert len(breaks) == 1
    first = texts.index(f"To: {PRESIDENT}")
    second = texts.index(f"To: {SECRETARY}")
    assert first < texts.index("Please reunite the families that were separated at the border.") < breaks[0]
    assert breaks[0] < second < texts.index("Stop separating children from their parents.")

    first_page, second_page = pages(data)
    assert "\n\n".join(body_texts(first_page)) == LETTER_1
    assert "\n\n".join(body_texts(second_page)) == LETTER_2
    assert [p.text for p in first_page][:HEADER_PARAGRAPHS] == [
        "Copy of your letter", f"To: {PRESIDENT}", "Sent on November 23, 2026", f"Subject: {SUBJECT}"]


def test_single_newlines_are_line_breaks_in_one_paragraph():
    (page,) = pages(write())
    signature = page[-1]
    assert signature.text == "Sincerely,\nAna López\nAustin, TX 78701"
    assert len(list(signature._p.iter(qn("w:br")))) == 2
    assert body_texts(page)[0] == "Dear President,"


def test_windows_line_ends_and_extra_blank_lines():
    (page,) = pages(write([(PRESIDENT, "\r\nDear President,\r\n \r\n\r\n\r\nFirst.\r\nSecond.\r\n\r\n")]))
    assert body_texts(page) == ["Dear President,", "First.\nSecond."]


@pytest.mark.parametrize("language, expected", [
    ("en", "November 23, 2026"),
    ("es", "23 de noviembre de 2026"),
    ("es-MX", "23 de noviembre de 2026"),
])
def test_date_is_written_for_the_language(language, expected):
    (page,) = pages(write(language=language))
    assert expected in page[2].text


def test_labels_go_through_the_translator(monkeypatch):
    spanish = {
        "Copy of your letter": "Copia de su carta",
        "To: {office}": "Para: {office}",
        "Sent on {date}": "Enviada el {date}",
        "Subject: {subject}": "Asunto: {subject}",
    }
    asked = []

    def fake_translator(language):
        asked.append(language)
        return lambda message: spanish.get(message, message)

    monkeypatch.setattr(letter_copy, "translator", fake_translator)
    office = "La Presidencia de los Estados Unidos"
    (page,) = pages(write([(office, LETTER_1)], language="es", subject="Familias unidas {ya}"))
    assert asked == ["es"]
    assert [p.text for p in page][:HEADER_PARAGRAPHS] == [
        "Copia de su carta", f"Para: {office}", "Enviada el 23 de noviembre de 2026",
        "Asunto: Familias unidas {ya}"]


def test_document_properties_are_neutral():
    data = write()
    props = Document(io.BytesIO(data)).core_properties
    assert props.author == ""
    assert props.last_modified_by == ""
    assert props.comments == ""
    assert props.keywords == ""
    assert props.title == SUBJECT
    assert props.created.date() == SENT_ON
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert "python-docx" not in core
    assert b"python-docx" not in everything


def test_long_subject_is_whole_in_the_body_and_cut_only_in_the_title_property():
    subject = "Reunite every family " * 30  # 630 characters; Word caps a core property at 255
    data = write(subject=subject)
    (page,) = pages(data)
    assert page[3].text == f"Subject: {subject.strip()}"
    assert Document(io.BytesIO(data)).core_properties.title == subject[:255]


def test_control_characters_are_removed_not_fatal():
    letter = "Dear President,\x00\x07\n\nFamilies\x0b belong\x0c together\x1f.\x08\n\nAna\x1b"
    data = write([(PRESIDENT + "\x01", letter)], subject="Families\x0c together\x00")
    (page,) = pages(data)
    assert page[1].text == f"To: {PRESIDENT}"
    assert page[3].text == "Subject: Families together"
    assert body_texts(page) == ["Dear President,", "Families belong together.", "Ana"]
    assert Document(io.BytesIO(data)).core_properties.title == "Families together"


def test_long_non_ascii_letter_round_trips_whole():
    paragraph = ("Señor Presidente: los niños y sus familias merecen estar juntos. "
                 "Tiếng Việt: Gia đình phải được đoàn tụ. 家庭团聚。 لمّ شمل العائلات "
                 "👨‍👩‍👧‍👦 ❤️ 🇺🇸")
    letter = "\n\n".join(f"{i}. {paragraph}" for i in range(300))  # ~50,000 characters
    (page,) = pages(write([(PRESIDENT, letter)], language="es", subject="Reunificación familiar ñ"))
    assert "\n\n".join(body_texts(page)) == letter


def test_needs_at_least_one_letter():
    with pytest.raises(ValueError):
        write([])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(office=st.text(max_size=80), text=st.text(max_size=400), subject=st.text(max_size=300))
def test_any_text_is_written_and_nothing_visible_is_lost(office, text, subject):
    (page,) = pages(write([(office, text)], subject=subject))

    def visible(value: str) -> str:
        return "".join(ch for ch in letter_copy._printable(value) if not ch.isspace())

    assert visible("".join(body_texts(page))) == visible(text)
    assert visible(page[1].text) == visible("To: " + office)
