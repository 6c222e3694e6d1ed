"""Backups and restores (SAFETY.md D3): online, checked, never overwritten, and restorable."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from letters.models import CampaignTally, Letter, OutboxMessage
from letters.sender import Sender
from letters.submit import LetterDraft, submit_letter
from portal.backup import BackupError, backup, restore
from portal.cli import main
from portal.config import load_config
from portal.runtime import open_runtime
from tests.conftest import POSTGRES_URL, portal_environ

CAMPAIGN = "end-family-separation"


def make_draft(tag: str) -> LetterDraft:
    sender = Sender(first_name="Rosa", last_name=f"Quintana {tag}", email=f"rosa.{tag}@example.org",
                    city="El Paso", state="TX", zip_code="79901", street="1200 Calle Sentinel")
    return LetterDraft(campaign_id=CAMPAIGN, language="en", sender=sender,
                       text="Please reunite every family.", edited=False, opt_in=False,
                       idempotency_key=f"key-{tag}")


def copy_counts(path: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return (conn.execute("SELECT count(*) FROM letters").fetchone()[0],
                conn.execute("SELECT count(*) FROM outbox").fetchone()[0],
                conn.execute("SELECT coalesce(sum(letters), 0) FROM campaign_tallies").fetchone()[0])
    finally:
        conn.close()


def new_config(tmp_path: Path, name: str):
    folder = tmp_path / name
    folder.mkdir()
    return load_config(portal_environ(folder))


@pytest.mark.sqlite_only(reason="SQLite online backup while writers hold SQLite locks")
def test_backup_while_four_threads_write_is_complete_and_consistent(runtime, tmp_path):
    stop = threading.Event()
    written = [0] * 4
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        i = 0
        try:
            while not stop.is_set():
                submit_letter(runtime, make_draft(f"w{n}-{i}"))
                i += 1
                written[n] = i
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.7)
        reports = []
        deadline = time.monotonic() + 1.3
        while time.monotonic() < deadline or not reports:
            reports.append(backup(runtime, tmp_path / f"during-{len(reports)}.db"))
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    total = sum(written)
    assert total > 0
    for report in reports:
        letters, outbox, tally = copy_counts(report.path)
        assert 0 < letters <= total
        assert letters == tally == report.tables["letters"]
        assert outbox == 2 * letters == report.tables["outbox"]
        assert sqlite3.connect(report.path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert report.bytes == report.path.stat().st_size
    assert not list(tmp_path.glob(".during-*"))  # no temporary files left behind
    assert not list(tmp_path.glob("*-wal"))      # one self-contained file per backup


@pytest.mark.sqlite_only(reason="file permissions of a SQLite backup")
def test_backup_is_private_and_never_overwrites(runtime, tmp_path):
    submit_letter(runtime, make_draft("one"))
    path = tmp_path / "backup.db"
    report = backup(runtime, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert report.tables["letters"] == 1 and report.tables["outbox"] == 2
    before = path.read_bytes()
    with pytest.raises(BackupError, match="already exists"):
        backup(runtime, path)
    assert path.read_bytes() == before


@pytest.mark.sqlite_only(reason="restores a SQLite file into a new data folder")
def test_restore_into_a_new_data_folder_reads_back_with_the_same_keys(runtime, tmp_path):
    result = submit_letter(runtime, make_draft("restore"))
    path = backup(runtime, tmp_path / "backup.db").path

    config = new_config(tmp_path, "new-data")
    report = restore(config, path, force=False)
    assert report.tables["letters"] == 1 and report.tables["outbox"] == 2
    restored = open_runtime(config)
    try:
        with restored.db.session() as s:
            letter = s.get(Letter, result.letter_id)
            assert restored.cipher.decrypt(letter.email_enc) == "rosa.restore@example.org"
            assert s.scalar(select(func.sum(CampaignTally.letters))) == 1
            assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 2
    finally:
        restored.db.dispose()


@pytest.mark.sqlite_only(reason="restores a SQLite file")
def test_restore_refuses_a_database_with_data_unless_forced(runtime, config, tmp_path):
    submit_letter(runtime, make_draft("a"))
    path = backup(runtime, tmp_path / "backup.db").path
    submit_letter(runtime, make_draft("b"))
    runtime.db.dispose()
    with pytest.raises(BackupError, match="already holds data.*--force"):
        restore(config, path, force=False)
    assert copy_counts(Path(config.data_dir) / "portal.db")[0] == 2  # untouched
    report = restore(config, path, force=True)
    assert report.tables["letters"] == 1
    assert copy_counts(Path(config.data_dir) / "portal.db") == (1, 2, 1)


@pytest.mark.sqlite_only(reason="restores into an empty SQLite schema")
def test_restore_into_an_empty_schema_needs_no_force(runtime, tmp_path):
    submit_letter(runtime, make_draft("a"))
    path = backup(runtime, tmp_path / "backup.db").path
    config = new_config(tmp_path, "fresh")
    open_runtime(config).db.dispose()  # schema created, no rows
    assert restore(config, path, force=False).tables["letters"] == 1


def _corrupt_middle_btree_page(path: Path) -> None:
    """Flip the header bytes of a b-tree page in the middle of the file."""
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    pages = len(data) // page_size
    for page in list(range(pages // 2, pages)) + list(range(1, pages // 2)):
        offset = page * page_size
        if data[offset] in (0x02, 0x05, 0x0A, 0x0D):  # interior/leaf index/table pages
            for i in range(offset, offset + 12):
                data[i] ^= 0xFF
            path.write_bytes(bytes(data))
            return
    raise AssertionError("no b-tree page to corrupt")


@pytest.mark.sqlite_only(reason="damages the bytes of a SQLite backup")
@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_restore_refuses_a_damaged_backup(runtime, tmp_path, damage):
    for n in range(40):
        submit_letter(runtime, make_draft(f"d{n}"))
    path = backup(runtime, tmp_path / "backup.db").path
    if damage == "truncate":
        with path.open("r+b") as fh:
            fh.truncate(path.stat().st_size // 2)
    else:
        _corrupt_middle_btree_page(path)
    config = new_config(tmp_path, "target")
    with pytest.raises(BackupError, match="is damaged"):
        restore(config, path, force=False)
    assert not (Path(config.data_dir) / "portal.db").exists()  # nothing written


def test_restore_refuses_a_file_that_is_no_backup(config, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n" * 100)
    with pytest.raises(BackupError):
        restore(config, path, force=False)
    with pytest.raises(BackupError, match="does not exist"):
        restore(config, tmp_path / "missing.db", force=False)


@pytest.mark.postgres
def test_postgres_backup_and_restore_round_trip(runtime, tmp_path):
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL round trip: PORTAL_TEST_POSTGRES_URL is not set")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("PostgreSQL round trip: pg_dump/pg_restore are not installed")
    result = submit_letter(runtime, make_draft("pg"))
    path = tmp_path / "backup.pgdump"
    report = backup(runtime, path)
    assert path.read_bytes()[:5] == b"PGDMP"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert report.tables["letters"] == 1 and report.tables["outbox"] == 2
    with pytest.raises(BackupError, match="already exists"):
        backup(runtime, path)

    config = new_config(tmp_path, "pg-target")  # its own fresh PostgreSQL database
    open_runtime(config).db.dispose()
    assert restore(config, path, force=False).tables["letters"] == 1
    with pytest.raises(BackupError, match="already holds data"):
        restore(config, path, force=False)
    assert restore(config, path, force=True).tables["letters"] == 1
    restored = open_runtime(config)
    try:
        with restored.db.session() as s:
            letter = s.get(Letter, result.letter_id)
            assert restored.cipher.decrypt(letter.email_enc) == "rosa.pg@example.org"
    finally:
        restored.db.dispose()


# -------------------------------------------------------------------------------------- CLI

@pytest.fixture
def env(data_dir, monkeypatch):
    for name, value in portal_environ(data_dir).items():
        monkeypatch.setenv(name, value)
    return data_dir


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.sqlite_only(reason="SQLite backup file")
def test_cli_backup_and_restore(env, tmp_path, capsys, monkeypatch):
    assert main(["demo-data", "--letters", "5", "--seed", "1"]) == 0
    capsys.readouterr()
    path = tmp_path / "cli-backup.db"
    assert main(["backup", str(path)]) == 0
    out = capsys.readouterr().out
    assert str(path) in out and "integrity ok" in out
    assert "letters" in out and "5 rows" in out

    assert main(["backup", str(path)]) == 2
    assert "already exists" in one_line_error(capsys)

    assert main(["restore", str(path)]) == 2
    assert "--force" in one_line_error(capsys)
    assert main(["restore", str(path), "--force"]) == 0
    assert "integrity ok" in capsys.readouterr().out

    other = tmp_path / "other"
    other.mkdir()
    for name, value in portal_environ(other).items():
        monkeypatch.setenv(name, value)
    assert main(["restore", str(path)]) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "integrity ok" in out


def test_cli_restore_of_a_missing_or_damaged_file_is_one_line(env, tmp_path, capsys):
    assert main(["restore", str(tmp_path / "missing.db")]) == 2
    assert "does not exist" in one_line_error(capsys)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)
    assert main(["restore", str(bad)]) == 2
    one_line_error(capsys)


def test_cli_backup_into_a_missing_folder_is_one_line(env, tmp_path, capsys):
    assert main(["backup", str(tmp_path / "nowhere" / "b.db")]) == 2
    assert "does not exist" in one_line_error(capsys)
