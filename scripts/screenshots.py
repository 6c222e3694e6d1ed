"""Take the README's screenshots of the letter and story journeys: `.venv/bin/python scripts/screenshots.py`.

Starts the portal on a throwaway data folder with 300 demo letters, 60 demo stories and one
moderator, walks the letter journey, the "share your story" steps and the moderator's queue and
review in Debian's headless Chromium (the same harness as the browser tests) and writes PNGs 1280
pixels wide to docs/screenshots/. Nothing is sent anywhere: the folder, and its outbox, are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e import harness  # noqa: E402  (needs the repository on the path)

CAMPAIGN = "end-family-separation"
SENDER = {"first_name": "Rosa", "last_name": "Delgado", "email": "rosa.delgado@example.org",
          "city": "El Paso", "zip_code": "79901",
          "personal_paragraph": "My grandmother crossed this border with her children, together."}
SENDER_ES = {"first_name": "José", "last_name": "Hernández", "email": "jose.h@example.org",
             "city": "Brownsville", "zip_code": "78520"}
ADDED = "I teach in El Paso, and I have seen what separation does to a child."

STORY_TITLE = "Waiting at the bridge"
STORY_TEXT = ("We waited for weeks to be together again. My daughter drew pictures every day, and "
              "she kept them all in a folder for her father. When we finally saw him, she gave him "
              "every single one.")
STORY_CONNECTION = "I was separated from my family"
KEEP = "Keep my story so the campaign team can read it (needed to send it)."
PUBLISH = "Publish my story on this website."
ADULT = "I am 18 or older."

MODERATOR = "mod@example.org"
# Throwaway: the account lives only in the temporary data folder.
PASSPHRASE = "screenshots only, never a real passphrase 7"


def take(server: harness.Server, browser, out: Path) -> list[Path]:
    from playwright.sync_api import expect

    shots = []

    def shoot(page, name: str) -> None:
        path = out / name
        harness.screenshot_whole_page(page, path)
        shots.append(path)

    page = harness.new_context(browser).new_page()
    # Opening "/" first also makes the menu show the pages' titles (see the xfail in the e2e tests).
    page.goto(server.url + "/")
    expect(page.get_by_role("button", name="Write this letter").first).to_be_visible()
    shoot(page, "home.png")

    drawn_at = harness.open_letter(page, server, CAMPAIGN)
    harness.fill_details(page, harness.DETAIL_LABELS["en"], SENDER, state="Texas")
    page.get_by_role("combobox", name="State").blur()
    shoot(page, "write-details.png")

    page.get_by_role("button", name="Continue to your letter").click()
    letter = page.get_by_role("textbox", name="Letter", exact=True)
    expect(letter).to_be_visible()
    letter.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\n" + ADDED)
    letter.blur()
    expect(page.get_by_text("You have edited the draft.")).to_be_visible()
    preview = harness.open_expander(page, "Letter as received: President of the United States")
    expect(preview).to_contain_text(ADDED)
    page.mouse.move(1270, 5)  # away from the sidebar, whose hover shows its collapse button
    shoot(page, "write-letter.png")

    harness.wait_until_human(drawn_at, server.portal_env)
    page.get_by_role("button", name="Send my letter").click()
    expect(page.get_by_role("button", name="Download a copy of your letter (Word)")).to_be_visible()
    shoot(page, "sent.png")
    page.context.close()

    page = harness.new_context(browser, locale="es-US").new_page()
    harness.open_letter(page, server, CAMPAIGN, lang="es")
    harness.fill_details(page, harness.DETAIL_LABELS["es"], SENDER_ES, state="Texas")
    page.get_by_role("combobox", name="Estado").blur()
    shoot(page, "write-es.png")
    page.context.close()

    shots += take_story(server, browser, out)
    shots += take_moderation(server, browser, out)
    return shots


def _shooter(out: Path, shots: list[Path]):
    def shoot(page, name: str) -> None:
        page.mouse.move(1270, 5)  # away from the sidebar, whose hover shows its collapse button
        path = out / name
        harness.screenshot_whole_page(page, path)
        shots.append(path)
    return shoot


def take_story(server: harness.Server, browser, out: Path) -> list[Path]:
    """Share a story: the consent step as it starts (nothing ticked), then the receipt."""
    from playwright.sync_api import expect

    shots: list[Path] = []
    shoot = _shooter(out, shots)
    page = harness.new_context(browser).new_page()
    page.goto(server.url + "/share_story")
    page.get_by_role("button", name="I understand. Start my story").click()
    title = page.get_by_role("textbox", name="Title", exact=True)
    expect(title).to_be_visible()
    harness.wait_for_app_idle(page)
    title.fill(STORY_TITLE)
    text = page.get_by_role("textbox", name="Your story", exact=True)
    text.fill(STORY_TEXT)
    text.blur()  # a text area reaches the server when it loses focus
    page.get_by_text(STORY_CONNECTION, exact=True).click()
    expect(page.get_by_role("radio", name=STORY_CONNECTION)).to_be_checked()
    harness.wait_for_app_idle(page)
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="How it may be used")).to_be_visible()
    harness.wait_for_app_idle(page)
    for box in page.get_by_role("checkbox").all():
        expect(box).not_to_be_checked()
    shoot(page, "story-consent.png")

    for label in (KEEP, PUBLISH):
        page.get_by_test_id("stCheckbox").filter(has_text=label).locator("label").click()
        expect(page.get_by_role("checkbox", name=label, exact=True)).to_be_checked()
    page.get_by_text(ADULT, exact=True).click()
    expect(page.get_by_role("radio", name=ADULT)).to_be_checked()
    harness.wait_for_app_idle(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Contact (optional)")).to_be_visible()
    harness.wait_for_app_idle(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Review")).to_be_visible()
    harness.wait_for_app_idle(page)
    page.get_by_role("button", name="Submit my story").click()
    expect(page.get_by_role("heading", name="Thank you for sharing your story")).to_be_visible()
    expect(page.get_by_test_id("stCode")).to_contain_text("-")
    harness.wait_for_app_idle(page)
    shoot(page, "story-receipt.png")
    page.context.close()
    return shots


def _sidebar_link(page, label: str, role: str, name: str) -> None:
    """Follow a sidebar link: typing an address would start a new, signed-out session."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebar").get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_test_id("stMain").get_by_role(role, name=name)).to_be_visible()
    harness.wait_for_app_idle(page)


