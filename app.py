"""Entry point: routes to the pages. The menu itself is drawn by each page (web/menu.py)."""

import streamlit as st

from web.language import gettext
from web.menu import ALL_PAGES, visible_pages

_ = gettext()
shown = visible_pages()
# Every page is routable, so a bookmarked moderator page opens (on its sign-in form) rather than
# "page not found"; the menu lists only what this visitor may use, and each page guards itself.
pages = [st.Page(e.path, title=_(e.title), url_path=e.url_path, default=e.default,
                 visibility="visible" if e in shown else "hidden")
         for e in ALL_PAGES]
st.navigation(pages, position="hidden").run()
