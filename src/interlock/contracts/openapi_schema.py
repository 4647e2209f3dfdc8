"""The JSON Schema subset OpenAPI 3.0/3.1 uses: validate a value, or make one from a seed.

Shared by the stubs and the spec checks of contracts. Covers type (3.1 type lists), nullable, properties, required, additionalProperties, items, enum,
const, format basics, numeric and length bounds, pattern, oneOf/anyOf/allOf and local `$ref`.
"""

from __future__ import annotations

import ipaddress
import random
import re
import uuid
from datetime import date, datetime
from functools import lru_cache
from typing import Any

MAX_DEPTH = 12


def resolve_ref(schema: Any, root: Any) -> Any:
    """Follow local `$ref`s (`#/components/schemas/Order`) until a schema without one."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = str(schema["$ref"])
        if not ref.startswith("#"):
            return {}
        node = root
        for part in ref.lstrip("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part) if isinstance(node, dict) else None
        schema = node if node is not None else {}
        seen += 1
    return schema


def resolve_pointer(schema: Any, root: Any, pointer: str) -> tuple[Any, str]:
    """Like `resolve_ref`, also returning the JSON pointer of the schema finally reached."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = str(schema["$ref"])
        if not ref.startswith("#"):
            return {}, pointer
        pointer = ref[1:]
        schema = resolve_ref({"$ref": ref}, root)
        seen += 1
    return schema, pointer


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _format_ok(fmt: str, value: str) -> bool:
    try:
        if fmt == "date":
            date.fromisoformat(value)
        elif fmt == "date-time":
            datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            return "T" in value.upper()
        elif fmt == "uuid":
            uuid.UUID(value)
        elif fmt == "email":
            return re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) is not None
        elif fmt == "ipv4":
            ipaddress.IPv4Address(value)
        elif fmt == "ipv6":
            ipaddress.IPv6Address(value)
        elif fmt in ("uri", "url"):
            return re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", value) is not None
    except ValueError:
        return False
    return True


def schema_types(schema: dict[str, Any]) -> list[str]:
    """The schema's `type` as a list (3.1 lists, 3.0 `nullable` adding "null"); [] when any."""
    kind = schema.get("type")
    kinds = list(kind) if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
    if kinds and schema.get("nullable"):
        kinds.append("null")
    return kinds


def validate_schema(
    schema: Any, value: Any, root: Any, where: str = "$", depth: int = 0
) -> list[str]:
    """Every violation of `schema` by `value`, each as `<json path>: <what was expected>`."""
    schema = resolve_ref(schema, root)
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return []
    out: list[str] = []
    kinds = schema_types(schema)
    if value is None and (schema.get("nullable") or "null" in kinds):
        return []
    if kinds and not any(_type_ok(k, value) for k in kinds):
        return [f"{where}: expected {' or '.join(kinds)}, found {_kind_of(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: expected one of {schema['enum']!r}, found {value!r}")
    if "const" in schema and value != schema["const"]:
        out.append(f"{where}: expected {schema['const']!r}, found {value!r}")
    if isinstance(value, str):
        out.extend(_string_problems(schema, value, where))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out.extend(_number_problems(schema, value, where))
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            out.append(f"{where}: expected at least {schema['minItems']} items, found {len(value)}")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            out.append(f"{where}: expected at most {schema['maxItems']} items, found {len(value)}")
        if "items" in schema:
            for index, item in enumerate(value):
                out.extend(
                    validate_schema(schema["items"], item, root, f"{where}[{index}]", depth + 1)
                )
    elif isinstance(value, dict):
        out.extend(_object_problems(schema, value, root, where, depth))
    for sub in schema.get("allOf", []):
        out.extend(validate_schema(sub, value, root, where, depth + 1))
    if "anyOf" in schema and not any(
        not validate_schema(sub, value, root, where, depth + 1) for sub in schema["anyOf"]
    ):
        out.append(f"{where}: expected to match at least one schema of anyOf")
    if "oneOf" in schema:
        passing = sum(
            1 for sub in schema["oneOf"] if not validate_schema(sub, value, root, where, depth + 1)
        )
        if passing != 1:
            out.append(f"{where}: expected to match exactly one schema of oneOf, matched {passing}")
    return out


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return f"string {value!r}"
    return "array" if isinstance(value, list) else "object"


