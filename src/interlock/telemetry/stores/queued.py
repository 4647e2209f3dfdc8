"""The write path every span store shares: a bounded queue, one writer thread, batched commits.

Aggregates and sampling run on the writer thread, so a request only decodes and enqueues.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from interlock.telemetry.intake.aggregates import AggregateDelta, Aggregator
from interlock.telemetry.intake.sampling import Sampler
from interlock.telemetry.model import LogRecord, Span
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.interface import StoreCounters

log = logging.getLogger(__name__)
Connection = TypeVar("Connection")
_HOUSEKEEPING_EVERY_S = 60.0


class QueuedSpanStore(ABC, Generic[Connection]):
    """Base of the stores: subclasses say how to connect, commit a batch and keep house."""

    def __init__(self, settings: TelemetrySettings) -> None:
        self.settings = settings
        self._aggregator = Aggregator(horizon_s=settings.pairing_horizon_s)
        self._sampler = Sampler(settings.sample_rate, settings.slow_ms)
        self._queue: deque[tuple[str, Sequence[Any]]] = deque()
        self._pending = 0  # items queued or being written
        self._cond = threading.Condition()
        self._closing = False
        self._counters = StoreCounters()
        self._writer = threading.Thread(target=self._run, name="span-store-writer", daemon=True)

    def _start(self) -> None:
        """Start the writer; subclasses call this once their schema exists."""
        self._writer.start()

    # --- what a backend provides ---------------------------------------------------------

    @abstractmethod
    def _open_writer(self) -> Connection: ...

    @abstractmethod
    def _commit(
        self, conn: Connection, spans: list[Span], logs: list[LogRecord], delta: AggregateDelta
    ) -> None:
        """Write one batch in one transaction (rolled back on any error)."""

    @abstractmethod
    def _is_transient(self, error: Exception) -> bool:
        """True for errors worth waiting out (a lock held by someone else, a restart)."""

    @abstractmethod
    def _housekeeping(self, conn: Connection) -> None:
        """Retention; called by the writer about once a minute."""

    @abstractmethod
    def _close_writer(self, conn: Connection) -> None: ...

    def _reconnect(self, conn: Connection) -> Connection:
        """The connection to retry with after a transient error (the same one by default)."""
        return conn

    # --- the queue -----------------------------------------------------------------------

    def _offer(self, kind: str, items: Sequence[Any]) -> bool:
        if not items:
            return True
        with self._cond:
            if self._closing:
                return False
            # the bound is checked before the batch goes in, so that the intake can check it
            # before decoding (`has_room`) and never decode a request it then refuses
            if self._pending >= self.settings.queue_max_items:
                self._counters.refused_batches += 1
                return False
            self._queue.append((kind, items))
            self._pending += len(items)
            if kind == "spans":
                self._counters.spans_received += len(items)
            self._cond.notify_all()
        return True

    def has_room(self) -> bool:
        """False while the queue is full, so the intake can refuse before decoding anything.

        A False answer counts as a refused batch.
        """
        if not self._closing and self._pending < self.settings.queue_max_items:
            return True
        self._counters.refused_batches += 1
        return False

    def offer_spans(self, spans: Sequence[Span]) -> bool:
        """Queue `spans` for writing; False (nothing queued) when the queue is full."""
        return self._offer("spans", spans)

    def offer_logs(self, logs: Sequence[LogRecord]) -> bool:
        """Queue `logs` for writing; False (nothing queued) when the queue is full."""
        return self._offer("logs", logs)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is committed; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def close(self) -> None:
        """Stop taking data, write everything queued, settle pending calls, disconnect."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._writer.is_alive():
            self._writer.join()

    @property
    def counters(self) -> StoreCounters:
        return self._counters

    # --- the writer thread ---------------------------------------------------------------

    def _run(self) -> None:
        self._conn = self._open_writer()
        # not at once: a store opened only to read (the CLI) must not delete as a side effect
        next_housekeeping = time.monotonic() + _HOUSEKEEPING_EVERY_S
        while True:
            if time.monotonic() >= next_housekeeping:
                next_housekeeping = time.monotonic() + _HOUSEKEEPING_EVERY_S
                try:
                    self._housekeeping(self._conn)
                except Exception as error:  # busy or broken: the next round tries again
                    log.warning("span store housekeeping skipped: %s", error)
            with self._cond:
                if not self._queue and not self._closing:
                    self._cond.wait(timeout=1.0)
                if not self._queue and self._closing:
                    break
                batch: list[tuple[str, Sequence[Any]]] = []
                taken = 0
                while self._queue and taken < self.settings.batch_max_items:
                    item = self._queue.popleft()
                    batch.append(item)
                    taken += len(item[1])
            try:
                self._write(batch)
            except Exception:  # our bug or a full disk; keep serving, the log says which
                log.exception("span store write failed; %d items lost", taken)
            with self._cond:
                self._pending -= taken
                self._cond.notify_all()
        self._aggregator.expire(everything=True)
        self._write([])
        self._close_writer(self._conn)

    def _write(self, batch: list[tuple[str, Sequence[Any]]]) -> None:
        spans = [s for kind, items in batch if kind == "spans" for s in items]
        logs = [r for kind, items in batch if kind == "logs" for r in items]
        self._aggregator.add(spans)
        kept = self._sampler.select(spans)
        delta = self._aggregator.drain()
        if not (kept or logs or delta):
            return
        while True:
            try:
                self._commit(self._conn, kept, logs, delta)
                break
            except Exception as error:
                # a lock held elsewhere, a full disk, a lost connection: wait, never drop what
                # was accepted; meanwhile the queue fills and the intake answers 503
                if not self._is_transient(error):
                    raise
                log.warning("span store unavailable, retrying: %s", error)
                time.sleep(0.5)
                self._conn = self._reconnect(self._conn)
        self._counters.spans_stored += len(kept)
        self._counters.logs_stored += len(logs)
