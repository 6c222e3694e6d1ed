"""The supporter who signs a letter: their details, checked on the server (SAFETY.md I1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from portal.fields import check_person_name, check_phone, has_letter, looks_like_spam, normalize_email, too_long

from portal.i18n import Msg, N_
from portal.text import clean_text
from portal.us_states import STATE_CODES, zip_matches_state


@dataclass(frozen=True)
class Sender:
    first_name: str
    last_name: str
    email: str
    city: str
    state: str
    zip_code: str
    street: str = ""
    phone: str = ""
    personal_paragraph: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


# Maximum length of each field, in characters (Unicode code points after NFC normalization).
FIELD_LIMITS: dict[str, int] = {
    "first_name": 60,
    "last_name": 60,
    "email": 254,
    "street": 120,
    "city": 80,
    "state": 2,
    "zip_code": 10,
    "phone": 25,
    "personal_paragraph": 1000,
}

MULTILINE_FIELDS = frozenset({"personal_paragraph"})

# What to say when a required field is left empty.
_REQUIRED: dict[str, str] = {
    "first_name": N_("Enter your first name."),
    "last_name": N_("Enter your last name."),
    "email": N_("Enter your e-mail address."),
    "city": N_("Enter your city or town."),
    "state": N_("Choose your state from the list."),
    "zip_code": N_("Enter your ZIP code."),
}

_ZIP_RE = re.compile(r"[0-9]{5}(?:-[0-9]{4})?")


def _check_city(value: str) -> Msg | None:
    if looks_like_spam(value) or not has_letter(value):
        return Msg(N_("Enter the name of your city or town."))
    return None


def validate_sender(raw: Mapping[str, str]) -> tuple[Sender | None, dict[str, Msg]]:
    """Clean and check the sender's form; returns (Sender, {}) or (None, {field: message})."""
    values: dict[str, str] = {}
    errors: dict[str, Msg] = {}
    for name, limit in FIELD_LIMITS.items():
        given = raw.get(name)
        value = clean_text(given if isinstance(given, str) else "",
                           multiline=name in MULTILINE_FIELDS)
        values[name] = value
        if not value:
            if name in _REQUIRED:
                errors[name] = Msg(_REQUIRED[name])
        elif too_long(value, limit):
            errors[name] = too_long(value, limit)

    def check(name: str, rule) -> None:
        if name not in errors and values[name]:
            problem = rule(values[name])
            if problem is not None:
                errors[name] = problem

    check("first_name", check_person_name)
    check("last_name", check_person_name)
    check("city", _check_city)
    check("phone", check_phone)

    if "email" not in errors:
        values["email"], problem = normalize_email(values["email"], FIELD_LIMITS["email"])
        if problem is not None:
            errors["email"] = problem

    if "state" not in errors:
        values["state"] = values["state"].upper()
        if values["state"] not in STATE_CODES:
            errors["state"] = Msg(_REQUIRED["state"])

    if "zip_code" not in errors:
        if not _ZIP_RE.fullmatch(values["zip_code"]):
            errors["zip_code"] = Msg(N_("Enter a 5-digit ZIP code, or ZIP+4 like 12345-6789."))
        elif "state" not in errors and zip_matches_state(values["zip_code"], values["state"]) is False:
            errors["zip_code"] = Msg(N_("This ZIP code does not match the state you chose."))

    if errors:
        return None, errors
    return Sender(**values), {}


def validate_letter_text(text: str, limit: int = 2000) -> tuple[str, Msg | None]:
    """Clean a letter's body; returns (text, None) or (text, message saying what to fix)."""
    cleaned = clean_text(text, multiline=True)
    if not cleaned:
        return cleaned, Msg(N_("Your letter is empty. Please write your message before sending it."))
    if len(cleaned) > limit:
        return cleaned, Msg(
            N_("Your letter has {count} characters; the limit is {limit}. Please shorten it."),
            {"count": len(cleaned), "limit": limit},
        )
    return cleaned, None
