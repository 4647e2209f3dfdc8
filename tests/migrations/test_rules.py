"""Every lint rule: statements that must fire it and statements that must not.

The "must not" cases include each place where Squawk is wrong (varchar widening, STABLE
defaults, tables created in the same migration).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from interlock.migrations import Finding, all_rules

TABLE = (
    "create table items (id bigint primary key, name varchar(20), code text,"
    " price numeric(10,2), qty integer, note text, owner_id bigint);\n"
    "create index items_code on items (code);\n"
)

# (rule, earlier migration, migration, fires?)
CASES: list[tuple[str, str, str, bool]] = [
    # locks and rewrites
    (
        "adding-field-with-default",
        TABLE,
        "alter table items add column u uuid default gen_random_uuid();",
        True,
    ),
    (
        "adding-field-with-default",
        TABLE,
        "alter table items add column r float8 default random();",
        True,
    ),
    (
        "adding-field-with-default",
        TABLE,
        "alter table items add column c timestamptz default clock_timestamp();",
        True,
    ),
    ("adding-field-with-default", TABLE, "alter table items add column s bigserial;", True),
    (
        "adding-field-with-default",
        TABLE,
        "alter table items add column g bigint generated always as (qty * 2) stored;",
        True,
    ),
    (
        "adding-field-with-default",
        TABLE,
        "alter table items add column t timestamptz default now();",
        False,
    ),
    (
        "adding-field-with-default",
        TABLE,
        "alter table items add column a boolean default false;",
        False,
    ),
    (
        "adding-field-with-default",
        TABLE,
        "alter table items add column b text default lower('X');",
        False,
    ),
    (
        "adding-field-with-default",
        "",
        "create table t (id bigint);\nalter table t add column u uuid default gen_random_uuid();",
        False,
    ),
    ("adding-required-field", TABLE, "alter table items add column w bigint not null;", True),
    (
        "adding-required-field",
        TABLE,
        "alter table items add column w bigint not null default 0;",
        False,
    ),
    ("adding-required-field", TABLE, "alter table items add column w bigint;", False),
    ("adding-not-nullable-field", TABLE, "alter table items alter column code set not null;", True),
    (
        "adding-not-nullable-field",
        TABLE + "alter table items add constraint code_nn check (code is not null) not valid;\n",
        "alter table items alter column code set not null;",
        True,
    ),
    (
        "adding-not-nullable-field",
        TABLE
        + "alter table items add constraint code_nn check (code is not null) not valid;\nalter table items validate constraint code_nn;\n",
        "alter table items alter column code set not null;",
        False,
    ),
    (
        "adding-foreign-key-constraint",
        TABLE,
        "alter table items add constraint fk foreign key (owner_id) references owners (id);",
        True,
    ),
    (
        "adding-foreign-key-constraint",
        TABLE,
        "alter table items add constraint fk foreign key (owner_id) references owners (id) not valid;",
        False,
    ),
    (
        "constraint-missing-not-valid",
        TABLE,
        "alter table items add constraint pos check (qty > 0);",
        True,
    ),
    (
        "constraint-missing-not-valid",
        TABLE,
        "alter table items add constraint pos check (qty > 0) not valid;",
        False,
    ),
    (
        "constraint-missing-not-valid",
        TABLE,
        "alter table items add constraint pos check (qty > 0) not valid;\nalter table items validate constraint pos;",
        True,
    ),
    (
        "disallowed-unique-constraint",
        TABLE,
        "alter table items add constraint code_u unique (code);",
        True,
    ),
    (
        "disallowed-unique-constraint",
        TABLE,
        "alter table items add constraint code_u unique using index items_code;",
        False,
    ),
    (
        "adding-serial-primary-key-field",
        "create table nokey (a bigint not null);",
        "alter table nokey add primary key (a);",
        True,
    ),
    (
        "adding-serial-primary-key-field",
        "create table nokey (a bigint not null);",
        "alter table nokey add column id bigserial primary key;",
        True,
    ),
    (
        "adding-serial-primary-key-field",
        "create table nokey (a bigint not null);",
        "alter table nokey add constraint nokey_pkey primary key using index nokey_a;",
        False,
    ),
    ("changing-column-type", TABLE, "alter table items alter column qty type bigint;", True),
    ("changing-column-type", TABLE, "alter table items alter column name type varchar(10);", True),
    (
        "changing-column-type",
        TABLE,
        "alter table items alter column code type integer using code::integer;",
        True,
    ),
    (
        "changing-column-type",
        TABLE,
        "alter table items alter column name type varchar(200);",
        False,
    ),
    ("changing-column-type", TABLE, "alter table items alter column name type text;", False),
    ("changing-column-type", TABLE, "alter table items alter column name type varchar;", False),
    (
        "changing-column-type",
        TABLE,
        "alter table items alter column price type numeric(12,2);",
        False,
    ),
    (
        "changing-column-type",
        TABLE,
        "alter table items alter column price type numeric(12,3);",
        True,
    ),
    ("require-concurrent-index-creation", TABLE, "create index items_name on items (name);", True),
    (
        "require-concurrent-index-creation",
        TABLE,
        "create index concurrently items_name on items (name);",
        False,
    ),
    (
        "require-concurrent-index-creation",
        "",
        "create table t (a bigint);\ncreate index on t (a);",
        False,
    ),
    ("require-concurrent-index-deletion", TABLE, "drop index items_code;", True),
    ("require-concurrent-index-deletion", TABLE, "drop index concurrently items_code;", False),
    ("require-concurrent-reindex", TABLE, "reindex index items_code;", True),
    ("require-concurrent-reindex", TABLE, "reindex index concurrently items_code;", False),
    (
        "ban-concurrent-index-creation-in-transaction",
        TABLE,
        "create index concurrently items_name on items (name);",
        True,
    ),
    (
        "ban-concurrent-index-creation-in-transaction",
        TABLE,
        "drop index concurrently items_code;",
        True,
    ),
    ("require-timeout-settings", TABLE, "alter table items drop column note;", True),
    ("require-timeout-settings", TABLE, "truncate items;", True),
    (
        "require-timeout-settings",
        "",
        "create table t (a bigint);\ncreate index t_a on t (a);\ndrop index t_a;\ndrop table t;",
        False,
    ),
    (
        "require-timeout-settings",
        TABLE,
        "set lock_timeout = '2s';\nset statement_timeout = '5min';\nalter table items drop column note;",
        False,
    ),
    (
        "require-timeout-settings",
        TABLE,
        "set lock_timeout = '2s';\nalter table items drop column note;",
        True,
    ),
    (
        "require-timeout-settings",
        "",
        "create table t (a bigint);\nalter table t add column b text;",
        False,
    ),
    (
        "ban-alter-domain-with-add-constraint",
        "create domain qty as bigint;",
        "alter domain qty add constraint pos check (value > 0);",
        True,
    ),
    (
        "ban-alter-domain-with-add-constraint",
        "create domain qty as bigint;",
        "alter domain qty add constraint pos check (value > 0) not valid;",
        False,
    ),
    # breaking changes
    ("ban-drop-column", TABLE, "alter table items drop column note;", True),
    (
        "ban-drop-column",
        "",
        "create table t (a bigint, b text);\nalter table t drop column b;",
        False,
    ),
    ("ban-drop-table", TABLE, "drop table items;", True),
    ("ban-drop-table", "", "create table t (a bigint);\ndrop table t;", False),
    ("ban-drop-database", "", "drop database shop;", True),
    ("ban-drop-not-null", TABLE, "alter table items alter column id drop not null;", True),
    ("ban-drop-constraint", TABLE, "alter table items drop constraint items_pkey;", True),
    ("ban-drop-default", TABLE, "alter table items alter column qty drop default;", True),
    ("ban-drop-default", TABLE, "alter table items alter column qty set default 0;", False),
    ("ban-drop-view", "", "drop view item_view;", True),
    ("ban-drop-view", "", "drop materialized view item_totals;", True),
    ("ban-drop-function", "", "drop function price_of(bigint);", True),
    ("ban-drop-type", "", "drop type mood;", True),
    ("ban-drop-schema", "", "drop schema reporting;", True),
    ("ban-set-schema", TABLE, "alter table items set schema archive;", True),
    ("renaming-column", TABLE, "alter table items rename column price to unit_price;", True),
    (
        "renaming-column",
        "",
        "create table t (a bigint);\nalter table t rename column a to b;",
        False,
    ),
    ("renaming-table", TABLE, "alter table items rename to products;", True),
    ("ban-truncate-cascade", TABLE, "truncate items cascade;", True),
    ("ban-truncate-cascade", TABLE, "truncate items;", False),
    # hygiene
    ("ban-char-field", "", "create table t (code char(3));", True),
    ("ban-char-field", "", "create table t (code text);", False),
    ("prefer-bigint-over-int", "", "create table t (n integer);", True),
    ("prefer-bigint-over-int", "", "create table t (n serial);", True),
    ("prefer-bigint-over-int", "", "create table t (n bigint);", False),
    ("prefer-bigint-over-smallint", "", "create table t (n smallint);", True),
    ("prefer-bigint-over-smallint", "", "create table t (n int8);", False),
    ("prefer-identity", "", "create table t (id bigserial primary key);", True),
    (
        "prefer-identity",
        "",
        "create table t (id bigint generated by default as identity primary key);",
        False,
    ),
    ("prefer-text-field", "", "create table t (name varchar(100));", True),
    ("prefer-text-field", "", "create table t (name text);", False),
    ("prefer-text-field", TABLE, "alter table items alter column name type varchar(200);", True),
    ("prefer-text-field", TABLE, "alter table items alter column name type text;", False),
    ("prefer-timestamptz", "", "create table t (at timestamp);", True),
    ("prefer-timestamptz", "", "create table t (at timestamptz);", False),
    (
        "ban-create-domain-with-constraint",
        "",
        "create domain qty as bigint check (value > 0);",
        True,
    ),
    ("ban-create-domain-with-constraint", "", "create domain qty as bigint;", False),
    ("transaction-nesting", "", "begin;\ncreate table t (id bigint);\ncommit;", True),
    # tables made by CREATE TABLE AS, SELECT INTO and materialized views are new
    *[
        (rule, TABLE, f"{make};\n{then}", False)
        for make in (
            "create table copy as select * from items",
            "select * into copy from items",
            "create materialized view copy as select id, qty from items",
        )
        for rule, then in (
            ("require-concurrent-index-creation", "create index copy_qty on copy (qty)"),
            ("constraint-missing-not-valid", "alter table copy add constraint c check (qty > 0)"),
            ("require-timeout-settings", "create unique index copy_id on copy (id)"),
        )
        if not (make.startswith("create materialized") and rule == "constraint-missing-not-valid")
    ],
    # a new table's foreign key locks the existing table it references
    (
        "require-timeout-settings",
        TABLE,
        "create table tags (item_id bigint references items (id));",
        True,
    ),
    (
        "require-timeout-settings",
        TABLE,
        "create table tags (id bigint, foreign key (id) references items);",
        True,
    ),
    (
        "require-timeout-settings",
        TABLE,
        "create table a (id bigint primary key);\ncreate table b (a_id bigint references a);",
        False,
    ),
    (
        "require-timeout-settings",
        TABLE,
        "create table tags (id bigint);\nalter table tags add foreign key (id) references items;",
        True,
    ),
    (
        "require-timeout-settings",
        TABLE,
        "create view v as select 1;\ndrop view v;\ndrop view items_view;",
        True,
    ),
    ("require-timeout-settings", TABLE, "drop materialized view items_totals;", True),
    ("require-timeout-settings", TABLE, "drop trigger items_audit on items;", True),
    (
        "require-timeout-settings",
        TABLE,
        "create table tags (id bigint);\ninsert into tags values (1);",
        False,
    ),
    # constraints written inline in ADD COLUMN
    ("disallowed-unique-constraint", TABLE, "alter table items add column ref text unique;", True),
    (
        "adding-serial-primary-key-field",
        TABLE,
        "alter table items add column k bigint primary key;",
        True,
    ),
    (
        "adding-foreign-key-constraint",
        TABLE,
        "alter table items add column o bigint references items (id) default 1;",
        True,
    ),
    (
        "adding-foreign-key-constraint",
        TABLE,
        "alter table items add column o bigint references items (id);",
        False,
    ),
    # timestamp -> timestamptz is free on 12+ when the session is UTC; USING col is no USING
    (
        "changing-column-type",
        TABLE + "alter table items add column at timestamp;",
        "set timezone = 'UTC';\nalter table items alter column at type timestamptz;",
        False,
    ),
    (
        "changing-column-type",
        TABLE + "alter table items add column at timestamp;",
        "alter table items alter column at type timestamptz;",
        True,
    ),
    (
        "changing-column-type",
        TABLE + "alter table items add column at timestamp;",
        "set time zone 'Europe/Paris';\nalter table items alter column at type timestamptz;",
        True,
    ),
    (
        "changing-column-type",
        TABLE,
        "alter table items alter column name type varchar(40) using name;",
        False,
    ),
    (
        "changing-column-type",
        TABLE,
        "alter table items alter column name type varchar(40) using upper(name);",
        True,
    ),
    # SET NOT NULL on a column the schema already has NOT NULL
    (
        "adding-not-nullable-field",
        TABLE + "alter table items alter column qty set not null;",
        "alter table items alter column qty set not null;",
        False,
    ),
    ("adding-not-nullable-field", TABLE, "alter table items alter column id set not null;", False),
    # drop and recreate in one transaction is a replacement
    (
        "ban-drop-view",
        "create view v as select 1 as x;",
        "drop view v;\ncreate view v as select 2 as x;",
        False,
    ),
    ("ban-drop-view", "create view v as select 1 as x;", "drop view v;", True),
    (
        "ban-drop-function",
        "",
        "drop function f();\ncreate function f() returns int language sql as 'select 1';",
        False,
    ),
    ("ban-drop-function", "", "drop function f();", True),
    # renames of other objects
    ("renaming-object", TABLE, "alter index items_code rename to items_code_idx;", True),
    ("renaming-object", TABLE, "alter sequence items_id_seq rename to items_seq;", True),
    ("renaming-object", TABLE, "alter trigger audit on items rename to items_audit;", True),
    ("renaming-object", TABLE, "alter view items_view rename to goods_view;", True),
    ("renaming-object", TABLE, "alter table items rename column note to remark;", False),
    # names PostgreSQL truncates
    ("identifier-too-long", "", "create table " + "t" * 64 + " (id bigint);", True),
    ("identifier-too-long", "", "create table t (" + "c" * 64 + " bigint);", True),
    (
        "identifier-too-long",
        TABLE,
        "create index concurrently " + "i" * 70 + " on items (qty);",
        True,
    ),
    ("identifier-too-long", "", "create table " + "t" * 63 + " (id bigint);", False),
    # enum values placed among the others
    ("enum-value-out-of-order", "", "alter type mood add value 'meh' before 'happy';", True),
    ("enum-value-out-of-order", "", "alter type mood add value 'meh' after 'sad';", True),
    ("enum-value-out-of-order", "", "alter type mood add value 'meh';", False),
    # the migrations made the type: flagged only when a column holds it (rows sort by it)
    (
        "enum-value-out-of-order",
        "create type mood as enum ('sad', 'happy');\ncreate table people (id bigint, m mood);",
        "alter type mood add value 'meh' after 'sad';",
        True,
    ),
    (
        "enum-value-out-of-order",
        "create type mood as enum ('sad', 'happy');",
        "alter type mood add value 'meh' before 'happy';",
        False,
    ),
    # backfill while the transaction holds a strong lock on the table
    (
        "backfill-under-lock",
        TABLE,
        "alter table items add column done boolean;\nupdate items set done = false;",
        True,
    ),
    (
        "backfill-under-lock",
        TABLE,
        "create index items_qty on items (qty);\ninsert into items select * from items;",
        True,
    ),
    (
        "backfill-under-lock",
        TABLE,
        "alter table items add column done boolean;\ncommit;\nbegin;\nupdate items set done = false;",
        False,
    ),
    (
        "backfill-under-lock",
        TABLE,
        "alter table items add column done boolean;\ninsert into items (id) values (1);",
        False,
    ),
    ("backfill-under-lock", TABLE, "create table t (id bigint);\nupdate t set id = 1;", False),
    ("backfill-under-lock", TABLE, "update items set qty = 0;", False),
    (
        "backfill-under-lock",
        TABLE,
        "alter table items add column done boolean;\nupdate items set done = true where id = 7;",
        False,
    ),
    (
        "backfill-under-lock",
        TABLE,
        "alter table items add column done boolean;\ndelete from items where qty > 7;",
        True,
    ),
    # an enum or boolean equal to a constant picks a class of rows, not one
    (
        "backfill-under-lock",
        TABLE,
        "alter table items add column done boolean;\nupdate items set qty = 0 where done = true;",
        True,
    ),
    # CASCADE
    ("ban-drop-cascade", TABLE, "drop view if exists items_view cascade;", True),
    ("ban-drop-cascade", TABLE, "alter table items drop column note cascade;", True),
    ("ban-drop-cascade", TABLE, "alter table items drop column note;", False),
]


def _case_id(case: tuple[str, str, str, bool]) -> str:
    rule, _, sql, fires = case
    return f"{rule}:{'fires' if fires else 'quiet'}:{sql.splitlines()[-1][:40]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_rule_fires_exactly_when_it_should(
    case: tuple[str, str, str, bool], rule_ids: Callable[..., set[str]]
) -> None:
    rule, before, sql, fires = case
    migrations = (before, sql) if before else (sql,)
    in_transaction = rule != "ban-concurrent-index-creation-in-transaction" or fires
    assert fires == (rule in rule_ids(*migrations, in_transaction=in_transaction))


def test_every_rule_has_a_firing_case() -> None:
    """No rule ships without a test that shows it firing."""
    tested = {rule for rule, _, _, fires in CASES if fires}
    assert set() == set(all_rules()) - tested - {"prefer-robust-stmts"}


def test_concurrent_index_outside_transaction_is_fine(rule_ids: Callable[..., set[str]]) -> None:
    found = rule_ids(
        TABLE, "create index concurrently items_name on items (name);", in_transaction=False
    )
    assert "ban-concurrent-index-creation-in-transaction" not in found


def test_explicit_begin_makes_concurrently_fail(rule_ids: Callable[..., set[str]]) -> None:
    sql = "begin;\ncreate index concurrently items_name on items (name);\ncommit;"
    assert "ban-concurrent-index-creation-in-transaction" in rule_ids(
        TABLE, sql, in_transaction=False
    )


def test_any_default_rewrites_before_postgresql_11(rule_ids: Callable[..., set[str]]) -> None:
    sql = "alter table items add column a boolean default false;"
    assert "adding-field-with-default" in rule_ids(TABLE, sql, pg_version=10)
    assert "adding-field-with-default" not in rule_ids(TABLE, sql, pg_version=11)


def test_set_not_null_with_validated_check_scans_before_postgresql_12(
    rule_ids: Callable[..., set[str]],
) -> None:
    before = TABLE + (
        "alter table items add constraint code_nn check (code is not null) not valid;\n"
        "alter table items validate constraint code_nn;\n"
    )
    sql = "alter table items alter column code set not null;"
    assert "adding-not-nullable-field" in rule_ids(before, sql, pg_version=11)
    assert "adding-not-nullable-field" not in rule_ids(before, sql, pg_version=12)


def test_robust_statements_are_asked_for_outside_a_transaction(
    rule_ids: Callable[..., set[str]],
) -> None:
    sql = "alter table items add column a text;\ncreate index concurrently i on items (a);"
    assert "prefer-robust-stmts" in rule_ids(TABLE, sql, in_transaction=False)
    robust = (
        "alter table items add column if not exists a text;\n"
        "create index concurrently if not exists i on items (a);"
    )
    assert "prefer-robust-stmts" not in rule_ids(TABLE, robust, in_transaction=False)
    assert "prefer-robust-stmts" not in rule_ids(TABLE, sql, in_transaction=True)


def test_finding_carries_lock_rewrite_and_advice(lint_sql: Callable[..., list]) -> None:
    findings = lint_sql(TABLE, "\n\n  alter table items alter column qty type bigint;")
    (finding,) = [f for f in findings if f.rule == "changing-column-type"]
    assert (3, 3) == (finding.line, finding.column)
    assert "ACCESS EXCLUSIVE" == finding.lock
    assert finding.rewrites_table is True
    assert "integer to bigint" in finding.message
    assert "new column" in finding.instead


def test_unique_advice_uses_a_concurrent_index(lint_sql: Callable[..., list]) -> None:
    """UNIQUE cannot be NOT VALID, so the advice must be an index built CONCURRENTLY."""
    findings = lint_sql(TABLE, "alter table items add constraint code_u unique (code);")
    (finding,) = [f for f in findings if f.rule == "disallowed-unique-constraint"]
    assert "CREATE UNIQUE INDEX CONCURRENTLY" in finding.instead
    assert "USING INDEX" in finding.instead
    assert "NOT VALID" not in finding.instead


def test_ignore_comment_on_the_line_before_suppresses_that_rule(
    rule_ids: Callable[..., set[str]],
) -> None:
    sql = (
        "set lock_timeout = '1s';\nset statement_timeout = '1min';\n"
        "-- interlock:ignore ban-drop-column nobody reads it since release 41\n"
        "alter table items drop column note;\n"
        "alter table items drop column code;\n"
    )
    assert {"ban-drop-column"} == rule_ids(TABLE, sql)
    sql_only_ignored = sql.rsplit("alter table items drop column code;\n", 1)[0]
    assert set() == rule_ids(TABLE, sql_only_ignored)


def test_ignore_comment_accepts_squawk_umbrella_names(rule_ids: Callable[..., set[str]]) -> None:
    sql = "-- interlock:ignore prefer-big-int legacy table mirror\ncreate table t (a integer, b smallint);"
    assert set() == rule_ids(sql) & {"prefer-bigint-over-int", "prefer-bigint-over-smallint"}


def test_hygiene_column_points_at_the_type(lint_sql: Callable[..., list]) -> None:
    findings = lint_sql("create table t (\n  id bigint,\n  code char(3)\n);")
    (finding,) = [f for f in findings if f.rule == "ban-char-field"]
    assert (3, 8) == (finding.line, finding.column)


def test_a_partition_has_its_parents_columns(lint_sql: Callable[..., list]) -> None:
    tables = (
        "create table items (id bigint not null, name varchar(20)) partition by list (id);\n"
        "create table items_1 partition of items (name with options not null)"
        " for values in (1);\n"
    )
    # the column that only adds options has no type of its own: linted, not a crash
    assert {f.rule for f in lint_sql(tables)} == {"prefer-text-field"}  # the parent's varchar
    widen = "alter table items_1 alter column name type varchar(40);"
    assert not [f for f in lint_sql(tables, widen) if f.rule == "changing-column-type"]
    narrow = "alter table items_1 alter column name type varchar(10);"
    (finding,) = [f for f in lint_sql(tables, narrow) if f.rule == "changing-column-type"]
    assert "from varchar(20) to varchar(10)" in finding.message


def test_a_drop_of_several_objects_is_one_finding(lint_sql: Callable[..., list]) -> None:
    """Drops are counted per statement, not per object."""
    findings = lint_sql("create view a as select 1;\ncreate view b as select 2;", "drop view a, b;")
    (finding,) = [f for f in findings if f.rule == "ban-drop-view"]
    assert "drops views a, b" == finding.message


def test_one_statements_findings_come_locks_then_breaking_then_hygiene(
    lint_sql: Callable[..., list],
) -> None:
    findings = lint_sql(
        TABLE, "alter table items add column c char(2) not null;", in_transaction=False
    )
    families = {rule.id: rule.family for rule in all_rules().values()}
    ordered = [families[f.rule] for f in findings]
    assert {"locks", "hygiene"} <= set(ordered)
    assert ordered == sorted(ordered, key=("locks", "breaking", "hygiene").index)
    renamed = lint_sql(TABLE, "alter table items rename to goods;")
    assert ["require-timeout-settings", "renaming-table"] == [f.rule for f in renamed]


def test_an_enum_value_placed_among_others_names_the_columns_that_sort_by_it(
    lint_sql: Callable[..., list[Finding]],
) -> None:
    """The finding says which columns of the replayed schema now sort and compare the value
    there; the replayed enum keeps its values in declared order."""
    (finding,) = [
        f
        for f in lint_sql(
            "create type mood as enum ('sad', 'happy');\n"
            "create table people (id bigint, m mood);\n"
            "alter type mood add value 'meh' before 'happy';",
            "alter type mood add value 'ok' after 'meh';",
        )
        if f.rule == "enum-value-out-of-order"
    ]
    assert "adds enum value 'ok' after 'meh': people.m now sort" in finding.message
