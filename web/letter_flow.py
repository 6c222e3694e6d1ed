"""The letter journey's steps as widgets: choose, your details, your letter, sent.

Where the visitor is and what they typed live in session_state; the letter itself is stored
only when they press Send, in one call to the domain.
"""

from __future__ import annotations

import io
import logging
import secrets
import time

import streamlit as st

from letters.compose import LETTER_MAX_CHARS, draft_text, office_letter, phone_script
from letters.letter_copy import write_letter_copy
from letters.progress import progress
from letters.sender import FIELD_LIMITS, Sender, validate_letter_text, validate_sender
from letters.share import campaign_url, share_links
from letters.submit import (OPT_IN_TEXT, AlreadyWrote, LetterDraft, UnknownCampaign, letter_count,
                            load_letter, submit_letter)
from portal.bot_check import looks_automated
from portal.db import StorageBusy
from portal.i18n import N_, Msg, Translate, plural
from portal.runtime import Runtime
from portal.us_states import state_options
from web.runtime import limiter

log = logging.getLogger(__name__)

STEP, CAMPAIGN = "letter_step", "letter_campaign"
SENDER_FIELDS = ("first_name", "last_name", "email", "street", "city", "state", "zip_code", "phone",
                 "personal_paragraph")


def _field_key(name: str) -> str:
    return f"sender_{name}"


def reset_flow() -> None:
    """Forget the flow (after sending, or to start over); a fresh form gets a fresh key."""
    for key in [STEP, "letter_sender", "letter_errors", "letter_text", "letter_draft",
                "letter_idem", "letter_drawn_at", "letter_conflict", "letter_sent_id",
                "letter_text_error", "letter_replaced", CAMPAIGN]:
        st.session_state.pop(key, None)


def _start_over() -> None:
    """Back to the list of campaigns; the deep link that opened this one no longer applies."""
    reset_flow()
    st.query_params.pop("campaign", None)
    st.rerun()


def _start_form() -> None:
    # Made when the form is first drawn: a double click or a resubmission carries the same key.
    st.session_state.setdefault("letter_idem", secrets.token_urlsafe(24))
    st.session_state.setdefault("letter_drawn_at", time.time())


def campaign_cards(runtime: Runtime, _: Translate, language: str, key_prefix: str) -> str | None:
    """One card per campaign with its count and a button; returns the id of the one picked."""
    picked = None
    for campaign in runtime.campaigns:
        text = campaign.text(language)
        with st.container(border=True):
            st.subheader(text.title)
            st.write(text.summary)
            written = letter_count(runtime, campaign.id)
            st.caption(plural(_, N_("{count} person has written so far."),
                              N_("{count} people have written so far."), written).format(
                count=f"{written:,}"))
            if st.button(_("Write this letter"), key=f"{key_prefix}-{campaign.id}", type="primary"):
                picked = campaign.id
    return picked


def open_campaign(campaign_id: str) -> None:
    """Start a fresh letter for `campaign_id`."""
    reset_flow()
    st.session_state[CAMPAIGN] = campaign_id


def choose_campaign(runtime: Runtime, _: Translate, language: str) -> None:
    """Step 0: the list of campaigns to write for."""
    st.title(_("Write a letter"))
    st.write(_("Choose a letter. You can read the draft, add your own words and send it in a few minutes."))
    picked = campaign_cards(runtime, _, language, "pick")
    if picked:
        open_campaign(picked)
        st.rerun()


def _placeholder_sender(_: Translate) -> Sender:
    return Sender(first_name=_("[First name]"), last_name=_("[Last name]"), email="",
                  city=_("[City]"), state=_("[State]"), zip_code=_("[ZIP]"))


