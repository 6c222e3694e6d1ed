"""`python -m portal stories import`, `demo-data --stories` and `purge`.

The commands must never show a story's words or a contact detail; these tests check the output
for them and never print them.
"""

from __future__ import annotations

import csv
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import cli
from portal.cli import main
from portal.config import load_config
from portal.db import utcnow
from portal.runtime import open_runtime
from stories import purge as purge_module
from stories.consent import ConsentAnswers, consent_text
from stories.intake import StorySubmission, submit_story, validate_story_fields
from stories.models import AgeConfirmation, Story, StoryContact, StoryStatus
from stories.paper_import import CSV_COLUMNS
from stories.withdrawal import story_status
from tests.conftest import portal_environ
from tests.unit.test_paper_import import form, to_csv

ROOT = Path(__file__).resolve().parents[2]
SECRET_WORDS = "We were kept apart for eleven months"


@pytest.fixture
def env(data_dir, monkeypatch):
    for name, value in portal_environ(data_dir).items():
        monkeypatch.setenv(name, value)
    return data_dir


@pytest.fixture
def open_rt(env):
    runtimes = []

    def opener():
        runtimes.append(open_runtime(load_config()))
        return runtimes[-1]

    yield opener
    for rt in runtimes:
        rt.db.dispose()


def write_csv(path: Path, rows, **kwargs) -> Path:
    path.write_bytes(to_csv(rows, **kwargs).encode("utf-8-sig"))
    return path


def assert_nothing_private(output: str) -> None:
    assert SECRET_WORDS not in output
    assert "rosa@example.org" not in output and "Quintana" not in output


