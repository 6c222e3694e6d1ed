"""The deployment in deploy/, whole: nginx over HTTPS in front of two Streamlit replicas, PostgreSQL
and two delivery workers, brought up on loopback by deploy/loopback.sh. A supporter sends a letter
through nginx in Chromium, and an SMTP server on loopback receives it once for each office.

Skipped, with the reason, only where nginx or PostgreSQL cannot be found (`make test` installs
both), or where the browser is missing as for the e2e tests.
"""

from __future__ import annotations

import email
import glob
import http.client
import importlib.util
import re
import shutil
import ssl
import subprocess
import time
from dataclasses import dataclass
from email import policy
from email.utils import getaddresses
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable

import pytest

from tests.e2e import harness
from tests.integration.conftest import ScriptedSmtp, free_port, start_server

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = ROOT / "deploy" / "loopback.sh"
CAMPAIGN = "end-family-separation"
POLL_SECONDS = 1  # the workers' PORTAL_DELIVER_POLL_SECONDS here


def _missing() -> str | None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        return "nginx is not installed (make test installs it; Debian: apt-get install nginx)"
    if not (glob.glob("/usr/lib/postgresql/*/bin/initdb") or
            (shutil.which("initdb") and shutil.which("pg_ctl"))):
        return "PostgreSQL is not installed (Debian: apt-get install postgresql)"
    if not harness.CHROMIUM.exists():
        return f"{harness.CHROMIUM} is missing (make chromium installs Debian's Chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing (pip install -r requirements-dev.txt)"
    return None


MISSING = _missing()
pytestmark = [pytest.mark.deploy, pytest.mark.skipif(MISSING is not None, reason=str(MISSING))]


@dataclass
class Stack:
    """A running deploy/loopback.sh set, as described by its DIR/stack.env."""

    dir: Path
    url: str          # https://127.0.0.1:PORT, nginx
    http_url: str     # http://127.0.0.1:PORT, nginx's redirect to HTTPS
    replicas: list[str]
    database_url: str
    access_log: Path
    log_dir: Path
    portal_env: dict[str, str]

    def access_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines()


def _read_env_file(path: Path) -> dict[str, str]:
    """The variables a shell gets from sourcing `path` (portal.env is written for the shell)."""
    done = subprocess.run(["bash", "-c", 'set -a; . "$1"; env -0', "_", str(path)],
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, check=True)
    pairs = (item.split("=", 1) for item in done.stdout.decode().split("\0") if "=" in item)
    return {k: v for k, v in pairs if k.startswith(("PORTAL_", "STREAMLIT_"))}