def details_step(runtime: Runtime, campaign, _: Translate, language: str) -> None:
    """Step 1: read the summary and the draft, then give your details."""
    text = campaign.text(language)
    _start_form()
    st.title(text.title)
    st.write(text.summary)
    recipients = ", ".join(runtime.config.offices[o].title[language] for o in campaign.recipients)
    st.caption(_("To: {recipients}").format(recipients=recipients))
    with st.expander(_("Read the draft letter"), expanded=False):
        st.text(draft_text(text, _placeholder_sender(_)))

    errors: dict[str, Msg] = st.session_state.get("letter_errors", {})
    st.subheader(_("Your details"))
    st.caption(_("Offices give more weight to letters from real constituents. Your e-mail is used "
                 "for replies to your letter; we never publish it."))
    with st.form("sender_form", enter_to_submit=False):
        cols = st.columns(2)
        _text_field(cols[0], _("First name"), "first_name", errors, _)
        _text_field(cols[1], _("Last name"), "last_name", errors, _)
        _text_field(st, _("E-mail"), "email", errors, _)
        _text_field(st, _("Street address (optional)"), "street", errors, _)
        cols = st.columns([3, 2, 2])
        _text_field(cols[0], _("City"), "city", errors, _)
        options = state_options(language)
        names = dict(options)
        cols[1].selectbox(_("State"), [code for code, _name in options], index=None,
                          format_func=names.get, key=_field_key("state"),
                          placeholder=_("Choose"), persist_state="session")
        _show_error(cols[1], errors.get("state"), _)
        _text_field(cols[2], _("ZIP code"), "zip_code", errors, _)
        _text_field(st, _("Phone (optional)"), "phone", errors, _)
        st.text_area(_("Why this matters to you (optional)"), key=_field_key("personal_paragraph"),
                     max_chars=FIELD_LIMITS["personal_paragraph"], persist_state="session",
                     help=_("A few sentences in your own words. They are added to the letter, "
                            "and you can still edit everything in the next step."))
        _show_error(st, errors.get("personal_paragraph"), _)
        go = st.form_submit_button(_("Continue to your letter"), type="primary")
    if st.button(_("Choose another letter")):
        _start_over()
    if go:
        raw = {name: st.session_state.get(_field_key(name)) or "" for name in SENDER_FIELDS}
        sender, errors = validate_sender(raw)
        st.session_state["letter_errors"] = errors
        if sender is not None:
            _enter_letter_step(sender, draft_text(text, sender))
        st.rerun()


def _text_field(where, label: str, name: str, errors: dict[str, Msg], _: Translate) -> None:
    where.text_input(label, key=_field_key(name), max_chars=FIELD_LIMITS[name],
                     persist_state="session")
    _show_error(where, errors.get(name), _)


def _show_error(where, error: Msg | None, _: Translate) -> None:
    if error is not None:
        where.error(error.render(_))


def _enter_letter_step(sender: Sender, draft: str) -> None:
    previous_draft = st.session_state.get("letter_draft")
    current = st.session_state.get("letter_text")
    # Keep the supporter's own edits; only an untouched draft follows their new details.
    if current is None or current == previous_draft:
        st.session_state["letter_text"] = draft
    st.session_state["letter_draft"] = draft
    st.session_state["letter_sender"] = sender
    st.session_state[STEP] = "letter"


def _back_to_draft() -> None:
    st.session_state["letter_text"] = st.session_state["letter_draft"]
    st.session_state.pop("letter_text_error", None)


def letter_step(runtime: Runtime, campaign, _: Translate, language: str) -> None:
    """Step 2: edit the whole letter, preview what each office receives, send."""
    text = campaign.text(language)
    sender: Sender = st.session_state["letter_sender"]
    st.title(text.title)
    st.subheader(_("Your letter"))
    st.caption(_("Edit anything you like. The counter shows how much room is left "
                 "(the White House contact form takes at most {limit} characters).").format(
        limit=f"{LETTER_MAX_CHARS:,}"))
    if st.session_state.get("letter_text") not in (None, st.session_state.get("letter_draft")):
        st.info(_("You have edited the draft. Your edits are kept if you go back to your details."))
    st.text_area(_("Letter"), key="letter_text", height=420, max_chars=LETTER_MAX_CHARS)
    error = st.session_state.get("letter_text_error")
    if error:
        st.error(error.render(_))
    cols = st.columns(2)
    cols[0].button(_("Back to the draft"), on_click=_back_to_draft,
                   help=_("Replace your edits with the campaign's draft, filled with your details."))
    if cols[1].button(_("Back to your details")):
        st.session_state[STEP] = "details"
        st.rerun()

    st.subheader(_("Preview"))
    for office_id in campaign.recipients:
        office = runtime.config.offices[office_id]
        with st.expander(_("Letter as received: {office}").format(office=office.title[language])):
            st.caption(_("Subject: {subject}").format(subject=text.subject))
            # st.text shows the letter inert: no markdown, no HTML (SAFETY.md I2).
            st.text(office_letter(office, language, st.session_state.get("letter_text") or ""))

    st.checkbox(_(OPT_IN_TEXT), key="letter_opt_in", value=False)
    with st.container(key="hp-field"):
        st.text_input("Website", key="letter_website", label_visibility="collapsed",
                      autocomplete="off")
    replace = False
    if st.session_state.get("letter_conflict"):
        st.warning(_(AlreadyWrote.message))
        replace = st.checkbox(_("Replace my earlier letter with this one"), key="letter_replace")
    if st.button(_("Send my letter"), type="primary"):
        _send(runtime, campaign, sender, language, replace, _)


