"""`python -m portal`: help, commands, and one-line reasons on error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from letters.models import CampaignTally, DeliveryStatus, Letter, OutboxMessage
from portal.cli import main
from portal.config import load_config
from portal.runtime import open_runtime
from tests.conftest import portal_environ

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(data_dir, monkeypatch):
    for name, value in portal_environ(data_dir).items():
        monkeypatch.setenv(name, value)
    return data_dir


def test_help_lists_every_command():
    result = subprocess.run([sys.executable, "-m", "portal", "--help"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    for command in ("init-db", "demo-data", "deliver", "check-templates"):
        assert command in result.stdout


@pytest.mark.sqlite_only(reason="checks the SQLite file init-db creates")
def test_init_db_creates_the_schema(env, capsys):
    assert main(["init-db"]) == 0
    assert "database ready" in capsys.readouterr().out
    assert (env / "portal.db").exists()


def test_check_templates_passes_on_the_shipped_campaigns(env, capsys):
    assert main(["check-templates"]) == 0
    assert "ok       end-family-separation (en, es)" in capsys.readouterr().out


def test_check_templates_fails_on_a_broken_template(env, tmp_path, monkeypatch, capsys):
    broken = tmp_path / "templates" / "broken-one"
    broken.mkdir(parents=True)
    (broken / "en.md").write_text("no front matter here")
    monkeypatch.setenv("PORTAL_TEMPLATES_DIR", str(tmp_path / "templates"))
    assert main(["check-templates"]) == 1
    assert "broken-one" in capsys.readouterr().out


def test_demo_data_adds_letters_that_are_never_pending(env, capsys):
    assert main(["demo-data", "--letters", "40", "--seed", "7"]) == 0
    assert "added 40 demo letters" in capsys.readouterr().out
    runtime = open_runtime(load_config())
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Letter)) == 40
        assert s.scalar(select(func.sum(CampaignTally.letters))) == 40
        statuses = set(s.scalars(select(OutboxMessage.status).distinct()))
    assert DeliveryStatus.PENDING not in statuses  # a worker must never mail fake letters
    runtime.db.dispose()


def test_demo_data_is_refused_in_production(env, monkeypatch, capsys):
    monkeypatch.setenv("PORTAL_ENV", "production")
    assert main(["demo-data", "--letters", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_bad_configuration_exits_non_zero_with_one_line(data_dir):
    environ = {**os.environ, **portal_environ(data_dir, PORTAL_ENV="staging")}
    result = subprocess.run([sys.executable, "-m", "portal", "init-db"], cwd=ROOT, env=environ,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: setting env must be one of development, "
                                                  "production, test, got 'staging'"]


def test_unknown_command_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "portal", "frobnicate"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 2 and "invalid choice" in result.stderr
