"""The changes a migration makes that can break a client of the database.

Dropping, renaming, moving or retyping a table or column breaks whoever still uses it;
SET NOT NULL and a new NOT NULL column without a default break whoever inserts without it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pglast import enums

from interlock.migrations.model import Migration
from interlock.migrations.schema import SCHEMA_KINDS, SchemaModel
from interlock.migrations.sqltree import nodes


class ChangeKind(StrEnum):
    DROP_TABLE = "drop-table"
    RENAME_TABLE = "rename-table"
    MOVE_TABLE = "set-schema"
    DROP_COLUMN = "drop-column"
    RENAME_COLUMN = "rename-column"
    RETYPE_COLUMN = "retype-column"
    SET_NOT_NULL = "set-not-null"
    REQUIRED_COLUMN = "add-required-column"


# Which uses a change breaks: every use of the table or column, or only the writes to it.
WRITERS_ONLY = (ChangeKind.SET_NOT_NULL, ChangeKind.REQUIRED_COLUMN)


@dataclass(frozen=True)
class BreakingChange:
    """One breaking change: where it is written, on which table and column."""

    kind: ChangeKind
    table: str
    column: str | None
    file: str
    line: int
    new_name: str | None = None
    migration: str = ""
    column_type: str | None = None  # the column's type before the change, when known

    @property
    def target(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table

    def __str__(self) -> str:
        renamed = f" -> {self.new_name}" if self.new_name else ""
        return f"{self.kind.value} {self.target}{renamed}"


def breaking_changes(
    migrations: Sequence[Migration], before: Sequence[Migration] = ()
) -> list[BreakingChange]:
    """Every breaking change in the up SQL of `migrations`, in order; the migrations `before`
    them are replayed so that a change knows its column's type (for the advice)."""
    schema = SchemaModel()
    for migration in before:
        for tree in migration.up.trees(SCHEMA_KINDS):
            schema.apply_tree(tree, migration.version)
    found: list[BreakingChange] = []
    for migration in migrations:
        for statement in migration.up.statements:
            for kind, table, column, new_name in _changes(statement.node):
                known = schema.column(table, column) if column else None
                found.append(
                    BreakingChange(
                        kind,
                        table,
                        column,
                        str(migration.up.path),
                        statement.line,
                        new_name,
                        migration.version,
                        str(known.type) if known else None,
                    )
                )
            schema.apply(statement.node, migration.version)
    return found


def _changes(node: Any) -> Iterator[tuple[ChangeKind, str, str | None, str | None]]:
    if isinstance(node, nodes.DropStmt) and node.removeType == enums.ObjectType.OBJECT_TABLE:
        for name in node.objects or ():
            yield ChangeKind.DROP_TABLE, str(name[-1].sval).lower(), None, None
    elif isinstance(node, nodes.RenameStmt) and node.relation is not None:
        table = str(node.relation.relname).lower()
        if node.renameType == enums.ObjectType.OBJECT_COLUMN:
            yield ChangeKind.RENAME_COLUMN, table, str(node.subname).lower(), str(node.newname)
        elif node.renameType == enums.ObjectType.OBJECT_TABLE:
            yield ChangeKind.RENAME_TABLE, table, None, str(node.newname)
    elif isinstance(node, nodes.AlterObjectSchemaStmt) and node.relation is not None:
        if node.objectType == enums.ObjectType.OBJECT_TABLE:
            yield (
                ChangeKind.MOVE_TABLE,
                str(node.relation.relname).lower(),
                None,
                str(node.newschema),
            )
    elif isinstance(node, nodes.AlterTableStmt) and node.relation is not None:
        table = str(node.relation.relname).lower()
        for command in node.cmds or ():
            yield from _alter_table_change(table, command)


def _alter_table_change(
    table: str, command: Any
) -> Iterator[tuple[ChangeKind, str, str | None, str | None]]:
    subtype = command.subtype
    types = enums.AlterTableType
    if subtype == types.AT_DropColumn:
        yield ChangeKind.DROP_COLUMN, table, str(command.name).lower(), None
    elif subtype == types.AT_AlterColumnType:
        yield ChangeKind.RETYPE_COLUMN, table, str(command.name).lower(), None
    elif subtype == types.AT_SetNotNull:
        yield ChangeKind.SET_NOT_NULL, table, str(command.name).lower(), None
    elif subtype == types.AT_AddColumn and isinstance(command.def_, nodes.ColumnDef):
        constraints = command.def_.constraints or ()
        kinds = {c.contype for c in constraints}
        not_null = enums.ConstrType.CONSTR_NOTNULL in kinds
        has_default = bool(
            kinds
            & {
                enums.ConstrType.CONSTR_DEFAULT,
                enums.ConstrType.CONSTR_IDENTITY,
                enums.ConstrType.CONSTR_GENERATED,
            }
        )
        if not_null and not has_default:
            yield ChangeKind.REQUIRED_COLUMN, table, str(command.def_.colname).lower(), None


def expand_contract(change: BreakingChange, consumers: Sequence[str]) -> list[str]:
    """The safe sequence that reaches the same schema without breaking `consumers`."""
    who = ", ".join(consumers) or "every consumer"
    table, column, new = change.table, change.column, change.new_name
    if change.kind == ChangeKind.RENAME_COLUMN:
        return [
            f"expand: ALTER TABLE {table} ADD COLUMN {new} {change.column_type or f'<type of {column}>'}  (nullable, no rewrite)",
            f"dual write: the owner writes both {column} and {new} (or a trigger copies {column} -> {new})",
            f"backfill: UPDATE {table} SET {new} = {column} WHERE {new} IS NULL, in batches",
            f"switch reads: {who} read {new} instead of {column}; deploy them",
            f"contract: once no deployed consumer reads {column}, stop writing it and DROP COLUMN {column}",
        ]
    if change.kind == ChangeKind.RETYPE_COLUMN:
        return [
            f"expand: ADD COLUMN {column}_new <new type> (nullable)",
            f"dual write {column} and {column}_new; backfill {column}_new in batches",
            f"switch reads: {who} read {column}_new; deploy them",
            f"contract: drop {column}, then rename {column}_new to {column} behind a view or in a release no consumer reads it",
        ]
    if change.kind in (ChangeKind.DROP_COLUMN, ChangeKind.DROP_TABLE):
        return [
            f"first remove every use of {change.target} from {who}, and deploy them",
            f"then drop {change.target} in a later migration, once no deployed version uses it",
        ]
    if change.kind in (ChangeKind.RENAME_TABLE, ChangeKind.MOVE_TABLE):
        return [
            f"expand: rename the table and CREATE VIEW {table} over the new name, so old queries keep working",
            f"switch: {who} use the new name; deploy them",
            f"contract: DROP VIEW {table} once no deployed consumer uses it",
        ]
    if change.kind == ChangeKind.SET_NOT_NULL:
        return [
            f"make {who} always write {column}; deploy them; backfill the NULLs in batches",
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_not_null CHECK ({column} IS NOT NULL) NOT VALID",
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {table}_{column}_not_null  (no ACCESS EXCLUSIVE scan)",
            f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL  (PostgreSQL 12+ uses the CHECK, no scan)",
        ]
    return [
        f"add {column} with a DEFAULT (or nullable), make {who} write it, backfill, then SET NOT NULL as above",
    ]
