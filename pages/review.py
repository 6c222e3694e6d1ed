"""Review one story: consent first, original beside the publication version, redact, decide."""

import streamlit as st

from stories.moderation import load_review, open_story
from web.layout import start_moderator_page
from web.queue_view import REVIEW_ID
from web.review_view import consent_box, decisions, detected, editors, header, notice, photo, withdrawn

runtime, _, language, actor = start_moderator_page("Review a story")

chosen = st.number_input(_("Story number"), min_value=1, step=1, value=st.session_state.get(REVIEW_ID),
                         placeholder=_("Enter a story number, or open one from the queue"))
if not chosen:
    st.stop()
story_id = int(chosen)
# Opening is recorded once per story and visit, not on every rerun while typing.
if st.session_state.get("review_opened") != story_id:
    if not open_story(runtime, actor, story_id):
        st.error(_("There is no story with this number."))
        st.stop()
    st.session_state["review_opened"] = story_id
    st.session_state[REVIEW_ID] = story_id

review = load_review(runtime, actor, story_id)
notice()
header(review, _)
if review.withdrawn_at is not None:
    withdrawn(runtime, actor, review, _)
    st.stop()
consent_box(review, _)
photo(runtime, review, _)
title_key, text_key = editors(review, _)
detected(review, text_key, title_key, _)
decisions(runtime, actor, review, title_key, text_key, _)
