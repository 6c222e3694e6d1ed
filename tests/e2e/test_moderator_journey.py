"""The moderator's journey in Debian's Chromium: the guard, the review, and the press files.

Set-up goes through the command line against the server's own data directory and settings: a
moderator account (`moderators add --password-stdin`) and one paper story with press consent
(`stories import`) whose original carries an A-number that must never leave the portal.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.e2e import harness

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.e2e

EMAIL = "mod@campaign.org"
PASSPHRASE = "correct horse battery staple 42"
A_NUMBER = "A123456789"
ORIGINAL_ONLY = "ORIGINAL-ONLY"
TITLE = "SENTINEL-TITLE Waiting at the bridge"
PUBLISHED_TITLE = "Waiting at the bridge"
STORY = (f"We crossed in the spring. My papers said {ORIGINAL_ONLY} {A_NUMBER} on every page. "
         "Then we waited at the bridge for weeks.")
# What the moderator leaves: the A-number replaced, the marker words edited out by hand.
PUBLISHED = ("We crossed in the spring. My papers said [removed] on every page. "
             "Then we waited at the bridge for weeks.")
OUTLET = "Diario de la Frontera"
STORY_ID = 1  # the only story on a fresh server
MODERATOR_PAGES = ["moderate", "review", "exports"]


# --- set-up through the command line ---------------------------------------------------------------

def _cli(server: harness.Server, *args: str, stdin: str | None = None) -> str:
    """`python -m portal ARGS` with the server's settings, optionally fed on stdin."""
    done = subprocess.run([harness.python(), "-m", "portal", *args], cwd=harness.ROOT,
                          env=harness.child_environ(server.portal_env), input=stdin,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"python -m portal {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def set_up(server: harness.Server, work: Path, title: str = TITLE) -> None:
    """A moderator account and one story with press consent, before the browser opens anything."""
    _cli(server, "moderators", "add", EMAIL, "--password-stdin", stdin=PASSPHRASE + "\n")
    header = _cli(server, "stories", "import", "--template").strip()
    row = {"title": title, "story": STORY, "language": "en", "state": "TX", "connection": "separated",
           "year": "2019", "consent_keep_for_review": "yes", "consent_publish": "yes",
           "consent_press": "yes", "consent_quote": "no", "credit": "none", "credited_name": "",
           "age": "adult", "contact_email": "", "contact_phone": "",
           "consent_form_version": "2026-11", "consent_form_language": "en"}
    columns = header.split(",")
    assert set(columns) == set(row), f"the import template changed: {columns}"
    csv_path = work / "paper-stories.csv"
    csv_path.write_text(header + "\n" + ",".join(_csv_cell(row[c]) for c in columns) + "\n",
                        encoding="utf-8")
    out = _cli(server, "stories", "import", str(csv_path), "--receipts", str(work / "receipts.csv"))
    assert "imported 1 stories" in out, out


# --- browser steps ---------------------------------------------------------------------------------

def open_page(page, server: harness.Server, url_path: str, role: str = "button",
              name: str = "Sign in") -> None:
    """Go to a page; returns once the element (role, name) shows in it and the script run ended."""
    page.goto(f"{server.url}/{url_path}")
    expect(page.get_by_test_id("stMain").get_by_role(role, name=name)).to_be_visible()
    harness.wait_for_app_idle(page)


def login_form(page):
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Sign in"))
    return (form, form.get_by_role("textbox", name="E-mail address", exact=True),
            form.get_by_label("Password", exact=True))


def sign_in(page) -> None:
    form, email, password = login_form(page)
    email.fill(EMAIL)
    password.fill(PASSPHRASE)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible()
    expect(form).to_have_count(0)
    harness.wait_for_app_idle(page)


def go_to(page, menu_label: str, role: str, name: str) -> None:
    """Follow a sidebar link (a full page load would start a new, signed-out session)."""
    page.get_by_test_id("stSidebar").get_by_role("link", name=menu_label, exact=True).click()
    expect(page.get_by_test_id("stMain").get_by_role(role, name=name)).to_be_visible()
    harness.wait_for_app_idle(page)


def open_review(page, story_id: int = STORY_ID) -> None:
    go_to(page, "Review a story", "spinbutton", "Story number")
    page.get_by_role("spinbutton", name="Story number").fill(str(story_id))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Story #{story_id}")).to_be_visible()
    harness.wait_for_app_idle(page)


def story_form(page):
    return page.get_by_test_id("stForm").filter(has_text="For which outlet or partner?")


def prepare_and_download(page, fmt_label: str, suffix: str, tmp_path: Path) -> Path:
    form = story_form(page)
    form.get_by_role("textbox", name="For which outlet or partner?").fill(OUTLET)
    form.get_by_text(fmt_label, exact=True).click()
    expect(form.get_by_role("radio", name=fmt_label)).to_be_checked()
    form.get_by_role("button", name="Prepare the file").click()
    kind = "Excel" if suffix == "xlsx" else "Word"
    # The label names the format, so this waits for the new file, not the previous one's button.
    button = page.get_by_test_id("stDownloadButton").get_by_role("button", name=f"Download 1 story ({kind})")
    expect(button).to_be_visible()
    harness.wait_for_app_idle(page)  # the button may still be the previous format's until the run ends
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == f"stories.{suffix}"
    path = tmp_path / f"{suffix}-{download.suggested_filename}"
    download.save_as(path)
    return path


def assert_no_original_in_parts(path: Path) -> None:
    """No part of the OOXML package, compressed or not, carries the A-number or the marker."""
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            data = package.read(name)
            for secret in (A_NUMBER, ORIGINAL_ONLY, "SENTINEL-TITLE"):
                assert secret.encode() not in data, f"{secret} in {path.name}:{name}"


def assert_published_text(text: str, where: str) -> None:
    assert "[removed]" in text, where
    assert "we waited at the bridge" in text, where
    assert A_NUMBER not in text, where
    assert ORIGINAL_ONLY not in text, where


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    for section in doc.sections:
        parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


# --- the tests -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url_path", MODERATOR_PAGES)
def test_a_moderator_page_opened_first_on_a_fresh_server_shows_only_the_sign_in_form(
        fresh_server, page, network, tmp_path, url_path):
    set_up(fresh_server, tmp_path)
    open_page(page, fresh_server, url_path)  # the browser's first request to this server

    form, email, password = login_form(page)
    expect(form).to_be_visible()
    expect(email).to_be_visible()
    expect(password).to_be_visible()
    expect(password).to_have_attribute("type", "password")
    expect(page.get_by_text("This page is for moderators. Please sign in.")).to_be_visible()

    main = page.get_by_test_id("stMain")
    for hidden in ("SENTINEL-TITLE", ORIGINAL_ONLY, A_NUMBER, "waited at the bridge"):
        expect(main).not_to_contain_text(hidden)
        assert hidden not in page.content(), hidden
    for widget in ("stDataFrame", "stTable", "stMetric", "stNumberInput", "stDownloadButton"):
        expect(page.get_by_test_id(widget)).to_have_count(0)
    for text in ("Story queue", "Story number", "What the storyteller allowed", "Stories for the press",
                 "Prepare the file"):
        expect(main.get_by_text(text, exact=True)).to_have_count(0)
    network.assert_all_local()


def test_a_bookmarked_moderator_page_shows_the_sign_in_form_once_the_router_runs(server, browser, page):
    # Once any visitor has opened "/", the router serves the pages; a signed-out bookmark to
    # /moderate must still land on the sign-in form, not on "page not found".
    other = harness.new_context(browser)
    try:
        visitor = other.new_page()
        visitor.goto(server.url)
        expect(visitor.get_by_test_id("stSidebar").get_by_role("link", name="Home")).to_be_visible()
    finally:
        other.close()
    open_page(page, server, "moderate")
    form, _email, _password = login_form(page)
    expect(form).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="Story queue")).to_have_count(0)


