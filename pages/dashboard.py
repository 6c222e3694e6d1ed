"""Dashboard: letters per day and by state, stories by status, delivery status."""

import streamlit as st

from letters.outbox import delivery_counts
from letters.stats import letters_by_state, letters_per_day, letters_total
from stories.moderation import status_counts
from web.layout import start_moderator_page
from web.queue_view import STATUS_LABELS

runtime, _, language, actor = start_moderator_page("Dashboard")
st.title(_("Dashboard"))

delivery = delivery_counts(runtime.db)
cols = st.columns(4)
cols[0].metric(_("Letters"), f"{letters_total(runtime):,}")
cols[1].metric(_("Delivered"), f"{delivery.get('sent', 0):,}")
cols[2].metric(_("Waiting to be sent"), f"{delivery.get('pending', 0):,}")
cols[3].metric(_("Failed"), f"{delivery.get('failed', 0):,}")

st.subheader(_("Letters per day (last 60 days)"))
per_day = letters_per_day(runtime)
st.line_chart({_("Letters"): [n for _d, n in per_day]} | {"day": [d for d, _n in per_day]}, x="day")

left, right = st.columns(2)
with left:
    st.subheader(_("Letters by state"))
    by_state = letters_by_state(runtime)[:20]
    st.bar_chart({"state": [s for s, _n in by_state], _("Letters"): [n for _s, n in by_state]},
                 x="state", horizontal=True)
with right:
    st.subheader(_("Stories by status"))
    counts = status_counts(runtime)
    st.bar_chart({"status": [_(STATUS_LABELS[s]) for s in counts],
                  _("Stories"): list(counts.values())}, x="status")
