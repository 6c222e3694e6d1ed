"""Entry point: routes to the pages. The menu itself is drawn by each page (web/menu.py)."""

import streamlit as st

from web.language import gettext
from web.menu import visible_pages

_ = gettext()
pages = [st.Page(e.path, title=_(e.title), url_path=e.url_path, default=e.default)
         for e in visible_pages()]
st.navigation(pages, position="hidden").run()
