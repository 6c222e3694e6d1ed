"""deploy/systemd: units systemd accepts, hardened, restarting on failure, reading the settings file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
SERVICES = ["portal-streamlit@.service", "portal-deliver@.service"]
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
             "PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": ""}

pytestmark = pytest.mark.deploy


def service_section(name: str) -> dict[str, list[str]]:
    """The [Service] section, each key with all its values (a key may be given more than once)."""
    values: dict[str, list[str]] = {}
    section = None
    for line in (UNITS / name).read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "Service" and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_hardened_restarts_and_reads_the_settings_file(name):
    service = service_section(name)
    for key, value in HARDENING.items():
        assert service.get(key) == [value], key
    assert service["Restart"] == ["on-failure"]
    assert service["EnvironmentFile"] == ["/etc/portal/portal.env"]
    assert service["User"] == ["portal"]


def test_replicas_listen_on_loopback_on_their_instance_port():
    exec_start = service_section("portal-streamlit@.service")["ExecStart"][0]
    assert "--server.address 127.0.0.1" in exec_start and "--server.port %i" in exec_start


def test_the_example_settings_give_every_replica_one_cookie_secret():
    settings = (ROOT / "deploy" / "portal.env.example").read_text()
    assert "\nSTREAMLIT_SERVER_COOKIE_SECRET=" in settings


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    # verify needs the programs named in ExecStart and the settings file to exist: point them at
    # this interpreter and an empty file, and give the templates an instance.
    settings = tmp_path / "portal.env"
    settings.touch()
    names = {"portal-streamlit@.service": "portal-streamlit@8501.service",
             "portal-deliver@.service": "portal-deliver@1.service", "portal.target": "portal.target"}
    for source, target in names.items():
        text = (UNITS / source).read_text()
        text = text.replace("/opt/portal/.venv/bin/python", sys.executable)
        text = text.replace("/etc/portal/portal.env", str(settings))
        (tmp_path / target).write_text(text)
        if source != target:
            (tmp_path / source).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no",
                           *(str(tmp_path / n) for n in names.values())],
                          capture_output=True, text=True, cwd=tmp_path)
    # Only what it says about these files: a container may add notes about the host's own units.
    problems = [line for line in done.stderr.splitlines() if str(tmp_path) in line]
    assert done.returncode == 0 and problems == [], done.stderr
