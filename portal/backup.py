"""Backups and restores of the portal's database (SAFETY.md D3).

SQLite is copied with its online backup API, so the portal keeps running while it is copied; the
copy is written to a temporary file next to the destination, checked with `PRAGMA
integrity_check`, and only then given its name (never over an existing file), readable by its
owner only (0600). PostgreSQL is dumped with `pg_dump --format=custom` on the same snapshot as the
row counts that are reported, and checked with `pg_restore --list`.

A backup holds encrypted contact details but never the keys: those live in the environment,
the secrets file or data/local_keys.toml. Keep the keys safe apart from the backups; a backup
without them cannot be read, by anyone.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import URL, inspect, make_url, text

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
STEP_PAGES = 256  # pages per step when the source is not in WAL mode (writers wait between steps)


class BackupError(Exception):
    """A backup or restore could not be done; the message is the one-line reason."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    bytes: int
    tables: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RestoreReport:
    source: Path
    target: str  # the database restored into (password hidden)
    tables: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------- backup

def backup(runtime, destination: Path) -> BackupReport:
    """Copy the running portal's database into the new file `destination`."""
    destination = Path(destination)
    if destination.exists() or destination.is_symlink():
        raise BackupError(f"{destination} already exists; choose a new file for the backup")
    if not destination.parent.is_dir():
        raise BackupError(f"folder {destination.parent} does not exist")
    dialect = runtime.db.dialect
    if dialect == "sqlite":
        return _backup_sqlite(runtime.db.engine, destination)
    if dialect == "postgresql":
        return _backup_postgres(runtime.db.engine, destination)
    raise BackupError(f"backups of {dialect} databases are not supported")


def _temp_file(destination: Path) -> Path:
    """An empty 0600 file in the destination's folder (so the final rename stays on one disk)."""
    try:
        fd, name = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.",
                                    suffix=".tmp")
    except OSError as exc:
        raise BackupError(f"cannot write in {destination.parent}: {exc.strerror}") from None
    os.fchmod(fd, 0o600)
    os.close(fd)
    return Path(name)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp: Path, destination: Path) -> None:
    """Give the finished temporary file its name atomically, never replacing an existing file."""
    _fsync(tmp)
    try:
        os.link(tmp, destination)  # fails if destination exists: no race with another writer
    except FileExistsError:
        raise BackupError(f"{destination} already exists; choose a new file for the backup") from None
    except OSError:
        # A file system without hard links: the check above and rename are the best we can do.
        if destination.exists():
            raise BackupError(f"{destination} already exists; choose a new file for the backup") from None
        os.rename(tmp, destination)
    else:
        tmp.unlink()
    os.chmod(destination, 0o600)
    try:
        _fsync(destination.parent)
    except OSError:
        pass  # some platforms cannot fsync a folder


def _sqlite_check(path: Path) -> dict[str, int]:
    """Run integrity_check on a SQLite file (read-only) and count the rows of each table."""
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{path} is a PostgreSQL dump, but the portal's database is SQLite")
    if head != SQLITE_MAGIC:
        raise BackupError(f"{path} is not a SQLite database backup")
    conn = None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            first = rows[0][0] if rows else "no answer"
            raise BackupError(f"{path} is damaged (integrity_check: {first})")
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is damaged ({exc})") from None
    finally:
        if conn is not None:
            conn.close()


