"""A lint rule about data changed inside a schema change: a backfill run while the same
transaction holds a blocking lock on its table keeps that lock for the whole backfill."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import enums

from interlock.migrations.model import LockFacts, Severity
from interlock.migrations.rulebook import Hit, StatementContext, rule
from interlock.migrations.sqltree import nodes


@rule(
    "backfill-under-lock",
    Severity.error,
    "locks",
    on=(nodes.UpdateStmt, nodes.DeleteStmt, nodes.InsertStmt),
    summary="backfill (UPDATE, DELETE, INSERT ... SELECT) while the transaction holds a strong lock",
    why="Locks are held until the transaction ends: a backfill after an ALTER TABLE or CREATE INDEX on the same table in the same transaction keeps every reader (ACCESS EXCLUSIVE) or writer (SHARE) waiting for the whole backfill.",
    instead="Commit the schema change first; backfill in a later migration (or outside migrations) in batches, each its own transaction.",
)
def backfill_under_lock(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if not ctx.in_transaction or node.relation is None:
        return
    if isinstance(node, nodes.InsertStmt) and not getattr(node.selectStmt, "fromClause", None):
        return  # INSERT ... VALUES: a few rows, not a backfill
    table = node.relation.relname.lower()
    if _point_change(ctx, table, getattr(node, "whereClause", None)):
        return  # WHERE key = constant: a row or a few, not a backfill
    held = _lock_held(ctx, table)
    if held is None:
        return
    mode, line = held
    verb = type(node).__name__.removesuffix("Stmt").upper()
    yield Hit(
        f"{verb} on {node.relation.relname!r} while this transaction holds {mode} on it (line {line})",
        LockFacts(mode, scans=True),
    )


def _lock_held(ctx: StatementContext, table: str) -> tuple[str, int] | None:
    """The strongest lock that the statements before this one, in its transaction, took on
    `table` (an existing table), and the line that took it. Looked up only for a backfill,
    which is rare, so that no other statement pays for it."""
    statements = ctx.section.statements
    wrapped = ctx.migration.runs_in_transaction or ctx.settings.assume_in_transaction
    held: tuple[str, int] | None = None
    for statement in statements[: statements.index(ctx.statement)]:
        node = statement.node
        if isinstance(node, nodes.TransactionStmt):
            held = None if not wrapped or node.kind != _BEGIN else held
            continue
        relation = getattr(node, "relation", None)
        if (
            relation is None
            or relation.relname.lower() != table
            or ctx.schema.is_new(table, ctx.migration.version)
        ):
            continue
        if isinstance(node, nodes.AlterTableStmt) and node.objtype == OBJ.OBJECT_TABLE:
            if not all(cmd.subtype in _WEAK_ALTER for cmd in node.cmds or ()):
                held = ("ACCESS EXCLUSIVE", statement.line)
        elif isinstance(node, nodes.IndexStmt) and not node.concurrent and held is None:
            held = ("SHARE", statement.line)
    return held


_BEGIN = enums.TransactionStmtKind.TRANS_STMT_BEGIN
OBJ = enums.ObjectType
_WEAK_ALTER = frozenset(
    {
        enums.AlterTableType.AT_ValidateConstraint,
        enums.AlterTableType.AT_SetStatistics,
        enums.AlterTableType.AT_SetOptions,
    }
)


def _point_change(ctx: StatementContext, table: str, where: Any) -> bool:
    """True for `WHERE col = constant` (either way round), unless the replayed schema shows
    that `col` is an enum or a boolean: equal to a constant, those pick a class of rows (every
    job whose status is 'aborting'), not a row."""
    if not isinstance(where, nodes.A_Expr) or where.kind != enums.A_Expr_Kind.AEXPR_OP:
        return False
    if [getattr(n, "sval", None) for n in where.name or ()] != ["="]:
        return False
    sides = (where.lexpr, where.rexpr)
    columns = [s for s in sides if isinstance(s, nodes.ColumnRef)]
    if not columns or not any(isinstance(s, nodes.A_Const | nodes.ParamRef) for s in sides):
        return False
    name = getattr(columns[0].fields[-1], "sval", None)
    known = ctx.schema.column(table, name) if isinstance(name, str) else None
    if known is None:
        return True
    return known.type.name not in ctx.schema.enums and known.type.name not in ("bool", "boolean")