def _send(runtime: Runtime, campaign, sender: Sender, language: str, replace: bool,
          _: Translate) -> None:
    now = time.time()
    if looks_automated(st.session_state.get("letter_website"), st.session_state.get("letter_drawn_at"),
                       now, runtime.config.min_submit_seconds):
        log.info("automated letter submission dropped")
        st.session_state["letter_sent_id"] = None
        st.session_state[STEP] = "sent"
        st.rerun()
    letters = limiter("letters", runtime.config.letters_per_minute)
    session_key = st.session_state.setdefault("_rate_key", secrets.token_hex(8))
    address = st.context.ip_address or "unknown"
    if not (letters.allow("session:" + session_key) and letters.allow("address:" + address)):
        st.error(_("You have sent several letters in a short time. Please wait a minute, "
                   "then press Send again. Your letter is still here."))
        return
    letter_text, error = validate_letter_text(st.session_state.get("letter_text") or "",
                                              LETTER_MAX_CHARS)
    if error is not None:
        st.session_state["letter_text_error"] = error
        st.rerun()
    draft = LetterDraft(campaign_id=campaign.id, language=language, sender=sender, text=letter_text,
                        edited=letter_text != st.session_state.get("letter_draft"),
                        opt_in=bool(st.session_state.get("letter_opt_in")),
                        idempotency_key=st.session_state["letter_idem"])
    try:
        result = submit_letter(runtime, draft, replace=replace)
    except AlreadyWrote:
        st.session_state["letter_conflict"] = True
        st.rerun()
    except UnknownCampaign:
        st.error(_(UnknownCampaign.message))
        return
    except StorageBusy:
        st.error(_("Your letter was not saved because the portal is very busy right now. "
                   "Please press Send again; everything you wrote is still here."))
        return
    st.session_state["letter_sent_id"] = result.letter_id
    st.session_state["letter_replaced"] = result.replaced
    st.session_state[STEP] = "sent"
    st.rerun()


def sent_step(runtime: Runtime, campaign, _: Translate, language: str) -> None:
    """Step 3: thanks, the count, a copy to keep, and what to do next."""
    text = campaign.text(language)
    st.title(_("Thank you. Your letter is on its way."))
    letter_id = st.session_state.get("letter_sent_id")
    stored = load_letter(runtime, letter_id) if letter_id else None
    if st.session_state.get("letter_replaced"):
        st.info(_("Your earlier letter was replaced. Offices that already received it will not "
                  "get a second copy."))
    count = letter_count(runtime, campaign.id)
    status = progress(count, campaign.goal)
    if count <= 1:
        st.subheader(_("You are the first person to write. Thank you for leading the way."))
    else:
        st.subheader(_("You are one of {count} people who wrote.").format(count=f"{count:,}"))
    st.progress(status.fraction, text=_("{count} of {goal} letters: help us reach the goal.").format(
        count=f"{count:,}", goal=f"{status.goal:,}"))
    if runtime.config.delivers_to_files:
        st.info(_("This portal has no e-mail server set up, so letters are saved as files in its "
                  "outbox folder, and the organizers deliver them."))

    if stored is not None:
        offices = [runtime.config.offices[o] for o in campaign.recipients]
        buffer = io.BytesIO()
        write_letter_copy(buffer, letters=[(o.title[language], office_letter(o, language, stored.text))
                                           for o in offices],
                          language=language, sent_on=stored.created_at.date(), subject=text.subject)
        st.download_button(_("Download a copy of your letter (Word)"), buffer.getvalue(),
                           file_name=f"letter-{campaign.id}.docx",
                           mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")

    st.subheader(_("Share the letter"))
    url = campaign_url(runtime.config.public_url, campaign.id, language)
    cols = st.columns(5)
    for col, link in zip(cols, share_links(text=text.share_text, url=url, hashtag=campaign.hashtag,
                                           subject=text.title)):
        col.link_button(_(link.name), link.url)

    st.subheader(_("Call the offices too"))
    sender = st.session_state.get("letter_sender")
    st.text(phone_script(text, sender))
    for office_id in campaign.recipients:
        office = runtime.config.offices[office_id]
        if office.phone:
            st.write(f"{office.title[language]}: {office.phone}")
    if st.button(_("Write another letter")):
        _start_over()