def test_a_moderator_reviews_redacts_approves_and_exports_without_the_a_number(
        fresh_server, page, network, tmp_path):
    set_up(fresh_server, tmp_path)

    # Sign in where the queue is, and find the story there.
    open_page(page, fresh_server, "moderate")
    sign_in(page)
    expect(page.get_by_role("heading", name="Story queue")).to_be_visible()
    queue = page.get_by_test_id("stDataFrame")
    expect(queue).to_be_visible()
    expect(queue).to_contain_text(TITLE)
    expect(page.get_by_text("Page 1 of 1 · 1 story", exact=True)).to_be_visible()

    # Review it: consent first, the original untouched, the publication version redacted.
    open_review(page)

    # The innermost block holding the heading and the answers: the bordered consent box.
    consent = page.get_by_test_id("stVerticalBlock").filter(
        has=page.get_by_role("heading", name="What the storyteller allowed")).filter(
        has_text="Credit:").last
    expect(consent).to_be_visible()
    expect(consent).to_contain_text("Give to press and partners: Yes")
    expect(consent).to_contain_text("Credit: No name")
    expect(consent).not_to_contain_text("Use the photo")  # no photo, so no photo question

    original = page.get_by_test_id("stColumn").filter(
        has=page.get_by_role("heading", name="Original, as written"))
    expect(original.last.get_by_test_id("stText").filter(has_text=ORIGINAL_ONLY)).to_have_text(STORY)

    text_area = page.get_by_role("textbox", name="Text", exact=True)
    expect(text_area).to_have_value(STORY)
    page.get_by_role("button", name="Replace every detected detail with [removed]").click()
    expect(text_area).not_to_have_value(re.compile(A_NUMBER))
    expect(text_area).to_have_value(re.compile(re.escape("[removed]")))
    expect(page.get_by_text("No A-numbers, phone numbers, e-mail addresses")).to_be_visible()
    harness.wait_for_app_idle(page)

    # The moderator edits the rest by hand: the marker words and the title's marker go too.
    redacted = text_area.input_value()
    assert redacted == STORY.replace(A_NUMBER, "[removed]"), redacted
    text_area.fill(redacted.replace(f"{ORIGINAL_ONLY} ", ""))
    text_area.blur()
    title = page.get_by_role("textbox", name="Title", exact=True)
    title.fill(PUBLISHED_TITLE)
    title.blur()
    harness.wait_for_app_idle(page)

    page.get_by_role("button", name="Save and approve").click()
    expect(page.get_by_text("Approved.", exact=True)).to_be_visible()
    harness.wait_for_app_idle(page)
    expect(text_area).to_have_value(PUBLISHED)  # the editor now starts from the stored version
    expect(original.last.get_by_test_id("stText").filter(has_text=ORIGINAL_ONLY)).to_have_text(STORY)

    # The press files: the publication version only.
    go_to(page, "Exports", "heading", "Stories for the press")

    xlsx_path = prepare_and_download(page, "Spreadsheet (Excel)", "xlsx", tmp_path)
    workbook = load_workbook(xlsx_path, read_only=True)
    cells = [str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
             for value in row if value is not None]
    workbook.close()
    assert PUBLISHED in cells, cells
    assert PUBLISHED_TITLE in cells, cells
    assert_published_text("\n".join(cells), "xlsx")
    assert_no_original_in_parts(xlsx_path)

    docx_path = prepare_and_download(page, "Press kit (Word)", "docx", tmp_path)
    words = docx_text(docx_path)
    assert PUBLISHED_TITLE in words, words
    assert_published_text(words, "docx")
    assert_no_original_in_parts(docx_path)

    network.assert_all_local()


def test_replace_every_detected_detail_also_clears_the_title(fresh_server, page, network, tmp_path):
    set_up(fresh_server, tmp_path, title=f"My number {A_NUMBER}")
    open_page(page, fresh_server, "moderate")
    sign_in(page)
    open_review(page)
    title = page.get_by_role("textbox", name="Title", exact=True)
    text_area = page.get_by_role("textbox", name="Text", exact=True)
    expect(title).to_have_value(f"My number {A_NUMBER}")

    page.get_by_role("button", name="Replace every detected detail with [removed]").click()
    expect(text_area).not_to_have_value(re.compile(A_NUMBER))  # the run that redacted has drawn
    harness.wait_for_app_idle(page)
    network.assert_all_local()
    assert A_NUMBER not in title.input_value()
    expect(page.get_by_text("No A-numbers, phone numbers, e-mail addresses")).to_be_visible(timeout=2_000)
