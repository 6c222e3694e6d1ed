"""Copy the portal's data into another, empty database: SQLite to PostgreSQL when a campaign
outgrows one machine (or back again).

Both databases are first brought to the newest schema (as `init-db` does), so the same tables and
columns exist on both sides. Rows are then copied table by table, parents before children, from
one consistent read of the source, in one transaction on the target: the copy ends complete or not
at all. Encrypted fields are copied as they are, so the target is read with the same keys.
Afterwards PostgreSQL's id counters are moved past the copied ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import URL, Integer, MetaData, Table, func, make_url, select
from sqlalchemy.exc import DBAPIError

from portal.db import make_engine, upgrade_schema

BATCH_ROWS = 1000
SCHEMA_TABLE = "alembic_version"  # written by the schema upgrade on each side, never copied


class CopyError(Exception):
    """The copy could not be done; the message is the one-line reason. No row was copied."""


@dataclass(frozen=True)
class CopyReport:
    source: str  # passwords hidden
    target: str
    tables: dict[str, int] = field(default_factory=dict)


def _same_database(a: URL, b: URL) -> bool:
    if a.get_backend_name() == b.get_backend_name() == "sqlite":
        return bool(a.database) and Path(a.database).resolve() == Path(b.database or "").resolve()
    return a.render_as_string(hide_password=False) == b.render_as_string(hide_password=False)


def copy_database(source_url: str, target_url: str, *, busy_timeout_seconds: float = 5.0) -> CopyReport:
    """Copy every row of the portal's tables from `source_url` into the empty `target_url`."""
    source_parsed, target_parsed = make_url(source_url), make_url(target_url)
    if _same_database(source_parsed, target_parsed):
        raise CopyError("the source and the target are the same database")
    source = make_engine(source_url, busy_timeout_seconds=busy_timeout_seconds)
    target = make_engine(target_url, busy_timeout_seconds=busy_timeout_seconds)
    try:
        counts = _copy(source, target)
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise CopyError(f"the copy failed, and no row was copied: {reason}") from None
    finally:
        source.dispose()
        target.dispose()
    return CopyReport(source=source_parsed.render_as_string(hide_password=True),
                      target=target_parsed.render_as_string(hide_password=True), tables=counts)


def _copy(source, target) -> dict[str, int]:
    upgrade_schema(source)
    upgrade_schema(target)
    source_tables, target_tables = MetaData(), MetaData()
    source_tables.reflect(bind=source)
    target_tables.reflect(bind=target)
    tables = [t for t in target_tables.sorted_tables if t.name != SCHEMA_TABLE]

    reader = source.connect()
    if source.dialect.name == "postgresql":
        # One snapshot for every table, so a row is never copied without its parent.
        reader = reader.execution_options(isolation_level="REPEATABLE READ")
    with reader, reader.begin(), target.execution_options(portal_write=True).begin() as writer:
        filled = [t.name for t in tables if writer.scalar(select(func.count()).select_from(t))]
        if filled:
            raise CopyError(f"the target already holds data (in {', '.join(filled)}); "
                            "copy into a new, empty database")
        counts = {t.name: _copy_table(reader, writer, source_tables.tables.get(t.name), t)
                  for t in tables}
        if target.dialect.name == "postgresql":
            _advance_id_counters(writer, tables)
    return counts


def _copy_table(reader, writer, source: Table | None, target: Table) -> int:
    if source is None or set(source.columns.keys()) != set(target.columns.keys()):
        raise CopyError(f"table {target.name} differs between the two databases; "
                        "is one of them another application's?")
    rows = reader.execution_options(yield_per=BATCH_ROWS).execute(
        select(source).order_by(*source.primary_key.columns))
    copied = 0
    for batch in rows.partitions():
        writer.execute(target.insert(), [dict(row._mapping) for row in batch])
        copied += len(batch)
    return copied


def _advance_id_counters(writer, tables: list[Table]) -> None:
    """Move each serial id's sequence past the largest copied id, so new rows do not collide."""
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        sequence = writer.scalar(select(func.pg_get_serial_sequence(table.name, keys[0].name)))
        largest = writer.scalar(select(func.max(keys[0])))
        if sequence is not None and largest is not None:
            writer.execute(select(func.setval(sequence, largest)))
