"""Faults in front of real dependencies, and experiments that verify resilience.

The TCP fault proxy with Toxiproxy's HTTP API; experiments in the Chaos Toolkit format, run
by Chaos Toolkit's own runner, with Interlock's actions and probes as its extension
(`interlock.chaos.actions`, `interlock.chaos.probes`); resilience expectations from the
catalog checked by built-in experiments.

Public API of the package; other packages import only these names.
"""

from interlock.chaos.chaos_collection import ProxyCollection, ProxySpec, load_proxy_config
from interlock.chaos.experiment import (
    ChaosRun,
    load_experiment_file,
    run_experiment_data,
    run_experiment_file,
    stored_journals,
)
from interlock.chaos.resilience import (
    CallExpectation,
    ResilienceVerdict,
    load_expectations,
    slow_dependency_experiment,
    verify_timeouts,
)
from interlock.chaos.tcp_proxy import Proxy
from interlock.chaos.toxics import ChaosApiError, Stream, Toxic, ToxicType
from interlock.chaos.toxiproxy_api import ChaosProxyServer, create_chaos_app, run_chaos_proxy

__all__ = [
    "CallExpectation",
    "ChaosApiError",
    "ChaosProxyServer",
    "ChaosRun",
    "Proxy",
    "ProxyCollection",
    "ProxySpec",
    "ResilienceVerdict",
    "Stream",
    "Toxic",
    "ToxicType",
    "create_chaos_app",
    "load_expectations",
    "load_experiment_file",
    "load_proxy_config",
    "run_chaos_proxy",
    "run_experiment_data",
    "run_experiment_file",
    "slow_dependency_experiment",
    "stored_journals",
    "verify_timeouts",
]
