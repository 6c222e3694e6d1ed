"""The review view's parts: what the storyteller allowed, the original beside the publication
version, detected details to remove, and the decisions."""

from __future__ import annotations

import streamlit as st

from portal.audit import Actor
from portal.i18n import N_, Translate
from portal.runtime import Runtime
from stories.consent import PURPOSES
from stories.moderation import (EditConflict, NotAllowed, Review, credit_line, decide, redact_all,
                                save_publication)
from stories.models import Credit, StoryStatus
from stories.pii import PII_MESSAGES
from web.queue_view import STATUS_LABELS, forget_status_counts

PURPOSE_LABELS = {
    "keep_for_review": N_("Keep for review"),
    "publish": N_("Publish on the portal"),
    "press": N_("Give to press and partners"),
    "quote": N_("Quote in letters and materials"),
    "photo": N_("Use the photo"),
}
CREDIT_LABELS = {Credit.NONE: N_("No name"), Credit.FIRST_NAME: N_("First name only"),
                 Credit.FULL_NAME: N_("Full name")}


def header(review: Review, _: Translate) -> None:
    st.title(_("Story #{id}").format(id=review.id))
    details = [_(STATUS_LABELS[review.status]), review.submitted_at.strftime("%Y-%m-%d"),
               review.language] + [str(v) for v in (review.state, review.year) if v]
    st.caption(" · ".join(details))
    if review.other_reviewer:
        st.warning(_("{who} opened this story at {time} (UTC) and may be editing it. If you both "
                     "save, the second save is refused rather than overwriting the first.").format(
            who=review.other_reviewer, time=review.other_reviewer_at.strftime("%H:%M")))


def consent_box(review: Review, _: Translate) -> None:
    """What the storyteller allowed, first and prominent: every decision follows from it."""
    with st.container(border=True):
        st.subheader(_("What the storyteller allowed"))
        purposes = [p for p in PURPOSES if p != "photo" or review.has_photo]
        cols = st.columns(2)
        for index, purpose in enumerate(purposes):
            allowed = getattr(review.consent, purpose)
            cols[index % 2].write(f"{_(PURPOSE_LABELS[purpose])}: **{_('Yes') if allowed else _('No')}**")
        credit = credit_line(review.consent.credit, review.credited_name)
        # The credited name is the storyteller's own text: shown inert.
        cols[len(purposes) % 2].text(f"{_('Credit')}: {credit or _(CREDIT_LABELS[review.consent.credit])}")
        if not review.consent.press:
            st.info(_("No consent to press: this story never appears in a press export."))


def _editor_keys(review: Review) -> tuple[str, str]:
    # Keyed by version: after a save or a conflict the editor starts from the stored text.
    return f"pub_title_{review.id}_{review.version}", f"pub_text_{review.id}_{review.version}"


def _remove_detected(title_key: str, text_key: str) -> None:
    # Both fields: a detail left in the title would reach the press files just the same.
    st.session_state[title_key] = redact_all(st.session_state.get(title_key, ""))
    st.session_state[text_key] = redact_all(st.session_state.get(text_key, ""))


def editors(review: Review, _: Translate) -> tuple[str, str]:
    title_key, text_key = _editor_keys(review)
    left, right = st.columns(2)
    with left:
        st.subheader(_("Original, as written"))
        st.caption(_("Kept encrypted and never exported."))
        # st.text: the storyteller's words are shown inert, no markdown, no links (I2).
        st.text(review.original_title)
        st.text(review.original_text)
    with right:
        st.subheader(_("Publication version"))
        st.caption(_("What may be used, within the storyteller's consent. Remove anything that could "
                     "identify or endanger someone."))
        st.text_input(_("Title"), value=review.publication_title, key=title_key)
        st.text_area(_("Text"), value=review.publication_text, key=text_key, height=420)
    return title_key, text_key


def detected(review: Review, text_key: str, title_key: str, _: Translate) -> None:
    from stories.pii import find_pii

    current = f"{st.session_state.get(title_key, '')}\n{st.session_state.get(text_key, '')}"
    hits = find_pii(current)
    if not hits:
        st.success(_("No A-numbers, phone numbers, e-mail addresses, case numbers or street "
                     "addresses detected in the publication version."))
        return
    st.warning(_("Detected in the publication version:"))
    for hit in hits:
        # Inert text again: the detected snippet comes from the storyteller.
        st.text(f"• {hit.text}  —  {_(PII_MESSAGES[hit.kind])}")
    st.button(_("Replace every detected detail with [removed]"), on_click=_remove_detected,
              args=(title_key, text_key))


def decisions(runtime: Runtime, actor: Actor, review: Review, title_key: str, text_key: str,
              _: Translate) -> None:
    title = st.session_state.get(title_key, "")
    text = st.session_state.get(text_key, "")
    cols = st.columns(4)
    save = cols[0].button(_("Save publication version"))
    approve = cols[1].button(_("Save and approve"), type="primary")
    legal = cols[2].button(_("Needs legal review"))
    back = cols[3].button(_("Back to in review"), disabled=review.status is StoryStatus.IN_REVIEW)
    with st.form("reject"):
        reason = st.text_input(_("Reason for rejecting (for the team only)"), max_chars=300)
        reject = st.form_submit_button(_("Reject"))
    try:
        if save or approve:
            version = save_publication(runtime, actor, review.id, expected_version=review.version,
                                       title=title, text=text)
            if approve:
                decide(runtime, actor, review.id, StoryStatus.APPROVED, expected_version=version)
            _done(_("Approved.") if approve else _("Publication version saved."))
        elif legal:
            decide(runtime, actor, review.id, StoryStatus.NEEDS_LEGAL_REVIEW, expected_version=review.version)
            _done(_("Marked for legal review."))
        elif back:
            decide(runtime, actor, review.id, StoryStatus.IN_REVIEW, expected_version=review.version)
            _done(_("Back in review."))
        elif reject:
            decide(runtime, actor, review.id, StoryStatus.REJECTED, expected_version=review.version,
                   reason=reason)
            _done(_("Rejected."))
    except EditConflict:
        st.error(_(EditConflict.message))
    except NotAllowed as exc:
        st.error(_(exc.message))


def _done(message: str) -> None:
    forget_status_counts()
    st.session_state["review_notice"] = message
    st.rerun()


def notice() -> None:
    message = st.session_state.pop("review_notice", None)
    if message:
        st.success(message)


def photo(runtime: Runtime, review: Review, _: Translate) -> None:
    if not review.photo_name:
        return
    from stories.intake import photos_dir
    from stories.photos import load_photo

    with st.expander(_("Photo (allowed for use: {allowed})").format(
            allowed=_("Yes") if review.consent.photo else _("No"))):
        st.image(load_photo(review.photo_name, photos_dir(runtime), runtime.cipher.fernet), width=360)


def withdrawn(runtime: Runtime, actor: Actor, review: Review, _: Translate) -> None:
    """A withdrawn story: no content, and the exports that already carried it (S6)."""
    from stories.ledger import recall_list
    from stories.moderation import process_withdrawal
    from web.exports_view import recall_table

    st.warning(_("Withdrawn by its author on {date}. Its content has been deleted.").format(
        date=review.withdrawn_at.strftime("%Y-%m-%d")))
    with runtime.db.session() as session:
        recalls = recall_list(session, review.id)
    st.subheader(_("Exports that included this story: tell these outlets"))
    recall_table(recalls, _)
    if st.button(_("Mark this withdrawal as processed")):
        process_withdrawal(runtime, actor, review.id)
        st.success(_("Recorded in the audit log."))
