"""The front page: what the campaign asks for and the ways to take part."""

import streamlit as st

from web.layout import start_page
from web.letter_flow import campaign_cards, open_campaign

runtime, _, language = start_page("Home")

st.title(_("Families belong together"))
st.write(_("Children are still being taken from their parents at the US border, and some families "
           "separated years ago have not been reunited. Add your voice: it takes a few minutes."))

st.header(_("Write to the President and the Secretary of Homeland Security"))
picked = campaign_cards(runtime, _, language, "home")
if picked:
    open_campaign(picked)
    st.switch_page("pages/write.py")
