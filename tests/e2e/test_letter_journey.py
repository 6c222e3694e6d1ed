"""The supporter's letter journey in Debian's Chromium, from the deep link to the .eml files."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses

import pytest
from docx import Document

from portal.config import load_config
from tests.e2e import harness

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.e2e

CAMPAIGN = "end-family-separation"
EN, ES = harness.DETAIL_LABELS["en"], harness.DETAIL_LABELS["es"]
PERSONAL = "My own grandmother crossed this border with her children, together."
ADDED = "I teach in El Paso, and I have seen what separation does to a child."


def test_a_supporter_writes_sends_downloads_and_the_offices_receive_it(fresh_server, page, network,
                                                                        tmp_path):
    drawn_at = harness.open_letter(page, fresh_server, CAMPAIGN)
    draft = harness.open_expander(page, "Read the draft letter")
    expect(draft).to_contain_text("[City], [State] [ZIP]")

    email = "rosa.delgado@example.org"
    harness.fill_details(page, EN, {"first_name": "Rosa", "last_name": "Delgado", "email": email,
                                    "city": "El Paso", "zip_code": "79901",
                                    "personal_paragraph": PERSONAL}, state="Texas")
    page.get_by_role("button", name="Continue to your letter").click()

    letter = page.get_by_role("textbox", name="Letter", exact=True)
    expect(letter).to_have_value(re.compile("Rosa Delgado"))
    expect(letter).to_have_value(re.compile(re.escape(PERSONAL)))
    letter.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\n" + ADDED)
    letter.blur()  # a text area reaches the server when it loses focus
    expect(page.get_by_text("You have edited the draft.")).to_be_visible()

    preview = harness.open_expander(page, "Letter as received: President of the United States")
    expect(preview).to_contain_text("Dear President,")
    expect(preview).to_contain_text(ADDED)

    harness.wait_until_human(drawn_at, fresh_server.portal_env)
    page.get_by_role("button", name="Send my letter").click()
    expect(page.get_by_role("heading", name="Thank you. Your letter is on its way.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("You are the first person to write"))).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download a copy of your letter (Word)").click()
    download = download_info.value
    assert download.suggested_filename == f"letter-{CAMPAIGN}.docx"
    copy_path = tmp_path / download.suggested_filename
    download.save_as(copy_path)
    copy_text = "\n".join(p.text for p in Document(str(copy_path)).paragraphs)
    assert ADDED in copy_text
    assert "Secretary of Homeland Security" in copy_text

    network.assert_all_local()

    harness.run_cli(fresh_server.portal_env, "deliver", "--once")
    paths = sorted((fresh_server.data_dir / "outbox").rglob("*.eml"))
    assert len(paths) == 2, paths
    messages = [BytesParser(policy=policy.default).parsebytes(path.read_bytes()) for path in paths]
    offices = load_config(fresh_server.portal_env).offices
    to = {address for msg in messages for _name, address in getaddresses(msg.get_all("To", []))}
    assert to == {offices["president"].email, offices["dhs_secretary"].email}
    for msg in messages:
        assert email in msg["Reply-To"]
        body = msg.get_body(preferencelist=("plain",)).get_content()
        assert ADDED in body
        assert "Rosa Delgado" in body


def test_the_spanish_form_keeps_what_was_typed_and_explains_a_bad_zip_in_spanish(server, page, network):
    harness.open_letter(page, server, CAMPAIGN, lang="es")
    expect(page.get_by_role("heading", name="Sus datos")).to_be_visible()
    go = page.get_by_role("button", name="Continuar con su carta")

    typed = {"first_name": "José", "last_name": "Hernández", "email": "jose.h@example.org",
             "city": "El Paso", "zip_code": "7990"}
    harness.fill_details(page, ES, typed, state="Texas")
    go.click()

    expect(page.get_by_text("Escriba un código postal (ZIP) de 5 dígitos, o ZIP+4 como 12345-6789.")
           ).to_be_visible()
    for name, value in typed.items():
        expect(page.get_by_role("textbox", name=ES[name], exact=True)).to_have_value(value)
    expect(page.get_by_role("combobox", name=ES["state"])).to_have_value("Texas")
    expect(go).to_be_visible()  # still on the details step
    network.assert_all_local()


def test_a_deep_link_to_a_fresh_server_shows_the_portal_menu(fresh_server, page):
    # A fresh server runs pages/write.py without app.py; the menu must still be the portal's own.
    harness.open_letter(page, fresh_server, CAMPAIGN)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("link")).to_have_text(
        ["Home", "Write a letter", "Share your story", "My story", "Moderator sign-in"], timeout=15_000)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
