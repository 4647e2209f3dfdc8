"""`catalog check` as a function: findings with a summary, and a loader that insists on no errors.

Commands that need a usable graph (`map`, `impact`) call `load_valid_catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.catalog.loader import Catalog, load_catalog
from interlock.catalog.model import Finding, NodeKind, Severity
from interlock.errors import UserInputError


class InvalidCatalogError(UserInputError):
    """The descriptors have errors, so no trustworthy graph can be drawn from them."""

    def __init__(self, root: Path, findings: list[Finding]) -> None:
        self.root = root
        self.findings = findings
        errors = sum(1 for f in findings if f.severity is Severity.ERROR)
        super().__init__(
            f"{root}: the catalog has {errors} error(s); run `interlock catalog check` to see them"
        )


@dataclass(frozen=True)
class CheckReport:
    """What `catalog check` found in a directory, with counts for the summary line."""

    root: Path
    files: int
    nodes: dict[str, int]
    edges: int
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def exit_code(self) -> int:
        """0 when clean, 1 when there is any finding (warnings included)."""
        return 1 if self.findings else 0

    def summary(self) -> str:
        """One line: `12 files, 40 nodes, 75 edges: 1 error, 2 warnings`."""
        things = ", ".join(
            _count(count, kind.replace("api", "API")) for kind, count in self.nodes.items() if count
        )
        size = f"{_count(self.files, 'file')}, {things or 'no nodes'}, {_count(self.edges, 'edge')}"
        if not self.findings:
            return f"{size}: no findings"
        return f"{size}: {_count(self.errors, 'error')}, {_count(self.warnings, 'warning')}"

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "files": self.files,
            "nodes": self.nodes,
            "edges": self.edges,
            "errors": self.errors,
            "warnings": self.warnings,
            "findings": [f.to_json() for f in self.findings],
        }


def check_catalog(root: Path) -> CheckReport:
    """Load every descriptor under `root` and report what is wrong, with a summary."""
    catalog = load_catalog(root)
    graph = catalog.graph
    nodes = {kind.value: len(graph.nodes(kind)) for kind in NodeKind}
    return CheckReport(root, len(catalog.files), nodes, len(graph.edges()), tuple(catalog.findings))


def load_valid_catalog(root: Path) -> Catalog:
    """The catalog under `root`; raises `InvalidCatalogError` when it has error findings."""
    catalog = load_catalog(root)
    if catalog.errors:
        raise InvalidCatalogError(root, catalog.findings)
    return catalog


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
