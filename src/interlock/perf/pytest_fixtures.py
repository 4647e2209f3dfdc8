"""The `interlock_perf` pytest fixture: a load test inside a test, thresholds as its assertion.

    def test_orders_is_fast_enough(interlock_perf) -> None:
        interlock_perf(target=url, pacts=["pacts/"], service="orders", rate=50,
                       duration="5s", thresholds=["p95<200ms", "error_rate<1%"])

A violated threshold fails the test with each threshold's message; the report is returned
for further assertions. Runs are not stored unless `database_url` is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

if TYPE_CHECKING:  # the perf package (SQLAlchemy, the store) loads only when a test asks
    from interlock.perf.load_test import LoadTestReport


class PerfRunner(Protocol):
    def __call__(
        self,
        *,
        target: str | None = None,
        env_file: str | Path | None = None,
        pacts: Sequence[str | Path] = (),
        openapi: Sequence[str | Path] = (),
        scenario: str | Path | None = None,
        service: str | None = None,
        rate: float = 50.0,
        duration: str | float = "5s",
        thresholds: Sequence[str] = (),
        repeat: int = 1,
        database_url: str | None = None,
        commit: str | None = None,
    ) -> LoadTestReport: ...


def _seconds(value: str | float) -> float:
    if isinstance(value, int | float):
        return float(value)
    from interlock.telemetry import parse_duration_s  # telemetry is heavy: when needed

    return parse_duration_s(value)


@pytest.fixture
def interlock_perf() -> PerfRunner:
    """Run a load test (as `interlock perf run`); fail the test when a threshold is violated."""

    def run(
        *,
        target: str | None = None,
        env_file: str | Path | None = None,
        pacts: Sequence[str | Path] = (),
        openapi: Sequence[str | Path] = (),
        scenario: str | Path | None = None,
        service: str | None = None,
        rate: float = 50.0,
        duration: str | float = "5s",
        thresholds: Sequence[str] = (),
        repeat: int = 1,
        database_url: str | None = None,
        commit: str | None = None,
    ) -> LoadTestReport:
        from interlock.perf.load_test import LoadTestRequest, load_test
        from interlock.perf.thresholds import parse_threshold
        from interlock.perf.traffic import Stage

        report = load_test(
            LoadTestRequest(
                stages=(Stage(_seconds(duration), rate),),
                target=target,
                env_file=Path(env_file) if env_file is not None else None,
                pacts=tuple(Path(p) for p in pacts),
                openapi=tuple(Path(p) for p in openapi),
                scenario=Path(scenario) if scenario is not None else None,
                service=service,
                thresholds=tuple(parse_threshold(t, "thresholds") for t in thresholds),
                repeat=repeat,
                commit=commit,
                database_url=database_url,
            )
        )
        violated = [r.message for r in report.thresholds if not r.passed]
        if violated:
            pytest.fail("load test thresholds violated:\n" + "\n".join(violated), pytrace=False)
        return report

    return run
