"""Which spans are kept in the store: every error and slow trace, a share of the rest.

Aggregates are counted before sampling, so they always see every span.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from interlock.telemetry.model import Span


class Sampler:
    """Keeps a trace whole when one of its spans is an error or slow; else by a trace-id hash."""

    def __init__(self, rate: float = 1.0, slow_ms: float = 1000.0, memory: int = 100_000) -> None:
        self.rate = rate
        self.slow_ns = int(slow_ms * 1_000_000)
        # the trace ids already chosen because of an error or a slow span, so that their
        # later spans are kept too; bounded, oldest forgotten first
        self._kept: OrderedDict[str, None] = OrderedDict()
        self._memory = memory

    def _by_hash(self, trace_id: str) -> bool:
        # the low 56 bits of a W3C trace id are random, so this share is uniform and every
        # process that sees the same trace takes the same decision
        return int(trace_id[-14:], 16) < self.rate * (1 << 56)

    def select(self, spans: Sequence[Span]) -> list[Span]:
        """The spans of `spans` to store."""
        if self.rate >= 1.0:
            return list(spans)
        for span in spans:
            if span.is_error or span.duration_ns >= self.slow_ns:
                self._kept[span.trace_id] = None
                self._kept.move_to_end(span.trace_id)
        while len(self._kept) > self._memory:
            self._kept.popitem(last=False)
        return [s for s in spans if s.trace_id in self._kept or self._by_hash(s.trace_id)]
