"""Environment start-up: 8 stubbed services and one PostgreSQL, and the stub process's memory.

Run: `.venv/bin/python benchmarks/envs.py [--runs 3]`; prints the median start-up time of
`start_environment` (in process, and `interlock env up` as a command) and the RSS of the one
stub process serving all 8 services, each beside its goal, PASS or MISS; exit 1 on any MISS.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from interlock.envs import load_environment_file, start_environment, stop_environment

SHOP = Path(__file__).resolve().parent.parent / "examples" / "shop"
GOAL_START_S = 3.0
GOAL_RSS_MB = 100.0


def environment_file(directory: Path, otlp: bool) -> Path:
    """Eight stubbed services (the shop's four pacts and four OpenAPI documents) and a database."""
    sources = {f"{path.stem}-pact": path for path in sorted((SHOP / "pacts").glob("*.json"))} | {
        f"{name}-api": SHOP / name / "openapi.yaml"
        for name in ("gateway", "orders", "payments", "inventory")
    }
    lines = ["name: bench", "service: bench", f"otlp: {str(otlp).lower()}", "dependencies:"]
    for name, path in sources.items():
        lines += [f"  {name}:", f"    stub: {path}"]
    lines += ["  db:", "    postgres:", f"      migrations: {SHOP / 'inventory' / 'migrations'}"]
    path = directory / f"bench-{otlp}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def in_process(file: Path, state_dir: Path, runs: int) -> tuple[float, float]:
    """Median seconds of `start_environment` until all answer, and the stub process's RSS (MB)."""
    timings, memory = [], []
    spec = load_environment_file(file)
    for _ in range(runs):
        start = time.perf_counter()
        running = start_environment(spec, state_dir)
        timings.append(time.perf_counter() - start)
        stubs = next(p for p in running.state.pieces if p.kind == "stubs")
        for url in stubs.detail["services"].values():  # some traffic before measuring memory
            for _ in range(20):
                httpx.get(f"{url}/health")
        assert stubs.pid is not None
        memory.append(rss_mb(stubs.pid))
        running.stop()
    return statistics.median(timings), max(memory)


def as_command(file: Path, state_dir: Path, runs: int) -> float:
    """Median seconds of `python -m interlock env up` (interpreter and CLI start-up included)."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "interlock",
                "env",
                "up",
                str(file),
                "--state-dir",
                str(state_dir),
            ],
            check=True,
            capture_output=True,
        )
        timings.append(time.perf_counter() - start)
        stop_environment(state_dir)
    return statistics.median(timings)


def verdict(value: float, goal: float) -> str:
    return "PASS" if value < goal else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="interlock-bench-env-") as temp:
        directory = Path(temp)
        results = []
        for otlp in (False, True):
            file = environment_file(directory, otlp)
            seconds, memory = in_process(file, directory / f"state-{otlp}", runs)
            results.append((otlp, seconds, memory))
        command_s = as_command(environment_file(directory, True), directory / "state-cli", runs)
    misses = 0
    print("environment: 8 stubbed services (one process) + 1 PostgreSQL with migrations")
    for otlp, seconds, _memory in results:
        label = "with the OTLP collector" if otlp else "without the OTLP collector"
        print(
            f"start-up {label:<28} {seconds:6.2f} s   goal < {GOAL_START_S:g} s   {verdict(seconds, GOAL_START_S)}"
        )
        misses += verdict(seconds, GOAL_START_S) == "MISS"
    print(
        f"`interlock env up` as a command (all)  {command_s:6.2f} s   (interpreter + CLI import included)"
    )
    memory = max(m for _, _, m in results)
    print(
        f"RSS of the stub process, 8 services   {memory:6.1f} MB  goal < {GOAL_RSS_MB:g} MB  {verdict(memory, GOAL_RSS_MB)}"
    )
    misses += verdict(memory, GOAL_RSS_MB) == "MISS"
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
