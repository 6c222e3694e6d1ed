"""Composing letters: the draft with the sender's details, the per-office letter, the phone script."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from letters.compose import LETTER_MAX_CHARS, draft_text, office_letter, phone_script
from letters.sender import Sender
from letters.templates import CampaignText, load_campaigns
from portal.config import DEFAULT_OFFICES, Office

ROOT = Path(__file__).resolve().parents[2]

BODY = """I write about {city}.

Second paragraph.

{personal_paragraph}

Sincerely,
{full_name}
{street}
Phone: {phone}
{city}, {state} {zip_code}
"""


def text(body: str = BODY, language: str = "en",
         script: str = "My name is {full_name}, {city}, {state} {zip_code}.") -> CampaignText:
    return CampaignText(language=language, title="T", summary="S", subject="Subj", body=body,
                        share_text="Share", phone_script=script)


@pytest.fixture
def sender() -> Sender:
    return Sender(first_name="Ana", last_name="Pérez", email="ana@example.org", city="Tucson",
                  state="AZ", zip_code="85701", street="12 Calle Luna", phone="520-555-0100",
                  personal_paragraph="My grandparents crossed this border.")


def test_draft_fills_every_placeholder(sender: Sender) -> None:
    assert draft_text(text(), sender) == (
        "I write about Tucson.\n\nSecond paragraph.\n\nMy grandparents crossed this border.\n\n"
        "Sincerely,\nAna Pérez\n12 Calle Luna\nPhone: 520-555-0100\nTucson, AZ 85701"
    )


def test_lines_with_only_empty_placeholders_are_dropped(sender: Sender) -> None:
    bare = dataclasses.replace(sender, street="", phone="  ", personal_paragraph="")
    draft = draft_text(text(), bare)
    assert draft == (
        "I write about Tucson.\n\nSecond paragraph.\n\n"
        "Sincerely,\nAna Pérez\nTucson, AZ 85701"
    )
    assert "\n\n\n" not in draft
    assert "Phone:" not in draft


def test_line_keeps_when_one_of_its_placeholders_has_a_value(sender: Sender) -> None:
    no_state = dataclasses.replace(sender, state="")
    draft = draft_text(text("{city}, {state} {zip_code}"), no_state)
    assert draft.startswith("Tucson,") and draft.endswith("85701")


def test_multiline_personal_paragraph_keeps_its_own_blank_line(sender: Sender) -> None:
    with_lines = dataclasses.replace(sender, personal_paragraph="First.\n\n\n\nSecond.")
    draft = draft_text(text("Intro.\n\n{personal_paragraph}\n\nBye."), with_lines)
    assert draft == "Intro.\n\nFirst.\n\nSecond.\n\nBye."


def test_braces_typed_by_the_sender_stay_literal(sender: Sender) -> None:
    tricky = dataclasses.replace(
        sender, first_name="{last_name}", street="{0} {} {{x}}",
        personal_paragraph="Please {full_name} read {personal_paragraph} and {a.b[0]!r:>9}.",
    )
    draft = draft_text(text(), tricky)
    assert "{last_name} Pérez\n{0} {} {{x}}\n" in draft
    assert "Please {full_name} read {personal_paragraph} and {a.b[0]!r:>9}." in draft


@given(paragraph=st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=300))
def test_any_personal_paragraph_appears_verbatim(paragraph: str) -> None:
    who = Sender(first_name="Ana", last_name="Ruiz", email="a@example.org", city="Yuma",
                 state="AZ", zip_code="85364", personal_paragraph=paragraph)
    draft = draft_text(text(), who)
    assert paragraph.strip() in draft
    assert draft.endswith("Yuma, AZ 85364")


def test_office_letter_starts_with_the_configured_greeting(config) -> None:
    body = "Letter text."
    president = config.offices["president"]
    assert office_letter(president, "en", body) == "Dear President,\n\nLetter text."
    assert office_letter(config.offices["dhs_secretary"], "es", body) == (
        "A la Secretaría de Seguridad Nacional:\n\nLetter text."
    )


def test_office_letter_uses_the_holder_name_when_configured() -> None:
    raw = DEFAULT_OFFICES["dhs_secretary"]
    office = Office(
        id="dhs_secretary", title={"en": raw["title_en"], "es": raw["title_es"]},
        holder="Alex Rivera", email=raw["email"], phone=raw["phone"],
        salutation={"en": raw["salutation_en"], "es": raw["salutation_es"]},
        salutation_no_holder={"en": raw["salutation_no_holder_en"],
                              "es": raw["salutation_no_holder_es"]},
    )
    assert office_letter(office, "en", "Body.") == "Dear Alex Rivera,\n\nBody."
    assert office_letter(office, "es", "Body.").startswith("Estimado/a Alex Rivera:\n\n")


def test_phone_script_with_sender(sender: Sender) -> None:
    assert phone_script(text(), sender) == "My name is Ana Pérez, Tucson, AZ 85701."


def test_phone_script_keeps_braces_from_the_sender(sender: Sender) -> None:
    odd = dataclasses.replace(sender, city="{zip_code}")
    assert phone_script(text(), odd) == "My name is Ana Pérez, {zip_code}, AZ 85701."


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "My name is [your name], [your city], [your state] [your ZIP code]."),
    ("es", "My name is [su nombre], [su ciudad], [su estado] [su código postal]."),
    ("fr", "My name is [your name], [your city], [your state] [your ZIP code]."),
])
def test_phone_script_without_sender_shows_blanks(language: str, expected: str) -> None:
    assert phone_script(text(language=language), None) == expected


def test_phone_script_blanks_only_the_missing_details(sender: Sender) -> None:
    script = "{first_name} {last_name} from {city}"
    partial = dataclasses.replace(sender, last_name="", city="")
    assert phone_script(text(script=script, language="es"), partial) == (
        "Ana [su apellido] from [su ciudad]"
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_shipped_campaigns_compose_cleanly(config, sender: Sender, language: str) -> None:
    catalog = load_campaigns(ROOT / "letter_templates", config.offices)
    assert len(catalog) >= 2
    for campaign in catalog:
        campaign_text = campaign.text(language)
        draft = draft_text(campaign_text, sender)
        assert "{" not in draft and "}" not in draft
        assert sender.personal_paragraph in draft
        assert draft.endswith("Ana Pérez\n12 Calle Luna\nTucson, AZ 85701")
        assert len(draft) <= LETTER_MAX_CHARS
        script = phone_script(campaign_text, sender)
        assert "Ana Pérez" in script and "85701" in script
        blank = phone_script(campaign_text, None)
        assert ("[su nombre]" if language == "es" else "[your name]") in blank
        for office_id in campaign.recipients:
            office = config.offices[office_id]
            assert office_letter(office, language, draft).startswith(office.greeting(language))
