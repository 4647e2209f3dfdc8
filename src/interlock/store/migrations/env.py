"""Alembic environment for Interlock's own schema; run through `interlock.store.upgrade`.

The engine arrives in `config.attributes["engine"]`; offline (`--sql`) mode is not used.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, text

from interlock.store.schema import metadata

# An arbitrary, fixed key: every Interlock server migrating one database waits on it.
MIGRATION_LOCK_KEY = 7_878_001


def run_migrations() -> None:
    config = context.config
    engine: Engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=config.get_main_option("version_table") or "alembic_version",
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            context.run_migrations()


run_migrations()