def take_moderation(server: harness.Server, browser, out: Path) -> list[Path]:
    """Sign in, the story queue, the review of the first story in it, and the dashboard."""
    from playwright.sync_api import expect

    shots: list[Path] = []
    shoot = _shooter(out, shots)
    page = harness.new_context(browser).new_page()
    # Once "/" has been opened, the moderator pages exist only for a signed-in session: a signed-out
    # /moderate is "Page not found". Sign in on /login, then follow the menu.
    page.goto(server.url + "/login")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("button", name="Sign in")).to_be_visible()
    harness.wait_for_app_idle(page)
    main.get_by_role("textbox", name="E-mail address", exact=True).fill(MODERATOR)
    main.get_by_label("Password", exact=True).fill(PASSPHRASE)
    main.get_by_role("button", name="Sign in").click()
    # The sign-in page leaves the menu once signed in, so the portal shows Home; the menu now
    # lists the moderator pages.
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="Story queue")).to_be_visible()
    harness.wait_for_app_idle(page)
    _sidebar_link(page, "Story queue", "heading", "Story queue")
    expect(page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    harness.wait_for_app_idle(page)
    page.wait_for_timeout(1_000)  # the table is drawn on a canvas after the run ends
    shoot(page, "moderate.png")

    # The first story in the queue (the newest open one: the story shared above), opened from the
    # review page.
    chosen = main.get_by_role("combobox", name="Story to open").input_value()
    story_id = int(re.fullmatch(r"#(\d+)", chosen).group(1))
    _sidebar_link(page, "Review a story", "spinbutton", "Story number")
    page.get_by_role("spinbutton", name="Story number").fill(str(story_id))
    page.keyboard.press("Enter")
    page.get_by_role("spinbutton", name="Story number").blur()
    expect(page.get_by_role("heading", name=f"Story #{story_id}")).to_be_visible()
    expect(page.get_by_role("heading", name="What the storyteller allowed")).to_be_visible()
    expect(page.get_by_role("heading", name="Original, as written")).to_be_visible()
    expect(page.get_by_role("heading", name="Publication version")).to_be_visible()
    harness.wait_for_app_idle(page)
    shoot(page, "review.png")

    _sidebar_link(page, "Dashboard", "heading", "Dashboard")
    expect(main.get_by_role("heading", name="Letters per day (last 60 days)")).to_be_visible()
    expect(page.locator(".vega-embed canvas, .vega-embed svg").first).to_be_visible()
    page.wait_for_timeout(1_000)  # the charts are drawn after the run ends
    shoot(page, "dashboard.png")
    page.context.close()
    return shots


def run_cli_with_input(env: dict[str, str], stdin: str, *args: str) -> None:
    """`python -m portal ARGS` as harness.run_cli runs it, fed `stdin` (run_cli takes no input)."""
    done = subprocess.run([harness.python(), "-m", "portal", *args], cwd=harness.ROOT,
                          env=harness.child_environ(env), input=stdin, capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"python -m portal {' '.join(args)} exited {done.returncode}:\n"
                           f"{done.stdout}\n{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="folder for the PNGs (default: docs/screenshots)")
    parser.add_argument("--letters", type=int, default=300, help="demo letters to add first")
    parser.add_argument("--stories", type=int, default=60, help="demo stories to add first")
    args = parser.parse_args(argv)
    if not harness.CHROMIUM.exists():
        print(f"{harness.CHROMIUM} is missing: run `make chromium` first", file=sys.stderr)
        return 1

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="portal-screenshots-") as tmp:
        data_dir = Path(tmp)
        # A development install: keys are generated in the throwaway folder, no secrets file is read.
        env = {"PORTAL_ENV": "development", "PORTAL_DATA_DIR": str(data_dir),
               "PORTAL_SECRETS_FILE": str(data_dir / "no-secrets.toml")}
        harness.run_cli(env, "demo-data", "--letters", str(args.letters), "--seed", "1")
        harness.run_cli(env, "demo-data", "--stories", str(args.stories), "--seed", "2")
        run_cli_with_input(env, PASSPHRASE + "\n", "moderators", "add", MODERATOR, "--password-stdin")
        with harness.running_server(data_dir, env) as server, sync_playwright() as playwright:
            browser = harness.launch_browser(playwright)
            try:
                shots = take(server, browser, args.out)
            finally:
                browser.close()
    for path in shots:
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
