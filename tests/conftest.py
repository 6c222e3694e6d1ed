"""Shared fixtures: a throwaway configuration and database per test.

With PORTAL_TEST_POSTGRES_URL set (scripts/test_postgres.sh sets it), every test's database is a
fresh PostgreSQL database on that server instead of the SQLite file in its data folder: it is
created the first time the test builds its settings and dropped when the test ends. Tests marked
`sqlite_only` (they read the SQLite file or hold SQLite locks) are skipped there.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal.config import load_config
from portal.runtime import Runtime, open_runtime

ROOT = Path(__file__).resolve().parent.parent


POSTGRES_URL = os.environ.get("PORTAL_TEST_POSTGRES_URL", "")


class _PostgresDatabases:
    """One fresh database per data folder on the PostgreSQL test server, dropped after the test."""

    def __init__(self, server_url: str):
        self.server_url = server_url
        self._admin = None
        self.urls: dict[Path, str] = {}

    def admin(self):
        if self._admin is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            self._admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT",
                                        poolclass=NullPool)
        return self._admin

    def url_for(self, data_dir: Path) -> str:
        from sqlalchemy import make_url

        key = Path(data_dir).resolve()
        if key not in self.urls:
            name = f"t_{secrets.token_hex(8)}"
            with self.admin().connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            self.urls[key] = make_url(self.server_url).set(database=name).render_as_string(
                hide_password=False)
        return self.urls[key]

    def drop_all(self) -> None:
        from sqlalchemy import make_url

        urls, self.urls = list(self.urls.values()), {}
        with self.admin().connect() as conn:
            for url in urls:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


_POSTGRES = _PostgresDatabases(POSTGRES_URL) if POSTGRES_URL else None


def portal_environ(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a portal whose data lives in `data_dir` (no secrets file, no SMTP).

    On a PostgreSQL test run, the database is the test's own PostgreSQL database instead.
    """
    env = {
        "PORTAL_ENV": "test",
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_SECRETS_FILE": str(data_dir / "no-secrets.toml"),
        "PORTAL_ENCRYPTION_KEYS": TEST_KEY,
        "PORTAL_LOOKUP_KEY": "test-lookup-key",
        "PORTAL_MIN_SUBMIT_SECONDS": "0",
    }
    if _POSTGRES is not None and "PORTAL_DATABASE_URL" not in extra:
        env["PORTAL_DATABASE_URL"] = _POSTGRES.url_for(data_dir)
    env.update(extra)
    return env


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("sqlite_only")
    if marker is not None and _POSTGRES is not None:
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        pytest.skip(f"SQLite only: {reason}" if reason else "SQLite only")


@pytest.fixture(autouse=True)
def _postgres_databases():
    """Drop the test's PostgreSQL databases when it ends (after every other fixture's teardown)."""
    yield
    if _POSTGRES is not None and _POSTGRES.urls:
        _POSTGRES.drop_all()  # WITH (FORCE) also closes connections of engines nobody disposed


TEST_KEY = Fernet.generate_key().decode()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def config(data_dir: Path):
    return load_config(portal_environ(data_dir))


@pytest.fixture
def runtime(config) -> Runtime:
    rt = open_runtime(config)
    yield rt
    rt.db.dispose()


@pytest.fixture(autouse=True)
def _restore_logging():
    """Commands under test install their own log handler; give the next test the original ones."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
