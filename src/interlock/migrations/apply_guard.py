"""The guard rails of `migrate apply`: which locks a statement will ask for, who already holds
a conflicting one, how long to back off before trying again, and invalid indexes to clean up.

Lock modes and their conflicts follow PostgreSQL's "Explicit Locking" chapter (table 13.2).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from pglast import enums

from interlock.migrations.dryrun import lock_mode_name
from interlock.migrations.sqltree import nodes

AT = enums.AlterTableType
OBJ = enums.ObjectType
CONSTR = enums.ConstrType

# PostgreSQL's table lock modes, weakest first: the order `apply` ranks held locks by
MODES = (
    "ACCESS SHARE",
    "ROW SHARE",
    "ROW EXCLUSIVE",
    "SHARE UPDATE EXCLUSIVE",
    "SHARE",
    "SHARE ROW EXCLUSIVE",
    "EXCLUSIVE",
    "ACCESS EXCLUSIVE",
)
# for each mode, the modes it conflicts with (PostgreSQL's table of conflicting lock modes)
_CONFLICTS: dict[str, frozenset[str]] = {
    "ACCESS SHARE": frozenset(MODES[7:]),
    "ROW SHARE": frozenset(MODES[6:]),
    "ROW EXCLUSIVE": frozenset(MODES[4:]),
    "SHARE UPDATE EXCLUSIVE": frozenset(MODES[3:]),
    "SHARE": frozenset({MODES[2], MODES[3], *MODES[5:]}),
    "SHARE ROW EXCLUSIVE": frozenset(MODES[2:]),
    "EXCLUSIVE": frozenset(MODES[1:]),
    "ACCESS EXCLUSIVE": frozenset(MODES),
}


def conflicts(wanted: str, held: str) -> bool:
    """True when a lock in mode `wanted` must wait for one held in mode `held`."""
    return held in _CONFLICTS.get(wanted, frozenset())


@dataclass(frozen=True)
class ExpectedLock:
    """A lock a statement will ask for: `relation` as written (maybe schema-qualified)."""

    relation: str
    mode: str

    def __str__(self) -> str:
        return f"{self.mode} on {self.relation}"


def _name(range_var: Any) -> str:
    if range_var.schemaname:
        return f"{range_var.schemaname}.{range_var.relname}"
    return str(range_var.relname)


def _qualified(parts: tuple[Any, ...]) -> str:
    return ".".join(str(p.sval) for p in parts)


def _foreign_keys(constraints: Iterable[Any]) -> list[ExpectedLock]:
    return [
        ExpectedLock(_name(c.pktable), "SHARE ROW EXCLUSIVE")
        for c in constraints
        if c.contype == CONSTR.CONSTR_FOREIGN and c.pktable is not None
    ]


def _alter_table_mode(cmds: tuple[Any, ...]) -> str:
    weak = {AT.AT_ValidateConstraint, AT.AT_SetStatistics, AT.AT_SetOptions, AT.AT_ResetOptions}
    if cmds and all(c.subtype in weak for c in cmds):
        return "SHARE UPDATE EXCLUSIVE"
    if cmds and all(
        c.subtype == AT.AT_AddConstraint and c.def_.contype == CONSTR.CONSTR_FOREIGN for c in cmds
    ):
        return "SHARE ROW EXCLUSIVE"
    return "ACCESS EXCLUSIVE"


def _alter_table(node: Any) -> list[ExpectedLock]:
    cmds = tuple(node.cmds or ())
    found = [ExpectedLock(_name(node.relation), _alter_table_mode(cmds))]
    for cmd in cmds:
        if cmd.subtype == AT.AT_AddConstraint:
            found += _foreign_keys([cmd.def_])
        elif cmd.subtype == AT.AT_AddColumn:
            found += _foreign_keys(cmd.def_.constraints or ())
    return found


def _create_table(node: Any) -> list[ExpectedLock]:
    found: list[ExpectedLock] = []
    for element in node.tableElts or ():
        if isinstance(element, nodes.Constraint):
            found += _foreign_keys([element])
        elif isinstance(element, nodes.ColumnDef):
            found += _foreign_keys(element.constraints or ())
    if node.partbound is not None:
        found += [ExpectedLock(_name(parent), "ACCESS EXCLUSIVE") for parent in node.inhRelations]
    return found


_DROPPED_RELATIONS = {OBJ.OBJECT_TABLE, OBJ.OBJECT_VIEW, OBJ.OBJECT_MATVIEW, OBJ.OBJECT_INDEX}


def _drop(node: Any) -> list[ExpectedLock]:
    if node.removeType == OBJ.OBJECT_TRIGGER:
        # DROP TRIGGER name ON table: the table is the object's name without its last part
        return [
            ExpectedLock(_qualified(obj[:-1]), "ACCESS EXCLUSIVE")
            for obj in node.objects or ()
            if len(obj) > 1
        ]
    if node.removeType not in _DROPPED_RELATIONS:
        return []
    mode = "SHARE UPDATE EXCLUSIVE" if node.concurrent else "ACCESS EXCLUSIVE"
    return [ExpectedLock(_qualified(obj), mode) for obj in node.objects or ()]


def expected_locks(node: Any) -> list[ExpectedLock]:
    """The relation locks a statement asks for on objects named in it (what the pre-check
    looks for others holding). Statements that lock nothing named return []."""
    kind = type(node).__name__
    if kind == "AlterTableStmt" and node.objtype in (OBJ.OBJECT_TABLE, OBJ.OBJECT_MATVIEW):
        return _alter_table(node)
    if kind == "AlterTableStmt":  # ALTER INDEX / VIEW / SEQUENCE
        return [ExpectedLock(_name(node.relation), "ACCESS EXCLUSIVE")]
    if kind == "IndexStmt":
        mode = "SHARE UPDATE EXCLUSIVE" if node.concurrent else "SHARE"
        return [ExpectedLock(_name(node.relation), mode)]
    if kind == "CreateStmt":
        return _create_table(node)
    if kind == "DropStmt":
        return _drop(node)
    if kind in ("RenameStmt", "AlterObjectSchemaStmt") and node.relation is not None:
        return [ExpectedLock(_name(node.relation), "ACCESS EXCLUSIVE")]
    if kind == "TruncateStmt":
        return [ExpectedLock(_name(r), "ACCESS EXCLUSIVE") for r in node.relations or ()]
    if kind == "CreateTrigStmt":
        return [ExpectedLock(_name(node.relation), "SHARE ROW EXCLUSIVE")]
    if kind == "ReindexStmt" and node.relation is not None:
        return [ExpectedLock(_name(node.relation), "SHARE")]
    if kind in ("UpdateStmt", "DeleteStmt", "InsertStmt"):
        return [ExpectedLock(_name(node.relation), "ROW EXCLUSIVE")]
    if kind == "LockStmt":
        mode = MODES[max(0, min(int(node.mode) - 1, 7))]
        return [ExpectedLock(_name(r), mode) for r in node.relations or ()]
    if kind == "ViewStmt" and node.replace:
        return [ExpectedLock(_name(node.view), "ACCESS EXCLUSIVE")]
    return []


@dataclass(frozen=True)
class Blocker:
    """Another session whose transaction holds a lock the statement would wait for."""

    pid: int
    relation: str
    mode: str
    age_ms: float  # how long its transaction has been open
    state: str
    query: str

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "relation": self.relation,
            "mode": self.mode,
            "transaction_age_ms": round(self.age_ms),
            "state": self.state,
            "query": self.query,
        }

    def __str__(self) -> str:
        return (
            f"pid {self.pid} holds {self.mode} on {self.relation} in a transaction open for "
            f"{self.age_ms / 1000:.1f}s ({self.state}: {self.query})"
        )


# Locks held by other backends on these relations (and, for an index, its table), with the
# age of the holder's transaction.
_HELD = """
    WITH wanted AS (
        SELECT to_regclass(name) AS oid FROM unnest(%(names)s::text[]) AS name
    ), targets AS (
        SELECT oid FROM wanted WHERE oid IS NOT NULL
        UNION SELECT i.indrelid FROM pg_index i JOIN wanted w ON i.indexrelid = w.oid
    )
    SELECT a.pid, l.relation::regclass::text, l.mode,
           extract(epoch FROM clock_timestamp() - a.xact_start) * 1000,
           coalesce(a.state, ''), left(regexp_replace(a.query, '\\s+', ' ', 'g'), 200)
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
      AND l.relation IN (SELECT oid FROM targets) AND a.xact_start IS NOT NULL
      AND a.xact_start < clock_timestamp() - make_interval(secs => %(age)s)
