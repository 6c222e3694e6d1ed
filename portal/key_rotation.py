"""Re-encrypting every encrypted field and file with the newest key (SAFETY.md D1).

To rotate: put a new key first in PORTAL_ENCRYPTION_KEYS, keep the old ones after it, run
`python -m portal rotate-keys`, then remove the old keys. Encrypted columns are found by their
`_enc` suffix, so a new table with encrypted fields is covered without changes here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from portal.db import Base
from portal.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RotationReport:
    fields: int
    files: int


def encrypted_columns():
    """(table, primary key column, [encrypted columns]) for every table with encrypted fields."""
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name.endswith("_enc")]
        if columns:
            [pk] = list(table.primary_key.columns)
            yield table, pk, columns


def rotate_keys(runtime: Runtime, *, photos_dir: Path | None = None, batch: int = 500) -> RotationReport:
    """Re-encrypt every `_enc` column and every stored photo with the newest key."""
    cipher = runtime.cipher
    fields = 0
    for table, pk, columns in encrypted_columns():
        last = None
        while True:
            with runtime.db.session(write=True) as session:
                query = select(pk, *columns).order_by(pk).limit(batch)
                if last is not None:
                    query = query.where(pk > last)
                rows = session.execute(query).all()
                for row in rows:
                    values = {c.name: cipher.rotate(row[i + 1]) for i, c in enumerate(columns)
                              if row[i + 1]}
                    if values:
                        session.execute(update(table).where(pk == row[0]).values(**values))
                        fields += len(values)
            if len(rows) < batch:
                break
            last = rows[-1][0]
    files = 0
    if photos_dir is not None and photos_dir.exists():
        for path in sorted(photos_dir.glob("*.bin")):
            rotated = cipher.fernet.rotate(path.read_bytes())
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(rotated)
            tmp.chmod(0o600)
            tmp.replace(path)
            files += 1
    log.info("re-encrypted %d fields and %d files with the newest key", fields, files)
    return RotationReport(fields, files)
