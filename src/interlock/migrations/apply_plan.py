"""`migrate apply --plan`: what would run, with the lint findings and the locks each statement
asks for, read from the database's history table and changing nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from interlock.migrations.apply_guard import expected_locks
from interlock.migrations.database_url import connect, redact
from interlock.migrations.history import applied_versions, pending_migrations
from interlock.migrations.lint import lint_migrations
from interlock.migrations.model import Finding, LintSettings, Migration


@dataclass
class PlannedStatement:
    line: int
    sql: str
    locks: list[str]
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "sql": self.sql,
            "locks": self.locks,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class PlannedMigration:
    version: str
    name: str
    file: str
    in_transaction: bool
    has_down: bool
    statements: list[PlannedStatement] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "file": self.file,
            "in_transaction": self.in_transaction,
            "has_down": self.has_down,
            "statements": [s.to_json() for s in self.statements],
        }


@dataclass
class ApplyPlan:
    target: str
    migrations: list[PlannedMigration] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for m in self.migrations for s in m.statements for f in s.findings]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "apply-plan",
            "target": self.target,
            "pending": [m.version for m in self.migrations],
            "errors": sum(1 for f in self.findings if f.severity == "error"),
            "warnings": sum(1 for f in self.findings if f.severity == "warning"),
            "migrations": [m.to_json() for m in self.migrations],
        }


def plan_apply(
    url: str,
    migrations: Sequence[Migration],
    settings: LintSettings,
    from_version: str | None = None,
) -> ApplyPlan:
    """The pending migrations, each statement with its expected locks and lint findings."""
    with connect(url) as conn:
        conn.read_only = True
        applied = applied_versions(conn, migrations[0].layout) if migrations else None
    pending = pending_migrations(migrations, applied, from_version)
    findings = lint_migrations(migrations, settings, targets=pending).findings
    plan = ApplyPlan(redact(url))
    for migration in pending:
        planned = PlannedMigration(
            migration.version,
            migration.name,
            str(migration.up_path),
            migration.runs_in_transaction,
            migration.down is not None,
        )
        statements = migration.up.statements
        own = [f for f in findings if f.migration == migration.version]
        for index, statement in enumerate(statements):
            end = statements[index + 1].line if index + 1 < len(statements) else None
            planned.statements.append(
                PlannedStatement(
                    statement.line,
                    " ".join(statement.text.split()),
                    [str(lock) for lock in expected_locks(statement.node)],
                    [f for f in own if f.line >= statement.line and (end is None or f.line < end)],
                )
            )
        plan.migrations.append(planned)
    return plan
