"""Interlock's pytest plugin (registered through the `pytest11` entry point): consumer contract tests.

The `interlock_pact` fixture starts a mock provider per pair in a test, fails the test on a request that matched nothing or an interaction never called, and writes one Pact file per pair at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from interlock.contracts import ConsumerPact, MockProvider, PactCollector, WriteMode
from interlock.errors import InterlockError

DEFAULT_PACT_DIR = "pacts"
DEFAULT_SPEC = "4"

pytest_plugins = [
    "interlock.envs.pytest_fixtures",  # `interlock_env`: a service test environment
    "interlock.perf.pytest_fixtures",  # `interlock_perf`: a load test with thresholds
    "interlock.chaos.pytest_fixtures",  # `interlock_chaos`: experiments, resilience checks
]


@dataclass
class _Run:
    """The run's collectors (one per pact directory) and the pairs that had a failing test."""

    collectors: dict[Path, PactCollector] = field(default_factory=dict)
    failed_pairs: set[tuple[Path, str, str]] = field(default_factory=set)


@dataclass
class _TestPacts:
    """The pacts one test declared, their mock providers, and where their files go."""

    directory: Path
    served: list[tuple[ConsumerPact, MockProvider]] = field(default_factory=list)


_RUN = pytest.StashKey[_Run]()
_TEST = pytest.StashKey[_TestPacts]()

PactFactory = Callable[..., ConsumerPact]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("interlock", "Interlock consumer contract tests")
    group.addoption(
        "--pact-dir",
        default=None,
        help=f"directory the consumer tests write Pact files into (default: ini interlock_pact_dir or {DEFAULT_PACT_DIR}/)",
    )
    group.addoption(
        "--pact-write-mode",
        choices=[m.value for m in WriteMode],
        default=None,
        help="overwrite: a file holds exactly this run's interactions (default); merge: keep the file's others too",
    )
    parser.addini(
        "interlock_pact_dir",
        f"directory for Pact files, relative to the rootdir (default {DEFAULT_PACT_DIR})",
        default=DEFAULT_PACT_DIR,
    )
    parser.addini(
        "interlock_pact_write_mode",
        "overwrite (default) or merge",
        default=WriteMode.overwrite.value,
    )
    parser.addini(
        "interlock_pact_spec",
        "Pact specification version of written files: 3 or 4 (default 4)",
        default=DEFAULT_SPEC,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "interlock_pact_dir(path): write the Pact files of these tests into path (relative to the rootdir)",
    )
    config.stash[_RUN] = _Run()


def _pact_dir(item: pytest.Item) -> Path:
    config = item.config
    marker = item.get_closest_marker("interlock_pact_dir")
    if marker is not None and marker.args:
        return (config.rootpath / str(marker.args[0])).resolve()
    option = config.getoption("--pact-dir")
    if option:
        return (config.invocation_params.dir / str(option)).resolve()
    return (config.rootpath / str(config.getini("interlock_pact_dir"))).resolve()


def _write_mode(config: pytest.Config) -> WriteMode:
    value = config.getoption("--pact-write-mode") or config.getini("interlock_pact_write_mode")
    try:
        return WriteMode(str(value))
    except ValueError:
        raise pytest.UsageError(
            f"interlock_pact_write_mode: expected overwrite or merge, found {value!r}"
        ) from None


@pytest.fixture
def interlock_pact(request: pytest.FixtureRequest) -> Iterator[PactFactory]:
    """A factory `interlock_pact(consumer, provider, spec="4")` -> a `ConsumerPact` with a running mock.

    Declare interactions on it, call `pact.url`; at the end of the test, a request that
    matched nothing or an interaction never called fails the test with a readable diff.
    """
    item = request.node
    test = _TestPacts(_pact_dir(item))
    item.stash[_TEST] = test
    default_spec = str(request.config.getini("interlock_pact_spec"))

    def start(consumer: str, provider: str, *, spec: str | None = None) -> ConsumerPact:
        pact = ConsumerPact(consumer, provider, spec=spec or default_spec)
        mock = MockProvider(pact).start()
        pact.mock = mock
        test.served.append((pact, mock))
        return pact

    try:
        yield start
    finally:
        for pact, mock in test.served:
            mock.stop()
            pact.mock = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """After a test body passes, check its mock providers and keep its interactions."""
    test = item.stash.get(_TEST, None)
    run = item.config.stash[_RUN]
    try:
        result = yield
    except BaseException:
        if test is not None:
            for pact, _ in test.served:
                run.failed_pairs.add((test.directory, pact.consumer, pact.provider))
        raise
    if test is None or not test.served:
        return result
    try:
        reports = [mock.report() for _, mock in test.served]
    except InterlockError as exc:  # an interaction left incomplete
        for pact, _ in test.served:
            run.failed_pairs.add((test.directory, pact.consumer, pact.provider))
        pytest.fail(str(exc), pytrace=False)
    failing = [report for report in reports if not report.ok]
    if failing:
        for report in failing:
            run.failed_pairs.add((test.directory, report.consumer, report.provider))
        pytest.fail("\n\n".join(report.describe() for report in failing), pytrace=False)
    collector = run.collectors.get(test.directory)
    if collector is None:
        collector = run.collectors[test.directory] = PactCollector(
            test.directory, _write_mode(item.config)
        )
    for pact, _ in test.served:
        try:
            collector.add(pact.to_pact())
        except InterlockError as exc:
            run.failed_pairs.add((test.directory, pact.consumer, pact.provider))
            pytest.fail(str(exc), pytrace=False)
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write each pair's Pact file, except pairs that had a failing test (their file stays as it was)."""
    run = session.config.stash.get(_RUN, None)
    if run is None:
        return
    for directory, collector in sorted(run.collectors.items()):
        for pact in collector.pacts:
            if (directory, pact.consumer, pact.provider) in run.failed_pairs:
                collector.drop(pact.consumer, pact.provider)
        collector.write()
