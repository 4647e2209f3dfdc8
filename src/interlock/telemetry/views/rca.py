"""The window RCA as the dashboard and the CLI show it: one row per suspect, with its links.

Each suspect links to its traces in the window, its RED page and its log templates; a
suspect without a score is not shown; without a baseline the page says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from interlock.telemetry.rca.diagnose import format_time
from interlock.telemetry.rca.rank import RankedSuspect
from interlock.telemetry.rca.window import WindowDiagnosis

KIND_LABELS = {"service": "service", "dependency": "database or third party", "edge": "call edge"}

SCORE_HELP = (
    "Score: the suspect's strongest evidence plus a quarter of its next five. A latency or gap "
    "shift scores log2(ratio) x excess / (excess + 5 ms), so a 400x slowdown of a 0.2 ms "
    "operation stays in sight beside a 5 s gap; errors score 3 + log2 of their rise; a log "
    "template 2 + log2 of its rise, weighed by its level; a saturated CPU or a growing memory "
    "2-5; calls left unanswered up to 6."
)
OPERATION_HELP = (
    "Window share: the share of the window's traces in which the operation was above its "
    "baseline p95 (or failed). Own share: the share of its own spans that were. Failed / spans: "
    "those spans, of all its spans in the window."
)


def no_baseline_advice(d: WindowDiagnosis) -> str | None:
    """What to do when the baseline window holds no traces to compare with; else None."""
    if d.has_baseline:
        return None
    return (
        f"No traces in the baseline window ({format_time(d.baseline_start_unix_nano)} to "
        f"{format_time(d.baseline_end_unix_nano)}): latencies, gaps, call volumes and log "
        "rates have no usual to be judged against (errors count as new). Choose a baseline "
        "from a time the system was healthy (baseline from/to here, --baseline-start and "
        "--baseline-end on the command line), or, with fresh telemetry, wait until Interlock "
        "has received traffic for as long as the window."
    )


@dataclass(frozen=True)
class SuspectRow:
    """One ranked suspect with its reasons and the pages that show it."""

    rank: int
    name: str
    kind: str
    score: float
    reasons: tuple[str, ...]
    example_trace_id: str | None
    traces_url: str
    red_url: str | None
    logs_url: str | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def links_json(self) -> dict[str, Any]:
        example = f"/traces/{self.example_trace_id}" if self.example_trace_id else None
        return {
            "traces": self.traces_url,
            "red": self.red_url,
            "logs": self.logs_url,
            "example_trace": example,
        }


def _caller_of(suspect: RankedSuspect) -> str | None:
    """For a callee without spans: the caller whose calls to it shifted most."""
    for evidence in suspect.evidence:
        if evidence.feature is not None and evidence.feature[0] in ("call", "gap"):
            return evidence.feature[1]
    return None


def _window_query(d: WindowDiagnosis, **more: str) -> str:
    times = {"start": format_time(d.start_unix_nano), "end": format_time(d.end_unix_nano)}
    return urlencode({**more, **times})


def suspect_rows(d: WindowDiagnosis) -> list[SuspectRow]:
    """The ranking's suspects with a positive score, each with its links."""
    rows: list[SuspectRow] = []
    for suspect in (s for s in d.ranking if s.score > 0):
        name, kind = suspect.name, suspect.kind
        red = logs = None
        if kind == "service":
            service = name
            path = f"/services/{quote(name, safe='')}"
            red, logs = f"{path}/red", f"{path}/logs?{_window_query(d)}"
        elif kind == "edge":
            service = name.split("->", 1)[0]
        else:
            service = _caller_of(suspect) or ""
        traces = (
            f"/traces?{_window_query(d, service=service)}"
            if service
            else (f"/traces?{_window_query(d)}")
        )
        examples = suspect.example_trace_ids
        rows.append(
            SuspectRow(
                len(rows) + 1,
                name,
                kind,
                suspect.score,
                tuple(e.text for e in suspect.evidence),
                examples[0] if examples else None,
                traces,
                red,
                logs,
            )
        )
    return rows


def rca_view_json(d: WindowDiagnosis) -> dict[str, Any]:
    """The diagnosis as JSON, each ranked suspect with its links, and the advice when needed."""
    found = d.to_json()
    links = {row.name: row.links_json() for row in suspect_rows(d)}
    found["ranking"] = [{**s, "links": links.get(s["name"])} for s in found["ranking"]]
    found["advice"] = no_baseline_advice(d)
    return found
