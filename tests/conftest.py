"""Shared fixtures: a throwaway configuration and database per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from portal.config import load_config
from portal.runtime import Runtime, open_runtime

ROOT = Path(__file__).resolve().parent.parent


def portal_environ(data_dir: Path, **extra: str) -> dict[str, str]:
    """Environment for a portal whose data lives in `data_dir` (no secrets file, no SMTP)."""
    env = {
        "PORTAL_ENV": "test",
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_SECRETS_FILE": str(data_dir / "no-secrets.toml"),
        "PORTAL_ENCRYPTION_KEYS": TEST_KEY,
        "PORTAL_LOOKUP_KEY": "test-lookup-key",
        "PORTAL_MIN_SUBMIT_SECONDS": "0",
    }
    env.update(extra)
    return env


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
