"""One ranking from every kind of evidence: services, callees without spans, and edges.

A suspect's score is its strongest evidence plus a quarter of the next ones (at most five), so
that agreeing evidence (a CPU at 98% beside a latency shift) lifts it without many weak pieces
outweighing one strong one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from interlock.telemetry.rca.evidence import Evidence

SUPPORT_SHARE = 0.25
SUPPORT_COUNT = 5


@dataclass(frozen=True)
class RankedSuspect:
    """A service, a callee that sends no spans (`dependency`), or an edge `caller->callee`."""

    name: str
    kind: str  # service | dependency | edge
    score: float
    evidence: tuple[Evidence, ...]
    example_trace_ids: tuple[str, ...]

    @property
    def explanation(self) -> str:
        """The three strongest reasons, in words."""
        return "; ".join(e.text for e in self.evidence[:3])

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "score": round(self.score, 4),
            "explanation": self.explanation,
            "evidence": [e.to_json() for e in self.evidence],
            "example_trace_ids": list(self.example_trace_ids),
        }


def combined_score(evidence: Sequence[Evidence]) -> float:
    """Strongest score + SUPPORT_SHARE x the next SUPPORT_COUNT (evidence sorted, strongest first)."""
    if not evidence:
        return 0.0
    support = sum(e.score for e in evidence[1 : 1 + SUPPORT_COUNT])
    return evidence[0].score + SUPPORT_SHARE * support


def rank(
    evidence: Iterable[Evidence], services: set[str], examples: int = 3
) -> list[RankedSuspect]:
    """Suspects with a positive score, most suspect first; each gets its own example traces first."""
    grouped: dict[str, list[Evidence]] = {}
    for item in evidence:
        if item.score > 0:
            grouped.setdefault(item.suspect, []).append(item)
    scored = []
    for name, found in grouped.items():
        found.sort(key=lambda e: -e.score)
        scored.append((combined_score(found), name, tuple(found)))
    scored.sort(key=lambda s: (-s[0], s[1]))
    used: set[str] = set()
    ranked = []
    for score, name, items in scored:
        candidates: list[str] = []
        for item in items:
            candidates += [t for t in item.example_trace_ids if t not in candidates]
        fresh = [t for t in candidates if t not in used] + [t for t in candidates if t in used]
        chosen = tuple(fresh[:examples])
        used.update(chosen[:1])
        kind = "edge" if "->" in name else "service" if name in services else "dependency"
        ranked.append(RankedSuspect(name, kind, score, items, chosen))
    return ranked
