"""Writing office files people open in Excel or Word without harm (SAFETY.md E2-E4).

One place for what every export needs: text a file can hold (control characters out, E3), cells
that never turn into formulas (E2), text longer than a cell split across labelled continuation
columns rather than cut (E3), and document properties that name nobody (E4).
"""

from __future__ import annotations

import pickle
import re
import tempfile
from datetime import date, datetime
from typing import Any, Iterable, Sequence

from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from openpyxl.cell import WriteOnlyCell
from openpyxl.workbook import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Excel's limit per cell; openpyxl silently cuts anything longer. Excel counts UTF-16 code units,
# so a character outside the Basic Multilingual Plane (an emoji) counts twice.
CELL_MAX_CHARS = 32_767
# A long text is cut at the last space or line end in this many characters before the limit, so
# continuation cells start on a word; without one, it is cut at the limit.
_SPLIT_LOOKBACK = 200
# A cell starting with one of these is a formula to a spreadsheet program when typed or pasted
# (OWASP CSV Injection); full-width forms are included because some input methods convert them.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
# Word rejects a core property longer than this.
_CORE_PROPERTY_MAX = 255
# What XML 1.0 cannot hold (lxml raises on it) plus the other control characters, which only
# hide or garble text: C0 (but LF), DEL, C1, lone surrogates, U+FFFE and U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPOOL_IN_MEMORY = 16 * 1024 * 1024


def printable(text: Any) -> str:
    """`text` as a file can hold it: CR LF and CR become LF, a tab a space, control characters go."""
    if text is None:
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _UNPRINTABLE.sub("", text)


def one_line(text: Any) -> str:
    """`printable` text on one line (titles, names, properties)."""
    return " ".join(printable(text).split())


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def cell_pieces(text: Any) -> list[str]:
    """`printable(text)` in pieces that each fit a cell; joined they give the whole text back."""
    text = printable(text)
    if _utf16_len(text) <= CELL_MAX_CHARS:
        return [text]
    pieces = []
    while _utf16_len(text) > CELL_MAX_CHARS:
        end = CELL_MAX_CHARS
        while _utf16_len(text[:end]) > CELL_MAX_CHARS:  # astral characters count twice
            end -= (_utf16_len(text[:end]) - CELL_MAX_CHARS + 1) // 2 or 1
        cut = max(text.rfind(" ", end - _SPLIT_LOOKBACK, end), text.rfind("\n", end - _SPLIT_LOOKBACK, end))
        if cut > 0:
            end = cut + 1  # the space stays at the end of this piece: nothing is lost
        pieces.append(text[:end])
        text = text[end:]
    pieces.append(text)
    return pieces


def needs_quote_prefix(text: str) -> bool:
    """True when a spreadsheet program could read `text` as a formula (leading blanks skipped)."""
    stripped = text.lstrip(" ")
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS


def safe_cell(ws: WriteOnlyWorksheet, value: Any) -> WriteOnlyCell:
    """A write-only cell holding `value` that no spreadsheet program will run as a formula.

    Text is made printable and stored as a string, never a formula (openpyxl would turn "=..."
    into one), with quotePrefix when it starts like a formula. Text too long for one cell raises
    ValueError: callers split it with `cell_pieces` first, so nothing is ever cut.
    Numbers, dates (shown as yyyy-mm-dd by openpyxl's default) and None are written as they are.
    """
    if value is None or isinstance(value, (bool, int, float, date, datetime)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            raise ValueError("convert aware datetimes to naive UTC before writing them")
        return WriteOnlyCell(ws, value=value)
    text = printable(value)
    if _utf16_len(text) > CELL_MAX_CHARS:
        raise ValueError("text longer than a cell holds: split it with cell_pieces first")
    if not text:
        return WriteOnlyCell(ws, value=None)
    cell = WriteOnlyCell(ws, value=text)
    # openpyxl reads a leading "=" as a formula; a string cell is written as text, whatever it says.
    cell.data_type = "s"
    if needs_quote_prefix(text):
        cell.quotePrefix = True
    return cell


def write_table(ws: WriteOnlyWorksheet, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a header and `rows`, each text through `safe_cell`; return the number of rows.

    A text too long for one cell continues in the columns right after it, headed
    "<name> (continued)", "<name> (continued 2)", ... Which columns need that is known only once
    every row has been seen, and a write-only sheet cannot go back to its header, so the rows are
    first spooled (in memory up to 16 MB, then to a private temporary file): memory stays flat.
    """
    widths = [1] * len(headers)
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        for row in rows:
            if len(row) != len(headers):
                raise ValueError(f"row has {len(row)} values for {len(headers)} columns")
            cells = [cell_pieces(value) if isinstance(value, str) else value for value in row]
            for index, value in enumerate(cells):
                if isinstance(value, list):
                    widths[index] = max(widths[index], len(value))
            pickle.dump(cells, spool, protocol=pickle.HIGHEST_PROTOCOL)
            count += 1

        header_row = []
        for name, width in zip(headers, widths):
            header_row.append(safe_cell(ws, name))
            header_row.extend(safe_cell(ws, f"{name} (continued)" if extra == 1 else
                                        f"{name} (continued {extra})") for extra in range(1, width))
        ws.append(header_row)

        spool.seek(0)
        for _ in range(count):
            cells = pickle.load(spool)  # our own spool, written just above: never outside data
            out = []
            for value, width in zip(cells, widths):
                pieces = value if isinstance(value, list) else [value]
                out.extend(safe_cell(ws, piece) for piece in pieces)
                out.extend(safe_cell(ws, None) for _ in range(width - len(pieces)))
            ws.append(out)
    return count


def new_workbook(*, title: str, when: datetime) -> Workbook:
    """A write-only workbook whose properties say what it is and nothing about who made it."""
    wb = Workbook(write_only=True)
    props = wb.properties
    props.creator = ""  # openpyxl says "openpyxl"
    props.lastModifiedBy = ""
    props.title = one_line(title)[:_CORE_PROPERTY_MAX]
    props.subject = props.description = props.keywords = props.category = None
    stamp = naive_utc(when)
    props.created = stamp
    props.modified = stamp
    return wb


def neutral_docx_properties(doc: DocxDocument, *, title: str, when: datetime) -> None:
    """Core properties that say what the file is and nothing about who or what made it."""
    props = doc.core_properties
    props.author = ""  # the template says "python-docx"
    props.last_modified_by = ""
    props.comments = ""  # the template says "generated by python-docx"
    props.title = one_line(title)[:_CORE_PROPERTY_MAX]
    props.subject = ""
    props.keywords = ""
    props.category = ""
    props.revision = 1
    stamp = naive_utc(when)
    props.created = stamp  # the template's own 2013 timestamps would be misleading
    props.modified = stamp
    # The template's thumbnail is a blank page from 2013 with its own EXIF block: leave it out.
    package = doc.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package.rels.pop(rel_id)


def naive_utc(when: datetime) -> datetime:
    """`when` in UTC without its zone: what OOXML properties and spreadsheet cells hold."""
    if when.tzinfo is None:
        return when
    from datetime import UTC

    return when.astimezone(UTC).replace(tzinfo=None)


def add_paragraphs(doc, text: str) -> None:
    """Blank lines separate paragraphs; a single line end stays a line break (a signature)."""
    for block in printable(text).strip("\n").split("\n\n"):
        if not block.strip():
            continue
        paragraph = doc.add_paragraph()
        lines = block.strip("\n").split("\n")
        for index, line in enumerate(lines):
            run = paragraph.add_run(line)
            if index < len(lines) - 1:
                run.add_break()
