"""Alembic environment: runs on a connection handed in by portal.db.upgrade_schema, or on the URL."""

from alembic import context
from sqlalchemy import create_engine

import letters.models  # noqa: F401  (registers the tables on Base.metadata)
import stories.models  # noqa: F401
import portal.accounts_models  # noqa: F401
import stories.ledger_models  # noqa: F401
from portal.db import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run python -m portal init-db")
run_migrations_online()