"""


def long_blockers(
    conn: psycopg.Connection[Any], wanted: Iterable[ExpectedLock], older_than_ms: float
) -> list[Blocker]:
    """Transactions open longer than `older_than_ms` that hold a lock conflicting with one of
    `wanted`: the statement would queue behind them, and every later query behind it."""
    wanted = list(wanted)
    if not wanted:
        return []
    names = sorted({_regclass_text(lock.relation) for lock in wanted})
    rows = conn.execute(_HELD, {"names": names, "age": older_than_ms / 1000}).fetchall()
    found = []
    for pid, relation, mode, age, state, query in rows:
        held = lock_mode_name(mode)
        bare = relation.rsplit(".", 1)[-1].strip('"')
        asked = [w.mode for w in wanted if w.relation.rsplit(".", 1)[-1] == bare] or [
            w.mode for w in wanted
        ]
        if any(conflicts(mode_wanted, held) for mode_wanted in asked):
            found.append(Blocker(pid, relation, held, float(age), state, query))
    return found


def _regclass_text(relation: str) -> str:
    """A name as to_regclass reads it: each part quoted, as the parser already folded case."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in relation.split("."))


def backoff_ms(attempt: int, base_ms: float, cap_ms: float, rng: random.Random) -> float:
    """The wait before retry `attempt` (1, 2, ...): exponential, capped, with full jitter
    on its upper half so that several migrators do not retry in step."""
    ceiling = min(cap_ms, base_ms * 2 ** (attempt - 1))
    return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


_INVALID_INDEXES = """
    SELECT n.nspname || '.' || c.relname FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE NOT i.indisvalid
"""


def invalid_indexes(conn: psycopg.Connection[Any]) -> set[str]:
    """Indexes marked INVALID (a CREATE INDEX CONCURRENTLY that failed leaves one)."""
    return {row[0] for row in conn.execute(_INVALID_INDEXES).fetchall()}


def drop_indexes(conn: psycopg.Connection[Any], names: Iterable[str]) -> list[str]:
    """DROP INDEX CONCURRENTLY each (autocommit connection); the names dropped."""
    dropped = []
    for name in sorted(names):
        conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {_regclass_text(name)}")
        dropped.append(name)
    return dropped
