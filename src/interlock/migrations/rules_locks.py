"""Lint rules about locks and rewrites: statements that block readers or writers for long.

Lock modes and rewrite facts follow the PostgreSQL docs ("Explicit Locking", ALTER TABLE).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pglast import enums

from interlock.migrations.model import LockFacts, Severity
from interlock.migrations.rulebook import (
    ACCESS_EXCLUSIVE,
    BLOCKING_LOCKS,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    Hit,
    StatementContext,
    rule,
)
from interlock.migrations.schema import SERIAL_TYPES, ColumnType, column_type, relation_name
from interlock.migrations.sqltree import nodes
from interlock.migrations.statement_facts import table_cmds
from interlock.migrations.volatility import VOLATILE_FUNCTIONS, Volatility, volatility

AT = enums.AlterTableType
CONSTR = enums.ConstrType


def _added_default(definition: Any) -> tuple[str, str | None]:
    """How an added column gets values: 'none', 'constant', 'volatile', 'generated', 'identity'."""
    if column_type(definition.typeName).name in SERIAL_TYPES:
        return "volatile", "nextval"
    for constraint in definition.constraints or ():
        if constraint.contype == CONSTR.CONSTR_GENERATED:
            return "generated", None
        if constraint.contype == CONSTR.CONSTR_IDENTITY:
            return "identity", None
        if constraint.contype == CONSTR.CONSTR_DEFAULT:
            verdict, function = volatility(constraint.raw_expr)
            if verdict is Volatility.constant:
                return "constant", None
            return "volatile", function
    return "none", None


@rule(
    "adding-field-with-default",
    Severity.error,
    "locks",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_AddColumn,),
    summary="ADD COLUMN whose default forces a table rewrite",
    why="Filling the new column for every row rewrites the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it ends.",
    instead="Add the column with no default (or a constant one), then ALTER COLUMN ... SET DEFAULT for new rows, then backfill existing rows in small batches.",
)
def adding_field_with_default(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype != AT.AT_AddColumn:
            continue
        kind, function = _added_default(cmd.def_)
        rewrite = LockFacts(ACCESS_EXCLUSIVE, rewrites=True)
        where = cmd.def_.location
        if kind in ("generated", "identity"):
            yield Hit(
                f"adding {kind} column {cmd.def_.colname!r} rewrites the table", rewrite, where
            )
        elif kind == "volatile":
            what = (
                "unknown (assumed volatile)" if function not in VOLATILE_FUNCTIONS else "volatile"
            )
            yield Hit(
                f"default of new column {cmd.def_.colname!r} calls {function}(), which is {what}: every row is rewritten",
                rewrite,
                where,
            )
        elif kind == "constant" and ctx.pg_version < 11:
            yield Hit(
                f"before PostgreSQL 11 any default on new column {cmd.def_.colname!r} rewrites the table",
                rewrite,
                where,
                instead=_DEFAULT_BEFORE_11,
            )


_DEFAULT_BEFORE_11 = (
    "Before PostgreSQL 11 even a constant default rewrites: add the column with no default, "
    "then ALTER COLUMN ... SET DEFAULT for new rows, then backfill existing rows in small batches."
)


@rule(
    "adding-required-field",
    Severity.error,
    "locks",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_AddColumn,),
    summary="ADD COLUMN ... NOT NULL without a default",
    why="PostgreSQL has no value for the existing rows, so the statement fails on any table that has rows.",
    instead="Add the column nullable (or with a constant default), backfill it, add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT NULL.",
)
def adding_required_field(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype != AT.AT_AddColumn:
            continue
        definition = cmd.def_
        not_null = definition.is_not_null or any(
            c.contype in (CONSTR.CONSTR_NOTNULL, CONSTR.CONSTR_PRIMARY)
            for c in definition.constraints or ()
        )
        if not_null and _added_default(definition)[0] == "none":
            yield Hit(
                f"new column {definition.colname!r} is NOT NULL with no default",
                LockFacts(ACCESS_EXCLUSIVE),
                definition.location,
            )


@rule(
    "adding-not-nullable-field",
    Severity.error,
    "locks",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_SetNotNull,),
    summary="SET NOT NULL without a validated CHECK (col IS NOT NULL)",
    why="SET NOT NULL scans the whole table to check every row while holding an ACCESS EXCLUSIVE lock.",
    instead="ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (in a later transaction); then SET NOT NULL (PostgreSQL 12+ skips the scan); then DROP CONSTRAINT c.",
)
def adding_not_nullable_field(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    table = ctx.schema.tables.get(relation_name(node.relation))
    for cmd in table_cmds(node):
        if cmd.subtype != AT.AT_SetNotNull:
            continue
        column = (cmd.name or "").lower()
        known = table.columns.get(column) if table is not None else None
        if known is not None and not known.nullable:
            continue  # already NOT NULL: PostgreSQL does nothing
        proven = table is not None and any(
            check.validated and check.not_null_of == column for check in table.checks.values()
        )
        if proven and ctx.pg_version >= 12:
            continue
        if ctx.pg_version < 12:
            # before 12 SET NOT NULL scans even with a validated CHECK: the CHECK is the way
            yield Hit(
                f"SET NOT NULL on {column!r} scans the table (before PostgreSQL 12 even with a validated CHECK)",
                LockFacts(ACCESS_EXCLUSIVE, scans=True),
                instead=_NOT_NULL_BEFORE_12,
            )
            continue
        yield Hit(
            f"SET NOT NULL on {column!r} scans the table", LockFacts(ACCESS_EXCLUSIVE, scans=True)
        )


_NOT_NULL_BEFORE_12 = (
    "Before PostgreSQL 12 keep the constraint instead: ADD CONSTRAINT c CHECK (col IS NOT NULL) "
    "NOT VALID, then VALIDATE CONSTRAINT c in a later transaction, and do not SET NOT NULL."
)


@rule(
    "adding-foreign-key-constraint",
    Severity.error,
    "locks",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_AddConstraint, AT.AT_AddColumn),
    summary="FOREIGN KEY added without NOT VALID",
    why="Adding a foreign key scans the table to validate every row while holding SHARE ROW EXCLUSIVE locks on both tables: writes to both stop.",
    instead="ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID (instant), then VALIDATE CONSTRAINT in a separate transaction (SHARE UPDATE EXCLUSIVE: reads and writes go on).",
)
def adding_foreign_key(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype == AT.AT_AddColumn:
            # an inline REFERENCES checks nothing while the new column is NULL everywhere;
            # with a default, every row holds a value to look up
            references = any(c.contype == CONSTR.CONSTR_FOREIGN for c in cmd.def_.constraints or ())
            if references and _added_default(cmd.def_)[0] != "none":
                yield Hit(
                    f"new column {cmd.def_.colname!r} REFERENCES with a default: every row is validated",
                    LockFacts(SHARE_ROW_EXCLUSIVE, scans=True),
                    cmd.def_.location,
                )
            continue
        constraint = cmd.def_ if cmd.subtype == AT.AT_AddConstraint else None
        if (
            constraint is not None
            and constraint.contype == CONSTR.CONSTR_FOREIGN
            and not constraint.skip_validation
        ):
            name = constraint.conname or "foreign key"
            yield Hit(
                f"{name} validates every row while writes are blocked",
                LockFacts(SHARE_ROW_EXCLUSIVE, scans=True),
            )


@rule(
    "constraint-missing-not-valid",
    Severity.error,
    "locks",
    on=(nodes.AlterTableStmt,),
    cmds=(
        AT.AT_AddConstraint,
        AT.AT_ValidateConstraint,
    ),
    summary="CHECK added without NOT VALID, or validated in the same transaction",
    why="Adding a CHECK scans the whole table under an ACCESS EXCLUSIVE lock; validating in the same transaction keeps that lock for the scan.",
    instead="ADD CONSTRAINT ... CHECK (...) NOT VALID, commit, then VALIDATE CONSTRAINT in its own transaction (SHARE UPDATE EXCLUSIVE).",
)
def constraint_missing_not_valid(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype == AT.AT_AddConstraint and cmd.def_.contype == CONSTR.CONSTR_CHECK:
            if not cmd.def_.skip_validation:
                name = cmd.def_.conname or "check"
                yield Hit(
                    f"CHECK {name} validates every row under ACCESS EXCLUSIVE",
                    LockFacts(ACCESS_EXCLUSIVE, scans=True),
                )
        elif cmd.subtype == AT.AT_ValidateConstraint and ctx.in_transaction:
            added_in = ctx.schema.not_valid_constraints.get((cmd.name or "").lower())
            if added_in == ctx.migration.version:
                yield Hit(
                    f"VALIDATE CONSTRAINT {cmd.name} runs in the transaction that added it, still holding ACCESS EXCLUSIVE",
                    LockFacts(ACCESS_EXCLUSIVE, scans=True),
                )


@rule(
    "disallowed-unique-constraint",
    Severity.error,
    "locks",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_AddConstraint, AT.AT_AddColumn),
    summary="UNIQUE constraint added without USING INDEX",
    why="The unique index is built while an ACCESS EXCLUSIVE lock is held: no reads or writes for the whole build. UNIQUE cannot be NOT VALID.",
    instead="CREATE UNIQUE INDEX CONCURRENTLY idx ON t (cols); then ALTER TABLE t ADD CONSTRAINT name UNIQUE USING INDEX idx.",
)
def disallowed_unique(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype == AT.AT_AddColumn:
            if any(c.contype == CONSTR.CONSTR_UNIQUE for c in cmd.def_.constraints or ()):
                yield Hit(
                    f"new column {cmd.def_.colname!r} is UNIQUE: its index is built under ACCESS EXCLUSIVE",
                    LockFacts(ACCESS_EXCLUSIVE, scans=True),
                    cmd.def_.location,
                )
            continue
        constraint = cmd.def_ if cmd.subtype == AT.AT_AddConstraint else None
        if (
            constraint is not None
            and constraint.contype == CONSTR.CONSTR_UNIQUE
            and not constraint.indexname
        ):
            yield Hit(
                "UNIQUE builds its index under ACCESS EXCLUSIVE",
                LockFacts(ACCESS_EXCLUSIVE, scans=True),
            )


@rule(
    "adding-serial-primary-key-field",
    Severity.error,
    "locks",
    on=(nodes.AlterTableStmt,),
    cmds=(
        AT.AT_AddConstraint,
        AT.AT_AddColumn,
    ),
    summary="PRIMARY KEY added without USING INDEX",
    why="The primary key's index is built while an ACCESS EXCLUSIVE lock is held: no reads or writes for the whole build.",
    instead="Make the columns NOT NULL safely, CREATE UNIQUE INDEX CONCURRENTLY idx ON t (cols); then ALTER TABLE t ADD CONSTRAINT t_pkey PRIMARY KEY USING INDEX idx.",
)
def adding_primary_key(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    for cmd in table_cmds(node):
        if cmd.subtype == AT.AT_AddConstraint and cmd.def_.contype == CONSTR.CONSTR_PRIMARY:
            if not cmd.def_.indexname:
                yield Hit("PRIMARY KEY builds its index under ACCESS EXCLUSIVE", _PK_FACTS)
        elif cmd.subtype == AT.AT_AddColumn and any(
            c.contype == CONSTR.CONSTR_PRIMARY for c in cmd.def_.constraints or ()
        ):
            yield Hit(
                f"new primary key column {cmd.def_.colname!r} fills and indexes every row under ACCESS EXCLUSIVE",
                LockFacts(ACCESS_EXCLUSIVE, rewrites=True, scans=True),
                cmd.def_.location,
            )


_PK_FACTS = LockFacts(ACCESS_EXCLUSIVE, scans=True)


def binary_coercible(old: ColumnType, new: ColumnType) -> bool:
    """True when PostgreSQL changes the type without rewriting the table (or its indexes)."""
    if old.array != new.array:
        return False
    if old == new:
        return True
    widening = {"varchar", "varbit", "numeric"}
    if old.name == new.name and old.name in widening:
        if not new.modifiers:
            return True
        if not old.modifiers:
            return False
        if old.name == "numeric":
            old_scale = old.modifiers[1] if len(old.modifiers) > 1 else 0
            new_scale = new.modifiers[1] if len(new.modifiers) > 1 else 0
            return new_scale == old_scale and new.modifiers[0] >= old.modifiers[0]
        return new.modifiers[0] >= old.modifiers[0]
    if old.name in ("varchar", "text") and new.name == "text":
        return True
    if old.name == "text" and new.name == "varchar" and not new.modifiers:
        return True
    return old.name == "cidr" and new.name == "inet"


@rule(
    "changing-column-type",
    Severity.error,
    "locks",
    on=(nodes.AlterTableStmt,),
    cmds=(AT.AT_AlterColumnType,),
    summary="ALTER COLUMN TYPE that rewrites the table",
    why="Changing to a type that is not binary-compatible rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock.",
    instead="Add a new column of the new type, dual-write it, backfill in batches, switch readers, then drop the old column. Widening varchar(n), varchar to text and numeric precision are safe.",
)
def changing_column_type(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.is_new(node.relation):
        return
    table = relation_name(node.relation)
    for cmd in table_cmds(node):
        if cmd.subtype != AT.AT_AlterColumnType:
            continue
        new = column_type(cmd.def_.typeName)
        known = ctx.schema.column(table, cmd.name or "")
        using = cmd.def_.raw_default
        if using is not None and _is_column(using, cmd.name or ""):
            using = None  # USING col: the value itself, as with no USING
        if using is None and known is not None:
            if binary_coercible(known.type, new):
                continue
            if _free_timezone_change(ctx, known.type, new):
                continue
            message = f"{cmd.name!r} from {known.type} to {new} rewrites the table"
        elif using is not None:
            message = f"{cmd.name!r} to {new} with USING rewrites the table"
        else:
            message = f"{cmd.name!r} to {new}: old type unknown (table not created in these migrations), assumed to rewrite"
        yield Hit(message, LockFacts(ACCESS_EXCLUSIVE, rewrites=True))


def _is_column(expression: Any, column: str) -> bool:
    if not isinstance(expression, nodes.ColumnRef) or not expression.fields:
        return False
    return str(getattr(expression.fields[-1], "sval", "")).lower() == column.lower()


def _free_timezone_change(ctx: StatementContext, old: ColumnType, new: ColumnType) -> bool:
    """timestamp -> timestamptz keeps the stored values from PostgreSQL 12 when the session's
    TimeZone is UTC (a `SET timezone` earlier in the migration): no rewrite, no index rebuilt."""
    return (
        ctx.pg_version >= 12
        and ctx.timezone_utc
        and old.name == "timestamp"
        and new.name == "timestamptz"
        and old.array == new.array
    )


@rule(
    "require-concurrent-index-creation",
    Severity.error,
    "locks",
    on=(nodes.IndexStmt,),
    summary="CREATE INDEX without CONCURRENTLY",
    why="CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table waits.",
    instead="CREATE INDEX CONCURRENTLY (outside a transaction); if it fails, drop the INVALID index and retry.",
)
def require_concurrent_index_creation(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if not node.concurrent and not ctx.is_new(node.relation):
        name = node.idxname or "index"
        yield Hit(f"{name} blocks writes while it is built", LockFacts(SHARE, scans=True))


@rule(
    "require-concurrent-index-deletion",
    Severity.error,
    "locks",
    on=(nodes.DropStmt,),
    summary="DROP INDEX without CONCURRENTLY",
    why="DROP INDEX takes an ACCESS EXCLUSIVE lock on the table; queued behind a long query it blocks every reader.",
    instead="DROP INDEX CONCURRENTLY IF EXISTS (outside a transaction).",
)
def require_concurrent_index_deletion(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if node.removeType != enums.ObjectType.OBJECT_INDEX or node.concurrent:
        return
    for obj in node.objects or ():
        index = ctx.schema.indexes.get(obj[-1].sval.lower())
        if index is None or not ctx.schema.is_new(index.table, ctx.migration.version):
            yield Hit(f"DROP INDEX {obj[-1].sval} blocks the table", LockFacts(ACCESS_EXCLUSIVE))


def _is_concurrent(node: Any) -> bool:
    if isinstance(node, nodes.ReindexStmt):
        return any(p.defname == "concurrently" for p in node.params or ())
    return bool(node.concurrent)


@rule(
    "ban-concurrent-index-creation-in-transaction",
    Severity.error,
    "locks",
    on=(nodes.IndexStmt, nodes.DropStmt, nodes.ReindexStmt),
    summary="CONCURRENTLY inside a transaction",
    why="CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot run inside a transaction block: the migration fails.",
    instead="Put the statement in its own migration that runs outside a transaction (dbmate transaction:false, Flyway executeInTransaction=false, diesel run_in_transaction = false, golang-migrate: alone in its file).",
)
def concurrent_in_transaction(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if isinstance(node, nodes.DropStmt) and node.removeType != enums.ObjectType.OBJECT_INDEX:
        return
    if ctx.in_transaction and _is_concurrent(node):
        yield Hit("CONCURRENTLY in a transaction fails", LockFacts(SHARE_UPDATE_EXCLUSIVE))


@rule(
    "require-concurrent-reindex",
    Severity.error,
    "locks",
    on=(nodes.ReindexStmt,),
    summary="REINDEX without CONCURRENTLY",
    why="REINDEX holds a SHARE lock on the table (writes wait) and an ACCESS EXCLUSIVE lock on each index (queries that use it wait).",
    instead="REINDEX ... CONCURRENTLY (PostgreSQL 12+), outside a transaction.",
)
def require_concurrent_reindex(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if not _is_concurrent(node):
        yield Hit(
            "REINDEX blocks writes and index readers",
            LockFacts(SHARE, rewrites=True),
            instead=None if ctx.pg_version >= 12 else _REINDEX_BEFORE_12,
        )


_REINDEX_BEFORE_12 = (
    "REINDEX CONCURRENTLY needs PostgreSQL 12: CREATE INDEX CONCURRENTLY a copy, "
    "DROP INDEX CONCURRENTLY the old one, then rename the copy (outside a transaction)."
)


@rule(
    "ban-alter-domain-with-add-constraint",
    Severity.error,
    "locks",
    on=(nodes.AlterDomainStmt,),
    summary="ALTER DOMAIN ... ADD CONSTRAINT",
    why="Adding a domain constraint checks every column of that domain in every table while holding locks on them.",
    instead="Add a NOT VALID constraint and VALIDATE it later, or put the CHECK on the table columns with NOT VALID.",
)
def alter_domain_add_constraint(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if node.subtype == "C" and node.def_ is not None and not node.def_.skip_validation:
        yield Hit(
            "domain constraint scans every table that uses the domain", LockFacts(SHARE, scans=True)
        )


def statement_lock(ctx: StatementContext, node: Any) -> LockFacts | None:
    """The strongest lock `node` takes on a table that already existed, or None."""
    if isinstance(node, nodes.CreateStmt):
        return _references_existing(ctx, _create_constraints(node))
    if isinstance(node, nodes.AlterTableStmt):
        if ctx.is_new(node.relation):
            # a foreign key from a new table still locks the existing table it references
            added = [c.def_ for c in node.cmds or () if c.subtype == AT.AT_AddConstraint]
            return _references_existing(ctx, added)
        cmds = list(node.cmds or ())
        weak = {AT.AT_ValidateConstraint, AT.AT_SetStatistics, AT.AT_SetOptions}
        if cmds and all(c.subtype in weak for c in cmds):
            return LockFacts(SHARE_UPDATE_EXCLUSIVE)
        if cmds and all(
            c.subtype == AT.AT_AddConstraint and c.def_.contype == CONSTR.CONSTR_FOREIGN
            for c in cmds
        ):
            return LockFacts(SHARE_ROW_EXCLUSIVE)
        return LockFacts(ACCESS_EXCLUSIVE)
    if isinstance(node, nodes.IndexStmt):
        return None if node.concurrent or ctx.is_new(node.relation) else LockFacts(SHARE)
    if isinstance(node, nodes.DropStmt) and node.removeType == enums.ObjectType.OBJECT_INDEX:
        indexes = [ctx.schema.indexes.get(obj[-1].sval.lower()) for obj in node.objects or ()]
        on_new = all(i and ctx.schema.is_new(i.table, ctx.migration.version) for i in indexes)
        return None if node.concurrent or on_new else LockFacts(ACCESS_EXCLUSIVE)
    if isinstance(node, nodes.DropStmt) and node.removeType in _DROPS_LOCKING:
        # DROP TRIGGER name ON table names the table first
        at = 0 if node.removeType == enums.ObjectType.OBJECT_TRIGGER else -1
        names = [obj[at].sval.lower() for obj in node.objects or ()]
        on_new = all(ctx.schema.is_new(name, ctx.migration.version) for name in names)
        return None if on_new else LockFacts(ACCESS_EXCLUSIVE)
    if (
        isinstance(node, nodes.RenameStmt | nodes.AlterObjectSchemaStmt)
        and node.relation is not None
    ):
        return None if ctx.is_new(node.relation) else LockFacts(ACCESS_EXCLUSIVE)
    if isinstance(node, nodes.TruncateStmt):
        on_new = all(ctx.is_new(relation) for relation in node.relations or ())
        return None if on_new else LockFacts(ACCESS_EXCLUSIVE)
    if isinstance(node, nodes.CreateTrigStmt):
        return None if ctx.is_new(node.relation) else LockFacts(SHARE_ROW_EXCLUSIVE)
    if isinstance(node, nodes.ReindexStmt) and not _is_concurrent(node):
        return LockFacts(SHARE)
    return None


_DROPS_LOCKING = frozenset(
    {
        enums.ObjectType.OBJECT_TABLE,
        enums.ObjectType.OBJECT_VIEW,
        enums.ObjectType.OBJECT_MATVIEW,
        enums.ObjectType.OBJECT_TRIGGER,
    }
)


def _create_constraints(node: Any) -> list[Any]:
    found = []
    for element in node.tableElts or ():
        if isinstance(element, nodes.Constraint):
            found.append(element)
        elif isinstance(element, nodes.ColumnDef) and element.constraints:
            found.extend(element.constraints)
    return found


def _references_existing(ctx: StatementContext, constraints: list[Any]) -> LockFacts | None:
    """SHARE ROW EXCLUSIVE when a foreign key among `constraints` references a table that
    existed before this migration (its writers wait), else None."""
    for constraint in constraints:
        if (
            constraint.contype == CONSTR.CONSTR_FOREIGN
            and constraint.pktable is not None
            and not ctx.is_new(constraint.pktable)
        ):
            return LockFacts(SHARE_ROW_EXCLUSIVE)
    return None


_LOCKING = (
    nodes.CreateStmt,
    nodes.AlterTableStmt,
    nodes.IndexStmt,
    nodes.DropStmt,
    nodes.RenameStmt,
    nodes.AlterObjectSchemaStmt,
    nodes.TruncateStmt,
    nodes.CreateTrigStmt,
    nodes.ReindexStmt,
)


@rule(
    "require-timeout-settings",
    Severity.warning,
    "locks",
    on=_LOCKING,
    summary="lock-taking statement without lock_timeout / statement_timeout",
    why="A statement waiting for its lock behind one long transaction makes every later query on the table queue behind it: a 1 ms change can stall the service for minutes.",
    instead="SET lock_timeout = '2s'; SET statement_timeout = '5min'; before it (SET LOCAL inside a transaction), and retry the migration when the lock is not granted.",
)
def require_timeout_settings(ctx: StatementContext, node: Any) -> Iterator[Hit]:
    if ctx.timeouts_reported or (ctx.lock_timeout_set and ctx.statement_timeout_set):
        return
    facts = statement_lock(ctx, node)
    if facts is None or facts.lock not in BLOCKING_LOCKS:
        return
    missing = [
        name
        for name, done in (
            ("lock_timeout", ctx.lock_timeout_set),
            ("statement_timeout", ctx.statement_timeout_set),
        )
        if not done
    ]
    ctx.timeouts_reported = True
    yield Hit(
        f"takes {facts.lock} with no {' or '.join(missing)} set (reported once per file)", facts
    )
