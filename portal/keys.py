"""Encryption and lookup keys: taken from configuration, or made once for a local install.

Contact details are encrypted with Fernet keys kept outside the database (SAFETY.md D1). In
production a missing key is a refusal to start; on a developer's machine a key file is generated
under the data folder so `make run` needs no set-up, and a notice says so.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
import tomllib
from pathlib import Path

from cryptography.fernet import Fernet

log = logging.getLogger(__name__)

KEY_FILE_NAME = "local_keys.toml"


class MissingKeyError(Exception):
    """Production was asked to start without encryption keys."""


def _split(raw: object) -> tuple[str, ...]:
    if isinstance(raw, (list, tuple)):
        return tuple(str(k).strip() for k in raw if str(k).strip())
    return tuple(k.strip() for k in str(raw or "").split(",") if k.strip())


def _check_fernet(keys: tuple[str, ...]) -> None:
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise MissingKeyError("an encryption key is not a valid Fernet key") from exc


def load_keys(encryption_keys: object, lookup_key: object, data_dir: Path,
              *, production: bool) -> tuple[tuple[str, ...], str]:
    """Return (Fernet keys, newest first; lookup key) from settings or the local key file."""
    keys = _split(encryption_keys)
    lookup = str(lookup_key or "").strip()
    if keys and lookup:
        _check_fernet(keys)
        return keys, lookup
    if production:
        raise MissingKeyError(
            "production needs PORTAL_ENCRYPTION_KEYS and PORTAL_LOOKUP_KEY; refusing to start"
        )
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        _write_local_keys(path)
        log.warning("no encryption key configured: generated local keys in %s (development only)", path)
    with path.open("rb") as fh:
        stored = tomllib.load(fh)
    keys = keys or _split(stored.get("encryption_keys", []))
    lookup = lookup or str(stored.get("lookup_key", ""))
    _check_fernet(keys)
    return keys, lookup


def _write_local_keys(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# Generated for a local install. In production set PORTAL_ENCRYPTION_KEYS and\n"
        "# PORTAL_LOOKUP_KEY instead, and keep them out of the database's backups.\n"
        f'encryption_keys = ["{Fernet.generate_key().decode()}"]\n'
        f'lookup_key = "{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"\n'
    )
    # Create with owner-only permissions from the first byte.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
