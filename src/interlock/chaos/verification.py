"""Running the built-in experiments for a service's declared calls, one verdict each.

A declared timeout gets the slow-dependency experiment, declared retries the retry-budget
one, a declared circuit breaker the dead-dependency one. Each runs under Chaos Toolkit's
runner; the verdict quotes what the caller's traces showed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interlock.chaos.experiment import ChaosRun, run_experiment_data
from interlock.chaos.resilience import (
    CallExpectation,
    ResilienceVerdict,
    injected_latency_ms,
    load_expectations,
    slack_ms,
    slow_dependency_experiment,
)
from interlock.chaos.resilience_experiments import (
    BREAKER_LEAK,
    RECOVERY_S,
    dead_dependency_experiment,
    retry_budget_experiment,
)
from interlock.errors import UserInputError

EXPERIMENTS = ("timeout", "retries", "breaker")


@dataclass(frozen=True)
class Target:
    """Where the experiments act: the caller's URL, the stub admin, the span store."""

    caller_url: str
    stub_admin: str
    data_dir: Path
    database_url: str = ""

    def configuration(self) -> dict[str, Any]:
        return {
            "interlock_stub_admin": self.stub_admin,
            "interlock_data_dir": str(self.data_dir),
            "interlock_database_url": self.database_url,
        }


def _steady_output(journal: dict[str, Any], phase: str) -> Any:
    state = (journal.get("steady_states") or {}).get(phase) or {}
    probes = state.get("probes") or []
    return probes[0].get("output") if probes else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _method_output(journal: dict[str, Any], name: str) -> Any:
    for item in journal.get("run", []):
        if item.get("activity", {}).get("name") == name:
            return item.get("output")
    return None


def _incomplete(e: CallExpectation, run: ChaosRun) -> str:
    return (
        f"{e.caller} -> {e.callee}: the experiment did not complete ({run.status}); "
        f"see {run.journal_path}"
    )


def _timeout(e: CallExpectation, target: Target) -> ResilienceVerdict:
    assert e.timeout_ms is not None
    run = run_experiment_data(
        slow_dependency_experiment(e, target.caller_url),
        target.data_dir,
        configuration=target.configuration(),
    )
    before = _number(_steady_output(run.journal, "before"))
    after = _number(_steady_output(run.journal, "after"))
    limit = e.timeout_ms + slack_ms(e.timeout_ms)
    injected = injected_latency_ms(e.timeout_ms)
    if run.passed:
        message = (
            f"{e.caller} -> {e.callee}: gave up after {after or 0:.0f} ms on a {injected} ms "
            f"{e.callee}, within its {e.timeout_ms:g} ms timeout"
        )
    elif after is not None and after > limit:
        message = (
            f"{e.caller} -> {e.callee}: waited {after:.0f} ms on a {injected} ms {e.callee}; "
            f"declared timeout {e.timeout_ms:g} ms (limit {limit:g} ms with slack): "
            "the timeout is missing or not applied"
        )
    else:
        message = _incomplete(e, run)
    evidence = {"injected_latency_ms": injected, "limit_ms": limit}
    return ResilienceVerdict(
        e, "slow-dependency", run.passed, message, before, after, str(run.journal_path), evidence
    )


def _retries(e: CallExpectation, target: Target) -> ResilienceVerdict:
    assert e.retries is not None
    run = run_experiment_data(
        retry_budget_experiment(e, target.caller_url),
        target.data_dir,
        configuration=target.configuration(),
    )
    budget = 1 + e.retries
    after = _number(_steady_output(run.journal, "after"))
    evidence = {
        "budget": budget,
        "attempts_before": _number(_steady_output(run.journal, "before")),
        "attempts_after": after,
    }
    if run.passed:
        message = (
            f"{e.caller} -> {e.callee}: at most {after or 0:.0f} call(s) per request to a failing "
            f"{e.callee}, within 1 + {e.retries} retries"
        )
    elif after is not None and after > budget:
        message = (
            f"{e.caller} -> {e.callee}: {after:.0f} calls per request to a failing {e.callee}; "
            f"declared {e.retries} retries allow {budget}: a retry storm multiplies its load"
        )
    else:
        message = _incomplete(e, run)
    return ResilienceVerdict(
        e, "retry-budget", run.passed, message, None, None, str(run.journal_path), evidence
    )


