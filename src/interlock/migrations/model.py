"""The data that migration checks pass around: migrations, parsed statements, findings.

Everything here is a plain dataclass so that every check, report and command shares one shape.
A section's SQL is parsed when its statements are first read (`SqlSection.statements`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields
from enum import StrEnum
from functools import cached_property, partial
from operator import attrgetter
from pathlib import Path
from typing import Any, TypeVar

from interlock.errors import Position, SourceError
from interlock.migrations.sqltree import ParseError, json_fields, parse_statements, parse_trees

T = TypeVar("T")


class Layout(StrEnum):
    """The migration tool whose file layout a directory follows."""

    plain = "plain"
    flyway = "flyway"
    golang_migrate = "golang-migrate"
    dbmate = "dbmate"
    sqitch = "sqitch"
    diesel = "diesel"


@dataclass(slots=True)  # not frozen: that costs 4x per instance, and lint makes one a statement
class Statement:
    """One parsed SQL statement and where it starts (1-based) in its file."""

    node: Any  # a `sqltree` node: pglast's fields, read lazily
    text: str
    line: int
    column: int
    location: int  # character offset of the statement in its section's SQL


@dataclass(frozen=True)
class SqlSection:
    """SQL text taken from a file, possibly a part of it (a dbmate section).

    `first_line` is the 1-based line of the file on which `sql` starts, so that
    positions inside `sql` can be reported as positions in the file.
    """

    path: Path
    sql: str
    first_line: int = 1

    @cached_property
    def statements(self) -> tuple[Statement, ...]:
        """The statements, parsed on first read; SQL that does not parse is a `SourceError`."""
        sql = self.sql
        parsed = self._parsed(parse_statements)
        statements = []
        for item in parsed:
            location = item.location
            length = item.length or len(sql) - location
            line, column = self.position(location)
            text = sql[location : location + length]
            statements.append(Statement(item.node, text, line, column, location))
        return tuple(statements)

    def trees(self, kinds: Collection[str]) -> list[dict[str, Any]]:
        """The statements of these kinds as the parser's JSON (`sqltree.parse_trees`), for a
        schema replay. From the statements when they are parsed already; otherwise parsed
        again and not kept."""
        if "statements" in self.__dict__:
            nodes = (s.node for s in self.statements)
            return [{type(n).__name__: json_fields(n)} for n in nodes if type(n).__name__ in kinds]
        return self._parsed(partial(parse_trees, kinds=kinds))

    def _parsed(self, parse: Callable[[str], list[T]]) -> list[T]:
        try:
            return parse(self.sql)
        except ParseError as error:
            message, index = _split_parse_error(error)
            line, column = self.position(min(index, len(self.sql)))
            raise SourceError(
                str(self.path), Position(line, column), f"SQL does not parse: {message}"
            ) from None

    def release(self) -> None:
        """Drop the parsed statements, to be parsed again if read: their memory is reused."""
        self.__dict__.pop("statements", None)

    def parse(self) -> SqlSection:
        """This section, its statements parsed now: SQL that does not parse raises here."""
        self.statements  # noqa: B018 - the read parses
        return self

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0, *(m.end() for m in re.finditer("\n", self.sql))]

    def position(self, location: int) -> tuple[int, int]:
        """1-based (line, column) in the file of a character offset into `sql`."""
        index = bisect_right(self._line_starts, location) - 1
        return self.first_line + index, location - self._line_starts[index] + 1


def _split_parse_error(error: Exception) -> tuple[str, int]:
    args = error.args
    if len(args) >= 2 and isinstance(args[1], int):
        return str(args[0]), args[1]
    return str(error), 0


class Transaction(StrEnum):
    """Whether the migration tool runs a migration inside a transaction."""

    always = "always"
    never = "never"
    # golang-migrate sends a file as one multi-statement query, which PostgreSQL runs as
    # one implicit transaction when it holds more than one statement
    multi_statement = "multi-statement"


@dataclass(frozen=True)
class Migration:
    """One migration: its place in the order, its up SQL and (when there is one) its down SQL."""

    version: str
    name: str
    up: SqlSection
    down: SqlSection | None
    transaction: Transaction
    layout: Layout
    verify: SqlSection | None = None

    @property
    def runs_in_transaction(self) -> bool:
        if self.transaction is Transaction.multi_statement:
            return len(self.up.statements) > 1
        return self.transaction is Transaction.always

    @property
    def sections(self) -> tuple[SqlSection, ...]:
        """Up, then down and verify where there are."""
        return tuple(s for s in (self.up, self.down, self.verify) if s is not None)

    @property
    def up_path(self) -> Path:
        return self.up.path

    @property
    def up_sql(self) -> str:
        return self.up.sql

    @property
    def down_path(self) -> Path | None:
        return self.down.path if self.down else None

    @property
    def down_sql(self) -> str | None:
        return self.down.sql if self.down else None


class Severity(StrEnum):
    """How bad a finding is: an error fails the check (exit 1), a warning does not."""

    error = "error"
    warning = "warning"


@dataclass(frozen=True)
class LockFacts:
    """What a statement does to a table in PostgreSQL: the lock it takes, rewrite, scan."""

    lock: str  # a PostgreSQL lock mode, e.g. "ACCESS EXCLUSIVE"
    rewrites: bool = False
    scans: bool = False


# Not frozen: that costs 7x per instance, with 13 fields. Not slotted: orjson writes a
# dataclass with a __dict__ four times as fast (8,350 findings: 1.4 ms, not 6 ms).
@dataclass
class Finding:
    """One lint finding at a place in a migration file."""

    rule: str
    severity: Severity
    file: str
    line: int
    column: int
    message: str
    why: str
    instead: str
    lock: str | None = None
    rewrites_table: bool = False
    scans_table: bool = False
    migration: str = ""
    statement: str = ""

    def __reduce__(self) -> tuple[type[Finding], tuple[Any, ...]]:
        # pickled as its fields in order (a lint worker sends thousands): loaded in a third of
        # the default's time, and a sixth smaller
        return Finding, _finding_fields(self)

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain data: its fields by name (as `--format json` writes them)."""
        return dict(vars(self))


_finding_fields = attrgetter(*(f.name for f in fields(Finding)))


DEFAULT_PG_VERSION = 16


@dataclass(frozen=True)
class LintSettings:
    """How to lint: the target PostgreSQL major version, transaction assumption, rules off.

    `pg_version_from` says where the version came from (a flag, a variable, a file, or the
    default), so that a report can say which version its notes assume and why.
    """

    pg_version: int = DEFAULT_PG_VERSION
    assume_in_transaction: bool = False
    disabled_rules: frozenset[str] = frozenset()
    pg_version_from: str = "default"


@dataclass(frozen=True)
class ContextNote:
    """A problem in a migration read only as context for the file linted (replayed for its
    schema): not that file's finding, and no reason to stop."""

    file: str
    message: str  # with the line and column when known: "3:1: SQL does not parse: ..."

    @classmethod
    def of(cls, error: SourceError) -> ContextNote:
        where = str(error.position)
        return cls(error.file, f"{where}: {error.message}" if where else error.message)


@dataclass
class LintReport:
    """The findings of one lint run and what was looked at."""

    settings: LintSettings
    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    statements: int = 0
    notes: list[ContextNote] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.warning)
