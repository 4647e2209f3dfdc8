"""The contract broker: contracts, versions, branches, environments, deployments and
verification results in one matrix, behind the Pact Broker HTTP API; answers can-i-deploy.

The public surface is listed in `__all__`; other packages import only these names.
"""

from interlock.broker.access import ForbiddenError, UnauthorizedError
from interlock.broker.audit import AuditEntry, audit_trail
from interlock.broker.changes import (
    ContractChange,
    InteractionChanges,
    catalog_owners,
    contract_changes_view,
)
from interlock.broker.client import BrokerClient, BrokerPact
from interlock.broker.config import BrokerSettings
from interlock.broker.dashboard import (
    can_i_deploy_answer,
    pacticipant_matrix,
    pair_states,
    webhooks_view,
)
from interlock.broker.database_verdicts import (
    BrokerDatabaseContract,
    PublishedVerdict,
    fetch_database_contracts,
    publish_database_verdict,
)
from interlock.broker.errors import BrokerError, ConflictError, NotFoundError
from interlock.broker.links import BASE_PATH
from interlock.broker.matrix import MatrixResult, MatrixRow, query_matrix
from interlock.broker.matrix_query import Ignore, MatrixQuery, VersionSelector
from interlock.broker.mount import mount_broker
from interlock.broker.retention import PruneReport, prune_versions
from interlock.broker.routes import router as broker_router
from interlock.broker.stub_trust import BrokerStubPact, PactTrust, fetch_stub_pact
from interlock.broker.tokens import ROLES, NewToken, Token, create_token, list_tokens, revoke_token
from interlock.broker.verifying import verify_with_broker
from interlock.broker.webhook_delivery import WebhookRun, webhook_runs
from interlock.broker.webhooks import EVENTS

__all__ = [
    "BASE_PATH",
    "EVENTS",
    "ROLES",
    "AuditEntry",
    "BrokerClient",
    "BrokerDatabaseContract",
    "BrokerError",
    "BrokerPact",
    "BrokerSettings",
    "BrokerStubPact",
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
    "PactTrust",
    "PruneReport",
    "PublishedVerdict",
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
    "fetch_database_contracts",
    "fetch_stub_pact",
    "list_tokens",
    "mount_broker",
    "pacticipant_matrix",
    "pair_states",
    "prune_versions",
    "publish_database_verdict",
    "query_matrix",
    "revoke_token",
    "verify_with_broker",
    "webhook_runs",
    "webhooks_view",
]
