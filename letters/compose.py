"""Composing letter text: a campaign's draft with the supporter's details, per office, and the phone script.

Only the campaign template is ever used as a format string. The supporter's values are inserted
with `format_map`, which never re-reads inserted text, so braces a supporter types stay literal.
"""

from __future__ import annotations

import re
import string
from typing import TYPE_CHECKING

from letters.sender import Sender
from portal.config import Office
from portal.i18n import N_, translator

if TYPE_CHECKING:  # templates imports this module to measure drafts; avoid the import cycle
    from letters.templates import CampaignText

LETTER_MAX_CHARS = 2000

# Blanks a caller fills in aloud when we do not know their details yet. They follow the campaign
# text's language (the script is read in that language), through the one translation layer.
PHONE_BLANKS: dict[str, str] = {
    "first_name": N_("[your first name]"),
    "last_name": N_("[your last name]"),
    "full_name": N_("[your name]"),
    "city": N_("[your city]"),
    "state": N_("[your state]"),
    "zip_code": N_("[your ZIP code]"),
}

_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_EXTRA_BLANK_LINES = re.compile(r"\n{3,}")


def sender_values(sender: Sender) -> dict[str, str]:
    """The sender's details by placeholder name, trimmed."""
    values = {
        "first_name": sender.first_name,
        "last_name": sender.last_name,
        "full_name": sender.full_name,
        "email": sender.email,
        "phone": sender.phone,
        "street": sender.street,
        "city": sender.city,
        "state": sender.state,
        "zip_code": sender.zip_code,
        "personal_paragraph": sender.personal_paragraph,
    }
    return {name: (value or "").strip() for name, value in values.items()}


def _placeholders(line: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(line) if name is not None]


def _fill_line(line: str, values: dict[str, str]) -> str | None:
    """The line filled in, or None when every placeholder on it is empty (an unknown street)."""
    names = _placeholders(line)
    if names and not any(values[name] for name in names):
        return None
    return line.format_map(values)


def draft_text(campaign_text: CampaignText, sender: Sender) -> str:
    """The campaign's letter body with the sender's details filled in, ready to edit."""
    values = sender_values(sender)
    lines = (_fill_line(line, values) for line in campaign_text.body.split("\n"))
    text = "\n".join(line for line in lines if line is not None)
    text = _TRAILING_SPACE.sub("\n", text + "\n")
    return _EXTRA_BLANK_LINES.sub("\n\n", text).strip()


def office_letter(office: Office, language: str, text: str) -> str:
    """The letter as `office` receives it: its salutation, a blank line, then the text."""
    return f"{office.greeting(language)}\n\n{text}"


def phone_script(campaign_text: CampaignText, sender: Sender | None) -> str:
    """The call script, with the caller's details or, without a sender, blanks to say aloud."""
    _ = translator(campaign_text.language)
    values = sender_values(sender) if sender is not None else {}
    filled = {name: values.get(name) or _(blank) for name, blank in PHONE_BLANKS.items()}
    return campaign_text.phone_script.format_map(filled).strip()
