"""OTLP ingest speed: pre-encoded protobuf batches of 512 spans sent by several connections.

Run: `.venv/bin/python benchmarks/ingest.py [--batches 1000] [--connections 4]`; prints the decode
ceiling, spans/s accepted and spans/s durably stored in SQLite, spans lost, the collector's CPU
and peak memory, and the latency of a trace lookup and a 15-minute service-map query afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from interlock.ports import free_port, wait_for_port
from interlock.telemetry import observed_edges, open_store
from interlock.telemetry.intake.otlp import decode_traces_protobuf

GOAL_SPANS_PER_S = 50_000
SERVICES = ("gateway", "orders", "inventory", "payments")
ROUTES = ("/orders", "/orders/{id}", "/stock/{sku}", "/charge", "/checkout")


def _set(attributes: object, key: str, value: object) -> None:
    kv = attributes.add()  # type: ignore[attr-defined]
    kv.key = key
    if isinstance(value, int):
        kv.value.int_value = value
    else:
        kv.value.string_value = str(value)


def make_batch(
    rng: random.Random, end_ns: int, spread_ns: int = 2_000_000_000, spans: int = 512
) -> bytes:
    """One ExportTraceServiceRequest of `spans` spans with attributes like real HTTP/DB spans.

    The spans start in the `spread_ns` before `end_ns`, as an exporter sends what just ended.
    """
    request = ExportTraceServiceRequest()
    service = rng.choice(SERVICES)
    resource_spans = request.resource_spans.add()
    for key, value in (("service.name", service), ("service.version", "1.4.2"),
                       ("deployment.environment", "prod"), ("host.name", f"{service}-7d9f8")):  # fmt: skip
        _set(resource_spans.resource.attributes, key, value)
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "opentelemetry.instrumentation.fastapi"
    for index in range(spans):
        span = scope.spans.add()
        span.trace_id = rng.randbytes(16)
        span.span_id = rng.randbytes(8)
        if index % 4:
            span.parent_span_id = rng.randbytes(8)
        start = end_ns - rng.randrange(spread_ns)
        span.start_time_unix_nano = start
        span.end_time_unix_nano = start + rng.randrange(100_000, 400_000_000)
        route = rng.choice(ROUTES)
        if index % 3 == 0:
            span.name = "SELECT orders"
            span.kind = 3
            _set(span.attributes, "db.system", "postgresql")
            _set(span.attributes, "db.name", "orders")
            _set(
                span.attributes,
                "db.statement",
                f"SELECT id, total FROM orders WHERE id = {rng.randrange(10**6)}",
            )
        else:
            span.name = f"GET {route}"
            span.kind = rng.choice((2, 3))
            _set(span.attributes, "http.request.method", "GET")
            _set(span.attributes, "http.route", route)
            _set(span.attributes, "url.path", route.replace("{id}", str(rng.randrange(10**6))))
            _set(
                span.attributes, "http.response.status_code", rng.choice((200, 200, 200, 404, 500))
            )
            _set(span.attributes, "server.address", rng.choice(SERVICES))
            _set(span.attributes, "user_agent.original", "python-httpx/0.28.1")
        span.status.code = 2 if rng.random() < 0.02 else 0
    body: bytes = request.SerializeToString()
    return body


def make_batches(rng: random.Random, count: int, random_times: bool) -> list[bytes]:
    """`count` batches, each a little later than the one before, ending now.

    Traffic at this rate is some 50 batches a second, so each batch ends 20 ms after the
    previous one. With `random_times` every span starts anywhere in the last minute instead,
    so the service+time index takes random keys like the trace index: the worst case.
    """
    now = time.time_ns()
    if random_times:
        return [make_batch(rng, now, 60_000_000_000) for _ in range(count)]
    step = 20_000_000
    return [make_batch(rng, now - (count - i) * step) for i in range(count)]


def decode_ceiling(batches: list[bytes]) -> float:
    start = time.perf_counter()
    spans = sum(len(decode_traces_protobuf(body).items) for body in batches)
    return spans / (time.perf_counter() - start)


def send_all(url: str, batches: list[bytes], connections: int) -> tuple[int, int]:
    """Send every batch, retrying 503/429 after Retry-After like an OTLP exporter; (sent, retries)."""
    queue = list(enumerate(batches))
    lock = threading.Lock()
    retries = 0

    def worker() -> None:
        nonlocal retries
        with httpx.Client(headers={"Content-Type": "application/x-protobuf"}, timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    _, body = queue.pop()
                while True:
                    response = client.post(url, content=body)
                    if response.status_code == 200:
                        break
                    if response.status_code not in (429, 503):
                        raise RuntimeError(
                            f"unexpected {response.status_code}: {response.content!r}"
                        )
                    with lock:
                        retries += 1
                    time.sleep(float(response.headers.get("retry-after", "1")) / 10)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(batches) * 512, retries


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def collector_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds so far of the collector process and of its child processes (its writer)."""
    return cpu_seconds(pid), sum(cpu_seconds(child) for child in child_pids(pid))


