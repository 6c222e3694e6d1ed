"""The story queue's widgets: counts, filters, the page of stories, opening one."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from portal.i18n import N_, Translate, plural
from portal.runtime import Runtime
from portal.us_states import state_options
from stories.intake import STORY_LANGUAGES
from stories.moderation import QueueFilters, QueuePage, status_counts
from stories.models import StoryStatus

REVIEW_ID = "review_story_id"
PAGE = "queue_page"

STATUS_LABELS = {
    StoryStatus.NEW: N_("New"),
    StoryStatus.IN_REVIEW: N_("In review"),
    StoryStatus.NEEDS_LEGAL_REVIEW: N_("Needs legal review"),
    StoryStatus.APPROVED: N_("Approved"),
    StoryStatus.REJECTED: N_("Rejected"),
    StoryStatus.WITHDRAWN: N_("Withdrawn"),
}
OPEN_WORK = (StoryStatus.NEW, StoryStatus.IN_REVIEW, StoryStatus.NEEDS_LEGAL_REVIEW)
# The order work moves through, for counts and filters.
STATUS_ORDER = OPEN_WORK + (StoryStatus.APPROVED, StoryStatus.REJECTED, StoryStatus.WITHDRAWN)


# Counting every story by status reads the whole status index, a cost that grows with the
# stories; each server process does it at most once per this many seconds, and the counts the
# moderators see are at most that old (the rows of the queue itself are always current).
COUNTS_TTL_SECONDS = 10


@st.cache_data(ttl=COUNTS_TTL_SECONDS, show_spinner=False)
def _status_counts(_runtime: Runtime) -> dict[StoryStatus, int]:
    # One runtime (one database) per server process: the runtime need not be part of the key.
    return status_counts(_runtime)


def recent_status_counts(runtime: Runtime) -> dict[StoryStatus, int]:
    """Stories per status, at most COUNTS_TTL_SECONDS old."""
    return _status_counts(runtime)


def forget_status_counts() -> None:
    """Count afresh on the next run: a moderator who just decided expects to see it counted."""
    _status_counts.clear()


def counts(runtime: Runtime, _: Translate) -> dict[StoryStatus, int]:
    """The count of each status, as metrics; returns the counts shown."""
    found = recent_status_counts(runtime)
    for col, status in zip(st.columns(len(STATUS_ORDER)), STATUS_ORDER):
        col.metric(_(STATUS_LABELS[status]), f"{found[status]:,}")
    return found


def known_total(chosen: QueueFilters, found: dict[StoryStatus, int]) -> int | None:
    """The queue's total from the status counts when the filter is on status alone, else None."""
    if not chosen.status_only():
        return None
    return sum(found[status] for status in (chosen.statuses or tuple(StoryStatus)))


def _any_yes_no(label: str, key: str, _: Translate, where) -> bool | None:
    choice = where.selectbox(label, ["any", "yes", "no"], key=key,
                             format_func=lambda v: {"any": _("Any"), "yes": _("Yes"), "no": _("No")}[v])
    return None if choice == "any" else choice == "yes"


def filters(language: str, _: Translate) -> QueueFilters:
    with st.expander(_("Filters and search"), expanded=True):
        row = st.columns([3, 2, 2])
        statuses = row[0].multiselect(_("Status"), list(STATUS_ORDER), default=list(OPEN_WORK),
                                      format_func=lambda s: _(STATUS_LABELS[s]), key="q_status")
        story_language = row[1].selectbox(_("Language"), [None, *STORY_LANGUAGES], key="q_language",
                                          format_func=lambda c: _("Any") if c is None else _(STORY_LANGUAGES[c]))
        names = dict(state_options(language))
        state = row[2].selectbox(_("State"), [None, *names], key="q_state",
                                 format_func=lambda c: _("Any") if c is None else names[c])
        row = st.columns([2, 2, 2, 2])
        has_photo = _any_yes_no(_("Has a photo"), "q_photo", _, row[0])
        press = _any_yes_no(_("Consent to press"), "q_press", _, row[1])
        since = row[2].date_input(_("Submitted from"), value=None, key="q_from", format="YYYY-MM-DD")
        until = row[3].date_input(_("Submitted until"), value=None, key="q_to", format="YYYY-MM-DD")
        search = st.text_input(_("Search words in titles and stories"), key="q_search",
                               help=_("Whole words, any order; accents and capitals do not matter."))
    chosen = QueueFilters(statuses=tuple(statuses), language=story_language, state=state,
                          has_photo=has_photo, press_consent=press,
                          submitted_from=since if isinstance(since, dt.date) else None,
                          submitted_to=until if isinstance(until, dt.date) else None,
                          search=search or "")
    # New filters start again from the first page.
    if st.session_state.get("q_last") != chosen:
        st.session_state["q_last"] = chosen
        st.session_state[PAGE] = 0
    return chosen


def table(result: QueuePage, _: Translate) -> None:
    if not result.rows:
        st.info(_("No stories match these filters."))
        return
    # st.dataframe shows text inert: a title is never rendered as markdown or HTML (I2).
    st.dataframe([{
        _("Story"): row.id, _("Status"): _(STATUS_LABELS[row.status]), _("Title"): row.title,
        _("Language"): row.language, _("State"): row.state or "",
        _("Submitted"): row.submitted_at.strftime("%Y-%m-%d %H:%M"),
        _("Photo"): "✓" if row.has_photo else "", _("Press"): "✓" if row.consent_press else "",
    } for row in result.rows], hide_index=True, width="stretch",
        height=38 + 35 * len(result.rows))  # the whole page of rows, no scrolling inside the table
    st.caption(plural(_, N_("Page {page} of {pages} · {total} story"),
                      N_("Page {page} of {pages} · {total} stories"), result.total).format(
        page=result.page + 1, pages=result.pages, total=f"{result.total:,}"))
    cols = st.columns(4)
    if cols[0].button(_("Previous page"), disabled=result.page == 0):
        st.session_state[PAGE] = result.page - 1
        st.rerun()
    if cols[1].button(_("Next page"), disabled=result.page + 1 >= result.pages):
        st.session_state[PAGE] = result.page + 1
        st.rerun()
    options = [row.id for row in result.rows]
    chosen = cols[2].selectbox(_("Story to open"), options, key="q_open",
                               format_func=lambda i: f"#{i}", label_visibility="collapsed")
    if cols[3].button(_("Open story"), type="primary"):
        st.session_state[REVIEW_ID] = chosen
        st.switch_page("pages/review.py")
