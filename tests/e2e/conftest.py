"""Browser fixtures: the portal under `streamlit run`, Debian's Chromium, and a network log.

Every test here is marked e2e and skipped, with the reason, where Chromium or Playwright is
missing (`make test` installs Chromium, so in CI they run).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import portal_environ
from tests.e2e import harness

HERE = Path(__file__).resolve().parent


def _missing() -> str | None:
    if not harness.CHROMIUM.exists():
        return f"{harness.CHROMIUM} is missing (make chromium installs Debian's Chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install -r requirements-dev.txt)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    for item in items:
        if HERE not in Path(item.path).resolve().parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


def e2e_environ(data_dir: Path) -> dict[str, str]:
    """The test settings, but with the real minimum time to submit: a person is slower than 3 s."""
    env = portal_environ(data_dir)
    del env["PORTAL_MIN_SUBMIT_SECONDS"]
    return env


def _serve(tmp_path_factory, name: str):
    data_dir = tmp_path_factory.mktemp(name)
    try:
        server = harness.start_server(data_dir, e2e_environ(data_dir))
    except harness.ServerDidNotStart as exc:
        pytest.fail(str(exc), pytrace=False)
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A portal shared by the tests of one module; yields a harness.Server (url, data_dir, portal_env)."""
    running = _serve(tmp_path_factory, "portal")
    yield running
    harness.stop_server(running)


@pytest.fixture
def fresh_server(tmp_path_factory):
    """A portal of its own, with an empty database, for a test that counts or drains what it stored."""
    running = _serve(tmp_path_factory, "fresh-portal")
    yield running
    harness.stop_server(running)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = harness.launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def network() -> harness.NetworkLog:
    """Every address the test's page asked for (check it with network.assert_all_local())."""
    return harness.NetworkLog()


@pytest.fixture
def page(browser, network):
    from playwright.sync_api import expect

    # Streamlit re-renders after every widget; on two busy cores a rerun can take seconds.
    expect.set_options(timeout=30_000)
    context = harness.new_context(browser)
    network.watch(context)
    context.set_default_timeout(30_000)
    visitor = context.new_page()
    yield visitor
    context.close()

