"""Resilience expectations from the catalog, and the built-in experiment that checks timeouts
(the ones for retries and breakers are in `resilience_experiments`, running them in `verification`).

Declared in `interlock.yaml`, in a `kind: Config` document (the catalog leaves those to the
capabilities that read them):

    apiVersion: interlock/v1
    kind: Config
    resilience:
      gateway:                      # the caller
        calls:
          orders: {timeout: 500ms, retries: 1, circuitBreaker: true}

The slow-dependency experiment slows the callee's stub well past the declared timeout,
drives traffic through the caller, and reads the caller's CLIENT spans to the callee: each
wait must end within the timeout (plus a slack for scheduling), or the timeout is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from interlock.errors import Position, SourceError, UserInputError

_CALL_KEYS = {"timeout", "retries", "circuitBreaker"}


@dataclass(frozen=True)
class CallExpectation:
    """What a caller promises about one call: its timeout (ms), retries, a circuit breaker."""

    caller: str
    callee: str
    timeout_ms: float | None = None
    retries: int | None = None
    circuit_breaker: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "caller": self.caller,
            "callee": self.callee,
            "timeout_ms": self.timeout_ms,
            "retries": self.retries,
            "circuit_breaker": self.circuit_breaker,
        }


def _duration_ms(value: Any, file: str, path: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)  # a bare number is milliseconds, as in `timeout_ms`
    from interlock.telemetry import parse_duration_s  # telemetry is heavy: only when needed

    try:
        return parse_duration_s(str(value)) * 1000
    except UserInputError:
        raise SourceError(
            file, Position(path=path), f"expected a duration like 500ms or 2s, found {value!r}"
        ) from None


def load_expectations(path: Path) -> list[CallExpectation]:
    """Every call expectation in the `resilience:` of `kind: Config` documents of `path`."""
    file = str(path)
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise SourceError(file, None, f"cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise SourceError(file, None, f"not YAML: {error}") from None
    found: list[CallExpectation] = []
    for index, doc in enumerate(documents):
        if not isinstance(doc, dict) or doc.get("kind") != "Config" or "resilience" not in doc:
            continue
        base = f"$[{index}].resilience"
        callers = doc["resilience"]
        if not isinstance(callers, dict):
            raise SourceError(
                file, Position(path=base), "expected a mapping of caller to its calls"
            )
        for caller, spec in callers.items():
            where = f"{base}.{caller}"
            calls = spec.get("calls") if isinstance(spec, dict) else None
            if not isinstance(calls, dict):
                raise SourceError(
                    file,
                    Position(path=f"{where}.calls"),
                    "expected a mapping of callee to expectations",
                )
            for callee, expect in calls.items():
                at = f"{where}.calls.{callee}"
                if not isinstance(expect, dict):
                    raise SourceError(
                        file,
                        Position(path=at),
                        "expected a mapping with timeout, retries, circuitBreaker",
                    )
                unknown = sorted(set(expect) - _CALL_KEYS)
                if unknown:
                    raise SourceError(
                        file,
                        Position(path=f"{at}.{unknown[0]}"),
                        f"unknown key; expected one of {', '.join(sorted(_CALL_KEYS))}",
                    )
                retries = expect.get("retries")
                if retries is not None and (
                    isinstance(retries, bool) or not isinstance(retries, int) or retries < 0
                ):
                    raise SourceError(
                        file,
                        Position(path=f"{at}.retries"),
                        "expected a number of retries (0 or more)",
                    )
                breaker = expect.get("circuitBreaker")
                if breaker is not None and not isinstance(breaker, bool):
                    raise SourceError(
                        file, Position(path=f"{at}.circuitBreaker"), "expected true or false"
                    )
                timeout = expect.get("timeout")
                found.append(
                    CallExpectation(
                        str(caller),
                        str(callee),
                        None if timeout is None else _duration_ms(timeout, file, f"{at}.timeout"),
                        retries,
                        breaker,
                    )
                )
    return found


def slack_ms(timeout_ms: float) -> float:
    """How far past its timeout a wait may end: scheduling, connection set-up, span export."""
    return max(150.0, timeout_ms * 0.2)


def injected_latency_ms(timeout_ms: float) -> int:
    """The slowness given to the callee: far enough past the timeout to tell the two apart."""
    return int(max(timeout_ms * 3, timeout_ms + 1000))


def slow_dependency_experiment(
    expectation: CallExpectation, caller_url: str, requests: int = 6
) -> dict[str, Any]:
    """The Chaos Toolkit experiment: the callee's stub slowed, the caller's waits within its timeout."""
    if expectation.timeout_ms is None:
        raise UserInputError(
            f"{expectation.caller} -> {expectation.callee}: no timeout declared to verify"
        )
    caller, callee = expectation.caller, expectation.callee
    limit = expectation.timeout_ms + slack_ms(expectation.timeout_ms)
    latency = injected_latency_ms(expectation.timeout_ms)
    wait_probe = {
        "type": "probe",
        "name": f"{caller}-wait-on-{callee}-ms",
        "tolerance": {"type": "range", "range": [0, limit]},
        "provider": {
            "type": "python",
            "module": "interlock.chaos.probes",
            "func": "edge_latency_under_traffic_ms",
            "arguments": {
                "url": caller_url,
                "caller": caller,
                "callee": callee,
                "requests": requests,
            },
        },
    }
    fault_name = f"interlock-slow-{callee}"
    return {
        "version": "1.0.0",
        "title": f"{caller} times out on a slow {callee} within {expectation.timeout_ms:g} ms",
        "description": (
            f"{callee} answers after {latency} ms; {caller} declares a {expectation.timeout_ms:g} ms "
            f"timeout on it, so each of its waits must end within {limit:g} ms."
        ),
        "tags": ["interlock", "resilience", "timeout", caller, callee],
        "steady-state-hypothesis": {
            "title": f"{caller}'s calls to {callee} end within {limit:g} ms",
            "probes": [wait_probe],
        },
        "method": [
            {
                "type": "action",
                "name": f"slow-down-{callee}",
                "provider": {
                    "type": "python",
                    "module": "interlock.chaos.actions",
                    "func": "add_stub_fault",
                    "arguments": {
                        "service": callee,
                        "fault": {"name": fault_name, "type": "latency", "latency": latency},
                    },
                },
            }
        ],
        "rollbacks": [
            {
                "type": "action",
                "name": f"heal-{callee}",
                "provider": {
                    "type": "python",
                    "module": "interlock.chaos.actions",
                    "func": "remove_stub_faults",
                    "arguments": {"service": callee, "name": fault_name},
                },
            }
        ],
    }


@dataclass(frozen=True)
class ResilienceVerdict:
    """The outcome of one built-in experiment on one declared call, with its evidence."""

    expectation: CallExpectation
    experiment: str
    passed: bool
    message: str
    wait_before_ms: float | None
    wait_after_ms: float | None
    journal: str
    evidence: dict[str, Any] = field(default_factory=dict)
    """What the traces showed, by experiment: attempts per request, calls to a dead callee..."""

    def to_json(self) -> dict[str, Any]:
        return {
            **self.expectation.to_json(),
            "experiment": self.experiment,
            "passed": self.passed,
            "message": self.message,
            "wait_before_ms": self.wait_before_ms,
            "wait_after_ms": self.wait_after_ms,
            "journal": self.journal,
            "evidence": self.evidence,
        }
