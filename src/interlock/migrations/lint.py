"""`migrate lint`: run every rule on every statement of the pending migrations.

The schema is replayed from earlier migrations; transaction and timeout state is tracked per file.
A large directory can be linted by several processes, each taking a run of its migrations.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from functools import cache, partial
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

from pglast import enums

# importing the rule families registers their rules
from interlock.errors import SourceError
from interlock.migrations import (  # noqa: F401
    rules_backfill,
    rules_breaking,
    rules_hygiene,
    rules_locks,
    rules_objects,
)
from interlock.migrations.forked import ForkError, can_fork, run_forked
from interlock.migrations.layouts import read_migrations
from interlock.migrations.model import (
    ContextNote,
    Finding,
    LintReport,
    LintSettings,
    Migration,
    SqlSection,
)
from interlock.migrations.rulebook import (
    FAMILIES,
    RULES,
    Rule,
    StatementContext,
    expand_rule_names,
)
from interlock.migrations.schema import SCHEMA_KINDS, SchemaModel
from interlock.migrations.sqltree import bulk_parsing, nodes
from interlock.migrations.statement_facts import column_types, table_cmds

_IGNORE = re.compile(r"--\s*interlock:ignore\s+(?P<rules>[\w,-]+)(?P<reason>[^\n]*)")

# A worker replays the migrations before its run: the parser's JSON into the schema model, no
# nodes and no rules. On the benchmark corpus, taking that to cost 0.27 of linting the same
# migrations ends the runs together, the last worker's findings sent as the first run ends.
_REPLAY_COST = 0.27
_SQL_CHARS_PER_WORKER = 100_000  # below ~1,500 statements a worker, a fork does not pay


def all_rules() -> dict[str, Rule]:
    """Every lint rule by id, each family loaded."""
    return dict(RULES)


def lint_paths(paths: Sequence[Path], settings: LintSettings, *, workers: int = 1) -> LintReport:
    """Lint every migration found at `paths` (directories or files).

    With `workers` > 1, a large directory is split into runs of migrations: the first is
    linted in this process, each other in a forked one that first replays the migrations
    before its run. The same findings in the same order, sooner on several cores. Only for a
    single-threaded caller (the CLI).
    """
    report = LintReport(settings=settings)
    with bulk_parsing():
        for path in paths:
            _lint_path(path, settings, report, workers)
    return report


def _lint_path(path: Path, settings: LintSettings, report: LintReport, workers: int) -> None:
    # the parse trees are freed as each migration is linted, before bulk_parsing turns the
    # collector back on
    if not path.is_dir():
        # the migrations before the file are its context: their problems are notes, not errors
        notes: list[ContextNote] = []
        migrations = read_migrations(path, parse=False, context=notes)
        _add_notes(report, (ContextNote(_display(Path(n.file)), n.message) for n in notes))
        lint_migrations(migrations, settings, report, targets=migrations[-1:], release=True)
        return
    migrations = read_migrations(path, parse=False)
    runs = _runs([len(m.up.sql) for m in migrations], workers if can_fork() else 1)
    if len(runs) == 1:
        lint_migrations(migrations, settings, report, release=True)
        return
    tasks = [partial(_lint_run, migrations[:end], start, settings) for start, end in runs]
    try:
        parts = run_forked(tasks)
    except ForkError:  # no process to spare: the same work in this one
        lint_migrations(migrations, settings, report, release=True)
        return
    for part in parts:
        report.files += part.files
        report.statements += part.statements
        report.findings.extend(part.findings)
        _add_notes(report, part.notes)


def _add_notes(report: LintReport, notes: Iterable[ContextNote]) -> None:
    """Each note once: several files of one directory share their context."""
    report.notes.extend(note for note in notes if note not in report.notes)


def _lint_run(migrations: Sequence[Migration], start: int, settings: LintSettings) -> LintReport:
    return lint_migrations(migrations, settings, targets=migrations[start:], release=True)


def _runs(sizes: Sequence[int], workers: int) -> list[tuple[int, int]]:
    """Split migrations of these SQL sizes into runs [start, end) that take workers alike long.

    A worker replays everything before its run, so later runs are shorter: the boundary of
    run k is at S_k = (1 - r) S_(k-1) + T, where r is the replay cost and T each worker's load.
    """
    total = sum(sizes)
    workers = max(1, min(workers, len(sizes), total // _SQL_CHARS_PER_WORKER))
    if workers == 1:
        return [(0, len(sizes))]
    load = total * _REPLAY_COST / (1 - (1 - _REPLAY_COST) ** workers)
    cumulative = list(accumulate(sizes))
    cuts, boundary = {0, len(sizes)}, 0.0
    for _ in range(workers - 1):
        boundary = (1 - _REPLAY_COST) * boundary + load
        cuts.add(min(bisect_left(cumulative, boundary) + 1, len(sizes)))
    edges = sorted(cuts)
    return list(pairwise(edges))


def lint_migrations(
    migrations: Sequence[Migration],
    settings: LintSettings,
    report: LintReport | None = None,
    *,
    targets: Iterable[Migration] | None = None,
    release: bool = False,
) -> LintReport:
    """Lint `targets` (default: all) of `migrations`, replaying the earlier ones for schema.

    `release` drops each migration's parse trees once it is linted, so that the next one is
    built in the memory they held: a third fewer page faults on a large directory.
    """
    report = report or LintReport(settings=settings)
    wanted = {id(m) for m in (migrations if targets is None else targets)}
    dispatch = _Dispatch(settings)
    schema = SchemaModel()
    for migration in migrations:
        if id(migration) in wanted:
            for section in migration.sections:  # a down that does not parse is reported too
                section.parse()
            report.files += 1
            report.statements += len(migration.up.statements)
            report.findings.extend(_lint_one(migration, schema, settings, dispatch))
            if release:
                for section in migration.sections:
                    section.release()
        else:
            try:
                trees = migration.up.trees(SCHEMA_KINDS)
            except SourceError as error:  # context only: the file linted is not at fault
                note = ContextNote.of(error)
                _add_notes(report, [ContextNote(_display(Path(note.file)), note.message)])
                continue
            for tree in trees:
                schema.apply_tree(tree, migration.version)
    return report


class _Dispatch:
    """The rules to run on a statement: by its node type, its ALTER TABLE sub-commands and the
    column types it defines (rules name them: `rule(cmds=..., types=...)`)."""

    def __init__(self, settings: LintSettings) -> None:
        disabled = expand_rule_names(settings.disabled_rules)
        self._by_type: dict[type, list[Rule]] = {}
        for rule in sorted(RULES.values(), key=lambda r: FAMILIES.index(r.family)):
            if rule.id not in disabled:
                for node_type in rule.nodes:
                    self._by_type.setdefault(node_type, []).append(rule)
        self._by_cmds: dict[tuple[type, frozenset[Any]], tuple[list[Rule], bool]] = {}
        self._by_types: dict[tuple[type, frozenset[Any], frozenset[str]], list[Rule]] = {}

    def rules(self, node: Any) -> Sequence[Rule]:
        node_type = type(node)
        kinds = frozenset(cmd.subtype for cmd in table_cmds(node)) if node_type is _ALTER else _NONE
        chosen = self._by_cmds.get((node_type, kinds))
        if chosen is None:
            rules = [
                r
                for r in self._by_type.get(node_type, ())
                if node_type is not _ALTER or r.cmds is None or not r.cmds.isdisjoint(kinds)
            ]
            chosen = self._by_cmds[node_type, kinds] = (rules, any(r.types for r in rules))
        rules, typed = chosen
        if not typed:
            return rules
        types = column_types(node)
        narrowed = self._by_types.get((node_type, kinds, types))
        if narrowed is None:
            narrowed = [r for r in rules if r.types is None or not r.types.isdisjoint(types)]
            self._by_types[node_type, kinds, types] = narrowed
        return narrowed


_ALTER = nodes.AlterTableStmt
_NONE: frozenset[Any] = frozenset()


def _lint_one(
    migration: Migration,
    schema: SchemaModel,
    settings: LintSettings,
    dispatch: _Dispatch,
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
        flat = ""
        for rule in dispatch.rules(node):
            for hit in rule.check(ctx, node):
                if hit.location is not None:
                    line, column = section.position(hit.location)
                else:
                    line, column = statement.line, statement.column
                if ignored:
                    skip = ignored.get(statement.line - 1, set()) | ignored.get(line - 1, set())
                    if rule.id in skip or "all" in skip:
                        continue
                facts = hit.facts
                flat = flat or _one_line(statement.text)
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
                        rewrites_table=facts.rewrites if facts else False,
                        scans_table=facts.scans if facts else False,
                        migration=migration.version,
                        statement=flat,
                    )
                )
        _track_session(ctx, node)
        schema.apply(node, migration.version)
    return findings


def _track_session(ctx: StatementContext, node: Any) -> None:
    """Follow BEGIN/COMMIT and SET lock_timeout / statement_timeout / timezone through the file."""
    if isinstance(node, nodes.TransactionStmt):
        kinds = enums.TransactionStmtKind
        if node.kind in (kinds.TRANS_STMT_BEGIN, kinds.TRANS_STMT_START):
            ctx.in_transaction = True
        elif node.kind in (kinds.TRANS_STMT_COMMIT, kinds.TRANS_STMT_ROLLBACK):
            ctx.in_transaction = False
    elif isinstance(node, nodes.VariableSetStmt) and node.name == "timezone":
        value = node.args[0].val if node.args else None
        text = str(getattr(value, "sval", getattr(value, "ival", ""))).upper()
        ctx.timezone_utc = node.kind == enums.VariableSetKind.VAR_SET_VALUE and text in _UTC
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


_UTC = frozenset({"UTC", "UCT", "GMT", "ETC/UTC", "ETC/UCT", "ETC/GMT", "Z", "ZULU", "0"})


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
    """The file as findings name it: relative to the working directory when under it."""
    return f"{_display_folder(path.parent, os.getcwd())}{path.name}"


@cache  # resolving a path costs a system call per component: once per folder
def _display_folder(folder: Path, cwd: str) -> str:
    try:
        relative = folder.resolve().relative_to(Path(cwd).resolve())
    except ValueError:
        return f"{folder.as_posix()}/"
    return "" if relative == Path() else f"{relative.as_posix()}/"


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 200 else flat[:197] + "..."
