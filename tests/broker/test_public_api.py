"""The broker package's public surface: what other packages may import from it."""

from __future__ import annotations

import interlock.broker


def test_broker_exports_exactly_its_public_api() -> None:
    assert [
        "BASE_PATH",
        "BrokerClient",
        "BrokerError",
        "BrokerPact",
        "ConflictError",
        "Ignore",
        "MatrixQuery",
        "MatrixResult",
        "MatrixRow",
        "NotFoundError",
        "VersionSelector",
        "broker_router",
        "query_matrix",
        "verify_with_broker",
    ] == interlock.broker.__all__
