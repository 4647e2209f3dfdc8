"""A service test environment: stubs, real processes and throwaway databases, up and down.

Public API of the package; other packages import only these names.
"""

from interlock.envs.envfile import load_environment_file
from interlock.envs.model import (
    BrokerStub,
    Dependency,
    EnvironmentSpec,
    EnvironmentState,
    PieceState,
    PieceStatus,
    PostgresSpec,
    RealSpec,
    StubSpec,
    variable_name,
)
from interlock.envs.postgres import (
    PostgresError,
    PostgresInstance,
    apply_migrations,
    run_sql_file,
    start_postgres,
    stop_postgres,
)
from interlock.envs.records import (
    default_state_dir,
    dotenv_text,
    environment_dirs,
    environment_status,
    read_state,
    stop_environment,
    stub_services,
)
from interlock.envs.startup import RunningEnvironment, dependency_order, start_environment

__all__ = [
    "BrokerStub",
    "Dependency",
    "EnvironmentSpec",
    "EnvironmentState",
    "PieceState",
    "PieceStatus",
    "PostgresError",
    "PostgresInstance",
    "PostgresSpec",
    "RealSpec",
    "RunningEnvironment",
    "StubSpec",
    "apply_migrations",
    "default_state_dir",
    "dependency_order",
    "dotenv_text",
    "environment_dirs",
    "environment_status",
    "load_environment_file",
    "read_state",
    "run_sql_file",
    "start_environment",
    "start_postgres",
    "stop_environment",
    "stop_postgres",
    "stub_services",
    "variable_name",
]