def _copy_sqlite(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    """Online backup from `source` into `target`.

    In WAL mode (the portal's) the copy is one read transaction: readers never block writers
    there, and copying in one step means concurrent writes cannot restart it over and over.
    In other journal modes the pages go in steps, so writers only wait for one step at a time.
    """
    mode = source.execute("PRAGMA journal_mode").fetchone()[0]
    pages = -1 if str(mode).lower() == "wal" else STEP_PAGES
    source.backup(target, pages=pages, sleep=0.05)


def _backup_sqlite(engine, destination: Path) -> BackupReport:
    tmp = _temp_file(destination)
    try:
        raw = engine.raw_connection()
        try:
            target = sqlite3.connect(tmp)
            try:
                _copy_sqlite(raw.driver_connection, target)
                # One self-contained file: no -wal or -shm beside the backup.
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        finally:
            raw.close()
        tables = _sqlite_check(tmp)
        _publish(tmp, destination)
    except sqlite3.Error as exc:
        raise BackupError(f"the backup failed: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
        for suffix in ("-journal", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    return BackupReport(path=destination, bytes=destination.stat().st_size, tables=tables)


# ------------------------------------------------------------------------------------ PostgreSQL

def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools "
                          "of the server's major version (Debian: apt-get install postgresql-client)")
    return path


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URL (no "+psycopg", no password) and the environment with the password.

    The password goes through PGPASSWORD so that it never shows in the process list.
    """
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise BackupError(f"{what} failed: {reason}")
    return result.stdout


def _pg_counts(conn) -> dict[str, int]:
    names = sorted(inspect(conn).get_table_names())
    return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}


def _pg_list(path: Path, env: dict[str, str]) -> str:
    listing = _run([_pg_tool("pg_restore"), "--list", str(path)], env,
                   f"pg_restore --list {path}")
    if not any(line.strip() and not line.startswith(";") for line in listing.splitlines()):
        raise BackupError(f"{path} holds nothing to restore")
    return listing


def _backup_postgres(engine, destination: Path) -> BackupReport:
    pg_dump = _pg_tool("pg_dump")
    _pg_tool("pg_restore")
    dsn, env = _libpq(engine.url)
    tmp = _temp_file(destination)
    try:
        # The counts and the dump share one snapshot, so the report says what the file holds.
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                tables = _pg_counts(conn)
                _run([pg_dump, "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                      f"--file={tmp}", f"--dbname={dsn}"], env, "pg_dump")
        _pg_list(tmp, env)
        _publish(tmp, destination)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupReport(path=destination, bytes=destination.stat().st_size, tables=tables)


# --------------------------------------------------------------------------------------- restore

def restore(config, source: Path, *, force: bool = False) -> RestoreReport:
    """Replace the configured database's content with the backup `source`.

    Stop the portal and the delivery workers first. Refuses a target that already holds data
    unless `force`; the backup is checked before anything is written.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist or is not a file")
    url = make_url(config.database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _restore_sqlite(url, source, force)
    if backend == "postgresql":
        return _restore_postgres(url, source, force)
    raise BackupError(f"restores into {backend} databases are not supported")


def _has_data(tables: dict[str, int]) -> bool:
    return any(rows for name, rows in tables.items() if name != "alembic_version")


def _restore_sqlite(url: URL, source: Path, force: bool) -> RestoreReport:
    if not url.database or url.database == ":memory:":
        raise BackupError("the configured database is not a file; nothing to restore into")
    _sqlite_check(source)
    target_path = Path(url.database)
    if target_path.exists() and target_path.stat().st_size > 0 and not force:
        try:
            existing = _sqlite_check(target_path)
        except BackupError:
            existing = {"?": 1}  # unreadable: treat as data, never overwrite it silently
        if _has_data(existing):
            raise BackupError(f"the database {target_path} already holds data; "
                              "restore with --force to replace it")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    created = not target_path.exists()
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(target_path, timeout=5)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")  # the portal's mode (make_engine)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed: {exc}") from None
    if created:
        os.chmod(target_path, 0o600)
    tables = _sqlite_check(target_path)
    return RestoreReport(source=source, target=str(target_path), tables=tables)


def _restore_postgres(url: URL, source: Path, force: bool) -> RestoreReport:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    with source.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head == SQLITE_MAGIC:
        raise BackupError(f"{source} is a SQLite backup, but the portal's database is PostgreSQL")
    pg_restore = _pg_tool("pg_restore")
    dsn, env = _libpq(url)
    _pg_list(source, env)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            if not force and _has_data(_pg_counts(conn)):
                raise BackupError(f"the database {url.database} already holds data; "
                                  "restore with --force to replace it")
        _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", f"--dbname={dsn}", str(source)], env, "pg_restore")
        with engine.connect() as conn:
            tables = _pg_counts(conn)
    finally:
        engine.dispose()
    return RestoreReport(source=source, target=url.render_as_string(hide_password=True),
                         tables=tables)
