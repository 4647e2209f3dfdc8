"""Lint's rewrite claims checked against a real PostgreSQL: relfilenode changes iff it rewrote.

These are the places where Squawk is wrong (varchar widening, varchar to text, STABLE defaults).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

SETUP = (
    "create table items (id bigint primary key, name varchar(20), price numeric(10,2),"
    " qty integer);\n"
)
ROWS = "insert into items select g, 'n' || g, g, g from generate_series(1, 1000) g"

CASES = [
    ("alter table items alter column name type varchar(200);", False),
    ("alter table items alter column name type text;", False),
    ("alter table items alter column price type numeric(14,2);", False),
    ("alter table items alter column qty type bigint;", True),
    ("alter table items add column at timestamptz default now();", False),
    ("alter table items add column flag boolean default false;", False),
    ("alter table items add column u uuid default gen_random_uuid();", True),
    ("alter table items add column t timestamptz default clock_timestamp();", True),
    ("alter table items add column r float8 default random();", True),
]


@pytest.mark.postgres
@pytest.mark.parametrize(("statement", "rewrites"), CASES)
def test_lint_rewrite_claim_matches_postgresql(
    postgres: Any, lint_sql: Callable[..., list[Any]], statement: str, rewrites: bool
) -> None:
    url = postgres.create_database("lint_rewrite_facts")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SETUP)
        conn.execute(ROWS)
        version = int(conn.execute("show server_version_num").fetchone()[0]) // 10000
        query = "select relfilenode from pg_class where relname = 'items'"
        before = conn.execute(query).fetchone()
        conn.execute(statement)
        after = conn.execute(query).fetchone()
    findings = lint_sql(SETUP, statement, pg_version=version)
    assert rewrites == (before != after), "the test's expectation disagrees with PostgreSQL"
    assert rewrites == any(f.rewrites_table for f in findings)
