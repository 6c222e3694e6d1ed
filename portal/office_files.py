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
from lxml.etree import Element, SubElement
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell._writer import _set_attributes as cell_attributes
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.xml.functions import XML_NS

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
_SPOOL_IN_MEMORY = 1024 * 1024
_XML_SPACE = f"{{{XML_NS}}}space"


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
    return len(text.encode("utf-16-le")) // 2


def _fits(text: str) -> bool:
    # Most text is far shorter than a cell: no character counts more than twice, so half the
    # limit in characters fits without encoding anything.
    return len(text) <= CELL_MAX_CHARS // 2 or _utf16_len(text) <= CELL_MAX_CHARS


def cell_pieces(text: Any) -> list[str]:
    """`printable(text)` in pieces that each fit a cell; joined they give the whole text back."""
    text = printable(text)
    if _fits(text):
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
    if not _fits(text):
        raise ValueError("text longer than a cell holds: split it with cell_pieces first")
    if not text:
        return WriteOnlyCell(ws, value=None)
    cell = WriteOnlyCell(ws, value=text)
    # openpyxl reads a leading "=" as a formula; a string cell is written as text, whatever it says.
    cell.data_type = "s"
    if needs_quote_prefix(text):
        cell.quotePrefix = True
    return cell


def _spooled(value: Any) -> Any:
    """A table value as it is spooled: text printable, and in pieces when too long for one cell."""
    if value is None or isinstance(value, (bool, int, float, date, datetime)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            raise ValueError("convert aware datetimes to naive UTC before writing them")
        return value
    text = printable(value)
    return text if _fits(text) else cell_pieces(text)


def _sheet_value(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """A spooled value for `ws.append`: as it is where any write-only sheet stores it unchanged,
    else a safe cell.

    openpyxl's own sheets write plain text as a string cell, except text that starts with "="
    (a formula) or is an error code ("#N/A"); those, and text a spreadsheet could read as a
    formula, go through `safe_cell`. Passing the rest as it is spares a cell object per value.
    """
    if isinstance(value, str):
        if not value:
            return None
        if value[0] == "=" or value in ERROR_CODES or needs_quote_prefix(value):
            return safe_cell(ws, value)
    return value


def write_table(ws: WriteOnlyWorksheet, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a header and `rows`, each text made safe as `safe_cell` does; return the number of rows.

    A text too long for one cell continues in the columns right after it, headed
    "<name> (continued)", "<name> (continued 2)", ... Which columns need that is known only once
    every row has been seen, and a write-only sheet cannot go back to its header, so the rows are
    first spooled (in memory up to 1 MB, then to a private temporary file): memory stays flat.
    """
    widths = [1] * len(headers)
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        for row in rows:
            if len(row) != len(headers):
                raise ValueError(f"row has {len(row)} values for {len(headers)} columns")
            cells = [_spooled(value) for value in row]
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
        continued = any(width > 1 for width in widths)
        for _ in range(count):
            cells = pickle.load(spool)  # our own spool, written just above: never outside data
            if not continued:
                ws.append([_sheet_value(ws, value) for value in cells])
                continue
            out = []
            for value, width in zip(cells, widths):
                pieces = value if isinstance(value, list) else [value]
                out.extend(_sheet_value(ws, piece) for piece in pieces)
                out.extend(None for _ in range(width - len(pieces)))
            ws.append(out)
    return count


class _RowSheet(WriteOnlyWorksheet):
    """A write-only sheet that writes each row as one lxml element.

    openpyxl's own writer makes every cell through a cell object and several nested element
    writers, which at tens of thousands of rows is most of an export's time; here a row of plain
    text and numbers becomes an element tree serialized in one call (the same XML: inline
    strings, numbers). Any other value (a date, a cell made by `safe_cell`) is set on a cell
    and described by openpyxl as usual. The generator below mirrors openpyxl's own
    `WriteOnlyWorksheet._write_rows` (openpyxl is pinned in requirements.txt).
    """

    def __init__(self, parent, title):
        super().__init__(parent, title)
        self._date_styles: dict[type, str] = {}

    def _write_rows(self):
        try:
            xf = self._writer.xf.send(True)
        except StopIteration:
            self._already_saved()
        with xf.element("sheetData"):
            row_idx = 1
            try:
                while True:
                    xf.write(self._row_element((yield), row_idx))
                    row_idx += 1
            except GeneratorExit:
                pass
        self._writer.xf.send(None)

    def _row_element(self, values, row_idx: int):
        row = Element("row", r=str(row_idx))
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            ref = f"{get_column_letter(col_idx)}{row_idx}"
            kind = type(value)
            if kind is str:
                _inline_string(SubElement(row, "c", r=ref, t="inlineStr"), value)
            elif kind is int or kind is float:
                SubElement(SubElement(row, "c", r=ref, t="n"), "v").text = safe_string(value)
            elif kind is date or (kind is datetime and value.tzinfo is None):
                # As openpyxl stores them: a serial number in the type's default date style.
                SubElement(SubElement(row, "c", r=ref, s=self._date_style(value), t="n"),
                           "v").text = safe_string(to_excel(value, self.parent.epoch))
            else:
                cell = value if isinstance(value, Cell) else WriteOnlyCell(self, value=value)
                cell.row, cell.column = row_idx, col_idx
                value, attributes = cell_attributes(cell, cell.has_style)
                element = SubElement(row, "c", attributes)
                if value is None or value == "":
                    continue
                if cell.data_type == "s":
                    _inline_string(element, value)
                else:
                    SubElement(element, "v").text = safe_string(value)
        return row

    def _date_style(self, value: date) -> str:
        kind = type(value)
        if kind not in self._date_styles:
            self._date_styles[kind] = str(WriteOnlyCell(self, value=value).style_id)
        return self._date_styles[kind]


def _inline_string(cell, text: str) -> None:
    attributes = {_XML_SPACE: "preserve"} if text != text.strip() else {}
    SubElement(SubElement(cell, "is"), "t", attributes).text = text


class _Workbook(Workbook):
    def create_sheet(self, title=None, index=None):
        sheet = _RowSheet(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet


def new_workbook(*, title: str, when: datetime) -> Workbook:
    """A write-only workbook whose properties say what it is and nothing about who made it."""
    wb = _Workbook(write_only=True)
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
