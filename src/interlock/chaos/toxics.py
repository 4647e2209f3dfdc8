"""Toxiproxy's toxics as data: their types, attributes, defaults and JSON shape.

Parsing is strict where Toxiproxy answers 400 and lenient where it ignores (unknown keys).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from interlock.errors import InterlockError


class ChaosApiError(InterlockError):
    """A request the Toxiproxy-compatible API refuses, with Toxiproxy's status and wording."""

    def __init__(self, status: int, message: str, path: str | None = None) -> None:
        self.status = status
        self.message = message
        self.path = path
        super().__init__(message)

    def to_json(self) -> dict[str, Any]:
        return {"error": self.message, "status": self.status}


def bad_request(detail: str, path: str | None = None) -> ChaosApiError:
    """Toxiproxy's 400 wording: `bad request body: <detail>`."""
    return ChaosApiError(400, f"bad request body: {detail}", path)


class Stream(StrEnum):
    """Which way a toxic acts: `upstream` is client→server, `downstream` server→client."""

    upstream = "upstream"
    downstream = "downstream"


class ToxicType(StrEnum):
    """The toxic types Interlock implements, named as in Toxiproxy."""

    latency = "latency"
    bandwidth = "bandwidth"
    slow_close = "slow_close"
    timeout = "timeout"
    reset_peer = "reset_peer"
    slicer = "slicer"
    limit_data = "limit_data"


# Each type's integer attributes, in Toxiproxy's order; all default to 0 as in Go.
ATTRIBUTES: dict[ToxicType, tuple[str, ...]] = {
    ToxicType.latency: ("latency", "jitter"),
    ToxicType.bandwidth: ("rate",),
    ToxicType.slow_close: ("delay",),
    ToxicType.timeout: ("timeout",),
    ToxicType.reset_peer: ("timeout",),
    ToxicType.slicer: ("average_size", "size_variation", "delay"),
    ToxicType.limit_data: ("bytes",),
}


@dataclass(frozen=True)
class Toxic:
    """One toxic on a proxy. Immutable: an update makes a new one, so live links notice."""

    name: str
    type: ToxicType
    stream: Stream = Stream.downstream
    toxicity: float = 1.0
    attributes: dict[str, int] = field(default_factory=dict)

    def attr(self, key: str) -> int:
        return self.attributes.get(key, 0)

    def to_json(self) -> dict[str, Any]:
        """Toxiproxy's shape: attributes first, then name, type, stream, toxicity."""
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type.value,
            "stream": self.stream.value,
            "toxicity": self.toxicity,
        }

    def latency_delay(self, rng: random.Random) -> float:
        """Seconds to hold one chunk: `latency` ± `jitter` milliseconds, never negative."""
        delay = self.attr("latency")
        jitter = self.attr("jitter")
        if jitter > 0:
            delay += rng.randint(-jitter, jitter)
        return max(delay, 0) / 1000.0

    def slice_sizes(self, total: int, rng: random.Random) -> list[int]:
        """Cut `total` bytes into pieces of about `average_size` ± `size_variation`."""
        average = max(self.attr("average_size"), 1)
        variation = min(self.attr("size_variation"), average - 1)
        sizes: list[int] = []
        left = total
        while left > 0:
            size = average + (rng.randint(-variation, variation) if variation > 0 else 0)
            size = min(max(size, 1), left)
            sizes.append(size)
            left -= size
        return sizes


def _object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"{path}: expected a JSON object, got {_kind(value)}", path)
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _integer(value: object, path: str) -> int:
    """A non-negative whole number; JSON `1000.0` is accepted, `1.5`, `"10"`, `-1` are not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{path}: expected a whole number, got {_kind(value)}", path)
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise bad_request(f"{path}: expected a whole number, got {value}", path)
    if value < 0:
        raise bad_request(f"{path}: expected a number >= 0, got {value:g}", path)
    return int(value)


def _toxicity(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{path}: expected a number from 0 to 1, got {_kind(value)}", path)
    if not 0.0 <= float(value) <= 1.0:
        raise bad_request(f"{path}: expected a number from 0 to 1, got {value}", path)
    return float(value)


def _attributes(
    kind: ToxicType, raw: object, base: dict[str, int] | None, path: str
) -> dict[str, int]:
    values = dict(base) if base else dict.fromkeys(ATTRIBUTES[kind], 0)
    if raw is None:
        return values
    given = _object(raw, path)
    for key in ATTRIBUTES[kind]:
        if key in given:
            values[key] = _integer(given[key], f"{path}.{key}")
    variation = values.get("size_variation", 0)
    if kind is ToxicType.slicer and variation > 0 and variation >= values["average_size"]:
        raise bad_request(f"{path}.size_variation: must be smaller than average_size", path)
    return values


def parse_toxic(body: object) -> Toxic:
    """A new toxic from a `POST /proxies/{proxy}/toxics` body, with Toxiproxy's defaults."""
    data = _object(body, "$")
    raw_type = data.get("type")
    stream_name = data.get("stream", "downstream")
    if stream_name in ("", None):
        stream_name = "downstream"
    if stream_name not in ("upstream", "downstream"):
        raise ChaosApiError(400, "stream was invalid, can be either upstream or downstream")
    stream = Stream(stream_name)
    if not isinstance(raw_type, str) or raw_type not in ToxicType.__members__:
        raise ChaosApiError(400, "invalid toxic type")
    kind = ToxicType(raw_type)
    name = data.get("name") or f"{kind.value}_{stream.value}"
    if not isinstance(name, str):
        raise bad_request(f"$.name: expected a string, got {_kind(name)}", "$.name")
    toxicity = _toxicity(data["toxicity"], "$.toxicity") if "toxicity" in data else 1.0
    attributes = _attributes(kind, data.get("attributes"), None, "$.attributes")
    return Toxic(name, kind, stream, toxicity, attributes)


def update_toxic(toxic: Toxic, body: object) -> Toxic:
    """`toxic` with the `attributes` and `toxicity` of an update body merged in."""
    data = _object(body, "$")
    toxicity = _toxicity(data["toxicity"], "$.toxicity") if "toxicity" in data else toxic.toxicity
    attributes = _attributes(toxic.type, data.get("attributes"), toxic.attributes, "$.attributes")
    return replace(toxic, toxicity=toxicity, attributes=attributes)
