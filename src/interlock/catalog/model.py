"""The typed vocabulary of the catalog: node kinds, edge kinds, nodes, edges, findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from interlock.errors import Position


class NodeKind(StrEnum):
    SERVICE = "service"
    API = "api"
    DATABASE = "database"
    TABLE = "table"
    TEAM = "team"


class EdgeKind(StrEnum):
    CALLS = "calls"  # service -> service
    PROVIDES = "provides"  # service -> api
    CONSUMES = "consumes"  # service -> api
    OWNS = "owns"  # service -> database
    USES = "uses"  # service -> database it depends on (Backstage dependsOn a Resource)
    CONTAINS = "contains"  # database -> table
    READS = "reads"  # service -> table (columns in `columns`)
    WRITES = "writes"  # service -> table (columns in `columns`)
    OWNED_BY = "owned-by"  # service | api | database -> team


def node_id(kind: NodeKind, name: str) -> str:
    """The graph key of a node: `service:orders`, `table:inventory.products`."""
    return f"{kind.value}:{name}"


@dataclass(frozen=True)
class Source:
    """Where a node or edge was declared."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @classmethod
    def at(cls, file: str, position: Position) -> Source:
        return cls(file, position.line or 1, position.column or 1)


@dataclass
class Node:
    """A service, API, database, table or team, with what its descriptors said of it."""

    kind: NodeKind
    name: str
    source: Source | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return node_id(self.kind, self.name)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "name": self.name,
            "source": str(self.source) if self.source else None,
            **self.attrs,
        }


@dataclass(frozen=True)
class Edge:
    """A typed, directed relation between two nodes; `columns` for reads/writes of a table."""

    source: str
    target: str
    kind: EdgeKind
    columns: tuple[str, ...] = ()
    declared_at: Source | None = None
    via: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "target": self.target,
            "kind": self.kind.value,
        }
        if self.columns:
            data["columns"] = list(self.columns)
        if self.via:
            data["via"] = self.via
        if self.declared_at:
            data["declared_at"] = str(self.declared_at)
        return data


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One thing `catalog check` reports: what, how bad, and exactly where."""

    code: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity.value} [{self.code}] {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }
