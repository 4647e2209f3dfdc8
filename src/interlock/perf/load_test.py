"""`perf run` and `perf check` as functions: a load test with thresholds, stored per commit,
and a comparison of the current commit's runs with a baseline's.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interlock.errors import UserInputError
from interlock.perf.compare import Comparison, compare_runs
from interlock.perf.model import PerfRun
from interlock.perf.observed import (
    SpanSource,
    apply_observed_latencies,
    observed_rates,
    weigh_by_observed,
)
from interlock.perf.records import perf_database, runs_at, save_run, stored_commits
from interlock.perf.runner import EnvironmentTarget, LoadOptions, environment_target, run_load
from interlock.perf.thresholds import Threshold, ThresholdResult, evaluate_thresholds
from interlock.perf.traffic import Stage, TrafficPlan


@dataclass(frozen=True)
class LoadTestRequest:
    """What `interlock perf run` was asked: the traffic, the target, the limits, where to keep it.

    `stages` is used when the scenario gives none (and for traffic from pacts).
    """

    stages: tuple[Stage, ...]
    target: str | None = None
    env_file: Path | None = None
    pacts: tuple[Path, ...] = ()
    openapi: tuple[Path, ...] = ()
    scenario: Path | None = None
    service: str | None = None
    thresholds: tuple[Threshold, ...] = ()
    users: int | None = None
    timeout_s: float = 10.0
    repeat: int = 1
    commit: str | None = None
    database_url: str | None = None  # None: the runs are not stored
    seed: int = 0
    span_store: Path | None = None
    """A data directory whose span store gets the target's traces (an environment's own
    collector is used with `env_file`): each run keeps the self time of its spans."""
    observed: SpanSource | None = None
    """Where production's behaviour was traced, for the two options below."""
    observed_latencies: bool = False
    """Each stubbed dependency of `env_file` answers with its edge's observed latencies."""
    observed_mix: bool = False
    """Flows weighted by the observed rate of their operation."""


@dataclass
class LoadTestReport:
    """The runs of one `perf run`, all of them merged, and the thresholds checked on the merge."""

    runs: list[PerfRun]
    combined: PerfRun
    thresholds: list[ThresholdResult]
    stored: bool = False
    warnings: list[str] = field(default_factory=list)
    observed: dict[str, Any] = field(default_factory=dict)
    """What was taken from the span store: latencies per stubbed dependency, the mix's notes."""

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.thresholds)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "service": self.combined.service,
            "commit": self.combined.commit,
            "stored": self.stored,
            "run_ids": [run.id for run in self.runs],
            "result": self.combined.to_json(histograms=False),
            "thresholds": [
                {
                    "threshold": r.threshold.text,
                    "operation": r.threshold.operation,
                    "metric": r.threshold.metric,
                    "value": r.value,
                    "passed": r.passed,
                    "message": r.message,
                }
                for r in self.thresholds
            ],
            "warnings": self.warnings,
            "observed": self.observed,
        }


def current_commit(cwd: Path | None = None) -> str:
    """The commit checked out here (`git rev-parse HEAD`), or `unknown` outside a repository."""
    return _git_rev_parse("HEAD", cwd) or "unknown"


def _git_rev_parse(ref: str, cwd: Path | None = None) -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None


def _plan(request: LoadTestRequest, service: str | None) -> tuple[TrafficPlan, list[str]]:
    """The traffic, and notes on what a source left out."""
    from interlock.perf.openapi_traffic import plan_from_openapi
    from interlock.perf.pact_traffic import plan_from_pacts
    from interlock.perf.scenario import load_scenario

    if request.scenario is not None:
        return load_scenario(request.scenario, request.stages), []
    if request.openapi:
        return plan_from_openapi(request.openapi, request.stages, request.seed, service)
    if request.pacts:
        if not service:
            raise UserInputError("--service: name the provider whose pacts give the traffic")
        return plan_from_pacts(request.pacts, service, request.stages, request.seed), []
    raise UserInputError(
        "expected --pacts DIR (with --service), --openapi FILE or --scenario FILE: nothing to send"
    )


def _merge(runs: list[PerfRun]) -> PerfRun:
    if len(runs) == 1:
        return runs[0]
    first = runs[0]
    merged = PerfRun(
        first.service,
        first.commit,
        first.target,
        first.started_at,
        sum(r.duration_s for r in runs),
        first.target_rate,
        {},
        [point for r in runs for point in r.timeline],
        first.generator,
        first.source,
    )
    for run in runs:
        for name, op in run.operations.items():
            if name not in merged.operations:
                merged.operations[name] = type(op)(name)
            merged.operations[name].merge(op)
    return merged


