"""Whether a column default is volatile: what decides if ADD COLUMN rewrites the table.

Since PostgreSQL 11 a non-volatile default is stored once in the catalog; a volatile one
(`random()`, `gen_random_uuid()`, `clock_timestamp()`) must be computed per row, a rewrite.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from interlock.migrations.sqltree import nodes, walk

# pg_proc.provolatile = 'v' for these (checked against the PostgreSQL catalogs)
VOLATILE_FUNCTIONS = frozenset(
    {
        "random",
        "random_normal",
        "setseed",
        "gen_random_uuid",
        "uuidv4",
        "uuidv7",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "gen_random_bytes",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "currval",
        "lastval",
        "txid_current",
        "pg_current_xact_id",
        "gen_salt",
    }
)

# immutable or stable: evaluated once when the column is added
NON_VOLATILE_FUNCTIONS = frozenset(
    {
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "current_setting",
        "current_database",
        "current_schema",
        "lower",
        "upper",
        "btrim",
        "trim",
        "ltrim",
        "rtrim",
        "replace",
        "concat",
        "concat_ws",
        "length",
        "substring",
        "left",
        "right",
        "md5",
        "abs",
        "round",
        "floor",
        "ceil",
        "greatest",
        "least",
        "to_timestamp",
        "to_char",
        "to_date",
        "date_trunc",
        "make_date",
        "make_interval",
        "timezone",
        "json_build_object",
        "jsonb_build_object",
        "json_build_array",
        "jsonb_build_array",
        "array_fill",
        "uuid_nil",
    }
)


class Volatility(StrEnum):
    """How often an expression's value may change: decides a rewrite on ADD COLUMN."""

    constant = "constant"  # immutable or stable: computed once
    volatile = "volatile"  # per row: a rewrite
    unknown = "unknown"  # a function we do not know; treated as volatile


def volatility(expression: Any) -> tuple[Volatility, str | None]:
    """The volatility of a default expression, and the function that decided it."""
    verdict: tuple[Volatility, str | None] = (Volatility.constant, None)
    for node in walk(expression):
        if isinstance(node, nodes.FuncCall):
            name = str(node.funcname[-1].sval).lower()  # a call always has a name
            if name in VOLATILE_FUNCTIONS:
                return Volatility.volatile, name
            if name not in NON_VOLATILE_FUNCTIONS:
                verdict = (Volatility.unknown, name)
    return verdict
