"""What a running portal needs, built once per process: configuration, database, cipher, campaigns."""

from __future__ import annotations

from dataclasses import dataclass

from portal.config import Config, load_config
from portal.crypto import FieldCipher
from portal.db import Database, make_engine, upgrade_schema


@dataclass
class Runtime:
    config: Config
    db: Database
    cipher: FieldCipher

    @property
    def campaigns(self):
        """The campaign catalog, loaded and validated once."""
        if not hasattr(self, "_campaigns"):
            from letters.templates import load_campaigns

            self._campaigns = load_campaigns(self.config.templates_dir, self.config.offices)
        return self._campaigns


def open_runtime(config: Config | None = None, *, upgrade: bool = True) -> Runtime:
    """Connect to the configured database (upgrading its schema) and load the keys."""
    config = config or load_config()
    engine = make_engine(config.database_url, busy_timeout_seconds=config.busy_timeout_seconds)
    if upgrade:
        upgrade_schema(engine)
    return Runtime(config=config, db=Database(engine),
                   cipher=FieldCipher(config.encryption_keys, config.lookup_key))
