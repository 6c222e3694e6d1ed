"""Exports: press files of approved stories, letter bundles for delivery, and the recall list."""

import streamlit as st

from web.exports_view import letter_exports, recall_lookup, story_exports
from web.layout import start_moderator_page

runtime, _, language, actor = start_moderator_page("Exports")
st.title(_("Exports"))
story_exports(runtime, actor, _)
st.divider()
letter_exports(runtime, actor, _, language)
st.divider()
recall_lookup(runtime, _)
