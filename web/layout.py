"""What every page does first: page settings, the menu, the language, the shared runtime."""

from __future__ import annotations

import streamlit as st

from portal.audit import Actor
from portal.i18n import Translate
from portal.runtime import Runtime
from web.auth import require_moderator
from web.language import current_language, gettext, language_picker
from web.menu import sidebar_menu
from web.runtime import get_runtime

# Static rules only; nothing a user wrote ever reaches this string. The honeypot container is
# moved off-screen rather than display:none, which some bots skip.
_STYLE = """<style>
.st-key-hp-field { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
</style>"""


def _frame(title: str, layout: str) -> tuple[Translate, str]:
    language = current_language()
    _ = gettext()
    st.set_page_config(page_title=f"{_(title)} · {_('Families belong together')}", layout=layout)
    sidebar_menu(_)
    language_picker()
    st.markdown(_STYLE, unsafe_allow_html=True)
    return _, language


def start_page(title: str) -> tuple[Runtime, Translate, str]:
    """Set up a public page: its title, the menu, the language switch, the runtime."""
    _, language = _frame(title, "centered")
    return get_runtime(), _, language


def start_moderator_page(title: str, *, admin: bool = False) -> tuple[Runtime, Translate, str, Actor]:
    """Set up a moderator page; the role check runs before any query (SAFETY.md M4).

    Without a signed-in moderator (or admin, when `admin`), the page shows the sign-in form and
    stops there: no story data is ever produced for an anonymous visitor.
    """
    _, language = _frame(title, "wide")
    actor = require_moderator(_, admin=admin)
    return get_runtime(), _, language, actor