def _breaker(e: CallExpectation, target: Target) -> ResilienceVerdict:
    experiment = dead_dependency_experiment(e, target.caller_url)
    run = run_experiment_data(experiment, target.data_dir, configuration=target.configuration())
    probe_name = experiment["method"][1]["name"]
    dead = _method_output(run.journal, probe_name)
    dead = dead if isinstance(dead, dict) else {}
    reaching = _number(dead.get("reaching_callee"))
    recovered_s = _number(_steady_output(run.journal, "after"))
    fails_fast = reaching is not None and reaching <= BREAKER_LEAK
    passed = run.passed and fails_fast
    evidence = {**dead, "recovered_after_s": recovered_s, "allowed_leak": BREAKER_LEAK}
    if passed:
        message = (
            f"{e.caller} -> {e.callee}: once its breaker opened, {reaching or 0:.0%} of requests "
            f"still reached a dead {e.callee} (median {dead.get('caller_p50_ms') or 0:.0f} ms); "
            f"answered again {recovered_s or 0:.1f} s after {e.callee} returned"
        )
    elif reaching is not None and not fails_fast:
        message = (
            f"{e.caller} -> {e.callee}: {reaching:.0%} of its requests kept calling a dead "
            f"{e.callee} (allowed {BREAKER_LEAK:.0%} once a breaker is open): the circuit "
            "breaker is missing or never opens"
        )
    elif run.deviated:
        message = (
            f"{e.caller} -> {e.callee}: did not answer again within {RECOVERY_S:g} s after "
            f"{e.callee} returned: the breaker does not close"
        )
    else:
        message = _incomplete(e, run)
    return ResilienceVerdict(
        e, "dead-dependency", passed, message, None, None, str(run.journal_path), evidence
    )


def verify_resilience(
    config: Path,
    service: str,
    target: Target,
    experiments: Sequence[str] = EXPERIMENTS,
    callee: str | None = None,
) -> list[ResilienceVerdict]:
    """Each declared call of `service` in `config` (or the one to `callee`) through the
    built-in experiments its declaration calls for, among `experiments`."""
    unknown = sorted(set(experiments) - set(EXPERIMENTS))
    if unknown:
        raise UserInputError(f"--experiment {unknown[0]}: expected one of {', '.join(EXPERIMENTS)}")
    expectations = [
        e
        for e in load_expectations(config)
        if e.caller == service and (callee is None or e.callee == callee)
    ]
    if not expectations:
        where = f"resilience.{service}.calls" + (f".{callee}" if callee else "")
        raise UserInputError(f"{config}: no resilience expectations for {service!r} ({where})")
    runs = [
        (e, run)
        for e in expectations
        for kind, run, declared in (
            ("timeout", _timeout, e.timeout_ms is not None),
            ("retries", _retries, e.retries is not None),
            ("breaker", _breaker, bool(e.circuit_breaker)),
        )
        if kind in experiments and declared
    ]
    if not runs:
        raise UserInputError(
            f"{config}: {service}'s calls declare nothing that the experiments "
            f"{', '.join(experiments)} verify (timeout, retries, circuitBreaker)"
        )
    return [run(e, target) for e, run in runs]


def verify_timeouts(
    config: Path,
    service: str,
    caller_url: str,
    stub_admin: str,
    data_dir: Path,
    database_url: str = "",
) -> list[ResilienceVerdict]:
    """The slow-dependency experiment for each call of `service` with a declared timeout."""
    target = Target(caller_url, stub_admin, data_dir, database_url)
    return verify_resilience(config, service, target, ("timeout",))
