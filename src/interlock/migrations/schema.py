"""The schema as the migrations build it, replayed in memory from the parsed statements.

Lint reads it to know which tables are new, each column's type and nullability, CHECKs, indexes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pglast import enums

from interlock.migrations.sqltree import nodes

_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "serial4": "serial",
    "serial8": "bigserial",
    "serial2": "smallserial",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "timestamp with time zone": "timestamptz",
    "float8": "float8",
    "double precision": "float8",
    "bool": "bool",
    "boolean": "bool",
}
_DISPLAY = {"int4": "integer", "int8": "bigint", "int2": "smallint", "bpchar": "char"}
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial"})


@dataclass(frozen=True)
class ColumnType:
    """A column type as written: its normalized name and its modifiers, e.g. varchar(20)."""

    name: str
    modifiers: tuple[int, ...] = ()
    array: bool = False

    def __str__(self) -> str:
        mods = f"({','.join(map(str, self.modifiers))})" if self.modifiers else ""
        name = _DISPLAY.get(self.name, self.name)
        return f"{name}{mods}{'[]' if self.array else ''}"


@lru_cache(maxsize=256)  # a new column's type is read by several rules and by the replay
def column_type(type_name: Any) -> ColumnType:
    """The `ColumnType` of a pglast `TypeName` node."""
    name = type_name.names[-1].sval.lower()
    name = _ALIASES.get(name, name)
    mods = []
    for mod in type_name.typmods or ():
        value = getattr(getattr(mod, "val", None), "ival", None)
        if isinstance(value, int):
            mods.append(value)
    return ColumnType(name, tuple(mods), bool(type_name.arrayBounds))


@dataclass
class Column:
    name: str
    type: ColumnType
    nullable: bool = True
    has_default: bool = False


@dataclass
class Check:
    """A CHECK constraint; `not_null_of` names the column when it is `col IS NOT NULL`."""

    name: str
    validated: bool
    not_null_of: str | None = None


@dataclass
class Table:
    name: str
    created_in: str
    columns: dict[str, Column] = field(default_factory=dict)
    checks: dict[str, Check] = field(default_factory=dict)


@dataclass
class Index:
    name: str
    table: str
    unique: bool
    created_in: str


def relation_name(range_var: Any) -> str:
    """The key of a table in the model: its unqualified lower-case name."""
    return str(range_var.relname).lower()


@dataclass
class SchemaModel:
    """Tables and indexes known so far; `apply` advances it by one statement."""

    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    not_valid_constraints: dict[str, str] = field(default_factory=dict)  # name -> migration

    def is_new(self, table: str, migration: str) -> bool:
        """True when `table` was created by `migration` itself (so nobody else uses it yet)."""
        known = self.tables.get(table)
        return known is not None and known.created_in == migration

    def column(self, table: str, column: str) -> Column | None:
        known = self.tables.get(table)
        return known.columns.get(column.lower()) if known else None

    def apply(self, node: Any, migration: str) -> None:
        """Apply the effect of one parsed statement made by `migration`."""
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, migration)


def _create_table(model: SchemaModel, node: Any, migration: str) -> None:
    table = Table(relation_name(node.relation), migration)
    for element in node.tableElts or ():
        if isinstance(element, nodes.ColumnDef):
            _add_column(table, element)
        elif isinstance(element, nodes.Constraint):
            _add_constraint(model, table, element, migration, table_is_new=True)
    model.tables[table.name] = table


def _add_column(table: Table, definition: Any) -> None:
    kind = column_type(definition.typeName)
    column = Column(definition.colname.lower(), kind, has_default=kind.name in SERIAL_TYPES)
    for constraint in definition.constraints or ():
        contype = constraint.contype
        if contype in (enums.ConstrType.CONSTR_NOTNULL, enums.ConstrType.CONSTR_PRIMARY):
            column.nullable = False
        elif contype in (enums.ConstrType.CONSTR_DEFAULT, enums.ConstrType.CONSTR_IDENTITY):
            column.has_default = True
    if definition.is_not_null:
        column.nullable = False
    table.columns[column.name] = column


def not_null_column(expression: Any) -> str | None:
    """The column that a CHECK expression `col IS NOT NULL` is about, if it is one."""
    if (
        isinstance(expression, nodes.NullTest)
        and expression.nulltesttype == enums.NullTestType.IS_NOT_NULL
        and isinstance(expression.arg, nodes.ColumnRef)
    ):
        fields: tuple[Any, ...] = expression.arg.fields or ()
        return str(fields[-1].sval).lower() if fields else None
    return None


def _add_constraint(
    model: SchemaModel, table: Table, constraint: Any, migration: str, *, table_is_new: bool
) -> None:
    contype = constraint.contype
    name = (constraint.conname or f"{table.name}_check{len(table.checks)}").lower()
    if contype == enums.ConstrType.CONSTR_CHECK:
        validated = table_is_new or not constraint.skip_validation
        table.checks[name] = Check(name, validated, not_null_column(constraint.raw_expr))
    elif contype == enums.ConstrType.CONSTR_PRIMARY:
        for key in constraint.keys or ():
            column = table.columns.get(key.sval.lower())
            if column:
                column.nullable = False
    if constraint.skip_validation and not table_is_new:
        model.not_valid_constraints[name] = migration


def _alter_table(model: SchemaModel, node: Any, migration: str) -> None:
    name = relation_name(node.relation)
    table = model.tables.get(name)
    if table is None or node.objtype != enums.ObjectType.OBJECT_TABLE:
        return
    kinds = enums.AlterTableType
    for cmd in node.cmds or ():
        subtype = cmd.subtype
        column = table.columns.get((cmd.name or "").lower())
        if subtype == kinds.AT_AddColumn:
            _add_column(table, cmd.def_)
        elif subtype == kinds.AT_DropColumn:
            table.columns.pop((cmd.name or "").lower(), None)
        elif subtype == kinds.AT_AlterColumnType and column:
            column.type = column_type(cmd.def_.typeName)
        elif subtype == kinds.AT_SetNotNull and column:
            column.nullable = False
        elif subtype == kinds.AT_DropNotNull and column:
            column.nullable = True
        elif subtype == kinds.AT_ColumnDefault and column:
            column.has_default = cmd.def_ is not None
        elif subtype == kinds.AT_AddConstraint:
            _add_constraint(model, table, cmd.def_, migration, table_is_new=False)
        elif subtype == kinds.AT_ValidateConstraint:
            check = table.checks.get((cmd.name or "").lower())
            if check:
                check.validated = True
        elif subtype == kinds.AT_DropConstraint:
            table.checks.pop((cmd.name or "").lower(), None)


def _rename(model: SchemaModel, node: Any, migration: str) -> None:
    objects = enums.ObjectType
    if node.renameType == objects.OBJECT_TABLE and node.relation is not None:
        table = model.tables.pop(relation_name(node.relation), None)
        if table:
            table.name = node.newname.lower()
            model.tables[table.name] = table
    elif node.renameType == objects.OBJECT_COLUMN and node.relation is not None:
        table = model.tables.get(relation_name(node.relation))
        column = table.columns.pop(node.subname.lower(), None) if table else None
        if table and column:
            column.name = node.newname.lower()
            table.columns[column.name] = column


def _drop(model: SchemaModel, node: Any, migration: str) -> None:
    for obj in node.objects or ():
        name = obj[-1].sval.lower() if isinstance(obj, tuple) else ""
        if node.removeType == enums.ObjectType.OBJECT_TABLE:
            model.tables.pop(name, None)
            for index in [i for i in model.indexes.values() if i.table == name]:
                del model.indexes[index.name]
        elif node.removeType == enums.ObjectType.OBJECT_INDEX:
            model.indexes.pop(name, None)


def _create_index(model: SchemaModel, node: Any, migration: str) -> None:
    table = relation_name(node.relation)
    name = (node.idxname or f"{table}_idx{len(model.indexes)}").lower()
    model.indexes[name] = Index(name, table, bool(node.unique), migration)


_HANDLERS = {
    nodes.CreateStmt: _create_table,
    nodes.AlterTableStmt: _alter_table,
    nodes.RenameStmt: _rename,
    nodes.DropStmt: _drop,
    nodes.IndexStmt: _create_index,
}