def child_pids(pid: int) -> list[int]:
    """The live child processes of `pid` (the collector's writer process)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(c) for c in (task / "children").read_text().split()]
    return children


def peak_rss_mib(pid: int) -> float:
    """Peak resident memory of `pid` plus that of its live children."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024 + sum(peak_rss_mib(c) for c in child_pids(pid))
    return float("nan")


def query_latencies(data: Path, trace_ids: list[str]) -> tuple[list[float], float]:
    """Trace lookup by id (each id once) and one 15-minute service-map query, in ms."""
    with open_store(data) as store:
        lookups = []
        for trace_id in trace_ids:
            start = time.perf_counter()
            store.get_trace(trace_id)
            lookups.append((time.perf_counter() - start) * 1000)
        end = time.time_ns()
        start = time.perf_counter()
        observed_edges(store, end - 15 * 60_000_000_000, end)
        return lookups, (time.perf_counter() - start) * 1000


def grow_store(path: Path, target: int) -> int:
    """Copy the stored spans under new trace ids, each copy an hour earlier, until `target`.

    A copy's trace id keeps its original's first 24 hex digits (the indexed prefix among
    them), so each lookup also meets the copies' rows: harder than ids all distinct.

    The queries are then timed on a store of realistic size without days of ingest; the
    copies keep the real rows' shapes (attributes, sizes) and spread over time.
    """
    started = time.perf_counter()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        count = original = db.execute("SELECT COUNT(*) FROM spans").fetchone()[0]
        generation = 0
        while count < target:
            generation += 1
            take = min(original, target - count)  # copies of the ingested rows only: no trace grows
            db.execute(
                "INSERT INTO spans SELECT substr(trace_id, 1, 24) || printf('%08x', ?), span_id, parent_span_id, "
                "service, name, kind, start_ns - ?, end_ns - ?, duration_ns, status_code, status_message, "
                "attributes, resource, events, scope FROM spans WHERE rowid <= ?",
                (generation, generation * 3_600_000_000_000, generation * 3_600_000_000_000, take),
            )
            db.commit()
            count += take
    print(f"grew the store to {count:,} spans in {time.perf_counter() - started:.0f} s")
    return int(count)


WRK_SCRIPT = """
local bodies, i = {}, 0
function init(args)
  for _, path in ipairs(args) do
    local f = io.open(path, "rb"); bodies[#bodies + 1] = f:read("*all"); f:close()
  end
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-protobuf"}, bodies[i])
end
"""


