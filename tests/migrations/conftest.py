"""Fixtures for the migration tests: write migration files into a temporary directory and lint.

`lint_sql(*migrations)` writes each SQL text as the next plain migration and returns the
findings of the last one, with the earlier ones replayed for schema.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from interlock.migrations import Finding, LintSettings, lint_paths

LintSql = Callable[..., list[Finding]]


@pytest.fixture
def lint_sql(tmp_path: Path) -> LintSql:
    def run(*migrations: str, pg_version: int = 16, in_transaction: bool = True) -> list[Finding]:
        folder = tmp_path / "migrations"
        folder.mkdir(exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for number, sql in enumerate(migrations, start=1):
            (folder / f"{number:03d}_step.sql").write_text(sql)
        last = folder / f"{len(migrations):03d}_step.sql"
        settings = LintSettings(pg_version=pg_version, assume_in_transaction=in_transaction)
        return lint_paths([last], settings).findings

    return run


@pytest.fixture
def rule_ids(lint_sql: LintSql) -> Callable[..., set[str]]:
    def run(*migrations: str, **options: object) -> set[str]:
        return {finding.rule for finding in lint_sql(*migrations, **options)}

    return run
