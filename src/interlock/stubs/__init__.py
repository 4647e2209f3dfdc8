"""Stubs of dependent services and faults in front of real ones.

Public API of the package; other packages import only these names.
"""

from interlock.stubs.chaos_collection import ProxyCollection, ProxySpec, load_proxy_config
from interlock.stubs.tcp_proxy import Proxy
from interlock.stubs.toxics import ChaosApiError, Stream, Toxic, ToxicType
from interlock.stubs.toxiproxy_api import ChaosProxyServer, create_chaos_app, run_chaos_proxy

__all__ = [
    "ChaosApiError",
    "ChaosProxyServer",
    "Proxy",
    "ProxyCollection",
    "ProxySpec",
    "Stream",
    "Toxic",
    "ToxicType",
    "create_chaos_app",
    "load_proxy_config",
    "run_chaos_proxy",
]
