"""pytest fixtures that bring a service test environment up for a test session.

`interlock_env` starts the environment file named by `--interlock-env`, the ini option
`interlock_env` or `INTERLOCK_ENV_FILE` (or an overridden `interlock_env_file` fixture), puts its
variables into `os.environ` for the session, and stops everything at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.envs.envfile import load_environment_file
from interlock.envs.startup import RunningEnvironment, start_environment

ENV_VARIABLE = "INTERLOCK_ENV_FILE"


def add_env_options(parser: pytest.Parser) -> None:
    """Register `--interlock-env`, `--interlock-env-timeout` and the ini option `interlock_env`."""
    group = parser.getgroup("interlock-env", "Interlock service test environment")
    group.addoption(
        "--interlock-env",
        default=None,
        help=f"environment file the interlock_env fixture brings up (else ini interlock_env, else ${ENV_VARIABLE})",
    )
    group.addoption(
        "--interlock-env-timeout",
        type=float,
        default=60.0,
        help="seconds to wait for each piece of the environment to answer (default 60)",
    )
    parser.addini(
        "interlock_env", "environment file for the interlock_env fixture (relative to the rootdir)"
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    add_env_options(parser)


def _option(config: pytest.Config, name: str) -> object:
    try:
        return config.getoption(name)
    except ValueError:  # the options were not registered (plugin imported without its hook)
        return None


@pytest.fixture(scope="session")
def interlock_env_file(pytestconfig: pytest.Config) -> Path:
    """The environment file: `--interlock-env`, ini `interlock_env`, or `$INTERLOCK_ENV_FILE`."""
    given = _option(pytestconfig, "interlock_env")
    if not given:
        try:
            ini = pytestconfig.getini("interlock_env")
        except ValueError:
            ini = None
        if ini:
            given = str(pytestconfig.rootpath / str(ini))
    given = given or os.environ.get(ENV_VARIABLE)
    if not given:
        raise pytest.UsageError(
            "interlock_env: name the environment file with --interlock-env, the ini option "
            f"interlock_env or ${ENV_VARIABLE}, or override the interlock_env_file fixture"
        )
    return Path(str(given))


@pytest.fixture(scope="session")
def interlock_env(
    interlock_env_file: Path, pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningEnvironment]:
    """The environment, up for the whole session; its variables are set in `os.environ`.

    State and logs go to a session temporary directory; everything stops at session end.
    """
    spec = load_environment_file(interlock_env_file)
    state_dir = tmp_path_factory.mktemp(f"interlock-env-{spec.name}")
    timeout = _option(pytestconfig, "interlock_env_timeout")
    running = start_environment(
        spec, state_dir, float(timeout) if isinstance(timeout, int | float) else 60.0
    )
    saved = {key: os.environ.get(key) for key in running.variables}
    os.environ.update(running.variables)
    try:
        yield running
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        running.stop()
