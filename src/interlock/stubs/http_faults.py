"""HTTP faults on a stub, per service and per route, named with Toxiproxy's toxic vocabulary.

latency, bandwidth, slow_close, timeout, reset_peer and limit_data (a truncated body) as in
Toxiproxy, plus `error`: an error status for a share of requests or for the first N.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from interlock.errors import UserInputError

FAULT_TYPES: dict[str, tuple[str, ...]] = {
    "latency": ("latency", "jitter"),
    "error": ("status", "first"),
    "reset_peer": ("timeout",),
    "timeout": ("timeout",),
    "limit_data": ("bytes",),
    "bandwidth": ("rate",),
    "slow_close": ("delay",),
}
"""Each fault type and its integer attributes (milliseconds, bytes, KB/s, a status, a count)."""

ALIASES = {"reset": "reset_peer", "truncate": "limit_data", "truncated_body": "limit_data"}


class FaultError(UserInputError):
    """A fault description that cannot be used; the message names the field."""


@dataclass
class HttpFault:
    """One fault on a service; `route` (`GET /orders`) narrows it to one method and path."""

    name: str
    type: str
    route: str | None = None
    toxicity: float = 1.0
    attributes: dict[str, int] = field(default_factory=dict)
    hits: int = 0
    samples: tuple[int, ...] = ()
    """A latency fault's delays (ms) to draw from, one per request: an observed distribution."""

    def attr(self, key: str) -> int:
        return self.attributes.get(key, 0)

    def applies(self, method: str, path: str) -> bool:
        if self.route is None:
            return True
        want_method, _, want_path = self.route.partition(" ")
        if not want_path:
            want_method, want_path = "*", want_method
        if want_method not in ("*", method):
            return False
        if want_path.endswith("*"):
            return path.startswith(want_path[:-1])
        return want_path == path

    def fires(self, rng: random.Random) -> bool:
        """Counts the hit; True when this request gets the fault."""
        self.hits += 1
        first = self.attr("first") if self.type == "error" else 0
        if first:
            return self.hits <= first
        return self.toxicity >= 1.0 or rng.random() < self.toxicity

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "route": self.route,
            "toxicity": self.toxicity,
            "attributes": dict(self.attributes),
            "hits": self.hits,
            **({"samples": list(self.samples)} if self.samples else {}),
        }


def parse_fault(data: Any, where: str = "fault") -> HttpFault:
    """A fault from its JSON form: `{"type": "latency", "attributes": {"latency": 300}}`.

    Attributes may also sit at the top level (`{"type": "latency", "latency": 300}`).
    """
    if not isinstance(data, dict):
        raise FaultError(f"{where}: expected an object")
    kind = ALIASES.get(str(data.get("type", "")), str(data.get("type", "")))
    if kind not in FAULT_TYPES:
        raise FaultError(f"{where}.type: expected one of {', '.join(FAULT_TYPES)}, found {kind!r}")
    raw = dict(data.get("attributes") or {})
    for key in FAULT_TYPES[kind]:
        if key in data and key not in raw:
            raw[key] = data[key]
    attributes: dict[str, int] = {}
    for key, value in raw.items():
        if key not in FAULT_TYPES[kind]:
            raise FaultError(
                f"{where}.attributes.{key}: {kind} takes {', '.join(FAULT_TYPES[kind])}"
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FaultError(f"{where}.attributes.{key}: expected a non-negative integer")
        attributes[key] = value
    if kind == "error":
        attributes.setdefault("status", 503)
    toxicity = data.get("toxicity", 1.0)
    if not isinstance(toxicity, int | float) or not 0 <= toxicity <= 1:
        raise FaultError(f"{where}.toxicity: expected a number from 0 to 1")
    route = data.get("route")
    if route is not None and not isinstance(route, str):
        raise FaultError(f"{where}.route: expected a string like 'GET /orders'")
    samples = data.get("samples", [])
    if kind != "latency" and samples:
        raise FaultError(f"{where}.samples: only a latency fault draws from samples")
    if not isinstance(samples, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in samples
    ):
        raise FaultError(
            f"{where}.samples: expected a list of delays in ms (non-negative integers)"
        )
    name = str(data.get("name") or f"{kind}_{route or 'all'}")
    return HttpFault(name, kind, route, float(toxicity), attributes, samples=tuple(samples))
