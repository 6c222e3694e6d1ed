"""The letter page as a visitor uses it, in English and Spanish, including the error paths."""

from __future__ import annotations

from sqlalchemy import func, select

from letters.models import Letter, OutboxMessage
from portal.runtime import open_runtime
from portal.config import load_config
from tests.app.conftest import page, texts

CAMPAIGN = "end-family-separation"

GOOD = {"first_name": "Rosa", "last_name": "Quintana", "email": "rosa@example.org",
        "city": "El Paso", "zip_code": "79901"}


def stored(data_dir) -> tuple[int, int]:
    runtime = open_runtime(load_config())
    try:
        with runtime.db.session() as s:
            return (s.scalar(select(func.count()).select_from(Letter)),
                    s.scalar(select(func.count()).select_from(OutboxMessage)))
    finally:
        runtime.db.dispose()


def open_campaign(lang: str = "en"):
    at = page("write.py")
    at.query_params["campaign"] = CAMPAIGN
    at.query_params["lang"] = lang
    return at.run()


def fill_details(at, values=GOOD, state="TX"):
    for name, value in values.items():
        at.text_input(key=f"sender_{name}").input(value)
    if state:
        at.selectbox(key="sender_state").select(state)
    return at


def press(at, label: str):
    [button] = [b for b in at.button if b.label == label]
    return button.click().run()


def test_campaign_list_without_a_deep_link(app_env):
    at = page("write.py").run()
    assert not at.exception
    assert "Write a letter" in texts(at)
    assert len([b for b in at.button if b.label == "Write this letter"]) >= 2


def test_deep_link_opens_the_campaign_with_its_draft(app_env):
    at = open_campaign()
    assert not at.exception
    assert "To: President of the United States, Secretary of Homeland Security" in texts(at)
    assert "[First name]" in texts(at)  # the draft shows where the sender's details go


def test_full_journey_stores_the_letter_and_thanks_the_sender(app_env):
    at = fill_details(open_campaign())
    at = press(at, "Continue to your letter")
    assert not at.exception
    letter = at.text_area(key="letter_text").value
    assert "Rosa Quintana" in letter and "El Paso, TX 79901" in letter
    assert at.checkbox(key="letter_opt_in").value is False  # opt-in starts unticked
    at = press(at, "Send my letter")
    assert not at.exception
    assert "Thank you. Your letter is on its way." in texts(at)
    assert "You are the first person to write" in texts(at)
    assert [b.label for b in at.get("download_button")] == ["Download a copy of your letter (Word)"]
    assert "outbox folder" in texts(at)  # no SMTP configured: the page says where letters go
    assert stored(app_env) == (1, 2)


def test_edits_are_sent_and_back_to_the_draft_restores_it(app_env):
    at = press(fill_details(open_campaign()), "Continue to your letter")
    draft = at.text_area(key="letter_text").value
    at.text_area(key="letter_text").input("My own words, entirely.").run()
    assert "You have edited the draft" in texts(at)
    at = press(at, "Back to the draft")
    assert at.text_area(key="letter_text").value == draft


def test_missing_details_are_explained_and_what_was_typed_is_kept(app_env):
    at = fill_details(open_campaign(), {"first_name": "Rosa", "email": "not-an-address"}, state=None)
    at = press(at, "Continue to your letter")
    errors = [e.value for e in at.error]
    assert "Enter your last name." in errors
    assert any("e-mail" in e for e in errors)
    assert at.text_input(key="sender_first_name").value == "Rosa"
    assert at.text_input(key="sender_email").value == "not-an-address"
    assert stored(app_env) == (0, 0)


def test_spanish_page_and_errors(app_env):
    at = open_campaign("es")
    assert "Sus datos" in texts(at)
    at = fill_details(at, {**GOOD, "zip_code": "1234"})
    at = press(at, "Continuar con su carta")
    assert any("código postal" in e.value.lower() for e in at.error)
    assert at.text_input(key="sender_zip_code").value == "1234"


def test_zip_code_must_match_the_state(app_env):
    at = press(fill_details(open_campaign(), {**GOOD, "zip_code": "10001"}), "Continue to your letter")
    assert "This ZIP code does not match the state you chose." in [e.value for e in at.error]


def test_empty_letter_is_refused_with_the_form_kept(app_env):
    at = press(fill_details(open_campaign()), "Continue to your letter")
    at.text_area(key="letter_text").input("   ").run()
    at = press(at, "Send my letter")
    assert any("empty" in e.value for e in at.error)
    assert stored(app_env) == (0, 0)


def test_second_letter_from_the_same_address_asks_before_replacing(app_env):
    at = press(press(fill_details(open_campaign()), "Continue to your letter"), "Send my letter")
    at = press(at, "Write another letter")
    at = fill_details(open_campaign_again(at))
    at = press(press(at, "Continue to your letter"), "Send my letter")
    assert any("already sent" in w.value for w in at.warning)
    at.checkbox(key="letter_replace").check()
    at = press(at, "Send my letter")
    assert "Your earlier letter was replaced" in texts(at)
    assert stored(app_env) == (1, 2)


def open_campaign_again(at):
    [pick] = [b for b in at.button if b.key == f"pick-{CAMPAIGN}"]
    return pick.click().run()


def test_honeypot_submission_gets_a_thank_you_and_stores_nothing(app_env):
    at = press(fill_details(open_campaign()), "Continue to your letter")
    at.text_input(key="letter_website").input("http://spam.example").run()
    at = press(at, "Send my letter")
    assert "Thank you. Your letter is on its way." in texts(at)
    assert stored(app_env) == (0, 0)


def test_too_fast_submission_is_dropped_silently(app_env, monkeypatch):
    monkeypatch.setenv("PORTAL_MIN_SUBMIT_SECONDS", "30")
    at = press(press(fill_details(open_campaign()), "Continue to your letter"), "Send my letter")
    assert "Thank you. Your letter is on its way." in texts(at)
    assert stored(app_env) == (0, 0)


def test_rate_limit_answers_with_a_clear_message(app_env, monkeypatch):
    monkeypatch.setenv("PORTAL_LETTERS_PER_MINUTE", "1")
    at = press(press(fill_details(open_campaign()), "Continue to your letter"), "Send my letter")
    at = press(at, "Write another letter")
    at = open_campaign_again(at)
    at = fill_details(at, {**GOOD, "email": "second@example.org"})
    at = press(press(at, "Continue to your letter"), "Send my letter")
    assert any("several letters in a short time" in e.value for e in at.error)
    assert at.text_area(key="letter_text").value  # the letter is still there
    assert stored(app_env) == (1, 2)
