"""Reading migrations in each tool's layout: order, up/down pairing, transactions, positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock.errors import SourceError
from interlock.migrations import Layout, detect_layout, read_migrations


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_flyway_orders_versions_numerically_and_pairs_undo(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "V10__add_price.sql": "alter table p add column price bigint;",
            "V2__create.sql": "create table p (id bigint);",
            "V2_1__index.sql": "create index concurrently i on p (id);",
            "V2_1__index.sql.conf": "executeInTransaction=false\n",
            "U10__add_price.sql": "alter table p drop column price;",
        },
    )
    migrations = read_migrations(root)
    assert Layout.flyway == detect_layout(root)
    assert ["2", "2.1", "10"] == [m.version for m in migrations]
    assert [True, False, True] == [m.runs_in_transaction for m in migrations]
    assert migrations[2].down is not None
    assert "drop column price" in (migrations[2].down_sql or "")
    assert migrations[0].down is None


def test_golang_migrate_pairs_up_and_down(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "000002_index.up.sql": "create index concurrently i on p (id);",
            "000002_index.down.sql": "drop index concurrently i;",
            "000001_create.up.sql": "create table p (id bigint);\ncreate table q (id bigint);",
            "000001_create.down.sql": "drop table q;\ndrop table p;",
        },
    )
    migrations = read_migrations(root)
    assert Layout.golang_migrate == detect_layout(root)
    assert [("1", "create"), ("2", "index")] == [(m.version, m.name) for m in migrations]
    # one statement alone is not wrapped; several run as one implicit transaction
    assert [True, False] == [m.runs_in_transaction for m in migrations]
    assert root / "000002_index.down.sql" == migrations[1].down_path


def test_golang_migrate_down_without_up_is_an_error(tmp_path: Path) -> None:
    root = _write(tmp_path, {"1_x.up.sql": "select 1;", "2_y.down.sql": "select 1;"})
    with pytest.raises(SourceError, match="no up migration"):
        read_migrations(root)


def test_dbmate_sections_keep_file_positions(tmp_path: Path) -> None:
    text = (
        "-- migrate:up transaction:false\n"
        "create index concurrently i on p (id);\n"
        "\n"
        "-- migrate:down\n"
        "drop index concurrently i;\n"
    )
    root = _write(
        tmp_path,
        {
            "20240101120000_index.sql": text,
            "20231231000000_create.sql": "-- migrate:up\ncreate table p (id bigint);\n-- migrate:down\ndrop table p;\n",
        },
    )
    migrations = read_migrations(root)
    assert Layout.dbmate == detect_layout(root)
    assert ["20231231000000", "20240101120000"] == [m.version for m in migrations]
    assert [True, False] == [m.runs_in_transaction for m in migrations]
    down = migrations[1].down
    assert down is not None
    assert (5, 1) == (down.statements[0].line, down.statements[0].column)
    assert (2, 1) == (migrations[1].up.statements[0].line, migrations[1].up.statements[0].column)


def test_dbmate_parse_error_points_into_the_down_section(tmp_path: Path) -> None:
    text = "-- migrate:up\ncreate table p (id bigint);\n-- migrate:down\ndrop tabel p;\n"
    root = _write(tmp_path, {"1_create.sql": text})
    with pytest.raises(SourceError) as raised:
        read_migrations(root)
    assert (4, 6) == (raised.value.position.line, raised.value.position.column)
    assert 'syntax error at or near "tabel"' in raised.value.message


def test_sqitch_follows_the_plan(tmp_path: Path) -> None:
    plan = (
        "%syntax-version=1.0.0\n%project=shop\n\n"
        "products 2024-01-01T00:00:00Z Ann <ann@example.com> # products table\n"
        "@v1 2024-01-02T00:00:00Z Ann <ann@example.com> # tag\n"
        "prices [products] 2024-01-03T00:00:00Z Ann <ann@example.com> # prices\n"
    )
    root = _write(
        tmp_path,
        {
            "sqitch.plan": plan,
            "deploy/products.sql": "begin;\ncreate table products (id bigint);\ncommit;\n",
            "revert/products.sql": "begin;\ndrop table products;\ncommit;\n",
            "verify/products.sql": "select id from products where false;\n",
            "deploy/prices.sql": "alter table products add column price bigint;\n",
        },
    )
    migrations = read_migrations(root)
    assert Layout.sqitch == detect_layout(root)
    assert [("1", "products"), ("2", "prices")] == [(m.version, m.name) for m in migrations]
    assert migrations[0].verify is not None
    assert migrations[1].down is None
    assert not migrations[0].runs_in_transaction


def test_sqitch_change_without_deploy_script_names_the_plan_line(tmp_path: Path) -> None:
    root = _write(
        tmp_path, {"sqitch.plan": "%project=x\n\nmissing 2024-01-01T00:00:00Z A <a@b.c>\n"}
    )
    with pytest.raises(SourceError) as raised:
        read_migrations(root)
    assert 3 == raised.value.position.line
    assert "deploy/missing.sql" in raised.value.message


def test_diesel_folders_and_metadata(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "2024-01-01-000000_create/up.sql": "create table p (id bigint);",
            "2024-01-01-000000_create/down.sql": "drop table p;",
            "2024-02-01-000000_index/up.sql": "create index concurrently i on p (id);",
            "2024-02-01-000000_index/metadata.toml": "run_in_transaction = false\n",
        },
    )
    migrations = read_migrations(root)
    assert Layout.diesel == detect_layout(root)
    assert ["create", "index"] == [m.name for m in migrations]
    assert [True, False] == [m.runs_in_transaction for m in migrations]
    assert migrations[1].down is None


def test_plain_files_sort_naturally(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {"10_late.sql": "select 1;", "2_early.sql": "select 2;", "readme.txt": "not sql"},
    )
    migrations = read_migrations(root)
    assert Layout.plain == detect_layout(root)
    assert ["2", "10"] == [m.version for m in migrations]
    assert not any(m.runs_in_transaction for m in migrations)


def test_parse_error_has_file_line_and_column(tmp_path: Path) -> None:
    root = _write(tmp_path, {"1_x.sql": "create table p (id bigint);\n\n  alter tabel p;\n"})
    with pytest.raises(SourceError) as raised:
        read_migrations(root)
    error = raised.value
    assert (str(root / "1_x.sql"), 3, 9) == (error.file, error.position.line, error.position.column)
    assert str(error).startswith(f"{root / '1_x.sql'}:3:9: SQL does not parse")


def test_parse_error_column_counts_characters_not_bytes(tmp_path: Path) -> None:
    root = _write(tmp_path, {"1_x.sql": "select 'é€' as a; selec 1;"})
    with pytest.raises(SourceError) as raised:
        read_migrations(root)
    assert (1, 19) == (raised.value.position.line, raised.value.position.column)


def test_single_file_comes_with_the_migrations_before_it(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "1_a.up.sql": "create table p (id bigint);",
            "2_b.up.sql": "alter table p add column x bigint;",
            "3_c.up.sql": "drop table p;",
        },
    )
    migrations = read_migrations(root / "2_b.up.sql")
    assert ["1", "2"] == [m.version for m in migrations]


def test_missing_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no such file or directory"):
        read_migrations(tmp_path / "nope")


def test_non_utf8_file_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "1_x.sql").write_bytes(b"select '\xff';")
    with pytest.raises(SourceError, match="expected UTF-8"):
        read_migrations(tmp_path)


def test_the_postgresql_files_are_chosen_among_dialect_suffixed_ones(tmp_path: Path) -> None:
    """`*.postgres.up.sql` beside `*.mysql.up.sql`: the PostgreSQL pair is read, the MySQL one
    left out, and a file with no dialect is for every database."""
    root = _write(
        tmp_path,
        {
            "000001_users.postgres.up.sql": "create table users (id bigserial);",
            "000001_users.postgres.down.sql": "drop table users;",
            "000001_users.mysql.up.sql": "create table users (id bigint auto_increment);",
            "000001_users.mysql.down.sql": "drop table users;",
            "000002_note.up.sql": "alter table users add column note text;",
            "000002_note.down.sql": "alter table users drop column note;",
            "000003_idx.sqlite.up.sql": "create index i on users (note);",
        },
    )
    migrations = read_migrations(root)
    assert Layout.golang_migrate == detect_layout(root)
    assert [("1", "users"), ("2", "note")] == [(m.version, m.name) for m in migrations]
    assert "000001_users.postgres.up.sql" == migrations[0].up.path.name
    assert "bigserial" in (migrations[0].up_sql or "")


def test_a_file_marked_autocommit_runs_outside_a_transaction(tmp_path: Path) -> None:
    """`.autocommit.` in the name: golang-migrate, Flyway and dbmate files run statement by
    statement, where they would otherwise run in one transaction."""
    two = "create index concurrently a on t (x);\ncreate index concurrently b on t (y);\n"
    golang = _write(tmp_path / "g", {"1_t.up.sql": "create table t (x int, y int);",
                                      "2_idx.autocommit.up.sql": two, "3_idx.up.sql": two})  # fmt: skip
    flyway = _write(tmp_path / "f", {"V1__idx.autocommit.sql": two, "V2__idx.sql": two})
    dbmate = _write(tmp_path / "d", {"1_idx.autocommit.sql": "-- migrate:up\n" + two,
                                      "2_idx.sql": "-- migrate:up\n" + two})  # fmt: skip
    assert [False, False, True] == [m.runs_in_transaction for m in read_migrations(golang)]
    assert ["2", "3"] == [m.version for m in read_migrations(golang)][1:]
    assert [False, True] == [m.runs_in_transaction for m in read_migrations(flyway)]
    assert [False, True] == [m.runs_in_transaction for m in read_migrations(dbmate)]
    assert ["idx", "idx"] == [m.name for m in read_migrations(dbmate)]


def test_plain_files_numbered_in_parts_each_have_their_own_version(tmp_path: Path) -> None:
    """`00.05.00_01_x.sql` and `00.05.00_02_y.sql` are versions 00.05.00_01 and 00.05.00_02,
    not both 00: lint tells a table made by the migration itself by its version."""
    root = _write(
        tmp_path,
        {
            "00.00.00_01_initial.sql": "create table jobs (id bigint);",
            "00.05.00_01_index.sql": "create index jobs_id on jobs (id);",
            "00.05.00_02_drop.sql": "drop index jobs_id;",
        },
    )
    migrations = read_migrations(root)
    assert ["00.00.00_01", "00.05.00_01", "00.05.00_02"] == [m.version for m in migrations]
    assert ["initial", "index", "drop"] == [m.name for m in migrations]
