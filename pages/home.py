"""The front page: what the campaign asks for and the ways to take part."""

import streamlit as st

from letters.submit import letter_count
from web.layout import start_page
from web.letter_flow import CAMPAIGN, reset_flow

runtime, _, language = start_page("Home")

st.title(_("Families belong together"))
st.write(_("Children are still being taken from their parents at the US border, and some families "
           "separated years ago have not been reunited. Add your voice: it takes a few minutes."))

st.header(_("Write to the President and the Secretary of Homeland Security"))
for campaign in runtime.campaigns:
    text = campaign.text(language)
    with st.container(border=True):
        st.subheader(text.title)
        st.write(text.summary)
        st.caption(_("{count} people have written so far.").format(
            count=f"{letter_count(runtime, campaign.id):,}"))
        if st.button(_("Write this letter"), key=f"home-{campaign.id}", type="primary"):
            reset_flow()
            st.session_state[CAMPAIGN] = campaign.id
            st.switch_page("pages/write.py")
