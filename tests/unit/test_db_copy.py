"""`python -m portal copy-db`: moving the portal from SQLite to PostgreSQL (or to another SQLite file).

The source is always a SQLite file; the target is the test's own database, so the PostgreSQL test
run copies SQLite into PostgreSQL, the move an organizer makes when a campaign outgrows one machine.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, table

from letters.demo import add_demo_letters
from letters.models import Letter
from letters.sender import Sender
from letters.submit import LetterDraft, submit_letter
from portal.accounts import add_moderator
from portal.cli import main
from portal.config import load_config
from portal.runtime import open_runtime
from stories.demo import add_demo_stories
from tests.conftest import portal_environ

PASSPHRASE = "a long enough passphrase for tests"


def row_counts(runtime) -> dict[str, int]:
    engine = runtime.db.engine
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        return {n: conn.execute(select(func.count()).select_from(table(n))).scalar_one() for n in names}


@pytest.fixture
def source(tmp_path: Path):
    """A SQLite portal with letters, stories in every status, and a moderator."""
    folder = tmp_path / "sqlite-portal"
    folder.mkdir()
    config = load_config(portal_environ(folder, PORTAL_DATABASE_URL=f"sqlite:///{folder / 'portal.db'}"))
    runtime = open_runtime(config)
    add_demo_letters(runtime, 30, seed=3)
    add_demo_stories(runtime, 12, seed=3)
    add_moderator(runtime, "ana@example.org", PASSPHRASE, is_admin=True)
    yield runtime
    runtime.db.dispose()


@pytest.fixture
def target_env(data_dir, monkeypatch):
    """The command's own settings: the test's database, which is where the copy goes."""
    for name, value in portal_environ(data_dir).items():
        monkeypatch.setenv(name, value)
    return load_config()


def test_copy_db_moves_every_row_and_the_copy_works_with_the_same_keys(source, target_env, capsys):
    expected = row_counts(source)
    assert expected["letters"] == 30 and expected["stories"] == 12 and expected["moderators"] == 1

    assert main(["copy-db", "--from", source.config.database_url,
                 "--to", target_env.database_url]) == 0
    assert re.search(r"^\s+letters\s+30 rows$", capsys.readouterr().out, re.MULTILINE)

    target = open_runtime(target_env)
    try:
        assert row_counts(target) == expected
        with source.db.session() as s:
            before = [(l.id, source.cipher.decrypt(l.email_enc)) for l in s.scalars(
                select(Letter).order_by(Letter.id))]
        with target.db.session() as s:
            after = [(l.id, target.cipher.decrypt(l.email_enc)) for l in s.scalars(
                select(Letter).order_by(Letter.id))]
        assert after == before
        # New rows get new ids (on PostgreSQL, only because the id counters were moved on).
        add_moderator(target, "luis@example.org", PASSPHRASE, is_admin=False)
        sender = Sender(first_name="Inés", last_name="Robles", email="ines.robles@example.org",
                        city="Laredo", state="TX", zip_code="78040")
        submit_letter(target, LetterDraft(campaign_id="end-family-separation", language="es",
                                          sender=sender, text="Reúnan a las familias.", edited=False,
                                          opt_in=False, idempotency_key="after-the-move"))
        assert row_counts(target)["letters"] == 31
    finally:
        target.db.dispose()


def test_copy_db_refuses_a_target_that_already_holds_data(source, target_env, capsys):
    args = ["copy-db", "--from", source.config.database_url, "--to", target_env.database_url]
    assert main(args) == 0
    capsys.readouterr()
    assert main(args) == 2
    assert "already holds data" in capsys.readouterr().err
    target = open_runtime(target_env)
    try:
        assert row_counts(target) == row_counts(source)  # nothing was added twice
    finally:
        target.db.dispose()


def test_copy_db_refuses_to_copy_a_database_onto_itself(source, capsys):
    url = source.config.database_url
    assert main(["copy-db", "--from", url, "--to", url]) == 2
    assert "the same database" in capsys.readouterr().err


def test_copy_db_to_a_server_that_does_not_answer_says_so_in_one_line(source, capsys):
    assert main(["copy-db", "--from", source.config.database_url,
                 "--to", "postgresql+psycopg://portal@127.0.0.1:1/portal"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the copy failed, and no row was copied:") and err.count("\n") == 1
