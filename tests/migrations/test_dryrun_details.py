"""Dry-run details: diesel's zero version, PostgreSQL's own message for a failing down
migration, and the saved report's header on the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from interlock.migrations import read_migrations, render_report_fragment
from interlock.migrations.dryrun import dry_run
from interlock.migrations.history import pending_migrations


def diesel(root: Path, *names: str) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "up.sql").write_text("SELECT 1;\n")
        (root / name / "down.sql").write_text("SELECT 1;\n")
    return root


def test_from_zero_means_diesels_initial_setup_when_it_exists(tmp_path: Path) -> None:
    """`--from 00000000000000` is diesel's initial migration, not "everything"."""
    migrations = read_migrations(
        diesel(tmp_path / "m", "00000000000000_diesel_initial_setup", "2024-01-01-000000_users")
    )
    pending = pending_migrations(migrations, None, "00000000000000")
    assert ["users"] == [m.name for m in pending]
    assert ["users"] == [m.name for m in pending_migrations(migrations[1:], None, "0")]


@pytest.mark.postgres
def test_a_failing_down_migration_shows_postgresqls_message(postgres: Any, tmp_path: Path) -> None:
    """The rollback note keeps the server's error, not only "the down migration failed"."""
    url = postgres.create_database("dryrun_down_message")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id bigint)")
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "000001_add.up.sql").write_text("ALTER TABLE items ADD COLUMN note text;\n")
    (folder / "000001_add.down.sql").write_text("ALTER TABLE nope DROP COLUMN note;\n")
    report = dry_run(url, read_migrations(folder))
    note = report.rollback_note or ""
    assert note.startswith("the down migration of 1 failed: ")
    assert 'relation "nope" does not exist' in note


def test_the_dry_run_header_names_the_copy_method_and_time() -> None:
    """`data.copy` in Jinja is the dict's method: the header reads the copy by key."""
    data = {
        "ok": True,
        "source": "postgresql://u@h/db",
        "copy": {"method": "CREATE DATABASE ... TEMPLATE", "seconds": 1.25, "rows_copied": None},
        "pending": ["3"],
        "statements": [],
        "contracts": [],
        "rollback": {"checked": True, "note": None, "differences": []},
        "total_seconds": 2.5,
    }
    html = render_report_fragment("dry-run", data)
    assert "copy by CREATE DATABASE ... TEMPLATE in 1.25 s" in html


@pytest.mark.postgres
def test_an_old_irreversible_migration_does_not_hide_the_later_rollbacks(
    postgres: Any, tmp_path: Path
) -> None:
    """Each migration's down is checked on its own: 1 has none, 2 restores the schema, and
    3's forgotten index is still found."""
    url = postgres.create_database("dryrun_rollback_each")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE items (id bigint, name text)")
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "000001_seed.up.sql").write_text("INSERT INTO items VALUES (1, 'a');\n")
    (folder / "000002_note.up.sql").write_text("ALTER TABLE items ADD COLUMN note text;\n")
    (folder / "000002_note.down.sql").write_text("ALTER TABLE items DROP COLUMN note;\n")
    (folder / "000003_idx.up.sql").write_text(
        "DROP INDEX IF EXISTS items_name;\nCREATE INDEX items_name ON items (name);\n"
    )
    (folder / "000003_idx.down.sql").write_text("SELECT 1;\n")
    report = dry_run(url, read_migrations(folder), from_version="0")
    checks = {c.version: c for c in report.rollbacks}
    assert ["1", "2", "3"] == list(checks)
    assert (False, "migration 1 has no down migration") == (checks["1"].checked, checks["1"].note)
    assert (True, ()) == (checks["2"].checked, checks["2"].differences)
    assert [("index", "public.items_name")] == [(d.kind, d.name) for d in checks["3"].differences]
    assert not report.rollback_checked and not report.ok
    assert ["1", "2", "3"] == [m.version for m in read_migrations(folder)]
    assert 1 == len([s for s in report.statements if "CREATE INDEX" in s.sql])