def _string_problems(schema: dict[str, Any], value: str, where: str) -> list[str]:
    out: list[str] = []
    if "minLength" in schema and len(value) < schema["minLength"]:
        out.append(
            f"{where}: expected at least {schema['minLength']} characters, found {len(value)}"
        )
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        out.append(
            f"{where}: expected at most {schema['maxLength']} characters, found {len(value)}"
        )
    if "pattern" in schema and _regex(str(schema["pattern"])).search(value) is None:
        out.append(f"{where}: expected to match pattern {schema['pattern']!r}, found {value!r}")
    fmt = schema.get("format")
    if isinstance(fmt, str) and not _format_ok(fmt, value):
        out.append(f"{where}: expected format {fmt}, found {value!r}")
    return out


def _number_problems(schema: dict[str, Any], value: float, where: str) -> list[str]:
    out: list[str] = []
    low, high = schema.get("minimum"), schema.get("maximum")
    ex_low, ex_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if ex_low is True:  # 3.0: a flag on `minimum`
        ex_low, low = low, None
    if ex_high is True:
        ex_high, high = high, None
    if isinstance(low, int | float) and value < low:
        out.append(f"{where}: expected at least {low}, found {value}")
    if isinstance(high, int | float) and value > high:
        out.append(f"{where}: expected at most {high}, found {value}")
    if isinstance(ex_low, int | float) and not isinstance(ex_low, bool) and value <= ex_low:
        out.append(f"{where}: expected more than {ex_low}, found {value}")
    if isinstance(ex_high, int | float) and not isinstance(ex_high, bool) and value >= ex_high:
        out.append(f"{where}: expected less than {ex_high}, found {value}")
    return out


def _object_problems(
    schema: dict[str, Any], value: dict[str, Any], root: Any, where: str, depth: int
) -> list[str]:
    out: list[str] = []
    properties: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            out.append(f"{where}.{name}: required property is missing")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            out.extend(validate_schema(properties[name], item, root, f"{where}.{name}", depth + 1))
        elif extra is False:
            out.append(f"{where}.{name}: property not allowed by the schema")
        elif isinstance(extra, dict):
            out.extend(validate_schema(extra, item, root, f"{where}.{name}", depth + 1))
    return out


def schema_example(schema: Any, root: Any, rng: random.Random, depth: int = 0) -> Any:
    """A value that fits `schema`: its example or default, else generated from `rng`."""
    schema = resolve_ref(schema, root)
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return None
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if schema.get("enum"):
        return schema["enum"][0]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for sub in schema["allOf"]:
            part = schema_example(sub, root, rng, depth + 1)
            if isinstance(part, dict):
                merged.update(part)
        return merged
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return schema_example(schema[key][0], root, rng, depth + 1)
    kinds = [k for k in schema_types(schema) if k != "null"]
    kind = kinds[0] if kinds else ("object" if "properties" in schema else "string")
    if kind == "object":
        return {
            name: schema_example(sub, root, rng, depth + 1)
            for name, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [schema_example(schema.get("items", {}), root, rng, depth + 1) for _ in range(count)]
    if kind == "integer":
        low = int(schema.get("minimum", 1))
        return rng.randint(low, int(schema.get("maximum", low + 999)))
    if kind == "number":
        floor = float(schema.get("minimum", 0))
        return round(rng.uniform(floor, float(schema.get("maximum", floor + 1000))), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    return _string_value(schema, rng)


def _string_value(schema: dict[str, Any], rng: random.Random) -> str:
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if fmt == "date-time":
        return f"2024-01-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00:00Z"
    if fmt == "date":
        return f"2024-01-{rng.randint(1, 28):02d}"
    if fmt == "email":
        return f"user{rng.randint(1, 999)}@example.com"
    if fmt in ("uri", "url"):
        return f"https://example.com/{rng.randint(1, 999)}"
    if fmt == "ipv4":
        return f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    length = max(int(schema.get("minLength", 0)), min(8, int(schema.get("maxLength", 8))))
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(length))
