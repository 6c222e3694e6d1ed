"""The "share your story" steps as widgets: before you start, story, consent, contact, review, receipt.

Everything typed lives in session_state (widget keys with persist_state) until the storyteller
submits; going back and forth keeps it. Story text is only ever shown with st.text, never as
markdown or HTML (SAFETY.md I2).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from portal.db import StorageBusy
from portal.i18n import Msg, Translate
from portal.runtime import Runtime
from portal.us_states import state_name, state_options
from stories.consent import PURPOSES, ConsentAnswers, ConsentText, check_answers
from stories.intake import (CONNECTIONS, FIELD_LIMITS, STORY_LANGUAGES, ContactFields, StoryFields,
                            StorySubmission, submit_story, validate_contact, validate_credited_name,
                            validate_story_fields)
from stories.models import AgeConfirmation, Connection, Credit
from stories.photos import CleanPhoto, PhotoError, clean_photo
from stories.pii import PII_MESSAGES, find_pii
from stories.receipt_mail import email_receipt

STEPS = ("before", "story", "consent", "contact", "review", "receipt")
STEP = "story_step"


def _key(name: str) -> str:
    return f"story_{name}"


def go(step: str) -> None:
    st.session_state[STEP] = step
    st.rerun()


def current_step() -> str:
    return st.session_state.get(STEP, "before")


def forget_story() -> None:
    """Clear everything the storyteller typed (after the receipt, or to start over)."""
    for key in [k for k in st.session_state if str(k).startswith("story_")]:
        del st.session_state[key]


def _errors() -> dict[str, Msg]:
    return st.session_state.get(_key("errors"), {})


def _show_error(where, field: str, _: Translate) -> None:
    error = _errors().get(field)
    if error is not None:
        where.error(error.render(_))


def progress_line(_: Translate) -> None:
    labels = [_("Before you start"), _("Your story"), _("How it may be used"), _("Contact"),
              _("Review"), _("Receipt")]
    index = STEPS.index(current_step())
    st.caption(_("Step {n} of {total}: {name}").format(n=index + 1, total=len(STEPS),
                                                       name=labels[index]))


def step_buttons(back: str, forward: str, problems, _: Translate) -> None:
    """Back, and Continue once `problems()` finds nothing; its findings show by their fields."""
    cols = st.columns(2)
    if cols[0].button(_("Back")):
        go(back)
    if cols[1].button(_("Continue"), type="primary"):
        errors = problems()
        st.session_state[_key("errors")] = errors
        if not errors:
            go(forward)
        st.rerun()


def before_step(text: ConsentText, _: Translate) -> None:
    st.title(_("Share your story"))
    # Our own, reviewed text: plain paragraphs, no user input.
    for paragraph in text.before_you_start.split("\n\n"):
        st.write(paragraph)
    if st.button(_("I understand. Start my story"), type="primary"):
        go("story")


def story_step(runtime: Runtime, language: str, _: Translate) -> None:
    st.header(_("Your story"))
    st.caption(_("Write in the language you are most comfortable with. Use first names or "
                 "initials, and leave out numbers and places that could identify anyone."))
    st.text_input(_("Title"), key=_key("title"), max_chars=FIELD_LIMITS["title"],
                  persist_state="session")
    _show_error(st, "title", _)
    st.text_area(_("Your story"), key=_key("text"), height=320, max_chars=FIELD_LIMITS["text"],
                 persist_state="session")
    _show_error(st, "text", _)
    _pii_hints(_)
    cols = st.columns(2)
    languages = list(STORY_LANGUAGES)
    if _key("language") not in st.session_state:
        st.session_state[_key("language")] = language
    cols[0].selectbox(_("Language of your story"), languages, key=_key("language"),
                      format_func=lambda code: _(STORY_LANGUAGES[code]), persist_state="session")
    _show_error(cols[0], "language", _)
    options = state_options(language)
    names = dict(options)
    cols[1].selectbox(_("State where it happened or where you live (optional)"),
                      [code for code, _n in options], index=None, format_func=names.get,
                      key=_key("state"), placeholder=_("Choose"), persist_state="session")
    _show_error(cols[1], "state", _)
    st.radio(_("How are you connected to this story?"), list(Connection), index=None,
             format_func=lambda c: _(CONNECTIONS[c]), key=_key("connection"), persist_state="session")
    _show_error(st, "connection", _)
    this_year = dt.date.today().year
    st.selectbox(_("Year it happened (optional)"), list(range(this_year, 1989, -1)), index=None,
                 key=_key("year"), placeholder=_("Choose"), persist_state="session")
    _show_error(st, "year", _)
    _photo_field(_)

    step_buttons("before", "consent", lambda: _story_fields()[1], _)


def _story_fields() -> tuple[StoryFields | None, dict[str, Msg]]:
    raw = {name: st.session_state.get(_key(name)) for name in
           ("title", "text", "language", "state", "connection", "year")}
    if isinstance(raw["connection"], Connection):
        raw["connection"] = raw["connection"].value
    return validate_story_fields(raw, this_year=dt.date.today().year)


def _pii_hints(_: Translate) -> None:
    """Gentle warnings when the words seem to hold identifying details (SAFETY.md S4)."""
    typed = f"{st.session_state.get(_key('title')) or ''}\n{st.session_state.get(_key('text')) or ''}"
    kinds = []
    for hit in find_pii(typed):
        if hit.kind not in kinds:
            kinds.append(hit.kind)
    for kind in kinds:
        st.warning(_(PII_MESSAGES[kind]))


def _photo_field(_: Translate) -> None:
    photo: CleanPhoto | None = st.session_state.get(_key("photo"))
    if photo is not None:
        st.image(photo.data, caption=_("Your photo, with its hidden details (such as location) "
                                       "removed."), width=240)
        if st.button(_("Remove the photo")):
            del st.session_state[_key("photo")]
            st.rerun()
        return
    # A new uploader key after each upload drops the raw file: only the cleaned copy is kept.
    round_ = st.session_state.get(_key("upload_round"), 0)
    upload = st.file_uploader(_("A photo (optional): JPEG, PNG or WebP, up to 10 MB"),
                              type=["jpg", "jpeg", "png", "webp"], key=_key(f"upload_{round_}"))
    st.caption(_("Think before adding a photo of faces, homes or documents: a photo can identify "
                 "people even without names."))
    if upload is not None:
        try:
            st.session_state[_key("photo")] = clean_photo(upload.getvalue())
            st.session_state.pop(_key("photo_error"), None)
        except PhotoError as exc:
            st.session_state[_key("photo_error")] = exc.message
        st.session_state[_key("upload_round")] = round_ + 1
        st.rerun()
    error = st.session_state.get(_key("photo_error"))
    if error is not None:
        st.error(error.render(_))


def consent_step(text: ConsentText, _: Translate) -> None:
    st.header(_("How it may be used"))
    st.write(text.intro)
    has_photo = st.session_state.get(_key("photo")) is not None
    for purpose in PURPOSES:
        if purpose == "photo" and not has_photo:
            continue
        st.checkbox(text.purposes[purpose], key=_key(f"consent_{purpose}"), value=False,
                    persist_state="session")
        _show_error(st, purpose, _)
    credits = list(Credit)
    st.radio(text.credit_question, credits, key=_key("credit"), format_func=text.credit_options.get,
             persist_state="session")
    credit = st.session_state.get(_key("credit"), Credit.NONE)
    if credit is not Credit.NONE:
        label = _("Your first name") if credit is Credit.FIRST_NAME else _("Your name")
        st.text_input(label, key=_key("credited_name"), max_chars=FIELD_LIMITS["credited_name"],
                      persist_state="session")
        _show_error(st, "credited_name", _)
    st.radio(text.age_question, list(AgeConfirmation), index=None, key=_key("age"),
             format_func=text.age_options.get, persist_state="session")
    _show_error(st, "age", _)
    step_buttons("story", "contact", lambda: _consent_errors(has_photo), _)


def _consent_errors(has_photo: bool) -> dict[str, Msg]:
    answers = consent_answers(has_photo)
    name, name_error = validate_credited_name(st.session_state.get(_key("credited_name")),
                                              answers.credit)
    errors = check_answers(answers, has_photo=has_photo, credited_name=name)
    if name_error is not None:
        errors["credited_name"] = name_error
    return errors


def consent_answers(has_photo: bool) -> ConsentAnswers:
    ticked = {p: bool(st.session_state.get(_key(f"consent_{p}"))) for p in PURPOSES}
    ticked["photo"] = ticked["photo"] and has_photo
    return ConsentAnswers(**ticked, credit=st.session_state.get(_key("credit")) or Credit.NONE,
                          age=st.session_state.get(_key("age")))


def contact_step(_: Translate) -> None:
    st.header(_("Contact (optional)"))
    st.write(_("If you would like our team to be able to reach you, for example before a reporter "
               "uses your story, leave an e-mail address or a phone number. This is optional. "
               "It is stored apart from your story, encrypted, and never published or given to anyone."))
    st.text_input(_("E-mail (optional)"), key=_key("email"), max_chars=FIELD_LIMITS["email"],
                  persist_state="session")
    _show_error(st, "email", _)
    st.text_input(_("Phone, with country code if outside the US (optional)"), key=_key("phone"),
                  max_chars=FIELD_LIMITS["phone"], persist_state="session")
    _show_error(st, "phone", _)
    step_buttons("consent", "review", lambda: _contact_fields()[1], _)


def _contact_fields() -> tuple[ContactFields | None, dict[str, Msg]]:
    return validate_contact({"email": st.session_state.get(_key("email")),
                             "phone": st.session_state.get(_key("phone"))})


def review_step(runtime: Runtime, text: ConsentText, language: str, _: Translate) -> None:
    st.header(_("Review"))
    st.write(_("Please check everything. Nothing is sent until you press Submit."))
    fields, _e = _story_fields()
    contact, _c = _contact_fields()
    photo: CleanPhoto | None = st.session_state.get(_key("photo"))
    answers = consent_answers(photo is not None)
    if fields is None or contact is None:
        st.error(_("Something in your story needs attention. Please go back and check it."))
        if st.button(_("Back to your story")):
            go("story")
        return
    with st.container(border=True):
        # st.text, never markdown: what the storyteller typed is shown inert (SAFETY.md I2).
        st.text(fields.title)
        st.text(fields.text)
        details = [_(STORY_LANGUAGES[fields.language]), _(CONNECTIONS[fields.connection])]
        if fields.state:
            details.append(state_name(fields.state, language))
        if fields.year:
            details.append(str(fields.year))
        st.caption(" · ".join(details))
        if photo is not None:
            st.image(photo.data, width=240)
    _pii_hints_for(fields, _)
    st.subheader(_("How it may be used"))
    for purpose in PURPOSES:
        if purpose == "photo" and photo is None:
            continue
        mark = _("Yes") if getattr(answers, purpose) else _("No")
        st.write(f"{mark} — {text.purposes[purpose]}")
    st.write(f"{text.credit_question} {text.credit_options[answers.credit]}")
    if contact.email or contact.phone:
        st.text(_("Contact for follow-up: {contact}").format(
            contact=", ".join(v for v in (contact.email, contact.phone) if v)))
    else:
        st.write(_("No contact details: you will stay anonymous to our team as well."))
    cols = st.columns(2)
    if cols[0].button(_("Back")):
        go("contact")
    if cols[1].button(_("Submit my story"), type="primary"):
        name, _n = validate_credited_name(st.session_state.get(_key("credited_name")), answers.credit)
        submission = StorySubmission(story=fields, answers=answers, consent_text=text,
                                     credited_name=name, contact=contact, photo=photo)
        try:
            receipt = submit_story(runtime, submission)
        except StorageBusy:
            st.error(_("Your story was not saved because the portal is very busy right now. "
                       "Please press Submit again; everything you wrote is still here."))
            return
        mailed = email_receipt(runtime, contact.email, receipt.code, language) if contact.email else None
        forget_story()
        st.session_state[_key("receipt")] = receipt.code
        st.session_state[_key("mailed")] = mailed
        go("receipt")


def _pii_hints_for(fields: StoryFields, _: Translate) -> None:
    kinds = sorted({hit.kind for hit in find_pii(f"{fields.title}\n{fields.text}")})
    for kind in kinds:
        st.warning(_(PII_MESSAGES[kind]))


def receipt_step(_: Translate) -> None:
    code = st.session_state.get(_key("receipt"))
    st.title(_("Thank you for sharing your story"))
    st.write(_("This is your receipt code. Keep it somewhere safe and private: with it you can see "
               "your story's status, change how it may be used, or withdraw it, on the My story page."))
    st.code(code, language=None)
    st.download_button(_("Save the code as a file"), f"{code}\n", file_name="story-receipt.txt",
                       mime="text/plain")
    mailed = st.session_state.get(_key("mailed"))
    if mailed is True:
        st.info(_("We also sent the code to the e-mail address you gave."))
    elif mailed is False:
        st.warning(_("We could not e-mail the code. Please copy it or save it now: we cannot show "
                     "it again or recover it."))
    else:
        st.caption(_("We cannot show this code again or recover it, because we do not keep it."))
    st.subheader(_("What happens next"))
    st.write(_("A member of our team will read your story. It will be used only in the ways you "
               "allowed. You can withdraw it at any time, and that takes effect at once."))
    if st.button(_("Done")):
        forget_story()
        st.rerun()
