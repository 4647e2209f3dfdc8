"""Code the four example shop services share: database access, tracing, logging, faults, serving.

Each service imports from here; nothing in here knows about any one service.
"""

from shoplib.database import Database, MigrationError, migrate_down, migrate_up
from shoplib.faults import Fault, FaultSwitch, parse_fault
from shoplib.request_log import setup_logging
from shoplib.serving import (
    ErrorBody,
    ServiceClient,
    StateHandler,
    error_responses,
    forward_error,
    run,
    service_app,
)
from shoplib.tracing import Tracing, TracingMiddleware, setup_tracing

__all__ = [
    "Database",
    "ErrorBody",
    "Fault",
    "FaultSwitch",
    "MigrationError",
    "ServiceClient",
    "StateHandler",
    "Tracing",
    "TracingMiddleware",
    "error_responses",
    "forward_error",
    "migrate_down",
    "migrate_up",
    "parse_fault",
    "run",
    "service_app",
    "setup_logging",
    "setup_tracing",
]
