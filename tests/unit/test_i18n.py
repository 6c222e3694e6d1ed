"""Every message a visitor can see exists in Spanish, with the same placeholders."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from portal.i18n import Msg, normalize_language, translator
from portal.i18n import _catalog

ROOT = Path(__file__).resolve().parents[2]


def source_message_ids() -> set[str]:
    ids = set()
    method_map = [("**.py", "python")]
    for folder in ("app.py", "pages", "portal", "letters", "stories", "web"):
        path = ROOT / folder
        if path.is_file():
            with path.open("rb") as fh:
                from babel.messages.extract import extract
                ids.update(m[1] for m in extract("python", fh) if isinstance(m[1], str))
        elif path.exists():
            ids.update(m[2] for m in extract_from_dir(str(path), method_map)
                       if isinstance(m[2], str))
    return ids


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_every_message_in_the_source_has_a_spanish_translation():
    catalog = _catalog("es")
    missing = sorted(m for m in source_message_ids() if m not in catalog)
    assert missing == [], "run `make translations` and translate: " + repr(missing[:10])


def test_spanish_translations_keep_their_placeholders():
    for message_id, translated in _catalog("es").items():
        assert placeholders(translated) == placeholders(message_id), message_id


@pytest.mark.parametrize("given,expected", [
    ("es", "es"), ("ES", "es"), ("es-MX", "es"), ("es_US", "es"), ("en", "en"),
    ("fr", "en"), ("", "en"), (None, "en"), ("<script>", "en")])
def test_language_codes_from_links_are_normalized(given, expected):
    assert normalize_language(given) == expected


def test_messages_render_in_the_readers_language():
    msg = Msg("To: {recipients}", {"recipients": "X"})
    assert msg.render(translator("en")) == "To: X"
    assert msg.render(translator("es")) == "Para: X"
    assert translator("es")("an id nobody translated") == "an id nobody translated"
