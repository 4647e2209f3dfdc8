"""The contract broker: contracts, versions, branches, environments, deployments and
verification results in one matrix, behind the Pact Broker HTTP API; answers can-i-deploy.

The public surface is listed in `__all__`; other packages import only these names.
"""

from interlock.broker.client import BrokerClient, BrokerPact
from interlock.broker.errors import BrokerError, ConflictError, NotFoundError
from interlock.broker.links import BASE_PATH
from interlock.broker.matrix import MatrixResult, MatrixRow, query_matrix
from interlock.broker.matrix_query import Ignore, MatrixQuery, VersionSelector
from interlock.broker.routes import router as broker_router
from interlock.broker.verifying import verify_with_broker

__all__ = [
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
]
