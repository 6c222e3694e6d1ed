"""My story: check a story's status with its receipt code, narrow its use, or withdraw it."""

import streamlit as st

from stories.consent import consent_text
from stories.models import StoryStatus
from stories.withdrawal import story_status
from web.layout import start_page
from web.my_story_view import CODE, find_form, forget_code, narrow_form, status_view, withdraw_form

runtime, _, language = start_page("My story")
st.title(_("My story"))
text = consent_text(language)

code = st.session_state.get(CODE)
view = story_status(runtime, code) if code else None
if view is None:
    find_form(runtime, _)
else:
    status_view(view, text, language, _)
    if view.status is not StoryStatus.WITHDRAWN:
        narrow_form(runtime, code, view, text, _)
        withdraw_form(runtime, code, text, _)
    if st.button(_("Close")):
        forget_code()
        st.rerun()
