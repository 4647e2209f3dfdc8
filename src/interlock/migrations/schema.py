"""The schema as the migrations build it, replayed in memory from the parsed statements.

Lint reads it to know which tables are new, each column's type and nullability, CHECKs, indexes.

The model reads the parser's JSON fields (`sqltree.json_fields`), not the lazy nodes: a worker
that lints the later migrations of a directory first replays every earlier one, and making
nodes of the few fields a replay reads costs as much as parsing them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from interlock.migrations.sqltree import json_fields

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

Json = dict[str, Any]


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


@lru_cache(maxsize=256)  # a new column's type is read by several rules
def column_type(type_name: Any) -> ColumnType:
    """The `ColumnType` of a `TypeName` node."""
    return _type_of(json_fields(type_name))


def _type_of(type_name: Json) -> ColumnType:
    name = _string(type_name["names"][-1]).lower()
    name = _ALIASES.get(name, name)
    mods = []
    for mod in type_name.get("typmods", ()):
        integer = mod.get("A_Const", {}).get("ival")  # {} when the constant is 0
        if integer is not None:
            mods.append(integer.get("ival", 0))
    return _interned(name, tuple(mods), bool(type_name.get("arrayBounds")))


@lru_cache(maxsize=1024)  # one value per type: a frozen dataclass costs 1 µs to make
def _interned(name: str, modifiers: tuple[int, ...], array: bool) -> ColumnType:
    return ColumnType(name, modifiers, array)


def _string(value: Json) -> str:
    """The text of a `String` node's JSON; "" for any other node (`*`, NULL)."""
    return str(value.get("String", {}).get("sval", ""))


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


def _relation(range_var: Json) -> str:
    return str(range_var.get("relname")).lower()


@dataclass
class SchemaModel:
    """Tables and indexes known so far; `apply` advances it by one statement."""

    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    not_valid_constraints: dict[str, str] = field(default_factory=dict)  # name -> migration
    enums: dict[str, list[str]] = field(default_factory=dict)  # type name -> values in order

    def is_new(self, table: str, migration: str) -> bool:
        """True when `table` was created by `migration` itself (so nobody else uses it yet)."""
        known = self.tables.get(table)
        return known is not None and known.created_in == migration

    def column(self, table: str, column: str) -> Column | None:
        known = self.tables.get(table)
        return known.columns.get(column.lower()) if known else None

    def apply(self, node: Any, migration: str) -> None:
        """Apply the effect of one parsed statement made by `migration`."""
        handler = _HANDLERS.get(type(node).__name__)
        if handler is not None:
            handler(self, json_fields(node), migration)

    def apply_tree(self, tree: Json, migration: str) -> None:
        """`apply` for a statement as the parser's JSON has it: `{"CreateStmt": {...}}`."""
        for kind, fields in tree.items():
            handler = _HANDLERS.get(kind)
            if handler is not None:
                handler(self, fields, migration)


def _create_table(model: SchemaModel, stmt: Json, migration: str) -> None:
    table = Table(_relation(stmt["relation"]), migration)
    if "partbound" in stmt or "ofTypename" in stmt:  # PARTITION OF / OF type: the parent's columns
        for parent in stmt.get("inhRelations", ()):
            known = model.tables.get(_relation(parent.get("RangeVar", {})))
            for column in known.columns.values() if known else ():
                table.columns[column.name] = replace(column)
    for element in stmt.get("tableElts", ()):
        if "ColumnDef" in element:
            _add_column(table, element["ColumnDef"])
        elif "Constraint" in element:
            _add_constraint(model, table, element["Constraint"], migration, table_is_new=True)
    model.tables[table.name] = table


def _add_column(table: Table, definition: Json) -> None:
    name = str(definition.get("colname", "")).lower()
    column = table.columns.get(name)
    if "typeName" in definition:
        kind = _type_of(definition["typeName"])
        column = Column(name, kind, has_default=kind.name in SERIAL_TYPES)
    elif column is None:  # options for a column that a parent defines, and the parent is unknown
        return
    for item in definition.get("constraints", ()):
        contype = item.get("Constraint", {}).get("contype")
        if contype in ("CONSTR_NOTNULL", "CONSTR_PRIMARY"):
            column.nullable = False
        elif contype in ("CONSTR_DEFAULT", "CONSTR_IDENTITY"):
            column.has_default = True
    if definition.get("is_not_null"):
        column.nullable = False
    table.columns[name] = column


def _not_null_column(expression: Json | None) -> str | None:
    """The column that a CHECK expression `col IS NOT NULL` is about, if it is one."""
    test = (expression or {}).get("NullTest")
    if test is None or test.get("nulltesttype") != "IS_NOT_NULL":
        return None
    fields = test.get("arg", {}).get("ColumnRef", {}).get("fields")
    column = _string(fields[-1]).lower() if fields else ""
    return column or None


def _add_constraint(
    model: SchemaModel, table: Table, constraint: Json, migration: str, *, table_is_new: bool
) -> None:
    contype = constraint.get("contype")
    name = str(constraint.get("conname") or f"{table.name}_check{len(table.checks)}").lower()
    skip_validation = constraint.get("skip_validation", False)
    if contype == "CONSTR_CHECK":
        validated = table_is_new or not skip_validation
        table.checks[name] = Check(name, validated, _not_null_column(constraint.get("raw_expr")))
    elif contype == "CONSTR_PRIMARY":
        for key in constraint.get("keys", ()):
            column = table.columns.get(_string(key).lower())
            if column:
                column.nullable = False
    if skip_validation and not table_is_new:
        model.not_valid_constraints[name] = migration


