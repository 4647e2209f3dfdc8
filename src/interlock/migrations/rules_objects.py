"""Lint rules about names and dependent objects: renames of indexes, sequences, triggers and
views, names longer than PostgreSQL keeps, enum values added out of place, DROP ... CASCADE.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pglast import enums

from interlock.migrations.model import LockFacts, Severity
from interlock.migrations.rulebook import ACCESS_EXCLUSIVE, Hit, StatementContext, rule
from interlock.migrations.sqltree import nodes
from interlock.migrations.statement_facts import table_cmds

AT = enums.AlterTableType
OBJ = enums.ObjectType
_RENAMED = {
    OBJ.OBJECT_INDEX: "index",
    OBJ.OBJECT_SEQUENCE: "sequence",
    OBJ.OBJECT_TRIGGER: "trigger",
    OBJ.OBJECT_VIEW: "view",
    OBJ.OBJECT_MATVIEW: "materialized view",
}
NAME_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL cuts longer names without an error


@rule(
    "renaming-object",
    Severity.warning,
    "breaking",
    on=(nodes.RenameStmt,),
    summary="RENAME of an index, sequence, trigger or view",
    why="Code, hints, monitoring and later migrations that name the object by its old name stop finding it; a renamed view breaks every reader of it.",
    instead="Keep the old name, or create the new object beside the old one and drop the old one once nothing names it.",
)
def renaming_object(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    noun = _RENAMED.get(node.renameType)
    if noun is None or (node.relation is not None and ctx.is_new(node.relation)):
        return
    old = node.relation.relname if node.relation is not None else node.subname
    yield Hit(f"renames {noun} {old!r} to {node.newname!r}", LockFacts(ACCESS_EXCLUSIVE))


@rule(
    "identifier-too-long",
    Severity.warning,
    "hygiene",
    on=(nodes.CreateStmt, nodes.IndexStmt, nodes.RenameStmt, nodes.AlterTableStmt),
    cmds=(AT.AT_AddColumn, AT.AT_AddConstraint),
    summary="identifier longer than 63 bytes",
    why="PostgreSQL silently truncates names to 63 bytes: the object is not called what the migration says, and two long names with the same start collide.",
    instead="Use a name of at most 63 bytes.",
)
def identifier_too_long(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    # the parser has already cut the names, as PostgreSQL does: only the text tells. A run of
    # 64 name characters is looked for first (in C), then strings and comments left out.
    text = ctx.statement.text
    if not _LONG_RUN.search(text):
        return
    text = _STRINGS_AND_COMMENTS.sub(lambda m: " " * len(m.group()), text)
    for match in _IDENTIFIER.finditer(text):
        name = match.group()
        name = name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
        if len(name.encode()) > NAME_BYTES:
            cut = name.encode()[:NAME_BYTES].decode(errors="ignore")
            yield Hit(
                f"{name!r} is {len(name.encode())} bytes: PostgreSQL calls it {cut!r}",
                location=ctx.statement.location + match.start(),
            )


_LONG_RUN = re.compile(r'[\w$]{64}|"[^"]{64}')
_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
_IDENTIFIER = re.compile(r'"(?:[^"]|"")+"|[^\W\d][\w$]*')


@rule(
    "enum-value-out-of-order",
    Severity.warning,
    "hygiene",
    on=(nodes.AlterEnumStmt,),
    summary="ALTER TYPE ... ADD VALUE BEFORE/AFTER another value, on an enum that columns sort by",
    why="An enum sorts by its declared order: a value placed BEFORE or AFTER another is where ORDER BY, <, >, BETWEEN, min/max and range scans of an index on a column of the type put it, and comparisons with a value not added at the end can be slower (PostgreSQL then reads pg_enum to compare). Existing values keep their order.",
    instead="Append new values at the end (plain ADD VALUE) unless the order is meant; if it is, check the queries that compare or sort the columns named.",
)
def enum_value_out_of_order(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if not (node.newVal and node.newValNeighbor):
        return
    where = "before" if node.newValIsAfter is False else "after"
    type_name = str(node.typeName[-1].sval).lower()
    values = ctx.schema.enums.get(type_name)
    users = sorted(
        f"{table.name}.{column.name}"
        for table in ctx.schema.tables.values()
        for column in table.columns.values()
        if column.type.name == type_name
    )
    placed = f"adds enum value {node.newVal!r} {where} {node.newValNeighbor!r}"
    if values is not None and not users:
        return  # the migrations made the type and no column holds it: no stored row sorts by it
    if users:
        yield Hit(
            f"{placed}: {', '.join(users)} now sort and compare it there (ORDER BY, <, >, indexes)"
        )
    else:
        yield Hit(
            f"{placed}: the type is not made by these migrations, so which columns sort or "
            "compare by it is not known here"
        )


@rule(
    "ban-drop-cascade",
    Severity.error,
    "breaking",
    on=(nodes.DropStmt, nodes.AlterTableStmt),
    cmds=(AT.AT_DropColumn, AT.AT_DropConstraint),
    summary="DROP ... CASCADE",
    why="CASCADE also drops every view, constraint, default and function that depends on the object, which the migration does not name and a reviewer does not see.",
    instead="Drop the dependent objects by name first, then drop the object without CASCADE.",
)
def ban_drop_cascade(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    cascade = enums.DropBehavior.DROP_CASCADE
    if isinstance(node, nodes.DropStmt):
        if node.behavior == cascade:
            yield Hit("CASCADE drops every object that depends on it too")
        return
    for cmd in table_cmds(node):
        if cmd.behavior == cascade:
            yield Hit(f"DROP {cmd.name!r} CASCADE drops every object that depends on it too")
