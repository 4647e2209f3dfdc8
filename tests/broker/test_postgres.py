"""The broker on PostgreSQL: publishing, verification, deployment and can-i-deploy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from interlock.broker import MatrixQuery, VersionSelector, query_matrix
from interlock.broker.environments import create_environment, record_deployment
from interlock.broker.pacts import publish_contract
from interlock.broker.verifications import record_verification
from interlock.store import create_engine_for, upgrade_database

pytestmark = pytest.mark.postgres


def test_can_i_deploy_on_postgres(postgres: Any) -> None:
    """The same answers as on SQLite: no before the deployed provider verified, yes after."""
    url = postgres.create_database("interlock_broker")
    upgrade_database(url)
    engine = create_engine_for(url)
    document = {"consumer": {"name": "web"}, "provider": {"name": "orders"}, "interactions": []}
    query = MatrixQuery((VersionSelector("web", version="1"),), environment="production")
    try:
        with engine.begin() as connection:
            create_environment(connection, {"name": "production"})
            stored = publish_contract(
                connection,
                consumer="web",
                provider="orders",
                version="1",
                content=json.dumps(document),
            )
            publish_contract(
                connection,
                consumer="web",
                provider="orders",
                version="1",
                content=json.dumps(document),
            )
            record_verification(
                connection,
                "orders",
                "web",
                stored.sha,
                {"success": True, "providerApplicationVersion": "9"},
            )
        with engine.connect() as connection:
            before = query_matrix(connection, query)
        with engine.begin() as connection:
            record_deployment(
                connection, pacticipant="orders", version="9", environment="production"
            )
        with engine.connect() as connection:
            after = query_matrix(connection, query)
    finally:
        engine.dispose()
    assert False is before.deployable
    assert True is after.deployable
