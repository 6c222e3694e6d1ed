"""What every page does first: page settings, language, the shared runtime."""

from __future__ import annotations

import streamlit as st

from portal.i18n import Translate
from portal.runtime import Runtime
from web.language import current_language, gettext, language_picker
from web.menu import sidebar_menu
from web.runtime import get_runtime

# Static rules only; nothing a user wrote ever reaches this string. The honeypot container is
# moved off-screen rather than display:none, which some bots skip.
_STYLE = """<style>
.st-key-hp-field { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
</style>"""


def start_page(title: str) -> tuple[Runtime, Translate, str]:
    """Set up a page: its title, the language switch, the runtime. Returns (runtime, _, language)."""
    language = current_language()
    _ = gettext()
    st.set_page_config(page_title=f"{_(title)} · {_('Families belong together')}", layout="centered")
    sidebar_menu(_)
    language_picker()
    st.markdown(_STYLE, unsafe_allow_html=True)
    return get_runtime(), _, language
