"""The audit log, for administrators: every moderator action, newest first, paged in SQL."""

import streamlit as st

from portal.audit import ACTIONS, browse
from portal.i18n import N_, plural
from web.layout import start_moderator_page

runtime, _, language, actor = start_moderator_page("Audit log", admin=True)
st.title(_("Audit log"))

cols = st.columns([2, 1, 1])
action = cols[0].selectbox(_("Action"), [None, *sorted(ACTIONS)], key="audit_action",
                           format_func=lambda a: _("Any") if a is None else a)
story = cols[1].number_input(_("Story number"), min_value=1, step=1, value=None, key="audit_story")
page = int(cols[2].number_input(_("Page"), min_value=1, step=1, value=1, key="audit_page")) - 1

with runtime.db.session() as session:
    result = browse(session, page=page, action=action, story_id=int(story) if story else None)
    rows = [{_("When (UTC)"): e.at.strftime("%Y-%m-%d %H:%M:%S"), _("Who"): e.actor,
             _("Action"): e.action, _("Story"): e.story_id, _("Detail"): e.detail or ""}
            for e in result.entries]
st.caption(plural(_, N_("{total} entry"), N_("{total} entries"), result.total).format(
    total=f"{result.total:,}"))
st.dataframe(rows, hide_index=True, width="stretch")
