"""Evidence from traces: each operation, call gap and call judged against its own baseline.

Every piece of evidence names a suspect (a service, a database or third party, or an edge
`caller->callee`), a score and a sentence that explains it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from interlock.telemetry.rca.features import FeatureKey, Observations
from interlock.telemetry.rca.stats import Shift, latency_shift, quantile, rate_ratio

MIN_EDGE_CALLS = 5
"""An edge with fewer calls in the window is not judged (and not counted against a service)."""
ERROR_BASE = 3.0
UNANSWERED_WEIGHT = 6.0
VANISHED_WEIGHT = 5.0


@dataclass(frozen=True)
class Evidence:
    """One reason to suspect `suspect`; `operation` when it is about one of its operations."""

    kind: str  # latency | call | gap | unanswered | vanished | errors | logs | metrics
    suspect: str
    score: float
    text: str
    operation: str = ""
    example_trace_ids: tuple[str, ...] = ()
    shift: Shift | None = None
    feature: FeatureKey | None = None  # the measured quantity, for latency-like evidence
    count: int = 0  # window traces or records that show it

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "score": round(self.score, 3),
            "text": self.text,
            "operation": self.operation or None,
            "example_trace_ids": list(self.example_trace_ids),
        }


EXAMPLES_KEPT = 10


def traces_above(window: Observations, key: FeatureKey, above: float) -> list[str]:
    """The window's traces in which `key` measured more than `above`, largest value first."""
    found: dict[str, None] = {}
    for value, trace_id in window.tops.get(key, []):
        if value <= above:
            break
        found[trace_id] = None
    return list(found)


def _examples(window: Observations, key: FeatureKey, above: float) -> tuple[str, ...]:
    return tuple(traces_above(window, key, above)[:EXAMPLES_KEPT])


def _shift(
    baseline: Observations, window: Observations, key: FeatureKey
) -> tuple[Shift | None, tuple[str, ...]]:
    before = baseline.values.get(key, [])
    shift = latency_shift(before, window.values.get(key, []))
    if shift is None or shift.score <= 0:
        return shift, ()
    return shift, _examples(window, key, quantile(before, 0.95))


def latency_evidence(baseline: Observations, window: Observations) -> list[Evidence]:
    """Self time of each operation, and calls to callees that send no spans of their own."""
    found = []
    for key in window.values:
        kind, first, second = key
        if kind == "gap":
            continue
        shift, examples = _shift(baseline, window, key)
        if shift is None or shift.score <= 0:
            continue
        if kind == "self":
            text = f"self time of {second}: {shift.describe()}"
            found.append(
                Evidence("latency", first, shift.score, text, second, examples, shift, key)
            )
        else:
            text = f"calls from {first}: {shift.describe()}"
            found.append(Evidence("call", second, shift.score, text, "", examples, shift, key))
    return found


def gap_evidence(baseline: Observations, window: Observations) -> list[Evidence]:
    """Gaps between CLIENT and SERVER spans, per edge, placed where the grown edges meet.

    A grown gap counts for the callee by the square of the share of its judged inbound edges
    that grew, for the caller by that of its outbound edges, and for the edge itself by what
    neither explains: a gap grown on every edge into one callee points at the callee, on every
    edge out of one caller at the caller, on one edge alone at that edge.
    """
    judged: dict[tuple[str, str], tuple[Shift, tuple[str, ...]]] = {}
    for key in window.values:
        if key[0] != "gap" or len(window.values[key]) < MIN_EDGE_CALLS:
            continue
        shift, examples = _shift(baseline, window, key)
        if shift is not None:
            judged[(key[1], key[2])] = (shift, examples)
    grown = {edge for edge, (shift, _) in judged.items() if shift.score > 0}
    found: list[Evidence] = []
    for caller, callee in sorted(grown):
        shift, examples = judged[(caller, callee)]
        inbound = [e for e in judged if e[1] == callee]
        outbound = [e for e in judged if e[0] == caller]
        share_in = sum(e in grown for e in inbound) / len(inbound)
        share_out = sum(e in grown for e in outbound) / len(outbound)
        grown_in = sum(e in grown for e in inbound)
        grown_out = sum(e in grown for e in outbound)
        text = (
            f"gap {caller}->{callee} (network or queueing before the handler): {shift.describe()}"
        )
        found.append(
            Evidence(
                "gap",
                callee,
                shift.score * share_in**2,
                f"inbound {text}; grown on {grown_in}/{len(inbound)} edges into {callee}",
                "",
                examples,
                shift,
                ("gap", caller, callee),
            )
        )
        found.append(
            Evidence(
                "gap",
                caller,
                shift.score * share_out**2,
                f"outbound {text}; grown on {grown_out}/{len(outbound)} edges out of {caller}",
                "",
                examples,
                shift,
                ("gap", caller, callee),
            )
        )
        found.append(
            Evidence(
                "gap",
                f"{caller}->{callee}",
                shift.score * (1 - max(share_in, share_out)),
                f"{text}; only this edge",
                "",
                examples,
                shift,
                ("gap", caller, callee),
            )
        )
    return [e for e in found if e.score > 0]


