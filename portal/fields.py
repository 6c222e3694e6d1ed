"""Checks shared by every form: lengths, names, e-mail addresses, phone numbers (SAFETY.md I1).

Each returns a message for the person, or None when the value is fine.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from portal.i18n import N_, Msg

_PHONE_CHARS = frozenset("0123456789 +-().")
# Names and places are where form spam puts its links.
_SPAM_MARKERS = ("@", "http", "www.", "://")


def too_long(value: str, limit: int) -> Msg | None:
    """Never cut silently: the person decides what to leave out."""
    if len(value) > limit:
        return Msg(N_("Enter at most {limit} characters."), {"limit": limit})
    return None


def has_letter(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("L") for ch in text)


def looks_like_spam(text: str) -> bool:
    lowered = text.casefold()
    return any(marker in lowered for marker in _SPAM_MARKERS)


def check_person_name(value: str) -> Msg | None:
    if looks_like_spam(value):
        return Msg(N_("Enter only your name here, without links or e-mail addresses."))
    if not has_letter(value):
        return Msg(N_("Enter a name with at least one letter."))
    return None


def normalize_email(value: str, limit: int = 254) -> tuple[str, Msg | None]:
    """The address in its normal form, or the reason it cannot be used."""
    try:
        normal = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return value, Msg(N_("Enter an e-mail address like name@example.com."))
    return normal, too_long(normal, limit)


def check_phone(value: str, *, us_only: bool = True) -> Msg | None:
    """US numbers for letters; any country for storytellers, who may live abroad."""
    if not set(value) <= _PHONE_CHARS:
        return Msg(N_("Use only digits, spaces and + - ( ) . in your phone number."))
    digits = "".join(ch for ch in value if ch.isascii() and ch.isdigit())
    if len(digits) == 10 or (len(digits) == 11 and digits.startswith("1")):
        return None
    if not us_only and 7 <= len(digits) <= 15:
        return None
    if us_only:
        return Msg(N_("Enter a 10-digit US phone number, like 202-555-0123, or leave it empty."))
    return Msg(N_("Enter a phone number with its country code, like +52 55 1234 5678, or leave it empty."))
