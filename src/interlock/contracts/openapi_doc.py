"""OpenAPI 3.0/3.1 documents: reading and checking the structure, operations, path templates.

Used by the stubs (routes from a document) and by the contract checks (pact against spec, diff).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from interlock.contracts.openapi_schema import resolve_pointer, resolve_ref
from interlock.errors import Position, SourceError

_BOUNDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_TEMPLATE = re.compile(r"\{([^}/]+)\}")


def json_pointer(*parts: str) -> str:
    """`("paths", "/orders/{id}", "get")` -> `/paths/~1orders~1{id}/get` (RFC 6901)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class PathTemplate:
    """An OpenAPI path template (`/orders/{order_id}`) that matches concrete paths."""

    text: str
    names: tuple[str, ...]
    regex: re.Pattern[str] | None

    @classmethod
    def parse(cls, text: str) -> PathTemplate:
        """Compile a template; a template without `{name}` matches only itself."""
        names = tuple(_TEMPLATE.findall(text))
        if not names:
            return cls(text, (), None)
        pattern = "".join(
            f"(?P<p{i}>[^/]+)" if i % 2 else re.escape(piece)
            for i, piece in enumerate(_TEMPLATE.split(text))
        )
        return cls(text, names, re.compile(pattern))

    @property
    def shape(self) -> str:
        """The template with its parameter names blanked: `/orders/{}` (renames are not changes)."""
        return _TEMPLATE.sub("{}", self.text)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when `path` fits the template, else None."""
        if self.regex is None:
            return {} if path == self.text else None
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        return {name: found.group(f"p{2 * i + 1}") for i, name in enumerate(self.names)}


@dataclass(frozen=True)
class OpenApiOperation:
    """One operation (method on a path) with its path-level and own parameters merged."""

    template: PathTemplate
    method: str
    operation: dict[str, Any]
    parameters: tuple[dict[str, Any], ...]
    pointer: str

    @property
    def label(self) -> str:
        """`GET /orders/{order_id}`."""
        return f"{self.method.upper()} {self.template.text}"

    @property
    def key(self) -> str:
        """`GET /orders/{}`: the same operation across documents, whatever its parameter names."""
        return f"{self.method.upper()} {self.template.shape}"


@dataclass(frozen=True)
class OpenApiDocument:
    """A checked OpenAPI document and the file it came from."""

    source: str
    data: dict[str, Any]
    operations: tuple[OpenApiOperation, ...] = field(default=())

    @property
    def title(self) -> str:
        """`info.title`, or "openapi"."""
        return str((self.data.get("info") or {}).get("title") or "openapi")

    def resolve(self, value: Any) -> Any:
        """Follow local `$ref`s inside this document."""
        return resolve_ref(value, self.data)

    def resolve_at(self, value: Any, pointer: str) -> tuple[Any, str]:
        """Follow local `$ref`s, returning the value and the JSON pointer it lives at."""
        return resolve_pointer(value, self.data, pointer)

    def find(self, method: str, path: str) -> tuple[OpenApiOperation | None, list[str]]:
        """The operation for a request, or None and the methods the matching path has.

        Literal templates win over templated ones, and fewer parameters over more.
        """
        methods: list[str] = []
        for candidate in sorted(self.operations, key=lambda o: len(o.template.names)):
            if candidate.template.match(path) is None:
                continue
            if candidate.method == method.lower():
                return candidate, []
            methods.append(candidate.method.upper())
        return None, methods

    def base_paths(self) -> list[str]:
        """The path parts of `servers[*].url` (`/api/v1`), which requests may carry in front."""
        out = []
        for server in self.data.get("servers") or []:
            url = str(server.get("url", "")) if isinstance(server, dict) else ""
            path = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*", "", url).rstrip("/")
            if path and "{" not in path:
                out.append(path)
        return out


def read_document_file(path: Path) -> Any:
    """A JSON or YAML file's data; a syntax error names the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SourceError(str(path), None, f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:  # a binary file given by mistake (an image, an archive)
        raise SourceError(
            str(path),
            None,
            "expected a UTF-8 text file (JSON or YAML), found a byte that is not UTF-8 "
            f"at offset {error.start}",
        ) from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise SourceError(str(path), Position(error.lineno, error.colno), error.msg) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        position = Position(mark.line + 1, mark.column + 1) if mark is not None else None
        raise SourceError(str(path), position, f"not valid YAML: {error}") from None


def load_openapi(path: Path) -> OpenApiDocument:
    """Read and check an OpenAPI 3.0/3.1 document (JSON or YAML)."""
    return parse_openapi(read_document_file(path), str(path))


def parse_openapi(data: Any, source: str) -> OpenApiDocument:
    """Check the structure Interlock relies on; a problem names `source` and its JSON path."""
    check = _StructureCheck(data, source)
    if not isinstance(data, dict):
        raise check.fail("$", "expected an OpenAPI document (an object with `openapi` and `paths`)")
    version = str(data.get("openapi", ""))
    if not version.startswith("3."):
        raise check.fail("$.openapi", f"expected OpenAPI 3.0 or 3.1, found {version!r}")
    paths = data.get("paths", {})
    if not isinstance(paths, dict):
        raise check.fail("$.paths", "expected an object of paths")
    for key in ("info", "components"):
        if not isinstance(data.get(key, {}), dict):
            raise check.fail(f"$.{key}", "expected an object")
    schemas = (data.get("components") or {}).get("schemas") or {}
    if not isinstance(schemas, dict):
        raise check.fail("$.components.schemas", "expected an object of schemas")
    for name, schema in schemas.items():
        check.schema(schema, f"$.components.schemas.{name}")
    operations = []
    for template, item in paths.items():
        where = f"$.paths[{template!r}]"
        if not str(template).startswith("/"):
            raise check.fail(where, "expected a path starting with '/'")
        if not isinstance(item, dict):
            raise check.fail(where, "expected an object (a path item)")
        shared = check.parameters(item.get("parameters", []), f"{where}.parameters")
        for method in METHODS:
            if method in item:
                own, operation = check.operation(item[method], f"{where}.{method}")
                merged = {(p["in"], p["name"]): p for p in [*shared, *own]}
                operations.append(
                    OpenApiOperation(
                        PathTemplate.parse(str(template)),
                        method,
                        operation,
                        tuple(merged.values()),
                        json_pointer("paths", str(template), method),
                    )
                )
    return OpenApiDocument(source, data, tuple(operations))