def unanswered_evidence(baseline: Observations, window: Observations) -> list[Evidence]:
    """Calls to a service that sends spans, left without its SERVER span: it stopped answering."""
    found = []
    for (caller, callee), calls in window.calls.items():
        if callee not in baseline.services or calls < 3:
            continue
        rate = window.unanswered.get((caller, callee), 0) / calls
        before_calls = baseline.calls.get((caller, callee), 0)
        before = baseline.unanswered.get((caller, callee), 0) / before_calls if before_calls else 0
        if rate >= 0.5 and rate > before + 0.3:
            examples = tuple(t for _, t in window.tops.get(("call", caller, callee), [])[:5])
            text = (
                f"{window.unanswered.get((caller, callee), 0)}/{calls} calls from {caller} "
                f"got no answer (no server span; usually {before:.0%})"
            )
            found.append(
                Evidence("unanswered", callee, UNANSWERED_WEIGHT * rate, text, "", examples)
            )
    return found


def vanished_evidence(baseline: Observations, window: Observations, scale: float) -> list[Evidence]:
    """Operations that stopped serving although their callers still call (or have none)."""
    calls_in_before: dict[str, int] = {}
    calls_in_now: dict[str, int] = {}
    for (_, callee), n in baseline.calls.items():
        calls_in_before[callee] = calls_in_before.get(callee, 0) + n
    for (_, callee), n in window.calls.items():
        calls_in_now[callee] = calls_in_now.get(callee, 0) + n
    found = []
    for (service, operation), count in baseline.serves.items():
        expected = count * scale
        seen = window.serves.get((service, operation), 0)
        if expected < 10 or seen > 0.3 * expected:
            continue
        callers_before = calls_in_before.get(service, 0)
        if callers_before and calls_in_now.get(service, 0) < 0.6 * callers_before * scale:
            continue  # its callers stopped calling: the cause is upstream
        text = f"{operation}: {seen} calls served, {expected:.0f} expected"
        score = VANISHED_WEIGHT * (1 - seen / expected)
        found.append(Evidence("vanished", service, score, text, operation))
    return found


def error_evidence(baseline: Observations, window: Observations, scale: float) -> list[Evidence]:
    """Traces whose error root cause (a failing span no failing child explains) is the suspect."""
    found = []
    for suspect, count in window.errors.items():
        before = baseline.errors.get(suspect, 0)
        ratio = rate_ratio(before, count, scale)
        if count < (1 if before == 0 else 3) or ratio < 2:
            continue  # an error never seen in the baseline counts from its first trace
        text = f"root cause of {count} failing trace(s) (baseline {before})"
        score = ERROR_BASE + min(5.0, math.log2(ratio))
        examples = tuple(window.error_examples.get(suspect, ())[:EXAMPLES_KEPT])
        operations = window.error_operations.get(suspect, {})
        operation = max(operations, key=lambda o: operations[o]) if operations else ""
        found.append(Evidence("errors", suspect, score, text, operation, examples, count=count))
    return found


def trace_evidence(baseline: Observations, window: Observations, scale: float) -> list[Evidence]:
    """All the evidence traces give."""
    return (
        latency_evidence(baseline, window)
        + gap_evidence(baseline, window)
        + unanswered_evidence(baseline, window)
        + vanished_evidence(baseline, window, scale)
        + error_evidence(baseline, window, scale)
    )
