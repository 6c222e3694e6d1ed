"""The database: one declarative Base, the engine, units of work, and schema upgrades.

SQLite is the embedded default and PostgreSQL the choice for larger deployments; the same models
and queries run on both. On SQLite, every write transaction starts with BEGIN IMMEDIATE so that
concurrent writers queue on the busy timeout instead of failing half-way through a transaction
(a deferred BEGIN that reads first loses writes to "database is locked" under load).
"""

from __future__ import annotations

import logging
import random
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Connection, DateTime, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from portal.config import PROJECT_ROOT

log = logging.getLogger(__name__)

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC and always gives back aware UTC datetimes (SQLite drops the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class StorageBusy(Exception):
    """The database stayed busy through every retry; the user should try again."""


def sqlite_pragmas(busy_timeout_seconds: float) -> tuple[str, ...]:
    """The settings every SQLite connection gets (the submit benchmark's raw baseline uses them too)."""
    return (
        "PRAGMA journal_mode=WAL",
        f"PRAGMA busy_timeout={int(busy_timeout_seconds * 1000)}",
        "PRAGMA foreign_keys=ON",
        # Deleted personal data must not linger in free pages (SAFETY.md D2).
        "PRAGMA secure_delete=ON",
        "PRAGMA synchronous=NORMAL",
    )


def make_engine(url: str, *, busy_timeout_seconds: float = 5.0) -> Engine:
    """Create the engine once per process, with SQLite tuned for concurrent writers."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_seconds})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        for pragma in sqlite_pragmas(busy_timeout_seconds):
            cur.execute(pragma)
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # VACUUM and checkpoints must run outside any transaction
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("portal_write") else "BEGIN")

    return engine


def _is_transient(exc: BaseException) -> bool:
    """True for lock and serialization errors that are worth another try."""
    if isinstance(exc, OperationalError):
        text = str(exc.orig).lower() if exc.orig else str(exc).lower()
        if "locked" in text or "busy" in text:
            return True
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        sqlstate = getattr(exc.orig, "sqlstate", None)
        # 40001 serialization failure, 40P01 deadlock detected (PostgreSQL).
        return sqlstate in ("40001", "40P01")
    return False


class Database:
    """The engine and the units of work on it."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._write_engine = engine.execution_options(portal_write=True)
        self._read = sessionmaker(bind=engine, expire_on_commit=False)
        self._write = sessionmaker(bind=self._write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error."""
        factory = self._write if write else self._read
        with factory() as session, session.begin():
            yield session

    @contextmanager
    def connection(self, *, write: bool = False) -> Iterator[Connection]:
        """One transaction on a bare connection (Core statements): commits on success."""
        with (self._write_engine if write else self.engine).begin() as conn:
            yield conn

    def run(self, work: Callable[[Session], T], *, attempts: int = 5) -> T:
        """Run `work` in a write transaction, retrying when the database is busy.

        Raises StorageBusy after the last attempt, so callers can tell the user "not saved, try
        again" with their form still filled, never lose the write silently.
        """
        return self._retrying(self.session, work, attempts)

    def run_core(self, work: Callable[[Connection], T], *, attempts: int = 5) -> T:
        """`run` for work written as Core statements, on a bare connection.

        For the busiest writes (a letter, an outbox outcome), where a Session's identity map,
        autoflush and unit of work cost several times more than the statements themselves.
        """
        return self._retrying(self.connection, work, attempts)

    def _retrying(self, open_unit: Callable, work: Callable, attempts: int):
        for attempt in range(1, attempts + 1):
            try:
                with open_unit(write=True) as handle:
                    return work(handle)
            except DBAPIError as exc:
                if not _is_transient(exc):
                    raise
                log.warning("database busy (attempt %d of %d)", attempt, attempts)
                if attempt == attempts:
                    raise StorageBusy() from exc
                time.sleep(min(0.05 * 2 ** attempt, 1.0) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str):
    """An Alembic configuration for this project's migrations, on `url`."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration (safe to call on every start)."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    # A write transaction, so that two processes starting at once upgrade one after the other.
    with engine.execution_options(portal_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
