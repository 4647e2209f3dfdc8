"""What a load test sends: flows of requests, their mix, and the arrival rate over stages.

An arrival starts one flow (picked by weight); a flow's steps run in order with the think
time between them. Each step sends one of its prepared variants, so data varies per request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class RequestVariant:
    """One concrete request: method, path with its query string, headers, body bytes as text."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
        }


@dataclass(frozen=True)
class Step:
    """One request of a flow: the operation it counts under and the statuses that are a success.

    `expect` empty means any status below 400.
    """

    operation: str
    variants: tuple[RequestVariant, ...]
    expect: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "variants": [v.to_json() for v in self.variants],
            "expect": list(self.expect),
        }


@dataclass(frozen=True)
class Flow:
    """A sequence of steps one arrival runs; `weight` is its share of arrivals."""

    name: str
    steps: tuple[Step, ...]
    weight: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "weight": self.weight,
            "steps": [s.to_json() for s in self.steps],
        }


@dataclass(frozen=True)
class Stage:
    """`rate` arrivals per second for `duration_s` seconds."""

    duration_s: float
    rate: float


@dataclass(frozen=True)
class TrafficPlan:
    """Everything the load engine needs except where to send it."""

    flows: tuple[Flow, ...]
    stages: tuple[Stage, ...]
    think_time_ms: float = 0.0
    service: str | None = None
    target: str | None = None
    source: str = ""

    @property
    def duration_s(self) -> float:
        return sum(stage.duration_s for stage in self.stages)

    @property
    def mean_rate(self) -> float:
        total = self.duration_s
        return sum(s.duration_s * s.rate for s in self.stages) / total if total else 0.0

    @property
    def operations(self) -> list[str]:
        seen = dict.fromkeys(step.operation for flow in self.flows for step in flow.steps)
        return list(seen)

    def with_stages(self, stages: tuple[Stage, ...]) -> TrafficPlan:
        return replace(self, stages=stages)

    def engine_spec(self, target: str, users: int, timeout_s: float, seed: int) -> dict[str, Any]:
        """The JSON the load engine's child process reads."""
        return {
            "target": target.rstrip("/"),
            "users": users,
            "timeout_s": timeout_s,
            "seed": seed,
            "think_time_ms": self.think_time_ms,
            "stages": [{"duration_s": s.duration_s, "rate": s.rate} for s in self.stages],
            "flows": [flow.to_json() for flow in self.flows],
        }


def path_with_query(path: str, query: dict[str, list[str]] | None) -> str:
    """`path?a=1&a=2` from a path and a query of repeated values."""
    if not query:
        return path
    pairs = [(key, value) for key, values in query.items() for value in values]
    return f"{path}?{urlencode(pairs)}"


def body_text(content: Any) -> str | None:
    """A body as the text to send: JSON values encoded, text as it is."""
    if content is None:
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, bytes):
        return content.decode("utf-8", errors="replace")
    return json.dumps(content, separators=(",", ":"))
