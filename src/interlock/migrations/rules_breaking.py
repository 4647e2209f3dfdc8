"""Lint rules about changes that break the services still running the previous release.

Drops, renames and moves of things that other code reads are errors unless done expand/contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import enums

from interlock.migrations.model import LockFacts, Severity
from interlock.migrations.rulebook import ACCESS_EXCLUSIVE, Hit, StatementContext, rule
from interlock.migrations.sqltree import nodes
from interlock.migrations.statement_facts import table_cmds

AT = enums.AlterTableType
OBJ = enums.ObjectType
_EXPAND_CONTRACT = "Expand/contract: deploy code that no longer uses it everywhere first, then remove it in a later migration."


@rule(
    "ban-drop-column",
    Severity.error,
    "breaking",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_DropColumn,),
    summary="DROP COLUMN",
    why="Services still running the previous release read or write the column and fail.",
    instead=_EXPAND_CONTRACT,
)
def ban_drop_column(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype == AT.AT_DropColumn:
            yield Hit(f"drops column {cmd.name!r}", LockFacts(ACCESS_EXCLUSIVE))


@rule(
    "ban-drop-not-null",
    Severity.warning,
    "breaking",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_DropNotNull,),
    summary="DROP NOT NULL",
    why="Readers that assume the column is never NULL will meet NULLs.",
    instead="Make sure every consumer handles NULL before dropping the constraint.",
)
def ban_drop_not_null(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype == AT.AT_DropNotNull:
            yield Hit(f"column {cmd.name!r} may now be NULL", LockFacts(ACCESS_EXCLUSIVE))


@rule(
    "ban-drop-constraint",
    Severity.warning,
    "breaking",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_DropConstraint,),
    summary="DROP CONSTRAINT",
    why="Readers may rely on what the constraint guaranteed (uniqueness, references, checks); data that breaks it can now be written.",
    instead="Check that no consumer relies on it; to replace a constraint, add the new one (NOT VALID, then VALIDATE) before dropping the old.",
)
def ban_drop_constraint(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype == AT.AT_DropConstraint:
            yield Hit(f"drops constraint {cmd.name!r}", LockFacts(ACCESS_EXCLUSIVE))


@rule(
    "ban-drop-default",
    Severity.warning,
    "breaking",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_ColumnDefault,),
    summary="ALTER COLUMN ... DROP DEFAULT",
    why="Writers that leave the column out now insert NULL, or fail when the column is NOT NULL.",
    instead="Make every writer set the column explicitly first, then drop the default.",
)
def ban_drop_default(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype == AT.AT_ColumnDefault and cmd.def_ is None:
            yield Hit(f"drops the default of {cmd.name!r}", LockFacts(ACCESS_EXCLUSIVE))


@rule(
    "renaming-column",
    Severity.error,
    "breaking",
    on=(nodes.RenameStmt,),
    summary="RENAME COLUMN",
    why="Services still running the previous release use the old name and fail.",
    instead="Add the new column, dual-write both, backfill, switch readers to the new one, then drop the old column.",
)
def renaming_column(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if node.renameType == OBJ.OBJECT_COLUMN and node.relation and not ctx.is_new(node.relation):
        yield Hit(
            f"renames column {node.subname!r} to {node.newname!r}", LockFacts(ACCESS_EXCLUSIVE)
        )


@rule(
    "renaming-table",
    Severity.error,
    "breaking",
    on=(nodes.RenameStmt,),
    summary="RENAME TABLE",
    why="Services still running the previous release use the old name and fail.",
    instead="Rename, then CREATE VIEW old_name AS SELECT * FROM new_name for the old readers until they are gone; or copy to a new table with dual writes.",
)
def renaming_table(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if node.renameType == OBJ.OBJECT_TABLE and node.relation and not ctx.is_new(node.relation):
        yield Hit(
            f"renames table {node.relation.relname!r} to {node.newname!r}",
            LockFacts(ACCESS_EXCLUSIVE),
        )


@rule(
    "ban-set-schema",
    Severity.error,
    "breaking",
    on=(nodes.AlterObjectSchemaStmt,),
    summary="SET SCHEMA",
    why="Queries that name the object in its old schema (or find it through search_path) stop finding it.",
    instead=_EXPAND_CONTRACT,
)
def ban_set_schema(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if node.relation is not None and ctx.is_new(node.relation):
        return
    yield Hit(f"moves an object to schema {node.newschema!r}", LockFacts(ACCESS_EXCLUSIVE))


@rule(
    "ban-drop-database",
    Severity.error,
    "breaking",
    on=(nodes.DropdbStmt,),
    summary="DROP DATABASE",
    why="Everything in it is gone for every service.",
    instead="Do not drop databases in migrations; retire a database by hand once nothing connects to it.",
)
def ban_drop_database(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    yield Hit(f"drops database {node.dbname!r}")


@rule(
    "ban-truncate-cascade",
    Severity.error,
    "breaking",
    on=(nodes.TruncateStmt,),
    summary="TRUNCATE ... CASCADE",
    why="CASCADE also empties every table with a foreign key to these, however far the chain goes.",
    instead="TRUNCATE the tables you mean by name, without CASCADE.",
)
def ban_truncate_cascade(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if node.behavior == enums.DropBehavior.DROP_CASCADE:
        yield Hit("TRUNCATE CASCADE empties referencing tables too", LockFacts(ACCESS_EXCLUSIVE))


_DROPS = {
    "ban-drop-table": ({OBJ.OBJECT_TABLE}, "table"),
    "ban-drop-view": ({OBJ.OBJECT_VIEW, OBJ.OBJECT_MATVIEW}, "view"),
    "ban-drop-function": ({OBJ.OBJECT_FUNCTION, OBJ.OBJECT_PROCEDURE}, "function"),
    "ban-drop-type": ({OBJ.OBJECT_TYPE, OBJ.OBJECT_DOMAIN}, "type"),
    "ban-drop-schema": ({OBJ.OBJECT_SCHEMA}, "schema"),
}


def _object_name(obj: Any) -> str:
    if isinstance(obj, tuple):
        return ".".join(str(getattr(part, "sval", "")) for part in obj)
    if isinstance(obj, nodes.ObjectWithArgs):
        return ".".join(part.sval for part in obj.objname or ())
    if isinstance(obj, nodes.TypeName):
        return ".".join(part.sval for part in obj.names or ())
    return str(getattr(obj, "sval", obj))


def _recreated(ctx: StatementContext, noun: str, name: str) -> bool:
    """True when a later statement of the same transaction creates `name` again."""
    if not ctx.in_transaction:
        return False
    statements = ctx.section.statements
    start = statements.index(ctx.statement) + 1
    for statement in statements[start:]:
        node = statement.node
        if isinstance(node, nodes.TransactionStmt):
            return False
        if noun == "view" and isinstance(node, nodes.ViewStmt):
            made = node.view.relname
        elif noun == "view" and isinstance(node, nodes.CreateTableAsStmt):
            made = node.into.rel.relname
        elif noun == "function" and isinstance(node, nodes.CreateFunctionStmt):
            made = node.funcname[-1].sval
        else:
            continue
        if str(made).lower() == name:
            return True
    return False


def _drop_rule(rule_id: str, kinds: set[Any], noun: str) -> None:
    @rule(
        rule_id,
        Severity.error,
        "breaking",
        on=(nodes.DropStmt,),
        summary=f"DROP {noun.upper()}",
        why=f"Services still running the previous release use the {noun} and fail.",
        instead=_EXPAND_CONTRACT,
    )
    def check(ctx: StatementContext, node: Any) -> Iterator[Hit]:
        if node.removeType not in kinds:
            return
        names = []
        for obj in node.objects or ():
            name = _object_name(obj)
            bare = name.rsplit(".", 1)[-1].lower()
            if noun == "table" and ctx.schema.is_new(bare, ctx.migration.version):
                continue
            if noun in ("view", "function") and _recreated(ctx, noun, bare):
                continue  # dropped and made again in the same transaction: a replacement
            names.append(name)
        if names:  # one finding a statement, however many objects it drops
            lock = LockFacts(ACCESS_EXCLUSIVE) if noun in ("table", "view") else None
            plural = "s" if len(names) > 1 else ""
            yield Hit(f"drops {noun}{plural} {', '.join(names)}", lock)


for _id, (_kinds, _noun) in _DROPS.items():
    _drop_rule(_id, _kinds, _noun)
