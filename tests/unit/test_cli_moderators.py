"""`python -m portal moderators ...`: accounts made on the command line, never a hash shown (M1)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.accounts_models import AuditEntry, Moderator
from portal.cli import main
from portal.config import load_config
from portal.runtime import open_runtime
from tests.conftest import portal_environ

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "una contraseña larga y fácil de recordar"


@pytest.fixture
def env(data_dir, monkeypatch):
    for name, value in portal_environ(data_dir).items():
        monkeypatch.setenv(name, value)
    return data_dir


def add(monkeypatch, email: str, password: str = PASSWORD, *extra: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return main(["moderators", "add", email, "--password-stdin", *extra])


def rows(model):
    runtime = open_runtime(load_config())
    try:
        with runtime.db.session() as s:
            return list(s.scalars(select(model).order_by(model.id)))
    finally:
        runtime.db.dispose()


def test_add_with_password_from_stdin(env, monkeypatch, capsys):
    assert add(monkeypatch, "Admin@Example.org", PASSWORD, "--admin") == 0
    assert capsys.readouterr().out == "added administrator admin@example.org\n"
    [moderator] = rows(Moderator)
    assert moderator.email == "admin@example.org" and moderator.is_admin
    assert moderator.password_hash.startswith("$argon2id$")
    [entry] = rows(AuditEntry)
    assert (entry.action, entry.actor) == ("moderator_added", "cli")


def test_stdin_keeps_spaces_inside_and_around_the_passphrase(env, monkeypatch):
    from portal.accounts import authenticate

    assert add(monkeypatch, "ana@example.org", "  spaces around a passphrase  ") == 0
    runtime = open_runtime(load_config())
    assert authenticate(runtime, "ana@example.org", "  spaces around a passphrase  ") is not None
    runtime.db.dispose()


def test_prompt_asks_twice_and_compares(env, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["moderators", "add", "ana@example.org"]) == 2
    assert "differ" in capsys.readouterr().err
    assert rows(Moderator) == []

    answers = iter([PASSWORD, PASSWORD])
    assert main(["moderators", "add", "ana@example.org"]) == 0
    assert len(rows(Moderator)) == 1


def test_duplicate_is_an_error(env, monkeypatch, capsys):
    assert add(monkeypatch, "ana@example.org") == 0
    capsys.readouterr()
    assert add(monkeypatch, "ANA@example.org") == 2
    err = capsys.readouterr().err
    assert err == "error: A moderator account for ana@example.org already exists.\n"


def test_short_password_is_refused_with_the_reason_in_one_line(env, monkeypatch, capsys):
    assert add(monkeypatch, "ana@example.org", "fourteen chars") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "at least 15 characters" in err and "has 14" in err
    assert "fourteen chars" not in err
    assert rows(Moderator) == []


def test_invalid_address_is_refused(env, monkeypatch, capsys):
    assert add(monkeypatch, "not-an-address") == 2
    assert capsys.readouterr().err.startswith("error: Enter an e-mail address")


def test_disable(env, monkeypatch, capsys):
    add(monkeypatch, "ana@example.org")
    capsys.readouterr()
    assert main(["moderators", "disable", "Ana@example.org"]) == 0
    assert capsys.readouterr().out == "disabled ana@example.org\n"
    assert rows(Moderator)[0].disabled
    assert [e.action for e in rows(AuditEntry)] == ["moderator_added", "moderator_disabled"]
    assert main(["moderators", "disable", "ana@example.org"]) == 0
    assert "already disabled" in capsys.readouterr().out
    assert main(["moderators", "disable", "nobody@example.org"]) == 2
    assert capsys.readouterr().err == "error: There is no moderator account for nobody@example.org.\n"


def test_list_shows_accounts_and_no_hash(env, monkeypatch, capsys):
    assert main(["moderators", "list"]) == 0
    assert "no moderator accounts yet" in capsys.readouterr().out
    add(monkeypatch, "admin@example.org", PASSWORD, "--admin")
    add(monkeypatch, "ana@example.org")
    main(["moderators", "disable", "ana@example.org"])
    capsys.readouterr()
    assert main(["moderators", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["EMAIL", "ADMIN", "DISABLED", "LAST", "LOGIN", "(UTC)"]
    assert lines[1].split() == ["admin@example.org", "yes", "no", "never"]
    assert lines[2].split() == ["ana@example.org", "no", "yes", "never"]
    assert "argon2" not in out and "$" not in out and PASSWORD not in out


def test_help_lists_the_moderator_actions():
    result = subprocess.run([sys.executable, "-m", "portal", "moderators", "--help"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    for action in ("add", "disable", "list"):
        assert action in result.stdout
