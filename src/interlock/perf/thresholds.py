"""Thresholds in k6's spirit: `p95<200ms`, `error_rate<1%`, `POST /orders: p99<=1s`.

A threshold names an optional operation, a metric, a comparison and a value with its unit;
it holds or it is violated, and a violated one makes `perf run` exit 1.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from interlock.errors import UserInputError
from interlock.perf.model import PerfRun

_FORM = re.compile(
    r"^\s*(?:(?P<operation>.+?)\s*:\s*)?"
    r"(?P<metric>p\(?\d+(?:\.\d+)?\)?|avg|med|min|max|error_rate|rate)\s*"
    r"(?P<cmp><=|>=|==|<|>)\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|us|µs|s|%|/s)?\s*$"
)
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
_TIME_UNITS = {"ms": 1.0, "s": 1000.0, "us": 0.001, "µs": 0.001, None: 1.0}
EXAMPLE = "like 'p95<200ms', 'error_rate<1%' or 'POST /orders: p99<300ms'"


@dataclass(frozen=True)
class Threshold:
    """One threshold: the metric of one operation (or of all, `operation` None) against a limit.

    Latency limits are in milliseconds, `error_rate` a share (0-1), `rate` requests per second.
    """

    text: str
    metric: str
    comparison: str
    limit: float
    operation: str | None = None

    def holds(self, value: float) -> bool:
        return _COMPARE[self.comparison](value, self.limit)

    @property
    def unit(self) -> str:
        return {"error_rate": "%", "rate": "/s"}.get(self.metric, "ms")

    def show(self, value: float) -> str:
        """A value of this threshold's metric, in its unit (`212.4ms`, `0.8%`, `998/s`)."""
        if self.metric == "error_rate":
            return f"{value * 100:.2f}%"
        if self.metric == "rate":
            return f"{value:.1f}/s"
        return f"{value:.1f}ms"


def parse_threshold(text: str, flag: str = "--threshold") -> Threshold:
    """A threshold from its text; `UserInputError` naming `flag` when it cannot be read."""
    found = _FORM.match(text)
    if found is None:
        raise UserInputError(f"{flag} {text!r}: expected [OPERATION:] METRIC<VALUE, {EXAMPLE}")
    metric = found["metric"].replace("(", "").replace(")", "")
    if metric == "med":
        metric = "p50"
    unit = found["unit"]
    value = float(found["value"])
    if metric == "error_rate":
        if unit not in ("%", None):
            raise UserInputError(f"{flag} {text!r}: error_rate takes a percentage, like 1%")
        limit = value / 100 if unit == "%" else value
    elif metric == "rate":
        if unit not in ("/s", None):
            raise UserInputError(f"{flag} {text!r}: rate takes requests per second, like 950/s")
        limit = value
    else:
        if unit in ("%", "/s"):
            raise UserInputError(f"{flag} {text!r}: {metric} takes a duration, like 200ms")
        if metric.startswith("p") and not 0 < float(metric[1:]) < 100:
            raise UserInputError(f"{flag} {text!r}: a percentile is between p0 and p100")
        limit = value * _TIME_UNITS[unit]
    return Threshold(text.strip(), metric, found["cmp"], limit, found["operation"])


@dataclass(frozen=True)
class ThresholdResult:
    """A threshold and what the run measured for it; `value` None when nothing was measured."""

    threshold: Threshold
    value: float | None

    @property
    def passed(self) -> bool:
        return self.value is not None and self.threshold.holds(self.value)

    @property
    def message(self) -> str:
        t = self.threshold
        where = t.operation or "all operations"
        if self.value is None:
            return f"{t.text}: no requests for {where} in this run"
        verdict = "ok" if self.passed else "violated"
        return f"{t.text}: {t.metric} of {where} is {t.show(self.value)} ({verdict})"


def evaluate_thresholds(run: PerfRun, thresholds: Sequence[Threshold]) -> list[ThresholdResult]:
    """Each threshold against what `run` measured."""
    return [ThresholdResult(t, run.metric(t.metric, t.operation)) for t in thresholds]
