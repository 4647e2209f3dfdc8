"""Evidence from logs: templates mined per service, and how their rate changed in the window.

New templates, warning and error templates, and exception types count; a template that names
another service (`timeout calling payments`) points at that one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from interlock.telemetry.model import LogRecord
from interlock.telemetry.rca.evidence import Evidence
from interlock.telemetry.rca.log_templates import TemplateMiner, message_of
from interlock.telemetry.rca.stats import rate_ratio

MIN_COUNT = 3
EMITTER_SHARE = 0.3  # what the emitter keeps of a template that names another service
_WORD = re.compile(r"[A-Za-z0-9_.-]+")


def _severity_weight(severity: int, exception: bool) -> float:
    if exception or severity >= 17:
        return 1.0
    if severity >= 13:
        return 0.8
    return 0.3  # a new informational template is weak evidence


@dataclass
class _Count:
    before: int = 0
    now: int = 0
    severity: int = 0
    exception: str = ""
    traces: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TemplateChange:
    """One service's template, its counts before and in the window, and what kind it is."""

    service: str
    template: str
    before: int
    now: int
    severity: int
    exception: str
    example_trace_ids: tuple[str, ...]


def template_changes(
    baseline: Iterable[LogRecord], window: Iterable[LogRecord]
) -> list[TemplateChange]:
    """Every template per service with its counts on both sides (mined over both, in order)."""
    miners: dict[str, TemplateMiner] = {}
    counts: dict[tuple[str, int], _Count] = {}
    for side, records in ((0, baseline), (1, window)):
        for record in records:
            miner = miners.setdefault(record.service, TemplateMiner())
            template = miner.add(message_of(record.body))
            entry = counts.setdefault((record.service, template.id), _Count())
            if side:
                entry.now += 1
                if record.trace_id and len(entry.traces) < 5:
                    entry.traces.append(record.trace_id)
            else:
                entry.before += 1
            entry.severity = max(entry.severity, record.severity_number)
            kind = record.attributes.get("exception.type")
            if kind and side:
                entry.exception = str(kind)
    return [
        TemplateChange(
            service,
            miners[service].templates[tid].text,
            c.before,
            c.now,
            c.severity,
            c.exception,
            tuple(c.traces),
        )
        for (service, tid), c in counts.items()
    ]


def log_evidence(
    baseline: Iterable[LogRecord],
    window: Iterable[LogRecord],
    scale: float,
    names: Sequence[str],
) -> list[Evidence]:
    """Templates whose rate rose (or that are new) in the window; `names` are known suspects."""
    known = set(names)
    found = []
    for change in template_changes(baseline, window):
        expected = change.before * scale
        if change.now < MIN_COUNT or change.now < expected + 3 * math.sqrt(expected) + 2:
            continue
        ratio = rate_ratio(change.before, change.now, scale)
        if ratio < 3:
            continue
        weight = _severity_weight(change.severity, bool(change.exception))
        score = weight * (2 + min(4.0, math.log2(ratio)))
        level = "error" if change.severity >= 17 else "warning" if change.severity >= 13 else "log"
        what = "new" if change.before == 0 else f"x{ratio:.1f}"
        exception = f" ({change.exception})" if change.exception else ""
        text = f"{level} template '{change.template}'{exception} {what}: {change.now} in the window"
        mentioned = [
            w for w in _WORD.findall(change.template) if w in known and w != change.service
        ]
        examples = change.example_trace_ids
        if mentioned:
            target = mentioned[0]
            found.append(Evidence("logs", target, score, f"{change.service}: {text}", "", examples))
            score *= EMITTER_SHARE
        found.append(Evidence("logs", change.service, score, text, "", examples))
    return found
