"""The broker package's public surface: what other packages may import from it."""

from __future__ import annotations

import interlock.broker


def test_broker_exports_exactly_its_public_api() -> None:
    assert [
        "BASE_PATH",
        "EVENTS",
        "ROLES",
        "AuditEntry",
        "BrokerClient",
        "BrokerError",
        "BrokerPact",
        "BrokerSettings",
        "ConflictError",
        "ContractChange",
        "ForbiddenError",
        "Ignore",
        "InteractionChanges",
        "MatrixQuery",
        "MatrixResult",
        "MatrixRow",
        "NewToken",
        "NotFoundError",
        "PruneReport",
        "Token",
        "UnauthorizedError",
        "VersionSelector",
        "WebhookRun",
        "audit_trail",
        "broker_router",
        "can_i_deploy_answer",
        "catalog_owners",
        "contract_changes_view",
        "create_token",
        "list_tokens",
        "mount_broker",
        "pacticipant_matrix",
        "pair_states",
        "prune_versions",
        "query_matrix",
        "revoke_token",
        "verify_with_broker",
        "webhook_runs",
        "webhooks_view",
    ] == interlock.broker.__all__
