"""Dashboard: letters per day and by state, stories by status, delivery status."""

import streamlit as st

from web.dashboard_view import by_state_chart, metrics, per_day_chart, recent_figures, stories_chart
from web.layout import start_moderator_page

runtime, _, language, actor = start_moderator_page("Dashboard")
st.title(_("Dashboard"))

figures = recent_figures(runtime)
metrics(runtime, figures, _)
per_day_chart(figures, _)
left, right = st.columns(2)
with left:
    by_state_chart(figures, _)
with right:
    stories_chart(runtime, _)
