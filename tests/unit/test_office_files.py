"""The shared rules for office files: printable text, no formulas, split never cut, neutral properties."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from portal.office_files import (CELL_MAX_CHARS, cell_pieces, needs_quote_prefix,
                                 neutral_docx_properties, new_workbook, printable, safe_cell,
                                 write_table)
from tests.unit.office_file_checks import (core_properties, empty_or_absent, field, formula_count,
                                           zip_parts)

WHEN = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def table_file(headers, rows) -> bytes:
    wb = new_workbook(title="Test", when=WHEN)
    write_table(wb.create_sheet("T"), headers, rows)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("given_text,expected", [
    ("plain", "plain"),
    ("a\x00b\x01c\x08d\x0be\x0cf\x1bg\x7fh\x85i", "abcdefghi"),
    ("line one\r\nline two\rline three\nfour", "line one\nline two\nline three\nfour"),
    ("tab\there", "tab here"),
    ("not xml: \ufffe\uffff, lone surrogate: \ud800.", "not xml: , lone surrogate: ."),
    ("kept: é ñ 漢 😀 \u2028 \u200d", "kept: é ñ 漢 😀 \u2028 \u200d"),
    (None, ""),
])
def test_printable_drops_control_characters_only(given_text, expected):
    assert printable(given_text) == expected


def test_a_70000_character_text_is_split_into_cell_sized_pieces_not_cut():
    text = ("Separated at the border. " * 3000)[:70_000]
    pieces = cell_pieces(text)
    assert len(pieces) == 3
    assert "".join(pieces) == text
    assert all(len(piece) <= CELL_MAX_CHARS for piece in pieces)
    # Cut at a space, so no word is broken across two cells.
    assert all(piece.endswith(" ") for piece in pieces[:-1])


def test_pieces_count_utf16_units_and_never_break_a_character():
    text = "😀" * 40_000  # each counts twice in Excel's limit
    pieces = cell_pieces(text)
    assert "".join(pieces) == text
    assert all(utf16_len(piece) <= CELL_MAX_CHARS for piece in pieces)
    unbroken = "x" * 70_000  # no space to cut at: cut at the limit
    assert [len(p) for p in cell_pieces(unbroken)] == [CELL_MAX_CHARS, CELL_MAX_CHARS, 70_000 - 2 * CELL_MAX_CHARS]


@given(st.text(max_size=300), st.integers(min_value=0, max_value=3))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_pieces_always_join_back_to_the_printable_text(text, repeat):
    long_text = text * (repeat * 400 + 1)
    pieces = cell_pieces(long_text)
    assert "".join(pieces) == printable(long_text)
    assert all(utf16_len(piece) <= CELL_MAX_CHARS for piece in pieces)


@pytest.mark.parametrize("text,expected", [
    ("=HYPERLINK(\"http://x\")", True), ("+1 555", True), ("-2", True), ("@SUM(A1)", True),
    ("  =1+1", True), ("\uff1d1+1", True), ("\nline", True), ("Rosa", False), ("a=b", False), ("", False),
])
def test_formula_like_text_is_detected(text, expected):
    assert needs_quote_prefix(text) is expected


def test_safe_cells_are_strings_with_quote_prefix_and_never_formulas():
    values = ["=1+1", "+1", "-1", "@A1", "=cmd|' /C calc'!A0", "plain", "a\x00b"]
    data = table_file(("value",), [(v,) for v in values])
    assert formula_count(data) == 0
    sheet = load_workbook(io.BytesIO(data))["T"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == ["=1+1", "+1", "-1", "@A1", "=cmd|' /C calc'!A0", "plain", "ab"]
    assert [c.data_type for c in cells] == ["s"] * len(values)
    assert [c.quotePrefix for c in cells] == [True] * 5 + [False] * 2
    sheet_xml = zip_parts(data)["xl/worksheets/sheet1.xml"].decode()
    assert "<f>" not in sheet_xml and 't="inlineStr"' in sheet_xml


def test_safe_cell_refuses_text_that_does_not_fit_rather_than_cut_it():
    wb = new_workbook(title="Test", when=WHEN)
    with pytest.raises(ValueError):
        safe_cell(wb.create_sheet("T"), "x" * (CELL_MAX_CHARS + 1))


def test_long_text_continues_in_labelled_columns():
    long_text = "word " * 14_000  # 70,000 characters
    data = table_file(("id", "text", "note"), [(1, "short", "n"), (2, long_text, "=n")])
    rows = load_workbook(io.BytesIO(data))["T"]
    header, first, second = [tuple(r) for r in rows.iter_rows(values_only=True)]
    assert header == ("id", "text", "text (continued)", "text (continued 2)", "note")
    assert field(header, first, "text") == "short" and first[4] == "n"
    assert field(header, second, "text") == long_text and second[4] == "=n"
    assert formula_count(data) == 0


def test_numbers_and_dates_keep_their_types():
    data = table_file(("n", "day"), [(7, date(2026, 11, 20))])
    row = list(load_workbook(io.BytesIO(data))["T"].iter_rows(min_row=2, values_only=True))[0]
    assert row[0] == 7 and row[1].date() == date(2026, 11, 20)


def test_workbook_properties_name_nobody():
    xml = core_properties(table_file(("a",), [("b",)]))
    assert empty_or_absent(xml, "dc:creator") and empty_or_absent(xml, "cp:lastModifiedBy")
    assert "openpyxl" not in xml and re.search(r"<dc:title[^>]*>Test</dc:title>", xml)


def test_document_properties_name_nobody_and_the_template_thumbnail_is_gone():
    doc = Document()
    doc.add_paragraph("text")
    neutral_docx_properties(doc, title="Press kit", when=WHEN)
    out = io.BytesIO()
    doc.save(out)
    parts = zip_parts(out.getvalue())
    xml = parts["docProps/core.xml"].decode()
    assert empty_or_absent(xml, "dc:creator") and empty_or_absent(xml, "cp:lastModifiedBy")
    assert empty_or_absent(xml, "dc:description") and "python-docx" not in xml
    assert "2026-11-20T15:30:00Z" in xml and "2013" not in xml
    assert not any("thumbnail" in name for name in parts)
    assert not any(b"thumbnail" in content for name, content in parts.items() if name.endswith(".rels"))
    Document(io.BytesIO(out.getvalue()))  # still opens
