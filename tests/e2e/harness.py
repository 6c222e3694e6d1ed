"""A real portal in a real browser: `streamlit run` on a free port and Debian's headless Chromium.

Plain functions, no pytest: the e2e fixtures (tests/e2e/conftest.py) and scripts/screenshots.py
both use them, so the server and the browser are started one way only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Never a downloaded browser build (no download is possible, and Debian's is the one CI has).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Schemes that never leave the browser.
_IN_BROWSER_SCHEMES = frozenset({"data", "blob", "about", "chrome", "chrome-extension"})
START_TIMEOUT = 60.0
VIEWPORT = {"width": 1280, "height": 900}


def python() -> str:
    """The project's virtualenv interpreter (the one `make` installs into), else this one."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_environ(portal_env: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with the caller's PORTAL_* settings replacing any inherited ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(portal_env)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(portal_env: Mapping[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m portal ARGS` against the same settings as the server; raises on a non-zero exit."""
    done = subprocess.run([python(), "-m", "portal", *args], cwd=ROOT, env=child_environ(portal_env),
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"python -m portal {' '.join(args)} exited {done.returncode}:\n"
                           f"{done.stdout}\n{done.stderr}")
    return done


@dataclass
class Server:
    """A running `streamlit run app.py`."""

    url: str
    data_dir: Path
    portal_env: dict[str, str]
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class ServerDidNotStart(RuntimeError):
    pass


def start_server(data_dir: Path, portal_env: Mapping[str, str], timeout: float = START_TIMEOUT) -> Server:
    """Start the portal on a free loopback port and wait until its health check answers ok."""
    port = free_port()
    log_path = data_dir / f"streamlit-{port}.log"
    command = [python(), "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false"]
    with log_path.open("wb") as log_file:
        # A file rather than a pipe: nobody reads a pipe while the tests run, and a full one blocks.
        process = subprocess.Popen(command, cwd=ROOT, env=child_environ(portal_env), stdin=subprocess.DEVNULL,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(url=f"http://127.0.0.1:{port}", data_dir=data_dir, portal_env=dict(portal_env),
                    process=process, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(f"streamlit exited with {process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    stop_server(server)
    raise ServerDidNotStart(f"no health answer from {server.url} within {timeout:.0f} s:\n{server.log()}")


def stop_server(server: Server) -> None:
    """Stop the server and anything it started (its own process group), by id."""
    if server.process.poll() is not None:
        return
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
    except ProcessLookupError:
        pass


@contextmanager
def running_server(data_dir: Path, portal_env: Mapping[str, str]) -> Iterator[Server]:
    server = start_server(data_dir, portal_env)
    try:
        yield server
    finally:
        stop_server(server)


def launch_browser(playwright):
    """Debian's Chromium, headless, with its background traffic (updates, sync) switched off."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def new_context(browser, **options):
    """A fresh visitor: English browser, 1280x900, downloads allowed."""
    settings = {"accept_downloads": True, "locale": "en-US", "viewport": VIEWPORT}
    settings.update(options)
    return browser.new_context(**settings)


@dataclass
class NetworkLog:
    """Every address a browser context asked for: requests and WebSocket connections."""

    urls: list[str] = field(default_factory=list)

    def watch(self, context) -> "NetworkLog":
        context.on("request", lambda request: self.urls.append(request.url))
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)
        return self

    def _watch_page(self, page) -> None:
        page.on("websocket", lambda ws: self.urls.append(ws.url))

    def third_party(self) -> list[str]:
        """The addresses that left this machine (SAFETY.md I4: there must be none)."""
        outside = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in _IN_BROWSER_SCHEMES:
                continue
            if parts.hostname not in LOCAL_HOSTS:
                outside.append(url)
        return outside

    def assert_all_local(self) -> None:
        """SAFETY.md I4: no page makes a request to any host but this one."""
        assert self.urls, "the network log is empty: was it attached to the page's context?"
        outside = self.third_party()
        assert outside == [], f"requests left the machine: {outside}"


# The journey's steps, as a visitor does them; the tests and the screenshot script share them.

# The details form's labels by language, as a visitor reads them.
DETAIL_LABELS = {
    "en": {"first_name": "First name", "last_name": "Last name", "email": "E-mail", "city": "City",
           "state": "State", "zip_code": "ZIP code",
           "personal_paragraph": "Why this matters to you (optional)"},
    "es": {"first_name": "Nombre", "last_name": "Apellido", "email": "Correo electrónico",
           "city": "Ciudad", "state": "Estado", "zip_code": "Código postal",
           "personal_paragraph": "Por qué le importa este tema (opcional)"},
}

def open_letter(page, server: Server, campaign: str, lang: str | None = None) -> float:
    """Open a campaign's deep link; returns when its form was drawn (see wait_until_human)."""
    from playwright.sync_api import expect

    query = f"?campaign={campaign}" + (f"&lang={lang}" if lang else "")
    page.goto(f"{server.url}/write{query}")
    expect(page.get_by_role("textbox").first).to_be_visible()
    return time.monotonic()


def fill_details(page, labels: Mapping[str, str], values: Mapping[str, str], state: str) -> None:
    """Type into the details form: `labels` maps field names to their visible labels."""
    from playwright.sync_api import expect

    for name, value in values.items():
        page.get_by_role("textbox", name=labels[name], exact=True).fill(value)
    chooser = page.get_by_role("combobox", name=labels["state"])
    chooser.click()
    page.keyboard.type(state)
    page.keyboard.press("Enter")
    expect(chooser).to_have_value(state)


def open_expander(page, title: str):
    """Click an expander open; returns its contents."""
    box = page.get_by_test_id("stExpander").filter(has_text=title)
    box.get_by_text(title, exact=True).click()
    return box.get_by_test_id("stExpanderDetails")


def wait_for_app_idle(page, timeout: float = 30_000) -> None:
    """Wait until the page's script run has finished (Streamlit marks its state on stApp).

    Call it after something on the page shows that a new run has begun (an element only that run
    draws): straight after a click the old "notRunning" may still be showing. An upload started
    while a run is under way can be dropped without a word, so wait for this before uploading.
    """
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                          timeout=timeout)


def wait_until_human(drawn_at: float, portal_env: Mapping[str, str]) -> None:
    """Let the portal's minimum time to submit pass since the form was drawn.

    The bot check quietly drops a letter sent sooner; a fast machine can outrun a person.
    """
    from portal.config import load_config

    minimum = load_config(portal_env).min_submit_seconds
    time.sleep(max(0.0, drawn_at + minimum + 0.5 - time.monotonic()))


def screenshot_whole_page(page, path: Path) -> None:
    """A PNG of everything on the page at its current width.

    Streamlit scrolls inside its own container, so Playwright's full_page sees one screen only:
    grow the window to the content's height instead (until it stops growing: an expander may
    still be opening), then put it back.
    """
    size = page.viewport_size
    height = size["height"]
    for _attempt in range(10):
        page.wait_for_timeout(300)
        wanted = page.evaluate("""() => Math.max(window.innerHeight, ...[...document.querySelectorAll(
            '[data-testid="stMain"], [data-testid="stAppViewContainer"]')].map(el => el.scrollHeight))""")
        if wanted <= height:
            break
        height = int(wanted)
        page.set_viewport_size({"width": size["width"], "height": height})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), animations="disabled", caret="hide")
    finally:
        page.set_viewport_size(size)
