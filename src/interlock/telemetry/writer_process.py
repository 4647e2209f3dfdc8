"""The SQLite span store with its writer in a second process, so that ingest uses two cores.

The HTTP process decodes into rows, counts aggregates and samples; the writer process commits.
"""

from __future__ import annotations

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

from interlock.telemetry.aggregates import AggregateDelta
from interlock.telemetry.model import LogRecord, Span
from interlock.telemetry.row_codec import (
    SpanRecord,
    SpanRow,
    log_rows,
    span_from_record,
    span_records,
)
from interlock.telemetry.settings import TelemetrySettings
from interlock.telemetry.sqlite_retention import apply_retention
from interlock.telemetry.sqlite_store import (
    SQLiteSpanStore,
    connect_writer,
    is_transient,
    write_batch,
)
from interlock.telemetry.store import StoreCounters

log = logging.getLogger(__name__)
_PENDING, _SPANS_STORED, _LOGS_STORED = 0, 1, 2  # slots of the counters shared by both processes
_HOUSEKEEPING_EVERY_S = 60.0
_POLL_S = 0.005
_CHECKPOINT_EVERY_S = 1.0
_COMMIT_EVERY_S = 0.25  # at most this often, unless a batch is full

# one item of the inbox: span rows, log rows, their aggregate delta, and how many items of
# the queue bound they hold; None tells the writer to stop
Item = tuple[list[SpanRow], list[tuple[Any, ...]], AggregateDelta | None, int] | None


class SQLiteProcessSpanStore(SQLiteSpanStore):
    """A `SpanStore` on one SQLite file whose single writer is a child process.

    Reads are those of `SQLiteSpanStore`. The HTTP process decodes, counts the aggregates
    (pairing needs one place that sees every span) and samples; the rows and the aggregate
    delta of each request cross a multiprocessing queue bounded by `queue_max_items` (spans +
    log records not yet committed, counted in shared memory) and are committed together. An
    offer that does not fit is refused (the intake answers 503); `close()` returns once the
    child has committed everything accepted and stopped.
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
        self._ticking = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="span-store-expiry", daemon=True)
        self._ticker.start()

    def _send(
        self, rows: list[SpanRow], logs: list[tuple[Any, ...]], delta: Any, count: int
    ) -> None:
        """Enqueue one item; the caller holds `_lock`."""
        with self._shared.get_lock():
            self._shared[_PENDING] += count
        self._inbox.put((rows, logs, delta or None, count))

    def _put(self, records: Sequence[SpanRecord], logs: list[tuple[Any, ...]], count: int) -> bool:
        if not count:
            return True
        with self._lock:
            if self._closing or not self._process.is_alive():
                return False
            pending = self._shared[_PENDING]
            # one batch larger than the whole queue still goes in when the queue is empty
            if pending and pending + count > self.settings.queue_max_items:
                self._counters.refused_batches += 1
                return False
            rows: list[SpanRow] = []
            delta = None
            if records:  # counted only once accepted: a refused request is sent again
                self._aggregator.add_records(records)  # every span counts, sampled or not
                rows = self._sample(records)
                delta = self._aggregator.drain()
                self._counters.spans_received += len(records)
            self._send(rows, logs, delta, count)
        return True

    def _sample(self, records: Sequence[SpanRecord]) -> list[SpanRow]:
        if self._sampler.rate >= 1.0:
            return [row for row, _ in records]
        spans = [span_from_record(row, attributes) for row, attributes in records]
        kept = {id(span) for span in self._sampler.select(spans)}
        return [row for span, (row, _) in zip(spans, records, strict=True) if id(span) in kept]

    def _tick(self) -> None:
        """Settle, once a second, the calls whose callee never reported (as the writer thread does)."""
        while not self._ticking.wait(1.0):
            with self._lock:
                if self._closing:
                    return
                self._aggregator.expire()
                delta = self._aggregator.drain()
                if delta:
                    self._send([], [], delta, 1)

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

    def offer_span_records(self, records: Sequence[SpanRecord]) -> bool:
        """Queue spans already turned into rows (`decode_trace_records_protobuf`)."""
        return self._put(records, [], len(records))

    def offer_spans(self, spans: Sequence[Span]) -> bool:
        """Queue `spans` for writing; False (nothing queued) when the queue is full."""
        return self._put(span_records(spans), [], len(spans))

    def offer_logs(self, logs: Sequence[LogRecord]) -> bool:
        """Queue `logs` for writing; False (nothing queued) when the queue is full."""
        return self._put([], list(log_rows(logs)), len(logs))

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
            self._aggregator.expire(everything=True)  # callees never seen: edges to their peers
            delta = self._aggregator.drain()
            if delta:
                self._send([], [], delta, 1)
            self._inbox.put(None)
        self._ticking.set()
        self._ticker.join()
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
        rows: list[SpanRow] = []
        logs: list[tuple[Any, ...]] = []
        delta = AggregateDelta()
        taken = 0
        try:
            item = inbox.get(timeout=1.0)
            while item is not None:
                rows += item[0]
                logs += item[1]
                if item[2] is not None:
                    delta.merge(item[2])
                taken += item[3]
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
            writer.write(rows, logs, delta)
        except Exception:  # our bug; keep serving, the log says which
            log.exception("span store write failed; %d items lost", taken)
        last_commit = time.monotonic()
        with shared.get_lock():
            shared[_PENDING] -= taken
    checkpoints.stop()
    conn.close()


class _Writer:
    """The writer's connection and settings, and the counters it shares with the HTTP process."""

    def __init__(
        self, conn: sqlite3.Connection, settings: TelemetrySettings, shared: SynchronizedArray[int]
    ) -> None:
        self.conn = conn
        self.settings = settings
        self.shared = shared

    def housekeeping(self) -> None:
        try:
            apply_retention(self.conn, self.settings, time.time_ns())
        except Exception as error:  # busy or broken: the next round tries again
            log.warning("span store housekeeping skipped: %s", error)

    def write(
        self, rows: list[SpanRow], logs: list[tuple[Any, ...]], delta: AggregateDelta
    ) -> None:
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
