"""What several rules, and the rule dispatch, ask of one statement: computed once per statement.

Each is cached for the last few statements: a dozen rules ask about the same one in a row.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pglast import enums

from interlock.migrations.schema import ColumnType, column_type
from interlock.migrations.sqltree import nodes

AT = enums.AlterTableType


@lru_cache(maxsize=4)
def table_cmds(node: Any) -> tuple[Any, ...]:
    """The sub-commands of an ALTER TABLE on a table (not an index, view or sequence)."""
    return (node.cmds or ()) if node.objtype == enums.ObjectType.OBJECT_TABLE else ()


@lru_cache(maxsize=4)
def column_defs(node: Any) -> tuple[Any, ...]:
    """Column definitions a statement introduces: CREATE TABLE columns, ADD COLUMN."""
    if isinstance(node, nodes.CreateStmt):
        return tuple(e for e in node.tableElts or () if isinstance(e, nodes.ColumnDef))
    return tuple(cmd.def_ for cmd in table_cmds(node) if cmd.subtype == AT.AT_AddColumn)


@lru_cache(maxsize=4)
def typed_columns(node: Any) -> tuple[tuple[Any, Any, ColumnType], ...]:
    """(ColumnDef or AlterTableCmd, TypeName, its ColumnType) for each column a statement
    defines or retypes (ALTER COLUMN TYPE); a PARTITION OF column that adds options only has
    no type and is left out."""
    found = [(d, d.typeName, column_type(d.typeName)) for d in column_defs(node) if d.typeName]
    if isinstance(node, nodes.AlterTableStmt):
        for cmd in table_cmds(node):
            if cmd.subtype == AT.AT_AlterColumnType:
                found.append((cmd, cmd.def_.typeName, column_type(cmd.def_.typeName)))
    return tuple(found)


@lru_cache(maxsize=4)
def column_types(node: Any) -> frozenset[str]:
    """The names of the column types a statement defines or changes to (`typed_columns`)."""
    return frozenset(kind.name for _, _, kind in typed_columns(node))
