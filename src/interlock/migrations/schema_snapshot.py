"""A normalized, catalog-level picture of a PostgreSQL schema, and the difference of two.

The rollback check compares the picture before the up migrations with the one after
up-then-down: any object added, removed or defined differently is a rollback failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

# Bookkeeping tables of migration tools: their rows change by design, so they are left out.
HISTORY_TABLES = ("schema_migrations", "flyway_schema_history")

_USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'sqitch') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"

# Each query yields (object key, definition); the key says what kind of object it is.
_QUERIES = {
    "table": f"""
        SELECT n.nspname || '.' || c.relname, c.relkind::text
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm', 'f') AND {_USER_SCHEMAS}""",
    "column": f"""
        SELECT n.nspname || '.' || c.relname || '.' || a.attname,
               format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
               || COALESCE(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
               || CASE WHEN a.attidentity <> '' THEN ' IDENTITY ' || a.attidentity::text ELSE '' END
               || CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND {_USER_SCHEMAS}""",
    "constraint": f"""
        SELECT n.nspname || '.' || c.relname || '.' || k.conname, pg_get_constraintdef(k.oid)
               || CASE WHEN k.convalidated THEN '' ELSE ' (not validated)' END
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_SCHEMAS}""",
    "index": f"""
        SELECT n.nspname || '.' || i.relname, pg_get_indexdef(i.oid)
               || CASE WHEN x.indisvalid THEN '' ELSE ' (invalid)' END
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_namespace n ON n.oid = i.relnamespace WHERE {_USER_SCHEMAS}""",
    "view": f"""
        SELECT n.nspname || '.' || c.relname, pg_get_viewdef(c.oid, true)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('v', 'm') AND {_USER_SCHEMAS}""",
    "function": f"""
        SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
               pg_get_functiondef(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.prokind IN ('f', 'p') AND {_USER_SCHEMAS}""",
    "trigger": f"""
        SELECT n.nspname || '.' || c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND {_USER_SCHEMAS}""",
    "sequence": f"""
        SELECT n.nspname || '.' || c.relname,
               format_type(s.seqtypid, NULL) || ' increment ' || s.seqincrement
        FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_USER_SCHEMAS}""",
    "type": f"""
        SELECT n.nspname || '.' || t.typname,
               COALESCE((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                         FROM pg_enum e WHERE e.enumtypid = t.oid), t.typtype::text)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE t.typtype IN ('e', 'd') AND {_USER_SCHEMAS}""",
}


@dataclass(frozen=True)
class SchemaDifference:
    """One object that differs: `before` or `after` is None when it was added or removed."""

    kind: str
    name: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.kind} {self.name} exists after rollback but not before: {self.after}"
        if self.after is None:
            return f"{self.kind} {self.name} is missing after rollback (was: {self.before})"
        return f"{self.kind} {self.name} changed: {self.before!r} -> {self.after!r}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "before": self.before, "after": self.after}


SchemaSnapshot = dict[tuple[str, str], str]


def snapshot_schema(conn: psycopg.Connection[Any]) -> SchemaSnapshot:
    """Every user object of the connected database as {(kind, name): definition}."""
    found: SchemaSnapshot = {}
    for kind, query in _QUERIES.items():
        for name, definition in conn.execute(query).fetchall():
            if any(name.endswith(f".{table}") or f".{table}." in name for table in HISTORY_TABLES):
                continue
            found[(kind, name)] = definition
    return found


def diff_schemas(before: SchemaSnapshot, after: SchemaSnapshot) -> list[SchemaDifference]:
    """What differs between two snapshots, in a stable order."""
    keys = sorted(set(before) | set(after))
    return [
        SchemaDifference(kind, name, before.get((kind, name)), after.get((kind, name)))
        for kind, name in keys
        if before.get((kind, name)) != after.get((kind, name))
    ]
