"""The supporter who signs a letter: their details, checked on the server (SAFETY.md I1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from portal.i18n import Msg


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


def validate_sender(raw: Mapping[str, str]) -> tuple[Sender | None, dict[str, Msg]]:
    """Clean and check the sender's form; returns (Sender, {}) or (None, {field: message})."""
    raise NotImplementedError
