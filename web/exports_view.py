"""The exports page's parts: press files of approved stories, letter bundles, the recall list."""

from __future__ import annotations

import io

import streamlit as st

from portal.audit import Actor
from portal.i18n import N_, Translate, plural
from portal.runtime import Runtime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _offer(key: str, label: str, data: bytes, file_name: str, mime: str) -> None:
    st.session_state[key] = (label, data, file_name, mime)


def _download(key: str) -> None:
    ready = st.session_state.get(key)
    if ready:
        label, data, file_name, mime = ready
        st.download_button(label, data, file_name=file_name, mime=mime, key=f"{key}-download",
                           type="primary")


def story_exports(runtime: Runtime, actor: Actor, _: Translate) -> None:
    from stories.ledger import StoriesChanged, export_stories

    st.subheader(_("Stories for the press"))
    st.caption(_("Only approved stories whose authors allowed press use, in their publication "
                 "version, credited as they chose. Every export is recorded with the outlet."))
    with st.form("story_export"):
        outlet = st.text_input(_("For which outlet or partner?"), max_chars=200)
        campaign = st.text_input(_("Campaign name on the cover"), value=_("Families belong together"),
                                 max_chars=120)
        fmt = st.radio(_("Format"), ["xlsx", "docx"], horizontal=True,
                       format_func=lambda f: {"xlsx": _("Spreadsheet (Excel)"),
                                              "docx": _("Press kit (Word)")}[f])
        go = st.form_submit_button(_("Prepare the file"))
    if go:
        if not outlet.strip():
            st.error(_("Say who the file is for: it is recorded, so a withdrawal can reach them."))
            return
        buffer = io.BytesIO()
        try:
            with st.spinner(_("Preparing the file…")):
                count = export_stories(runtime, actor, buffer, fmt=fmt, outlet=outlet.strip(),
                                       campaign=campaign.strip())
        except StoriesChanged as exc:
            st.error(_(exc.message))
            return
        label = plural(_, N_("Download {count} story ({format})"),
                       N_("Download {count} stories ({format})"), count)
        kind = _("Excel") if fmt == "xlsx" else _("Word")
        _offer("story_file", label.format(count=count, format=kind), buffer.getvalue(),
               f"stories.{fmt}", XLSX if fmt == "xlsx" else DOCX)
    _download("story_file")


def letter_exports(runtime: Runtime, actor: Actor, _: Translate, language: str) -> None:
    from letters.exports import export_letters

    st.subheader(_("Letters for delivery"))
    campaigns = {c.id: c.text(language).title for c in runtime.campaigns}
    offices = {o.id: o.title[language] for o in runtime.config.offices.values()}
    with st.form("letter_export"):
        campaign = st.selectbox(_("Campaign"), [None, *campaigns],
                                format_func=lambda c: _("All campaigns") if c is None else campaigns[c])
        fmt = st.radio(_("Format"), ["docx", "xlsx"], horizontal=True,
                       format_func=lambda f: {"docx": _("Print bundle, one letter per page (Word)"),
                                              "xlsx": _("Counts by city and state (Excel)")}[f])
        office = st.selectbox(_("Office (print bundle)"), [None, *offices],
                              format_func=lambda o: _("All offices") if o is None else offices[o])
        emails = st.checkbox(_("Include senders' names and e-mail addresses (administrators only)"),
                             value=False, disabled=not actor.is_admin)
        go = st.form_submit_button(_("Prepare the file"))
    if go:
        buffer = io.BytesIO()
        with st.spinner(_("Preparing the file…")):
            export_letters(runtime, actor, buffer, fmt=fmt, campaign_id=campaign, office_id=office,
                           include_emails=emails and actor.is_admin)
        _offer("letter_file", _("Download the letters file"), buffer.getvalue(), f"letters.{fmt}",
               XLSX if fmt == "xlsx" else DOCX)
    _download("letter_file")


def recall_lookup(runtime: Runtime, _: Translate) -> None:
    from stories.ledger import recall_list

    st.subheader(_("Which exports included a story?"))
    story = st.number_input(_("Story number"), min_value=1, step=1, value=None, key="recall_story")
    if story:
        with runtime.db.session() as session:
            recalls = recall_list(session, int(story))
        recall_table(recalls, _)


def recall_table(recalls, _: Translate) -> None:
    """The exports that carried a story: who got which version, and when."""
    if not recalls:
        st.info(_("This story was never exported."))
        return
    st.dataframe([{_("Export"): r.export_id, _("Date"): r.at.strftime("%Y-%m-%d"),
                   _("Format"): r.kind, _("For"): r.outlet or "", _("By"): r.actor,
                   _("Version"): r.story_version} for r in recalls], hide_index=True)
