"""A readable reference of the JSON API, taken from the app's own OpenAPI document.

Served at `/api/docs` in place of Swagger UI, which would load its scripts from a CDN.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    required: bool
    description: str


@dataclass(frozen=True)
class Operation:
    """One method on one path, with what it takes and what it may answer."""

    method: str
    path: str
    summary: str
    description: str
    tags: list[str]
    parameters: list[Parameter]
    has_body: bool
    responses: list[tuple[str, str]]


def api_reference(document: dict[str, Any]) -> list[Operation]:
    """Every operation of an OpenAPI document, ordered by path then method."""
    operations = []
    for path, item in sorted(document.get("paths", {}).items()):
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=str(op.get("summary", "")),
                    description=str(op.get("description", "")),
                    tags=list(op.get("tags", [])),
                    parameters=[
                        Parameter(
                            name=str(p.get("name")),
                            where=str(p.get("in")),
                            required=bool(p.get("required", False)),
                            description=str(p.get("description", "")),
                        )
                        for p in op.get("parameters", [])
                    ],
                    has_body="requestBody" in op,
                    responses=[
                        (str(code), str(r.get("description", "")))
                        for code, r in sorted(op.get("responses", {}).items())
                    ],
                )
            )
    return operations
