"""Interlock's own schema migrations, run from code on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from interlock.errors import UserInputError
from interlock.ports import free_port
from interlock.store import (
    VERSION_TABLE,
    create_engine_for,
    current_revision,
    downgrade_database,
    head_revision,
    metadata,
    upgrade_database,
)

TABLES = {
    "catalog_loads",
    "change_events",
    "incidents",
    "alerts",
    "incident_transitions",
    "broker_pacticipants",
    "broker_versions",
    "broker_branches",
    "broker_branch_versions",
    "broker_tags",
    "broker_contents",
    "broker_publications",
    "broker_verifications",
    "broker_environments",
    "broker_deployments",
    "perf_runs",
    "perf_operations",
    "broker_tokens",
    "broker_audit",
    "broker_webhooks",
    "broker_webhook_runs",
    "alert_outbox",
    "incident_notifications",
    VERSION_TABLE,
}


def _tables(url: str) -> set[str]:
    engine = create_engine_for(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _schema_drift(url: str) -> list[Any]:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE, "compare_type": True}
            )
            diffs: list[Any] = compare_metadata(context, metadata)
            return diffs
    finally:
        engine.dispose()


def _round_trip(url: str) -> None:
    assert None is current_revision(url)
    assert head_revision() == upgrade_database(url)
    assert TABLES == _tables(url)
    assert None is downgrade_database(url)
    assert {VERSION_TABLE} == _tables(url)
    assert head_revision() == upgrade_database(url)
    assert TABLES == _tables(url)


def test_upgrade_downgrade_upgrade_on_sqlite(sqlite_url: str) -> None:
    _round_trip(sqlite_url)


def test_upgrade_twice_changes_nothing(sqlite_url: str) -> None:
    upgrade_database(sqlite_url)
    assert head_revision() == upgrade_database(sqlite_url)


def test_migrations_build_exactly_the_declared_schema_on_sqlite(sqlite_url: str) -> None:
    """`schema.py` and the migrations agree: autogenerate finds nothing to add or drop."""
    upgrade_database(sqlite_url)
    assert [] == _schema_drift(sqlite_url)


@pytest.mark.postgres
def test_upgrade_downgrade_upgrade_on_postgres(postgres: Any) -> None:
    _round_trip(postgres.create_database("interlock_migrations"))


@pytest.mark.postgres
def test_migrations_build_exactly_the_declared_schema_on_postgres(postgres: Any) -> None:
    url = postgres.create_database("interlock_schema")
    upgrade_database(url)
    assert [] == _schema_drift(url)


@pytest.mark.postgres
def test_postgres_url_spellings_all_use_psycopg(postgres: Any) -> None:
    """`postgresql://`, `postgres://` and `postgresql+psycopg://` reach the same database."""
    url = postgres.create_database("interlock_spelling")
    upgrade_database(url)
    for spelling in ("postgres://", "postgresql+psycopg://"):
        assert head_revision() == current_revision(url.replace("postgresql://", spelling, 1))


def test_unreachable_database_is_a_user_error() -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/interlock"
    with pytest.raises(
        UserInputError,
        match=r"cannot use database postgresql://nobody@127.0.0.1:\d+/interlock: .*refused",
    ):
        upgrade_database(url)


def test_unsupported_database_url_is_a_user_error() -> None:
    with pytest.raises(UserInputError, match="unsupported database"):
        upgrade_database("mysql://root@localhost/interlock")


@pytest.mark.postgres
def test_servers_starting_together_migrate_one_after_the_other(postgres: Any) -> None:
    """Several server processes sharing one PostgreSQL database may start at once."""
    url = postgres.create_database("interlock_together")
    # Each process imports first, then waits for a shared start time, so that the
    # migrations really run at the same moment rather than staggered by start-up.
    script = (
        "import sys, time\n"
        "from interlock.store import upgrade_database\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "print(upgrade_database(sys.argv[1]))\n"
    )
    start_at = str(time.time() + 4)
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", script, url, start_at], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=60)[0].strip() for process in starts]
    assert [0, 0, 0] == [process.returncode for process in starts]
    assert [head_revision()] * 3 == outputs
