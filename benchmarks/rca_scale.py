"""Window RCA at scale: a 15-minute window over 1,000,000 stored spans, timed.

Run: `.venv/bin/python benchmarks/rca_scale.py [--spans 1000000] [--rate 10] [--data-dir DIR]`.
The generated 30-service system of `rca_systems` sends `--rate` requests a second (about 11
spans each, logs and resource metrics beside them) until `--spans` spans are stored in SQLite
through the store's public write API; a fault (`--fault kind:target`) runs in the last 15
minutes. Then `rca_window` ranks the last 15 minutes against the 15 before, `--runs` times
(the first run on a cold process, the rest warm), and the figures are printed: spans stored,
traces in the window and in the baseline, traces read, seconds per run, and the rank of the
injected culprit. With `--data-dir`, the store is kept and reused by later runs with the same
parameters. Exit 1 when the median run takes more than the goal (1 s) or misses the culprit.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from rca_systems import Fault, S, Simulator, Telemetry, generated

from interlock.telemetry import MetricStore, SQLiteSpanStore, TelemetrySettings, rca_window
from interlock.telemetry.stores.metric_store import points_from_gauges

GOAL_S = 1.0
WINDOW_S = 15 * 60
CHUNK_S = 300
SPANS_PER_REQUEST = 10.8  # the generated system's mean, measured: sizes the history


def _write(store: SQLiteSpanStore, metrics: MetricStore, out: Telemetry) -> int:
    for i in range(0, len(out.spans), 20_000):
        while not store.offer_spans(out.spans[i : i + 20_000]):
            store.flush(30)
    for i in range(0, len(out.logs), 20_000):
        while not store.offer_logs(out.logs[i : i + 20_000]):
            store.flush(30)
    rows = [(m.service, m.name, m.unit, m.time_unix_nano, m.value) for m in out.metrics]
    metrics.write(points_from_gauges(rows))
    return len(out.spans)


def build(data_dir: Path, spans: int, rate: float, fault: Fault) -> dict[str, int]:
    """Fill `data_dir` with history up to the window and the faulty window; its meta data."""
    window_end = (time.time_ns() // S // 60 - 1) * 60 * S
    window_start = window_end - WINDOW_S * S
    window_spans = WINDOW_S * rate * SPANS_PER_REQUEST
    history_s = max(WINDOW_S, int((spans - window_spans) / (rate * SPANS_PER_REQUEST)))
    settings = TelemetrySettings(data_dir=data_dir, retention_hours=0, retention_max_spans=0)
    store = SQLiteSpanStore(settings.spans_path, settings)
    metrics = MetricStore(data_dir / "metrics.db", retention_hours=0)
    stored = 0
    began = time.perf_counter()
    try:
        at, seed = window_start - history_s * S, 1
        while at < window_start:
            upto = min(window_start, at + CHUNK_S * S)
            stored += _write(store, metrics, Simulator(generated(), seed).run(at, upto, rate))
            at, seed = upto, seed + 1
            print(f"\r  history: {stored:,} spans", end="", flush=True)
        at = window_start
        while at < window_end:  # the fault, in chunks of the same size
            upto = min(window_end, at + CHUNK_S * S)
            sim = Simulator(generated(), seed, fault)
            stored += _write(store, metrics, sim.run(at, upto, rate, fault.kind == "memory_leak"))
            at, seed = upto, seed + 1
        store.flush(600)
    finally:
        store.close()
    print(f"\r  stored {stored:,} spans in {time.perf_counter() - began:.0f} s")
    return {"spans": stored, "window_start": window_start, "window_end": window_end}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=1_000_000, help="spans to store in all")
    parser.add_argument("--rate", type=float, default=10.0, help="requests a second")
    parser.add_argument("--fault", default="cpu_hog:pricing", help="kind:target in the window")
    parser.add_argument("--runs", type=int, default=5, help="timed RCA runs")
    parser.add_argument("--data-dir", default="", help="keep (and reuse) the store here")
    args = parser.parse_args()
    kind, _, target = args.fault.partition(":")
    fault = Fault(kind, target, factor=6.0, delay_ms=80.0, share=0.3)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.data_dir or tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        meta_path = data_dir / "rca_scale.json"
        wanted = {"spans_wanted": args.spans, "rate": args.rate, "fault": args.fault}
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        if {k: meta.get(k) for k in wanted} != wanted:
            for name in ("spans.db", "spans.db-wal", "spans.db-shm", "metrics.db"):
                (data_dir / name).unlink(missing_ok=True)
            print(f"building {args.spans:,} spans at {args.rate:g} requests/s in {data_dir}")
            meta = {**wanted, **build(data_dir, args.spans, args.rate, fault)}
            meta_path.write_text(json.dumps(meta))
        return measure(data_dir, meta, target, args.runs)


def measure(data_dir: Path, meta: dict[str, int], target: str, runs: int) -> int:
    start, end = meta["window_start"], meta["window_end"]
    settings = TelemetrySettings(data_dir=data_dir, retention_hours=0, retention_max_spans=0)
    store = SQLiteSpanStore(settings.spans_path, settings)
    metrics = MetricStore(data_dir / "metrics.db", retention_hours=0)
    seconds, cpu = [], []
    try:
        for _ in range(runs):
            began, began_cpu = time.perf_counter(), time.process_time()
            found = rca_window(store, start, end, start - (end - start), start, metrics=metrics)
            seconds.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
    finally:
        store.close()
    names = [s.name for s in found.ranking]
    rank = names.index(target) + 1 if target in names else None
    print(
        f"{meta['spans']:,} spans stored; window 15 min: {found.spans:,} spans, baseline "
        f"{found.baseline_spans:,}; share read {found.share:.3f}: {found.traces:,} + "
        f"{found.baseline_traces:,} traces, {found.logs:,} + {found.baseline_logs:,} log records"
    )
    print(
        f"rca_window: first {seconds[0]:.3f} s, median of {runs} {statistics.median(seconds):.3f} s,"
        f" best {min(seconds):.3f} s (goal <= {GOAL_S:g} s); CPU time median "
        f"{statistics.median(cpu):.3f} s; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs"
    )
    print(f"culprit {target}: rank {rank or '-'}; top {', '.join(names[:3])}")
    ok = statistics.median(seconds) <= GOAL_S and rank == 1
    print("PASS" if ok else "MISS")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
