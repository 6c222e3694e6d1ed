"""Opening exported files again the way a reader would, and looking into every part of them."""

from __future__ import annotations

import io
import re
import zipfile

from openpyxl import load_workbook

FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")


def zip_parts(data: bytes) -> dict[str, bytes]:
    """Every part of an OOXML file (they are zip archives), by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def leaks(data: bytes, secrets: list[str]) -> list[tuple[str, str]]:
    """(part, secret) for each secret found in any part, as UTF-8 or XML-escaped text."""
    found = []
    for name, content in zip_parts(data).items():
        for secret in secrets:
            if secret.encode("utf-8") in content:
                found.append((name, secret))
    return found


def formula_count(data: bytes) -> int:
    """<f> elements in every worksheet: a formula anywhere makes this non-zero."""
    return sum(len(FORMULA_ELEMENT.findall(content)) for name, content in zip_parts(data).items()
               if name.startswith("xl/worksheets/"))


def core_properties(data: bytes) -> str:
    return zip_parts(data)["docProps/core.xml"].decode("utf-8")


def empty_or_absent(xml: str, tag: str) -> bool:
    """True when core.xml has no `tag` element or an empty one."""
    match = re.search(rf"<{tag}[^>]*/>|<{tag}[^>]*>(.*?)</{tag}>", xml, re.S)
    return match is None or not (match.group(1) or "")


def open_sheet_rows(data: bytes, sheet: str) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data))
    return list(wb[sheet].iter_rows(values_only=True))


def field(header: tuple, row: tuple, name: str) -> str:
    """A field's text put back together from its column and its "(continued ...)" columns."""
    parts = [value for title, value in zip(header, row)
             if title == name or (title or "").startswith(f"{name} (continued")]
    return "".join("" if value is None else str(value) for value in parts)
