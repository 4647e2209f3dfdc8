"""Catalog speed: `catalog check` on a big generated tree, the SVG map, and an impact query.

Run: `.venv/bin/python benchmarks/catalog.py [--services 2000] [--edges 10000] [--runs 5]`;
prints the median of each measurement beside its goal, PASS or MISS; exit 1 on any MISS.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from interlock.catalog import generate_catalog, impact, load_catalog
from interlock.cli.main import app

runner = CliRunner()


def median_seconds(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def command(*args: str, expect: int = 0) -> Callable[[], object]:
    """The CLI command, in process: argument parsing, file reading, rendering, output."""

    def run() -> object:
        result = runner.invoke(app, list(args))
        if result.exit_code != expect:
            raise SystemExit(f"`interlock {' '.join(args)}` exited {result.exit_code}")
        return result

    return run


def process(*args: str) -> Callable[[], object]:
    """The CLI as a user runs it: a new Python process, imports included."""
    return lambda: subprocess.run(
        [sys.executable, "-m", "interlock", *args], check=True, capture_output=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--edges", type=int, default=10000)
    parser.add_argument("--map-services", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    rows: list[tuple[str, float, float | None]] = []
    with tempfile.TemporaryDirectory() as scratch:
        big = generate_catalog(Path(scratch, "big"), options.services, options.edges)
        ratio = options.edges / options.services
        small = generate_catalog(
            Path(scratch, "map"), options.map_services, int(options.map_services * ratio)
        )
        print(
            f"generated: {big.services} services, {big.edges} edges, {big.files} files;"
            f" map catalog: {small.services} services, {small.edges} edges"
        )
        check = command("catalog", "check", str(big.root), "--format", "json")
        rows.append(
            (f"catalog check, {big.services} services", median_seconds(check, options.runs), 2.0)
        )
        rows.append(
            (
                "  the same, as a new process (with imports)",
                median_seconds(process("catalog", "check", str(big.root)), options.runs),
                None,
            )
        )
        svg = Path(scratch, "map.svg")
        draw = command("map", str(small.root), "--format", "svg", "--output", str(svg))
        rows.append(
            (
                f"map --format svg, {small.services} services",
                median_seconds(draw, options.runs),
                1.0,
            )
        )
        graph = load_catalog(big.root).graph
        report = impact(graph, big.central_table)
        query = median_seconds(lambda: impact(graph, big.central_table), options.runs)
        rows.append(
            (f"impact {big.central_table} ({len(report.dependents)} dependents)", query, 0.1)
        )
        whole = command("impact", big.central_table, str(big.root), "--format", "json")
        rows.append(
            ("  the impact command, loading included", median_seconds(whole, options.runs), None)
        )
    print(f"median of {options.runs} runs")
    missed = False
    for name, seconds, goal in rows:
        if goal is None:
            verdict = ""
        else:
            verdict = f"goal < {goal * 1000:>5.0f} ms  {'PASS' if seconds < goal else 'MISS'}"
            missed = missed or seconds >= goal
        print(f"{name:<58} {seconds * 1000:>8.1f} ms  {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