@contextmanager
def _target(request: LoadTestRequest) -> Iterator[EnvironmentTarget]:
    if request.env_file is not None:
        with environment_target(request.env_file) as target:
            yield target
        return
    if request.observed_latencies:
        raise UserInputError(
            "--observed-latencies: needs --env FILE, whose stubs take the observed latencies"
        )
    yield EnvironmentTarget(
        request.service or "", request.target or "", request.span_store, None, ()
    )


def _profile_runs(runs: list[PerfRun], span_store: Path | None, service: str) -> None:
    """Give each run the span profile of its window, when the store has the service's traces."""
    from interlock.perf.span_profile import read_profile, wait_for_spans
    from interlock.telemetry import TelemetrySettings

    if span_store is None or not TelemetrySettings(data_dir=span_store).spans_path.exists():
        return
    wait_for_spans(span_store, "", service, runs[0].window_ns[0])
    for run in runs:
        run.span_profile = read_profile(span_store, "", service, *run.window_ns)


def load_test(request: LoadTestRequest) -> LoadTestReport:
    """Run the load test `request.repeat` times, store each run, check the thresholds."""
    if request.repeat < 1:
        raise UserInputError("--repeat: expected 1 or more")
    observed: dict[str, Any] = {}
    with _target(request) as env:
        service = request.service or env.service or None
        plan, left_out = _plan(request, service)
        if request.observed_mix:
            plan, mix_notes = weigh_by_observed(
                plan, observed_rates(_source(request), service or plan.service or "")
            )
            observed["mix"] = {f.name: f.weight for f in plan.flows}
            observed["mix_notes"] = mix_notes
        if request.observed_latencies and env.stub_admin:
            observed["latencies"] = apply_observed_latencies(
                env.stub_admin, env.service, list(env.stubbed), _source(request)
            )
        target = env.url or plan.target or ""
        if not target:
            raise UserInputError(
                "--target: expected the URL of the service to load (or --env FILE)"
            )
        options = LoadOptions(
            target,
            request.users,
            request.timeout_s,
            request.seed,
            service or plan.service,
            request.commit or current_commit(),
        )
        runs = [run_load(plan, options) for _ in range(request.repeat)]
        _profile_runs(runs, env.spans, options.service or "unknown")
    combined = _merge(runs)
    warnings = list(left_out)
    if any(run.generator.get("behind_schedule") for run in runs):
        warnings.append(
            "the load generator fell behind its schedule (send lag p99 above 10 ms): "
            "latencies include its own delay; lower the rate or give it more users"
        )
    stored = request.database_url is not None
    database = perf_database(request.database_url) if request.database_url else nullcontext()
    with database as engine:
        if engine is not None:
            for run in runs:
                save_run(engine, run)
    results = evaluate_thresholds(combined, request.thresholds)
    return LoadTestReport(runs, combined, results, stored, warnings, observed)


def _source(request: LoadTestRequest) -> SpanSource:
    if request.observed is None:
        raise UserInputError("--observed-from: expected the span store that saw the service")
    return request.observed


def resolve_baseline(commits: list[str], ref: str, cwd: Path | None = None) -> str | None:
    """The stored commit `ref` names: itself, a unique prefix of one (7+ characters), or what
    git resolves it to (a branch, a tag, `HEAD~1`)."""
    if ref in commits:
        return ref
    if len(ref) >= 7:
        matching = [c for c in commits if c.startswith(ref)]
        if len(matching) == 1:
            return matching[0]
    sha = _git_rev_parse(ref, cwd)
    return sha if sha in commits else None


def check_against(
    database_url: str,
    service: str,
    ref: str,
    *,
    commit: str | None = None,
    min_change: float = 0.05,
    confidence: float = 0.95,
) -> Comparison:
    """The runs of `service` at `commit` (HEAD by default) against its runs at `ref`."""
    with perf_database(database_url) as engine:
        commits = stored_commits(engine, service)
        if not commits:
            raise UserInputError(
                f"--service {service}: no stored runs; run `interlock perf run` first"
            )
        baseline = resolve_baseline(commits, ref)
        if baseline is None:
            known = ", ".join(c[:12] for c in commits[:8])
            raise UserInputError(
                f"--against {ref}: no runs of {service} at it; runs exist at {known}"
            )
        head = commit or current_commit()
        current = runs_at(engine, service, head)
        if not current:
            raise UserInputError(
                f"--commit {head}: no runs of {service} at this commit; run `interlock perf run` first"
            )
        base_runs = runs_at(engine, service, baseline)
    return compare_runs(base_runs, current, confidence=confidence, min_change=min_change)
