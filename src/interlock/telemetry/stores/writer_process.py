"""The SQLite span store with its writer in a second process, so that ingest uses two cores.

The HTTP process decodes into rows and computes each span's aggregate keys (operation name, SQL
fingerprint, database, peer) while its attributes are still a dict; the writer process counts
aggregates from those keys, samples and commits.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import signal
import sqlite3
import threading
import time
from collections.abc import Sequence
from multiprocessing.sharedctypes import SynchronizedArray
from pathlib import Path
from typing import Any

from interlock.telemetry.intake.aggregates import Aggregator, SpanRecord, span_keys
from interlock.telemetry.intake.sampling import Sampler
from interlock.telemetry.model import LogRecord, Span
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.stores.interface import StoreCounters
from interlock.telemetry.stores.row_codec import (
    SpanRow,
    log_rows,
    span_from_row_for_sampling,
    span_rows,
)
from interlock.telemetry.stores.sqlite import (
    SQLiteSpanStore,
    connect_writer,
    is_transient,
    write_batch,
)
from interlock.telemetry.stores.sqlite_retention import apply_retention

log = logging.getLogger(__name__)
_PENDING, _SPANS_STORED, _LOGS_STORED = 0, 1, 2  # slots of the counters shared by both processes
_HOUSEKEEPING_EVERY_S = 60.0
_POLL_S = 0.005
_CHECKPOINT_EVERY_S = 1.0
_COMMIT_EVERY_S = 1.0  # at most this often, unless a batch is full

# one item of the inbox: span records (row, aggregate keys), log rows, and how many items of the
# queue bound they hold; None tells the writer to stop
Item = tuple[list[SpanRecord], list[tuple[Any, ...]], int] | None


class SQLiteProcessSpanStore(SQLiteSpanStore):
    """A `SpanStore` on one SQLite file whose single writer is a child process.

    Reads are those of `SQLiteSpanStore`. The HTTP process decodes each request into rows;
    they cross a multiprocessing queue bounded by `queue_max_items` (spans + log records not
    yet committed, counted in shared memory). The writer process, like the writer thread of
    the other stores, counts the aggregates over every span (pairing needs the one place that
    sees them all), samples, and commits rows and aggregates together. An offer that does not
    fit is refused (the intake answers 503); `close()` returns once the child has committed
    everything accepted and stopped.
    """

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._shared: SynchronizedArray[int] = context.Array("q", 3)
        self._inbox: multiprocessing.Queue[Item] = context.Queue()
        self._lock = threading.Lock()  # guards the aggregator, the sampler and the inbox order
        self._closed = False
        ready = context.Event()
        self._process = context.Process(
            target=write_forever,
            args=(self.path, self.settings, self._inbox, self._shared, ready),
            name="span-store-writer",
            daemon=False,  # a daemon would be killed at exit before it has flushed
        )
        self._process.start()
        # the intake is ready when its writer is: no burst of 503s while the child starts
        while not ready.wait(timeout=0.1):
            if not self._process.is_alive():
                raise RuntimeError(
                    f"span store writer for {self.path} failed to start "
                    f"(exit code {self._process.exitcode})"
                )

    def _put(self, rows: list[SpanRecord], logs: list[tuple[Any, ...]]) -> bool:
        count = len(rows) + len(logs)
        if not count:
            return True
        with self._lock:
            if self._closing or not self._process.is_alive():
                return False
            # as in the other stores: full only once the bound is reached, so that `has_room`
            # just before decoding is the answer the offer will give
            if self._shared[_PENDING] >= self.settings.queue_max_items:
                self._counters.refused_batches += 1
                return False
            with self._shared.get_lock():
                self._shared[_PENDING] += count
            self._inbox.put((rows, logs, count))
            self._counters.spans_received += len(rows)  # once accepted: a refusal is sent again
        return True

    def has_room(self) -> bool:
        """False while the queue is full or the writer is gone; a False counts as refused."""
        if (
            not self._closing
            and self._shared[_PENDING] < self.settings.queue_max_items
            and self._process.is_alive()
        ):
            return True
        self._counters.refused_batches += 1
        return False

    def offer_span_rows(self, records: Sequence[SpanRecord]) -> bool:
        """Queue spans already turned into records (`decode_trace_rows_protobuf`)."""
        return self._put(list(records), [])

    def offer_spans(self, spans: Sequence[Span]) -> bool:
        """Queue `spans` for writing; False (nothing queued) when the queue is full."""
        keys = (span_keys(s.name, s.kind, s.attributes) for s in spans)
        return self._put(list(zip(span_rows(spans), keys, strict=True)), [])

    def offer_logs(self, logs: Sequence[LogRecord]) -> bool:
        """Queue `logs` for writing; False (nothing queued) when the queue is full."""
        return self._put([], list(log_rows(logs)))

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far is committed; False on timeout or a dead writer."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._shared[_PENDING]:
            if not self._process.is_alive():
                return False
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
        return True

    def close(self) -> None:
        """Stop taking data, let the writer commit everything queued and stop, then return."""
        with self._lock:
            if self._closed:
                return
            self._closed = self._closing = True
            self._inbox.put(None)
        self._process.join()
        self._inbox.close()
        self._inbox.join_thread()
        if self._process.exitcode:
            log.error("span store writer exited with code %s", self._process.exitcode)

    @property
    def counters(self) -> StoreCounters:
        return StoreCounters(
            spans_received=self._counters.spans_received,
            spans_stored=self._shared[_SPANS_STORED],
            logs_stored=self._shared[_LOGS_STORED],
            refused_batches=self._counters.refused_batches,
        )


# --- the writer process ------------------------------------------------------------------


def write_forever(
    path: Path,
    settings: TelemetrySettings,
    inbox: multiprocessing.Queue[Item],
    shared: SynchronizedArray[int],
    ready: Any,
) -> None:
    """The child: take items from `inbox` and commit them, many per transaction, until told to stop."""
    # Ctrl-C and `env down`'s SIGTERM reach the whole process group: the parent decides when
    # the writer stops, after it has sent everything it accepted
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    parent = os.getppid()
    _tune_collector()
    conn = connect_writer(path)
    # checkpoints (copying the WAL back into the file, with an fsync) run on a thread of their
    # own: sqlite3 releases the GIL for them, so commits do not wait for the disk
    conn.execute("PRAGMA wal_autocheckpoint=0")
    checkpoints = _Checkpointer(path)
    checkpoints.start()
    writer = _Writer(conn, settings, shared)
    ready.set()
    # not at once: a store opened only to read (the CLI) must not delete as a side effect
    next_housekeeping = time.monotonic() + _HOUSEKEEPING_EVERY_S
    stopping = False
    last_commit = 0.0
    while not stopping:
        if time.monotonic() >= next_housekeeping:
            next_housekeeping = time.monotonic() + _HOUSEKEEPING_EVERY_S
            writer.housekeeping()
        rows: list[SpanRecord] = []
        logs: list[tuple[Any, ...]] = []
        taken = 0
        try:
            item = inbox.get(timeout=1.0)  # at least once a second: unanswered calls expire
            while item is not None:
                rows += item[0]
                logs += item[1]
                taken += item[2]
                if len(rows) + len(logs) >= settings.batch_max_items:
                    break
                # gather for a while: each commit rewrites every index page it touches (trace
                # ids are random keys), so few large commits write far less than many small
                wait = last_commit + _COMMIT_EVERY_S - time.monotonic()
                item = inbox.get(timeout=wait) if wait > 0 else inbox.get_nowait()
            stopping = item is None
        except queue.Empty:
            stopping = os.getppid() != parent  # killed outright: nothing more can come
        try:
            writer.write(rows, logs, last=stopping)
        except Exception:  # our bug; keep serving, the log says which
            log.exception("span store write failed; %d items lost", taken)
        last_commit = time.monotonic()
        with shared.get_lock():
            shared[_PENDING] -= taken
    checkpoints.stop()
    conn.close()


def _tune_collector() -> None:
    """Collect reference cycles rarely: the writer makes no cycles, yet builds ~100,000 small
    containers a second, and each default-threshold collection walks the rows still queued
    (measured: 15 % of the writer's time)."""
    gc.freeze()  # what the process holds since start-up is never garbage
    gc.set_threshold(50_000, 20, 100)


class _Writer:
    """The writer's connection, aggregates and sampler, and the counters shared with the HTTP side."""

    def __init__(
        self, conn: sqlite3.Connection, settings: TelemetrySettings, shared: SynchronizedArray[int]
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.shared = shared
        self.aggregator = Aggregator(horizon_s=settings.pairing_horizon_s)
        self.sampler = Sampler(settings.sample_rate, settings.slow_ms)

    def housekeeping(self) -> None:
        try:
            apply_retention(self.conn, self.settings, time.time_ns())
        except Exception as error:  # busy or broken: the next round tries again
            log.warning("span store housekeeping skipped: %s", error)

    def write(self, records: list[SpanRecord], logs: list[tuple[Any, ...]], *, last: bool) -> None:
        """Count every span, keep the sampled ones, commit them with logs and aggregates."""
        self.aggregator.add_records(records)  # also settles calls whose callee never answered
        if last:
            self.aggregator.expire(everything=True)  # callees never seen: edges to their peers
        delta = self.aggregator.drain()
        rows = self._sample([row for row, _ in records])
        if not (rows or logs or delta):
            return
        while True:
            try:
                write_batch(self.conn, rows, logs, delta)
                break
            except Exception as error:
                # a lock held elsewhere, a full disk: wait, never drop what was accepted;
                # meanwhile the queue fills and the intake answers 503
                if not is_transient(error):
                    raise
                log.warning("span store unavailable, retrying: %s", error)
                time.sleep(0.5)
        with self.shared.get_lock():
            self.shared[_SPANS_STORED] += len(rows)
            self.shared[_LOGS_STORED] += len(logs)

    def _sample(self, rows: list[SpanRow]) -> list[SpanRow]:
        if self.sampler.rate >= 1.0:
            return rows
        spans = [span_from_row_for_sampling(row) for row in rows]
        kept = {id(span) for span in self.sampler.select(spans)}
        return [row for span, row in zip(spans, rows, strict=True) if id(span) in kept]


class _Checkpointer(threading.Thread):
    """Moves committed pages from the WAL into the database file, about once a second."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="span-store-checkpoints", daemon=True)
        self.path = path
        self._stopping = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            while not self._stopping.wait(_CHECKPOINT_EVERY_S):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as error:  # busy: the next round catches up
                    log.warning("span store checkpoint skipped: %s", error)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # leave a small WAL behind
            except sqlite3.Error as error:  # a reader holds it: the WAL stays, nothing is lost
                log.warning("span store final checkpoint skipped: %s", error)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join()
