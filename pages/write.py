"""Write a letter: choose a campaign, give your details, edit, preview and send."""

import streamlit as st

from web.layout import start_page
from web.letter_flow import CAMPAIGN, STEP, choose_campaign, details_step, letter_step, open_campaign, sent_step

runtime, _, language = start_page("Write a letter")

# A deep link (?campaign=<id>) opens that campaign's letter directly.
linked = st.query_params.get("campaign")
if linked and linked != st.session_state.get(CAMPAIGN) and runtime.campaigns.get(linked):
    open_campaign(linked)

campaign = runtime.campaigns.get(st.session_state.get(CAMPAIGN))
if campaign is None:
    if linked:
        st.warning(_("That letter is not available. Please choose one below."))
    choose_campaign(runtime, _, language)
else:
    step = st.session_state.get(STEP, "details")
    {"details": details_step, "letter": letter_step, "sent": sent_step}[step](
        runtime, campaign, _, language)