class _StructureCheck:
    """The structural checks of one document, each failure naming the file and JSON path."""

    def __init__(self, data: Any, source: str) -> None:
        self.data = data
        self.source = source

    def fail(self, where: str, message: str) -> SourceError:
        return SourceError(self.source, Position(path=where), message)

    def resolved(self, value: Any, where: str) -> Any:
        """`value` with its `$ref` followed, after checking the reference leads somewhere."""
        if isinstance(value, dict) and "$ref" in value:
            ref = str(value["$ref"])
            if not ref.startswith("#/") or resolve_ref(value, self.data) == {}:
                raise self.fail(
                    f"{where}.$ref", f"expected a reference inside the document, found {ref!r}"
                )
            return resolve_ref(value, self.data)
        return value

    def mapping(self, value: Any, where: str, what: str) -> dict[str, Any]:
        value = self.resolved(value, where)
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object ({what})")
        return value

    def operation(self, value: Any, at: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        operation = self.mapping(value, at, "an operation")
        own = self.parameters(operation.get("parameters", []), f"{at}.parameters")
        responses = operation.get("responses")
        if not isinstance(responses, dict) or not responses:
            raise self.fail(f"{at}.responses", "expected at least one response")
        for code, raw in responses.items():
            where = f"{at}.responses[{str(code)!r}]"
            response = self.mapping(raw, where, "a response")
            headers = self.mapping(response.get("headers") or {}, f"{where}.headers", "headers")
            for name, header in headers.items():
                found = self.mapping(header, f"{where}.headers.{name}", "a header")
                self.schema(found.get("schema", {}), f"{where}.headers.{name}.schema")
            self.content(response.get("content"), f"{where}.content")
        if operation.get("requestBody") is not None:
            body = self.mapping(operation["requestBody"], f"{at}.requestBody", "a request body")
            self.content(body.get("content"), f"{at}.requestBody.content")
        return own, operation

    def content(self, value: Any, where: str) -> None:
        if value is None:
            return
        for media_type, media in self.mapping(value, where, "media types").items():
            at = f"{where}[{media_type!r}]"
            if media is not None:
                self.schema(
                    self.mapping(media, at, "a media type").get("schema", {}), f"{at}.schema"
                )

    def parameters(self, value: Any, where: str) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise self.fail(where, "expected an array of parameters")
        out = []
        for index, raw in enumerate(value):
            at = f"{where}[{index}]"
            param = self.resolved(raw, at)
            if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                raise self.fail(f"{at}.name", "expected a parameter with a string `name`")
            if param.get("in") not in ("path", "query", "header", "cookie"):
                raise self.fail(f"{at}.in", "expected one of path, query, header, cookie")
            self.schema(param.get("schema", {}), f"{at}.schema")
            out.append(param)
        return out

    def schema(self, value: Any, where: str, depth: int = 0) -> None:
        """The keywords Interlock walks have the shape JSON Schema gives them (refs not followed)."""
        if isinstance(value, bool) or depth > 64:
            return
        if not isinstance(value, dict):
            raise self.fail(where, "expected a schema (an object)")
        if "$ref" in value:
            self.resolved(value, where)
            return
        kind = value.get("type")
        if kind is not None and not isinstance(kind, str | list):
            raise self.fail(f"{where}.type", "expected a type name or a list of them")
        for key in ("required", "enum", "allOf", "anyOf", "oneOf"):
            if key in value and not isinstance(value[key], list):
                raise self.fail(f"{where}.{key}", "expected an array")
        if not all(isinstance(name, str) for name in value.get("required", [])):
            raise self.fail(f"{where}.required", "expected an array of property names")
        for key in _BOUNDS:
            if key in value and not isinstance(value[key], int | float):
                raise self.fail(f"{where}.{key}", "expected a number")
        if "pattern" in value:
            try:
                re.compile(value["pattern"])
            except (re.error, TypeError):
                raise self.fail(f"{where}.pattern", "expected a regular expression") from None
        properties = value.get("properties", {})
        if not isinstance(properties, dict):
            raise self.fail(f"{where}.properties", "expected an object of schemas")
        for name, sub in properties.items():
            self.schema(sub, f"{where}.properties.{name}", depth + 1)
        for key in ("items", "additionalProperties", "not"):
            if key in value:
                self.schema(value[key], f"{where}.{key}", depth + 1)
        for key in ("allOf", "anyOf", "oneOf"):
            for index, sub in enumerate(value.get(key, [])):
                self.schema(sub, f"{where}.{key}[{index}]", depth + 1)


def coerce_parameter(raw: str, schema: Any, root: Any) -> Any:
    """A parameter's text as the type its schema wants, left as text when it does not parse."""
    schema = resolve_ref(schema, root)
    kind = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw
