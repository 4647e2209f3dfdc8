"""Backstage `catalog-info.yaml` descriptors read into Interlock declarations.

Kinds Component, API, Resource, System, Domain and Group are understood; User and
Location are accepted and ignored; anything else is an unknown kind.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from interlock.catalog.declarations import (
    Declarations,
    Entity,
    Reference,
    check_name,
    document_mapping,
    source_of,
    string_list,
)
from interlock.catalog.model import EdgeKind, NodeKind
from interlock.catalog.yamlsource import Document

KINDS = ("Component", "API", "Resource", "System", "Domain", "Group")
IGNORED_KINDS = ("User", "Location", "Template")
API_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")
DATABASE_TYPES = ("database", "postgres", "postgresql", "mysql", "sqlite", "db")

# What each kind must say in `spec`, as Backstage's own schema requires.
REQUIRED_SPEC: dict[str, tuple[str, ...]] = {
    "Component": ("type", "lifecycle", "owner"),
    "API": ("type", "lifecycle", "owner", "definition"),
    "Resource": ("type", "owner"),
    "System": ("owner",),
    "Domain": ("owner",),
    "Group": ("type",),
}


def parse_entity_ref(ref: str, default_kind: str) -> tuple[str, str]:
    """`[kind:][namespace/]name` -> (lower-case kind, name)."""
    kind, _, rest = ref.partition(":") if ":" in ref else (default_kind, "", ref)
    name = rest.rsplit("/", 1)[-1]
    return kind.lower(), name


def read_backstage(doc: Document, root: Path) -> Declarations:
    """Declarations from one Backstage document; `root` resolves `$text` paths."""
    out = Declarations()
    value = document_mapping(out, doc, ("apiVersion", "kind", "metadata"), API_VERSIONS)
    if value is None:
        return out
    kind = value["kind"]
    if kind in IGNORED_KINDS:
        return out
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        out.finding(
            "unknown-kind",
            f"unknown kind {kind!r}{hint}: expected one of {', '.join(KINDS)}",
            doc,
            "kind",
        )
        return out
    metadata = value["metadata"]
    if not isinstance(metadata, dict) or "name" not in metadata:
        out.finding("missing-field", "missing required field metadata.name", doc, "metadata")
        return out
    name = check_name(out, doc, metadata["name"], "metadata", "name")
    spec = value.get("spec") or {}
    if not isinstance(spec, dict):
        out.finding("bad-field", "spec must be a mapping", doc, "spec")
        return out
    absent = [field for field in REQUIRED_SPEC[kind] if field not in spec]
    if absent:
        out.finding(
            "missing-field",
            f"{kind} {metadata['name']!r} is missing required field(s): "
            + ", ".join(f"spec.{field}" for field in absent),
            doc,
            "spec" if "spec" in value else "kind",
        )
    if name is None:
        return out
    attrs: dict[str, Any] = {
        key: spec[key] for key in ("type", "lifecycle", "system", "domain") if key in spec
    }
    if metadata.get("description"):
        attrs["description"] = metadata["description"]
    for key in ("title", "tags"):
        if key in metadata:
            attrs[key] = metadata[key]
    _READERS[kind](out, doc, name, spec, attrs, root)
    return out


def _owner(
    out: Declarations, doc: Document, origin: tuple[NodeKind, str], spec: dict[str, Any]
) -> None:
    owner = spec.get("owner")
    if isinstance(owner, str):
        kind, name = parse_entity_ref(owner, "group")
        if kind == "group":
            out.references.append(
                Reference(
                    origin, ("group",), name, EdgeKind.OWNED_BY, source_of(doc, "spec", "owner")
                )
            )


def _component(
    out: Declarations,
    doc: Document,
    name: str,
    spec: dict[str, Any],
    attrs: dict[str, Any],
    root: Path,
) -> None:
    out.entities.append(
        Entity(NodeKind.SERVICE, "Component", name, source_of(doc, "metadata", "name"), attrs)
    )
    origin = (NodeKind.SERVICE, name)
    _owner(out, doc, origin, spec)
    if isinstance(spec.get("system"), str):
        out.references.append(
            Reference(origin, ("system",), spec["system"], None, source_of(doc, "spec", "system"))
        )
    for field, edge in (("providesApis", EdgeKind.PROVIDES), ("consumesApis", EdgeKind.CONSUMES)):
        for index, ref in enumerate(string_list(out, doc, spec.get(field), "spec", field)):
            _, target = parse_entity_ref(ref, "api")
            out.references.append(
                Reference(origin, ("api",), target, edge, source_of(doc, "spec", field, index))
            )
    for index, ref in enumerate(string_list(out, doc, spec.get("dependsOn"), "spec", "dependsOn")):
        kind, target = parse_entity_ref(ref, "component")
        edge = EdgeKind.CALLS if kind == "component" else EdgeKind.USES
        out.references.append(
            Reference(origin, (kind,), target, edge, source_of(doc, "spec", "dependsOn", index))
        )


def _api(
    out: Declarations,
    doc: Document,
    name: str,
    spec: dict[str, Any],
    attrs: dict[str, Any],
    root: Path,
) -> None:
    definition = spec.get("definition")
    if isinstance(definition, dict) and "$text" in definition:
        target = str(definition["$text"])
        if target.startswith(("http://", "https://")):
            attrs["definition_url"] = target
        else:
            path = (Path(doc.file).parent / target).resolve()
            if not path.is_file():
                out.finding(
                    "missing-file",
                    f"API definition file {target!r} does not exist (resolved to {path})",
                    doc,
                    "spec",
                    "definition",
                    "$text",
                )
            else:
                attrs["definition_path"] = str(
                    path.relative_to(root) if path.is_relative_to(root) else path
                )
    elif isinstance(definition, str):
        attrs["definition_inline"] = True
    elif definition is not None:
        out.finding(
            "bad-field",
            "spec.definition must be a string or {$text: ./file}",
            doc,
            "spec",
            "definition",
        )
    out.entities.append(
        Entity(NodeKind.API, "API", name, source_of(doc, "metadata", "name"), attrs)
    )
    _owner(out, doc, (NodeKind.API, name), spec)


def _resource(
    out: Declarations,
    doc: Document,
    name: str,
    spec: dict[str, Any],
    attrs: dict[str, Any],
    root: Path,
) -> None:
    is_database = str(spec.get("type", "")).lower() in DATABASE_TYPES
    kind = NodeKind.DATABASE if is_database else None
    out.entities.append(Entity(kind, "Resource", name, source_of(doc, "metadata", "name"), attrs))
    if is_database:
        _owner(out, doc, (NodeKind.DATABASE, name), spec)


def _group(
    out: Declarations,
    doc: Document,
    name: str,
    spec: dict[str, Any],
    attrs: dict[str, Any],
    root: Path,
) -> None:
    out.entities.append(
        Entity(NodeKind.TEAM, "Group", name, source_of(doc, "metadata", "name"), attrs)
    )


def _system_or_domain(kind: str) -> Any:
    def read(
        out: Declarations,
        doc: Document,
        name: str,
        spec: dict[str, Any],
        attrs: dict[str, Any],
        root: Path,
    ) -> None:
        out.entities.append(Entity(None, kind, name, source_of(doc, "metadata", "name"), attrs))
        if kind == "System" and isinstance(spec.get("domain"), str):
            out.references.append(
                Reference(
                    (None, name),
                    ("domain",),
                    spec["domain"],
                    None,
                    source_of(doc, "spec", "domain"),
                )
            )

    return read


_READERS = {
    "Component": _component,
    "API": _api,
    "Resource": _resource,
    "Group": _group,
    "System": _system_or_domain("System"),
    "Domain": _system_or_domain("Domain"),
}
