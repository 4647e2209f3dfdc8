"""The suite's own PostgreSQL is real and answers queries."""

from __future__ import annotations

import psycopg
import pytest


@pytest.mark.postgres
def test_postgres_fixture_answers(postgres) -> None:  # type: ignore[no-untyped-def]
    url = postgres.create_database("fixture_check")
    with psycopg.connect(url) as conn:
        row = conn.execute("select current_database(), version()").fetchone()
    assert row is not None
    assert row[0] == "fixture_check"
    assert "PostgreSQL" in row[1]
