"""Load tests of one service: traffic from pacts or a scenario, sent by Locust at a constant
arrival rate, thresholds, runs stored per commit, and regression checks against a baseline.

Public API of the package; other packages import only these names.
"""

from interlock.perf.compare import Comparison, MetricChange, compare_runs
from interlock.perf.histogram import LatencyHistogram
from interlock.perf.junit import thresholds_to_junit
from interlock.perf.load_test import (
    LoadTestReport,
    LoadTestRequest,
    check_against,
    current_commit,
    load_test,
)
from interlock.perf.model import OVERALL, OperationResult, PerfRun
from interlock.perf.observed import SpanSource, observed_rates, weigh_by_observed
from interlock.perf.openapi_traffic import plan_from_openapi
from interlock.perf.pact_traffic import plan_from_pacts
from interlock.perf.records import get_run, perf_database, recent_runs, save_run, stored_services
from interlock.perf.runner import LoadEngineError, LoadOptions, run_load
from interlock.perf.scenario import load_scenario
from interlock.perf.thresholds import (
    Threshold,
    ThresholdResult,
    evaluate_thresholds,
    parse_threshold,
)
from interlock.perf.traffic import Flow, RequestVariant, Stage, Step, TrafficPlan

__all__ = [
    "OVERALL",
    "Comparison",
    "Flow",
    "LatencyHistogram",
    "LoadEngineError",
    "LoadOptions",
    "LoadTestReport",
    "LoadTestRequest",
    "MetricChange",
    "OperationResult",
    "PerfRun",
    "RequestVariant",
    "SpanSource",
    "Stage",
    "Step",
    "Threshold",
    "ThresholdResult",
    "TrafficPlan",
    "check_against",
    "compare_runs",
    "current_commit",
    "evaluate_thresholds",
    "get_run",
    "load_scenario",
    "load_test",
    "observed_rates",
    "parse_threshold",
    "perf_database",
    "plan_from_openapi",
    "plan_from_pacts",
    "recent_runs",
    "run_load",
    "save_run",
    "stored_services",
    "thresholds_to_junit",
    "weigh_by_observed",
]
