"""The "My story" page's parts: find a story by receipt code, see its status, narrow or withdraw."""

from __future__ import annotations

import secrets

import streamlit as st

from portal.i18n import Translate
from portal.runtime import Runtime
from stories.consent import PURPOSES, ConsentAnswers, ConsentText
from stories.models import Credit
from stories.withdrawal import (STATUS_TEXT, NotNarrowing, StoryStatusView, narrow_consent,
                                story_status, withdraw_story)
from web.runtime import limiter

CODE = "mystory_code"
# Wrong codes are throttled per session, per address and overall, so codes cannot be guessed.
LIMITS = {"session": 10, "address": 30, "all": 600}


def _allowed() -> bool:
    session_key = st.session_state.setdefault("_rate_key", secrets.token_hex(8))
    address = st.context.ip_address or "unknown"
    return (limiter("code-session", LIMITS["session"]).allow(session_key)
            and limiter("code-address", LIMITS["address"]).allow(address)
            and limiter("code-all", LIMITS["all"]).allow("all"))


def find_form(runtime: Runtime, _: Translate) -> None:
    st.write(_("Enter the receipt code you received when you shared your story."))
    with st.form("find_story", enter_to_submit=True):
        typed = st.text_input(_("Receipt code"), placeholder="XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        go = st.form_submit_button(_("Show my story"), type="primary")
    if not go:
        return
    if not _allowed():
        st.error(_("Too many attempts. Please wait a few minutes and try again."))
        return
    if story_status(runtime, typed) is None:
        # The same answer for a malformed code and an unknown one: a guess learns nothing.
        st.error(_("We could not find a story with this code. Please check it and try again."))
        return
    st.session_state[CODE] = typed
    st.rerun()


def status_view(view: StoryStatusView, text: ConsentText, language: str, _: Translate) -> None:
    st.subheader(_("Status"))
    st.info(_(STATUS_TEXT[view.status]))
    st.caption(_("Shared on {date}").format(date=view.submitted_at.date().isoformat()))


def narrow_form(runtime: Runtime, code: str, view: StoryStatusView, text: ConsentText,
                _: Translate) -> None:
    st.subheader(_("How your story may be used"))
    st.caption(_("Untick a use to stop it. Uses you did not allow cannot be added here."))
    current = view.answers
    with st.form("narrow"):
        ticked = {}
        for purpose in PURPOSES:
            if purpose == "keep_for_review" or (purpose == "photo" and not view.has_photo):
                continue
            allowed = getattr(current, purpose)
            ticked[purpose] = st.checkbox(text.purposes[purpose], value=allowed,
                                          disabled=not allowed, key=f"narrow_{purpose}")
        order = list(Credit)
        choices = order[: order.index(current.credit) + 1]
        credit = st.radio(text.credit_question, choices, index=len(choices) - 1,
                          format_func=text.credit_options.get, key="narrow_credit")
        save = st.form_submit_button(_("Save changes"))
    if save:
        answers = ConsentAnswers(keep_for_review=current.keep_for_review, age=current.age,
                                 credit=credit, **{p: ticked.get(p, False) for p in PURPOSES
                                                   if p != "keep_for_review"})
        try:
            narrow_consent(runtime, code, answers, text)
        except NotNarrowing:
            st.error(_(NotNarrowing.message))
            return
        st.success(_("Your choices are saved. They apply from now on."))


def withdraw_form(runtime: Runtime, code: str, text: ConsentText, _: Translate) -> None:
    st.subheader(_("Withdraw your story"))
    st.write(_("Withdrawing deletes your story, your photo and your contact details at once. It "
               "stops every future use. Copies already given to reporters cannot be called back, "
               "but we will tell them you withdrew it."))
    with st.form("withdraw"):
        sure = st.checkbox(_("Yes, withdraw and delete my story."), value=False)
        go = st.form_submit_button(_("Withdraw my story"), type="primary")
    if go:
        if not sure:
            st.error(_("Tick the box to confirm, then press Withdraw."))
            return
        withdraw_story(runtime, code, text)
        st.success(_("Your story has been withdrawn and deleted."))
        st.rerun()


def forget_code() -> None:
    st.session_state.pop(CODE, None)
