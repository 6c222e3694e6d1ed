"""The story queue: counts, filters, search, and paging, all done in the database."""

import streamlit as st

from stories.moderation import queue
from web.layout import start_moderator_page
from web.queue_view import PAGE, counts, filters, known_total, table

runtime, _, language, actor = start_moderator_page("Story queue")
st.title(_("Story queue"))
found = counts(runtime, _)
chosen = filters(language, _)
table(queue(runtime, chosen, page=st.session_state.get(PAGE, 0), total=known_total(chosen, found)), _)
