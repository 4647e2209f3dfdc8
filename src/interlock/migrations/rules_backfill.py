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
    if not ctx.in_transaction or not ctx.locked or node.relation is None:
        return
    if isinstance(node, nodes.InsertStmt) and not getattr(node.selectStmt, "fromClause", None):
        return  # INSERT ... VALUES: a few rows, not a backfill
    if _point_change(getattr(node, "whereClause", None)):
        return  # WHERE col = constant: a row or a few, not a backfill
    held = ctx.locked.get(node.relation.relname.lower())
    if held is None:
        return
    mode, line = held
    verb = type(node).__name__.removesuffix("Stmt").upper()
    yield Hit(
        f"{verb} on {node.relation.relname!r} while this transaction holds {mode} on it (line {line})",
        LockFacts(mode, scans=True),
    )


def _point_change(where: Any) -> bool:
    """True for `WHERE col = constant` (either way round)."""
    if not isinstance(where, nodes.A_Expr) or where.kind != enums.A_Expr_Kind.AEXPR_OP:
        return False
    if [getattr(n, "sval", None) for n in where.name or ()] != ["="]:
        return False
    sides = (where.lexpr, where.rexpr)
    return any(isinstance(s, nodes.ColumnRef) for s in sides) and any(
        isinstance(s, nodes.A_Const | nodes.ParamRef) for s in sides
    )