def send_with_wrk(
    url: str, batches: list[bytes], connections: int, seconds: int, work: Path
) -> tuple[int, int]:
    """wrk POSTs the batches in turn for `seconds`; (spans answered 200, requests refused).

    A C load generator leaves the two cores to the collector; a refused request (503 when
    the queue is full) is not retried, so only what was accepted counts.
    """
    paths = []
    for index, body in enumerate(batches):
        path = work / f"batch-{index}.pb"
        path.write_bytes(body)
        paths.append(str(path))
    script = work / "post.lua"
    script.write_text(WRK_SCRIPT)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url, "--", *paths],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    refused = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    refused_count = int(refused.group(1)) if refused else 0
    return (total - refused_count) * 512, refused_count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--client",
        choices=("python", "wrk"),
        default="python",
        help="python (httpx, retries 503 after Retry-After as an OTLP exporter does; the default) "
        "or wrk (a C load generator for --seconds; refused requests are not retried)",
    )
    parser.add_argument("--seconds", type=int, default=15, help="how long wrk sends")
    parser.add_argument(
        "--random-times",
        action="store_true",
        help="spans start anywhere in the last minute, not in the order batches are sent",
    )
    parser.add_argument(
        "--scale-to",
        type=int,
        default=0,
        help="after the ingest, grow the store to this many spans (e.g. 10000000) and time the queries again",
    )
    parser.add_argument(
        "--clickhouse",
        action="store_true",
        help="then send the same batches to a collector on the ClickHouse store (chdb) and compare",
    )
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="interlock-ingest-"))
    try:
        return run(args, data)
    finally:
        shutil.rmtree(data, ignore_errors=True)  # a 10-million-span store is several GB


