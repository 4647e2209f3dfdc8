"""The `interlock_chaos` pytest fixture: Chaos Toolkit experiments and the built-in resilience
experiments inside a test; a deviated experiment or an unmet expectation fails the test.

    def test_gateway_gives_up_on_slow_orders(interlock_chaos) -> None:
        interlock_chaos.run("experiments/slow-orders.json", gateway_url=url,
                            interlock_stub_admin=admin, interlock_data_dir=str(spans))

    def test_gateway_keeps_its_promises(interlock_chaos) -> None:
        interlock_chaos.verify("interlock.yaml", "gateway", caller_url=..., stub_admin=...,
                               data_dir=spans)

Journals are kept under the test's temporary directory unless `journals` is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the chaos package loads only when a test asks for the fixture
    from interlock.chaos.experiment import ChaosRun
    from interlock.chaos.resilience import ResilienceVerdict

ALL = ("timeout", "retries", "breaker")


@dataclass(frozen=True)
class ChaosFixture:
    """Runs experiments for one test; `journals` is where their journals are kept."""

    journals: Path

    def run(
        self, experiment: str | Path | dict[str, Any], *, check: bool = True, **configuration: Any
    ) -> ChaosRun:
        """Run an experiment file (or one given as data), configuration values as keywords
        (as `chaos run --var`); a deviated or failed run fails the test unless `check=False`."""
        from interlock.chaos.experiment import run_experiment_data, run_experiment_file

        if isinstance(experiment, dict):
            run = run_experiment_data(experiment, self.journals, configuration=configuration)
        else:
            run = run_experiment_file(Path(experiment), self.journals, configuration=configuration)
        if check and not run.passed:
            summary = run.summary()
            pytest.fail(
                f"chaos experiment {summary['title']!r}: {run.status}"
                f"{' (deviated)' if run.deviated else ''}; journal {run.journal_path}",
                pytrace=False,
            )
        return run

    def verify(
        self,
        config: str | Path,
        service: str,
        *,
        caller_url: str,
        stub_admin: str,
        data_dir: str | Path,
        experiments: Sequence[str] = ALL,
        callee: str | None = None,
        check: bool = True,
    ) -> list[ResilienceVerdict]:
        """The built-in experiments for `service`'s declared calls (as `interlock chaos verify`);
        an unmet expectation fails the test unless `check=False`."""
        from interlock.chaos.verification import Target, verify_resilience

        target = Target(caller_url, stub_admin, Path(data_dir))
        verdicts = verify_resilience(Path(config), service, target, experiments, callee)
        failed = [v.message for v in verdicts if not v.passed]
        if check and failed:
            pytest.fail("resilience expectations not met:\n" + "\n".join(failed), pytrace=False)
        return verdicts


@pytest.fixture
def interlock_chaos(tmp_path: Path) -> ChaosFixture:
    """Chaos experiments for this test, journals under its temporary directory."""
    return ChaosFixture(tmp_path / "interlock-chaos")
