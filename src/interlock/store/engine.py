"""Database engines for Interlock's own state: SQLite (embedded) or PostgreSQL (team server).

SQLite is tuned for a server that reads while it writes (WAL, busy timeout, foreign keys,
real transactions); PostgreSQL URLs of any spelling are driven by psycopg 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from interlock.errors import UserInputError

SQLITE_BUSY_TIMEOUT_MS = 5000
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


def normalize_url(url: str) -> URL:
    """`url` with the driver Interlock uses; raises `UserInputError` for anything else."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UserInputError(
            f"database URL {url!r}: expected sqlite:///path or postgresql://user@host/db"
        ) from None
    if parsed.drivername in _POSTGRES_SCHEMES:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername == "sqlite":
        return parsed
    raise UserInputError(
        f"database URL {parsed.render_as_string(hide_password=True)!r}: "
        "unsupported database: expected sqlite:///path or postgresql://user@host/db"
    )


def display_url(url: str | URL) -> str:
    """A database URL safe to print: the password is masked."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def create_engine_for(url: str) -> Engine:
    """An engine for `url` (sqlite:///..., postgresql://..., postgresql+psycopg://...)."""
    parsed = normalize_url(url)
    if parsed.drivername != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _tune_sqlite)
    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The sqlite3 module opens transactions on its own only before DML, so DDL would
    # autocommit; hand transaction control to SQLAlchemy (see `_begin_sqlite`).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _begin_sqlite(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN")