def run(args: argparse.Namespace, data: Path) -> int:
    """Ingest, then time the queries; the store lives in `data`."""
    rng = random.Random(7)
    batches = make_batches(rng, args.batches, args.random_times)
    ceiling = decode_ceiling(batches)

    port = free_port()
    collector = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interlock",
            "collector",
            "--port",
            str(port),
            "--data-dir",
            str(data),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}"
        cpu_before = collector_cpu(collector.pid)
        start = time.perf_counter()
        if args.client == "wrk":
            sent, retries = send_with_wrk(
                f"{url}/v1/traces", batches, args.connections, args.seconds, data
            )
        else:
            sent, retries = send_all(f"{url}/v1/traces", batches, args.connections)
        accepted_s = time.perf_counter() - start
        stored = settled_at = 0
        while True:  # requests still in flight when wrk stopped may add a few spans
            now = httpx.get(f"{url}/healthz").json()["spans_stored"]
            if now >= sent and now == stored:
                break
            if now != stored:
                stored, settled_at = now, time.perf_counter()
            time.sleep(0.05)
        sent = max(sent, stored)
        stored_s = settled_at - start
        cpu_after = collector_cpu(collector.pid)
        cpu_http, cpu_writer = (
            after - before for after, before in zip(cpu_after, cpu_before, strict=True)
        )
        cpu_used = cpu_http + cpu_writer
        peak = peak_rss_mib(collector.pid)
    finally:
        collector.send_signal(signal.SIGINT)
        collector.wait(timeout=60)
    with sqlite3.connect(data / "spans.db") as db:
        on_disk = db.execute("SELECT COUNT(*) FROM spans").fetchone()[0]
        trace_ids = [
            row[0] for row in db.execute("SELECT trace_id FROM spans ORDER BY random() LIMIT 200")
        ]
    lookup_ms, map_ms = query_latencies(data, trace_ids)
    stored_rate = sent / stored_s
    print(
        f"batches: {args.batches} x 512 spans, {len(batches[0]) // 1024} KiB each; {args.connections} connections from {args.client}"
    )
    print(f"protobuf decode alone (ceiling): {ceiling:,.0f} spans/s")
    print(
        f"accepted (HTTP 200):             {sent / accepted_s:,.0f} spans/s  ({retries} {'refused with 503, not retried' if args.client == 'wrk' else 'retries after 503'})"
    )
    print(
        f"durably stored in SQLite:        {stored_rate:,.0f} spans/s  (goal {GOAL_SPANS_PER_S:,})"
    )
    print(
        f"collector CPU: {cpu_used:.1f} s (HTTP process {cpu_http:.1f} s, writer process {cpu_writer:.1f} s), "
        f"so {sent / cpu_used:,.0f} spans per CPU-second (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    print(f"lost: {sent - on_disk} of {sent}; collector peak RSS {peak:.0f} MiB")
    print(
        f"with {on_disk:,} spans stored: trace by id p50 {statistics.median(lookup_ms):.2f} ms, "
        f"max {max(lookup_ms):.2f} ms; 15-minute service map {map_ms:.1f} ms"
    )
    if args.scale_to > on_disk:
        total = grow_store(data / "spans.db", args.scale_to)
        with sqlite3.connect(data / "spans.db") as db:
            trace_ids = [
                row[0]
                for row in db.execute("SELECT trace_id FROM spans ORDER BY random() LIMIT 200")
            ]
        lookup_ms, map_ms = query_latencies(data, trace_ids)
        print(
            f"with {total:,} spans stored: trace by id p50 {statistics.median(lookup_ms):.2f} ms, "
            f"p99 {sorted(lookup_ms)[int(len(lookup_ms) * 0.99) - 1]:.2f} ms (goal < 10 ms); "
            f"15-minute service map {map_ms:.1f} ms (goal < 200 ms)"
        )
    verdict = "PASS" if stored_rate >= GOAL_SPANS_PER_S and on_disk == sent else "MISS"
    print(verdict)
    if args.clickhouse:
        run_clickhouse(args, data, batches, stored_rate, data / "spans.db")
    return 0 if verdict == "PASS" else 1


def run_clickhouse(
    args: argparse.Namespace, data: Path, batches: list[bytes], sqlite_rate: float, sqlite: Path
) -> None:
    """The same batches into the ClickHouse store (chdb in the collector's process)."""
    url = f"chdb://{data / 'clickhouse'}?database=otel"
    interlock = [sys.executable, "-m", "interlock"]
    subprocess.run([*interlock, "telemetry", "init-store", "--span-store", url], check=True)
    port = free_port()
    collector = subprocess.Popen(
        [*interlock, "collector", "--port", str(port), "--span-store", url],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        base = f"http://127.0.0.1:{port}"
        start = time.perf_counter()
        sent, retries = send_all(f"{base}/v1/traces", batches, args.connections)
        while httpx.get(f"{base}/healthz").json()["spans_stored"] < sent:
            time.sleep(0.02)
        stored_s = time.perf_counter() - start
        cpu = sum(collector_cpu(collector.pid))
    finally:
        collector.send_signal(signal.SIGINT)
        collector.wait(timeout=60)
    from interlock.telemetry.stores.clickhouse import ClickHouseSpanStore

    store = ClickHouseSpanStore(url)
    try:
        on_disk = int(store._conn.rows("SELECT count() FROM otel.otel_traces")[0][0])
        ids = [
            r[0]
            for r in store._conn.rows(
                "SELECT TraceId FROM otel.otel_traces ORDER BY rand() LIMIT 200"
            )
        ]
        lookup_ms = []
        for trace_id in ids:
            began = time.perf_counter()
            store.get_trace(trace_id)
            lookup_ms.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        now = time.time_ns()
        observed_edges(store, now - 15 * 60 * 1_000_000_000, now)
        map_ms = (time.perf_counter() - began) * 1000
        size = int(
            store._conn.rows(
                "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'otel' AND active"
            )[0][0]
        )
    finally:
        store.close()
    rate = sent / stored_s
    print(
        f"stored in ClickHouse (chdb, one collector process): {rate:,.0f} spans/s "
        f"(SQLite above: {sqlite_rate:,.0f}); {retries} retries after 503; collector CPU {cpu:.1f} s"
    )
    print(f"lost: {sent - on_disk} of {sent}")
    print(
        f"with {on_disk:,} spans in ClickHouse: trace by id p50 {statistics.median(lookup_ms):.2f} ms, "
        f"p99 {sorted(lookup_ms)[int(len(lookup_ms) * 0.99) - 1]:.2f} ms; 15-minute service map {map_ms:.1f} ms"
    )
    print(
        f"bytes per span on disk: ClickHouse {size / on_disk:.0f} (all tables and views), "
        f"SQLite {sqlite.stat().st_size / max(1, on_disk):.0f}"
    )


if __name__ == "__main__":
    sys.exit(main())