def _alter_table(model: SchemaModel, stmt: Json, migration: str) -> None:
    table = model.tables.get(_relation(stmt.get("relation", {})))
    if table is None or stmt.get("objtype") != "OBJECT_TABLE":
        return
    for item in stmt.get("cmds", ()):
        cmd = item["AlterTableCmd"]
        subtype = cmd.get("subtype")
        name = str(cmd.get("name", "")).lower()
        column = table.columns.get(name)
        definition = cmd.get("def", {})
        if subtype == "AT_AddColumn":
            _add_column(table, definition["ColumnDef"])
        elif subtype == "AT_DropColumn":
            table.columns.pop(name, None)
        elif subtype == "AT_AlterColumnType" and column:
            column.type = _type_of(definition["ColumnDef"]["typeName"])
        elif subtype == "AT_SetNotNull" and column:
            column.nullable = False
        elif subtype == "AT_DropNotNull" and column:
            column.nullable = True
        elif subtype == "AT_ColumnDefault" and column:
            column.has_default = bool(definition)
        elif subtype == "AT_AddConstraint":
            _add_constraint(model, table, definition["Constraint"], migration, table_is_new=False)
        elif subtype == "AT_ValidateConstraint":
            check = table.checks.get(name)
            if check:
                check.validated = True
        elif subtype == "AT_DropConstraint":
            table.checks.pop(name, None)


def _rename(model: SchemaModel, stmt: Json, migration: str) -> None:
    relation = stmt.get("relation")
    if relation is None:
        return
    new_name = str(stmt.get("newname", "")).lower()
    if stmt.get("renameType") == "OBJECT_TABLE":
        table = model.tables.pop(_relation(relation), None)
        if table:
            table.name = new_name
            model.tables[new_name] = table
    elif stmt.get("renameType") == "OBJECT_COLUMN":
        table = model.tables.get(_relation(relation))
        column = table.columns.pop(str(stmt.get("subname", "")).lower(), None) if table else None
        if table and column:
            column.name = new_name
            table.columns[new_name] = column


def _drop(model: SchemaModel, stmt: Json, migration: str) -> None:
    kind = stmt.get("removeType")
    for obj in stmt.get("objects", ()):
        items = obj.get("List", {}).get("items")  # a qualified name; other objects are not kept
        name = _string(items[-1]).lower() if items else ""
        if kind == "OBJECT_TABLE":
            model.tables.pop(name, None)
            for index in [i for i in model.indexes.values() if i.table == name]:
                del model.indexes[index.name]
        elif kind == "OBJECT_INDEX":
            model.indexes.pop(name, None)


def _create_index(model: SchemaModel, stmt: Json, migration: str) -> None:
    table = _relation(stmt.get("relation", {}))
    name = str(stmt.get("idxname") or f"{table}_idx{len(model.indexes)}").lower()
    model.indexes[name] = Index(name, table, bool(stmt.get("unique")), migration)


def _create_table_as(model: SchemaModel, stmt: Json, migration: str) -> None:
    """CREATE TABLE ... AS and CREATE MATERIALIZED VIEW: a new relation (columns unknown)."""
    into = stmt.get("into", {}).get("rel")
    if into is not None:
        model.tables[_relation(into)] = Table(_relation(into), migration)


def _select_into(model: SchemaModel, stmt: Json, migration: str) -> None:
    """SELECT ... INTO t makes table t; any other SELECT changes nothing."""
    into = stmt.get("intoClause", {}).get("rel")
    if into is not None:
        model.tables[_relation(into)] = Table(_relation(into), migration)


def _type_key(names: Sequence[Json]) -> str:
    """An enum type's key in the model: its unqualified lower-case name."""
    return _string(names[-1]).lower() if names else ""


def _create_enum(model: SchemaModel, stmt: Json, migration: str) -> None:
    model.enums[_type_key(stmt.get("typeName", ()))] = [_string(v) for v in stmt.get("vals", ())]


def _alter_enum(model: SchemaModel, stmt: Json, migration: str) -> None:
    values = model.enums.get(_type_key(stmt.get("typeName", ())))
    new = stmt.get("newVal")
    if values is None or not new or new in values:
        return  # a type from outside the migrations, RENAME VALUE, or IF NOT EXISTS
    neighbour = stmt.get("newValNeighbor")
    if neighbour in values:
        after = bool(stmt.get("newValIsAfter"))  # false (BEFORE) is left out of the JSON
        values.insert(values.index(neighbour) + after, new)
    else:
        values.append(new)


_HANDLERS: dict[str, Callable[[SchemaModel, Json, str], None]] = {
    "CreateStmt": _create_table,
    "CreateTableAsStmt": _create_table_as,
    "SelectStmt": _select_into,
    "AlterTableStmt": _alter_table,
    "RenameStmt": _rename,
    "DropStmt": _drop,
    "IndexStmt": _create_index,
    "CreateEnumStmt": _create_enum,
    "AlterEnumStmt": _alter_enum,
}
SCHEMA_KINDS = frozenset(_HANDLERS)  # the kinds of statement that change the model
