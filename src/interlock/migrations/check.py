"""`migrate check`: lint, impact and (given a database) the dry run in one report, read as the
checklist a reviewer of a migration expects, with one verdict and the reason for it.

Items: lock levels, rewrites and scans, breaking changes (the services they break and their
owners), the backfill plan, the rollback tested, the expected duration on the copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from interlock.catalog import CatalogGraph, EdgeKind, NodeKind, load_catalog, node_id
from interlock.contracts import load_contract_queries
from interlock.migrations.dryrun import DryRunReport, RollbackCheck, dry_run
from interlock.migrations.history import split_pending
from interlock.migrations.impact import MigrationImpact, infer_database, migration_impact
from interlock.migrations.layouts import read_migrations
from interlock.migrations.lint import all_rules, lint_migrations
from interlock.migrations.model import Finding, LintReport, LintSettings, Migration, Severity
from interlock.migrations.sqltree import nodes


class ItemStatus(StrEnum):
    passed = "pass"
    warning = "warn"
    failed = "fail"
    skipped = "skipped"


@dataclass
class ChecklistItem:
    id: str
    title: str
    status: ItemStatus
    summary: str
    details: list[str] = field(default_factory=list)
    file: str | None = None  # where a GitHub annotation points, when one place is to blame
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": str(self.status),
            "summary": self.summary,
            "details": self.details,
            "file": self.file,
            "line": self.line,
        }


@dataclass
class CheckReport:
    """Lint, impact and dry run of the pending migrations, and the checklist made of them."""

    path: str
    pending: list[str]
    lint: LintReport
    impact: MigrationImpact
    dry_run: DryRunReport | None
    owners: dict[str, str]  # service -> owning team, for the services broken
    items: list[ChecklistItem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.status is ItemStatus.failed for i in self.items)

    @property
    def reason(self) -> str:
        """Why the verdict is what it is, in a few words ("breaks orders")."""
        failed = [i.summary for i in self.items if i.status is ItemStatus.failed]
        return "; ".join(failed) if failed else "every item passes"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "check",
            "path": self.path,
            "ok": self.ok,
            "verdict": "pass" if self.ok else "fail",
            "reason": self.reason,
            "pending": self.pending,
            "database": self.impact.database,
            "owner": self.impact.owner,
            "broken_consumers": sorted({s for c in self.impact.changes for s in c.services}),
            "owners": self.owners,
            "checklist": [i.to_json() for i in self.items],
            "lint": {
                "errors": self.lint.errors,
                "warnings": self.lint.warnings,
                "findings": [f.to_dict() for f in self.lint.findings],
            },
            "impact": self.impact.to_json(),
            "dry_run": self.dry_run.to_json() if self.dry_run else None,
        }


def check_directory(
    path: Path,
    settings: LintSettings,
    *,
    catalog_dir: Path,
    database: str | None = None,
    contract_paths: Sequence[Path] = (),
    from_version: str | None = None,
    database_url: str | None = None,
    max_lock_ms: float = 1000.0,
) -> CheckReport:
    """Everything `migrate check` reports about the pending migrations under `path`."""
    migrations = read_migrations(path)
    applied, pending = split_pending(migrations, from_version, database_url)
    lint = lint_migrations(migrations, settings, targets=pending)
    graph = load_catalog(catalog_dir).graph
    database = database or infer_database(graph, path)
    contracts = load_contract_queries(contract_paths)
    impact = migration_impact(applied, pending, database=database, graph=graph, contracts=contracts)
    measured = None
    if database_url is not None:
        measured = dry_run(
            database_url,
            migrations,
            from_version=from_version,
            contracts=contracts,
            max_lock_ms=max_lock_ms,
        )
    broken = sorted({s for c in impact.changes for s in c.services})
    if measured is not None:
        broken = sorted({*broken, *(c.query.consumer for c in measured.broken_contracts)})
    report = CheckReport(
        str(path),
        [m.version for m in pending],
        lint,
        impact,
        measured,
        {s: team for s in broken if (team := _owner_of(graph, s))},
    )
    report.items = [
        _locks(lint, measured),
        _rewrites(lint, measured),
        _breaking(report),
        _backfill(pending, lint, measured),
        _rollback(pending, measured),
        _duration(measured),
    ]
    return report


def _owner_of(graph: CatalogGraph, service: str) -> str | None:
    key = node_id(NodeKind.SERVICE, service)
    if key not in graph:
        return None
    teams = graph.out_edges(key, EdgeKind.OWNED_BY)
    return graph.node(teams[0].target).name if teams else None


def _where(finding: Finding) -> str:
    return f"{finding.file}:{finding.line}"


def _family(finding: Finding) -> str:
    rule = all_rules().get(finding.rule)
    return rule.family if rule else ""


def _locks(lint: LintReport, measured: DryRunReport | None) -> ChecklistItem:
    found = [f for f in lint.findings if _family(f) == "locks"]
    details = [
        f"{_where(f)} {f.lock or ''} {f.rule}: {f.message}".replace("  ", " ") for f in found
    ]
    risky = measured.risky_locks if measured else []
    details += [
        f"{Path(run.file).name}:{run.line} {lock.mode} on {lock.relation} held {lock.held_ms:.0f} ms on the copy"
        for run, lock in risky
    ]
    errors = [f for f in found if f.severity is Severity.error]
    item = ChecklistItem("lock-levels", "Lock levels", ItemStatus.passed, "", details)
    if errors or risky:
        item.status = ItemStatus.failed
        item.summary = f"{len(errors) + len(risky)} blocking lock(s) on existing tables"
        first = errors[0] if errors else None
        item.file, item.line = (first.file, first.line) if first else (None, None)
    elif found:
        item.status = ItemStatus.warning
        item.summary = f"{len(found)} lock warning(s): " + found[0].message
    else:
        item.summary = "no blocking lock on an existing table"
    return item


def _rewrites(lint: LintReport, measured: DryRunReport | None) -> ChecklistItem:
    found = [f for f in lint.findings if f.rewrites_table or f.scans_table]
    details = [
        f"{_where(f)} {'rewrites' if f.rewrites_table else 'scans'} under {f.lock}: {f.message}"
        for f in found
    ]
    measured_rewrites = []
    if measured is not None:
        for run in measured.statements:
            existing = [lock.relation for lock in run.locks if not lock.new_relation]
            for relation in run.rewritten:
                if relation in existing:
                    measured_rewrites.append(
                        f"{Path(run.file).name}:{run.line} rewrote {relation} on the copy"
                    )
    details += measured_rewrites
    item = ChecklistItem("rewrites", "Rewrites and scans", ItemStatus.passed, "", details)
    if found or measured_rewrites:
        item.status = ItemStatus.failed
        item.summary = (
            f"{len(found) or len(measured_rewrites)} statement(s) rewrite or scan a table"
        )
        if found:
            item.file, item.line = found[0].file, found[0].line
    else:
        item.summary = "no table is rewritten or scanned under a blocking lock"
    return item


def _breaking(report: CheckReport) -> ChecklistItem:
    details = []
    first = None
    for change in report.impact.changes:
        c = change.change
        what = f"{Path(c.file).name}:{c.line} {c}"
        if not change.uses:
            details.append(f"{what}: no consumer uses it")
            continue
        first = first or c
        services = ", ".join(
            f"{s} (owner {report.owners[s]})" if s in report.owners else s for s in change.services
        )
        details.append(f"{what}: breaks {services}")
    broken_contracts = report.dry_run.broken_contracts if report.dry_run else []
    details += [
        f"contract {c.query.consumer}/{c.query.name} fails on the migrated copy: {c.error}"
        for c in broken_contracts
    ]
    broken = sorted(
        {s for c in report.impact.changes for s in c.services}
        | {c.query.consumer for c in broken_contracts}
    )
    item = ChecklistItem("breaking-changes", "Breaking changes", ItemStatus.passed, "", details)
    if broken:
        item.status = ItemStatus.failed
        item.summary = f"breaks {', '.join(broken)}"
        if first is not None:
            item.file, item.line = first.file, first.line
    else:
        item.summary = "no consumer broken"
    return item


def _is_backfill(node: Any) -> bool:
    if isinstance(node, nodes.UpdateStmt | nodes.DeleteStmt):
        return True
    return (
        isinstance(node, nodes.InsertStmt)
        and node.selectStmt is not None
        and bool(getattr(node.selectStmt, "fromClause", None))
    )


def _backfill(
    pending: Sequence[Migration], lint: LintReport, measured: DryRunReport | None
) -> ChecklistItem:
    runs = {(Path(r.file).name, r.line): r for r in measured.statements} if measured else {}
    details = []
    for migration in pending:
        for statement in migration.up.statements:
            if not _is_backfill(statement.node):
                continue
            text = " ".join(statement.text.split())[:100]
            run = runs.get((migration.up_path.name, statement.line))
            timing = ""
            if run is not None:
                rows = sum(run.rows_scanned.values())
                timing = f" ({rows} rows read in {run.duration_ms:.0f} ms on the copy)"
            details.append(f"{migration.up_path.name}:{statement.line} {text}{timing}")
    locked = [f for f in lint.findings if f.rule == "backfill-under-lock"]
    item = ChecklistItem("backfill", "Backfill plan", ItemStatus.passed, "", details)
    if locked:
        item.status = ItemStatus.failed
        item.summary = (
            f"backfill while the same transaction holds a strong lock ({locked[0].message})"
        )
        item.file, item.line = locked[0].file, locked[0].line
    elif details:
        item.status = ItemStatus.warning
        item.summary = f"{len(details)} backfill statement(s) in the migration: batch them if the table is large"
    else:
        item.summary = "no backfill in these migrations"
    return item


def _rollback_line(check: RollbackCheck) -> str:
    if not check.checked:
        return f"{check.version}: {check.note}"
    if not check.differences:
        return f"{check.version}: down restores the schema"
    return f"{check.version}: " + "; ".join(str(d) for d in check.differences)


def _rollback(pending: Sequence[Migration], measured: DryRunReport | None) -> ChecklistItem:
    missing = [m.version for m in pending if m.down is None]
    item = ChecklistItem("rollback", "Rollback tested", ItemStatus.passed, "")
    if measured is not None:
        if measured.rollback_checked and not measured.rollback:
            item.summary = "down migrations restore the schema exactly (run on the copy)"
            return item
        item.status = ItemStatus.failed
        if measured.rollback_checked:
            item.summary = "the schema after the down migrations differs from before"
        else:
            item.summary = f"rollback {measured.rollback_note or 'not checked'}"
        item.details = [_rollback_line(c) for c in measured.rollbacks]
        return item
    if missing:
        item.status = ItemStatus.failed
        item.summary = f"no down migration for {', '.join(missing)}"
    else:
        item.status = ItemStatus.skipped
        item.summary = "down migrations exist but were not run (give --database-url to test them)"
    return item


def _duration(measured: DryRunReport | None) -> ChecklistItem:
    item = ChecklistItem("duration", "Expected duration on the copy", ItemStatus.passed, "")
    if measured is None:
        item.status = ItemStatus.skipped
        item.summary = "not measured (give --database-url for a dry run on a copy)"
        return item
    total_ms = sum(s.duration_ms for s in measured.statements)
    slowest = sorted(measured.statements, key=lambda s: s.duration_ms, reverse=True)[:3]
    item.details = [
        f"{Path(s.file).name}:{s.line} {s.duration_ms:.0f} ms: {' '.join(s.sql.split())[:80]}"
        for s in slowest
    ]
    failed = measured.failed_statements
    copy = measured.copy
    rows = f", copy of {copy.rows_copied} rows" if copy and copy.rows_copied is not None else ""
    if failed:
        item.status = ItemStatus.failed
        item.summary = (
            f"{Path(failed[0].file).name}:{failed[0].line} fails on the copy: {failed[0].error}"
        )
        item.file, item.line = failed[0].file, failed[0].line
    else:
        item.summary = (
            f"{len(measured.statements)} statement(s) in {total_ms / 1000:.2f} s on the copy{rows}"
        )
    return item
