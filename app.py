"""Entry point: page settings, language, and the menu. It routes; the pages do the work."""

import streamlit as st

from web.language import gettext

_ = gettext()

public = [
    st.Page("pages/home.py", title=_("Home"), default=True),
    st.Page("pages/write.py", title=_("Write a letter"), url_path="write"),
]
st.navigation(public).run()
