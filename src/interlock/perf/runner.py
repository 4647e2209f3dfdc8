"""Running a load test: the plan handed to the Locust child process, its result read back.

The child is `python -c "import locust; ..."`: Locust's gevent monkey-patching happens there,
first thing, and never in the process that asked for the run (the CLI, a test, the server).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from interlock.errors import InterlockError, UserInputError
from interlock.perf.model import OperationResult, PerfRun
from interlock.perf.traffic import TrafficPlan

_CHILD = (
    "import locust, sys\n"  # first: Locust patches the process with gevent on import
    "from interlock.perf.locust_engine import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


class LoadEngineError(InterlockError):
    """The load engine's process failed; the message carries the end of what it printed."""


@dataclass(frozen=True)
class LoadOptions:
    """How to send: where, with how many concurrent users, and how long a request may take."""

    target: str
    users: int | None = None
    timeout_s: float = 10.0
    seed: int = 0
    service: str | None = None
    commit: str = "unknown"


def default_users(plan: TrafficPlan) -> int:
    """Enough concurrent users that a 200 ms answer at the peak rate does not hold the schedule back."""
    peak = max(stage.rate for stage in plan.stages)
    return max(10, min(1000, math.ceil(peak * 0.2)))


def run_load(plan: TrafficPlan, options: LoadOptions) -> PerfRun:
    """Send `plan` to `options.target` with Locust in a child process; the run's result."""
    if not options.target.startswith(("http://", "https://")):
        raise UserInputError(
            f"--target: expected an http:// or https:// URL, found {options.target!r}"
        )
    users = options.users or default_users(plan)
    spec = plan.engine_spec(options.target, users, options.timeout_s, options.seed)
    started_at = datetime.now(UTC)
    started_ns = time.time_ns()
    with tempfile.TemporaryDirectory(prefix="interlock-perf-") as scratch:
        spec_path = Path(scratch) / "spec.json"
        result_path = Path(scratch) / "result.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        limit = plan.duration_s + options.timeout_s + 120
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(spec_path), str(result_path)],
                capture_output=True,
                text=True,
                timeout=limit,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise LoadEngineError(f"the load engine did not finish within {limit:.0f}s") from None
        if done.returncode != 0 or not result_path.exists():
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            raise LoadEngineError(f"the load engine failed (exit {done.returncode}):\n{tail}")
        result = json.loads(result_path.read_text(encoding="utf-8"))
    ended_ns = time.time_ns()
    operations = {
        name: OperationResult.from_json(data) for name, data in result["operations"].items()
    }
    return PerfRun(
        service=options.service or plan.service or "unknown",
        commit=options.commit,
        target=options.target,
        started_at=started_at,
        duration_s=float(result["duration_s"]),
        target_rate=plan.mean_rate,
        operations=operations,
        timeline=result["timeline"],
        generator=result["generator"],
        source=plan.source,
        window_ns=(started_ns, ended_ns),
    )


@dataclass(frozen=True)
class EnvironmentTarget:
    """The service under test in a running environment: its URL, the span store its collector
    writes (None without one), the stub server's admin API and the stubbed dependencies."""

    service: str
    url: str
    spans: Path | None
    stub_admin: str | None
    stubbed: tuple[str, ...]


@contextmanager
def environment_target(env_file: Path) -> Iterator[EnvironmentTarget]:
    """Bring up the environment of `env_file` (as `interlock env up`), yield where its service
    is, and bring it down afterwards."""
    from interlock.envs import default_state_dir, load_environment_file, start_environment

    spec = load_environment_file(env_file)
    if spec.service_real is None:
        raise UserInputError(
            f"--env {env_file}: `service` has no command; the service under test must run "
            "in the environment to be load-tested"
        )
    running = start_environment(spec, default_state_dir(spec.name))
    try:
        url = running.variables.get(spec.service_real.variable)
        if not url:
            raise UserInputError(
                f"--env {env_file}: the environment gave no URL for {spec.service}"
            )
        yield EnvironmentTarget(
            spec.service,
            url,
            running.state_dir / "telemetry" if spec.otlp else None,
            running.variables.get("INTERLOCK_STUB_ADMIN_URL"),
            tuple(d.name for d in spec.dependencies if d.stub),
        )
    finally:
        running.stop()