def test_help_lists_the_new_commands():
    result = subprocess.run([sys.executable, "-m", "portal", "--help"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    assert "purge" in result.stdout and "stories" in result.stdout
    result = subprocess.run([sys.executable, "-m", "portal", "stories", "import", "--help"],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    for option in ("--template", "--all-or-nothing", "--row-by-row", "--receipts"):
        assert option in result.stdout


def test_template_prints_the_header(env, capsys):
    assert main(["stories", "import", "--template"]) == 0
    assert capsys.readouterr().out == ",".join(CSV_COLUMNS) + "\n"


def test_import_writes_private_receipts_whose_codes_open_the_stories(env, tmp_path, capsys, open_rt):
    source = write_csv(tmp_path / "forms.csv", [
        form(0), form(1, credit="full_name", credited_name="Rosa Quintana"),
        form(2, story=SECRET_WORDS + ".\nSecond line of the paper form.")])
    receipts = tmp_path / "receipts.csv"
    assert main(["stories", "import", str(source), "--receipts", str(receipts)]) == 0
    captured = capsys.readouterr()
    assert "imported 3 stories" in captured.out
    assert_nothing_private(captured.out + captured.err)
    assert stat.S_IMODE(receipts.stat().st_mode) == 0o600
    with receipts.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["line"] for row in rows] == ["2", "3", "4"]
    runtime = open_rt()
    for row in rows:
        assert row["receipt_code"] not in captured.out  # codes go to the file only
        view = story_status(runtime, row["receipt_code"])
        assert view is not None and view.status is StoryStatus.NEW


def test_a_rejected_row_is_printed_by_line_and_nothing_is_imported(env, tmp_path, capsys, open_rt):
    source = write_csv(tmp_path / "forms.csv", [form(0), form(1, state="ZZ"), form(2, year="1800")])
    receipts = tmp_path / "receipts.csv"
    assert main(["stories", "import", str(source), "--receipts", str(receipts)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "line 3: state: Choose your state from the list."
    assert lines[1].startswith("line 4: year: Enter a year between 1990 and ")
    assert "nothing imported: 2 rows rejected" in out
    assert_nothing_private(out)
    assert not receipts.exists()
    with open_rt().db.session() as s:
        assert s.scalar(select(func.count()).select_from(Story)) == 0


def test_row_by_row_imports_the_good_rows_and_exits_1(env, tmp_path, capsys, open_rt):
    source = write_csv(tmp_path / "forms.csv", [form(0), form(1, contact_email="nope"), form(2)])
    receipts = tmp_path / "receipts.csv"
    assert main(["stories", "import", str(source), "--row-by-row", "--receipts", str(receipts)]) == 1
    out = capsys.readouterr().out
    assert "line 3: contact_email: " in out
    assert "imported 2 stories" in out and "1 rows rejected" in out
    assert_nothing_private(out)
    with receipts.open(newline="") as fh:
        assert [row["line"] for row in csv.DictReader(fh)] == ["2", "4"]


def test_missing_column_is_reported_on_line_1(env, tmp_path, capsys):
    columns = tuple(c for c in CSV_COLUMNS if c != "consent_form_version")
    source = write_csv(tmp_path / "forms.csv", [form(0)], columns=columns)
    assert main(["stories", "import", str(source), "--receipts", str(tmp_path / "r.csv")]) == 1
    assert "line 1: header: missing columns: consent_form_version" in capsys.readouterr().out


def test_receipts_file_is_required_and_never_overwritten(env, tmp_path, capsys, open_rt):
    source = write_csv(tmp_path / "forms.csv", [form(0)])
    assert main(["stories", "import", str(source)]) == 2
    assert "--receipts FILE is required" in capsys.readouterr().err
    existing = tmp_path / "old-receipts.csv"
    existing.write_text("line,receipt_code\n2,EARLIER\n")
    assert main(["stories", "import", str(source), "--receipts", str(existing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "already exists" in err
    assert "EARLIER" in existing.read_text()
    with open_rt().db.session() as s:
        assert s.scalar(select(func.count()).select_from(Story)) == 0


def test_a_file_that_is_not_utf8_is_refused_in_one_line(env, tmp_path, capsys):
    source = tmp_path / "forms.csv"
    source.write_bytes(to_csv([form(0, title="Niños separados")]).encode("cp1252"))
    assert main(["stories", "import", str(source), "--receipts", str(tmp_path / "r.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not UTF-8" in err
    assert not (tmp_path / "r.csv").exists()


def test_demo_stories_cover_every_status_and_withdrawn_ones_are_purged(env, capsys, open_rt):
    assert main(["demo-data", "--stories", "60", "--seed", "4"]) == 0
    assert capsys.readouterr().out == "added 60 demo stories\n"
    with open_rt().db.session() as s:
        assert s.scalar(select(func.count()).select_from(Story)) == 60
        statuses = set(s.scalars(select(Story.status).distinct()))
        withdrawn = s.scalars(select(Story).where(Story.status == StoryStatus.WITHDRAWN)).all()
        languages = set(s.scalars(select(Story.language).distinct()))
        events = {st.id: len(st.consent_events) for st in withdrawn}
        contacts = set(s.scalars(select(StoryContact.story_id)))
        kept = s.scalars(select(Story).where(Story.status == StoryStatus.NEW)).all()
    assert statuses == set(StoryStatus)
    assert {"en", "es"} <= languages
    assert withdrawn
    for story in withdrawn:
        assert story.title_enc is None and story.text_enc is None and story.purged_at
        assert story.id not in contacts and events[story.id] == 2
        assert not (story.consent_publish or story.consent_press or story.consent_quote)
    assert all(story.text_enc is not None for story in kept)


def test_demo_stories_are_refused_in_production(env, monkeypatch, capsys):
    monkeypatch.setenv("PORTAL_ENV", "production")
    assert main(["demo-data", "--stories", "5"]) == 2
    assert capsys.readouterr().err.startswith("error: demo-data refuses")


def _story(runtime, status: StoryStatus, changed_days_ago: float) -> int:
    fields, errors = validate_story_fields(
        {"title": "A title", "text": SECRET_WORDS + ", then we found each other.",
         "language": "en", "connection": "separated"}, this_year=2030)
    assert not errors
    receipt = submit_story(runtime, StorySubmission(
        story=fields, consent_text=consent_text("en"),
        answers=ConsentAnswers(keep_for_review=True, age=AgeConfirmation.ADULT)))
    with runtime.db.session(write=True) as s:
        story = s.get(Story, receipt.story_id)
        story.status = status
        story.status_changed_at = utcnow() - timedelta(days=changed_days_ago)
    return receipt.story_id


def test_purge_removes_withdrawn_and_old_rejected_stories_only(env, capsys, open_rt):
    runtime = open_rt()
    withdrawn = _story(runtime, StoryStatus.WITHDRAWN, 0)
    old_rejected = _story(runtime, StoryStatus.REJECTED, 40)
    new_rejected = _story(runtime, StoryStatus.REJECTED, 5)
    approved = _story(runtime, StoryStatus.APPROVED, 90)
    assert main(["purge"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("purged 1 withdrawn and 1 rejected stories")
    with runtime.db.session() as s:
        content = {sid: s.get(Story, sid).text_enc for sid in
                   (withdrawn, old_rejected, new_rejected, approved)}
    assert content[withdrawn] is None and content[old_rejected] is None
    assert content[new_rejected] is not None and content[approved] is not None
    assert main(["purge", "--retention-days", "3"]) == 0
    assert capsys.readouterr().out.startswith("purged 0 withdrawn and 1 rejected stories")


def test_purge_refuses_a_negative_retention(env, capsys):
    assert main(["purge", "--retention-days", "-1"]) == 2
    assert capsys.readouterr().err.startswith("error: --retention-days")


def test_cli_default_retention_is_the_domain_one():
    assert cli.REJECTED_RETENTION_DAYS == purge_module.REJECTED_RETENTION_DAYS


@pytest.mark.parametrize("flags,row_by_row", [([], False), (["--all-or-nothing"], False),
                                              (["--row-by-row"], True)])
def test_all_or_nothing_is_the_default_mode(flags, row_by_row):
    args = cli.build_parser().parse_args(["stories", "import", "f.csv", *flags])
    assert args.row_by_row is row_by_row


def test_the_two_modes_cannot_be_combined(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["stories", "import", "f.csv", "--row-by-row",
                                       "--all-or-nothing"])
    assert "not allowed with" in capsys.readouterr().err


def test_rotate_keys_command_reports_what_it_did(data_dir, monkeypatch, capsys):
    from cryptography.fernet import Fernet

    from portal.cli import main as cli_main
    from tests.conftest import TEST_KEY, portal_environ as environ

    for name, value in environ(data_dir).items():
        monkeypatch.setenv(name, value)
    assert cli_main(["demo-data", "--letters", "3", "--seed", "1"]) == 0
    monkeypatch.setenv("PORTAL_ENCRYPTION_KEYS", f"{Fernet.generate_key().decode()},{TEST_KEY}")
    assert cli_main(["rotate-keys"]) == 0
    out = capsys.readouterr().out
    assert "re-encrypted" in out and "0 fields" not in out


def test_demo_stories_are_searchable_and_approved_ones_reach_the_press_export(runtime):
    from stories.demo import add_demo_stories
    from stories.exports import press_stories
    from stories.moderation import QueueFilters, queue

    add_demo_stories(runtime, 120, seed=5)
    with runtime.db.session() as session:
        exported = list(press_stories(runtime, session))
    assert exported, "approved demo stories with press consent should be exportable"
    word = exported[0].text.split()[0]
    assert queue(runtime, QueueFilters(search=word)).total >= 1
