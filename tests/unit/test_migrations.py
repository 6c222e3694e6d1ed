"""The migrations build exactly the schema the models describe, and can be walked back."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import letters.models  # noqa: F401
import portal.accounts_models  # noqa: F401
import stories.ledger_models  # noqa: F401
import stories.models  # noqa: F401
from portal.db import Base, alembic_config, make_engine, upgrade_schema
from tests.conftest import portal_environ


def database_url(tmp_path) -> str:
    """A fresh SQLite file, or the test's own database on a PostgreSQL test run."""
    return portal_environ(tmp_path).get("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'm.db'}")


def test_migrated_schema_matches_the_models(tmp_path):
    engine = make_engine(database_url(tmp_path))
    upgrade_schema(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    assert diff == [], "write a migration for: " + repr(diff[:5])


def test_downgrade_to_nothing_and_back(tmp_path):
    url = database_url(tmp_path)
    engine = make_engine(url)
    upgrade_schema(engine)
    command.downgrade(alembic_config(url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade_schema(engine)
    assert {"letters", "outbox", "stories", "audit_log", "exports"} <= set(inspect(engine).get_table_names())
