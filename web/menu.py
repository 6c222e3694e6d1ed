"""The portal's menu: one table of pages, drawn the same way however a page was opened.

A fresh server runs a page file directly (without app.py) until someone opens "/", and Streamlit
would then list the raw file names. So the automatic menu is off (.streamlit/config.toml) and
every page draws this one.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
from streamlit.errors import StreamlitAPIException

from portal.i18n import N_, Translate


@dataclass(frozen=True)
class MenuEntry:
    path: str
    title: str  # a message id
    url_path: str | None = None
    default: bool = False


PUBLIC_PAGES = (
    MenuEntry("pages/home.py", N_("Home"), default=True),
    MenuEntry("pages/write.py", N_("Write a letter"), url_path="write"),
    MenuEntry("pages/share_story.py", N_("Share your story"), url_path="share_story"),
    MenuEntry("pages/my_story.py", N_("My story"), url_path="my_story"),
)


# Shown only to signed-in moderators; each page still checks the role itself (SAFETY.md M4).
MODERATOR_PAGES = (
    MenuEntry("pages/moderate.py", N_("Story queue"), url_path="moderate"),
    MenuEntry("pages/review.py", N_("Review a story"), url_path="review"),
    MenuEntry("pages/exports.py", N_("Exports"), url_path="exports"),
    MenuEntry("pages/dashboard.py", N_("Dashboard"), url_path="dashboard"),
)
ADMIN_PAGES = (
    MenuEntry("pages/audit.py", N_("Audit log"), url_path="audit"),
)
LOGIN_PAGE = MenuEntry("pages/login.py", N_("Moderator sign-in"), url_path="login")


def visible_pages() -> tuple[MenuEntry, ...]:
    """The pages this visitor may see: public ones, plus moderation when signed in."""
    from web.auth import current_moderator

    moderator = current_moderator()
    if moderator is None:
        return PUBLIC_PAGES + (LOGIN_PAGE,)
    return PUBLIC_PAGES + MODERATOR_PAGES + (ADMIN_PAGES if moderator.is_admin else ())


ALL_PAGES = PUBLIC_PAGES + MODERATOR_PAGES + ADMIN_PAGES + (LOGIN_PAGE,)


def sidebar_menu(_: Translate) -> None:
    for entry in visible_pages():
        try:
            st.sidebar.page_link(entry.path, label=_(entry.title))
        except StreamlitAPIException:
            # Only when a page file is itself the entry script (AppTest of one page): there is
            # no app.py beside it to resolve the paths from, and no menu to show.
            return
    st.sidebar.divider()
