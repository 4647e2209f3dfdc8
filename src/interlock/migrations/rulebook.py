"""The shape of a lint rule and the registry that the rule families add themselves to.

A rule is a function of one statement in its context that yields `Hit`s; `lint` does the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from interlock.migrations.model import LintSettings, LockFacts, Migration, Severity, SqlSection
from interlock.migrations.model import Statement as ParsedStatement
from interlock.migrations.schema import SchemaModel, relation_name

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
EXCLUSIVE = "EXCLUSIVE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
SHARE = "SHARE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
BLOCKING_LOCKS = frozenset({ACCESS_EXCLUSIVE, EXCLUSIVE, SHARE_ROW_EXCLUSIVE, SHARE})


@dataclass
class StatementContext:
    """One statement with what lint knows around it: the schema before it, transaction, timeouts."""

    statement: ParsedStatement
    section: SqlSection
    migration: Migration
    schema: SchemaModel
    settings: LintSettings
    in_transaction: bool
    lock_timeout_set: bool
    statement_timeout_set: bool
    timeouts_reported: bool = False  # require-timeout-settings speaks once per file
    timezone_utc: bool = False  # a SET timezone = 'UTC' earlier in the file
    _new_asked: Any = None  # most rules ask is_new about the same table: answer once
    _new_answer: bool = False

    @property
    def pg_version(self) -> int:
        return self.settings.pg_version

    def is_new(self, range_var: Any) -> bool:
        """True when the table was created earlier in this same migration."""
        if range_var is not self._new_asked:
            self._new_asked = range_var
            self._new_answer = self.schema.is_new(relation_name(range_var), self.migration.version)
        return self._new_answer


@dataclass(slots=True)  # not frozen: made for every finding, and frozen costs 4x
class Hit:
    """What a rule found; `location` (an offset in the section) defaults to the statement."""

    message: str
    facts: LockFacts | None = None
    location: int | None = None
    instead: str | None = None


Check = Callable[[StatementContext, Any], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A lint rule: id, default severity, family, the texts for people, and its check."""

    id: str
    severity: Severity
    family: str
    summary: str
    why: str
    instead: str
    nodes: tuple[type, ...]
    check: Check
    cmds: frozenset[Any] | None = None  # ALTER TABLE sub-commands it looks at; None: all
    types: frozenset[str] | None = None  # column types it looks at; None: any statement


RULES: dict[str, Rule] = {}

# the order in which one statement's findings come: what locks, what breaks clients, hygiene
FAMILIES = ("locks", "breaking", "hygiene")

# squawk names that cover several of ours, accepted in configuration and ignore comments
ALIASES = {
    "prefer-big-int": ("prefer-bigint-over-int", "prefer-bigint-over-smallint"),
    "prefer-timestamp-tz": ("prefer-timestamptz",),
    "require-lock-timeout": ("require-timeout-settings",),
    "require-statement-timeout": ("require-timeout-settings",),
}


def rule(
    id: str,
    severity: Severity,
    family: str,
    *,
    on: tuple[type, ...],
    summary: str,
    why: str,
    instead: str,
    cmds: Iterable[Any] | None = None,
    types: Iterable[str] | None = None,
) -> Callable[[Check], Check]:
    """Register the decorated check as rule `id`, run on statements of the node types `on`.

    `cmds` names the ALTER TABLE sub-commands (`AlterTableType`) the check looks at: on an
    ALTER TABLE that holds none of them, it is not run at all. `types` likewise names the
    column types (`ColumnType.name`) it looks at: it is run only on a statement that defines
    a column of one of them or changes a column to one (`statement_facts.column_types`).
    """

    def register(check: Check) -> Check:
        wanted_cmds = None if cmds is None else frozenset(cmds)
        wanted_types = None if types is None else frozenset(types)
        RULES[id] = Rule(
            id, severity, family, summary, why, instead, on, check, wanted_cmds, wanted_types
        )
        return check

    return register


def expand_rule_names(names: Iterable[str]) -> frozenset[str]:
    """Rule ids for `names`, with squawk's umbrella names expanded."""
    expanded: set[str] = set()
    for name in names:
        expanded.update(ALIASES.get(name, (name,)))
    return frozenset(expanded)
