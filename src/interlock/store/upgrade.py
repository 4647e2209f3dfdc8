"""Run Interlock's own schema migrations (Alembic) from code, with no alembic.ini.

The server calls `upgrade_database` on start; several servers sharing one PostgreSQL
database take turns through an advisory lock taken in the migration environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from interlock.errors import UserInputError
from interlock.store.engine import create_engine_for, display_url

MIGRATIONS = Path(__file__).parent / "migrations"
# Not `alembic_version`: a PostgreSQL database shared with an application may have that.
VERSION_TABLE = "interlock_schema_version"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that points at the packaged migrations and runs on `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_table", VERSION_TABLE)
    config.attributes["engine"] = engine
    return config


def upgrade_database(url: str, revision: str = "head") -> str | None:
    """Bring the database at `url` up to `revision`; returns the revision it is now at."""
    return _run(url, lambda config: command.upgrade(config, revision))


@contextmanager
def open_database(url: str) -> Iterator[Engine]:
    """An engine on Interlock's database at `url`, its schema brought up to date first;
    disposed when the block ends."""
    upgrade_database(url)
    engine = create_engine_for(url)
    try:
        yield engine
    finally:
        engine.dispose()


def downgrade_database(url: str, revision: str = "base") -> str | None:
    """Take the database at `url` down to `revision` (`base` drops every Interlock table)."""
    return _run(url, lambda config: command.downgrade(config, revision))


def current_revision(url: str) -> str | None:
    """The revision the database at `url` is at, or None before the first migration."""
    return _run(url, lambda config: None)


def head_revision() -> str | None:
    """The newest revision shipped with this version of Interlock."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def _run(url: str, action: Callable[[Config], None]) -> str | None:
    engine = create_engine_for(url)
    try:
        action(alembic_config(engine))
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise UserInputError(f"cannot use database {display_url(url)}: {reason}") from None
    finally:
        engine.dispose()
