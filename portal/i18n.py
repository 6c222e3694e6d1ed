"""One translation layer for every user-facing string: gettext catalogs read with Babel.

Message ids are the English text. Spanish lives in `portal/locale/es/LC_MESSAGES/messages.po`,
read once per process; `make translations` refreshes it from the source. Domain code marks text
with `N_()` and hands back message ids, and the page translates them in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

Translate = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it yet."""
    return message


def normalize_language(value: str | None) -> str:
    """A supported language code from user input such as "es", "ES" or "es-MX"; English otherwise."""
    code = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@lru_cache(maxsize=None)
def _catalog(language: str) -> Mapping[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    # Fuzzy entries are unreviewed guesses: fall back to English rather than show them.
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy
            and isinstance(m.id, str)}


def translator(language: str) -> Translate:
    """The gettext function for `language`; unknown ids come back unchanged (in English)."""
    if language == DEFAULT_LANGUAGE:
        return lambda message: message
    table = _catalog(language)
    return lambda message: table.get(message, message)


def plural(_: Translate, one: str, many: str, n: int) -> str:
    """Pick the singular or plural message id by `n`, then translate it.

    English and Spanish share the rule "one when n == 1"; a language with other plural forms
    would need gettext's ngettext and plural catalog entries instead.
    """
    return _(one if n == 1 else many)


@dataclass(frozen=True)
class Msg:
    """A message id with its parameters, rendered later in the reader's language."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, _: Translate) -> str:
        text = _(self.key)
        return text.format(**self.params) if self.params else text

