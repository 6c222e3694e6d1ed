"""deploy/nginx/render.sh: the production rendering is one nginx accepts, and it refuses unsafe values.

The loopback test (test_nginx_stack.py) runs the template on loopback ports; this checks the
defaults a production machine gets (ports 443 and 80, IPv4 and IPv6, the canonical redirect).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "deploy" / "nginx" / "render.sh"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [pytest.mark.deploy,
              pytest.mark.skipif(NGINX is None, reason="nginx is not installed (make test installs it)")]


def render(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(RENDER), *args], capture_output=True, text=True)


def test_the_production_rendering_passes_nginx_own_check(tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=portal.example.org",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    site = render("--server-name", "portal.example.org", "--server-name", "www.portal.example.org",
                  "--cert", str(tmp_path / "cert.pem"), "--key", str(tmp_path / "key.pem"),
                  "--log-dir", str(tmp_path))
    assert site.returncode == 0, site.stderr
    text = site.stdout
    assert "listen 0.0.0.0:443 ssl default_server;" in text and "listen [::]:443 ssl default_server;" in text
    assert "listen 0.0.0.0:80;" in text and "listen [::]:80;" in text
    assert "return 301 https://$server_name$request_uri;" in text  # no port: 443 is the default
    assert "server 127.0.0.1:8501 " in text and "server 127.0.0.1:8502 " in text
    assert "${" not in text  # every placeholder filled in
    (tmp_path / "portal.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{ include {tmp_path}/portal.conf; }}\n")
    check = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                            "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("option, value", [
    ("--server-name", "portal.example.org; include /etc/passwd"),
    ("--server-name", "evil}"),
    ("--replica", "127.0.0.1:8501 backup"),
    ("--cert", "/etc/ssl/$host.pem"),
    ("--https-port", "443x"),
])
def test_a_value_that_could_change_the_configuration_is_refused(option, value):
    args = ["--server-name", "portal.example.org", option, value]
    done = render(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert "render.sh:" in done.stderr
