"""Moderator sign-in. Accounts are made by an administrator on the command line."""

import streamlit as st
from streamlit.errors import StreamlitAPIException

from web.auth import current_moderator, inert, login_form, logout_button
from web.layout import start_page

runtime, _, language = start_page("Moderator sign-in")

st.title(_("Moderator sign-in"))
moderator = current_moderator()
if moderator is None:
    login_form(runtime, _)
else:
    st.success(_("You are signed in as {email}.").format(email=inert(moderator.email)))
    try:
        st.page_link("pages/moderate.py", label=_("Go to the story queue"))
    except StreamlitAPIException:
        pass  # run as the only page (tests): there is no queue page to link to
    logout_button(_)
