"""Migrations Interlock applies are written to the tool's own history table, and read back.

Each layout's table has the tool's name and columns, so the tool itself, `migrate impact`
and `migrate dry-run` all see the applied migrations as applied.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from interlock.envs import apply_migrations
from interlock.migrations import read_migrations, split_pending
from interlock.migrations.history import flyway_checksum

pytestmark = pytest.mark.postgres

TABLE = "CREATE TABLE items (id bigint PRIMARY KEY);\n"
COLUMN = "ALTER TABLE items ADD COLUMN note text;\n"
DROP_COLUMN = "ALTER TABLE items DROP COLUMN note;\n"


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_flyway_history_is_written_as_flyway_writes_it(postgres: Any, tmp_path: Path) -> None:
    """flyway_schema_history rows: rank, version, description, script, checksum, success."""
    folder = _write(tmp_path / "sql", {"V1__create_items.sql": TABLE, "V1_1__add_note.sql": COLUMN})
    url = postgres.create_database("history_flyway")
    assert 2 == apply_migrations(url, folder)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT installed_rank, version, description, type, script, checksum, success "
            "FROM flyway_schema_history ORDER BY installed_rank"
        ).fetchall()
    assert [
        (1, "1", "create items", "SQL", "V1__create_items.sql", flyway_checksum(TABLE), True),
        (2, "1.1", "add note", "SQL", "V1_1__add_note.sql", flyway_checksum(COLUMN), True),
    ] == rows


def test_dry_run_of_a_flyway_directory_pends_only_the_new_migration(
    postgres: Any, tmp_path: Path
) -> None:
    """After V1 and V1.1 are applied, `migrate dry-run` with V2 and its undo added runs only V2."""
    folder = _write(tmp_path / "sql", {"V1__create_items.sql": TABLE, "V1_1__add_note.sql": COLUMN})
    url = postgres.create_database("history_flyway_dry_run")
    apply_migrations(url, folder)
    _write(
        folder,
        {
            "V2__add_size.sql": "ALTER TABLE items ADD COLUMN size integer;\n",
            "U2__add_size.sql": "ALTER TABLE items DROP COLUMN size;\n",
        },
    )
    command = ["migrate", "dry-run", str(folder), "--database-url", url, "--format", "json"]
    result = subprocess.run(
        [sys.executable, "-m", "interlock", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert 0 == result.returncode, result.stderr + result.stdout
    assert ["2"] == json.loads(result.stdout)["pending"]


@pytest.mark.parametrize(
    ("files", "table", "recorded"),
    [
        (
            {
                "20240101000000_items.sql": f"-- migrate:up\n{TABLE}-- migrate:down\nDROP TABLE items;\n",
                "20240102000000_note.sql": f"-- migrate:up\n{COLUMN}-- migrate:down\n{DROP_COLUMN}",
                "20240103000000_later.sql": "-- migrate:up\nSELECT 1;\n",
            },
            "schema_migrations",
            ["20240101000000", "20240102000000"],
        ),
        (
            {
                "2024-01-01-000000_items/up.sql": TABLE,
                "2024-01-02-000000_note/up.sql": COLUMN,
                "2024-01-03-000000_later/up.sql": "SELECT 1;\n",
            },
            "__diesel_schema_migrations",
            ["20240101000000", "20240102000000"],
        ),
    ],
    ids=["dbmate", "diesel"],
)
def test_dbmate_and_diesel_histories_are_read_back_as_applied(
    postgres: Any, tmp_path: Path, files: dict[str, str], table: str, recorded: list[str]
) -> None:
    """Two of three applied: the tool's table holds their versions, and the third is pending."""
    later = {name: text for name, text in files.items() if "later" in name}
    folder = _write(tmp_path / "db", {n: t for n, t in files.items() if n not in later})
    url = postgres.create_database(f"history_{table.strip('_')}")
    apply_migrations(url, folder)
    with psycopg.connect(url) as conn:
        versions = [row[0] for row in conn.execute(f"SELECT version FROM {table} ORDER BY 1")]
    assert recorded == versions
    _write(folder, later)
    applied, pending = split_pending(read_migrations(folder), database_url=url)
    assert 2 == len(applied)
    assert ["later"] == [m.name for m in pending]


def test_flyway_checksum_ignores_line_endings_and_a_byte_order_mark() -> None:
    """Flyway sums the lines without their ends: CRLF, LF and a BOM give one checksum."""
    assert flyway_checksum("SELECT 1;\nSELECT 2;\n") == flyway_checksum(
        "\ufeffSELECT 1;\r\nSELECT 2;"
    )
    assert flyway_checksum("SELECT 1;") != flyway_checksum("SELECT 2;")