@pytest.fixture(scope="module")
def smtp():
    handler = ScriptedSmtp()
    handler.port = free_port()
    controller = start_server(handler, handler.port)
    yield handler
    controller.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, smtp, request):
    directory = tmp_path_factory.mktemp("loopback")
    env = harness.child_environ({
        "PORTAL_SMTP_HOST": "127.0.0.1", "PORTAL_SMTP_PORT": str(smtp.port),
        "PORTAL_SMTP_SECURITY": "none", "PORTAL_SMTP_TIMEOUT": "10",
        "PORTAL_DELIVER_POLL_SECONDS": str(POLL_SECONDS)})
    # Registered before `up`, so that whatever part of the set came up is stopped whatever happens.
    request.addfinalizer(lambda: subprocess.run([str(LOOPBACK), "down", str(directory)], cwd=ROOT,
                                                capture_output=True, timeout=180))
    done = subprocess.run([str(LOOPBACK), "up", str(directory)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail(f"deploy/loopback.sh up failed ({done.returncode}):\n{done.stderr}", pytrace=False)
    info = dict(line.split("=", 1) for line in (directory / "stack.env").read_text().splitlines())
    return Stack(dir=directory, url=info["PORTAL_URL"], http_url=info["HTTP_URL"],
                 replicas=info["REPLICAS"].split(","), database_url=info["DATABASE_URL"],
                 access_log=Path(info["ACCESS_LOG"]), log_dir=Path(info["LOG_DIR"]),
                 portal_env=_read_env_file(Path(info["PORTAL_ENV_FILE"])))


def _connection(url: str) -> http.client.HTTPConnection:
    """One keep-alive connection to nginx, trusting its self-signed certificate."""
    scheme, rest = url.split("://")
    host, port = rest.split(":")
    if scheme == "https":
        return http.client.HTTPSConnection(host, int(port), timeout=10,
                                           context=ssl._create_unverified_context())
    return http.client.HTTPConnection(host, int(port), timeout=10)


def _get(url: str, path: str) -> http.client.HTTPResponse:
    conn = _connection(url)
    conn.request("GET", path)
    answer = conn.getresponse()
    answer.read()
    conn.close()
    return answer


def _upstreams(lines: Iterable[str]) -> list[str]:
    return [m.group(1) for line in lines if (m := re.search(r" upstream=(\S+) ", line))]


def _log_lines_after(stack: Stack, start: int, wanted: str, count: int) -> list[str]:
    """The access log's lines after line `start`, once `count` of them contain `wanted`.

    nginx writes a request's line after its answer has gone out, so it can lag the client a little.
    """
    deadline = time.monotonic() + 10
    while True:
        lines = stack.access_lines()[start:]
        if sum(wanted in line for line in lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def test_http_redirects_to_https(stack):
    answer = _get(stack.http_url, f"/write?campaign={CAMPAIGN}")
    assert answer.status == 301
    assert answer.getheader("Location") == f"{stack.url}/write?campaign={CAMPAIGN}"


def test_the_page_carries_the_security_headers(stack):
    answer = _get(stack.url, "/")
    assert answer.status == 200
    header = answer.getheader
    assert re.fullmatch(r"max-age=(\d+); includeSubDomains", header("Strict-Transport-Security"))
    assert int(header("Strict-Transport-Security").split("=")[1].split(";")[0]) >= 365 * 24 * 3600
    assert header("X-Content-Type-Options") == "nosniff"
    assert header("Referrer-Policy") == "no-referrer"
    assert header("X-Frame-Options") == "DENY"
    assert "camera=()" in header("Permissions-Policy")
    csp = header("Content-Security-Policy")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-eval'" not in csp and "script-src 'self'" in csp
    assert header("Server") == "nginx"  # no version
    route = header("Set-Cookie")
    assert route.startswith("portal_route=") and "Secure" in route and "HttpOnly" in route


def test_the_route_cookie_holds_a_browser_to_one_replica_and_keys_spread_over_both(stack):
    # A static file: the request-rate limit leaves those alone, so this test spends none of it.
    conn = _connection(stack.url)
    conn.request("GET", "/")
    html = conn.getresponse().read().decode()
    asset = "/" + re.search(r'src="\./(static/js/[^"]+\.js)"', html).group(1)
    keys = [f"{i:032x}" for i in range(1, 17)]
    before = len(stack.access_lines())
    for key in keys:
        for _ in range(2):
            conn.request("GET", asset, headers={"Cookie": f"portal_route={key}"})
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200
            assert answer.getheader("Set-Cookie") is None  # a browser with a key keeps it
    conn.close()
    lines = _log_lines_after(stack, before, f'"GET {asset}"', 2 * len(keys))
    served = _upstreams(line for line in lines if f'"GET {asset}"' in line)
    assert len(served) == 2 * len(keys)
    pairs = list(zip(served[::2], served[1::2]))
    assert all(first == second for first, second in pairs), pairs
    assert set(served) == set(stack.replicas), "every replica should get some of the keys"


def test_every_replica_signs_cookies_with_the_same_secret(stack):
    # Without it each replica makes up its own, and a visitor moved to another is signed out.
    secrets = []
    for pidfile in sorted((stack.dir / "run").glob("replica-*.pid")):
        environ = Path(f"/proc/{int(pidfile.read_text())}/environ").read_bytes().split(b"\0")
        secrets += [v for v in environ if v.startswith(b"STREAMLIT_SERVER_COOKIE_SECRET=")]
    assert len(secrets) == len(stack.replicas) == 2
    assert len(set(secrets)) == 1 and len(secrets[0].split(b"=", 1)[1]) >= 32


def _wait_for_messages(smtp, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with smtp.lock:
            if len(smtp.messages) >= count:
                return
        time.sleep(0.2)


def test_a_letter_sent_through_nginx_reaches_each_office_once(stack, smtp):
    from playwright.sync_api import expect, sync_playwright

    from portal.config import load_config

    offices = load_config(stack.portal_env).offices
    network = harness.NetworkLog()
    before = len(stack.access_lines())
    with sync_playwright() as playwright:
        browser = harness.launch_browser(playwright)
        try:
            context = harness.new_context(browser, ignore_https_errors=True)
            network.watch(context)
            context.set_default_timeout(30_000)
            expect.set_options(timeout=30_000)
            # CSP violations are reported to the page as events; keep them for the end.
            context.add_init_script("""window.__cspViolations = [];
                document.addEventListener('securitypolicyviolation',
                    e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));""")
            page = context.new_page()
            console = []
            page.on("console", lambda message: console.append(message.text))

            drawn_at = harness.open_letter(page, SimpleNamespace(url=stack.url), CAMPAIGN)
            harness.fill_details(page, harness.DETAIL_LABELS["en"],
                                 {"first_name": "Marisol", "last_name": "Ortega",
                                  "email": "marisol.ortega@example.org", "city": "Tucson",
                                  "zip_code": "85701"}, state="Arizona")
            page.get_by_role("button", name="Continue to your letter").click()
            expect(page.get_by_role("textbox", name="Letter", exact=True)).to_have_value(
                re.compile("Marisol Ortega"))
            harness.wait_until_human(drawn_at, stack.portal_env)
            page.get_by_role("button", name="Send my letter").click()
            expect(page.get_by_role("heading", name="Thank you. Your letter is on its way.")
                   ).to_be_visible()

            assert page.evaluate("window.__cspViolations") == []
            assert [text for text in console if "Content Security Policy" in text] == []
            cookies = {c["name"]: c for c in context.cookies()}
            assert cookies["portal_route"]["secure"] and cookies["portal_route"]["httpOnly"]
            assert cookies["_streamlit_xsrf"]["secure"]
            network.assert_all_local()
            context.close()  # closes the websocket, so nginx logs it
        finally:
            browser.close()

    # Everything this browser asked for, its websocket included, went to one replica.
    browser_lines = _log_lines_after(stack, before, '"GET /_stcore/stream" 101', 1)
    assert any('"GET /_stcore/stream" 101' in line for line in browser_lines), browser_lines
    served = _upstreams(browser_lines)
    assert len(served) > 20 and len(set(served)) == 1, sorted(set(served))

    _wait_for_messages(smtp, 2, timeout=60)
    time.sleep(4 * POLL_SECONDS)  # time enough for a second worker to send a duplicate
    with smtp.lock:
        received = list(smtp.messages)
    recipients = sorted(address for _sender, rcpts, _content in received for address in rcpts)
    assert recipients == sorted([offices["president"].email, offices["dhs_secretary"].email]), (
        recipients, _worker_logs(stack))
    for _sender, _rcpts, content in received:
        message = email.message_from_bytes(content, policy=policy.default)
        assert [a for _n, a in getaddresses(message.get_all("Reply-To", []))] == [
            "marisol.ortega@example.org"]
        assert "Marisol Ortega" in message.get_body(preferencelist=("plain",)).get_content()
    assert _outbox_states(stack) == [("sent", 1), ("sent", 1)]
    for worker in ("worker-1", "worker-2"):
        pid = int((stack.dir / "run" / f"{worker}.pid").read_text())
        assert _running(pid), f"{worker} is no longer running:\n{_worker_logs(stack)}"


def _running(pid: int) -> bool:
    """Alive, and not a zombie left for its (adoptive) parent to reap."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _worker_logs(stack) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in sorted(stack.log_dir.glob("worker-*.log")))


def _outbox_states(stack) -> list[tuple[str, int]]:
    from sqlalchemy import create_engine, select
    from sqlalchemy.pool import NullPool

    from letters.models import OutboxMessage

    engine = create_engine(stack.database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
    finally:
        engine.dispose()
    return sorted((str(getattr(status, "value", status)), attempts) for status, attempts in rows)


def test_a_burst_beyond_the_request_limit_is_refused(stack):
    # Last in this module: it spends the loopback address's whole allowance.
    rate, burst = 10, 50  # portal_app in deploy/nginx/portal.conf.template
    conn = _connection(stack.url)
    statuses = []
    started = time.monotonic()
    while statuses.count(429) < 20 and len(statuses) < 1000:
        conn.request("GET", "/_stcore/health")
        answer = conn.getresponse()
        answer.read()
        statuses.append(answer.status)
    elapsed = time.monotonic() - started
    conn.close()
    assert statuses[0] == 200
    assert set(statuses) == {200, 429}
    assert statuses.count(200) <= burst + rate * elapsed + 1, (statuses.count(200), elapsed)
