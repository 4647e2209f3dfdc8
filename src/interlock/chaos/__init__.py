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
)
from interlock.chaos.resilience_experiments import (
    dead_dependency_experiment,
    retry_budget_experiment,
)
from interlock.chaos.tcp_proxy import Proxy
from interlock.chaos.toxics import ChaosApiError, Stream, Toxic, ToxicType
from interlock.chaos.toxiproxy_api import ChaosProxyServer, create_chaos_app, run_chaos_proxy
from interlock.chaos.verification import (
    EXPERIMENTS,
    Target,
    verify_resilience,
    verify_timeouts,
)

__all__ = [
    "EXPERIMENTS",
    "CallExpectation",
    "ChaosApiError",
    "ChaosProxyServer",
    "ChaosRun",
    "Proxy",
    "ProxyCollection",
    "ProxySpec",
    "ResilienceVerdict",
    "Stream",
    "Target",
    "Toxic",
    "ToxicType",
    "create_chaos_app",
    "dead_dependency_experiment",
    "load_expectations",
    "load_experiment_file",
    "load_proxy_config",
    "retry_budget_experiment",
    "run_chaos_proxy",
    "run_experiment_data",
    "run_experiment_file",
    "slow_dependency_experiment",
    "stored_journals",
    "verify_resilience",
    "verify_timeouts",
]
