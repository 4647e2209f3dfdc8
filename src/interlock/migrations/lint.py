"""`migrate lint`: run every rule on every statement of the pending migrations.

The schema is replayed from earlier migrations; transaction and timeout state is tracked per file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pglast import enums

# importing the rule families registers their rules
from interlock.migrations import rules_breaking, rules_hygiene, rules_locks  # noqa: F401
from interlock.migrations.layouts import read_migrations
from interlock.migrations.model import (
    Finding,
    LintReport,
    LintSettings,
    Migration,
    SqlSection,
)
from interlock.migrations.rulebook import RULES, Rule, StatementContext, expand_rule_names
from interlock.migrations.schema import SchemaModel
from interlock.migrations.sqltree import bulk_parsing, nodes

_IGNORE = re.compile(r"--\s*interlock:ignore\s+(?P<rules>[\w,-]+)(?P<reason>[^\n]*)")


def all_rules() -> dict[str, Rule]:
    """Every lint rule by id, each family loaded."""
    return dict(RULES)


def lint_paths(paths: Sequence[Path], settings: LintSettings) -> LintReport:
    """Lint every migration found at `paths` (directories or files)."""
    report = LintReport(settings=settings)
    with bulk_parsing():
        for path in paths:
            _lint_path(path, settings, report)
    return report


def _lint_path(path: Path, settings: LintSettings, report: LintReport) -> None:
    # the parse trees are freed on return, before bulk_parsing turns the collector back on
    migrations = read_migrations(path)
    targets = migrations if path.is_dir() else migrations[-1:]
    lint_migrations(migrations, settings, report, targets=targets)


def lint_migrations(
    migrations: Sequence[Migration],
    settings: LintSettings,
    report: LintReport | None = None,
    *,
    targets: Iterable[Migration] | None = None,
) -> LintReport:
    """Lint `targets` (default: all) of `migrations`, replaying the earlier ones for schema."""
    report = report or LintReport(settings=settings)
    wanted = {id(m) for m in (migrations if targets is None else targets)}
    dispatch = _dispatch(settings)
    schema = SchemaModel()
    for migration in migrations:
        if id(migration) in wanted:
            report.files += 1
            report.statements += len(migration.up.statements)
            report.findings.extend(_lint_one(migration, schema, settings, dispatch))
        else:
            for statement in migration.up.statements:
                schema.apply(statement.node, migration.version)
    return report


def _dispatch(settings: LintSettings) -> dict[type, list[Rule]]:
    disabled = expand_rule_names(settings.disabled_rules)
    table: dict[type, list[Rule]] = {}
    for rule in RULES.values():
        if rule.id in disabled:
            continue
        for node_type in rule.nodes:
            table.setdefault(node_type, []).append(rule)
    return table


def _lint_one(
    migration: Migration,
    schema: SchemaModel,
    settings: LintSettings,
    dispatch: dict[type, list[Rule]],
) -> list[Finding]:
    section = migration.up
    if not section.statements:
        return []
    ignored = ignore_comments(section)
    in_transaction = migration.runs_in_transaction or settings.assume_in_transaction
    ctx = StatementContext(
        statement=section.statements[0],
        section=section,
        migration=migration,
        schema=schema,
        settings=settings,
        in_transaction=in_transaction,
        lock_timeout_set=False,
        statement_timeout_set=False,
    )
    findings: list[Finding] = []
    file = _display(section.path)
    for statement in section.statements:
        node = statement.node
        ctx.statement = statement
        for rule in dispatch.get(type(node), ()):
            for hit in rule.check(ctx, node):
                if hit.location is not None:
                    line, column = section.position(hit.location)
                else:
                    line, column = statement.line, statement.column
                skip = ignored.get(statement.line - 1, set()) | ignored.get(line - 1, set())
                if rule.id in skip or "all" in skip:
                    continue
                facts = hit.facts
                findings.append(
                    Finding(
                        rule=rule.id,
                        severity=rule.severity,
                        file=file,
                        line=line,
                        column=column,
                        message=hit.message,
                        why=rule.why,
                        instead=hit.instead or rule.instead,
                        lock=facts.lock if facts else None,
                        rewrites=facts.rewrites if facts else False,
                        scans=facts.scans if facts else False,
                        migration=migration.version,
                        statement=_one_line(statement.text),
                    )
                )
        _track_session(ctx, node)
        schema.apply(node, migration.version)
    return findings


def _track_session(ctx: StatementContext, node: Any) -> None:
    """Follow BEGIN/COMMIT and SET lock_timeout / statement_timeout through the file."""
    if isinstance(node, nodes.TransactionStmt):
        kinds = enums.TransactionStmtKind
        if node.kind in (kinds.TRANS_STMT_BEGIN, kinds.TRANS_STMT_START):
            ctx.in_transaction = True
        elif node.kind in (kinds.TRANS_STMT_COMMIT, kinds.TRANS_STMT_ROLLBACK):
            ctx.in_transaction = False
    elif isinstance(node, nodes.VariableSetStmt) and node.name in (
        "lock_timeout",
        "statement_timeout",
    ):
        value = node.args[0].val if node.args else None
        active = node.kind == enums.VariableSetKind.VAR_SET_VALUE and str(
            getattr(value, "ival", getattr(value, "sval", "0"))
        ) not in ("0", "0s", "0ms")
        if node.name == "lock_timeout":
            ctx.lock_timeout_set = active
        else:
            ctx.statement_timeout_set = active


def ignore_comments(section: SqlSection) -> dict[int, set[str]]:
    """Rule ids to ignore, by the 1-based file line of each `-- interlock:ignore` comment."""
    found: dict[int, set[str]] = {}
    if "interlock:ignore" not in section.sql:
        return found
    for match in _IGNORE.finditer(section.sql):
        line, _ = section.position(match.start())
        found.setdefault(line, set()).update(expand_rule_names(match["rules"].split(",")))
    return found


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 200 else flat[:197] + "..."
