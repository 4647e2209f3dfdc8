"""What descriptor files declare, before references are resolved into the graph.

Both formats (Backstage and `interlock.yaml`) are read into the same `Declarations`:
entities with their attributes, and references that name other entities. Resolving
the references is the loader's job, so that an unknown name can be reported with a
did-you-mean drawn from everything every file defines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from interlock.catalog.model import EdgeKind, Finding, NodeKind, Severity, Source
from interlock.catalog.yamlsource import Document

NAME = re.compile(r"^[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$")


@dataclass
class Entity:
    """A declared thing. `kind` is a node kind, or None for Backstage-only kinds (System...)."""

    kind: NodeKind | None
    backstage_kind: str
    name: str
    source: Source
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reference:
    """`origin` relates to a named entity by `edge`; resolved (or reported) by the loader.

    `target_kinds` are the Backstage kinds (lower case) the name may refer to.
    `edge` is None for references that only need to exist (a Component's `system`).
    """

    origin: tuple[NodeKind | None, str]
    target_kinds: tuple[str, ...]
    target: str
    edge: EdgeKind | None
    source: Source
    columns: tuple[str, ...] = ()


@dataclass
class Declarations:
    entities: list[Entity] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def extend(self, other: Declarations) -> None:
        self.entities.extend(other.entities)
        self.references.extend(other.references)
        self.findings.extend(other.findings)

    def finding(self, code: str, message: str, doc: Document, *key: str | int) -> None:
        where = doc.position(*key)
        self.findings.append(
            Finding(code, Severity.ERROR, message, doc.file, where.line or 1, where.column or 1)
        )


def source_of(doc: Document, *key: str | int) -> Source:
    return Source.at(doc.file, doc.position(*key))


def check_name(out: Declarations, doc: Document, name: Any, *key: str | int) -> str | None:
    """Return `name` if it is a valid entity name, else record a `bad-name` finding."""
    if not isinstance(name, str) or not NAME.match(name):
        out.finding(
            "bad-name",
            f"bad name {name!r}: expected 1-63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit",
            doc,
            *key,
        )
        return None
    return name


def string_list(out: Declarations, doc: Document, value: Any, *key: str | int) -> list[str]:
    """A list of strings, or a finding saying that one was expected."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        out.finding("bad-field", f"'{key[-1]}' must be a list of names", doc, *key)
        return []
    return value


def document_mapping(
    out: Declarations, doc: Document, required: tuple[str, ...], api_versions: tuple[str, ...]
) -> dict[str, Any] | None:
    """The document as a mapping holding `required` keys, or None with a finding recorded.

    An unknown apiVersion is reported but does not stop the reading.
    """
    value = doc.value
    if not isinstance(value, dict):
        out.finding("bad-document", f"expected a mapping with {', '.join(required)}", doc)
        return None
    missing = [key for key in required if key not in value]
    if missing:
        out.finding("missing-field", f"missing required field(s): {', '.join(missing)}", doc)
        return None
    if value["apiVersion"] not in api_versions:
        out.finding(
            "bad-field",
            f"unknown apiVersion {value['apiVersion']!r}: expected one of {', '.join(api_versions)}",
            doc,
            "apiVersion",
        )
    return value
