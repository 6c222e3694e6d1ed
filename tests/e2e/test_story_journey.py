"""A family shares a story with a photo in Debian's Chromium, then narrows and withdraws it.

Checks what reaches the disk as well as what the page shows: the photo is stored cleaned and
encrypted, the story's words are encrypted in the database, and withdrawing deletes the photo.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from stories.receipts import new_receipt_code
from tests.e2e import harness
from web.menu import PUBLIC_PAGES

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = pytest.mark.e2e

TITLE = "Quillbrook evening at the shelter"
SENTINEL = "ZEPHYRQUILLSENTINEL"
STORY = (f"We waited for weeks to be together again. My daughter drew pictures every day. "
         f"{SENTINEL} is the word I want nobody to read outside the team.")
COMMENT = b"GPS-SENTINEL-COMMENT"
JPEG_MAGIC = b"\xff\xd8\xff"

KEEP = "Keep my story so the campaign team can read it (needed to send it)."
PUBLISH = "Publish my story on this website."
PHOTO = "Use the photo I added, with my story."
ADULT = "I am 18 or older."
CLEANED = "Your photo, with its hidden details (such as location) removed."
RECEIVED = "Received. Your story is waiting for our team to read it."
NOT_FOUND = "We could not find a story with this code"
CONFIRM_WITHDRAW = "Yes, withdraw and delete my story."
SHARE, MINE = "pages/share_story.py", "pages/my_story.py"


def route(page_file: str) -> str:
    """A page's address as the portal's menu declares it (the file name: /share_story, /my_story)."""
    [entry] = [e for e in PUBLIC_PAGES if e.path == page_file]
    return "/" + (entry.url_path or Path(page_file).stem)


def gps_jpeg(path):
    """A JPEG that gives away a place: EXIF GPS coordinates and a JPEG comment."""
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 45.0, 30.0), 3: "W", 4: (106.0, 29.0, 10.0)}
    Image.new("RGB", (64, 48), (40, 120, 200)).save(path, format="JPEG", exif=exif, comment=COMMENT)
    data = path.read_bytes()
    assert data.startswith(JPEG_MAGIC) and COMMENT in data
    reopened = Image.open(path)
    assert reopened.getexif().get_ifd(0x8825)[2] == (31.0, 45.0, 30.0)
    return path


def tick(page, label: str):
    """Tick (or untick) a Streamlit checkbox by its label; returns the checkbox."""
    box = page.get_by_role("checkbox", name=label, exact=True)
    page.get_by_test_id("stCheckbox").filter(has_text=label).locator("label").click()
    return box


def photos(server):
    folder = server.data_dir / "photos"
    return sorted(folder.iterdir()) if folder.exists() else []


def database_bytes(server) -> bytes:
    paths = [server.data_dir / name for name in ("portal.db", "portal.db-wal")]
    assert paths[0].exists(), sorted(p.name for p in server.data_dir.iterdir())
    return b"".join(p.read_bytes() for p in paths if p.exists())


def share_story(page, server, photo_path) -> str:
    """Walk the whole "share your story" flow with a photo; returns the receipt code."""
    page.goto(server.url + route(SHARE))
    page.get_by_role("button", name="I understand. Start my story").click()

    # Only the story step draws the uploader; once its run is over, the upload cannot be lost.
    uploader = page.locator("input[type=file]")
    expect(uploader).to_be_attached()
    harness.wait_for_app_idle(page)
    uploader.set_input_files(str(photo_path))
    preview = page.get_by_test_id("stImage").filter(has_text=CLEANED)
    expect(preview).to_be_visible()
    expect(page.get_by_role("button", name="Remove the photo")).to_be_visible()
    expect(page.locator("input[type=file]")).to_have_count(0)  # only the cleaned copy is kept
    image = preview.locator("img")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 64
    shown = page.request.get(image.get_attribute("src")).body()
    assert shown.startswith(JPEG_MAGIC) and COMMENT not in shown and b"Exif" not in shown

    page.get_by_role("textbox", name="Title", exact=True).fill(TITLE)
    text = page.get_by_role("textbox", name="Your story", exact=True)
    text.fill(STORY)
    text.blur()  # a text area reaches the server when it loses focus
    page.get_by_text("I witnessed a separation", exact=True).click()
    expect(page.get_by_role("radio", name="I witnessed a separation")).to_be_checked()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="How it may be used")).to_be_visible()
    for label in (KEEP, PUBLISH, PHOTO):
        expect(tick(page, label)).to_be_checked()
    page.get_by_text(ADULT, exact=True).click()
    expect(page.get_by_role("radio", name=ADULT)).to_be_checked()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Contact (optional)")).to_be_visible()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    # The storyteller's own words, shown inert (st.text): title and story as typed.
    expect(page.get_by_test_id("stText").filter(has_text=TITLE)).to_have_text(TITLE)
    expect(page.get_by_test_id("stText").filter(has_text=SENTINEL)).to_have_text(STORY)
    expect(page.get_by_test_id("stImage")).to_have_count(1)
    expect(page.get_by_text(f"Yes — {PHOTO}")).to_be_visible()
    page.get_by_role("button", name="Submit my story").click()

    expect(page.get_by_role("heading", name="Thank you for sharing your story")).to_be_visible()
    shown = page.get_by_test_id("stCode").inner_text()
    match = re.search(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}", shown)
    assert match, f"no receipt code in {shown!r}"
    return match.group(0)


def test_a_family_shares_a_story_with_a_photo_then_narrows_and_withdraws_it(fresh_server, browser, page,
                                                                            network, tmp_path):
    code = share_story(page, fresh_server, gps_jpeg(tmp_path / "family.jpg"))

    # The photo is kept once, cleaned and encrypted; the words are encrypted in the database.
    [stored] = photos(fresh_server)
    data = stored.read_bytes()
    assert COMMENT not in data
    assert JPEG_MAGIC not in data
    db = database_bytes(fresh_server)
    assert TITLE.encode() not in db
    assert SENTINEL.encode() not in db

    # Back with the code, typed carelessly: lower case, spaces for dashes.
    page.goto(fresh_server.url + route(MINE))
    page.get_by_role("textbox", name="Receipt code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Show my story").click()
    expect(page.get_by_text(RECEIVED)).to_be_visible()

    publish = page.get_by_role("checkbox", name=PUBLISH, exact=True)
    expect(publish).to_be_checked()
    expect(tick(page, PUBLISH)).not_to_be_checked()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(re.compile("^Your choices are saved"))).to_be_visible()
    assert len(photos(fresh_server)) == 1  # the photo permission was kept, so is the photo

    expect(tick(page, CONFIRM_WITHDRAW)).to_be_checked()
    page.get_by_role("button", name="Withdraw my story").click()
    expect(page.get_by_text(re.compile(r"^Withdrawn\."))).to_be_visible()
    assert photos(fresh_server) == []
    db = database_bytes(fresh_server)
    assert TITLE.encode() not in db and SENTINEL.encode() not in db

    network.assert_all_local()

    # Someone else, in another browser, with a code that opens nothing.
    stranger = harness.new_context(browser)
    stranger.set_default_timeout(30_000)
    their_network = harness.NetworkLog().watch(stranger)
    try:
        other = stranger.new_page()
        other.goto(fresh_server.url + route(MINE))
        other.get_by_role("textbox", name="Receipt code").fill(new_receipt_code())
        other.get_by_role("button", name="Show my story").click()
        expect(other.get_by_text(re.compile(NOT_FOUND))).to_be_visible()
        expect(other.get_by_role("button", name="Withdraw my story")).to_have_count(0)
    finally:
        stranger.close()
    their_network.assert_all_local()


def test_before_you_start_is_in_spanish(server, browser, page, network):
    page.goto(f"{server.url}{route(SHARE)}?lang=es")
    expect(page.get_by_role("button", name="Entiendo. Empezar mi historia")).to_be_visible()
    expect(page.get_by_text(re.compile("^Su historia puede ayudar a terminar"))).to_be_visible()
    expect(page.get_by_role("button", name="I understand. Start my story")).to_have_count(0)
    network.assert_all_local()


@pytest.mark.parametrize("page_file", [SHARE, MINE])
def test_a_deep_link_to_a_story_page_on_a_fresh_server_opens_the_page(fresh_server, page, page_file):
    page.goto(fresh_server.url + route(page_file))
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="My story")).to_be_visible()
    heading = "Share your story" if page_file == SHARE else "My story"
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    page.wait_for_timeout(2_000)  # the dialog, when it comes, comes with the page
    expect(page.get_by_role("dialog")).to_have_count(0, timeout=1_000)
