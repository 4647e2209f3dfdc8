"""Read a directory tree of descriptors into one `CatalogGraph` and its findings."""

from __future__ import annotations

import difflib
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from interlock.catalog.backstage import read_backstage
from interlock.catalog.declarations import Declarations, Entity, Reference
from interlock.catalog.graph import CatalogGraph
from interlock.catalog.interlock_format import read_interlock
from interlock.catalog.model import Edge, EdgeKind, Finding, Node, NodeKind, Severity, node_id
from interlock.catalog.yamlsource import load_documents
from interlock.errors import SourceError, UserInputError

BACKSTAGE_FILES = ("catalog-info.yaml", "catalog-info.yml")
INTERLOCK_FILES = ("interlock.yaml", "interlock.yml")
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    ".interlock",
    "__pycache__",
    ".tox",
    ".mypy_cache",
}

# Which graph node kind a Backstage-kind reference lands on.
_NODE_OF_REF = {
    "component": NodeKind.SERVICE,
    "api": NodeKind.API,
    "group": NodeKind.TEAM,
    "database": NodeKind.DATABASE,
    "resource": NodeKind.DATABASE,
    "table": NodeKind.TABLE,
}


@dataclass
class Catalog:
    """The graph read from a directory, the files it came from, and what is wrong with them."""

    root: Path
    graph: CatalogGraph
    files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]


def find_descriptor_files(root: Path) -> list[Path]:
    """Every descriptor under `root`, in a stable order, skipping tool and build folders."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        found.extend(
            Path(folder) / f for f in sorted(files) if f in BACKSTAGE_FILES + INTERLOCK_FILES
        )
    return found


def load_catalog(root: Path) -> Catalog:
    """Read every descriptor under `root`; never raises for bad content, records findings."""
    if not root.is_dir():
        raise UserInputError(f"{root}: not a directory of catalog descriptors")
    declared = Declarations()
    files = find_descriptor_files(root)
    resolved_root = root.resolve()  # once: resolving costs a syscall per path component
    for path in files:
        try:
            for doc in load_documents(path):
                if path.name in BACKSTAGE_FILES:
                    declared.extend(read_backstage(doc, resolved_root))
                else:
                    declared.extend(read_interlock(doc))
        except SourceError as error:
            where = error.position
            declared.findings.append(
                Finding(
                    "bad-yaml",
                    Severity.ERROR,
                    error.message,
                    error.file,
                    where.line or 1,
                    where.column or 1,
                )
            )
    catalog = Catalog(root, CatalogGraph(), [str(p) for p in files], list(declared.findings))
    _Builder(catalog, declared).build()
    catalog.findings.sort(key=lambda f: (f.file, f.line, f.column, f.code))
    return catalog


class _Builder:
    def __init__(self, catalog: Catalog, declared: Declarations) -> None:
        self.catalog = catalog
        self.graph = catalog.graph
        self.declared = declared
        self.known: dict[str, dict[str, Entity]] = defaultdict(dict)

    def finding(
        self,
        code: str,
        message: str,
        where: Entity | Reference,
        severity: Severity = Severity.ERROR,
    ) -> None:
        s = where.source
        self.catalog.findings.append(Finding(code, severity, message, s.file, s.line, s.column))

    def build(self) -> None:
        for entity in self.declared.entities:
            self._add_entity(entity)
        for reference in self.declared.references:
            self._resolve(reference)
        self._derive_calls()
        for cycle in self.graph.calls_cycles():
            first = self.graph.out_edges(node_id(NodeKind.SERVICE, cycle[0]), EdgeKind.CALLS)
            at = next(
                (
                    e.declared_at
                    for e in first
                    if self.graph.node(e.target).name == cycle[(1) % len(cycle)]
                ),
                None,
            )
            ring = " -> ".join([*cycle, cycle[0]])
            if at is not None:
                self.catalog.findings.append(
                    Finding(
                        "calls-cycle",
                        Severity.WARNING,
                        f"services call each other in a cycle: {ring}",
                        at.file,
                        at.line,
                        at.column,
                    )
                )

    def _add_entity(self, entity: Entity) -> None:
        ref_kinds = {
            "Component": ("component",),
            "Service": ("component",),
            "API": ("api",),
            "Group": ("group",),
            "System": ("system",),
            "Domain": ("domain",),
            "Resource": ("resource", "database") if entity.kind else ("resource",),
            "Database": ("database", "resource"),
            "Table": ("table",),
        }[entity.backstage_kind]
        previous = self.known[ref_kinds[0]].get(entity.name)
        mergeable = previous is not None and previous.backstage_kind != entity.backstage_kind
        if previous is not None and not mergeable:
            self.finding(
                "duplicate",
                f"{entity.backstage_kind} {entity.name!r} is already defined at {previous.source}",
                entity,
            )
            return
        for ref_kind in ref_kinds:
            self.known[ref_kind].setdefault(entity.name, entity)
        if entity.kind is None:
            return
        existing = self.graph.get(entity.kind, entity.name)
        if existing is not None:
            existing.attrs.update(
                {k: v for k, v in entity.attrs.items() if k not in existing.attrs}
            )
        else:
            self.graph.add_node(Node(entity.kind, entity.name, entity.source, dict(entity.attrs)))
        if entity.kind == NodeKind.TABLE:
            database = node_id(NodeKind.DATABASE, entity.attrs["database"])
            self.graph.add_edge(
                Edge(
                    database,
                    node_id(NodeKind.TABLE, entity.name),
                    EdgeKind.CONTAINS,
                    declared_at=entity.source,
                )
            )

    def _resolve(self, ref: Reference) -> None:
        target: Entity | None = None
        for kind in ref.target_kinds:
            target = self.known[kind].get(ref.target)
            if target is not None:
                break
        if target is None:
            candidates = [name for kind in ref.target_kinds for name in self.known[kind]]
            close = difflib.get_close_matches(ref.target, candidates, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            kinds = " or ".join(ref.target_kinds)
            self.finding(
                "unknown-reference",
                f"no {kinds} named {ref.target!r} is defined in any file{hint}",
                ref,
            )
            return
        if ref.edge is None or ref.origin[0] is None:
            return
        target_kind = _NODE_OF_REF.get(ref.target_kinds[0])
        if target_kind is None or self.graph.get(target_kind, ref.target) is None:
            return
        if ref.columns:
            self._check_columns(ref)
        source = node_id(ref.origin[0], ref.origin[1])
        self.graph.add_edge(
            Edge(source, node_id(target_kind, ref.target), ref.edge, ref.columns, ref.source)
        )

    def _check_columns(self, ref: Reference) -> None:
        table = self.graph.get(NodeKind.TABLE, ref.target)
        known: list[str] = table.attrs.get("columns", []) if table else []
        if not known:
            return
        for column in ref.columns:
            if column not in known:
                close = difflib.get_close_matches(column, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.finding(
                    "unknown-reference", f"table {ref.target!r} has no column {column!r}{hint}", ref
                )

    def _derive_calls(self) -> None:
        """A service that consumes an API calls the service that provides it."""
        providers: dict[str, list[str]] = defaultdict(list)
        for edge in self.graph.edges(EdgeKind.PROVIDES):
            providers[edge.target].append(edge.source)
        for edge in self.graph.edges(EdgeKind.CONSUMES):
            for provider in providers.get(edge.target, []):
                if provider != edge.source:
                    api = self.graph.node(edge.target).name
                    self.graph.add_edge(
                        Edge(
                            edge.source,
                            provider,
                            EdgeKind.CALLS,
                            declared_at=edge.declared_at,
                            via=api,
                        )
                    )
