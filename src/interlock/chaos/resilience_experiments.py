"""The built-in experiments for retries and circuit breakers, in Chaos Toolkit's format.

retry budget: the callee's stub fails every request; each caller request may call it at
most 1 + the declared retries times (its CLIENT spans to the callee in that request's trace).

dead dependency: the callee's stub resets every connection; once the caller's breaker is
open, its requests must stop reaching the callee (they fail fast); when the callee returns,
the caller must answer again within the recovery time.
"""

from __future__ import annotations

from typing import Any

from interlock.chaos.resilience import CallExpectation
from interlock.errors import UserInputError

RECOVERY_S = 10.0
"""How long after the dependency returns the caller may take to answer again."""
BREAKER_LEAK = 0.25
"""Share of requests that may still reach a dead callee once the breaker is open (half-open
probes)."""


def _stub_action(name: str, func: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "action",
        "name": name,
        "provider": {
            "type": "python",
            "module": "interlock.chaos.actions",
            "func": func,
            "arguments": arguments,
        },
    }


def _probe(
    name: str, func: str, arguments: dict[str, Any], tolerance: Any = None
) -> dict[str, Any]:
    probe: dict[str, Any] = {
        "type": "probe",
        "name": name,
        "provider": {
            "type": "python",
            "module": "interlock.chaos.probes",
            "func": func,
            "arguments": arguments,
        },
    }
    if tolerance is not None:
        probe["tolerance"] = tolerance
    return probe


def retry_budget_experiment(
    expectation: CallExpectation, caller_url: str, requests: int = 8
) -> dict[str, Any]:
    """The callee fails every call; the caller's attempts per request stay within 1 + retries."""
    if expectation.retries is None:
        raise UserInputError(
            f"{expectation.caller} -> {expectation.callee}: no retries declared to verify"
        )
    caller, callee = expectation.caller, expectation.callee
    budget = 1 + expectation.retries
    fault = f"interlock-failing-{callee}"
    attempts = _probe(
        f"{caller}-attempts-per-request-on-{callee}",
        "attempts_per_request",
        {"url": caller_url, "caller": caller, "callee": callee, "requests": requests},
        {"type": "range", "range": [1, budget]},
    )
    return {
        "version": "1.0.0",
        "title": f"{caller} calls a failing {callee} at most {budget} times per request",
        "description": (
            f"{callee} answers 503 to every call; {caller} declares {expectation.retries} "
            f"retries, so one of its requests may reach {callee} at most {budget} times."
        ),
        "tags": ["interlock", "resilience", "retries", caller, callee],
        "steady-state-hypothesis": {
            "title": f"{caller} calls {callee} at most {budget} times per request",
            "probes": [attempts],
        },
        "method": [
            _stub_action(
                f"fail-{callee}",
                "add_stub_fault",
                {"service": callee, "fault": {"name": fault, "type": "error", "status": 503}},
            )
        ],
        "rollbacks": [
            _stub_action(f"heal-{callee}", "remove_stub_faults", {"service": callee, "name": fault})
        ],
    }


def dead_dependency_experiment(
    expectation: CallExpectation, caller_url: str, requests: int = 20
) -> dict[str, Any]:
    """The callee is dead (connections reset); the caller stops calling it once its breaker
    opens, and answers again within `RECOVERY_S` once the callee returns."""
    if not expectation.circuit_breaker:
        raise UserInputError(
            f"{expectation.caller} -> {expectation.callee}: no circuit breaker declared to verify"
        )
    caller, callee = expectation.caller, expectation.callee
    fault = f"interlock-dead-{callee}"
    healthy = _probe(
        f"{caller}-answers-within-{RECOVERY_S:g}s",
        "seconds_until_healthy",
        {"url": caller_url, "within_s": RECOVERY_S},
        {"type": "range", "range": [0, RECOVERY_S]},
    )
    return {
        "version": "1.0.0",
        "title": f"{caller} fails fast on a dead {callee} and recovers when it returns",
        "description": (
            f"{callee} resets every connection; once {caller}'s circuit breaker is open, at most "
            f"{BREAKER_LEAK:.0%} of its requests may still reach {callee}. Then {callee} "
            f"returns, and {caller} must answer again within {RECOVERY_S:g} s."
        ),
        "tags": ["interlock", "resilience", "circuit-breaker", caller, callee],
        "steady-state-hypothesis": {
            "title": f"{caller} answers (again) within {RECOVERY_S:g} s",
            "probes": [healthy],
        },
        "method": [
            _stub_action(
                f"kill-{callee}",
                "add_stub_fault",
                {"service": callee, "fault": {"name": fault, "type": "reset_peer", "timeout": 0}},
            ),
            _probe(
                f"{caller}-calls-to-dead-{callee}",
                "calls_once_breaker_opens",
                {"url": caller_url, "caller": caller, "callee": callee, "requests": requests},
            ),
            _stub_action(
                f"revive-{callee}", "remove_stub_faults", {"service": callee, "name": fault}
            ),
        ],
        "rollbacks": [
            _stub_action(f"heal-{callee}", "remove_stub_faults", {"service": callee, "name": fault})
        ],
    }
