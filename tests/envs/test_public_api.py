"""The environment package's public surface, and the small pure pieces it exports."""

from __future__ import annotations

import interlock.envs
from interlock.envs import dotenv_text, variable_name


def test_envs_exports_exactly_its_public_api() -> None:
    assert [
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
    ] == interlock.envs.__all__
    for name in interlock.envs.__all__:
        assert hasattr(interlock.envs, name), name


def test_variable_names_are_upper_case_with_underscores() -> None:
    assert "INVENTORY_DB_URL" == variable_name("inventory-db")
    assert "ORDERS_V2_DATABASE_URL" == variable_name("orders.v2", "DATABASE_URL")


def test_dotenv_quotes_values_that_need_it() -> None:
    text = dotenv_text({"A_URL": "http://127.0.0.1:1/x", "NOTE": "two words", "Q": "it's"})
    assert "A_URL=http://127.0.0.1:1/x\nNOTE='two words'\nQ='it'\"'\"'s'\n" == text
