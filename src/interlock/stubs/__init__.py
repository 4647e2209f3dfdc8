"""Stubs of dependent services and faults in front of real ones.

Public API of the package; other packages import only these names. The TCP fault proxy
and its Toxiproxy API now live in `interlock.chaos`; their names stay importable from here.
"""

from interlock.chaos import (
    ChaosApiError,
    ChaosProxyServer,
    Proxy,
    ProxyCollection,
    ProxySpec,
    Stream,
    Toxic,
    ToxicType,
    create_chaos_app,
    load_proxy_config,
    run_chaos_proxy,
)
from interlock.stubs.broker_source import (
    BrokerSource,
    broker_sources,
    load_broker_service,
    trust_line,
)
from interlock.stubs.fault_client import add_fault, list_faults, remove_faults
from interlock.stubs.http_faults import FaultError, HttpFault, parse_fault
from interlock.stubs.matcher_inference import infer_matchers
from interlock.stubs.recorder import RecordingProxy
from interlock.stubs.stub_app import StubHost
from interlock.stubs.stub_routes import StubReply, StubRequest, StubRoute
from interlock.stubs.stub_runner import (
    RecordingServer,
    ServiceEndpoint,
    StubServer,
    load_fault_config,
)
from interlock.stubs.stub_service import StubService
from interlock.stubs.stub_sources import load_services

__all__ = [
    "BrokerSource",
    "ChaosApiError",
    "ChaosProxyServer",
    "FaultError",
    "HttpFault",
    "Proxy",
    "ProxyCollection",
    "ProxySpec",
    "RecordingProxy",
    "RecordingServer",
    "ServiceEndpoint",
    "Stream",
    "StubHost",
    "StubReply",
    "StubRequest",
    "StubRoute",
    "StubServer",
    "StubService",
    "Toxic",
    "ToxicType",
    "add_fault",
    "broker_sources",
    "create_chaos_app",
    "infer_matchers",
    "list_faults",
    "load_broker_service",
    "load_fault_config",
    "load_proxy_config",
    "load_services",
    "parse_fault",
    "remove_faults",
    "run_chaos_proxy",
    "trust_line",
]
