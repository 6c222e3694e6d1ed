"""Take the README's screenshots of the letter journey: `.venv/bin/python scripts/screenshots.py`.

Starts the portal on a throwaway data folder with 300 demo letters, walks the journey in Debian's
headless Chromium (the same harness as the browser tests) and writes PNGs 1280 pixels wide to
docs/screenshots/. Nothing is sent anywhere: the folder, and its outbox, are deleted afterwards.
"""

from __future__ import annotations

import argparse
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
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="folder for the PNGs (default: docs/screenshots)")
    parser.add_argument("--letters", type=int, default=300, help="demo letters to add first")
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
